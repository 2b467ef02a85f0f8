//! Queries on `users`.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::UserRow;
use super::schema::users;

pub async fn insert(conn: &mut AsyncPgConnection, row: &UserRow) -> QueryResult<UserRow> {
    diesel::insert_into(users::table).values(row).returning(UserRow::as_returning()).get_result(conn).await
}

pub async fn by_username(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<UserRow>> {
    users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn).await
}

/// Active users whose username starts with `prefix`, alphabetically.
pub async fn search_prefix(
    conn: &mut AsyncPgConnection,
    prefix: &str,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    users::table
        .filter(users::username.like(format!("{escaped}%")))
        .filter(users::disabled.eq(false))
        .order(users::username.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
        .await
}
