//! Authentication mechanics: password hashing, session tokens and cookies, who a session
//! is (`Authenticated`), OpenID Connect providers, and the Origin check. The use cases (register, login, logout)
//! live in `services::auth`; the extractor and the Origin middleware, which need the
//! app's state, are doors: `routes::extract`, `routes::require_allowed_origin`.

pub mod oidc;
pub mod origin;
pub mod password;
pub mod session;
pub mod token;

pub use session::{Authenticated, Presented};
