//! Messages: sending (durable, idempotent, ordered: promises 1–3) and reading history.

use confab_shared::api::{ChangesPage, ChangesQuery, HistoryQuery, Message, MessagePage, SendMessageRequest};
use confab_shared::limits::{
    ATTACHMENTS_PER_MESSAGE_MAX, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, REACTIONS_PER_MESSAGE_MAX,
};
use confab_shared::mentions;
use confab_shared::validate::{MessageBody, ReactionEmoji};
use confab_shared::ws::ServerEvent;
use confab_shared::{AttachmentId, ChatId, MessageId};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::chats::{VIEW_CACHE_TTL, forget_newest_page, require_member};
use crate::auth::Authenticated;
use crate::cache::keys;
use crate::db::chats;
use crate::db::messages::{self, Changed, Cursor, NewMessage, Toggle};
use crate::db::models::MessageRow;
use crate::error::{AppError, AppResult};
pub use crate::ingest::Sent;
use crate::markdown::{self, Directory};
use crate::state::AppState;

/// Stores a message through the group commit (promises 1–3, 5) and, once committed, fans
/// `message_created` out to every connection of every member (the sender's own tabs
/// included: that is their ack). Markdown is rendered here, once, in the caller's task.
///
/// Files: my own ready, unattached uploads to this chat, at most
/// [`ATTACHMENTS_PER_MESSAGE_MAX`]; the body may then be empty. Whether they still are is
/// decided in the commit's transaction, so a file can't be attached twice. A reply's
/// parent is checked there too, after membership (a non-member learns nothing of it).
pub async fn send(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    request: SendMessageRequest,
) -> AppResult<Sent> {
    let SendMessageRequest { client_id, body, attachment_ids, reply_to } = request;
    let body = if attachment_ids.is_empty() {
        MessageBody::parse(&body)?
    } else {
        MessageBody::parse_optional(&body)?
    };
    let attachment_ids = distinct_attachments(&attachment_ids)?;
    state.limits.check_send(me.user_id()).await?;
    // Mentions are resolved against the members now; only a body naming someone costs a
    // query (whether the sender may send at all is decided in the commit).
    let names = named(body.as_str());
    let members = if names.is_empty() {
        Directory::new()
    } else {
        directory(&mut *state.conn().await?, chat_id, &names).await?
    };
    let rendered = markdown::render(body.as_str(), &members);
    state
        .ingest
        .send(NewMessage {
            id: Uuid::new_v4(),
            chat_id: chat_id.0,
            sender_id: me.user_id().0,
            client_id: client_id.0,
            body: body.into_inner(),
            body_html: rendered.html,
            attachment_ids,
            reply_to: reply_to.map(|id| id.0),
            mentions: rendered.mentions,
        })
        .await
}

