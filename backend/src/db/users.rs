//! Queries on `users`.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
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

pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()
}

/// Sets the user's display name; returns the row as it now is (`None`: no such user).
pub async fn set_display_name(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    display_name: &str,
) -> QueryResult<Option<UserRow>> {
    diesel::update(users::table.find(id))
        .set(users::display_name.eq(display_name))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Stores a new password hash and deletes every session of the user but `keep`, in one
/// transaction; returns the deleted sessions' token hashes.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    password_hash: &str,
    keep: &[u8],
) -> QueryResult<Vec<Vec<u8>>> {
    conn.transaction(async |conn| {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(password_hash))
            .execute(conn)
            .await?;
        super::sessions::delete_others(conn, id, keep).await
    })
    .await
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

/// Stores `row` unless its username is taken; returns it when stored. Inside a
/// transaction this is how a name is tried (a failed plain insert would abort it).
pub async fn insert_if_free(conn: &mut AsyncPgConnection, row: &UserRow) -> QueryResult<Option<UserRow>> {
    diesel::insert_into(users::table)
        .values(row)
        .on_conflict(users::username)
        .do_nothing()
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}
