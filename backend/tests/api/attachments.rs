//! File sharing end to end (DESIGN.md, "Attachments"): start an upload, `PUT` the bytes on
//! the signed URL, complete, download through the membership check. Against the local
//! store, which the backend serves itself, and the scenarios that involve storage again
//! against a real S3-compatible server (moto, started by the harness).

use std::io::Cursor;

use confab_backend::Settings;
use confab_backend::config::StorageSettings;
use confab_shared::api::{
    Attachment, AttachmentStatus, ChangesPage, Chat, HistoryQuery, Message, UploadStarted,
};
use confab_shared::ws::ClientEvent;
use confab_shared::{AttachmentId, ClientId, ErrorCode};
use confab_test_support::{TestApp, TestUser, assert_error, expect_ok, spawn_app, spawn_app_with};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

async fn start_upload(
    user: &TestUser,
    chat: &Chat,
    filename: &str,
    content_type: &str,
    size: usize,
) -> (StatusCode, Value) {
    let body = json!({ "filename": filename, "content_type": content_type, "size": size });
    user.post(&format!("/api/chats/{}/attachments", chat.id), body).await
}

async fn start(
    user: &TestUser,
    chat: &Chat,
    filename: &str,
    content_type: &str,
    size: usize,
) -> UploadStarted {
    expect_ok(
        "starting an upload",
        &[StatusCode::CREATED],
        start_upload(user, chat, filename, content_type, size).await,
    )
}

/// The upload URL as a browser would resolve it: local-store URLs are paths on the app.
fn absolute(app: &TestApp, url: &str) -> String {
    if url.starts_with('/') { app.url(url) } else { url.to_owned() }
}

/// `PUT`s `bytes` as the upload instructions say (any cookie-less client would do).
async fn put(app: &TestApp, started: &UploadStarted, bytes: Vec<u8>) -> StatusCode {
    put_to(app, &started.upload.url, started, bytes).await
}

async fn put_to(app: &TestApp, url: &str, started: &UploadStarted, bytes: Vec<u8>) -> StatusCode {
    let mut request = app.anonymous().request(Method::PUT, absolute(app, url)).body(bytes);
    for (name, value) in &started.upload.headers {
        request = request.header(name, value);
    }
    request.send().await.expect("uploading").status()
}

async fn complete_raw(user: &TestUser, started: &UploadStarted) -> (StatusCode, Value) {
    let attachment = &started.attachment;
    user.post(&format!("/api/chats/{}/attachments/{}/complete", attachment.chat_id, attachment.id), json!({}))
        .await
}

/// Start, upload, complete: a ready attachment.
async fn upload(
    app: &TestApp,
    user: &TestUser,
    chat: &Chat,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Attachment {
    let started = start(user, chat, filename, content_type, bytes.len()).await;
    assert_eq!(put(app, &started, bytes.to_vec()).await, StatusCode::OK, "uploading {filename}");
    let ready: Attachment = expect_ok("completing", &[StatusCode::OK], complete_raw(user, &started).await);
    assert_eq!(ready.status, AttachmentStatus::Ready);
    ready
}

/// `GET path` as `user`: the redirect's target, fetched without any cookie.
async fn download(app: &TestApp, user: &TestUser, path: &str) -> reqwest::Response {
    let redirect = user.client.get(app.url(path)).send().await.expect("asking for a download");
    assert_eq!(redirect.status(), StatusCode::FOUND, "{path} redirects to storage");
    let location =
        redirect.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).expect("a Location");
    app.anonymous().get(absolute(app, location)).send().await.expect("downloading")
}

async fn download_status(app: &TestApp, user: &TestUser, path: &str) -> StatusCode {
    user.client.get(app.url(path)).send().await.expect("asking for a download").status()
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> &str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// A test picture in `format`, `width`×`height`.
fn picture(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let image =
        DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 90])));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encoding a test picture");
    out.into_inner()
}

async fn pair(app: &TestApp) -> (TestUser, TestUser, Chat) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    (alice, bob, chat)
}

