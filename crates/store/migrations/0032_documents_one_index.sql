-- Documents: one index where there were two. The unique key (a kind and number once per
-- organisation) now leads with the number, so it also serves the lookups and prefix
-- searches by number that had an index of their own: one B-tree fewer to update per
-- document, which an import of 100,000 rows feels while it holds SQLite's writer.
-- Servers still running the older code meanwhile keep working: their queries use this
-- index the same way, and a duplicate number reaches them as a plain conflict.
CREATE UNIQUE INDEX participant_documents_number_key ON participant_documents (number, kind, home_organisation_id);
DROP INDEX participant_documents_org_kind_number;
DROP INDEX participant_documents_number;
