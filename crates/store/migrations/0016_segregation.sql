-- Segregation of duties and four eyes (issue "security holes closed").
-- A service account is an integration's user: administrators issue its tokens, it never
-- signs in with a password and never administers. A person's own tokens are created by
-- that person; every token records who issued it and may carry fewer roles than its
-- user holds (a comma-separated list; empty means all of them).
ALTER TABLE users ADD COLUMN service_account BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_tokens ADD COLUMN issued_by UUID REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN roles TEXT NOT NULL DEFAULT '';

-- A role that reaches a person's data is granted by two administrators: one asks, a
-- second one approves (or refuses). Every request stays, for the auditor.
CREATE TABLE role_grants (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    requested_by UUID REFERENCES users (id),
    requested_at TIMESTAMPTZ NOT NULL,
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ,
    decision TEXT
);
CREATE INDEX role_grants_pending ON role_grants (requested_at) WHERE decided_at IS NULL;
