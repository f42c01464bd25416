-- The course page's counts, kept with the rows they count. The page showed, for each
-- session, how many marks were recorded and, for each candidate, how many marks and how
-- many unjustified absences they have; it counted them from `attendance` at every view
-- (at 10,000 courses and a million marks, its two costliest statements).
-- Saving a session's sheet now recounts, in its own transaction, the session and every
-- candidate whose mark it added, changed or removed (`store::training::record_attendance`),
-- so a count left stale by a server still running the older code during an upgrade is
-- mended by the next sheet saved for that session or candidate.
ALTER TABLE course_sessions ADD COLUMN recorded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE course_candidates ADD COLUMN recorded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE course_candidates ADD COLUMN absent BIGINT NOT NULL DEFAULT 0;
UPDATE course_sessions SET recorded = (SELECT COUNT(*) FROM attendance a WHERE a.session_id = course_sessions.id);
UPDATE course_candidates SET
    recorded = (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = course_candidates.id),
    absent = (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = course_candidates.id AND a.status = 'absent');
