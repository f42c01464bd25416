-- Several Itinera servers on one database (issue "beyond one machine"): what a request
-- may need later lives here, not in a server's memory.

-- Answers to requests sent with an `Idempotency-Key` (the API's writes): the key is
-- claimed in the transaction of the write itself, so a request retried after a lost
-- answer (a failover, a server gone) finds the key and gets the first answer again,
-- never a second write. `scope` is the SHA-256 of the credential the request carried;
-- `fingerprint` that of its method, address and body; `entity`, `entity_id` what the
-- write was about (from its audit row), so that a replayed answer is audited too.
-- Kept a day.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    status INTEGER,
    content_type TEXT,
    body BYTEA,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Sign-in attempts per client address in the current window (the second line of
-- defence beside the per-account lock-out), shared by every server.
CREATE TABLE login_attempts (
    client_addr TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits INTEGER NOT NULL
);

-- Leases of background work that runs once per deployment (the sweep of what falls
-- due): the server holding a lease does it until the lease runs out.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at TIMESTAMPTZ NOT NULL
);
