//! The default store: files in one directory, so a one-machine install needs nothing else.
//! The backend serves its signed URLs itself (`routes::storage`): each carries an
//! HMAC-SHA256, under a server secret, of what it allows — method, key, expiry, and the
//! exact size and type of an upload, or how a download is served — so a URL can't be
//! stretched to another file, size, type or time.
//!
//! An upload streams to a temporary file beside the others and is renamed into place only
//! when exactly the signed size arrived: nothing is buffered whole, nothing half-written is
//! ever kept, and a byte past the signed size ends it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::web::Bytes;
use anyhow::Context;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tempfile::NamedTempFile;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Delivery, SignedUpload, Storage};

/// Where the backend serves the store's files: `PUT` and `GET` `{ROUTE}/{key}?...`.
pub const ROUTE: &str = "/files";

/// The generated secret, kept in the upload directory.
const SECRET_FILE: &str = ".secret";

/// Uploads in progress, on the same file system as the files so the rename is atomic.
const TEMP_DIR: &str = ".tmp";

pub struct LocalStore {
    dir: PathBuf,
    /// Keyed with the secret once; cloned for each signature.
    mac: Hmac<Sha256>,
}

/// The query of a signed upload URL.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    pub expires: u64,
    pub size: u64,
    #[serde(rename = "type")]
    pub content_type: String,
    pub sig: String,
}

/// The query of a signed download URL.
#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    pub expires: u64,
    #[serde(rename = "type")]
    pub content_type: String,
    pub disposition: String,
    pub sig: String,
}

/// Why a signed request is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("this link is not valid")]
    BadSignature,
    #[error("this link has expired")]
    Expired,
}

/// Why an upload failed; nothing of it is kept.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than the {0} bytes signed for")]
    TooLarge(u64),
    #[error("the upload ended after {got} of the {signed} bytes signed for")]
    TooShort { got: u64, signed: u64 },
    #[error("this file was uploaded already")]
    Exists,
    #[error("the upload was interrupted")]
    Interrupted,
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

