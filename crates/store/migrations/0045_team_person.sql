-- The access rule's team condition ("an organisation on the team of one of the
-- person's cases") took two index probes per person: the person's cases, then each
-- case's team. Each team membership now names its case's person too (a case's person
-- never changes), so that one probe of the next migration's index answers it. Rows
-- written by a server older than this migration get theirs when a newer server starts
-- (`schema::fill_team_persons`); until then such a membership is not counted (the rule
-- fails closed). The members' list and everything else still go through the case.
ALTER TABLE case_team_members ADD COLUMN participant_id UUID REFERENCES participants (id);
UPDATE case_team_members SET participant_id = (SELECT c.participant_id FROM cases c WHERE c.id = case_team_members.case_id);
