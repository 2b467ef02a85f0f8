//! Promise 7: sockets and state-changing calls are accepted only from allowed origins, so
//! another site cannot act with a visitor's cookie (cross-site WebSocket hijacking, CSRF).
//!
//! The allowed origins come from configuration alone: `PUBLIC_URL`'s and those listed in
//! `ALLOWED_ORIGINS`. The `Host` header is never consulted, because under DNS rebinding it
//! lies: an attacker's page at `http://evil.test:8080`, whose name now resolves to this
//! server, sends `Host: evil.test:8080` along with `Origin: http://evil.test:8080`.
//! Requests without `Origin` come from non-browser clients, which cannot carry a victim's
//! cookie, and are let through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header;
use anyhow::{Context, bail};

use crate::error::AppError;

/// The origins (`scheme://host[:port]`, as browsers send them) whose pages may act with a
/// visitor's cookie; the public one comes first.
#[derive(Debug, Clone)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// The origins of `public_url` and of each of `others`; each must be an http(s) URL.
    pub fn new(public_url: &str, others: &[String]) -> anyhow::Result<Self> {
        let public = origin_of(public_url).context("PUBLIC_URL")?;
        let mut origins = vec![public];
        for other in others {
            let origin = origin_of(other).context("ALLOWED_ORIGINS")?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(Self(origins))
    }

    /// The origin the server is reached at (`PUBLIC_URL`'s).
    pub fn public(&self) -> &str {
        &self.0[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Lets the request through when it has no `Origin` or an allowed one; 403 otherwise.
    pub fn check(&self, req: &HttpRequest) -> Result<(), AppError> {
        let Some(origin) = req.headers().get(header::ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().unwrap_or_default();
        if self.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)) {
            Ok(())
        } else {
            Err(AppError::Forbidden("requests from this origin are not allowed".into()))
        }
    }
}

/// The public URL of a server bound to `addr` when `PUBLIC_URL` is unset:
/// `http://127.0.0.1:8080` by default, and the real port when it bound port 0 (tests). An
/// unspecified address (`0.0.0.0`, `::`) is reached on loopback.
pub fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// `https://Chat.Example.com:443/path` → `https://chat.example.com`: the serialisation a
/// browser puts in `Origin`.
fn origin_of(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url.trim()).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{url:?} is not an http(s) URL");
    }
    Ok(parsed.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_serialised_like_browsers_do() {
        let origins = AllowedOrigins::new(
            "https://Chat.Example.com:443/confab/",
            &["http://localhost:8080/".into(), "https://chat.example.com".into()],
        )
        .unwrap();
        assert_eq!(origins.iter().collect::<Vec<_>>(), ["https://chat.example.com", "http://localhost:8080"]);
        assert_eq!(origins.public(), "https://chat.example.com");
    }

    #[test]
    fn only_http_urls_are_origins() {
        assert!(AllowedOrigins::new("chat.example.com", &[]).is_err());
        assert!(AllowedOrigins::new("file:///tmp/x", &[]).is_err());
        assert!(AllowedOrigins::new("http://127.0.0.1:8080", &["javascript:alert(1)".into()]).is_err());
    }

    #[test]
    fn an_unspecified_bind_address_is_reached_on_loopback() {
        assert_eq!(local_url("0.0.0.0:8080".parse().unwrap()), "http://127.0.0.1:8080");
        assert_eq!(local_url("[::]:9000".parse().unwrap()), "http://[::1]:9000");
        assert_eq!(local_url("10.0.0.11:8080".parse().unwrap()), "http://10.0.0.11:8080");
    }
}
