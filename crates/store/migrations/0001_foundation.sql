-- Itinera foundation schema. One file for both engines: PostgreSQL type names are used
-- throughout; SQLite accepts them (UUID is stored as a 16-byte BLOB, dates and times as
-- ISO-8601 TEXT, BOOLEAN as 0/1). The only dialect token is {collate_c}: search keys
-- compare byte-wise on both engines so that prefix ranges use the index.
--
-- Distribution (Citus-style): every person-centric table carries home_organisation_id,
-- the organisation that registered the person; it is the distribution key. Reference
-- tables (territories, organisations, programmes, users) are replicated.

CREATE TABLE territories (
    id UUID PRIMARY KEY,
    parent_id UUID REFERENCES territories (id),
    level TEXT NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX territories_level_code ON territories (level, code);
CREATE INDEX territories_parent ON territories (parent_id);

CREATE TABLE organisations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    territory_id UUID REFERENCES territories (id),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations (name);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    locale TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE memberships (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX memberships_user_org_role ON memberships (user_id, organisation_id, role);
CREATE INDEX memberships_org ON memberships (organisation_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE programmes (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    feeds_programme_id UUID REFERENCES programmes (id),
    start_date DATE,
    end_date DATE,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX programmes_code ON programmes (code);

CREATE TABLE programme_phases (
    programme_id UUID NOT NULL REFERENCES programmes (id),
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (programme_id, code)
);

CREATE TABLE funding_sources (
    id UUID PRIMARY KEY,
    programme_id UUID NOT NULL REFERENCES programmes (id),
    fund TEXT NOT NULL,
    share_bp INTEGER NOT NULL
);
CREATE INDEX funding_sources_programme ON funding_sources (programme_id);

CREATE TABLE projects (
    id UUID PRIMARY KEY,
    programme_id UUID NOT NULL REFERENCES programmes (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    territory_id UUID REFERENCES territories (id),
    organisation_id UUID REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX projects_programme_code ON projects (programme_id, code);

CREATE TABLE participants (
    id UUID PRIMARY KEY,
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    given_name TEXT NOT NULL,
    surname1 TEXT NOT NULL,
    surname2 TEXT,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    nationality TEXT,
    address TEXT,
    postcode TEXT,
    territory_id UUID REFERENCES territories (id),
    phone TEXT,
    email TEXT,
    isced_level SMALLINT,
    labour_status TEXT NOT NULL,
    labour_status_since DATE,
    disability BOOLEAN NOT NULL,
    disability_degree SMALLINT,
    dependants SMALLINT NOT NULL,
    single_parent BOOLEAN NOT NULL,
    homeless BOOLEAN NOT NULL,
    migrant BOOLEAN NOT NULL,
    minority BOOLEAN NOT NULL,
    rural BOOLEAN NOT NULL,
    surname_key TEXT {collate_c} NOT NULL,
    given_key TEXT {collate_c} NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX participants_surname_key ON participants (surname_key, given_key, id);
CREATE INDEX participants_given_key ON participants (given_key, surname_key, id);
CREATE INDEX participants_home ON participants (home_organisation_id, surname_key);

CREATE TABLE participant_documents (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    number TEXT {collate_c} NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX participant_documents_kind_number ON participant_documents (kind, number);
CREATE INDEX participant_documents_number ON participant_documents (number);
CREATE INDEX participant_documents_participant ON participant_documents (participant_id);

CREATE TABLE consents (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    purpose TEXT NOT NULL,
    given_on DATE NOT NULL,
    expires_on DATE,
    withdrawn_on DATE,
    withdrawal_note TEXT,
    evidence TEXT NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_participant ON consents (participant_id, purpose);

CREATE TABLE consent_scopes (
    consent_id UUID NOT NULL REFERENCES consents (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    organisation_id UUID REFERENCES organisations (id),
    organisation_kind TEXT
);
CREATE INDEX consent_scopes_consent ON consent_scopes (consent_id);

CREATE TABLE cases (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    programme_id UUID NOT NULL REFERENCES programmes (id),
    project_id UUID REFERENCES projects (id),
    opened_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    case_manager_id UUID NOT NULL REFERENCES users (id),
    phase TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_on DATE NOT NULL,
    closed_on DATE,
    exit_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_participant ON cases (participant_id);
CREATE INDEX cases_programme_phase ON cases (programme_id, status, phase);
CREATE INDEX cases_programme_opened ON cases (programme_id, opened_on, id);
CREATE UNIQUE INDEX cases_one_live_per_programme ON cases (participant_id, programme_id) WHERE status <> 'closed';

CREATE TABLE case_team_members (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    removed_at TIMESTAMPTZ
);
CREATE INDEX case_team_members_case ON case_team_members (case_id);
CREATE INDEX case_team_members_org ON case_team_members (organisation_id, case_id);
CREATE INDEX case_team_members_user ON case_team_members (user_id);

CREATE TABLE case_events (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    from_phase TEXT,
    to_phase TEXT,
    from_status TEXT,
    to_status TEXT,
    reason TEXT,
    actor_id UUID NOT NULL REFERENCES users (id),
    actor_organisation_id UUID NOT NULL REFERENCES organisations (id),
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_user_id UUID,
    actor_organisation_id UUID,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    request_id TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_id);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);
