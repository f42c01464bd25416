-- The common diagnosis, the joint itinerary with its signed agreement versions and
-- reviews, and the contact log. Every row carries the home organisation of the person it
-- concerns (the distribution key); instruments are network-wide reference data.

-- Professionals are offered by organisation (the local network of a form).
CREATE INDEX memberships_organisation ON memberships (organisation_id, role);

CREATE TABLE instruments (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by UUID REFERENCES users (id)
);
CREATE UNIQUE INDEX instruments_code_version ON instruments (code, version);

CREATE TABLE assessments (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    instrument_id UUID NOT NULL REFERENCES instruments (id),
    assessed_on DATE NOT NULL,
    assessor_id UUID NOT NULL REFERENCES users (id),
    assessor_organisation_id UUID NOT NULL REFERENCES organisations (id),
    profile TEXT NOT NULL,
    -- The scores, one per domain of the instrument: a JSON array of
    -- {"domain", "level" (null: not applicable), "note"}, always read with the assessment.
    scores TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX assessments_case ON assessments (case_id, assessed_on);

CREATE TABLE itineraries (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    commitments TEXT NOT NULL,
    language TEXT NOT NULL,
    review_on DATE,
    signed_versions INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX itineraries_case ON itineraries (case_id);
CREATE INDEX itineraries_review ON itineraries (review_on);

CREATE TABLE itinerary_goals (
    id UUID PRIMARY KEY,
    itinerary_id UUID NOT NULL REFERENCES itineraries (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    domain TEXT NOT NULL,
    description TEXT NOT NULL,
    target_on DATE,
    status TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX itinerary_goals_itinerary ON itinerary_goals (itinerary_id, position);

CREATE TABLE itinerary_actions (
    id UUID PRIMARY KEY,
    itinerary_id UUID NOT NULL REFERENCES itineraries (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    goal_id UUID REFERENCES itinerary_goals (id),
    kind TEXT NOT NULL,
    service TEXT NOT NULL,
    description TEXT NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    responsible_id UUID NOT NULL REFERENCES users (id),
    starts_on DATE NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX itinerary_actions_itinerary ON itinerary_actions (itinerary_id, starts_on);
-- The work list walks a professional's pending actions in due order.
CREATE INDEX itinerary_actions_pending ON itinerary_actions (responsible_id, due_on) WHERE status IN ('planned', 'in_progress');

CREATE TABLE itinerary_versions (
    id UUID PRIMARY KEY,
    itinerary_id UUID NOT NULL REFERENCES itineraries (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    number INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    signed_on DATE NOT NULL,
    signatories TEXT NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX itinerary_versions_number ON itinerary_versions (itinerary_id, number);

CREATE TABLE itinerary_reviews (
    id UUID PRIMARY KEY,
    itinerary_id UUID NOT NULL REFERENCES itineraries (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    reviewed_on DATE NOT NULL,
    progress TEXT NOT NULL,
    next_review_on DATE,
    reviewer_id UUID NOT NULL REFERENCES users (id),
    reviewer_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX itinerary_reviews_itinerary ON itinerary_reviews (itinerary_id, reviewed_on);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    happened_on DATE NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    next_step TEXT,
    visibility TEXT NOT NULL,
    author_id UUID NOT NULL REFERENCES users (id),
    author_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_case ON contacts (case_id, happened_on);

CREATE TABLE contact_participants (
    contact_id UUID NOT NULL REFERENCES contacts (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (contact_id, user_id, organisation_id)
);
