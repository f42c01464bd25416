-- Sign-in back-off per account name and client address (issue "security holes
-- closed"): wrong passwords slow down the one address that typed them, for that one
-- name, so nobody can lock a colleague out from elsewhere, and the answer is the same
-- whether the name exists or not. In the database, so that every server of a
-- deployment counts the same failures. Replaces the account lock (users.locked_until,
-- no longer read; removed in a later migration once every server runs this code).
CREATE TABLE login_throttle (
    username_key TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ,
    PRIMARY KEY (username_key, client_addr)
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);
