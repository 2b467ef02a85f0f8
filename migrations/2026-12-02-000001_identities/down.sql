DROP TABLE oidc_attempts;
DROP TABLE user_identities;
-- Accounts that could only sign in with a provider can't sign in at all without it: they
-- are disabled (a disabled account's hash is never read).
UPDATE users SET disabled = true, password_hash = '' WHERE password_hash IS NULL;
ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;
