-- System messages: a change to a chat (rename, members, closing, ownership) told in its
-- own history, with the chat's next seq like any message, so catch-up and every device
-- see it. `system` holds what happened (`confab_shared::api::SystemEvent`); the body
-- stays empty. They never count as unread: the chat list subtracts the ones after a
-- member's read position, found through this index.
ALTER TABLE messages ADD COLUMN system jsonb;
CREATE INDEX messages_system ON messages (chat_id, seq) WHERE system IS NOT NULL;
