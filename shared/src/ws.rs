//! The WebSocket protocol: one JSON object per text frame, `{"type": ..., "data": {...}}`.
//! Client events are imperatives, server events are past-tense facts. Only this module
//! knows the wire format; the tests below pin the JSON of every variant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{Chat, Message, User};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{AttachmentId, ChatId, ClientId, MessageId, UserId};

/// What a client may ask over the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ClientEvent {
    /// Acknowledged by `message_created` carrying the same `client_id`, or by `error`.
    SendMessage {
        chat_id: ChatId,
        client_id: ClientId,
        body: String,
        /// As in `POST /api/chats/{id}/messages`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachment_ids: Vec<AttachmentId>,
        /// As in `POST /api/chats/{id}/messages`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
    },
    Typing {
        chat_id: ChatId,
    },
    MarkRead {
        chat_id: ChatId,
        seq: i64,
    },
    Ping {
        nonce: u64,
    },
}

/// One user's reactions with one emoji on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    pub emoji: String,
    pub user_ids: Vec<UserId>,
}

/// The `error` event: the same `code`/`message` as an HTTP error, plus the `client_id` of
/// the send it answers, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEvent {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
}

impl ErrorEvent {
    pub fn new(error: ApiError, client_id: Option<ClientId>) -> Self {
        Self { code: error.code, message: error.message, client_id }
    }
}

/// What the server tells a client. Decoded by hand (`crate::decode`: `type` must come
/// first, as serde writes it), so the browser's bundle carries no buffering decoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First event on every connection.
    Ready {
        user: User,
        protocol_version: u32,
    },
    /// A new message; to its sender this is also the acknowledgement (same `client_id`).
    MessageCreated {
        message: Message,
    },
    Typing {
        chat_id: ChatId,
        user_id: UserId,
    },
    /// `online` while any connection of the user is alive; `offline` only after a grace
    /// window without one (promise 10). `last_seen` is when an offline user left, if known.
    Presence {
        user_id: UserId,
        online: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seen: Option<DateTime<Utc>>,
    },
    ChatCreated {
        chat: Chat,
    },
    ChatUpdated {
        chat: Chat,
    },
    MemberAdded {
        chat_id: ChatId,
        user: User,
    },
    MemberRemoved {
        chat_id: ChatId,
        user_id: UserId,
    },
    Read {
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    },
    MessageUpdated {
        message: Message,
    },
    /// A message became a tombstone; `change_seq` is the chat's change number for it.
    MessageDeleted {
        chat_id: ChatId,
        message_id: MessageId,
        #[serde(default)]
        change_seq: i64,
    },
    /// A message's reactions now read `reactions`; `change_seq` as for `MessageDeleted`.
    ReactionsChanged {
        chat_id: ChatId,
        message_id: MessageId,
        reactions: Vec<Reaction>,
        #[serde(default)]
        change_seq: i64,
    },
    Error(ErrorEvent),
    Pong {
        nonce: u64,
    },
    /// Someone I share a chat with (or I myself, on another tab) changed their profile:
    /// `user` is how they look now, everywhere they are shown.
    UserUpdated {
        user: User,
    },
    /// I muted or unmuted a chat (on any of my devices); only my own sockets get it.
    MuteChanged {
        chat_id: ChatId,
        muted: bool,
    },
    /// The session ended (logout, expiry); the server closes the socket right after.
    SessionExpired {},
    /// Live events may have been lost (the server's bus between nodes was down): catch up
    /// on every chat from the last seq / change number seen, as after a reconnect.
    Resync {},
}

impl ClientEvent {
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail (no maps with non-string keys).
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ServerEvent {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
