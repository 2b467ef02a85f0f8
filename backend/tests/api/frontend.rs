//! The app's files: the precompressed version the browser accepts, cache headers that let
//! hashed files be kept for good and `index.html` be revalidated, and a real favicon. And
//! the emoji list, which the picker loads rather than carrying it in the bundle.

use std::path::{Path, PathBuf};

use confab_shared::ErrorCode;
use confab_shared::api::EmojiEntry;
use confab_shared::validate::ReactionEmoji;
use confab_test_support::process::scratch_dir;
use confab_test_support::{TestApp, assert_error, spawn_app_with};
use reqwest::{Method, Response, StatusCode, header};

const WASM: &str = "confab-frontend-ac6abcb2861adbec_bg.wasm";
const JS: &str = "confab-frontend-ac6abcb2861adbec.js";
const CSS: &str = "style-e9631b595e650321.css";
/// A module of the split app, in its content-hashed directory (`frontend/split.py`).
const CHUNK: &str = "app-0123456789abcdef/chunk_5.wasm";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A release build as trunk and `frontend/post_build.sh` leave it. Each version of a file
/// has its own bytes, so a test sees which one was sent (reqwest here never decodes).
fn dist() -> PathBuf {
    let dir = scratch_dir("dist").unwrap();
    let index =
        format!("<!doctype html><html><head><script type=module>import '/{JS}';</script></head></html>");
    for (name, body) in [
        ("index.html", index.as_bytes()),
        (WASM, b"\0asm the app".as_slice()),
        (JS, b"export default function init() {}"),
        (CSS, b"body { margin: 0 }"),
        (CHUNK, b"\0asm a split module"),
    ] {
        if let Some(parent) = dir.join(name).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(dir.join(name), body).unwrap();
        std::fs::write(dir.join(format!("{name}.br")), brotli_of(name)).unwrap();
        std::fs::write(dir.join(format!("{name}.gz")), gzip_of(name)).unwrap();
    }
    let favicon = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/favicon.ico");
    std::fs::copy(favicon, dir.join("favicon.ico")).unwrap();
    dir
}

fn brotli_of(name: &str) -> String {
    format!("brotli of {name}")
}

fn gzip_of(name: &str) -> String {
    format!("gzip of {name}")
}

async fn spawn_with_frontend() -> TestApp {
    let dist = dist();
    spawn_app_with(|s| s.dist_dir = Some(dist)).await
}

async fn get(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> Response {
    let mut request = app.anonymous().get(app.url(path));
    if let Some(accepted) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, accepted);
    }
    request.send().await.unwrap()
}

