//! Session tokens and the cookie that carries them (promise 6): 256 random bits, sent to
//! the browser once in an HttpOnly, SameSite=Lax cookie; only the SHA-256 is stored.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Cookie name over plain http.
pub const COOKIE_NAME: &str = "confab_session";
/// Cookie name over https: the `__Host-` prefix pins it to this host and path `/`.
pub const SECURE_COOKIE_NAME: &str = "__Host-confab_session";

/// The cookie that binds a sign-in with an identity provider to the browser that started
/// it (`services::oidc`), over http and https. Its token is made like a session's.
pub const ATTEMPT_COOKIE_NAME: &str = "confab_oidc";
pub const SECURE_ATTEMPT_COOKIE_NAME: &str = "__Host-confab_oidc";

pub type TokenHash = [u8; 32];

/// A fresh random token, base64url-encoded, as it goes into the cookie.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database and the cache know a token by.
pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE_NAME } else { COOKIE_NAME }
}

pub fn attempt_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_ATTEMPT_COOKIE_NAME } else { ATTEMPT_COOKIE_NAME }
}

/// The session cookie; it lives exactly as long as the session.
pub fn cookie(token: String, secure: bool, max_age: std::time::Duration) -> Cookie<'static> {
    build(cookie_name(secure), token, secure, max_age)
}

/// A sign-in attempt's cookie; it lives as long as the attempt. SameSite=Lax, so the
/// browser sends it when the provider sends the person back (a top-level GET).
pub fn attempt_cookie(token: String, secure: bool, max_age: std::time::Duration) -> Cookie<'static> {
    build(attempt_cookie_name(secure), token, secure, max_age)
}

/// A cookie that tells the browser to forget its sign-in attempt.
pub fn attempt_removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = attempt_cookie(String::new(), secure, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

/// HttpOnly, SameSite=Lax, path `/` (the `__Host-` prefix needs it), `Secure` over https.
fn build(name: &'static str, value: String, secure: bool, max_age: std::time::Duration) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)))
        .finish()
}

/// A cookie that tells the browser to forget the session.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = cookie(String::new(), secure, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_unique() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()), Ok(32));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&a.clone()));
    }

    #[test]
    fn cookie_is_http_only_and_lax() {
        let c = cookie("t".into(), false, std::time::Duration::from_secs(60));
        assert_eq!(c.name(), COOKIE_NAME);
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(false));
        assert_eq!(cookie("t".into(), true, std::time::Duration::from_secs(60)).name(), SECURE_COOKIE_NAME);
        let attempt = attempt_cookie("t".into(), true, std::time::Duration::from_secs(600));
        assert_eq!(attempt.name(), SECURE_ATTEMPT_COOKIE_NAME);
        assert_eq!(
            (attempt.http_only(), attempt.same_site(), attempt.secure()),
            (Some(true), Some(SameSite::Lax), Some(true))
        );
        assert_eq!(attempt.max_age(), Some(CookieDuration::seconds(600)));
    }
}
