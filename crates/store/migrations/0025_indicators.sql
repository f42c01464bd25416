-- Indicators and evaluation (issue 18).
--
-- ESF participant indicators count what a participant was on the day they entered the
-- operation (programme) and on the day they left it, so both are snapshots taken then,
-- not read from the record as it stands today. `esf_entries` is written in the
-- transaction that opens a case; `esf_exits` in the one that closes it (and removed
-- when it reopens). Cases opened before this migration get their snapshot from the
-- record as it stands now (the best knowledge there is). Special categories
-- (`disability`, `minority`) are `yes`, `no` or `declined`.
CREATE TABLE esf_entries (
    case_id UUID PRIMARY KEY REFERENCES cases (id),
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    programme_id UUID NOT NULL REFERENCES programmes (id),
    project_id UUID REFERENCES projects (id),
    entered_on DATE NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    nationality TEXT,
    isced_level SMALLINT,
    labour_status TEXT NOT NULL,
    disability TEXT NOT NULL,
    minority TEXT NOT NULL,
    migrant BOOLEAN NOT NULL,
    homeless BOOLEAN NOT NULL,
    rural BOOLEAN NOT NULL,
    single_parent BOOLEAN NOT NULL,
    dependants SMALLINT NOT NULL,
    territory_id UUID REFERENCES territories (id)
);
CREATE INDEX esf_entries_programme ON esf_entries (programme_id, entered_on);
CREATE INDEX esf_entries_participant ON esf_entries (participant_id);

CREATE TABLE esf_exits (
    case_id UUID PRIMARY KEY REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    left_on DATE NOT NULL,
    labour_status TEXT NOT NULL
);

-- The six-month follow-up of a participant who left: whether their labour-market
-- situation improved (EECR06), recorded by the case team.
CREATE TABLE esf_followups (
    case_id UUID PRIMARY KEY REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    improved BOOLEAN NOT NULL,
    note TEXT,
    recorded_on DATE NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

INSERT INTO esf_entries (case_id, participant_id, home_organisation_id, programme_id, project_id,
    entered_on, sex, birth_date, nationality, isced_level, labour_status, disability, minority,
    migrant, homeless, rural, single_parent, dependants, territory_id)
SELECT c.id, c.participant_id, c.home_organisation_id, c.programme_id, c.project_id,
    c.opened_on, p.sex, p.birth_date, p.nationality, p.isced_level, p.labour_status,
    CASE WHEN p.disability THEN 'yes' ELSE 'no' END, CASE WHEN p.minority THEN 'yes' ELSE 'no' END,
    p.migrant, p.homeless, p.rural, p.single_parent, p.dependants, p.territory_id
FROM cases c JOIN participants p ON p.id = c.participant_id;

INSERT INTO esf_exits (case_id, home_organisation_id, left_on, labour_status)
SELECT c.id, c.home_organisation_id, c.closed_on, p.labour_status
FROM cases c JOIN participants p ON p.id = c.participant_id
WHERE c.status = 'closed' AND c.closed_on IS NOT NULL;

-- The objectives sheet: per programme (or project) and period, an indicator with its
-- target; the achieved value is computed by a measure or entered by hand with its
-- evidence (`domain::objectives`).
CREATE TABLE objectives (
    id UUID PRIMARY KEY,
    programme_id UUID NOT NULL REFERENCES programmes (id),
    project_id UUID REFERENCES projects (id),
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    indicator_type TEXT NOT NULL,
    unit TEXT NOT NULL,
    comparison TEXT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    measure TEXT NOT NULL,
    baseline TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    manual_value DOUBLE PRECISION,
    evidence TEXT,
    version INTEGER NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_by UUID NOT NULL REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX objectives_programme ON objectives (programme_id, period_start, code);

-- The limits of a programme's protocol rules (`domain::compliance`), in days; a rule
-- with no row has SPEC §2's default. The incident and referral limits stay where the
-- work list reads them (`programmes.incident_response_days`, `referral_answer_days`).
CREATE TABLE protocol_rules (
    programme_id UUID NOT NULL REFERENCES programmes (id),
    rule TEXT NOT NULL,
    days SMALLINT NOT NULL,
    updated_by UUID NOT NULL REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (programme_id, rule)
);