fn header_of<'r>(response: &'r Response, name: &header::HeaderName) -> &'r str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn brotli_is_sent_when_accepted_then_gzip_then_the_file_itself() {
    let app = spawn_with_frontend().await;

    for (accepted, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), "br", brotli_of(WASM)),
        (Some("br"), "br", brotli_of(WASM)),
        (Some("gzip, deflate"), "gzip", gzip_of(WASM)),
        (Some("br;q=0, gzip"), "gzip", gzip_of(WASM)),
        (Some("gzip;q=0.5, br;q=0.1"), "gzip", gzip_of(WASM)),
        (Some("identity"), "", "\0asm the app".to_owned()),
        (None, "", "\0asm the app".to_owned()),
    ] {
        let response = get(&app, &format!("/{WASM}"), accepted).await;
        assert_eq!(response.status(), StatusCode::OK, "{accepted:?}");
        assert_eq!(header_of(&response, &header::CONTENT_ENCODING), encoding, "{accepted:?}");
        assert_eq!(header_of(&response, &header::CONTENT_TYPE), "application/wasm", "{accepted:?}");
        assert_eq!(header_of(&response, &header::VARY), "accept-encoding", "{accepted:?}");
        assert_eq!(response.text().await.unwrap(), body, "{accepted:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_file_keeps_its_type_when_compressed() {
    let app = spawn_with_frontend().await;

    for (path, file, content_type) in [
        (format!("/{JS}"), JS, "text/javascript"),
        (format!("/{CSS}"), CSS, "text/css; charset=utf-8"),
        ("/".to_owned(), "index.html", "text/html; charset=utf-8"),
    ] {
        let response = get(&app, &path, Some("br, gzip")).await;
        assert_eq!(header_of(&response, &header::CONTENT_ENCODING), "br", "{path}");
        assert_eq!(header_of(&response, &header::CONTENT_TYPE), content_type, "{path}");
        assert_eq!(header_of(&response, &header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        let policy = header_of(&response, &header::CONTENT_SECURITY_POLICY).to_owned();
        let app_s_policy = policy.contains("script-src 'self' 'sha256-");
        assert_eq!(app_s_policy, file == "index.html", "{path}: {policy}");
        assert_eq!(response.text().await.unwrap(), brotli_of(file), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hashed_files_are_cached_for_good_and_the_page_is_revalidated() {
    let app = spawn_with_frontend().await;

    for file in [WASM, JS, CSS, CHUNK] {
        for accepted in [Some("br"), Some("gzip"), None] {
            let response = get(&app, &format!("/{file}"), accepted).await;
            assert_eq!(header_of(&response, &header::CACHE_CONTROL), IMMUTABLE, "{file} {accepted:?}");
        }
    }
    // The page names the current hashed files, so it is never used unchecked: also where
    // it answers a deep link, or a hashed file that a newer build has replaced.
    for path in ["/", "/index.html", "/chats/some-deep-link", "/confab-frontend-0123456789abcdef.js"] {
        let response = get(&app, path, Some("br")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&response, &header::CACHE_CONTROL), "no-cache", "{path}");
        assert!(header_of(&response, &header::CONTENT_TYPE).starts_with("text/html"), "{path}");
        assert!(!header_of(&response, &header::ETAG).is_empty(), "{path}: nothing to revalidate with");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revalidated_page_costs_a_304() {
    let app = spawn_with_frontend().await;
    let first = get(&app, "/", Some("br")).await;
    let etag = header_of(&first, &header::ETAG).to_owned();

    let again = app
        .anonymous()
        .get(app.url("/"))
        .header(header::ACCEPT_ENCODING, "br")
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();

    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.bytes().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_is_taken_from_the_file_itself() {
    let app = spawn_with_frontend().await;

    let response = app
        .anonymous()
        .get(app.url(&format!("/{WASM}")))
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .header(header::RANGE, "bytes=1-3")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_ne!(header_of(&response, &header::CONTENT_ENCODING), "br");
    assert_ne!(header_of(&response, &header::CONTENT_ENCODING), "gzip");
    assert_eq!(header_of(&response, &header::CONTENT_RANGE), "bytes 1-3/12");
    assert_eq!(response.text().await.unwrap(), "asm");
}

#[tokio::test(flavor = "multi_thread")]
async fn head_answers_like_get_without_the_body() {
    let app = spawn_with_frontend().await;

    let response = app
        .anonymous()
        .head(app.url(&format!("/{WASM}")))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, &header::CONTENT_ENCODING), "br");
    assert_eq!(header_of(&response, &header::CONTENT_LENGTH), brotli_of(WASM).len().to_string());
    assert_eq!(header_of(&response, &header::CACHE_CONTROL), IMMUTABLE);
    assert_eq!(response.bytes().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_favicon_is_an_icon_not_the_page() {
    let app = spawn_with_frontend().await;

    let response = get(&app, "/favicon.ico", Some("br, gzip")).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, &header::CONTENT_TYPE), "image/x-icon");
    // Not hashed: a new icon must reach browsers that have the old one.
    assert_eq!(header_of(&response, &header::CACHE_CONTROL), "no-cache");
    let icon = response.bytes().await.unwrap();
    assert_eq!(icon[..4], [0, 0, 1, 0], "an ICO file starts with reserved 0, type 1");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_methods_get_the_json_error() {
    let app = spawn_with_frontend().await;

    let response = app.request(Method::DELETE, &format!("/{WASM}"), None).await;

    assert_error("DELETE of a file", &response, StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_picker_s_emoji_are_the_reactions_the_server_accepts() {
    let app = spawn_with_frontend().await;

    let response = get(&app, "/api/emoji", None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, &header::CACHE_CONTROL), "public, max-age=86400");
    let list: Vec<EmojiEntry> = response.json().await.unwrap();
    assert!(list.len() > 1800, "Unicode's list has about 1,900 emoji, got {}", list.len());
    let thumbs_up = list.iter().find(|entry| entry.emoji == "👍").expect("👍 is listed");
    assert_eq!(thumbs_up.name, "thumbs up");
    assert!(thumbs_up.shortcodes.iter().any(|code| code == "+1"), "{thumbs_up:?}");
    for entry in &list {
        let accepted = ReactionEmoji::parse(&entry.emoji).map(|emoji| emoji.as_str().to_owned());
        assert_eq!(accepted.as_deref(), Ok(entry.emoji.as_str()), "{entry:?}");
    }
}
