//! REST request and response bodies (see `docs/api.md` and `/api/openapi.json`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{AttachmentId, ChatId, ClientId, IdentityId, MessageId, SessionId, UserId};
pub use crate::ws::Reaction;

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::username))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::password))]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::optional_display_name))]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in user and when their session ends (absolute expiry, promise 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub user: User,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// Whether the account has a password; `false` for one made by an identity provider
    /// until its owner sets one (`POST /api/auth/password` without `current_password`).
    #[serde(default)]
    pub has_password: bool,
}

/// `PATCH /api/auth/me`: my new display name, by the same rule as at registration but
/// required (blank is refused, not read as "the username").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProfileRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::display_name))]
    pub display_name: String,
}

/// One of my sessions (`GET /api/auth/sessions`): a browser or device I signed in on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActiveSession {
    /// Names the session for `DELETE /api/auth/sessions/{id}`.
    pub id: SessionId,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When a request last presented it, to within a few minutes.
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub last_used_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The `User-Agent` it signed in with (shortened; empty when none was sent).
    pub user_agent: String,
    /// This is the session of the request that asked.
    pub current: bool,
}

/// `POST /api/auth/sessions/revoke-others`: how many sessions ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokedSessions {
    pub revoked: u64,
}

/// `POST /api/auth/password`. `new_password` follows the registration rules;
/// `current_password` is needed when the account has a password (an account made by an
/// identity provider sets its first one without).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    #[serde(default)]
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::password))]
    pub new_password: String,
}

/// An identity provider the login page offers (`GET /api/auth/providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthProvider {
    /// Names the provider in `/api/auth/oidc/{id}/...`.
    pub id: String,
    /// The button's text: "Sign in with {label}".
    pub label: String,
    /// `false` while the provider can't be reached (confab keeps retrying).
    pub available: bool,
}

/// One of my linked identities (`GET /api/auth/identities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedIdentity {
    /// Names the identity for `DELETE /api/auth/identities/{id}`.
    pub id: IdentityId,
    /// The configured provider it came from; `None` when no configured provider has its
    /// issuer any more.
    pub provider: Option<String>,
    /// The provider's label, or its issuer URL.
    pub label: String,
    /// The email the provider last gave, for the owner to recognise the account by.
    pub email: Option<String>,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// `POST /api/auth/oidc/{id}/link`: where to send the browser to link the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkRedirect {
    pub redirect: String,
}

/// Why a sign-in (or link) with a provider failed: the `error` of the page it ends on
/// (`/login?error=<code>`, `/settings?error=<code>`). The browser shows [`Self::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    /// The person declined at the provider (OAuth `access_denied`).
    AccessDenied,
    /// The provider answered with another error.
    ProviderError,
    /// No provider of that name is configured.
    UnknownProvider,
    /// The provider could not be reached.
    ProviderUnavailable,
    /// No attempt under way in this browser: expired, already used, or started elsewhere.
    Expired,
    /// The provider's answer doesn't belong to this browser's attempt (state, issuer).
    InvalidState,
    /// The provider refused to exchange the code for tokens.
    TokenExchangeFailed,
    /// The ID token failed a check: signature, issuer, audience, expiry or nonce.
    InvalidIdToken,
    /// The identity is already linked to another account.
    IdentityTaken,
    /// The account is disabled.
    AccountDisabled,
    /// Linking needs the session that started it.
    NotSignedIn,
    /// confab itself failed (its database, most likely); nothing was changed.
    Unavailable,
}

impl SignInError {
    pub const ALL: [Self; 12] = [
        Self::AccessDenied,
        Self::ProviderError,
        Self::UnknownProvider,
        Self::ProviderUnavailable,
        Self::Expired,
        Self::InvalidState,
        Self::TokenExchangeFailed,
        Self::InvalidIdToken,
        Self::IdentityTaken,
        Self::AccountDisabled,
        Self::NotSignedIn,
        Self::Unavailable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::ProviderError => "provider_error",
            Self::UnknownProvider => "unknown_provider",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::Expired => "expired",
            Self::InvalidState => "invalid_state",
            Self::TokenExchangeFailed => "token_exchange_failed",
            Self::InvalidIdToken => "invalid_id_token",
            Self::IdentityTaken => "identity_taken",
            Self::AccountDisabled => "account_disabled",
            Self::NotSignedIn => "not_signed_in",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// What the person is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::AccessDenied => "Sign-in was cancelled at the provider.",
            Self::ProviderError => "The provider could not sign you in. Please try again.",
            Self::UnknownProvider => "That sign-in provider is not configured here.",
            Self::ProviderUnavailable => {
                "The sign-in provider can't be reached right now. Please try again later."
            }
            Self::Expired => "That sign-in attempt expired or was already used. Please start again.",
            Self::InvalidState => {
                "That sign-in answer did not match this browser's attempt. Please start again."
            }
            Self::TokenExchangeFailed => "The provider did not confirm the sign-in. Please start again.",
            Self::InvalidIdToken => {
                "The provider's answer failed confab's checks, so you were not signed in."
            }
            Self::IdentityTaken => {
                "That account at the provider is already linked to another confab account."
            }
            Self::AccountDisabled => "This account is disabled.",
            Self::NotSignedIn => "Sign in first, then link the provider from your settings.",
            Self::Unavailable => "confab is temporarily unavailable; nothing was changed. Please try again.",
        }
    }
}

