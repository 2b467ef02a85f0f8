//! Queries on `oidc_attempts`: sign-ins with a provider under way, usable once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::models::AttemptRow;
use super::schema::oidc_attempts;

/// Stores a new attempt; expired ones are swept on the way (the table stays small).
pub async fn insert(conn: &mut AsyncPgConnection, row: &AttemptRow, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(oidc_attempts::table.filter(oidc_attempts::expires_at.le(now))).execute(conn).await?;
    diesel::insert_into(oidc_attempts::table).values(row).execute(conn).await.map(|_| ())
}

/// Deletes the attempt keyed by `token_hash` and returns it if it had not expired: the
/// one statement that both reads and uses it up, so it can be used only once.
pub async fn take(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<AttemptRow>> {
    let row: Option<AttemptRow> = diesel::delete(oidc_attempts::table.find(token_hash))
        .returning(AttemptRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.filter(|row| row.expires_at > now))
}
