-- Benefits and in-kind support a person receives (issue 17): their types are data per
-- country, named in the translation files (`benefit_type.<code>`). A benefit belongs
-- to the person (a person-centric table: it carries the registering organisation) and
-- is seen by whoever may see the person; the case team sees it beside the itinerary.
CREATE TABLE benefit_types (
    code TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    in_kind BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL
);
INSERT INTO benefit_types (code, country, in_kind, active) VALUES
    ('es_imv', 'ES', FALSE, TRUE),
    ('es_renta_garantizada_ex', 'ES', FALSE, TRUE),
    ('es_emergencia_social', 'ES', FALSE, TRUE),
    ('es_prestacion_desempleo', 'ES', FALSE, TRUE),
    ('es_subsidio_desempleo', 'ES', FALSE, TRUE),
    ('es_ayuda_alquiler', 'ES', FALSE, TRUE),
    ('es_alimentos', 'ES', TRUE, TRUE),
    ('it_adi', 'IT', FALSE, TRUE),
    ('it_sfl', 'IT', FALSE, TRUE),
    ('it_naspi', 'IT', FALSE, TRUE),
    ('it_contributo_affitto', 'IT', FALSE, TRUE),
    ('it_pacco_alimentare', 'IT', TRUE, TRUE);

CREATE TABLE benefits (
    id UUID PRIMARY KEY,
    participant_id UUID NOT NULL REFERENCES participants (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    benefit_type TEXT NOT NULL REFERENCES benefit_types (code),
    granting_body TEXT NOT NULL,
    amount_cents BIGINT,
    period TEXT,
    start_on DATE NOT NULL,
    end_on DATE,
    status TEXT NOT NULL,
    conditions TEXT,
    review_on DATE,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_by_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX benefits_participant ON benefits (participant_id, start_on);
CREATE INDEX benefits_ending ON benefits (status, end_on);
CREATE INDEX benefits_review ON benefits (status, review_on);
