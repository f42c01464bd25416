-- A calendar feed made with an API token lives no longer than the token: revoking or
-- letting the token expire ends the feeds it made. Feeds made in a browser session
-- have none and last until replaced or revoked.
ALTER TABLE calendar_feeds ADD COLUMN token_id UUID REFERENCES api_tokens (id);
