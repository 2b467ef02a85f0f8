//! Rows as stored, and their conversion to the wire types in `confab_shared::api`.

use chrono::{DateTime, Utc};
use confab_shared::api::{Attachment, AttachmentStatus, Message, ReplyPreview, SystemEvent, User};
use confab_shared::{AttachmentId, ChatId, ClientId, MessageId, UserId};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{
    attachments, chat_members, chats, message_reactions, messages, oidc_attempts, sessions, user_identities,
    users,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// argon2id PHC string; `None` for an account made by an identity provider until its
    /// owner sets a password.
    pub password_hash: Option<String>,
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

/// An identity at a provider (issuer, subject) that signs in as `user_id`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_identities, check_for_backend(diesel::pg::Pg))]
pub struct IdentityRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A sign-in with a provider under way, keyed by the SHA-256 of its cookie's token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_attempts, check_for_backend(diesel::pg::Pg))]
pub struct AttemptRow {
    pub token_hash: Vec<u8>,
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub link_user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
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
    pub muted: bool,
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
    /// A system message's [`SystemEvent`], as JSON.
    pub system: Option<serde_json::Value>,
    /// The message this one replies to.
    pub reply_to: Option<Uuid>,
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
    /// The message without what other rows hold: reactions, files, the parent's quote
    /// (see `db::messages::Extras` for those).
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
                (false, true) => crate::markdown::render(&self.body, &crate::markdown::Directory::new()).html,
            },
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted,
            change_seq: self.change_seq,
            reactions: Vec::new(),
            attachments: Vec::new(),
            system: self.system_event(),
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    /// How a reply to this message quotes it.
    pub fn preview(&self) -> ReplyPreview {
        let deleted = self.deleted_at.is_some();
        ReplyPreview {
            message_id: MessageId(self.id),
            seq: self.seq,
            sender_id: UserId(self.sender_id),
            excerpt: if deleted { String::new() } else { crate::markdown::excerpt(&self.body) },
            deleted,
        }
    }

    pub fn is_system(&self) -> bool {
        self.system.is_some()
    }

    fn system_event(&self) -> Option<SystemEvent> {
        let value = self.system.clone()?;
        serde_json::from_value(value)
            .inspect_err(|e| tracing::error!(message = %self.id, error = %e, "unreadable system message"))
            .ok()
    }
}

/// A shared file. `content_type` is what the uploader declared; `sniffed_type`, read from
/// the bytes on completion, is what it is.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = attachments, check_for_backend(diesel::pg::Pg))]
pub struct AttachmentRow {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub uploader_id: Uuid,
    pub message_id: Option<Uuid>,
    pub filename: String,
    pub content_type: String,
    pub sniffed_type: Option<String>,
    pub size: i64,
    pub status: String,
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl AttachmentRow {
    pub const PENDING: &str = "pending";
    pub const READY: &str = "ready";

    pub fn is_ready(&self) -> bool {
        self.status == Self::READY
    }

    /// The type clients are told: a picture's as read from its bytes; for any other file
    /// the declared one (a hint for the icon), unless that claims a picture the bytes are not.
    fn shown_type(&self) -> &str {
        match self.sniffed_type.as_deref() {
            None => &self.content_type,
            Some(sniffed) if crate::thumbnails::is_picture(sniffed) => sniffed,
            Some(_) if crate::thumbnails::is_picture(&self.content_type) => "application/octet-stream",
            Some(_) => &self.content_type,
        }
    }

    pub fn to_api(&self) -> Attachment {
        let url = format!("/api/attachments/{}", self.id);
        Attachment {
            id: AttachmentId(self.id),
            chat_id: ChatId(self.chat_id),
            filename: self.filename.clone(),
            content_type: self.shown_type().to_owned(),
            size: u64::try_from(self.size).unwrap_or_default(),
            status: if self.is_ready() { AttachmentStatus::Ready } else { AttachmentStatus::Pending },
            thumbnail_url: self.thumbnail_key.as_ref().map(|_| format!("{url}/thumbnail")),
            url,
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
        }
    }
}
