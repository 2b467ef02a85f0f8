-- confab's initial schema. PostgreSQL is the only source of truth.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- `GET /api/users?q=` searches by username prefix.
CREATE INDEX users_username_prefix ON users (username text_pattern_ops);

-- Promise 6: only the SHA-256 of the session token is stored.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE chats (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('direct', 'group')),
    title            text,
    owner_id         uuid REFERENCES users (id),
    closed           boolean NOT NULL DEFAULT false,
    -- Promise 3: the seq of the newest message, bumped in the inserting transaction.
    last_seq         bigint NOT NULL DEFAULT 0,
    -- A direct chat's two users, lower id first: one direct chat per pair.
    direct_low       uuid REFERENCES users (id),
    direct_high      uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    CHECK (
        (kind = 'direct' AND direct_low IS NOT NULL AND direct_high IS NOT NULL AND direct_low < direct_high
            AND title IS NULL AND owner_id IS NULL)
        OR (kind = 'group' AND direct_low IS NULL AND direct_high IS NULL AND title IS NOT NULL)
    ),
    UNIQUE (direct_low, direct_high)
);

CREATE TABLE chat_members (
    chat_id       uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('owner', 'member')),
    last_read_seq bigint NOT NULL DEFAULT 0,
    joined_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user_id ON chat_members (user_id);

CREATE TABLE messages (
    id         uuid PRIMARY KEY,
    chat_id    uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    sender_id  uuid NOT NULL REFERENCES users (id),
    -- Promise 2: a retry with the same (sender, client_id) finds the original.
    client_id  uuid NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz,
    deleted_at timestamptz,
    UNIQUE (chat_id, seq),
    UNIQUE (sender_id, client_id)
);
