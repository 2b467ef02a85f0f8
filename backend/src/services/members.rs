//! Group membership: the owner adds and removes members and hands ownership on; any
//! member can leave. Every change is live for every member and recorded in the chat's
//! history as a system message, and a removed member's delivery stops at once (promise
//! 5): membership is read from PostgreSQL on every check and every fan-out, so nothing
//! cached can keep a removed member in.

use confab_shared::api::{Chat, Role, SystemEvent};
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncConnection;

use super::chats::{
    ChatParts, announce_update, forget_lists, forget_newest_page, member_row, owned_group,
    require_active_users,
};
use super::system;
use crate::auth::Authenticated;
use crate::db::chats;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Adds a user to a group (owner only). They get `chat_created` on their open tabs; the
/// others get `member_added`; everyone then gets the system message.
pub async fn add(state: &AppState, me: &Authenticated, chat_id: ChatId, user_id: UserId) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    owned_group(&mut conn, chat_id, me.user_id()).await?;
    require_active_users(&mut conn, &[user_id.0]).await?;
    let by = system::person(&mut conn, me.user_id()).await?;
    let user = system::person(&mut conn, user_id).await?;
    let max = state.settings.limits.group_members_max;
    let note = conn
        .transaction(async |conn| {
            match chats::add_member(conn, &member_row(chat_id.0, user_id.0, Role::Member), max).await {
                Ok(true) => {}
                Ok(false) => {
                    // The group is full now; a well-formed request its state refuses.
                    return Err(AppError::Conflict(format!("a group has at most {max} members")));
                }
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    return Err(AppError::Conflict("already a member".into()));
                }
                Err(e) => return Err(e.into()),
            }
            let event = SystemEvent::MemberAdded { by, user: user.clone() };
            system::record(conn, chat_id, me.user_id(), &event).await
        })
        .await?;
    let parts = ChatParts::load(&mut conn, chat_id.0).await?;
    let everyone = parts.member_ids();
    forget_newest_page(state, chat_id).await;
    forget_lists(state, &everyone).await;
    let added = parts.view_for(&mut conn, user_id).await?;
    state.events.to_users(&[user_id], &ServerEvent::ChatCreated { chat: added });
    let others: Vec<UserId> = everyone.iter().copied().filter(|id| *id != user_id).collect();
    state.events.to_chat(chat_id, &others, &ServerEvent::MemberAdded { chat_id, user });
    state.events.to_chat(chat_id, &everyone, &ServerEvent::MessageCreated { message: note.to_api() });
    super::presence::introduce(state, chat_id, &[user_id], &everyone).await;
    parts.view_for(&mut conn, me.user_id()).await
}

/// Removes `user_id` from a group: the owner removing someone, or anyone leaving (their
/// own id). The owner must hand ownership on before leaving a group with other members.
/// Everyone who was a member, the removed one included, gets `member_removed`; those who
/// stay then get the system message (the removed one hears nothing more of the chat).
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
    let user = system::person(&mut conn, user_id).await?;
    let event = if leaving {
        SystemEvent::MemberLeft { user }
    } else {
        SystemEvent::MemberRemoved { by: system::person(&mut conn, me.user_id()).await?, user }
    };
    let note = conn
        .transaction(async |conn| {
            // The last member may be the owner; anyone else is removed only while not the
            // owner (a transfer to them may have committed since the checks above).
            if !chats::remove_member(conn, chat_id.0, user_id.0, before.len() == 1).await? {
                return Err(AppError::Conflict(
                    "the membership changed meanwhile; reload and try again".into(),
                ));
            }
            system::record(conn, chat_id, me.user_id(), &event).await
        })
        .await?;
    forget_newest_page(state, chat_id).await;
    forget_lists(state, &before).await;
    state.events.to_chat(chat_id, &before, &ServerEvent::MemberRemoved { chat_id, user_id });
    let after: Vec<UserId> = before.into_iter().filter(|id| *id != user_id).collect();
    state.events.to_chat(chat_id, &after, &ServerEvent::MessageCreated { message: note.to_api() });
    Ok(())
}

/// Makes another member the owner (owner only); every member gets `chat_updated` and the
/// system message.
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
    if user_id == me.user_id() {
        return announce_update(state, &mut conn, chat_id, me.user_id(), None).await;
    }
    let by = system::person(&mut conn, me.user_id()).await?;
    let user = system::person(&mut conn, user_id).await?;
    let note = conn
        .transaction(async |conn| {
            if !chats::transfer_ownership(conn, chat_id.0, me.user_id().0, user_id.0).await? {
                // Another transfer (or their leaving) won the race: nothing changed.
                return Err(AppError::Conflict(
                    "ownership or membership changed meanwhile; reload and try again".into(),
                ));
            }
            system::record(conn, chat_id, me.user_id(), &SystemEvent::OwnershipTransferred { by, user }).await
        })
        .await?;
    announce_update(state, &mut conn, chat_id, me.user_id(), Some(note)).await
}
