//! Registration, login, logout and session lifetime (promise 6).

use std::time::Duration;

use confab_shared::ErrorCode;
use confab_test_support::{PASSWORD, assert_error, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn register_signs_the_user_in() {
    let app = spawn_app().await;

    let alice = app.register("alice").await;

    assert!(alice.username.starts_with("alice_"), "{}", alice.username);
    assert_eq!(alice.user.display_name, "alice");
    let me = alice.me().await;
    assert_eq!(me.user, alice.user);
    assert!(me.expires_at > chrono::Utc::now());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;

    let response = app
        .anonymous()
        .post(app.url("/api/auth/register"))
        .json(&json!({ "username": "cookie_check", "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("confab_session="))
        .expect("a confab_session cookie");
    let lower = cookie.to_lowercase();
    assert!(lower.contains("httponly"), "{cookie}");
    assert!(lower.contains("samesite=lax"), "{cookie}");
    assert!(lower.contains("path=/"), "{cookie}");
    // 256 random bits, however encoded: at least 32 characters of token.
    let token = cookie.trim_start_matches("confab_session=").split(';').next().unwrap();
    assert!(token.len() >= 32, "token too short: {token}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_works_and_gives_a_new_token_each_time() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let first = alice.login_again(&app).await;
    let second = alice.login_again(&app).await;

    assert_eq!(first.user, alice.user);
    assert_ne!(first.cookie, alice.cookie);
    assert_ne!(first.cookie, second.cookie);
    // All three sessions are valid at once.
    for session in [&alice, &first, &second] {
        assert_eq!(session.me().await.user, alice.user);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn usernames_are_case_insensitive_at_login() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let shouting = app.login(&alice.username.to_uppercase(), PASSWORD).await;

    assert_eq!(shouting.user, alice.user);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let other_session = alice.login_again(&app).await;

    alice.logout().await;

    let me = alice.get("/api/auth/me").await;
    assert_error("me after logout", &me, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    // Replaying the old cookie by hand does not bring the session back.
    let replay = app.request_with_cookie(Method::GET, "/api/auth/me", &alice.cookie, None).await;
    assert_error("replayed cookie", &replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    // Only that session ended.
    assert_eq!(other_session.me().await.user, alice.user);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_route_says_signed_out_with_a_204_not_an_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let (status, body) = alice.get("/api/auth/session").await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["user"]["username"], alice.username.as_str(), "{body:#}");
    assert_eq!(body, alice.get("/api/auth/me").await.1, "the same answer as /me");

    let anonymous = app.request(Method::GET, "/api/auth/session", None).await;
    assert_eq!(anonymous.0, StatusCode::NO_CONTENT, "{:#}", anonymous.1);
    let cookie = alice.cookie.clone();
    alice.logout().await;
    let ended = app.request_with_cookie(Method::GET, "/api/auth/session", &cookie, None).await;
    assert_eq!(ended.0, StatusCode::NO_CONTENT, "an ended session: {:#}", ended.1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_registrations_are_validation_errors() {
    let app = spawn_app().await;
    let cases = [
        ("short password", json!({ "username": "valid_name", "password": "short" })),
        ("space in username", json!({ "username": "bad name", "password": PASSWORD })),
        ("short username", json!({ "username": "ab", "password": PASSWORD })),
        ("non-ascii username", json!({ "username": "ålice", "password": PASSWORD })),
        ("long username", json!({ "username": "a".repeat(33), "password": PASSWORD })),
        ("long password", json!({ "username": "valid_name", "password": "p".repeat(129) })),
        (
            "long display name",
            json!({ "username": "valid_name", "password": PASSWORD, "display_name": "d".repeat(65) }),
        ),
        (
            "control char in display name",
            json!({ "username": "valid_name", "password": PASSWORD, "display_name": "a\u{7}b" }),
        ),
        ("missing password", json!({ "username": "valid_name" })),
        ("wrong type", json!({ "username": 42, "password": PASSWORD })),
    ];

    for (case, body) in cases {
        let response = app.register_raw(body).await;
        assert_error(case, &response, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    // None of them created the user.
    let login = app.try_login("valid_name", PASSWORD).await;
    assert!(login.is_err(), "a rejected registration must not create the user");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_username_is_a_conflict() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let same = app.register_raw(json!({ "username": alice.username, "password": PASSWORD })).await;
    let other_case =
        app.register_raw(json!({ "username": alice.username.to_uppercase(), "password": PASSWORD })).await;

    assert_error("same username", &same, StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_error("same username, other case", &other_case, StatusCode::CONFLICT, ErrorCode::Conflict);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let wrong_password = app.try_login(&alice.username, "not the password").await.unwrap_err();
    let unknown_user = app.try_login("nobody_at_all", PASSWORD).await.unwrap_err();

    assert_error("wrong password", &wrong_password, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(wrong_password, unknown_user, "the answers must not tell which part was wrong");
    assert_eq!(wrong_password.1["error"]["message"], "wrong username or password");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_is_refused_on_rest_and_on_the_socket() {
    let app = spawn_app_with(|s| s.session_ttl = Duration::from_secs(2)).await;
    let alice = app.register("alice").await;
    assert_eq!(alice.me().await.user, alice.user);

    wait_until_past(alice.session.expires_at).await;

    let me = alice.get("/api/auth/me").await;
    assert_error("me after expiry", &me, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    let refused = alice.try_ws(None).await.expect_err("the upgrade should be refused");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_closes_the_sessions_open_socket() {
    let app = spawn_app_with(|s| {
        s.session_ttl = Duration::from_secs(2);
        s.heartbeat_interval = Duration::from_secs(1);
    })
    .await;
    let alice = app.register("alice").await;
    let mut socket = alice.ws().await;

    wait_until_past(alice.session.expires_at).await;

    let before_close = socket.expect_closed().await;
    assert!(
        before_close.iter().any(|e| matches!(e, confab_shared::ws::ServerEvent::SessionExpired {})),
        "session_expired should precede the close, got {before_close:#?}"
    );
}

/// Waits for the instant under test (not a guess at how long something takes).
async fn wait_until_past(instant: chrono::DateTime<chrono::Utc>) {
    let left = (instant - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}
