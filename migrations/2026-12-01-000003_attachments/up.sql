-- Files shared in chats. The bytes live in storage (local disk or S3) under `storage_key`;
-- a row is `pending` from the start of the upload until its completion checked the stored
-- object, then `ready`, and attached to one message at most. Rows never attached are
-- deleted (with their objects) after a day.
CREATE TABLE attachments (
    id uuid PRIMARY KEY,
    chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    uploader_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id uuid REFERENCES messages (id) ON DELETE CASCADE,
    filename text NOT NULL,
    -- What the uploader declared; `sniffed_type`, read from the bytes, decides how the
    -- file is served.
    content_type text NOT NULL,
    sniffed_type text,
    size bigint NOT NULL CHECK (size >= 0),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
    storage_key text NOT NULL UNIQUE,
    thumbnail_key text,
    width integer,
    height integer,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unattached ON attachments (created_at) WHERE message_id IS NULL;
