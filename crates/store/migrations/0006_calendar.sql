-- Each professional's secret, revocable iCalendar feed of the meetings they are invited
-- to (the token itself is never stored, only its hash).
CREATE TABLE calendar_feeds (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX calendar_feeds_token ON calendar_feeds (token_hash);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id, organisation_id);
