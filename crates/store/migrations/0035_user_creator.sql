-- Who created an account (an administrator; none for the command line and the demo):
-- that administrator never approves a role for it (four eyes), since they chose its
-- first password.
ALTER TABLE users ADD COLUMN created_by UUID REFERENCES users (id);
