//! Queries on `chats` and `chat_members`.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::{ChatRow, MemberRow, UserRow};
use super::schema::{chat_members, chats, users};

/// Creates a chat and its members in one transaction.
pub async fn create(conn: &mut AsyncPgConnection, chat: &ChatRow, members: &[MemberRow]) -> QueryResult<()> {
    conn.transaction(async |conn| {
        diesel::insert_into(chats::table).values(chat).execute(conn).await?;
        diesel::insert_into(chat_members::table).values(members).execute(conn).await?;
        Ok(())
    })
    .await
}

/// The direct chat between two users, given lower id first.
pub async fn find_direct(
    conn: &mut AsyncPgConnection,
    low: Uuid,
    high: Uuid,
) -> QueryResult<Option<ChatRow>> {
    chats::table
        .filter(chats::direct_low.eq(low))
        .filter(chats::direct_high.eq(high))
        .select(ChatRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The chat and the user's membership row, if the user is a member (promise 5).
pub async fn membership(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<(ChatRow, MemberRow)>> {
    chats::table
        .inner_join(chat_members::table)
        .filter(chats::id.eq(chat_id))
        .filter(chat_members::user_id.eq(user_id))
        .select((ChatRow::as_select(), MemberRow::as_select()))
        .first(conn)
        .await
        .optional()
}

/// The chats a user belongs to with their membership rows, newest activity first.
pub async fn for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<(ChatRow, MemberRow)>> {
    chats::table
        .inner_join(chat_members::table)
        .filter(chat_members::user_id.eq(user_id))
        .order((chats::last_activity_at.desc(), chats::id))
        .select((ChatRow::as_select(), MemberRow::as_select()))
        .load(conn)
        .await
}

/// Members of the given chats with their users, oldest member first.
pub async fn members_with_users(
    conn: &mut AsyncPgConnection,
    chat_ids: &[Uuid],
) -> QueryResult<Vec<(MemberRow, UserRow)>> {
    chat_members::table
        .inner_join(users::table)
        .filter(chat_members::chat_id.eq_any(chat_ids))
        .order((chat_members::joined_at.asc(), chat_members::user_id))
        .select((MemberRow::as_select(), UserRow::as_select()))
        .load(conn)
        .await
}

/// Ids of a chat's members and whether the chat is closed: the authorization check and the
/// fan-out list of every chat-scoped call, in one query (no rows: no such chat).
pub async fn members_and_closed(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
) -> QueryResult<Vec<(Uuid, bool)>> {
    chat_members::table
        .inner_join(chats::table)
        .filter(chat_members::chat_id.eq(chat_id))
        .select((chat_members::user_id, chats::closed))
        .load(conn)
        .await
}

/// Ids of a chat's members: who receives its events.
pub async fn member_ids(conn: &mut AsyncPgConnection, chat_id: Uuid) -> QueryResult<Vec<Uuid>> {
    chat_members::table
        .filter(chat_members::chat_id.eq(chat_id))
        .select(chat_members::user_id)
        .load(conn)
        .await
}

/// The ids of the chats `user_id` is a member of.
pub async fn ids_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<Uuid>> {
    chat_members::table
        .filter(chat_members::user_id.eq(user_id))
        .select(chat_members::chat_id)
        .load(conn)
        .await
}

/// `(id, last_change)` of each of these chats.
pub async fn last_changes(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, i64)>> {
    chats::table.filter(chats::id.eq_any(ids)).select((chats::id, chats::last_change)).load(conn).await
}

/// One chat row.
pub async fn by_id(conn: &mut AsyncPgConnection, chat_id: Uuid) -> QueryResult<Option<ChatRow>> {
    chats::table.find(chat_id).select(ChatRow::as_select()).first(conn).await.optional()
}

/// Adds a member unless the chat already has `max` (0: no cap); `false` when full. The
/// chat row is locked first, so parallel adds take turns and can't overshoot the cap.
pub async fn add_member(conn: &mut AsyncPgConnection, member: &MemberRow, max: usize) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        chats::table.find(member.chat_id).select(chats::id).for_update().first::<Uuid>(conn).await?;
        let count: i64 = chat_members::table
            .filter(chat_members::chat_id.eq(member.chat_id))
            .count()
            .get_result(conn)
            .await?;
        if max > 0 && usize::try_from(count).unwrap_or(usize::MAX) >= max {
            return Ok(false);
        }
        diesel::insert_into(chat_members::table).values(member).execute(conn).await?;
        Ok(true)
    })
    .await
}

/// Removes a membership; `false` if there was none. Unless `owner_too`, the owner's row is
/// left alone: an ownership transfer that committed meanwhile makes this a no-op rather
/// than leaving a group without an owner among its members.
pub async fn remove_member(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    user_id: Uuid,
    owner_too: bool,
) -> QueryResult<bool> {
    let row = chat_members::table.find((chat_id, user_id));
    let deleted = if owner_too {
        diesel::delete(row).execute(conn).await?
    } else {
        diesel::delete(row.filter(chat_members::role.ne("owner"))).execute(conn).await?
    };
    Ok(deleted > 0)
}

/// Renames a chat. Returns the title it had, or `None` when it already had this one; the
/// chat row stays locked until the caller's transaction ends.
pub async fn set_title(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    title: &str,
) -> QueryResult<Option<String>> {
    let old: Option<String> =
        chats::table.find(chat_id).select(chats::title).for_update().first(conn).await?;
    if old.as_deref() == Some(title) {
        return Ok(None);
    }
    diesel::update(chats::table.find(chat_id)).set(chats::title.eq(title)).execute(conn).await?;
    Ok(Some(old.unwrap_or_default()))
}

