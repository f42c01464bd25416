-- One open referral of a case to an organisation at a time, also when two are sent at
-- once from two servers (the service checks first, for the message).
CREATE UNIQUE INDEX referrals_one_open ON referrals (case_id, to_organisation_id)
    WHERE status IN ('sent', 'accepted', 'in_progress');
