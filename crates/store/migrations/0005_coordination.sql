-- Coordination at three levels: bodies with their members, meetings with agenda items,
-- attendance and minutes, and the agreements followed until done. Meetings keep the
-- body's local date and times as typed (the calendar shows them as they were agreed).

CREATE TABLE coordination_bodies (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    level SMALLINT NOT NULL,
    programme_id UUID REFERENCES programmes (id),
    project_id UUID REFERENCES projects (id),
    territory_id UUID REFERENCES territories (id),
    frequency TEXT NOT NULL,
    custom_days SMALLINT,
    first_meeting_on DATE,
    description TEXT,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

-- A member is an organisation as a whole (user_id NULL) or one of its professionals.
CREATE TABLE body_members (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES coordination_bodies (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    user_id UUID REFERENCES users (id),
    role TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    removed_at TIMESTAMPTZ
);
CREATE INDEX body_members_body ON body_members (body_id);
CREATE INDEX body_members_organisation ON body_members (organisation_id, body_id);
CREATE INDEX body_members_user ON body_members (user_id, body_id);

CREATE TABLE meetings (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES coordination_bodies (id),
    meeting_date DATE NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    mode TEXT NOT NULL,
    place TEXT,
    link TEXT,
    minutes_approved_at TIMESTAMPTZ,
    minutes_approved_by UUID REFERENCES users (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meetings_body ON meetings (body_id, meeting_date);

-- Agenda items: follow-up of an open agreement, a topic, or (level 3) a case.
CREATE TABLE meeting_items (
    id UUID PRIMARY KEY,
    meeting_id UUID NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    case_id UUID REFERENCES cases (id),
    agreement_id UUID,
    minutes TEXT
);
CREATE INDEX meeting_items_meeting ON meeting_items (meeting_id, position);

CREATE TABLE meeting_attendance (
    meeting_id UUID NOT NULL REFERENCES meetings (id),
    member_id UUID NOT NULL REFERENCES body_members (id),
    attendance TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE agreements (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES coordination_bodies (id),
    meeting_id UUID NOT NULL REFERENCES meetings (id),
    text TEXT NOT NULL,
    owner_organisation_id UUID NOT NULL REFERENCES organisations (id),
    owner_user_id UUID REFERENCES users (id),
    due_on DATE NOT NULL,
    case_id UUID REFERENCES cases (id),
    status TEXT NOT NULL,
    status_reason TEXT,
    done_on DATE,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agreements_body ON agreements (body_id, status, due_on);
CREATE INDEX agreements_owner_user ON agreements (owner_user_id, status, due_on);
CREATE INDEX agreements_owner_organisation ON agreements (owner_organisation_id, status, due_on);
