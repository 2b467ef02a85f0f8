//! Where attachment bytes live. The browser talks to storage directly on short-lived signed
//! URLs; the server only signs, checks and records (DESIGN.md, "Attachments"). Two stores
//! behind one trait: local disk, whose signed URLs the backend serves itself, and any
//! S3-compatible service.

pub mod local;
pub mod s3;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::config::StorageSettings;

/// How the browser uploads: `PUT url` with these headers and exactly the signed size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUpload {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// How a download is served: its `Content-Type` and `Content-Disposition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub content_type: String,
    pub disposition: String,
}

impl Delivery {
    /// Shown in the page: only for types the browser renders as a picture, never a document.
    pub fn inline(content_type: &str) -> Self {
        Self { content_type: content_type.to_owned(), disposition: "inline".to_owned() }
    }

    /// Saved as a file, whatever it contains: an HTML or SVG upload never runs.
    pub fn download(filename: &str) -> Self {
        Self {
            content_type: "application/octet-stream".to_owned(),
            disposition: attachment_disposition(filename),
        }
    }
}

/// One place attachments are kept. Keys are made by the server (`[A-Za-z0-9._-]`).
pub trait Storage: Send + Sync {
    /// A URL that accepts exactly `size` bytes of `content_type` under `key` for `ttl`.
    fn sign_upload(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> anyhow::Result<SignedUpload>;

    /// A URL that serves `key` as `delivery` says for `ttl`.
    fn sign_download(&self, key: &str, delivery: &Delivery, ttl: Duration) -> anyhow::Result<String>;

    /// The stored object's size, `None` when there is none.
    fn size<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<u64>>>;

    /// The object's first `limit` bytes (all of it when shorter).
    fn read<'a>(&'a self, key: &'a str, limit: u64) -> BoxFuture<'a, anyhow::Result<Vec<u8>>>;

    /// Stores a small object the server made itself (a thumbnail).
    fn write<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>>;

    /// Where the browser sends and fetches files, when that is not this server (for the
    /// app's Content-Security-Policy).
    fn browser_origin(&self) -> Option<String>;

    /// Deletes the object; deleting what isn't there succeeds.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The store the settings name. Local disk also gets its own routes (`routes::storage`),
/// hence the concrete handle beside the trait object.
pub struct Stores {
    pub storage: Arc<dyn Storage>,
    pub local: Option<Arc<local::LocalStore>>,
}

impl Stores {
    pub async fn open(settings: &StorageSettings) -> anyhow::Result<Self> {
        Ok(match settings {
            StorageSettings::Local { dir, secret } => {
                let local = Arc::new(local::LocalStore::open(dir, secret.as_deref()).await?);
                Self { storage: local.clone(), local: Some(local) }
            }
            StorageSettings::S3(s3) => Self { storage: Arc::new(s3::S3Store::new(s3)?), local: None },
        })
    }
}

/// `attachment; filename="..."; filename*=UTF-8''...` (RFC 6266): the quoted name keeps
/// printable ASCII only, without quotes or backslashes; the encoded one keeps the rest.
/// Control characters and path separators go in both, so no header or path can be forged.
pub fn attachment_disposition(filename: &str) -> String {
    let cleaned: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
        .collect();
    let cleaned = if cleaned.trim().is_empty() { "file".to_owned() } else { cleaned };
    let ascii: String =
        cleaned.chars().map(|c| if c.is_ascii_graphic() && c != '"' || c == ' ' { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode_attr(&cleaned))
}

/// RFC 8187 `attr-char`s stay, every other byte becomes `%XX`.
fn percent_encode_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_is_kept() {
        assert_eq!(
            attachment_disposition("report 2024.pdf"),
            "attachment; filename=\"report 2024.pdf\"; filename*=UTF-8''report%202024.pdf"
        );
    }

    #[test]
    fn quotes_separators_and_line_breaks_cannot_forge_headers_or_paths() {
        let header = attachment_disposition("a\"b\r\nSet-Cookie: x=1/../..\\c.html");
        assert_eq!(
            header,
            "attachment; filename=\"a_bSet-Cookie: x=1_.._.._c.html\"; \
             filename*=UTF-8''a%22bSet-Cookie%3A%20x%3D1_.._.._c.html"
        );
    }

    #[test]
    fn non_ascii_names_survive_in_the_encoded_form() {
        assert_eq!(
            attachment_disposition("résumé.pdf"),
            "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
        );
    }

    #[test]
    fn an_empty_name_becomes_file() {
        assert!(attachment_disposition("\n").starts_with("attachment; filename=\"file\""));
    }

    #[test]
    fn only_pictures_are_inline() {
        assert_eq!(Delivery::inline("image/png").disposition, "inline");
        let download = Delivery::download("x.html");
        assert_eq!(download.content_type, "application/octet-stream");
        assert!(download.disposition.starts_with("attachment;"));
    }
}
