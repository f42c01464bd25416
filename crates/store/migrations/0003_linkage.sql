-- One person, one record: the master participant index. Each organisation keeps the
-- record it registered (its source record); records found to be the same person share a
-- person_id. Merges move records between persons and are kept, so that an unmerge puts
-- every record back exactly where it was.

ALTER TABLE participants ADD COLUMN person_id UUID;
UPDATE participants SET person_id = id;
CREATE INDEX participants_person ON participants (person_id);
-- Candidates for a lookup: the same birth date (or with day and month swapped).
CREATE INDEX participants_birth ON participants (birth_date, surname_key);

-- A document number is unique within the organisation that registered it; another
-- organisation registering the same person is what the index links.
DROP INDEX participant_documents_kind_number;
CREATE UNIQUE INDEX participant_documents_org_kind_number ON participant_documents (home_organisation_id, kind, number);

-- The deployment's thresholds (match probability) and the model fitted on its registry.
CREATE TABLE linkage_settings (
    id SMALLINT PRIMARY KEY,
    auto_link DOUBLE PRECISION NOT NULL,
    review DOUBLE PRECISION NOT NULL,
    model TEXT,
    model_fitted_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    updated_by UUID REFERENCES users (id)
);
INSERT INTO linkage_settings (id, auto_link, review) VALUES (1, 0.9, 0.5);

-- Pairs of records between the thresholds, waiting for a person to decide, and the
-- decisions (kept, so that a decided pair never comes back). left_id < right_id.
CREATE TABLE link_reviews (
    id UUID PRIMARY KEY,
    left_id UUID NOT NULL REFERENCES participants (id),
    right_id UUID NOT NULL REFERENCES participants (id),
    match_probability DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by UUID REFERENCES users (id),
    decided_organisation_id UUID REFERENCES organisations (id)
);
CREATE UNIQUE INDEX link_reviews_pair ON link_reviews (left_id, right_id);
CREATE INDEX link_reviews_right ON link_reviews (right_id);
CREATE INDEX link_reviews_status ON link_reviews (status, created_at);

-- A merge: the records of absorbed_person_id joined person_id. merge_members lists the
-- records that moved; an unmerge moves exactly those back.
CREATE TABLE merges (
    id UUID PRIMARY KEY,
    person_id UUID NOT NULL,
    absorbed_person_id UUID NOT NULL,
    kind TEXT NOT NULL,
    match_probability DOUBLE PRECISION,
    review_id UUID REFERENCES link_reviews (id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users (id),
    undone_at TIMESTAMPTZ,
    undone_by UUID REFERENCES users (id)
);
CREATE INDEX merges_person ON merges (person_id, created_at);
CREATE INDEX merges_absorbed ON merges (absorbed_person_id, created_at);

CREATE TABLE merge_members (
    merge_id UUID NOT NULL REFERENCES merges (id),
    participant_id UUID NOT NULL REFERENCES participants (id),
    PRIMARY KEY (merge_id, participant_id)
);
CREATE INDEX merge_members_participant ON merge_members (participant_id);
