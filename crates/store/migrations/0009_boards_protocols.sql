-- The network's shared methodology: protocols and guides, versioned, with who has
-- confirmed reading each version; and improvement boards (consultations) where a
-- body's members post and vote cards, which the coordinator groups and turns into
-- agreements or protocol changes.

CREATE TABLE protocols (
    id UUID PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    programme_id UUID REFERENCES programmes (id),
    body_id UUID REFERENCES coordination_bodies (id),
    owner_organisation_id UUID NOT NULL REFERENCES organisations (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX protocols_programme ON protocols (programme_id);
CREATE INDEX protocols_body ON protocols (body_id);

-- Roles concerned: the membership role codes, separated by spaces.
CREATE TABLE protocol_versions (
    id UUID PRIMARY KEY,
    protocol_id UUID NOT NULL REFERENCES protocols (id),
    version INTEGER NOT NULL,
    summary TEXT NOT NULL,
    document_ref TEXT,
    valid_from DATE NOT NULL,
    valid_until DATE,
    roles TEXT NOT NULL,
    published_by UUID NOT NULL REFERENCES users (id),
    published_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX protocol_versions_number ON protocol_versions (protocol_id, version);

CREATE TABLE protocol_reads (
    version_id UUID NOT NULL REFERENCES protocol_versions (id),
    user_id UUID NOT NULL REFERENCES users (id),
    read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
CREATE INDEX protocol_reads_user ON protocol_reads (user_id);

-- A change proposed to a protocol (from a board's card or typed), until a version
-- applies it.
CREATE TABLE protocol_changes (
    id UUID PRIMARY KEY,
    protocol_id UUID NOT NULL REFERENCES protocols (id),
    text TEXT NOT NULL,
    applied_in UUID REFERENCES protocol_versions (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX protocol_changes_protocol ON protocol_changes (protocol_id);

CREATE TABLE boards (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES coordination_bodies (id),
    question TEXT NOT NULL,
    opens_on DATE NOT NULL,
    closes_on DATE NOT NULL,
    votes_per_member INTEGER,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX boards_body ON boards (body_id);

CREATE TABLE board_columns (
    id UUID PRIMARY KEY,
    board_id UUID NOT NULL REFERENCES boards (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX board_columns_board ON board_columns (board_id, position);

CREATE TABLE board_groups (
    id UUID PRIMARY KEY,
    board_id UUID NOT NULL REFERENCES boards (id),
    title TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX board_groups_board ON board_groups (board_id);

-- An anonymous card keeps no author (the audit log, which only auditors read, still
-- records who wrote it).
CREATE TABLE board_cards (
    id UUID PRIMARY KEY,
    board_id UUID NOT NULL REFERENCES boards (id),
    column_id UUID NOT NULL REFERENCES board_columns (id),
    text TEXT NOT NULL,
    author_id UUID REFERENCES users (id),
    author_organisation_id UUID REFERENCES organisations (id),
    group_id UUID REFERENCES board_groups (id),
    agreement_id UUID REFERENCES agreements (id),
    protocol_change_id UUID REFERENCES protocol_changes (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX board_cards_board ON board_cards (board_id, column_id);

CREATE TABLE board_votes (
    card_id UUID NOT NULL REFERENCES board_cards (id),
    user_id UUID NOT NULL REFERENCES users (id),
    board_id UUID NOT NULL REFERENCES boards (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (card_id, user_id)
);
CREATE INDEX board_votes_user ON board_votes (board_id, user_id);
