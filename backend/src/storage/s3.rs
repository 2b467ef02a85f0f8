//! Any S3-compatible service (AWS S3, MinIO, R2, ...). URLs are presigned with AWS
//! Signature Version 4 by `rusty-s3`, which does no I/O itself; the few requests the
//! server makes (checking, reading and deleting objects, storing thumbnails) go through a
//! plain HTTP client on URLs presigned the same way.
//!
//! An upload URL signs the object's `Content-Type` and `Content-Length`, so S3 refuses any
//! other type or size. A download URL overrides how S3 serves the object
//! (`response-content-type`, `response-content-disposition`).

use std::time::Duration;

use anyhow::Context;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use reqwest::StatusCode;
use rusty_s3::actions::{DeleteObject, GetObject, HeadObject, PutObject};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;

use super::{Delivery, SignedUpload, Storage};
use crate::config::S3Settings;

/// How long the URLs of the server's own requests are valid.
const OWN_REQUEST_TTL: Duration = Duration::from_secs(60);

/// The server's own requests give up after this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct S3Store {
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

impl S3Store {
    /// Path-style URLs (`endpoint/bucket/key`), which every S3-compatible service accepts.
    pub fn new(settings: &S3Settings) -> anyhow::Result<Self> {
        let endpoint = Url::parse(&settings.endpoint).context("S3_ENDPOINT is not a URL")?;
        Self::with_style(endpoint, UrlStyle::Path, settings)
    }

    fn with_style(endpoint: Url, style: UrlStyle, settings: &S3Settings) -> anyhow::Result<Self> {
        let bucket = Bucket::new(endpoint, style, settings.bucket.clone(), settings.region.clone())
            .context("S3_ENDPOINT and S3_BUCKET do not make a bucket URL")?;
        let credentials = Credentials::new(&settings.access_key_id, &settings.secret_access_key);
        let http =
            reqwest::Client::builder().timeout(HTTP_TIMEOUT).build().context("building an HTTP client")?;
        Ok(Self { bucket, credentials, http })
    }

    fn upload_url(&self, key: &str, size: u64, content_type: &str, ttl: Duration, now: &Timestamp) -> Url {
        let mut put = PutObject::new(&self.bucket, Some(&self.credentials), key);
        put.headers_mut().insert("content-length", size.to_string());
        put.headers_mut().insert("content-type", content_type.to_owned());
        put.sign_with_time(ttl, now)
    }

    fn download_url(&self, key: &str, delivery: Option<&Delivery>, ttl: Duration, now: &Timestamp) -> Url {
        let mut get = GetObject::new(&self.bucket, Some(&self.credentials), key);
        if let Some(delivery) = delivery {
            get.query_mut().insert("response-content-disposition", delivery.disposition.clone());
            get.query_mut().insert("response-content-type", delivery.content_type.clone());
        }
        get.sign_with_time(ttl, now)
    }
}

impl Storage for S3Store {
    fn browser_origin(&self) -> Option<String> {
        Some(self.bucket.base_url().origin().ascii_serialization())
    }

