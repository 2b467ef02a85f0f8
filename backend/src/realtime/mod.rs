//! Live delivery over WebSockets. [`Events`] is the one door services publish through;
//! behind it the [`hub::Hub`] holds this node's sockets and the [`bus::Bus`] carries events
//! between nodes over Redis, with [`order::Sequencer`] keeping each chat's events in order.
//! The socket loop itself is a door like the REST handlers: `routes::socket`.

pub mod bus;
pub mod events;
pub mod hub;
pub mod order;
pub mod presence;
pub mod typing;

pub use events::Events;
pub use hub::Hub;
pub use presence::Presence;
pub use typing::TypingThrottle;