impl LocalStore {
    /// Opens (creating) `dir`. Without `secret`, the one kept in `dir` is used, made on first
    /// start; several nodes sharing the directory therefore share it.
    pub async fn open(dir: &Path, secret: Option<&str>) -> anyhow::Result<Self> {
        tokio::fs::create_dir_all(dir.join(TEMP_DIR))
            .await
            .with_context(|| format!("creating the upload directory {}", dir.display()))?;
        let secret = match secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => kept_secret(&dir.join(SECRET_FILE)).await?,
        };
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret).context("the upload secret")?;
        Ok(Self { dir: dir.to_owned(), mac })
    }

    /// Checks an upload URL; on success the request may write `query.size` bytes to `key`.
    pub fn check_upload(&self, key: &str, query: &UploadQuery) -> Result<(), Refused> {
        let fields = upload_fields(key, query.expires, query.size, &query.content_type);
        self.check(&fields, &query.sig, query.expires)
    }

    /// Checks a download URL.
    pub fn check_download(&self, key: &str, query: &DownloadQuery) -> Result<(), Refused> {
        let fields = download_fields(key, query.expires, &query.content_type, &query.disposition);
        self.check(&fields, &query.sig, query.expires)
    }

    /// Streams `body` to `key`, which must hold exactly `size` bytes and not exist yet.
    pub async fn receive<E>(
        &self,
        key: &str,
        size: u64,
        mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ) -> Result<(), UploadError> {
        let path = self.path(key).ok_or_else(|| anyhow::anyhow!("invalid storage key {key:?}"))?;
        if tokio::fs::try_exists(&path).await.context("checking for an earlier upload")? {
            return Err(UploadError::Exists);
        }
        let (temp, mut file) = self.temp_file().await?;
        let mut received: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| UploadError::Interrupted)?;
            received += chunk.len() as u64;
            if received > size {
                return Err(UploadError::TooLarge(size));
            }
            file.write_all(&chunk).await.context("writing an upload")?;
        }
        if received < size {
            return Err(UploadError::TooShort { got: received, signed: size });
        }
        file.sync_all().await.context("syncing an upload")?;
        drop(file);
        match temp.persist_noclobber(&path) {
            Ok(_) => Ok(()),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Err(UploadError::Exists),
            Err(e) => {
                Err(UploadError::Io(anyhow::Error::new(e.error).context("moving an upload into place")))
            }
        }
    }

    /// The file behind `key`, when the key is one the server could have made.
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        valid_key(key).then(|| self.dir.join(key))
    }

    fn check(&self, fields: &[String], sig: &str, expires: u64) -> Result<(), Refused> {
        let sig = hex::decode(sig).map_err(|_| Refused::BadSignature)?;
        self.mac(fields).verify_slice(&sig).map_err(|_| Refused::BadSignature)?;
        if expires <= unix_now() {
            return Err(Refused::Expired);
        }
        Ok(())
    }

    fn sign(&self, fields: &[String]) -> String {
        hex::encode(self.mac(fields).finalize().into_bytes())
    }

    /// Each field is length-prefixed, so no two different lists sign alike.
    fn mac(&self, fields: &[String]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        for field in fields {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }

    /// A temporary file that deletes itself unless persisted, and a handle to write it.
    async fn temp_file(&self) -> anyhow::Result<(NamedTempFile, tokio::fs::File)> {
        let dir = self.dir.join(TEMP_DIR);
        tokio::task::spawn_blocking(move || {
            let temp = NamedTempFile::new_in(&dir).context("creating a temporary upload file")?;
            let file = temp.reopen().context("opening a temporary upload file")?;
            Ok((temp, tokio::fs::File::from_std(file)))
        })
        .await
        .context("the temporary-file task failed")?
    }

    fn sign_upload_until(&self, key: &str, size: u64, content_type: &str, expires: u64) -> SignedUpload {
        let expires_text = expires.to_string();
        let size_text = size.to_string();
        let sig = self.sign(&upload_fields(key, expires, size, content_type));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("expires", &expires_text)
            .append_pair("size", &size_text)
            .append_pair("type", content_type)
            .append_pair("sig", &sig)
            .finish();
        SignedUpload {
            url: format!("{ROUTE}/{key}?{query}"),
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
        }
    }

    fn sign_download_until(&self, key: &str, delivery: &Delivery, expires: u64) -> String {
        let sig = self.sign(&download_fields(key, expires, &delivery.content_type, &delivery.disposition));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("expires", &expires.to_string())
            .append_pair("type", &delivery.content_type)
            .append_pair("disposition", &delivery.disposition)
            .append_pair("sig", &sig)
            .finish();
        format!("{ROUTE}/{key}?{query}")
    }
}

/// What an upload URL signs. The method is part of it: a download URL can't upload.
fn upload_fields(key: &str, expires: u64, size: u64, content_type: &str) -> [String; 5] {
    ["PUT".into(), key.into(), expires.to_string(), size.to_string(), content_type.into()]
}

fn download_fields(key: &str, expires: u64, content_type: &str, disposition: &str) -> [String; 5] {
    ["GET".into(), key.into(), expires.to_string(), content_type.into(), disposition.into()]
}

impl Storage for LocalStore {
    fn browser_origin(&self) -> Option<String> {
        None
    }

