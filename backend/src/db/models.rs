//! Rows as stored, and their conversion to the wire types in `confab_shared::api`.

use chrono::{DateTime, Utc};
use confab_shared::api::{Message, User};
use confab_shared::{ChatId, ClientId, MessageId, UserId};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{chat_members, chats, message_reactions, messages, sessions, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn to_api(&self) -> User {
        User { id: UserId(self.id), username: self.username.clone(), display_name: self.display_name.clone() }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct SessionRow {
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What the owner names the session by; the token hash never leaves the server.
    pub id: Uuid,
    pub user_agent: String,
    pub last_used_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chats, check_for_backend(diesel::pg::Pg))]
pub struct ChatRow {
    pub id: Uuid,
    pub kind: String,
    pub title: Option<String>,
    pub owner_id: Option<Uuid>,
    pub closed: bool,
    pub last_seq: i64,
    pub direct_low: Option<Uuid>,
    pub direct_high: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub last_change: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_members, check_for_backend(diesel::pg::Pg))]
pub struct MemberRow {
    pub chat_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub last_read_seq: i64,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub seq: i64,
    pub sender_id: Uuid,
    pub client_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub change_seq: i64,
    /// `body` rendered by [`crate::markdown::render`] when written; `''` for rows written
    /// before rendering moved to write time.
    pub body_html: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = message_reactions, check_for_backend(diesel::pg::Pg))]
pub struct ReactionRow {
    pub message_id: Uuid,
    pub user_id: Uuid,
    pub emoji: String,
    pub created_at: DateTime<Utc>,
}

impl MessageRow {
    /// The message without its reactions (see `db::messages::to_api` for those).
    pub fn to_api(&self) -> Message {
        let deleted = self.deleted_at.is_some();
        Message {
            id: MessageId(self.id),
            chat_id: ChatId(self.chat_id),
            seq: self.seq,
            sender_id: UserId(self.sender_id),
            client_id: ClientId(self.client_id),
            body: if deleted { String::new() } else { self.body.clone() },
            body_html: match (deleted, self.body_html.is_empty()) {
                (true, _) => String::new(),
                (false, false) => self.body_html.clone(),
                (false, true) => crate::markdown::render(&self.body),
            },
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted,
            change_seq: self.change_seq,
            reactions: Vec::new(),
        }
    }
}
