-- A meeting that names nobody invites every member of its body, including members
-- named after it was convened; one that names invitees invites those.
ALTER TABLE meetings ADD COLUMN invites_all BOOLEAN NOT NULL DEFAULT TRUE;
