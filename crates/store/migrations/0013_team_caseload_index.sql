-- A professional's caseload, read from the index alone: the work list's team queries
-- walk the user's current memberships (user, organisation, not removed) to their cases.
CREATE INDEX case_team_members_user_cases ON case_team_members (user_id, organisation_id, removed_at, case_id);
