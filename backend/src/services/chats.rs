//! Chats: finding people, creating direct and group chats, listing and reading them, and
//! the membership check every chat-scoped call goes through (promise 5).

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use confab_shared::api::{Chat, ChatKind, CreateChatRequest, Member, Message, Role, SystemEvent, User};
use confab_shared::limits::{GROUP_INITIAL_MEMBERS_MAX, USER_SEARCH_LIMIT};
use confab_shared::validate::ChatTitle;
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::system;
use crate::auth::Authenticated;
use crate::cache::keys;
use crate::db::chats::Unread;
use crate::db::models::{ChatRow, MemberRow, MessageRow, UserRow};
use crate::db::{chats, messages, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Cached chat lists and newest pages live this long at most; every write that changes
/// them bumps their version first (see `Cache::get_versioned`).
pub(crate) const VIEW_CACHE_TTL: Duration = Duration::from_secs(600);

/// Users whose username starts with `q` (case-insensitive), not including the caller.
pub async fn search_users(state: &AppState, me: &Authenticated, q: &str) -> AppResult<Vec<User>> {
    let prefix = confab_shared::validate::search_prefix(q)?;
    let mut conn = state.conn().await?;
    let rows = users::search_prefix(&mut conn, &prefix, USER_SEARCH_LIMIT + 1).await?;
    Ok(rows
        .iter()
        .filter(|u| u.id != me.user_id().0)
        .take(usize::try_from(USER_SEARCH_LIMIT).unwrap_or(20))
        .map(UserRow::to_api)
        .collect())
}

/// Creates a chat, or returns the existing direct chat with that user (`created` false).
/// The members of a new chat receive `chat_created` on their open sockets.
pub async fn create(state: &AppState, me: &Authenticated, req: CreateChatRequest) -> AppResult<(Chat, bool)> {
    let mut conn = state.conn().await?;
    let me_id = me.user_id().0;
    let now = Utc::now();
    let (chat, members) = match req {
        CreateChatRequest::Direct { user_id: UserId(other) } => {
            if other == me_id {
                return Err(AppError::Forbidden("a direct chat needs another person".into()));
            }
            require_active_users(&mut conn, &[other]).await?;
            let (low, high) = if me_id < other { (me_id, other) } else { (other, me_id) };
            if let Some(existing) = chats::find_direct(&mut conn, low, high).await? {
                return Ok((view(&mut conn, existing.id, me_id).await?, false));
            }
            let chat = ChatRow {
                id: Uuid::new_v4(),
                kind: "direct".into(),
                title: None,
                owner_id: None,
                closed: false,
                last_seq: 0,
                direct_low: Some(low),
                direct_high: Some(high),
                created_at: now,
                last_activity_at: now,
                last_change: 0,
            };
            let members =
                vec![member_row(chat.id, me_id, Role::Member), member_row(chat.id, other, Role::Member)];
            (chat, members)
        }
        CreateChatRequest::Group { title, member_ids } => {
            let title = ChatTitle::parse(&title)?;
            // The list as sent is what is counted, so the rule fits in the API document.
            if member_ids.len() > GROUP_INITIAL_MEMBERS_MAX {
                return Err(AppError::Validation(format!(
                    "a group starts with at most {GROUP_INITIAL_MEMBERS_MAX} other members"
                )));
            }
            let mut others: Vec<Uuid> =
                member_ids.into_iter().map(|id| id.0).filter(|id| *id != me_id).collect();
            others.sort_unstable();
            others.dedup();
            let max = state.settings.limits.group_members_max;
            if max > 0 && others.len() + 1 > max {
                return Err(AppError::Validation(format!("a group has at most {max} members")));
            }
            require_active_users(&mut conn, &others).await?;
            let chat = ChatRow {
                id: Uuid::new_v4(),
                kind: "group".into(),
                title: Some(title.into_inner()),
                owner_id: Some(me_id),
                closed: false,
                last_seq: 0,
                direct_low: None,
                direct_high: None,
                created_at: now,
                last_activity_at: now,
                last_change: 0,
            };
            let mut members = vec![member_row(chat.id, me_id, Role::Owner)];
            members.extend(others.iter().map(|id| member_row(chat.id, *id, Role::Member)));
            (chat, members)
        }
    };
    match chats::create(&mut conn, &chat, &members).await {
        Ok(()) => {}
        // Two people opened the same direct chat at once: both get the one that won.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) if chat.kind == "direct" => {
            let (low, high) = (chat.direct_low.unwrap_or_default(), chat.direct_high.unwrap_or_default());
            let existing = chats::find_direct(&mut conn, low, high).await?.ok_or(AppError::NotFound)?;
            return Ok((view(&mut conn, existing.id, me_id).await?, false));
        }
        Err(e) => return Err(e.into()),
    }
    // A new chat looks the same to every member (no messages, nothing read yet): one
    // event, encoded once.
    let parts = ChatParts::load(&mut conn, chat.id).await?;
    let mine = parts.view_for(&mut conn, me.user_id()).await?;
    let everyone = parts.member_ids();
    forget_lists(state, &everyone).await;
    state.events.to_users(&everyone, &ServerEvent::ChatCreated { chat: mine.clone() });
    super::presence::introduce(state, ChatId(chat.id), &everyone, &everyone).await;
    Ok((mine, true))
}

