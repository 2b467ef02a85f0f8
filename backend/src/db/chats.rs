//! Queries on `chats` and `chat_members`.

use diesel::prelude::*;
use diesel::result::QueryResult;
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

pub async fn add_member(conn: &mut AsyncPgConnection, member: &MemberRow) -> QueryResult<()> {
    diesel::insert_into(chat_members::table).values(member).execute(conn).await.map(|_| ())
}

/// Removes a membership; `false` if there was none.
pub async fn remove_member(conn: &mut AsyncPgConnection, chat_id: Uuid, user_id: Uuid) -> QueryResult<bool> {
    diesel::delete(chat_members::table.find((chat_id, user_id))).execute(conn).await.map(|n| n > 0)
}

pub async fn set_title(conn: &mut AsyncPgConnection, chat_id: Uuid, title: &str) -> QueryResult<()> {
    diesel::update(chats::table.find(chat_id)).set(chats::title.eq(title)).execute(conn).await.map(|_| ())
}

pub async fn set_closed(conn: &mut AsyncPgConnection, chat_id: Uuid, closed: bool) -> QueryResult<()> {
    diesel::update(chats::table.find(chat_id)).set(chats::closed.eq(closed)).execute(conn).await.map(|_| ())
}

/// Makes `new_owner` the owner and the previous owner a plain member, in one transaction.
pub async fn transfer_ownership(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    old_owner: Uuid,
    new_owner: Uuid,
) -> QueryResult<()> {
    conn.transaction(async |conn| {
        diesel::update(chats::table.find(chat_id)).set(chats::owner_id.eq(new_owner)).execute(conn).await?;
        diesel::update(chat_members::table.find((chat_id, old_owner)))
            .set(chat_members::role.eq("member"))
            .execute(conn)
            .await?;
        diesel::update(chat_members::table.find((chat_id, new_owner)))
            .set(chat_members::role.eq("owner"))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
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
