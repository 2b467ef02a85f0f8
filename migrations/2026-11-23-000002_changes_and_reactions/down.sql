DROP TABLE message_reactions;
DROP INDEX messages_chat_change;
ALTER TABLE messages DROP COLUMN change_seq;
ALTER TABLE chats DROP COLUMN last_change;
