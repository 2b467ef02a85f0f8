//! Security headers on every response: JSON, errors, static files and the app's HTML.
//!
//! - `X-Content-Type-Options: nosniff`: browsers never guess a type, so a JSON body can't
//!   be run as HTML or script.
//! - `Referrer-Policy: no-referrer`: links in messages lead to other sites, which need not
//!   learn this server's address or a chat's id from the page they were clicked on; confab
//!   itself never reads `Referer` (same-origin is decided by `Origin`).
//! - `Content-Security-Policy`: the app's HTML runs only its own scripts — the files it
//!   serves and the inline bootstrap that trunk writes into `index.html`, allowed by its
//!   SHA-256 (computed at start-up, so restart after rebuilding the frontend) rather than by
//!   `'unsafe-inline'` — compiles WebAssembly (`'wasm-unsafe-eval'`), talks to its own
//!   origins only (HTTP and WebSocket) — and, with S3 storage, the bucket's origin, where
//!   it uploads files and loads pictures from — and can't be framed, re-based or post forms
//!   elsewhere. Every other response gets `default-src 'none'`: if a browser ever opens
//!   one as a document, nothing in it runs.
//!
//! A header a handler has already set is left as it is.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::auth::origin::AllowedOrigins;

/// The policy for responses that are not the app's HTML.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers, built once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    app_policy: HeaderValue,
}

impl SecurityHeaders {
    /// `index_html` is the served `index.html` (`None` when no frontend is served), whose
    /// inline scripts the policy allows by hash; `storage_origin` is where the browser
    /// uploads and downloads files when that is not this server.
    pub fn new(
        origins: &AllowedOrigins,
        index_html: Option<&str>,
        storage_origin: Option<&str>,
    ) -> anyhow::Result<Self> {
        let policy = app_policy(origins, index_html.unwrap_or_default(), storage_origin);
        let app_policy = HeaderValue::from_str(&policy).context("Content-Security-Policy")?;
        Ok(Self { app_policy })
    }

    fn apply(&self, headers: &mut HeaderMap) {
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let policy = if is_html { self.app_policy.clone() } else { HeaderValue::from_static(NOTHING_RUNS) };
        insert_if_absent(headers, header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        insert_if_absent(headers, header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        insert_if_absent(headers, header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// Middleware around the whole app. An error from further in (the Origin check) becomes
/// its response here, so that it carries the headers too.
pub async fn add(
    headers: web::Data<SecurityHeaders>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match next.call(req).await {
        Ok(mut response) => {
            headers.apply(response.headers_mut());
            Ok(response)
        }
        Err(error) => {
            let mut response = error.error_response();
            headers.apply(response.headers_mut());
            Err(InternalError::from_response(error, response).into())
        }
    }
}

fn insert_if_absent(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value);
    }
}

/// The app's policy: its own files, the inline scripts of `index_html` by hash,
/// WebAssembly, connections to its own origins, and the file store's origin for uploads
/// and pictures.
fn app_policy(origins: &AllowedOrigins, index_html: &str, storage_origin: Option<&str>) -> String {
    let script_src: String =
        inline_scripts(index_html).into_iter().map(|script| format!(" {}", hash_source(script))).collect();
    let storage: String = storage_origin.map(|origin| format!(" {origin}")).unwrap_or_default();
    let connect_src: String =
        origins.iter().filter_map(websocket_origin).map(|ws| format!(" {ws}")).collect();
    format!(
        "default-src 'self'; script-src 'self'{script_src} 'wasm-unsafe-eval'; \
         connect-src 'self'{connect_src}{storage}; img-src 'self'{storage}; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// `'sha256-…'`: the source expression that allows exactly this inline script.
fn hash_source(script: &str) -> String {
    format!("'sha256-{}'", BASE64.encode(Sha256::digest(script.as_bytes())))
}

/// `https://chat.example.com` → `wss://chat.example.com`: where the app served from that
/// origin opens its socket. (CSP3 lets `'self'` match it too; older browsers need it named.)
fn websocket_origin(origin: &str) -> Option<String> {
    if let Some(authority) = origin.strip_prefix("https://") {
        Some(format!("wss://{authority}"))
    } else {
        origin.strip_prefix("http://").map(|authority| format!("ws://{authority}"))
    }
}

/// The text of each `<script>` element without a `src` attribute, exactly as the browser
/// hashes it. A small scanner for the page trunk writes, whose script tags have no `>`
/// inside attribute values.
fn inline_scripts(html: &str) -> Vec<&str> {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find("<script") {
        let tag_start = from + found;
        let Some(tag_len) = lower[tag_start..].find('>') else { break };
        let body_start = tag_start + tag_len + 1;
        let Some(body_len) = lower[body_start..].find("</script") else { break };
        let attributes = &lower[tag_start + "<script".len()..body_start - 1];
        let is_script_tag = attributes.is_empty() || attributes.starts_with(|c: char| c.is_whitespace());
        if is_script_tag && !has_src(attributes) {
            scripts.push(&html[body_start..body_start + body_len]);
        }
        from = body_start + body_len;
    }
    scripts
}

fn has_src(attributes: &str) -> bool {
    attributes.split_whitespace().any(|attribute| attribute == "src" || attribute.starts_with("src="))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> AllowedOrigins {
        AllowedOrigins::new("https://chat.example.com", &["http://localhost:8080".into()]).unwrap()
    }

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = "<head><SCRIPT type=module>import init from '/app.js';\ninit();</SCRIPT>\
                    <script src=/x.js></script><script defer src=\"/y.js\"></script>\
                    <scripts>not a script</scripts><script>\n</script></head>";
        assert_eq!(inline_scripts(html), ["import init from '/app.js';\ninit();", "\n"]);
    }

    #[test]
    fn an_inline_script_is_allowed_by_its_sha256() {
        // `printf 'alert(1)' | openssl dgst -sha256 -binary | base64`
        let policy = app_policy(&origins(), "<script>alert(1)</script>", None);
        assert!(
            policy.contains(
                "script-src 'self' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=' 'wasm-unsafe-eval';"
            ),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }

    #[test]
    fn the_app_connects_to_its_origins_only() {
        let policy = app_policy(&origins(), "", None);
        assert!(
            policy.contains("connect-src 'self' wss://chat.example.com ws://localhost:8080;"),
            "{policy}"
        );
        assert!(policy.contains("img-src 'self';"), "{policy}");
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{directive} missing from {policy}");
        }
    }

    #[test]
    fn with_s3_the_app_uploads_to_and_shows_pictures_from_the_bucket() {
        let policy = app_policy(&origins(), "", Some("https://files.example.com"));
        assert!(
            policy.contains(
                "connect-src 'self' wss://chat.example.com ws://localhost:8080 https://files.example.com;"
            ),
            "{policy}"
        );
        assert!(policy.contains("img-src 'self' https://files.example.com;"), "{policy}");
    }
}