    fn sign_upload(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> anyhow::Result<SignedUpload> {
        anyhow::ensure!(valid_key(key), "invalid storage key {key:?}");
        Ok(self.sign_upload_until(key, size, content_type, unix_now() + ttl.as_secs()))
    }

    fn sign_download(&self, key: &str, delivery: &Delivery, ttl: Duration) -> anyhow::Result<String> {
        anyhow::ensure!(valid_key(key), "invalid storage key {key:?}");
        Ok(self.sign_download_until(key, delivery, unix_now() + ttl.as_secs()))
    }

    fn size<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<u64>>> {
        async move {
            let path = self.path(key).with_context(|| format!("invalid storage key {key:?}"))?;
            match tokio::fs::metadata(&path).await {
                Ok(meta) => Ok(Some(meta.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(anyhow::Error::new(e).context("reading an upload's size")),
            }
        }
        .boxed()
    }

    fn read<'a>(&'a self, key: &'a str, limit: u64) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        async move {
            let path = self.path(key).with_context(|| format!("invalid storage key {key:?}"))?;
            let file = tokio::fs::File::open(&path).await.context("opening an upload")?;
            let mut bytes = Vec::new();
            file.take(limit).read_to_end(&mut bytes).await.context("reading an upload")?;
            Ok(bytes)
        }
        .boxed()
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        _content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let path = self.path(key).with_context(|| format!("invalid storage key {key:?}"))?;
            let (temp, mut file) = self.temp_file().await?;
            file.write_all(&bytes).await.context("writing a file")?;
            file.sync_all().await.context("syncing a file")?;
            drop(file);
            temp.persist(&path).context("moving a file into place")?;
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let path = self.path(key).with_context(|| format!("invalid storage key {key:?}"))?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(anyhow::Error::new(e).context("deleting an upload")),
            }
        }
        .boxed()
    }
}

/// Keys are made by the server; anything else (a path, a dot file) names no file.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 128
        && !key.starts_with('.')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The secret in `path`, made (32 random bytes, readable by the owner only) if missing.
