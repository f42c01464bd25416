-- A professional's caseload, read from indexes alone: the work list's team queries
-- walk the user's current memberships (user, organisation, not removed) to their cases,
-- and read each case's state and each itinerary's review date without the table rows.
CREATE INDEX case_team_members_user_cases ON case_team_members (user_id, organisation_id, removed_at, case_id);
CREATE INDEX cases_state ON cases (id, status, phase, participant_id, opened_on);
CREATE INDEX itineraries_case_review ON itineraries (case_id, review_on, id);