/// `GET /api/users?q=`: users whose username starts with `q`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UserSearchQuery {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = false, schema_with = crate::schema::openapi::search_prefix))]
    pub q: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Direct,
    Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

/// `POST /api/chats`: `{"kind": "direct", "user_id": ...}` or
/// `{"kind": "group", "title": ..., "member_ids": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CreateChatRequest {
    Direct {
        user_id: UserId,
    },
    Group {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::chat_title))]
        title: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::group_member_ids))]
        member_ids: Vec<UserId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: User,
    pub role: Role,
    /// How far this member has read: drives "seen by" under messages.
    #[serde(default)]
    pub last_read_seq: i64,
}

/// A chat as one member sees it: `last_read_seq`, `unread_count`, `mention_count` and
/// `muted` are that member's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    /// Set for groups; a direct chat is named after the other member.
    pub title: Option<String>,
    /// Set for groups.
    pub owner_id: Option<UserId>,
    pub closed: bool,
    pub members: Vec<Member>,
    /// The `seq` of the newest message, 0 when there is none.
    pub last_seq: i64,
    /// The chat's change position: every new, edited or deleted message and every
    /// reaction change takes the next number (see `GET /api/chats/{id}/changes`).
    #[serde(default)]
    pub last_change: i64,
    pub last_read_seq: i64,
    /// Messages after `last_read_seq`, system messages not counted.
    pub unread_count: i64,
    /// Of those, the ones that mention me: reading past them clears them.
    #[serde(default)]
    pub mention_count: i64,
    /// I muted this chat (`PUT /api/chats/{id}/mute`): its messages don't notify me, but
    /// those that mention me still do.
    #[serde(default)]
    pub muted: bool,
    pub last_message: Option<Message>,
}

/// One message. `seq` orders a chat's messages without gaps (promise 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub seq: i64,
    pub sender_id: UserId,
    pub client_id: ClientId,
    /// The text as sent (Markdown source); empty once deleted.
    pub body: String,
    /// `body` rendered from a safe Markdown subset and sanitised on the server: the only
    /// HTML a client may insert as HTML. Empty once deleted.
    #[serde(default)]
    pub body_html: String,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::rfc3339_or_null")]
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// The chat's change number of this message's latest change (creation, edit,
    /// deletion or reaction).
    #[serde(default)]
    pub change_seq: i64,
    /// Reactions, each emoji with who reacted, in the order they were first used.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// Files sent with the message, in upload order; none once deleted.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Set on a system message: a change to the chat told in its history (its `sender_id`
    /// is who made the change, its `body` is empty). It can't be edited, deleted, reacted
    /// to or replied to, and it never counts as unread.
    #[serde(default)]
    pub system: Option<SystemEvent>,
    /// The message this one replies to, as it is now; none on a tombstone.
    #[serde(default)]
    pub reply_to: Option<ReplyPreview>,
    /// The members its `@username`s named when it was written (or last edited), each
    /// once, sorted by id; `body_html` highlights them. None on a tombstone.
    #[serde(default)]
    pub mentions: Vec<UserId>,
}

/// The message a reply quotes, read fresh with every read of the reply: an edit of the
/// parent shows, and a deleted parent gives away nothing but its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyPreview {
    pub message_id: MessageId,
    /// Where to jump to (`GET /api/chats/{id}/messages?around=SEQ`).
    pub seq: i64,
    pub sender_id: UserId,
    /// The parent's text without Markdown, on one line, at most
    /// [`REPLY_EXCERPT_MAX`](crate::limits::REPLY_EXCERPT_MAX) characters (cut ones end
    /// in `…`); empty when the parent is deleted or only files.
    pub excerpt: String,
    pub deleted: bool,
}

/// What a system message records. People are given as they were at the time, since a
/// removed member no longer appears in the chat's members: clients show the name they
/// know now and fall back to these. Decoded by hand, in any key order (`crate::decode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemEvent {
    /// `by` renamed the group from `old_title` to `title`.
    Renamed { by: User, old_title: String, title: String },
    /// `by` added `user`.
    MemberAdded { by: User, user: User },
    /// `by` removed `user`.
    MemberRemoved { by: User, user: User },
    /// `user` left.
    MemberLeft { user: User },
    /// `by` closed the group (read-only).
    Closed { by: User },
    /// `by` reopened the group.
    Reopened { by: User },
    /// `by` made `user` the owner.
    OwnershipTransferred { by: User, user: User },
}