#[tokio::test]
async fn a_file_goes_up_and_comes_back_as_a_download() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let bytes = b"line one\nline two\n".to_vec();
    let started = start(&alice, &chat, "notes.txt", "text/plain", bytes.len()).await;
    assert_eq!(started.attachment.status, AttachmentStatus::Pending);
    assert_eq!(started.upload.method, "PUT");
    assert_eq!(started.upload.headers.get("Content-Type").map(String::as_str), Some("text/plain"));
    assert_eq!(put(&app, &started, bytes.clone()).await, StatusCode::OK);

    let ready: Attachment = expect_ok("completing", &[StatusCode::OK], complete_raw(&alice, &started).await);
    assert_eq!(ready.status, AttachmentStatus::Ready);
    assert_eq!((ready.filename.as_str(), ready.size), ("notes.txt", bytes.len() as u64));
    assert_eq!(ready.url, format!("/api/attachments/{}", ready.id));
    assert_eq!(ready.thumbnail_url, None);
    let again: Attachment =
        expect_ok("completing twice", &[StatusCode::OK], complete_raw(&alice, &started).await);
    assert_eq!(again, ready);

    let response = download(&app, &alice, &ready.url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, header::CONTENT_TYPE), "application/octet-stream");
    assert_eq!(
        header_of(&response, header::CONTENT_DISPOSITION),
        "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    );
    assert_eq!(header_of(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header_of(&response, header::CONTENT_SECURITY_POLICY), "sandbox");
    assert_eq!(response.bytes().await.expect("the body"), bytes);
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_before_any_upload() {
    let app = spawn_app_with(|s| s.limits.upload_bytes_max = 1000).await;
    let (alice, _bob, chat) = pair(&app).await;
    assert_error(
        "too big",
        &start_upload(&alice, &chat, "big.bin", "application/zip", 1001).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Validation,
    );
    start(&alice, &chat, "fits.bin", "application/zip", 1000).await;
    let (_, doc) = app.request(Method::GET, "/api/openapi.json", None).await;
    let size = &doc["components"]["schemas"]["StartUploadRequest"]["properties"]["size"];
    assert_eq!((size["minimum"].as_u64(), size["maximum"].as_u64()), (Some(1), Some(1000)), "{size}");
    for (name, content_type, size) in [
        ("", "text/plain", 1),
        ("a/b.txt", "text/plain", 1),
        ("a.txt", "plain", 1),
        ("a.txt", "text/plain", 0),
    ] {
        let response = start_upload(&alice, &chat, name, content_type, size).await;
        assert_error(
            &format!("{name:?} {content_type:?} {size}"),
            &response,
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        );
    }
}

#[tokio::test]
async fn a_wrong_size_is_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let started = start(&alice, &chat, "a.txt", "text/plain", 10).await;
    assert_eq!(put(&app, &started, vec![b'a'; 11]).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(put(&app, &started, vec![b'a'; 9]).await, StatusCode::BAD_REQUEST);
    assert_error(
        "nothing stored",
        &complete_raw(&alice, &started).await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    );
    // The signed type is part of the bargain too.
    let wrong_type = app
        .anonymous()
        .put(absolute(&app, &started.upload.url))
        .header(header::CONTENT_TYPE, "text/html")
        .body(vec![b'a'; 10])
        .send()
        .await
        .expect("uploading");
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    assert_eq!(put(&app, &started, vec![b'a'; 10]).await, StatusCode::OK);
    assert_eq!(
        put(&app, &started, vec![b'b'; 10]).await,
        StatusCode::CONFLICT,
        "an upload never replaces a file"
    );
    expect_ok::<Attachment>("completing", &[StatusCode::OK], complete_raw(&alice, &started).await);
}

#[tokio::test]
async fn tampered_upload_urls_are_refused() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let started = start(&alice, &chat, "a.txt", "text/plain", 10).await;
    let url = &started.upload.url;
    let other = start(&alice, &chat, "b.txt", "text/plain", 10).await;
    let other_key = other.upload.url.split('?').next().expect("a path");
    let tampered = [
        url.replace("size=10", "size=11"),
        url.replace("expires=", "expires=9"),
        format!("{other_key}?{}", url.split_once('?').expect("a query").1),
        url.replace("sig=", "sig=00"),
        url.split("&sig=").next().expect("a URL").to_owned(),
    ];
    for url in tampered {
        let bytes = if url.contains("size=11") { vec![b'a'; 11] } else { vec![b'a'; 10] };
        let status = put_to(&app, &url, &started, bytes).await;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST, "{url}: {status}");
    }
    assert_error(
        "nothing stored",
        &complete_raw(&alice, &started).await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    );
}

