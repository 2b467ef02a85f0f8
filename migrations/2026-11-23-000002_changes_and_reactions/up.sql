-- Promise 4 for edits, deletions and reactions: every change to a chat's messages takes
-- the chat's next change number, stamped on the changed row. A client that remembers the
-- last change number it saw fetches everything after it; PostgreSQL is the log.
ALTER TABLE chats ADD COLUMN last_change bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;

UPDATE chats SET last_change = last_seq;
UPDATE messages SET change_seq = seq;

CREATE INDEX messages_chat_change ON messages (chat_id, change_seq);

CREATE TABLE message_reactions (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);