/// Closes or reopens a chat; `false` when it already was.
pub async fn set_closed(conn: &mut AsyncPgConnection, chat_id: Uuid, closed: bool) -> QueryResult<bool> {
    let changed = diesel::update(chats::table.find(chat_id).filter(chats::closed.ne(closed)))
        .set(chats::closed.eq(closed))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// What a member has not read in one chat, beyond the plain count `last_seq -
/// last_read_seq`.
#[derive(Debug, Default, Clone, Copy, QueryableByName)]
pub struct Unread {
    #[diesel(sql_type = sql_types::Uuid)]
    pub chat_id: Uuid,
    /// System messages after the read position: they are not counted as unread.
    #[diesel(sql_type = sql_types::BigInt)]
    pub system: i64,
    /// Messages after the read position that mention the member.
    #[diesel(sql_type = sql_types::BigInt)]
    pub mentions: i64,
}

/// [`Unread`] of `user_id` in each of `chat_ids` they are a member of: one statement,
/// each count an index range scan from the member's read position.
pub async fn unread(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    chat_ids: &[Uuid],
) -> QueryResult<Vec<Unread>> {
    diesel::sql_query(
        "SELECT cm.chat_id, \
             (SELECT count(*) FROM messages m WHERE m.chat_id = cm.chat_id \
                 AND m.seq > cm.last_read_seq AND m.system IS NOT NULL) AS system, \
             (SELECT count(*) FROM message_mentions mm WHERE mm.user_id = cm.user_id \
                 AND mm.chat_id = cm.chat_id AND mm.seq > cm.last_read_seq) AS mentions \
         FROM chat_members cm WHERE cm.user_id = $1 AND cm.chat_id = ANY($2)",
    )
    .bind::<sql_types::Uuid, _>(user_id)
    .bind::<sql_types::Array<sql_types::Uuid>, _>(chat_ids)
    .load(conn)
    .await
}

/// Makes `new_owner` the owner and `old_owner` a plain member, in one statement that only
/// acts while `old_owner` still owns the chat and `new_owner` is still a member (their
/// row is locked, so a concurrent leave waits or wins). Two transfers racing: the second
/// finds `old_owner` no longer the owner and changes nothing. `false` when nothing moved.
pub async fn transfer_ownership(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    old_owner: Uuid,
    new_owner: Uuid,
) -> QueryResult<bool> {
    let changed = diesel::sql_query(
        "WITH heir AS ( \
             SELECT user_id FROM chat_members WHERE chat_id = $1 AND user_id = $3 FOR UPDATE \
         ), moved AS ( \
             UPDATE chats SET owner_id = $3 \
             WHERE id = $1 AND owner_id = $2 AND EXISTS (SELECT 1 FROM heir) \
             RETURNING id \
         ) \
         UPDATE chat_members SET role = CASE WHEN user_id = $3 THEN 'owner' ELSE 'member' END \
         WHERE chat_id = $1 AND user_id IN ($2, $3) AND EXISTS (SELECT 1 FROM moved)",
    )
    .bind::<diesel::sql_types::Uuid, _>(chat_id)
    .bind::<diesel::sql_types::Uuid, _>(old_owner)
    .bind::<diesel::sql_types::Uuid, _>(new_owner)
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// The members of a chat whose username is one of `usernames` (lower-case): `(id,
/// username)`.
pub async fn members_named(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    usernames: &[String],
) -> QueryResult<Vec<(Uuid, String)>> {
    chat_members::table
        .inner_join(users::table)
        .filter(chat_members::chat_id.eq(chat_id))
        .filter(users::username.eq_any(usernames))
        .select((users::id, users::username))
        .load(conn)
        .await
}

/// Mutes or unmutes a chat for one member; `false` when they are not a member.
pub async fn set_muted(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    user_id: Uuid,
    muted: bool,
) -> QueryResult<bool> {
    let changed = diesel::update(chat_members::table.find((chat_id, user_id)))
        .set(chat_members::muted.eq(muted))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// Moves a member's read position forward to `seq` (never back, never past the chat's
/// last message). Returns the new position if it moved.
pub async fn advance_read(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    user_id: Uuid,
    seq: i64,
) -> QueryResult<Option<i64>> {
    diesel::update(
        chat_members::table
            .filter(chat_members::chat_id.eq(chat_id))
            .filter(chat_members::user_id.eq(user_id))
            .filter(chat_members::last_read_seq.lt(seq)),
    )
    .set(chat_members::last_read_seq.eq(seq))
    .returning(chat_members::last_read_seq)
    .get_result(conn)
    .await
    .optional()
}

/// Every member of every chat `user_id` is in, as `(chat, member)` pairs — the user
/// included, so each of their chats appears even when they are alone in it.
pub async fn circle(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<(Uuid, Uuid)>> {
    let mine = diesel::alias!(chat_members as mine);
    chat_members::table
        .inner_join(mine.on(mine.field(chat_members::chat_id).eq(chat_members::chat_id)))
        .filter(mine.field(chat_members::user_id).eq(user_id))
        .select((chat_members::chat_id, chat_members::user_id))
        .load(conn)
        .await
}
