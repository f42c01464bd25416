-- Folded names (lower case, without accents or punctuation: `domain::text::fold`) for
-- the searches of users and organisations. SQLite's lower() folds ASCII letters only,
-- so "ángela" did not find "Ángela" there, and "angela" found her on neither engine.
-- The server fills the keys of the rows that have none after migrating
-- (`schema::fill_name_keys`), and keeps them with each name.
ALTER TABLE users ADD COLUMN name_key TEXT;
ALTER TABLE organisations ADD COLUMN name_key TEXT;
