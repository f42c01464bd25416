-- Special-category questions (disability, belonging to a minority) may be declined:
-- ESF+ counts a person who declined apart, never as "no" (Regulation (EU) 2021/1057,
-- Annex I, note on special categories).
ALTER TABLE participants ADD COLUMN disability_declined BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE participants ADD COLUMN minority_declined BOOLEAN NOT NULL DEFAULT FALSE;
