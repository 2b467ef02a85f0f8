//! Group membership: the owner adds and removes members and hands ownership on; any
//! member can leave. Every change is live for every member, and a removed member's
//! delivery stops at once (promise 5): membership is read from PostgreSQL on every
//! check and every fan-out, so nothing cached can keep a removed member in.

use confab_shared::api::{Chat, Role};
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::chats::{ChatParts, forget_lists, member_row, owned_group, require_active_users, updated};
use crate::auth::Authenticated;
use crate::db::chats;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Adds a user to a group (owner only). They get `chat_created` on their open tabs; the
/// others get `member_added`.
pub async fn add(state: &AppState, me: &Authenticated, chat_id: ChatId, user_id: UserId) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    owned_group(&mut conn, chat_id, me.user_id()).await?;
    require_active_users(&mut conn, &[user_id.0]).await?;
    let max = state.settings.limits.group_members_max;
    match chats::add_member(&mut conn, &member_row(chat_id.0, user_id.0, Role::Member), max).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(AppError::Validation(format!("a group has at most {max} members")));
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(AppError::Conflict("already a member".into()));
        }
        Err(e) => return Err(e.into()),
    }
    let parts = ChatParts::load(&mut conn, chat_id.0).await?;
    let everyone = parts.member_ids();
    forget_lists(state, &everyone).await;
    let added = parts.view_for(user_id).ok_or(AppError::NotFound)?;
    // The view already holds the new member's user: no second query.
    let user = added
        .members
        .iter()
        .find(|m| m.user.id == user_id)
        .map(|m| m.user.clone())
        .ok_or(AppError::NotFound)?;
    state.events.to_users(&[user_id], &ServerEvent::ChatCreated { chat: added });
    let others: Vec<UserId> = everyone.iter().copied().filter(|id| *id != user_id).collect();
    state.events.to_chat(chat_id, &others, &ServerEvent::MemberAdded { chat_id, user });
    super::presence::introduce(state, chat_id, &[user_id], &everyone).await;
    parts.view_for(me.user_id()).ok_or(AppError::NotFound)
}

/// Removes `user_id` from a group: the owner removing someone, or anyone leaving (their
/// own id). The owner must hand ownership on before leaving a group with other members.
/// Everyone who was a member, the removed one included, gets `member_removed`.
pub async fn remove(state: &AppState, me: &Authenticated, chat_id: ChatId, user_id: UserId) -> AppResult<()> {
    let mut conn = state.conn().await?;
    let leaving = user_id == me.user_id();
    let chat = if leaving {
        let (chat, _) =
            chats::membership(&mut conn, chat_id.0, me.user_id().0).await?.ok_or(AppError::NotFound)?;
        if chat.kind != "group" {
            return Err(AppError::Forbidden("a direct chat cannot be left".into()));
        }
        chat
    } else {
        owned_group(&mut conn, chat_id, me.user_id()).await?
    };
    let before: Vec<UserId> =
        chats::member_ids(&mut conn, chat_id.0).await?.into_iter().map(UserId).collect();
    if !before.contains(&user_id) {
        return Err(AppError::NotFound);
    }
    if leaving && chat.owner_id == Some(me.user_id().0) && before.len() > 1 {
        return Err(AppError::Conflict("hand ownership to another member before leaving".into()));
    }
    // The last member may be the owner; anyone else is removed only while not the owner
    // (a transfer to them may have committed since the checks above).
    if !chats::remove_member(&mut conn, chat_id.0, user_id.0, before.len() == 1).await? {
        return Err(AppError::Conflict("the membership changed meanwhile; reload and try again".into()));
    }
    forget_lists(state, &before).await;
    state.events.to_chat(chat_id, &before, &ServerEvent::MemberRemoved { chat_id, user_id });
    Ok(())
}

/// Makes another member the owner (owner only); every member gets `chat_updated`.
pub async fn transfer_ownership(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    user_id: UserId,
) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    owned_group(&mut conn, chat_id, me.user_id()).await?;
    if chats::membership(&mut conn, chat_id.0, user_id.0).await?.is_none() {
        return Err(AppError::Conflict("ownership can only go to a member".into()));
    }
    if user_id != me.user_id()
        && !chats::transfer_ownership(&mut conn, chat_id.0, me.user_id().0, user_id.0).await?
    {
        // Another transfer (or their leaving) won the race: nothing changed.
        return Err(AppError::Conflict(
            "ownership or membership changed meanwhile; reload and try again".into(),
        ));
    }
    updated(state, &mut conn, chat_id, me.user_id()).await
}
