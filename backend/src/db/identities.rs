//! Queries on `user_identities`: who an identity at a provider (issuer, subject) signs in as.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::{IdentityRow, UserRow};
use super::schema::{user_identities, users};

/// The identity (issuer, subject) and the user it signs in as.
pub async fn find(
    conn: &mut AsyncPgConnection,
    issuer: &str,
    subject: &str,
) -> QueryResult<Option<(IdentityRow, UserRow)>> {
    user_identities::table
        .inner_join(users::table)
        .filter(user_identities::issuer.eq(issuer))
        .filter(user_identities::subject.eq(subject))
        .select((IdentityRow::as_select(), UserRow::as_select()))
        .first(conn)
        .await
        .optional()
}

/// Stores `row` unless its (issuer, subject) is linked already; returns it when stored.
pub async fn insert(conn: &mut AsyncPgConnection, row: &IdentityRow) -> QueryResult<Option<IdentityRow>> {
    diesel::insert_into(user_identities::table)
        .values(row)
        .on_conflict((user_identities::issuer, user_identities::subject))
        .do_nothing()
        .returning(IdentityRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Creates an account for an identity seen for the first time, in one transaction: the
/// user `new_user` under the first of `usernames` that is free, and `identity` linked to
/// it. `None`, with nothing stored, when no name was free or the identity was linked
/// meanwhile (the same person finishing two sign-ins at once): never a half-made account.
pub async fn create_account(
    conn: &mut AsyncPgConnection,
    new_user: UserRow,
    usernames: &[String],
    identity: IdentityRow,
) -> QueryResult<Option<UserRow>> {
    let result = conn
        .transaction(async |conn| {
            let mut user = None;
            for username in usernames {
                let row = UserRow { username: username.clone(), ..new_user.clone() };
                user = super::users::insert_if_free(conn, &row).await?;
                if user.is_some() {
                    break;
                }
            }
            let user = user.ok_or(diesel::result::Error::RollbackTransaction)?;
            let identity = IdentityRow { user_id: user.id, ..identity.clone() };
            insert(conn, &identity).await?.ok_or(diesel::result::Error::RollbackTransaction)?;
            Ok(user)
        })
        .await;
    match result {
        Ok(user) => Ok(Some(user)),
        Err(diesel::result::Error::RollbackTransaction) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The email the provider gave at the latest sign-in.
pub async fn set_email(conn: &mut AsyncPgConnection, id: Uuid, email: Option<&str>) -> QueryResult<()> {
    diesel::update(user_identities::table.find(id))
        .set(user_identities::email.eq(email))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A user's identities, oldest first.
pub async fn of_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<IdentityRow>> {
    user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .order((user_identities::created_at.asc(), user_identities::id.asc()))
        .select(IdentityRow::as_select())
        .load(conn)
        .await
}

/// What unlinking an identity did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    Done,
    /// No such identity of this user.
    NotFound,
    /// It is the account's last way to sign in (no password, no other identity): kept.
    LastWay,
}

/// Deletes the identity `id` of `user_id` unless the account would be left without a way
/// to sign in. The user's row is locked first, so two unlinks of a password-less
/// account's last two identities can't both succeed.
pub async fn delete_of_user(conn: &mut AsyncPgConnection, user_id: Uuid, id: Uuid) -> QueryResult<Unlinked> {
    conn.transaction(async |conn| {
        let Some(user) = users::table
            .find(user_id)
            .select(UserRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
        else {
            return Ok(Unlinked::NotFound);
        };
        let mine = user_identities::table.filter(user_identities::user_id.eq(user_id));
        let exists: bool = diesel::select(diesel::dsl::exists(mine.filter(user_identities::id.eq(id))))
            .get_result(conn)
            .await?;
        if !exists {
            return Ok(Unlinked::NotFound);
        }
        let identities: i64 = mine.count().get_result(conn).await?;
        if user.password_hash.is_none() && identities <= 1 {
            return Ok(Unlinked::LastWay);
        }
        diesel::delete(mine.filter(user_identities::id.eq(id))).execute(conn).await?;
        Ok(Unlinked::Done)
    })
    .await
}
