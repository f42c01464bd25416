-- Who is invited to a meeting: by default every member of the body; a meeting may
-- invite fewer (the teams as the matter requires). The calendar and its feed show a
-- professional the meetings they are invited to.
CREATE TABLE meeting_invitees (
    meeting_id UUID NOT NULL REFERENCES meetings (id),
    member_id UUID NOT NULL REFERENCES body_members (id),
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_invitees_member ON meeting_invitees (member_id);

INSERT INTO meeting_invitees (meeting_id, member_id)
SELECT m.id, bm.id FROM meetings m JOIN body_members bm ON bm.body_id = m.body_id AND bm.removed_at IS NULL;
