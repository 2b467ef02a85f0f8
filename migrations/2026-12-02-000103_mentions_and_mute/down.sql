ALTER TABLE chat_members DROP COLUMN muted;
DROP TABLE message_mentions;
