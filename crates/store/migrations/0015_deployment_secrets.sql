-- Secrets a deployment makes for itself at its first start and every server of it
-- shares (the key of the pseudonyms programme managers see). Never shown anywhere.
CREATE TABLE deployment_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
