//! Security headers on every kind of response, the app's Content-Security-Policy, and
//! same-origin decided from `PUBLIC_URL` / `ALLOWED_ORIGINS`, never from `Host`.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use confab_shared::ErrorCode;
use confab_test_support::process::scratch_dir;
use confab_test_support::{TestApp, assert_error, spawn_app_with};
use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BOOTSTRAP: &str = "import init from '/app.js';\nawait init();\n";
const SECOND_SCRIPT: &str = "window.ready = true;";

/// A built frontend like trunk's: an inline module script that loads the app, a second
/// inline script, an external one and a stylesheet.
fn dist() -> PathBuf {
    let dir = scratch_dir("dist").unwrap();
    let index = format!(
        "<!doctype html><html><head><link href=/style.css rel=stylesheet>\
         <script type=module>{BOOTSTRAP}</script><script src=/app.js></script>\
         <script>{SECOND_SCRIPT}</script></head><body></body></html>"
    );
    std::fs::write(dir.join("index.html"), index).unwrap();
    std::fs::write(dir.join("style.css"), "body { margin: 0 }").unwrap();
    std::fs::write(dir.join("app.js"), "export default function init() {}").unwrap();
    dir
}

async fn spawn_with_frontend() -> TestApp {
    let dist = dist();
    spawn_app_with(|s| s.dist_dir = Some(dist)).await
}

fn header_of<'r>(response: &'r Response, name: &header::HeaderName) -> &'r str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn policy(response: &Response) -> String {
    header_of(response, &header::CONTENT_SECURITY_POLICY).to_owned()
}

fn sha256(script: &str) -> String {
    format!("'sha256-{}'", BASE64.encode(Sha256::digest(script.as_bytes())))
}