/// The usernames `body` mentions, lower-cased, each once.
fn named(body: &str) -> Vec<String> {
    let mut names: Vec<String> = mentions::find(body).map(|m| m.username.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The members of the chat among `names`, as the renderer looks them up.
async fn directory(conn: &mut AsyncPgConnection, chat_id: ChatId, names: &[String]) -> AppResult<Directory> {
    if names.is_empty() {
        return Ok(Directory::new());
    }
    let found = chats::members_named(conn, chat_id.0, names).await?;
    Ok(found.into_iter().map(|(id, name)| (name, id)).collect())
}

fn distinct_attachments(ids: &[AttachmentId]) -> AppResult<Vec<Uuid>> {
    if ids.len() > ATTACHMENTS_PER_MESSAGE_MAX {
        return Err(AppError::Validation(format!(
            "a message can carry at most {ATTACHMENTS_PER_MESSAGE_MAX} files"
        )));
    }
    let mut distinct: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != ids.len() {
        return Err(AppError::Validation("a file is named twice".into()));
    }
    Ok(distinct)
}

/// A page of a chat's history, ascending by seq (promise 4 uses `after`).
pub async fn history(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    q: HistoryQuery,
) -> AppResult<MessagePage> {
    require_member(state, chat_id, me.user_id()).await?;
    let limit = page_limit(q.limit)?;
    let cursor = match (q.before, q.after, q.around) {
        (_, _, Some(seq)) | (Some(seq), _, _) | (_, Some(seq), _) if seq < 0 => {
            return Err(AppError::Validation("seq must not be negative".into()));
        }
        (Some(seq), None, None) => Cursor::Before(seq),
        (None, Some(seq), None) => Cursor::After(seq),
        (None, None, Some(seq)) => return around(state, chat_id, seq, limit).await,
        (None, None, None) => Cursor::Latest,
        _ => return Err(AppError::Validation("give one of before, after and around".into())),
    };
    // The newest page at the default size is what every client opens a chat with: cached.
    let family = keys::newest_page(chat_id);
    let cacheable = cursor == Cursor::Latest && limit == i64::from(PAGE_LIMIT_DEFAULT);
    let cached = if cacheable { Some(state.cache.get_versioned::<MessagePage>(&family).await) } else { None };
    if let Some(page) = cached.as_ref().and_then(|c| c.value.clone()) {
        return Ok(page);
    }
    let mut conn = state.conn().await?;
    let (rows, has_more) = messages::page(&mut conn, chat_id.0, cursor, limit).await?;
    let page = MessagePage { messages: messages::to_api(&mut conn, &rows).await?, has_more, has_newer: None };
    if let Some(cached) = cached {
        state.cache.set_versioned(&family, cached.version, &page, VIEW_CACHE_TTL).await;
    }
    Ok(page)
}

/// The page around `seq`, for jumping to a message (a reply's parent, a search hit).
async fn around(state: &AppState, chat_id: ChatId, seq: i64, limit: i64) -> AppResult<MessagePage> {
    let mut conn = state.conn().await?;
    let around = messages::around(&mut conn, chat_id.0, seq, limit).await?;
    Ok(MessagePage {
        messages: messages::to_api(&mut conn, &around.rows).await?,
        has_more: around.has_older,
        has_newer: Some(around.has_newer),
    })
}

/// Promise 4 for changes: messages created, edited, deleted or re-reacted after change
/// number `since`, in change order. A client that was away fetches this after
/// re-subscribing and merges by id.
pub async fn changes(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    q: ChangesQuery,
) -> AppResult<ChangesPage> {
    require_member(state, chat_id, me.user_id()).await?;
    if q.since < 0 {
        return Err(AppError::Validation("since must not be negative".into()));
    }
    let limit = page_limit(q.limit)?;
    let mut conn = state.conn().await?;
    let chat = chats::by_id(&mut conn, chat_id.0).await?.ok_or(AppError::NotFound)?;
    let (rows, has_more) = messages::changes_since(&mut conn, chat_id.0, q.since, limit).await?;
    Ok(ChangesPage {
        messages: messages::to_api(&mut conn, &rows).await?,
        has_more,
        last_change: chat.last_change,
    })
}

/// Replaces the text of my message; members get `message_updated`.
pub async fn edit(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    message_id: MessageId,
    body: &str,
) -> AppResult<Message> {
    let body = MessageBody::parse(body)?;
    let members = require_member(state, chat_id, me.user_id()).await?.members;
    let mut conn = state.conn().await?;
    let original = live_message(&mut conn, chat_id, message_id).await?;
    if original.sender_id != me.user_id().0 {
        return Err(AppError::Forbidden("only its sender can edit a message".into()));
    }
    let mentionable = directory(&mut conn, chat_id, &named(body.as_str())).await?;
    let rendered = markdown::render(body.as_str(), &mentionable);
    let row = changed(
        messages::edit(&mut conn, chat_id.0, message_id.0, body.as_str(), &rendered.html, &rendered.mentions)
            .await?,
    )?;
    let message =
        messages::to_api(&mut conn, std::slice::from_ref(&row)).await?.pop().ok_or(AppError::NotFound)?;
    messages_changed(state, chat_id).await;
    state.events.to_chat(chat_id, &members, &ServerEvent::MessageUpdated { message: message.clone() });
    Ok(message)
}

/// Deletes a message (its sender, or a group's owner): a tombstone keeps its place and
/// `seq`. Members get `message_deleted`.
pub async fn delete(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    message_id: MessageId,
) -> AppResult<()> {
    let members = require_member(state, chat_id, me.user_id()).await?.members;
    let mut conn = state.conn().await?;
    let original = live_message(&mut conn, chat_id, message_id).await?;
    if original.sender_id != me.user_id().0 {
        let chat = chats::by_id(&mut conn, chat_id.0).await?.ok_or(AppError::NotFound)?;
        if chat.owner_id != Some(me.user_id().0) {
            return Err(AppError::Forbidden(
                "only its sender or the group's owner can delete a message".into(),
            ));
        }
    }
    let (row, files) = changed(messages::delete(&mut conn, chat_id.0, message_id.0).await?)?;
    drop(conn);
    messages_changed(state, chat_id).await;
    state.events.to_chat(
        chat_id,
        &members,
        &ServerEvent::MessageDeleted { chat_id, message_id, change_seq: row.change_seq },
    );
    super::attachments::delete_objects(state, &files).await;
    Ok(())
}

/// Toggles my reaction with `emoji`; members get `reactions_changed` with the new set.
pub async fn react(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    message_id: MessageId,
    emoji: &str,
) -> AppResult<Vec<confab_shared::api::Reaction>> {
    let emoji = ReactionEmoji::parse(emoji)?;
    let members = require_member(state, chat_id, me.user_id()).await?.members;
    let mut conn = state.conn().await?;
    live_message(&mut conn, chat_id, message_id).await?;
    let outcome = messages::toggle_reaction(
        &mut conn,
        chat_id.0,
        message_id.0,
        me.user_id().0,
        emoji.as_str(),
        REACTIONS_PER_MESSAGE_MAX,
    )
    .await?;
    let (toggle, change_seq) = changed(outcome)?;
    if toggle == Toggle::TooMany {
        // A well-formed request the message's current state refuses (another emoji
        // removed would let it through): a conflict, not bad input.
        return Err(AppError::Conflict(format!(
            "a message can have at most {REACTIONS_PER_MESSAGE_MAX} different reactions"
        )));
    }
    let reactions = messages::reactions(&mut conn, message_id.0).await?;
    messages_changed(state, chat_id).await;
    let event =
        ServerEvent::ReactionsChanged { chat_id, message_id, reactions: reactions.clone(), change_seq };
    state.events.to_chat(chat_id, &members, &event);
    Ok(reactions)
}

/// A chat's messages changed: its newest page is stale, and so are its members' chat
/// lists, which remember the page's version (see `chats::list`).
async fn messages_changed(state: &AppState, chat_id: ChatId) {
    forget_newest_page(state, chat_id).await;
}

/// The message, if it is in this chat, not deleted and not a system message (those are
/// the server's record and stay as written).
async fn live_message(
    conn: &mut AsyncPgConnection,
    chat_id: ChatId,
    message_id: MessageId,
) -> AppResult<MessageRow> {
    let row = messages::in_chat(conn, chat_id.0, message_id.0).await?.ok_or(AppError::NotFound)?;
    if row.is_system() {
        return Err(AppError::Forbidden("a system message can't be edited, deleted or reacted to".into()));
    }
    if row.deleted_at.is_some() {
        return Err(AppError::Conflict("the message was deleted".into()));
    }
    Ok(row)
}

fn changed<T>(outcome: Changed<T>) -> AppResult<T> {
    match outcome {
        Changed::Done(value) => Ok(value),
        Changed::ChatClosed => Err(AppError::Forbidden("this chat is closed".into())),
        Changed::Missing => Err(AppError::Conflict("the message was deleted".into())),
    }
}

fn page_limit(limit: Option<u32>) -> AppResult<i64> {
    let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(AppError::Validation(format!("limit must be 1 to {PAGE_LIMIT_MAX}")));
    }
    Ok(i64::from(limit))
}
