-- A second factor (TOTP, RFC 6238) per account, its single-use recovery codes, the
-- sign-ins waiting for their second step, and resets of a lost factor (a second
-- administrator approves: four eyes).
CREATE TABLE second_factors (
    user_id UUID PRIMARY KEY REFERENCES users (id),
    secret TEXT NOT NULL,
    last_step BIGINT NOT NULL,
    confirmed_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE recovery_codes (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
CREATE TABLE signin_challenges (
    id_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    secret TEXT,
    failures INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX signin_challenges_created ON signin_challenges (created_at);
CREATE TABLE second_factor_resets (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    requested_by UUID NOT NULL REFERENCES users (id),
    requested_at TIMESTAMPTZ NOT NULL,
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ,
    approved BOOLEAN
);
CREATE INDEX second_factor_resets_user ON second_factor_resets (user_id);