/// A cached chat list, with the version of each chat's messages it was built from.
#[derive(Serialize, Deserialize)]
struct CachedList {
    /// `(newest_page family, version)` for every chat in the list.
    built_from: Vec<(String, i64)>,
    chats: Vec<Chat>,
}

/// My chats, newest activity first, each with its last message and my unread count.
/// Served from Redis when warm.
///
/// A new message changes every member's list (order, last message, unread), yet bumping
/// every member's list version per message would cost one Redis write per member. So the
/// cached list also remembers the version of each chat's messages (the `newest_page`
/// family, which every message write bumps once) and is used only while they all match.
pub async fn list(state: &AppState, me: &Authenticated) -> AppResult<Vec<Chat>> {
    let family = keys::chat_list(me.user_id());
    let cached = state.cache.get_versioned::<CachedList>(&family).await;
    if let Some(list) = cached.value {
        let families: Vec<String> = list.built_from.iter().map(|(f, _)| f.clone()).collect();
        let current = state.cache.versions(&families).await;
        if current.is_some_and(|v| v.iter().eq(list.built_from.iter().map(|(_, version)| version))) {
            return Ok(list.chats);
        }
    }
    let mut conn = state.conn().await?;
    // The chats' versions are read before their rows: a message written meanwhile bumps
    // its chat's version, so this copy is never used.
    let families: Vec<String> = chats::ids_for_user(&mut conn, me.user_id().0)
        .await?
        .into_iter()
        .map(|id| keys::newest_page(ChatId(id)))
        .collect();
    let versions = state.cache.versions(&families).await;
    let rows = chats::for_user(&mut conn, me.user_id().0).await?;
    let list = assemble(&mut conn, rows).await?;
    if let Some(versions) = versions {
        let cached_list =
            CachedList { built_from: families.into_iter().zip(versions).collect(), chats: list };
        state.cache.set_versioned(&family, cached.version, &cached_list, VIEW_CACHE_TTL).await;
        return Ok(cached_list.chats);
    }
    Ok(list)
}

/// Called by every write that changes what these users' chat lists show (order, last
/// message, unread counts, titles, members), before anyone is told of the change.
pub(crate) async fn forget_lists(state: &AppState, users: &[UserId]) {
    let families: Vec<String> = users.iter().map(|u| keys::chat_list(*u)).collect();
    state.cache.invalidate(&families).await;
}

/// Called by every write to a chat's messages, before anyone is told of it.
pub(crate) async fn forget_newest_page(state: &AppState, chat_id: ChatId) {
    state.cache.invalidate(&[keys::newest_page(chat_id)]).await;
}

/// One chat with its members; 404 for non-members (promise 5).
pub async fn get(state: &AppState, me: &Authenticated, chat_id: ChatId) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    view(&mut conn, chat_id.0, me.user_id().0).await
}

/// Renames a group (owner only); every member gets `chat_updated` and, when the title
/// changed, the system message saying so.
pub async fn rename(state: &AppState, me: &Authenticated, chat_id: ChatId, title: &str) -> AppResult<Chat> {
    let title = ChatTitle::parse(title)?;
    let mut conn = state.conn().await?;
    owned_group(&mut conn, chat_id, me.user_id()).await?;
    let by = system::person(&mut conn, me.user_id()).await?;
    let note = conn
        .transaction(async |conn| {
            let Some(old_title) = chats::set_title(conn, chat_id.0, title.as_str()).await? else {
                return Ok(None);
            };
            let event = SystemEvent::Renamed { by, old_title, title: title.as_str().to_owned() };
            system::record(conn, chat_id, me.user_id(), &event).await.map(Some)
        })
        .await?;
    announce_update(state, &mut conn, chat_id, me.user_id(), note).await
}

/// Closes (read-only) or reopens a group (owner only); every member gets `chat_updated`
/// and, when that changed something, the system message saying so.
pub async fn set_closed(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    closed: bool,
) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    owned_group(&mut conn, chat_id, me.user_id()).await?;
    let by = system::person(&mut conn, me.user_id()).await?;
    let note = conn
        .transaction(async |conn| {
            if !chats::set_closed(conn, chat_id.0, closed).await? {
                return Ok(None);
            }
            let event = if closed { SystemEvent::Closed { by } } else { SystemEvent::Reopened { by } };
            system::record(conn, chat_id, me.user_id(), &event).await.map(Some)
        })
        .await?;
    announce_update(state, &mut conn, chat_id, me.user_id(), note).await
}

