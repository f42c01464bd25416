-- The audited reads' entries get a log of their own (the group commit appends them
-- there): on SQLite in a file of its own, attached as `reads`, so that appending them
-- does not make every reading connection drop its page cache (see
-- crates/store/src/read_audit.rs). The chain stays one: entries are numbered across
-- `audit_log` and `audit_read_log`, each linked to the one before it in either, and
-- each log has its head. `IF NOT EXISTS`: on SQLite the new file and the record of
-- this migration are committed apart.
CREATE TABLE IF NOT EXISTS {reads}audit_read_head (
    id INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO {reads}audit_read_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS {reads}audit_read_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_user_id UUID,
    actor_organisation_id UUID,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    request_id TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {reads}audit_read_log_entity ON audit_read_log (entity_id);
CREATE INDEX IF NOT EXISTS {reads}audit_read_log_actor ON audit_read_log (actor_user_id, seq);
CREATE INDEX IF NOT EXISTS {reads}audit_read_log_at ON audit_read_log (at);
CREATE INDEX IF NOT EXISTS {reads}audit_read_log_action ON audit_read_log (action, seq);
