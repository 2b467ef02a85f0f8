-- Replies: a message may answer an earlier message of its chat. The quote a client shows
-- is read from the parent with every read (never copied), so an edited parent shows its
-- new text and a deleted one gives nothing away.
ALTER TABLE messages ADD COLUMN reply_to uuid REFERENCES messages (id) ON DELETE SET NULL;
-- Keeps the foreign key's checks cheap when messages are removed with their chat.
CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;
