-- Referrals that close the loop (issue 17): a case sent by a professional of its team
-- to another organisation, with a reason, an urgency and what is shared; answered
-- (accepted: a professional of the receiver joins the team; or rejected, with a
-- reason), worked and closed with an outcome, or cancelled by the sender. Each step is
-- kept with who took it and when. A programme says how many days a referral may wait
-- for its answer.
ALTER TABLE programmes ADD COLUMN referral_answer_days SMALLINT NOT NULL DEFAULT 7;

CREATE TABLE referrals (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    from_organisation_id UUID NOT NULL REFERENCES organisations (id),
    sent_by UUID NOT NULL REFERENCES users (id),
    to_organisation_id UUID NOT NULL REFERENCES organisations (id),
    reason TEXT NOT NULL,
    urgency TEXT NOT NULL,
    -- What is shared besides the name: codes separated by commas.
    shared TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    answered_at TIMESTAMPTZ,
    rejection_reason TEXT,
    assignee_id UUID REFERENCES users (id),
    started_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    outcome TEXT,
    outcome_note TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id, sent_at);
CREATE INDEX referrals_to ON referrals (to_organisation_id, status, sent_at);
CREATE INDEX referrals_from ON referrals (from_organisation_id, status, sent_at);

CREATE TABLE referral_steps (
    id UUID PRIMARY KEY,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    home_organisation_id UUID NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    note TEXT
);
CREATE INDEX referral_steps_referral ON referral_steps (referral_id, at);

-- The notification centre speaks of referrals too: received, answered, closed,
-- unanswered past the limit.
ALTER TABLE notifications ADD COLUMN referral_id UUID REFERENCES referrals (id);
CREATE UNIQUE INDEX notifications_referral_once ON notifications (user_id, kind, referral_id);
