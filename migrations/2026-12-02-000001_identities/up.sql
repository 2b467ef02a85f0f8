-- Sign in with an identity provider (OpenID Connect). An account made by a provider has
-- no password until its owner sets one: password sign-in simply fails for it.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- Who a provider says a user is: its issuer and the subject (`sub`) it gives them, which
-- together never change and are never reused. Never an email or a username: those are
-- not proof of the same person.
CREATE TABLE user_identities (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer     text NOT NULL,
    subject    text NOT NULL,
    -- What the provider last said the email was: shown to the owner, never matched on.
    email      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user_id ON user_identities (user_id);

-- Sign-ins under way: what the callback must check (state, nonce, PKCE verifier), bound
-- to one browser by the SHA-256 of a random token in a short-lived cookie. The callback
-- deletes the row it uses, so an attempt can be used once.
CREATE TABLE oidc_attempts (
    token_hash    bytea PRIMARY KEY,
    provider      text NOT NULL,
    state         text NOT NULL,
    nonce         text NOT NULL,
    pkce_verifier text NOT NULL,
    return_to     text NOT NULL,
    -- Set when a signed-in user links a provider to their account instead of signing in.
    link_user_id  uuid REFERENCES users (id) ON DELETE CASCADE,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX oidc_attempts_expires_at ON oidc_attempts (expires_at);