/// Mutes or unmutes a chat for me: its messages stop notifying me, except those that
/// mention me (the client decides). My other devices get `mute_changed`.
pub async fn set_muted(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    muted: bool,
) -> AppResult<Chat> {
    let mut conn = state.conn().await?;
    if !chats::set_muted(&mut conn, chat_id.0, me.user_id().0, muted).await? {
        return Err(AppError::NotFound);
    }
    forget_lists(state, &[me.user_id()]).await;
    state.events.to_users(&[me.user_id()], &ServerEvent::MuteChanged { chat_id, muted });
    view(&mut conn, chat_id.0, me.user_id().0).await
}

/// The group `user_id` owns: 404 for non-members (promise 5), 403 for a direct chat (it
/// has no owner) and for a member who is not the owner.
pub(crate) async fn owned_group(
    conn: &mut AsyncPgConnection,
    chat_id: ChatId,
    user_id: UserId,
) -> AppResult<ChatRow> {
    let (chat, _) = chats::membership(conn, chat_id.0, user_id.0).await?.ok_or(AppError::NotFound)?;
    if chat.kind != "group" {
        return Err(AppError::Forbidden("a direct chat has no owner and fixed members".into()));
    }
    if chat.owner_id != Some(user_id.0) {
        return Err(AppError::Forbidden("only the chat's owner can do that".into()));
    }
    Ok(chat)
}

/// A chat as its authorization check sees it: who is in it, and whether it is closed.
pub struct Membership {
    /// Every member's id: the fan-out list.
    pub members: Vec<UserId>,
    pub closed: bool,
}

/// Promise 5: the caller must be a member, or the chat "does not exist" for them.
/// Always read from PostgreSQL (one index scan): membership grants access, and a cached
/// copy could outlive a removal whose cache delete failed, so it is never cached
/// (revocation never depends on Redis).
pub async fn require_member(state: &AppState, chat_id: ChatId, user_id: UserId) -> AppResult<Membership> {
    let mut conn = state.conn().await?;
    let rows = chats::members_and_closed(&mut conn, chat_id.0).await?;
    let closed = rows.first().is_some_and(|(_, closed)| *closed);
    let members: Vec<UserId> = rows.into_iter().map(|(id, _)| UserId(id)).collect();
    if members.contains(&user_id) { Ok(Membership { members, closed }) } else { Err(AppError::NotFound) }
}

pub(crate) fn member_row(chat_id: Uuid, user_id: Uuid, role: Role) -> MemberRow {
    let role = match role {
        Role::Owner => "owner",
        Role::Member => "member",
    };
    MemberRow { chat_id, user_id, role: role.into(), last_read_seq: 0, joined_at: Utc::now(), muted: false }
}