    fn sign_upload(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> anyhow::Result<SignedUpload> {
        Ok(SignedUpload {
            url: self.upload_url(key, size, content_type, ttl, &Timestamp::now()).into(),
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
        })
    }

    fn sign_download(&self, key: &str, delivery: &Delivery, ttl: Duration) -> anyhow::Result<String> {
        Ok(self.download_url(key, Some(delivery), ttl, &Timestamp::now()).into())
    }

    fn size<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<u64>>> {
        async move {
            let url = HeadObject::new(&self.bucket, Some(&self.credentials), key).sign(OWN_REQUEST_TTL);
            let response = self.http.head(url).send().await.context("HEAD on S3")?;
            match response.status() {
                StatusCode::NOT_FOUND => Ok(None),
                status if status.is_success() => Ok(Some(content_length(&response)?)),
                status => anyhow::bail!("S3 answered HEAD with {status}"),
            }
        }
        .boxed()
    }

    fn read<'a>(&'a self, key: &'a str, limit: u64) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        async move {
            let url = self.download_url(key, None, OWN_REQUEST_TTL, &Timestamp::now());
            let mut request = self.http.get(url);
            if limit > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes=0-{}", limit - 1));
            }
            let response = request.send().await.context("GET on S3")?;
            match response.status() {
                StatusCode::RANGE_NOT_SATISFIABLE => return Ok(Vec::new()),
                status if !status.is_success() => anyhow::bail!("S3 answered GET with {status}"),
                _ => {}
            }
            let mut bytes = response.bytes().await.context("reading an object from S3")?.to_vec();
            bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Ok(bytes)
        }
        .boxed()
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let url =
                self.upload_url(key, bytes.len() as u64, content_type, OWN_REQUEST_TTL, &Timestamp::now());
            let response = self
                .http
                .put(url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes)
                .send()
                .await
                .context("PUT on S3")?;
            anyhow::ensure!(response.status().is_success(), "S3 answered PUT with {}", response.status());
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let url = DeleteObject::new(&self.bucket, Some(&self.credentials), key).sign(OWN_REQUEST_TTL);
            let response = self.http.delete(url).send().await.context("DELETE on S3")?;
            let status = response.status();
            anyhow::ensure!(
                status.is_success() || status == StatusCode::NOT_FOUND,
                "S3 answered DELETE with {status}"
            );
            Ok(())
        }
        .boxed()
    }
}

fn content_length(response: &reqwest::Response) -> anyhow::Result<u64> {
    response
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .context("S3 answered HEAD without a Content-Length")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credentials of AWS's Signature Version 4 examples.
    fn aws_example_store(style: UrlStyle, endpoint: &str) -> S3Store {
        let settings = S3Settings {
            endpoint: endpoint.to_owned(),
            bucket: "examplebucket".to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        };
        S3Store::with_style(Url::parse(endpoint).expect("a URL"), style, &settings).expect("a store")
    }

    fn may_24_2013() -> Timestamp {
        "2013-05-24T00:00:00Z".parse().expect("a timestamp")
    }

    /// "Example: GET Object" of AWS's "Authenticating Requests: Using Query Parameters
    /// (AWS Signature Version 4)", signature included.
    #[test]
    fn signs_the_aws_presigned_get_example() {
        let store = aws_example_store(UrlStyle::VirtualHost, "https://s3.amazonaws.com");
        let url = store.download_url("test.txt", None, Duration::from_secs(86400), &may_24_2013());
        assert_eq!(
            url.as_str(),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn an_upload_url_signs_its_size_and_type() {
        let store = aws_example_store(UrlStyle::Path, "http://127.0.0.1:9000");
        let url = store.upload_url("k", 5, "image/png", Duration::from_secs(900), &may_24_2013());
        assert!(url.as_str().starts_with("http://127.0.0.1:9000/examplebucket/k?"), "{url}");
        let signed = url.query_pairs().find(|(k, _)| k == "X-Amz-SignedHeaders").map(|(_, v)| v.into_owned());
        assert_eq!(signed.as_deref(), Some("content-length;content-type;host"));
        let other_size = store.upload_url("k", 6, "image/png", Duration::from_secs(900), &may_24_2013());
        assert_ne!(signature(&url), signature(&other_size));
    }

    #[test]
    fn a_download_url_overrides_type_and_disposition() {
        let store = aws_example_store(UrlStyle::Path, "http://127.0.0.1:9000");
        let delivery = Delivery::download("page.html");
        let url = store.download_url("k", Some(&delivery), Duration::from_secs(60), &may_24_2013());
        let pairs: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        assert!(
            pairs.contains(&("response-content-type".into(), "application/octet-stream".into())),
            "{url}"
        );
        assert!(
            pairs.contains(&("response-content-disposition".into(), delivery.disposition.clone())),
            "{url}"
        );
    }

    fn signature(url: &Url) -> Option<String> {
        url.query_pairs().find(|(k, _)| k == "X-Amz-Signature").map(|(_, v)| v.into_owned())
    }
}
