-- A user lists and revokes their own sessions. The token hash stays private to the
-- server, so each session gets an opaque id to be named by; the browser that opened it
-- (its User-Agent) and when it was last used tell the owner which session is which.
ALTER TABLE sessions ADD COLUMN id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now();
UPDATE sessions SET last_used_at = created_at;
