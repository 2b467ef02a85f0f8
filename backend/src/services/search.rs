//! Message search: what a member may find (promise 5: the chats they are in when they ask,
//! read from PostgreSQL, never a cache), newest first, a page at a time, with snippets
//! that are safe to insert as HTML.

use std::sync::LazyLock;

use confab_shared::api::{SearchHit, SearchPage, SearchQuery};
use confab_shared::limits::SEARCH_PAGE_SIZE;
use confab_shared::validate::{SearchCursor, SearchText};
use confab_shared::{ChatId, MessageId};

use crate::auth::Authenticated;
use crate::db::models::MessageRow;
use crate::db::search::{self, Hit};
use crate::db::{chats, messages};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A page of the messages matching `q.q` in my chats (only `q.chat_id`, which must be one of
/// mine, when given), after `q.before`.
pub async fn search(state: &AppState, me: &Authenticated, q: SearchQuery) -> AppResult<SearchPage> {
    let text = SearchText::parse(&q.q)?;
    let before = q.before.as_deref().map(SearchCursor::parse).transpose()?;
    let mut conn = state.conn().await?;
    // Promise 5: the chats I am a member of now, read by this very request.
    let mut chat_ids = chats::ids_for_user(&mut conn, me.user_id().0).await?;
    if let Some(ChatId(only)) = q.chat_id {
        if !chat_ids.contains(&only) {
            return Err(AppError::NotFound);
        }
        chat_ids = vec![only];
    }
    let page_size = usize::try_from(SEARCH_PAGE_SIZE).unwrap_or(usize::MAX);
    let mut hits = search::messages(
        &mut conn,
        &chat_ids,
        text.as_str(),
        before.map(|cursor| (cursor.created_at, cursor.id.0)),
        i64::from(SEARCH_PAGE_SIZE) + 1,
    )
    .await?;
    let has_more = hits.len() > page_size;
    hits.truncate(page_size);
    let rows: Vec<MessageRow> = hits.iter().map(|hit| hit.message.clone()).collect();
    let found = messages::to_api(&mut conn, &rows).await?;
    Ok(SearchPage {
        next_before: hits.last().filter(|_| has_more).map(position).map(|cursor| cursor.to_string()),
        results: found
            .into_iter()
            .zip(&hits)
            .map(|(message, hit)| SearchHit {
                chat_id: message.chat_id,
                snippet: sanitise(&hit.snippet),
                message,
            })
            .collect(),
        has_more,
    })
}

/// Where the next page starts: after this hit.
fn position(hit: &Hit) -> SearchCursor {
    SearchCursor { created_at: hit.message.created_at, id: MessageId(hit.message.id) }
}

/// Only `<mark>` survives, without attributes. The query escapes the body before
/// PostgreSQL marks it up, so this changes nothing today; it is what guarantees that a
/// snippet can never carry anything else into a page.
static SNIPPET: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder.add_tags(["mark"]);
    builder
});

fn sanitise(snippet: &str) -> String {
    SNIPPET.clean(snippet).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_keep_only_bare_marks() {
        assert_eq!(sanitise("a <mark>b</mark> &lt;script&gt;"), "a <mark>b</mark> &lt;script&gt;");
        assert_eq!(sanitise("<script>alert(1)</script><mark onclick=\"x\">b</mark>"), "<mark>b</mark>");
        assert_eq!(sanitise("<img src=x onerror=alert(1)>c & d"), "c &amp; d");
    }
}