#[tokio::test]
async fn strangers_get_404_everywhere() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let mallory = app.register("mallory").await;
    let started = start(&alice, &chat, "a.txt", "text/plain", 3).await;
    assert_eq!(put(&app, &started, b"abc".to_vec()).await, StatusCode::OK);
    assert_error(
        "starting in a stranger's chat",
        &start_upload(&mallory, &chat, "x.txt", "text/plain", 3).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    assert_error(
        "completing someone else's",
        &complete_raw(&mallory, &started).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    let ready: Attachment = expect_ok("completing", &[StatusCode::OK], complete_raw(&alice, &started).await);
    assert_eq!(download_status(&app, &mallory, &ready.url).await, StatusCode::NOT_FOUND);
    assert_eq!(
        download_status(&app, &mallory, &format!("/api/attachments/{}", uuid::Uuid::new_v4())).await,
        StatusCode::NOT_FOUND
    );
    let anonymous = app.anonymous().get(app.url(&ready.url)).send().await.expect("asking");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let alice = app.register("alice").await;
    let group = owner.create_group("files", &[&alice]).await;
    let ready = upload(&app, &alice, &group, "a.txt", "text/plain", b"abc").await;
    assert_eq!(download_status(&app, &alice, &ready.url).await, StatusCode::FOUND);
    let (status, _) =
        owner.request(Method::DELETE, &format!("/api/chats/{}/members/{}", group.id, alice.id()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(download_status(&app, &alice, &ready.url).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hostile_files_download_as_attachments_that_never_run() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    for (name, declared, bytes) in [
        ("page.html", "text/html", &html[..]),
        ("drawing.svg", "image/svg+xml", &svg[..]),
        ("cat.png", "image/png", &html[..]),
    ] {
        let ready = upload(&app, &alice, &chat, name, declared, bytes).await;
        assert_eq!(ready.thumbnail_url, None, "{name}");
        assert!(!ready.content_type.starts_with("image/png"), "{name} is not shown as a picture");
        let response = download(&app, &alice, &ready.url).await;
        assert_eq!(header_of(&response, header::CONTENT_TYPE), "application/octet-stream", "{name}");
        assert!(header_of(&response, header::CONTENT_DISPOSITION).starts_with("attachment;"), "{name}");
        assert_eq!(header_of(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{name}");
        assert_eq!(header_of(&response, header::CONTENT_SECURITY_POLICY), "sandbox", "{name}");
    }
}

#[tokio::test]
async fn pictures_get_their_size_a_thumbnail_and_are_shown_inline() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    // Opaque previews are JPEG; GIF decodes with an alpha channel, so its preview is WebP.
    for (format, media, name, preview_type) in [
        (ImageFormat::Jpeg, "image/jpeg", "photo.jpg", "image/jpeg"),
        (ImageFormat::Png, "image/png", "shot.png", "image/jpeg"),
        (ImageFormat::Gif, "image/gif", "anim.gif", "image/webp"),
        (ImageFormat::WebP, "image/webp", "pic.webp", "image/jpeg"),
    ] {
        // Declared as something else: the bytes decide.
        let ready =
            upload(&app, &alice, &chat, name, "application/octet-stream", &picture(format, 800, 500)).await;
        assert_eq!(ready.content_type, media);
        assert_eq!((ready.width, ready.height), (Some(800), Some(500)), "{name}");
        let thumbnail_url = ready.thumbnail_url.clone().expect("a thumbnail");
        assert_eq!(thumbnail_url, format!("/api/attachments/{}/thumbnail", ready.id));

        let original = download(&app, &alice, &ready.url).await;
        assert_eq!(header_of(&original, header::CONTENT_TYPE), media, "{name}");
        assert_eq!(header_of(&original, header::CONTENT_DISPOSITION), "inline", "{name}");
        let thumbnail = download(&app, &alice, &thumbnail_url).await;
        assert_eq!(header_of(&thumbnail, header::CONTENT_TYPE), preview_type, "{name}");
        let small =
            image::load_from_memory(&thumbnail.bytes().await.expect("the thumbnail")).expect("decodes");
        assert_eq!((small.width(), small.height()), (400, 250), "{name}");
    }
}

#[tokio::test]
async fn a_file_without_a_picture_has_no_thumbnail() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let ready = upload(&app, &alice, &chat, "a.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n").await;
    assert_eq!(ready.content_type, "application/pdf");
    assert_eq!(
        download_status(&app, &alice, &format!("{}/thumbnail", ready.url)).await,
        StatusCode::NOT_FOUND
    );
}

async fn send_with(user: &TestUser, chat: &Chat, body: &str, files: &[&Attachment]) -> (StatusCode, Value) {
    let ids: Vec<AttachmentId> = files.iter().map(|a| a.id).collect();
    let request = json!({ "client_id": uuid::Uuid::new_v4(), "body": body, "attachment_ids": ids });
    user.post(&format!("/api/chats/{}/messages", chat.id), request).await
}

/// The objects the app's store holds (none of the local store's own bookkeeping), sorted.
async fn stored_objects(app: &TestApp) -> Vec<String> {
    match &app.settings.storage {
        StorageSettings::S3(bucket) => confab_test_support::s3::object_keys(bucket).await,
        StorageSettings::Local { dir, .. } => {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .expect("the upload directory")
                .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.'))
                .collect();
            names.sort();
            names
        }
    }
}

/// The app on the local store, or on a fresh bucket of the test S3 server.
async fn app_on(store: Store, customise: impl FnOnce(&mut Settings)) -> TestApp {
    let bucket = match store {
        Store::Local => None,
        Store::S3 => Some(confab_test_support::s3::fresh_bucket().await),
    };
    spawn_app_with(|settings| {
        if let Some(bucket) = bucket {
            settings.storage = StorageSettings::S3(bucket);
        }
        customise(settings);
    })
    .await
}

#[derive(Debug, Clone, Copy)]
enum Store {
    Local,
    S3,
}

#[tokio::test]
async fn files_ride_with_the_message_live_in_history_and_in_changes() {
    let app = spawn_app().await;
    let (alice, bob, chat) = pair(&app).await;
    let mut bob_ws = bob.ws().await;
    let notes = upload(&app, &alice, &chat, "notes.txt", "text/plain", b"hello").await;
    let photo =
        upload(&app, &alice, &chat, "photo.png", "image/png", &picture(ImageFormat::Png, 40, 30)).await;
    assert_eq!(download_status(&app, &bob, &notes.url).await, StatusCode::NOT_FOUND, "not shared yet");

    let sent: Message = expect_ok(
        "sending files alone",
        &[StatusCode::CREATED],
        send_with(&alice, &chat, "", &[&notes, &photo]).await,
    );
    assert_eq!(sent.body, "");
    assert_eq!(sent.attachments, vec![notes.clone(), photo.clone()]);
    assert_eq!(bob_ws.recv_message().await, sent);
    for _ in 0..2 {
        // The second read comes from the cached newest page.
        assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages, vec![sent.clone()]);
    }
    let changes: ChangesPage = expect_ok(
        "changes",
        &[StatusCode::OK],
        bob.get(&format!("/api/chats/{}/changes?since=0", chat.id)).await,
    );
    assert_eq!(changes.messages, vec![sent.clone()]);
    let response = download(&app, &bob, &notes.url).await;
    assert_eq!(response.bytes().await.expect("the body"), &b"hello"[..]);
}

#[tokio::test]
async fn files_can_be_sent_over_the_socket() {
    let app = spawn_app().await;
    let (alice, _bob, chat) = pair(&app).await;
    let mut alice_ws = alice.ws().await;
    let notes = upload(&app, &alice, &chat, "notes.txt", "text/plain", b"hello").await;
    let client_id = ClientId(uuid::Uuid::new_v4());
    alice_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "see".into(),
            attachment_ids: vec![notes.id],
            reply_to: None,
        })
        .await;
    let ack = alice_ws.recv_message().await;
    assert_eq!((ack.client_id, ack.attachments), (client_id, vec![notes]));
}

#[tokio::test]
async fn a_file_is_attached_once_by_its_uploader_in_its_chat() {
    let app = spawn_app().await;
    let (alice, bob, chat) = pair(&app).await;
    let carol = app.register("carol").await;
    let other_chat = alice.create_direct(&carol).await;
    let notes = upload(&app, &alice, &chat, "notes.txt", "text/plain", b"hello").await;
    let pending = start(&alice, &chat, "later.txt", "text/plain", 5).await.attachment;

    // What the state of things refuses is a 409; what breaks a rule, a 400.
    let conflicts = [
        ("someone else's upload", send_with(&bob, &chat, "mine now", &[&notes]).await),
        ("to another chat", send_with(&alice, &other_chat, "moved", &[&notes]).await),
        ("not completed", send_with(&alice, &chat, "early", &[&pending]).await),
    ];
    for (what, response) in &conflicts {
        assert_error(what, response, StatusCode::CONFLICT, ErrorCode::Conflict);
    }
    let invalid = [
        ("named twice", send_with(&alice, &chat, "twice", &[&notes, &notes]).await),
        ("empty without files", send_with(&alice, &chat, " ", &[]).await),
    ];
    for (what, response) in &invalid {
        assert_error(what, response, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    expect_ok::<Message>(
        "attaching",
        &[StatusCode::CREATED],
        send_with(&alice, &chat, "here", &[&notes]).await,
    );
    assert_error(
        "attaching again",
        &send_with(&alice, &chat, "again", &[&notes]).await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    );
    let too_many: Vec<Attachment> = (0..11).map(|_| notes.clone()).collect();
    let ids: Vec<&Attachment> = too_many.iter().collect();
    assert_error(
        "eleven files",
        &send_with(&alice, &chat, "many", &ids).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    );
    let page = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages.len(), 1, "nothing refused was stored");
}

#[tokio::test]
async fn deleting_a_message_deletes_its_files_on_local_disk() {
    deleting_a_message_deletes_its_files(Store::Local).await;
}

#[tokio::test]
async fn deleting_a_message_deletes_its_files_on_s3() {
    deleting_a_message_deletes_its_files(Store::S3).await;
}

async fn deleting_a_message_deletes_its_files(store: Store) {
    let app = app_on(store, |_| {}).await;
    let (alice, bob, chat) = pair(&app).await;
    let notes = upload(&app, &alice, &chat, "notes.txt", "text/plain", b"hello").await;
    let photo =
        upload(&app, &alice, &chat, "photo.png", "image/png", &picture(ImageFormat::Png, 40, 30)).await;
    let kept = upload(&app, &alice, &chat, "kept.txt", "text/plain", b"kept").await;
    let sent: Message =
        expect_ok("sending", &[StatusCode::CREATED], send_with(&alice, &chat, "", &[&notes, &photo]).await);
    expect_ok::<Message>(
        "sending another",
        &[StatusCode::CREATED],
        send_with(&alice, &chat, "", &[&kept]).await,
    );
    assert_eq!(
        stored_objects(&app).await.len(),
        4,
        "three files and a thumbnail: {:?}",
        stored_objects(&app).await
    );

    let (status, _) =
        alice.request(Method::DELETE, &format!("/api/chats/{}/messages/{}", chat.id, sent.id), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(stored_objects(&app).await, vec![kept.id.0.simple().to_string()]);
    for url in [&notes.url, &photo.url, photo.thumbnail_url.as_ref().expect("a thumbnail")] {
        assert_eq!(download_status(&app, &bob, url).await, StatusCode::NOT_FOUND, "{url}");
    }
    let page = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages[0].attachments, vec![], "a tombstone carries no files");
    assert_eq!(page.messages[1].attachments, vec![kept]);
}

#[tokio::test]
async fn uploads_never_attached_are_deleted_after_a_day_on_local_disk() {
    uploads_never_attached_are_deleted_after_a_day(Store::Local).await;
}

#[tokio::test]
async fn uploads_never_attached_are_deleted_after_a_day_on_s3() {
    uploads_never_attached_are_deleted_after_a_day(Store::S3).await;
}

async fn uploads_never_attached_are_deleted_after_a_day(store: Store) {
    let app = app_on(store, |s| s.upload_sweep_interval = std::time::Duration::from_millis(100)).await;
    let (alice, _bob, chat) = pair(&app).await;
    let orphan =
        upload(&app, &alice, &chat, "orphan.png", "image/png", &picture(ImageFormat::Png, 40, 30)).await;
    let abandoned = start(&alice, &chat, "abandoned.txt", "text/plain", 5).await;
    assert_eq!(put(&app, &abandoned, b"hello".to_vec()).await, StatusCode::OK);
    let attached = upload(&app, &alice, &chat, "kept.txt", "text/plain", b"kept").await;
    let fresh = upload(&app, &alice, &chat, "fresh.txt", "text/plain", b"fresh").await;
    expect_ok::<Message>("sending", &[StatusCode::CREATED], send_with(&alice, &chat, "", &[&attached]).await);
    let stale = [orphan.id, abandoned.attachment.id, attached.id].map(|id| format!("'{id}'")).join(",");
    confab_test_support::postgres::execute(
        &app.database_url,
        &format!("UPDATE attachments SET created_at = now() - interval '25 hours' WHERE id IN ({stale})"),
    )
    .await
    .expect("backdating uploads");

    let mut expected = vec![attached.id.0.simple().to_string(), fresh.id.0.simple().to_string()];
    expected.sort();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored_objects(&app).await != expected {
        assert!(std::time::Instant::now() < deadline, "still stored: {:?}", stored_objects(&app).await);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(download_status(&app, &alice, &orphan.url).await, StatusCode::NOT_FOUND);
    assert_eq!(download_status(&app, &alice, &attached.url).await, StatusCode::FOUND);
    assert_eq!(download_status(&app, &alice, &fresh.url).await, StatusCode::FOUND);
}

/// The whole flow against S3: the browser's upload and download go to the bucket.
#[tokio::test]
async fn the_whole_flow_on_s3() {
    let app = app_on(Store::S3, |_| {}).await;
    let (alice, bob, chat) = pair(&app).await;
    let mallory = app.register("mallory").await;
    let photo =
        upload(&app, &alice, &chat, "photo.jpg", "image/jpeg", &picture(ImageFormat::Jpeg, 800, 500)).await;
    assert_eq!(
        (photo.content_type.as_str(), photo.width, photo.height),
        ("image/jpeg", Some(800), Some(500))
    );
    let page =
        upload(&app, &alice, &chat, "cat.png", "image/png", b"<html><script>alert(1)</script></html>").await;
    assert_eq!(page.thumbnail_url, None);
    let sent: Message = expect_ok(
        "sending",
        &[StatusCode::CREATED],
        send_with(&alice, &chat, "look", &[&photo, &page]).await,
    );
    assert_eq!(sent.attachments, vec![photo.clone(), page.clone()]);

    let original = download(&app, &bob, &photo.url).await;
    assert_eq!(original.status(), StatusCode::OK);
    assert_eq!(header_of(&original, header::CONTENT_TYPE), "image/jpeg");
    let thumbnail = download(&app, &bob, photo.thumbnail_url.as_deref().expect("a thumbnail")).await;
    let small = image::load_from_memory(&thumbnail.bytes().await.expect("the thumbnail")).expect("decodes");
    assert_eq!((small.width(), small.height()), (400, 250));
    let hostile = download(&app, &bob, &page.url).await;
    assert_eq!(header_of(&hostile, header::CONTENT_TYPE), "application/octet-stream");
    assert!(header_of(&hostile, header::CONTENT_DISPOSITION).starts_with("attachment;"));
    assert_eq!(download_status(&app, &mallory, &photo.url).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_size_on_s3_is_refused_on_completion_and_deleted() {
    let app = app_on(Store::S3, |_| {}).await;
    let (alice, _bob, chat) = pair(&app).await;
    let started = start(&alice, &chat, "a.txt", "text/plain", 10).await;
    // S3 itself refuses a body other than the signed Content-Length; a server that
    // doesn't is caught on completion.
    put(&app, &started, vec![b'a'; 9]).await;
    let refused = complete_raw(&alice, &started).await;
    assert_eq!(refused.0, StatusCode::CONFLICT, "{refused:?}");
    assert_eq!(stored_objects(&app).await, Vec::<String>::new());
}
