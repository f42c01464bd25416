-- The network's resource catalogue (issue 17), exchanged in Open Referral HSDS 3.0.
-- Reference data, not person data: no organisation column for distribution. A provider
-- is an HSDS organization; when it is one of the network's organisations it carries its
-- id (and has the same one). A referral may name the resource it is to.
CREATE TABLE resource_providers (
    id UUID PRIMARY KEY,
    organisation_id UUID REFERENCES organisations (id),
    name TEXT NOT NULL,
    name_key TEXT {collate_c} NOT NULL,
    description TEXT NOT NULL,
    email TEXT,
    website TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX resource_providers_name ON resource_providers (name_key);

CREATE TABLE resources (
    id UUID PRIMARY KEY,
    provider_id UUID NOT NULL REFERENCES resource_providers (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT,
    eligibility TEXT,
    minimum_age INTEGER,
    maximum_age INTEGER,
    territory TEXT NOT NULL,
    schedule TEXT,
    capacity INTEGER,
    places_available INTEGER,
    phone TEXT,
    email TEXT,
    url TEXT,
    address TEXT,
    city TEXT,
    postal_code TEXT,
    province TEXT,
    country TEXT,
    languages TEXT NOT NULL,
    fees TEXT,
    cost_cents BIGINT,
    application_process TEXT,
    search_key TEXT {collate_c} NOT NULL,
    territory_key TEXT {collate_c} NOT NULL,
    eligibility_key TEXT {collate_c} NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX resources_category ON resources (category, kind, status);
CREATE INDEX resources_provider ON resources (provider_id);

ALTER TABLE referrals ADD COLUMN resource_id UUID REFERENCES resources (id);
