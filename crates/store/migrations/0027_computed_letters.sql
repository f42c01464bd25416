-- A DNI or NIE imported without its control letter has it computed from the number,
-- and the document says so.
ALTER TABLE participant_documents ADD COLUMN letter_computed BOOLEAN NOT NULL DEFAULT FALSE;
