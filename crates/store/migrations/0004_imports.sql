-- Imports from existing systems: each organisation's saved column mappings (one per
-- source), the batches run (one per file; a file imported once is recognised by its
-- hash, so a re-run changes nothing) with their row-by-row report, and, for each record
-- imported, the source and its id there.

CREATE TABLE import_mappings (
    id UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    mapping TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX import_mappings_org_name ON import_mappings (organisation_id, name);

CREATE TABLE import_batches (
    id UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    created INTEGER NOT NULL,
    linked INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    existing INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    -- The row-by-row report (JSON): lines, outcomes, record ids, problem codes; no names.
    report TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX import_batches_org_file ON import_batches (organisation_id, file_sha256);
CREATE INDEX import_batches_org_time ON import_batches (organisation_id, created_at);

CREATE TABLE participant_sources (
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    batch_id UUID NOT NULL REFERENCES import_batches (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX participant_sources_key ON participant_sources (home_organisation_id, source, external_id);
CREATE INDEX participant_sources_participant ON participant_sources (participant_id);
