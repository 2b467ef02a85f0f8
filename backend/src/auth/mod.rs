//! Authentication mechanics: password hashing, session tokens and cookies, the
//! `Authenticated` extractor, and the Origin check. The use cases (register, login,
//! logout) live in `services::auth`.

pub mod extractor;
pub mod origin;
pub mod password;
pub mod token;

pub use extractor::Authenticated;
