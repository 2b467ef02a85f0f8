-- Full-text search over messages (`GET /api/search`).
--
-- The words of each body, kept by PostgreSQL itself (a generated column, so every insert,
-- edit and deletion updates it in the same statement) and indexed with GIN.
--
-- `simple`, not `english`: it lower-cases words and does nothing else. Team chat mixes
-- names, code, URLs and languages; a language's configuration stems by its own rules
-- ("Müller", "données" and "deployed" go through English stemming) and drops its stop
-- words, so "to be or not to be" or "who is on it" would find nothing at all. With
-- `simple` a word matches as typed, in any language; the price is that "deploy" does not
-- find "deployed".
--
-- Bodies are Markdown, not HTML, but PostgreSQL's parser skips anything that looks like a
-- tag (`<div>`, `Vec<T>`, `<script>…</script>`). Escaped first, every character the sender
-- typed is text to it, and `ts_headline` over the same escaped text returns HTML in which
-- the only tags are the highlights it adds.
CREATE FUNCTION html_escape(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN replace(replace(replace($1, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');

ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', html_escape(body))) STORED;

CREATE INDEX messages_search ON messages USING gin (search);
