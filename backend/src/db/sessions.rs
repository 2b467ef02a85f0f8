//! Queries on `sessions`. Only token hashes ever reach this table (promise 6).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::{SessionRow, UserRow};
use super::schema::{sessions, users};

pub async fn insert(conn: &mut AsyncPgConnection, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(row).execute(conn).await.map(|_| ())
}

/// Stores `row` and deletes the session `previous` in one transaction; returns the user
/// `previous` belonged to, if it still existed.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    row: &SessionRow,
    previous: &[u8],
) -> QueryResult<Option<Uuid>> {
    conn.transaction(async |conn| {
        insert(conn, row).await?;
        diesel::delete(sessions::table.find(previous))
            .returning(sessions::user_id)
            .get_result(conn)
            .await
            .optional()
    })
    .await
}

/// The session and its user, if the session exists, has not expired and the user is active.
pub async fn find_valid(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<(SessionRow, UserRow)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled.eq(false))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .await
        .optional()
}

/// A user's unexpired sessions, most recently used first.
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order((sessions::last_used_at.desc(), sessions::created_at.desc()))
        .select(SessionRow::as_select())
        .load(conn)
        .await
}

/// Records that the session was just used.
pub async fn touch(conn: &mut AsyncPgConnection, token_hash: &[u8], now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(sessions::table.find(token_hash))
        .set(sessions::last_used_at.eq(now))
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn delete(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(token_hash)).execute(conn).await
}

/// Deletes the session `id` if it is one of `user_id`'s; returns its token hash.
pub async fn delete_of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Vec<u8>>> {
    diesel::delete(sessions::table.filter(sessions::id.eq(id)).filter(sessions::user_id.eq(user_id)))
        .returning(sessions::token_hash)
        .get_result(conn)
        .await
        .optional()
}

/// Deletes every session of `user_id` but `keep`; returns their token hashes.
pub async fn delete_others(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    keep: &[u8],
) -> QueryResult<Vec<Vec<u8>>> {
    diesel::delete(
        sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::token_hash.ne(keep)),
    )
    .returning(sessions::token_hash)
    .get_results(conn)
    .await
}

/// Housekeeping: expired sessions are useless; drop them.
pub async fn delete_expired(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn).await
}
