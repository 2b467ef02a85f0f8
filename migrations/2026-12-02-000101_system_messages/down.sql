DROP INDEX messages_system;
ALTER TABLE messages DROP COLUMN system;
