-- An idempotent replay of a creation answers with the same `Location` as the first
-- answer did: the address is kept with the answer.
ALTER TABLE idempotency_keys ADD COLUMN location TEXT;

-- One active membership of a body per organisation (as a whole) or per user of it. The
-- service refuses a second one; these indexes hold it when two requests race. A
-- duplicate an older version let in is ended first (the older membership stays).
UPDATE body_members SET removed_at = added_at
 WHERE removed_at IS NULL AND EXISTS (
   SELECT 1 FROM body_members o
    WHERE o.body_id = body_members.body_id AND o.organisation_id = body_members.organisation_id
      AND ((o.user_id IS NULL AND body_members.user_id IS NULL) OR o.user_id = body_members.user_id)
      AND o.removed_at IS NULL
      AND (o.added_at < body_members.added_at OR (o.added_at = body_members.added_at AND o.id < body_members.id)));
CREATE UNIQUE INDEX body_members_one_user ON body_members (body_id, organisation_id, user_id)
 WHERE removed_at IS NULL AND user_id IS NOT NULL;
CREATE UNIQUE INDEX body_members_one_organisation ON body_members (body_id, organisation_id)
 WHERE removed_at IS NULL AND user_id IS NULL;
