-- A DNI or NIE imported without its control letter has it computed from the number,
-- and the document says so.
ALTER TABLE participant_documents ADD COLUMN letter_computed BOOLEAN NOT NULL DEFAULT FALSE;
-- The next step agreed at a contact has a date: it reaches the work list and the
-- caseload.
ALTER TABLE contacts ADD COLUMN next_step_on DATE;
CREATE INDEX contacts_next_step ON contacts (case_id, next_step_on);
