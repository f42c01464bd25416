-- Notices for a professional: an agreement assigned to them, or overdue. One notice
-- per kind and agreement and person; read ones are kept.
CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    agreement_id UUID NOT NULL REFERENCES agreements (id),
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, kind, agreement_id);
CREATE INDEX notifications_unread ON notifications (user_id, organisation_id, read_at);