/// Two nodes starting together: one creates it, the other reads it.
async fn kept_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                let secret = hex::encode(rand::random::<[u8; 32]>());
                file.write_all(secret.as_bytes()).context("writing the upload secret")?;
                file.sync_all().context("syncing the upload secret")?;
                Ok(secret.into_bytes())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let secret = std::fs::read(&path).context("reading the upload secret")?;
                anyhow::ensure!(!secret.is_empty(), "{} is empty", path.display());
                Ok(secret)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("creating {}", path.display()))),
        }
    })
    .await
    .context("the secret task failed")?
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, LocalStore) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = LocalStore::open(dir.path(), None).await.expect("opening the store");
        (dir, store)
    }

    fn upload_query(url: &str) -> UploadQuery {
        parse_query(url)
    }

    fn parse_query<T: serde::de::DeserializeOwned>(url: &str) -> T {
        let query = url.split_once('?').expect("a query").1;
        actix_web::web::Query::<T>::from_query(query).expect("a signed query").into_inner()
    }

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn a_signed_upload_url_checks_out_for_its_key_only() {
        let (_dir, store) = store().await;
        let signed = store.sign_upload("abc", 5, "text/plain", Duration::from_secs(60)).expect("signing");
        assert!(signed.url.starts_with("/files/abc?"));
        let query = upload_query(&signed.url);
        assert_eq!(store.check_upload("abc", &query), Ok(()));
        assert_eq!(store.check_upload("abd", &query), Err(Refused::BadSignature));
    }

    #[tokio::test]
    async fn changing_size_type_expiry_or_signature_breaks_the_url() {
        let (_dir, store) = store().await;
        let signed = store.sign_upload("abc", 5, "text/plain", Duration::from_secs(60)).expect("signing");
        let tampered = [
            UploadQuery { size: 6, ..upload_query(&signed.url) },
            UploadQuery { content_type: "text/html".into(), ..upload_query(&signed.url) },
            UploadQuery { expires: upload_query(&signed.url).expires + 3600, ..upload_query(&signed.url) },
            UploadQuery { sig: "00".repeat(32), ..upload_query(&signed.url) },
            UploadQuery { sig: "not hex".into(), ..upload_query(&signed.url) },
        ];
        for query in tampered {
            assert_eq!(store.check_upload("abc", &query), Err(Refused::BadSignature), "{query:?}");
        }
    }

    #[tokio::test]
    async fn an_expired_url_is_refused() {
        let (_dir, store) = store().await;
        let signed = store.sign_upload_until("abc", 5, "text/plain", unix_now() - 1);
        assert_eq!(store.check_upload("abc", &upload_query(&signed.url)), Err(Refused::Expired));
    }

    #[tokio::test]
    async fn a_download_url_is_not_an_upload_url() {
        let (_dir, store) = store().await;
        let url = store
            .sign_download("abc", &Delivery::download("a.txt"), Duration::from_secs(60))
            .expect("signing");
        let query: DownloadQuery = parse_query(&url);
        assert_eq!(store.check_download("abc", &query), Ok(()));
        let as_upload =
            UploadQuery { expires: query.expires, size: 0, content_type: query.content_type, sig: query.sig };
        assert_eq!(store.check_upload("abc", &as_upload), Err(Refused::BadSignature));
    }

    #[tokio::test]
    async fn the_generated_secret_is_kept_for_the_next_start() {
        let (dir, store) = store().await;
        let signed = store.sign_upload("abc", 5, "text/plain", Duration::from_secs(60)).expect("signing");
        let again = LocalStore::open(dir.path(), None).await.expect("reopening");
        assert_eq!(again.check_upload("abc", &upload_query(&signed.url)), Ok(()));
        let other = LocalStore::open(dir.path(), Some("another secret")).await.expect("opening");
        assert_eq!(other.check_upload("abc", &upload_query(&signed.url)), Err(Refused::BadSignature));
    }

    #[tokio::test]
    async fn exactly_the_signed_size_is_stored() {
        let (_dir, store) = store().await;
        store.receive("abc", 5, chunks(&[b"he", b"llo"])).await.expect("receiving");
        assert_eq!(store.size("abc").await.expect("size"), Some(5));
        assert_eq!(store.read("abc", 3).await.expect("reading"), b"hel");
    }

    #[tokio::test]
    async fn a_byte_too_many_or_too_few_keeps_nothing() {
        let (dir, store) = store().await;
        let long = store.receive("abc", 4, chunks(&[b"he", b"llo"])).await;
        assert!(matches!(long, Err(UploadError::TooLarge(4))), "{long:?}");
        let short = store.receive("abc", 6, chunks(&[b"he", b"llo"])).await;
        assert!(matches!(short, Err(UploadError::TooShort { got: 5, signed: 6 })), "{short:?}");
        assert_eq!(store.size("abc").await.expect("size"), None);
        let temps = std::fs::read_dir(dir.path().join(TEMP_DIR)).expect("the temp dir").count();
        assert_eq!(temps, 0, "temporary files are removed");
    }

    #[tokio::test]
    async fn an_upload_never_replaces_a_file() {
        let (_dir, store) = store().await;
        store.receive("abc", 5, chunks(&[b"hello"])).await.expect("receiving");
        let again = store.receive("abc", 5, chunks(&[b"<html"])).await;
        assert!(matches!(again, Err(UploadError::Exists)), "{again:?}");
        assert_eq!(store.read("abc", 10).await.expect("reading"), b"hello");
    }

    #[tokio::test]
    async fn paths_and_dot_files_are_not_keys() {
        let (_dir, store) = store().await;
        for key in ["", "../x", "a/b", ".secret", "a\0b"] {
            assert!(store.path(key).is_none(), "{key:?}");
            assert!(store.sign_upload(key, 1, "text/plain", Duration::from_secs(1)).is_err(), "{key:?}");
        }
    }

    #[tokio::test]
    async fn deleting_removes_the_file_and_tolerates_none() {
        let (_dir, store) = store().await;
        store.write("abc", b"thumb".to_vec(), "image/webp").await.expect("writing");
        store.delete("abc").await.expect("deleting");
        assert_eq!(store.size("abc").await.expect("size"), None);
        store.delete("abc").await.expect("deleting again");
    }
}
