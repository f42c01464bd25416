-- Uploaded files and import jobs live in the database, not in a server's memory, so
-- that any server of a deployment can continue what another started: the browser's
-- upload, its mapping page, the job's progress and report. An upload holds a file of
-- person data only until it is imported for real or for an hour; a job's report names
-- no person (lines, outcomes, record ids, problem codes).
CREATE TABLE uploads (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

-- The upload a job read may be gone (imported, or expired) while its report stays.
CREATE TABLE import_jobs (
    id UUID PRIMARY KEY,
    upload_id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    mapping TEXT NOT NULL,
    save_mapping BOOLEAN NOT NULL,
    skip_invalid BOOLEAN NOT NULL,
    dry_run BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    done_rows INTEGER NOT NULL,
    total_rows INTEGER NOT NULL,
    report TEXT,
    failure TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX import_jobs_expiry ON import_jobs (expires_at);
