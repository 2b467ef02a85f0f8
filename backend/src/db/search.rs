//! Full-text search over messages: the generated, GIN-indexed `search` column (the words of
//! the escaped body; see the `message_search` migration) matched against what a person
//! typed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_full_text_search::configuration::TsConfigurationByName;
use diesel_full_text_search::{
    RegConfig, TsQuery, TsVectorExtensions, querytree, websearch_to_tsquery_with_search_config,
};
use uuid::Uuid;

use super::models::MessageRow;
use super::schema::messages;

diesel::define_sql_function! {
    /// A few words of `document` around the matches of `query`, marked up as `options` say.
    fn ts_headline(config: RegConfig, document: Text, query: TsQuery, options: Text) -> Text;
}

diesel::define_sql_function! {
    /// `&`, `<` and `>` as HTML entities (created by the `message_search` migration).
    fn html_escape(text: Text) -> Text;
}

/// The configuration the `search` column is built with: words lower-cased, nothing more.
const CONFIG: TsConfigurationByName = TsConfigurationByName("simple");

/// Snippets: the words around the first match, 15 to 30 of them (a short message whole),
/// short words and punctuation at the edges kept, each match in a `<mark>`. The text is
/// escaped before, so these are the only tags.
const HEADLINE: &str = "StartSel=<mark>, StopSel=</mark>, MinWords=15, MaxWords=30, ShortWord=0";

/// A message found and its snippet: HTML, the body's text escaped, the matches marked.
#[derive(Debug, Clone)]
pub struct Hit {
    pub message: MessageRow,
    pub snippet: String,
}

/// A message's place in the order of results: `(created_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// Up to `limit` messages matching `text`, read as a web search (words, `"phrases"`,
/// `-word`, `or`), newest first, after `before`: only live messages of the chats `chat_ids`.
/// A search with no word to look for (`-word` alone) finds nothing: it would match nearly
/// every message, and no index can serve it.
///
/// The chats are one array, not a join: PostgreSQL then reads the index once for all of
/// them (a join on `chat_members` made it scan it again for each chat).
pub async fn messages(
    conn: &mut AsyncPgConnection,
    chat_ids: &[Uuid],
    text: &str,
    before: Option<Position>,
    limit: i64,
) -> QueryResult<Vec<Hit>> {
    let query = websearch_to_tsquery_with_search_config(CONFIG, text);
    let mut found = messages::table
        .filter(messages::chat_id.eq_any(chat_ids))
        .filter(messages::search.matches(query))
        .filter(querytree(query).ne("T"))
        .filter(messages::deleted_at.is_null())
        .select((MessageRow::as_select(), ts_headline(CONFIG, html_escape(messages::body), query, HEADLINE)))
        .order((messages::created_at.desc(), messages::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = before {
        found = found
            .filter(messages::created_at.lt(at).or(messages::created_at.eq(at).and(messages::id.lt(id))));
    }
    let rows: Vec<(MessageRow, String)> = found.load(conn).await?;
    Ok(rows.into_iter().map(|(message, snippet)| Hit { message, snippet }).collect())
}
