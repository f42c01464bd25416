-- Trainers and workplace tutors as users (issue 16). A course names its trainers:
-- users with the role `trainer` at the provider, who take its attendance and report
-- its incidents, and see no more than that (`access::scoped_basis`).
CREATE TABLE course_trainers (
    course_id UUID NOT NULL REFERENCES courses (id),
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_trainers_user ON course_trainers (user_id);
CREATE INDEX contracts_tutor ON contracts (tutor_id);
CREATE INDEX incidents_reporter ON incidents (reported_by, reported_at);

-- E-mail of notices, optional and off by default: an outbox row is written in the
-- notice's transaction and sent after commit by the mail sender, with retries. The
-- message names no person: a kind of notice and a link.
CREATE TABLE mail_outbox (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    address TEXT NOT NULL,
    locale TEXT NOT NULL,
    kind TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The notification centre also speaks of retention checks and follow-up contacts that
-- fall due (issue 16): once per person told, per check, and per follow-up date.
ALTER TABLE notifications ADD COLUMN retention_check_id UUID REFERENCES retention_checks (id);
ALTER TABLE notifications ADD COLUMN contract_id UUID REFERENCES contracts (id);
ALTER TABLE notifications ADD COLUMN due_on DATE;
CREATE UNIQUE INDEX notifications_retention_once ON notifications (user_id, kind, retention_check_id);
CREATE UNIQUE INDEX notifications_follow_up_once ON notifications (user_id, kind, contract_id, due_on);