impl SystemEvent {
    /// One line of plain text naming people as they were then, for places without the
    /// chat at hand (a notification, a preview).
    pub fn describe(&self) -> String {
        match self {
            SystemEvent::Renamed { by, title, .. } => {
                format!("{} renamed the group to \u{201c}{title}\u{201d}", by.display_name)
            }
            SystemEvent::MemberAdded { by, user } => {
                format!("{} added {}", by.display_name, user.display_name)
            }
            SystemEvent::MemberRemoved { by, user } => {
                format!("{} removed {}", by.display_name, user.display_name)
            }
            SystemEvent::MemberLeft { user } => format!("{} left", user.display_name),
            SystemEvent::Closed { by } => format!("{} closed the group", by.display_name),
            SystemEvent::Reopened { by } => format!("{} reopened the group", by.display_name),
            SystemEvent::OwnershipTransferred { by, user } => {
                format!("{} made {} the owner", by.display_name, user.display_name)
            }
        }
    }
}

/// `GET /api/chats/{id}/messages`: give one of `before`, `after` or `around` (a seq), or
/// none for the newest page. Pages are always ascending by `seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HistoryQuery {
    /// Messages with a lower `seq` (older); not together with `after`.
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub before: Option<i64>,
    /// Messages with a higher `seq` (newer); not together with `before`.
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub after: Option<i64>,
    /// The messages around this `seq` (jumping to a message): up to `limit / 2` older
    /// ones, then the rest from this seq on; not together with `before` or `after`.
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub around: Option<i64>,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))] // PAGE_LIMIT_MAX: tested
    pub limit: Option<u32>,
}

/// A page of history, ascending by `seq`. `has_more`: there are more messages beyond this
/// page in the direction asked (older for `before`, `around` or the newest page, newer for
/// `after`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub has_more: bool,
    /// Only with `around`: there are newer messages after this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_newer: Option<bool>,
}

/// `GET /api/search?q=&chat_id=&before=`: messages of the chats I am a member of that
/// match `q`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    /// Only this chat (404 unless I am a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    /// The next page: the previous page's `next_before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

/// Written out: the derive drops `required` from a parameter whose schema comes from a
/// function, and `q` is required.
#[cfg(feature = "openapi")]
impl utoipa::IntoParams for SearchQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::Required;
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, Type};

        let parameter = |name: &str, required: Required, description: &str, schema: Object| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(required)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        vec![
            parameter("q", Required::True, "What to look for", crate::schema::openapi::search_text()),
            parameter("chat_id", Required::False, "Only this chat (404 unless I am a member)", uuid.build()),
            parameter(
                "before",
                Required::False,
                "The next page: the previous page's `next_before`",
                crate::schema::openapi::search_cursor(),
            ),
        ]
    }
}

/// One message found, with the words that matched highlighted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub message: Message,
    pub chat_id: ChatId,
    /// A few words of the body around the match, as HTML: the matched words in
    /// `<mark>`…`</mark>`, everything else escaped. Safe to insert as HTML.
    pub snippet: String,
}

/// A page of search results, newest first. While `has_more`, the next page is
/// `before=next_before`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub results: Vec<SearchHit>,
    pub has_more: bool,
    /// The position of the last result (`null` on the last page).
    pub next_before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessageRequest {
    pub client_id: ClientId,
    /// May be empty when `attachment_ids` names at least one file.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::message_body))]
    pub body: String,
    /// My ready, not yet attached uploads to this chat (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::attachment_ids))]
    pub attachment_ids: Vec<AttachmentId>,
    /// The message this one answers: a message of this chat, not deleted and not a
    /// system message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
}

/// `GET /api/limits` (no sign-in needed): the caps a client must respect, as this server
/// is configured. The UI reads these rather than compiling them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerLimits {
    /// Characters in one message body.
    pub message_body_max: usize,
    /// Members of one group, its owner included.
    pub group_members_max: usize,
    /// Open sockets per user on one server node (0: no cap).
    pub sockets_per_user_max: usize,
    /// Bytes of one attachment.
    pub upload_bytes_max: u64,
    /// Attachments on one message.
    pub attachments_per_message_max: usize,
}

/// `GET /api/emoji` (no sign-in needed), one entry per emoji a reaction may be, in
/// Unicode's order: what the reaction picker shows and searches by name or shortcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmojiEntry {
    /// The emoji, fully qualified (`❤️`).
    pub emoji: String,
    /// Unicode's name, lower case (`red heart`).
    pub name: String,
    /// GitHub-style shortcodes without colons (`heart`).
    pub shortcodes: Vec<String>,
}

