-- Indexes for lookups that every view of a page makes and that walked a whole table
-- (found reading the pages' statements against the national scale of the benchmark).

-- The case page's open agreements about the case, and a meeting's agreements.
CREATE INDEX agreements_case ON agreements (case_id, status);
CREATE INDEX agreements_meeting ON agreements (meeting_id, created_at);

-- A participant's former households (the current one has its partial unique index).
CREATE INDEX household_members_participant ON household_members (participant_id, left_on);

-- An organisation's referrals received or sent, newest first, whatever their status.
CREATE INDEX referrals_to_sent ON referrals (to_organisation_id, sent_at);
CREATE INDEX referrals_from_sent ON referrals (from_organisation_id, sent_at);

-- The audit log filtered by action, newest first.
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- The calendar's meetings by day.
CREATE INDEX meetings_date ON meetings (meeting_date);

-- The course list, newest first.
CREATE INDEX courses_start ON courses (start_on, id);
