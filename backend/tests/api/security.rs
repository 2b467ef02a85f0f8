//! Same-origin decided from `PUBLIC_URL` / `ALLOWED_ORIGINS`, never from `Host`.

use confab_shared::ErrorCode;
use confab_test_support::{TestApp, assert_error, spawn_app_with};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

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
