-- Households (issue 17): the people a participant lives with (unidad de convivencia,
-- nucleo familiare). Person-centric tables: they carry the organisation that recorded
-- the household. Members are participants (their own record and access rule) or people
-- who are not (by name); they join and leave on dates, so the history stays. A
-- participant is a current member of one household at a time.
CREATE TABLE households (
    id UUID PRIMARY KEY,
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    formed_on DATE NOT NULL,
    ended_on DATE,
    notes TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE household_members (
    id UUID PRIMARY KEY,
    household_id UUID NOT NULL REFERENCES households (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    participant_id UUID REFERENCES participants (id),
    name TEXT,
    relationship TEXT NOT NULL,
    head BOOLEAN NOT NULL,
    birth_year INTEGER,
    dependent BOOLEAN NOT NULL,
    joined_on DATE NOT NULL,
    left_on DATE,
    left_note TEXT,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX household_members_household ON household_members (household_id, joined_on);
CREATE UNIQUE INDEX household_members_current ON household_members (participant_id)
    WHERE left_on IS NULL AND participant_id IS NOT NULL;

CREATE TABLE household_changes (
    id UUID PRIMARY KEY,
    household_id UUID NOT NULL REFERENCES households (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    member_id UUID REFERENCES household_members (id),
    kind TEXT NOT NULL,
    on_date DATE NOT NULL,
    note TEXT,
    by_user UUID NOT NULL REFERENCES users (id),
    by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX household_changes_household ON household_changes (household_id, at);
