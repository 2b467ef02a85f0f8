-- Markdown is rendered once, when a message is written (or edited), not on every read.
-- Rows written before this migration have '' here and are rendered when read.
ALTER TABLE messages ADD COLUMN body_html text NOT NULL DEFAULT '';
