//! Queries on `sessions`. Only token hashes ever reach this table (promise 6).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::models::{SessionRow, UserRow};
use super::schema::{sessions, users};

pub async fn insert(conn: &mut AsyncPgConnection, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(row).execute(conn).await.map(|_| ())
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

pub async fn delete(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(token_hash)).execute(conn).await
}

/// Housekeeping: expired sessions are useless; drop them.
pub async fn delete_expired(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn).await
}
