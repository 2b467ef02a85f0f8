//! Live delivery over WebSockets: the [`hub::Hub`] knows every open connection on this
//! node; [`connection::run`] is the loop that owns one socket.

pub mod connection;
pub mod hub;
pub mod presence;
pub mod typing;

pub use hub::Hub;
pub use presence::Presence;
pub use typing::TypingThrottle;
