-- Into work (issue 16): a case's employment contracts, the retention checks at 3, 6
-- and 12 months after a contract's start (facts the ESF+ results are computed from),
-- and the incidents of a training or a placement, passed at once to the case manager
-- and the reference social worker. Notices now also speak of incidents.

-- The national contract types, as data: Spain after the 2021 labour reform, Italy.
-- Their names are in the translation files (`contract_type.<code>`).
CREATE TABLE contract_types (
    code TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    open_ended BOOLEAN NOT NULL,
    training BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL
);
INSERT INTO contract_types (code, country, open_ended, training, active) VALUES
    ('es_indefinido', 'ES', TRUE, FALSE, TRUE),
    ('es_fijo_discontinuo', 'ES', TRUE, FALSE, TRUE),
    ('es_formativo_alternancia', 'ES', FALSE, TRUE, TRUE),
    ('es_formativo_practica', 'ES', FALSE, TRUE, TRUE),
    ('es_circunstancias_produccion', 'ES', FALSE, FALSE, TRUE),
    ('es_sustitucion', 'ES', FALSE, FALSE, TRUE),
    ('it_tempo_indeterminato', 'IT', TRUE, FALSE, TRUE),
    ('it_tempo_determinato', 'IT', FALSE, FALSE, TRUE),
    ('it_apprendistato', 'IT', FALSE, TRUE, TRUE),
    ('it_tirocinio', 'IT', FALSE, TRUE, TRUE);

CREATE TABLE contracts (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    employer_id UUID NOT NULL REFERENCES organisations (id),
    workplace TEXT,
    isco_code TEXT NOT NULL,
    position_title TEXT NOT NULL,
    contract_type TEXT NOT NULL REFERENCES contract_types (code),
    insertion BOOLEAN NOT NULL,
    hours_per_week DOUBLE PRECISION NOT NULL,
    start_on DATE NOT NULL,
    planned_end_on DATE,
    ended_on DATE,
    end_reason TEXT,
    tutor_id UUID REFERENCES users (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX contracts_case ON contracts (case_id, start_on);
CREATE INDEX contracts_employer ON contracts (employer_id, start_on);

CREATE TABLE retention_checks (
    id UUID PRIMARY KEY,
    contract_id UUID NOT NULL REFERENCES contracts (id),
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    months SMALLINT NOT NULL,
    due_on DATE NOT NULL,
    checked_on DATE,
    outcome TEXT,
    note TEXT,
    checked_by UUID REFERENCES users (id),
    checked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX retention_checks_contract ON retention_checks (contract_id, months);
CREATE INDEX retention_checks_pending ON retention_checks (case_id, due_on) WHERE checked_on IS NULL;

ALTER TABLE programmes ADD COLUMN incident_response_days SMALLINT NOT NULL DEFAULT 3;

CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    contract_id UUID REFERENCES contracts (id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    reporter TEXT NOT NULL,
    description TEXT NOT NULL,
    reported_by UUID NOT NULL REFERENCES users (id),
    reported_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    reported_at TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    responded_by UUID REFERENCES users (id),
    actions_agreed TEXT,
    resolution TEXT,
    resolved_on DATE,
    resolved_by UUID REFERENCES users (id),
    version INTEGER NOT NULL
);
CREATE INDEX incidents_case ON incidents (case_id, reported_at);
CREATE INDEX incidents_unanswered ON incidents (reported_at) WHERE first_response_at IS NULL;

-- Notices speak of an agreement or of an incident (and its case). The table is built
-- again because SQLite cannot drop a NOT NULL; the columns and the unique key that
-- running servers use stay as they were.
CREATE TABLE notifications_v2 (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    agreement_id UUID REFERENCES agreements (id),
    incident_id UUID REFERENCES incidents (id),
    case_id UUID REFERENCES cases (id),
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
INSERT INTO notifications_v2 (id, user_id, organisation_id, kind, agreement_id, created_at, read_at)
    SELECT id, user_id, organisation_id, kind, agreement_id, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v2 RENAME TO notifications;
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, kind, agreement_id);
CREATE UNIQUE INDEX notifications_incident_once ON notifications (user_id, kind, incident_id);
CREATE INDEX notifications_unread ON notifications (user_id, organisation_id, read_at);