/// `GET /api/health`: `status` is `ok` when Postgres answers, `degraded` when only Redis
/// is missing, `down` without Postgres. `redis` is `ok`, `down` or `disabled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub postgres: String,
    pub redis: String,
    /// Reads of cached chat lists and newest pages answered from Redis since start.
    #[serde(default)]
    pub cache_hits: u64,
    /// Such reads that went to PostgreSQL (Redis up, entry missing or invalidated).
    #[serde(default)]
    pub cache_misses: u64,
}

/// `POST /api/chats/{id}/read`: I have read up to `seq` (clamped to the chat's last seq;
/// a read position never moves back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkReadRequest {
    #[serde(deserialize_with = "integer")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::position))]
    pub seq: i64,
}

/// An integer a client sends, also spelled `5.0`: JSON Schema's `integer` (and so the API
/// document) includes it, serde's `i64` alone would refuse it.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Integer(i64),
        Float(f64),
    }
    const BOUND: f64 = 9_223_372_036_854_775_808.0; // 2^63
    match Number::deserialize(deserializer)? {
        Number::Integer(n) => Ok(n),
        #[allow(clippy::cast_possible_truncation)] // integral and within range: exact
        Number::Float(f) if f.fract() == 0.0 && (-BOUND..BOUND).contains(&f) => Ok(f as i64),
        Number::Float(f) => Err(serde::de::Error::custom(format!("{f} is not a 64-bit integer"))),
    }
}

/// A size a client sends: [`integer`]'s rules, and not negative (the API document states
/// 0 to 2^63 - 1).
fn unsigned<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let n = integer(deserializer)?;
    u64::try_from(n).map_err(|_| serde::de::Error::custom(format!("{n} is not a size in bytes")))
}

/// `PATCH /api/chats/{id}`: rename a group (owner only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenameChatRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::chat_title))]
    pub title: String,
}

/// `POST /api/chats/{id}/members` (add, owner only) and `POST /api/chats/{id}/owner`
/// (transfer ownership to a member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub user_id: UserId,
}

/// `PUT /api/chats/{id}/mute`: mute or unmute a chat for me.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MuteRequest {
    pub muted: bool,
}

/// `PATCH /api/chats/{id}/messages/{message_id}`: new text (sender only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditMessageRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::message_body))]
    pub body: String,
}

/// `POST /api/chats/{id}/messages/{message_id}/reactions`: toggle my reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::reaction_emoji))]
    pub emoji: String,
}

/// `GET /api/chats/{id}/changes?since=C`: messages changed after change number `since`
/// (0 when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ChangesQuery {
    /// The change number to continue after: 0 (the default) for everything.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub since: i64,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))] // PAGE_LIMIT_MAX: tested
    pub limit: Option<u32>,
}

/// Messages (new, edited, deleted, re-reacted) in the order of their latest change, each
/// once. Continue from the last one's `change_seq` while `has_more`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    pub messages: Vec<Message>,
    pub has_more: bool,
    /// The chat's change position when this page was read.
    pub last_change: i64,
}

/// A file shared in a chat. `url` and `thumbnail_url` are this server's
/// `/api/attachments/...` paths, which check membership and redirect to storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: AttachmentId,
    pub chat_id: ChatId,
    pub filename: String,
    /// Once ready, the type read from the file's bytes; before, the one declared.
    pub content_type: String,
    pub size: u64,
    pub status: AttachmentStatus,
    pub url: String,
    /// Images only (JPEG, PNG, GIF, WebP), at most 400 px on the long side.
    pub thumbnail_url: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStatus {
    /// Started; its bytes may not have arrived yet.
    Pending,
    /// Completed and checked: it can be attached to a message.
    Ready,
}

/// `POST /api/chats/{id}/attachments`: the file about to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartUploadRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::filename))]
    pub filename: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::openapi::media_type))]
    pub content_type: String,
    /// Bytes: at least 1; more than `UPLOAD_BYTES_MAX` (`GET /api/limits`) is a 413.
    #[serde(deserialize_with = "unsigned")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9223372036854775807_i64))]
    pub size: u64,
}

/// The new attachment and how to upload its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStarted {
    pub attachment: Attachment,
    pub upload: UploadInstructions,
}

/// Send exactly the declared bytes with `method` to `url` (absolute, or a path on this
/// server) with these headers, before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadInstructions {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::SignInError;

    #[test]
    fn sign_in_errors_round_trip_through_their_codes() {
        for error in SignInError::ALL {
            assert_eq!(SignInError::from_code(error.code()), Some(error));
            assert!(error.message().ends_with('.'), "{error:?}");
        }
        assert_eq!(SignInError::from_code("<script>"), None);
    }
}
