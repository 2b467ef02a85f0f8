//! Everything both sides of the wire agree on: typed ids, REST DTOs, WebSocket events,
//! validated input types and their limits. Builds for native and `wasm32-unknown-unknown`.

pub mod api;
mod decode;
pub mod display;
pub mod error;
pub mod ids;
pub mod limits;
pub mod mentions;
pub mod schema;
pub mod time;
pub mod validate;
pub mod ws;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use ids::{AttachmentId, ChatId, ClientId, IdentityId, MessageId, SessionId, UserId};
