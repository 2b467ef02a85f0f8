//! Every size limit in one place, so the browser rejects exactly what the server rejects
//! (promise 8). Lengths are counted in Unicode scalar values (`char`s), not bytes.

/// Usernames: 3 to 32 of `a-z`, `0-9`, `_` (stored lower-case).
pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;

/// Passwords: at least 8 (OWASP ASVS), at most 128 so hashing cost stays bounded.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Display names shown beside messages.
pub const DISPLAY_NAME_MAX: usize = 64;

/// Group chat titles.
pub const CHAT_TITLE_MAX: usize = 100;

/// Message bodies.
pub const MESSAGE_BODY_MAX: usize = 4000;

/// A reaction is one emoji (a few code points at most: flags, skin tones, ZWJ sequences).
pub const REACTION_EMOJI_MAX: usize = 16;

/// Different emoji on one message.
pub const REACTIONS_PER_MESSAGE_MAX: usize = 20;

/// Members named when a group is created (the creator is added on top).
pub const GROUP_INITIAL_MEMBERS_MAX: usize = 100;

/// Attachments on one message.
pub const ATTACHMENTS_PER_MESSAGE_MAX: usize = 10;

/// Characters in the name of a shared file, and in its declared media type.
pub const FILENAME_MAX: usize = 255;
pub const MEDIA_TYPE_MAX: usize = 127;

/// Characters of a parent's text that a reply quotes (`ReplyPreview::excerpt`).
pub const REPLY_EXCERPT_MAX: usize = 100;

/// History pages: the default and the largest `limit` accepted.
pub const PAGE_LIMIT_DEFAULT: u32 = 50;
pub const PAGE_LIMIT_MAX: u32 = 100;

/// Results of a user search.
pub const USER_SEARCH_LIMIT: i64 = 20;

/// A message search (`GET /api/search?q=`): characters of `q` as sent, and results per page.
pub const SEARCH_QUERY_MAX: usize = 200;
pub const SEARCH_PAGE_SIZE: u32 = 20;

/// Largest JSON request body the REST API reads, in bytes.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Largest WebSocket frame (and reassembled message) the server reads, in bytes.
pub const MAX_WS_FRAME_BYTES: usize = 64 * 1024;

/// Version of the socket protocol announced in `ready`.
pub const PROTOCOL_VERSION: u32 = 1;
