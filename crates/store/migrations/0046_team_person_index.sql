-- "Is organisation O on a current team of person P": the access rule's team condition
-- (crates/store/src/access.rs), read from the index alone. Its own migration, and
-- `IF NOT EXISTS`: on a live PostgreSQL deployment it may be built beforehand by hand
-- with CREATE INDEX CONCURRENTLY under this name.
CREATE INDEX IF NOT EXISTS case_team_members_person ON case_team_members (participant_id, organisation_id) WHERE removed_at IS NULL;
