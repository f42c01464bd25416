-- A candidate's marks by status: the recount of a candidate's marks and absences when a
-- sheet is saved (migration 33) reads this index alone, without visiting the rows. It
-- replaces the index on (candidate_id, session_id), whose lookups by candidate it serves.
CREATE INDEX attendance_candidate_status ON attendance (candidate_id, status, session_id);
DROP INDEX attendance_candidate;