/// 409 unless every one of `ids` is an active user. Not a 400: the request is well formed
/// (the API document cannot know who exists); not a 404 either, which would say the chat
/// in the path is missing.
pub(crate) async fn require_active_users(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> AppResult<()> {
    let found = users::by_ids(conn, ids).await?;
    if found.iter().filter(|u| !u.disabled).count() == ids.len() {
        Ok(())
    } else {
        Err(AppError::Conflict("no such user".into()))
    }
}

/// The chat as `user_id` sees it, or 404 if they are not a member.
async fn view(conn: &mut AsyncPgConnection, chat_id: Uuid, user_id: Uuid) -> AppResult<Chat> {
    let row = chats::membership(conn, chat_id, user_id).await?.ok_or(AppError::NotFound)?;
    assemble(conn, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// A chat with everything its members share: the row, the members, the last message.
/// Three queries whatever the member count. Each member's own view adds their read
/// position and one query for what they have not read ([`ChatParts::view_for`]).
pub(crate) struct ChatParts {
    chat: ChatRow,
    rows: Vec<(MemberRow, UserRow)>,
    members: Vec<Member>,
    last_message: Option<Message>,
}

impl ChatParts {
    pub(crate) async fn load(conn: &mut AsyncPgConnection, chat_id: Uuid) -> AppResult<Self> {
        let chat = chats::by_id(conn, chat_id).await?.ok_or(AppError::NotFound)?;
        let rows = chats::members_with_users(conn, &[chat_id]).await?;
        let members: Vec<Member> = rows.iter().map(|(m, u)| member_to_api(m, u)).collect();
        let latest = messages::latest_for_chats(conn, &[chat_id]).await?;
        let last_message = messages::to_api(conn, &latest).await?.pop();
        Ok(Self { chat, rows, members, last_message })
    }

    pub(crate) fn member_ids(&self) -> Vec<UserId> {
        self.rows.iter().map(|(m, _)| UserId(m.user_id)).collect()
    }

    /// The chat as `user` sees it; 404 if they are not a member.
    pub(crate) async fn view_for(&self, conn: &mut AsyncPgConnection, user: UserId) -> AppResult<Chat> {
        let (me, _) = self.rows.iter().find(|(m, _)| m.user_id == user.0).ok_or(AppError::NotFound)?;
        let unread = chats::unread(conn, user.0, &[self.chat.id]).await?.pop().unwrap_or_default();
        Ok(to_api(&self.chat, me, unread, self.members.clone(), self.last_message.clone()))
    }

    /// The chat as every member sees it, but with no one's read position (0): what
    /// `chat_updated` carries, encoded once for all members. Clients keep their own
    /// `last_read_seq` and `unread_count` (docs/protocol.md).
    fn shared_view(&self) -> Chat {
        // A reader who has read nothing (`member_row`'s read position is 0), without the
        // unread count that would imply.
        let nobody = member_row(self.chat.id, Uuid::nil(), Role::Member);
        let view =
            to_api(&self.chat, &nobody, Unread::default(), self.members.clone(), self.last_message.clone());
        Chat { unread_count: 0, ..view }
    }
}

/// Tells every member of a chat that it changed (title, closed, owner) with ONE event
/// for all of them (a per-member view would cost members² to encode), then the system
/// message recording the change, if any; the cached views are forgotten first. Returns
/// the chat as `me` sees it.
pub(crate) async fn announce_update(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    chat_id: ChatId,
    me: UserId,
    note: Option<MessageRow>,
) -> AppResult<Chat> {
    let parts = ChatParts::load(conn, chat_id.0).await?;
    let members = parts.member_ids();
    if note.is_some() {
        forget_newest_page(state, chat_id).await;
    }
    forget_lists(state, &members).await;
    state.events.to_chat(chat_id, &members, &ServerEvent::ChatUpdated { chat: parts.shared_view() });
    if let Some(note) = note {
        state.events.to_chat(chat_id, &members, &ServerEvent::MessageCreated { message: note.to_api() });
    }
    parts.view_for(conn, me).await
}

fn member_to_api(member: &MemberRow, user: &UserRow) -> Member {
    let role = if member.role == "owner" { Role::Owner } else { Role::Member };
    Member { user: user.to_api(), role, last_read_seq: member.last_read_seq }
}

fn to_api(
    chat: &ChatRow,
    me: &MemberRow,
    unread: Unread,
    members: Vec<Member>,
    last_message: Option<Message>,
) -> Chat {
    Chat {
        id: ChatId(chat.id),
        kind: if chat.kind == "direct" { ChatKind::Direct } else { ChatKind::Group },
        title: chat.title.clone(),
        owner_id: chat.owner_id.map(UserId),
        closed: chat.closed,
        members,
        last_seq: chat.last_seq,
        last_change: chat.last_change,
        last_read_seq: me.last_read_seq,
        unread_count: (chat.last_seq - me.last_read_seq - unread.system).max(0),
        mention_count: unread.mentions,
        muted: me.muted,
        last_message,
    }
}

/// Turns (chat, my membership) rows into API chats: four queries whatever the count.
async fn assemble(conn: &mut AsyncPgConnection, rows: Vec<(ChatRow, MemberRow)>) -> AppResult<Vec<Chat>> {
    let ids: Vec<Uuid> = rows.iter().map(|(chat, _)| chat.id).collect();
    let mut unread: HashMap<Uuid, Unread> = match rows.first() {
        Some((_, me)) => {
            chats::unread(conn, me.user_id, &ids).await?.into_iter().map(|u| (u.chat_id, u)).collect()
        }
        None => HashMap::new(),
    };
    let mut members: HashMap<Uuid, Vec<Member>> = HashMap::new();
    for (member, user) in chats::members_with_users(conn, &ids).await? {
        members.entry(member.chat_id).or_default().push(member_to_api(&member, &user));
    }
    let latest = messages::latest_for_chats(conn, &ids).await?;
    let mut latest: HashMap<Uuid, Message> =
        messages::to_api(conn, &latest).await?.into_iter().map(|m| (m.chat_id.0, m)).collect();
    Ok(rows
        .iter()
        .map(|(chat, me)| {
            let unread = unread.remove(&chat.id).unwrap_or_default();
            to_api(chat, me, unread, members.remove(&chat.id).unwrap_or_default(), latest.remove(&chat.id))
        })
        .collect())
}
