-- Mentions: the members a message's `@username`s named when it was written (or last
-- edited). A row per mentioned member, with the message's chat and seq copied, so a
-- member's unread mentions in a chat (seq past their read position) are one index range.
CREATE TABLE message_mentions (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id    uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_unread ON message_mentions (user_id, chat_id, seq);

-- A member may mute a chat: it no longer notifies them, but a mention of them still does.
ALTER TABLE chat_members ADD COLUMN muted boolean NOT NULL DEFAULT false;
