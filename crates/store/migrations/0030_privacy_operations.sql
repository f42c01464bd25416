-- The data subject's rights beyond access and retention (issue 20): a record can be
-- frozen (restricted) by the data-protection office, held against erasure, and
-- anonymised — by request, or by the retention rules the server applies once a day.
ALTER TABLE participants ADD COLUMN restricted_at TIMESTAMPTZ;
ALTER TABLE participants ADD COLUMN anonymised_at TIMESTAMPTZ;

-- Every restriction and its lifting, under the references of the person's requests.
CREATE TABLE restrictions (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL,
    placed_by UUID NOT NULL REFERENCES users (id),
    lifted_at TIMESTAMPTZ,
    lifted_by UUID REFERENCES users (id),
    lift_reference TEXT,
    lift_reason TEXT
);
CREATE INDEX restrictions_participant ON restrictions (participant_id, placed_at);

-- Holds the office places against erasure (an inspection, a court case).
CREATE TABLE legal_holds (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    until DATE,
    placed_at TIMESTAMPTZ NOT NULL,
    placed_by UUID NOT NULL REFERENCES users (id),
    released_at TIMESTAMPTZ,
    released_by UUID REFERENCES users (id)
);
CREATE INDEX legal_holds_participant ON legal_holds (participant_id);

-- Retention rules per kind of record; a kind without a row keeps its default period.
-- period NULL: kept until a rule is set.
CREATE TABLE retention_rules (
    kind TEXT PRIMARY KEY,
    period INTEGER,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID NOT NULL REFERENCES users (id)
);

-- Every application of the rules, dry or real, with its report. A scheduled run is
-- unique per day, so several servers of one deployment apply the rules once.
CREATE TABLE retention_runs (
    id UUID PRIMARY KEY,
    scheduled_on DATE UNIQUE,
    dry_run BOOLEAN NOT NULL,
    run_by UUID REFERENCES users (id),
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    report TEXT
);
CREATE INDEX retention_runs_started ON retention_runs (started_at);

-- Every anonymisation: by a request (its reference) or by a retention run.
CREATE TABLE erasures (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    reference TEXT,
    run_id UUID REFERENCES retention_runs (id),
    erased_at TIMESTAMPTZ NOT NULL,
    erased_by UUID REFERENCES users (id)
);
CREATE INDEX erasures_participant ON erasures (participant_id);
CREATE INDEX cases_closed_on ON cases (closed_on);

-- One holiday per day and territory (or nation), held by the database too: two
-- administrators adding the same day at once cannot both succeed.
CREATE UNIQUE INDEX public_holidays_national_day ON public_holidays (day) WHERE territory_id IS NULL;
CREATE UNIQUE INDEX public_holidays_territory_day ON public_holidays (territory_id, day) WHERE territory_id IS NOT NULL;