#[track_caller]
fn assert_security_headers(what: &str, response: &Response, expected_status: StatusCode) {
    assert_eq!(response.status(), expected_status, "{what}: status");
    assert_eq!(header_of(response, &header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}: nosniff");
    assert_eq!(header_of(response, &header::REFERRER_POLICY), "no-referrer", "{what}: Referrer-Policy");
    assert!(!policy(response).is_empty(), "{what}: no Content-Security-Policy");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_with_frontend().await;
    let alice = app.register("alice").await;
    let anonymous = app.anonymous();
    let get = |path: &str| anonymous.get(app.url(path)).send();

    let json = get("/api/health").await.unwrap();
    assert_security_headers("API JSON", &json, StatusCode::OK);
    let error = get("/api/auth/me").await.unwrap();
    assert_security_headers("API error", &error, StatusCode::UNAUTHORIZED);
    let not_found = get("/api/no-such-thing").await.unwrap();
    assert_security_headers("API 404", &not_found, StatusCode::NOT_FOUND);
    let refused_by_middleware = alice
        .client
        .post(app.url("/api/chats"))
        .header(header::ORIGIN, "http://evil.example")
        .json(&json!({ "kind": "group", "title": "t", "member_ids": [] }))
        .send()
        .await
        .unwrap();
    assert_security_headers("foreign-origin refusal", &refused_by_middleware, StatusCode::FORBIDDEN);
    let static_file = get("/style.css").await.unwrap();
    assert_security_headers("static file", &static_file, StatusCode::OK);
    for path in ["/", "/index.html", "/chats/some-deep-link"] {
        let html = get(path).await.unwrap();
        assert_security_headers(path, &html, StatusCode::OK);
    }
    let ws_unauthenticated = get("/ws").await.unwrap();
    assert_security_headers("/ws without a session", &ws_unauthenticated, StatusCode::UNAUTHORIZED);
    let ws_foreign = alice
        .client
        .get(app.ws_url().replace("ws://", "http://"))
        .header(header::ORIGIN, "http://evil.example");
    assert_security_headers(
        "/ws from a foreign origin",
        &ws_foreign.send().await.unwrap(),
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_s_html_allows_its_inline_scripts_by_hash_and_nothing_else_inline() {
    let app = spawn_with_frontend().await;

    for path in ["/", "/chats/some-deep-link"] {
        let html = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert!(header_of(&html, &header::CONTENT_TYPE).starts_with("text/html"), "{path} is the app");
        let policy = policy(&html);
        let directives: Vec<&str> = policy.split(';').map(str::trim).collect();

        let script_src =
            format!("script-src 'self' {} {} 'wasm-unsafe-eval'", sha256(BOOTSTRAP), sha256(SECOND_SCRIPT));
        // No PUBLIC_URL on a loopback server: its two loopback names.
        let connect_src = format!("connect-src 'self' ws://127.0.0.1:{0} ws://localhost:{0}", app.port);
        for expected in [
            "default-src 'self'",
            &script_src,
            &connect_src,
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(directives.contains(&expected), "{path}: {expected:?} missing from {policy}");
        }
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"), "{path}: {policy}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_other_than_the_app_s_html_get_a_policy_under_which_nothing_runs() {
    let app = spawn_with_frontend().await;

    for path in ["/api/health", "/api/no-such-thing", "/style.css", "/app.js"] {
        let response = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(policy(&response), "default-src 'none'; frame-ancestors 'none'", "{path}");
    }
}

/// A POST as a browser on `origin` would send it, with `Host` as given.
async fn create_group_from(
    app: &TestApp,
    user: &confab_test_support::TestUser,
    origin: &str,
    host: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = user
        .client
        .post(app.url("/api/chats"))
        .header(header::ORIGIN, origin)
        .json(&json!({ "kind": "group", "title": "from elsewhere", "member_ids": [] }));
    if let Some(host) = host {
        request = request.header(header::HOST, host);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_a_rebound_host_is_not_our_origin() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app.register("alice").await;

    // DNS rebinding: evil.test now resolves to this server, so its page's requests carry a
    // Host that matches their Origin.
    let refused = create_group_from(&app, &alice, "http://evil.test:8080", Some("evil.test:8080")).await;
    assert_error("rebound POST", &refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert!(alice.chats().await.is_empty(), "the refused call must not have created a chat");

    // Without PUBLIC_URL, a local server is ours under both of its loopback names.
    let local = create_group_from(&app, &alice, &format!("http://localhost:{}", app.port), None).await;
    assert_eq!(local.0, StatusCode::CREATED, "localhost names the same loopback server: {local:?}");

    let socket = alice
        .client
        .get(app.url("/ws"))
        .header(header::HOST, "evil.test:8080")
        .header(header::ORIGIN, "http://evil.test:8080")
        .send()
        .await
        .unwrap();
    let status = socket.status();
    assert_error(
        "rebound socket",
        &(status, socket.json().await.unwrap()),
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_url_and_the_allowed_origins_are_our_origins_and_the_host_is_not() {
    let app = spawn_app_with(|s| {
        s.public_url = Some("https://chat.example.com/".into());
        s.allowed_origins = vec!["http://localhost:3000".into()];
    })
    .await;
    let alice = app.register("alice").await;

    let public = create_group_from(&app, &alice, "https://chat.example.com", None).await;
    assert_eq!(public.0, StatusCode::CREATED, "PUBLIC_URL's origin: {public:?}");
    let allowed = create_group_from(&app, &alice, "http://localhost:3000", None).await;
    assert_eq!(allowed.0, StatusCode::CREATED, "an ALLOWED_ORIGINS origin: {allowed:?}");
    // The address the test reaches the server at matches `Host`, but is not configured.
    let by_host = create_group_from(&app, &alice, &app.address, None).await;
    assert_error("Origin matching only Host", &by_host, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_eq!(alice.chats().await.len(), 2);

    alice.ws_with_origin(Some("https://chat.example.com")).await.assert_alive().await;
    let refused = alice.try_ws(Some(&app.address)).await.expect_err("Host is not an origin");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
