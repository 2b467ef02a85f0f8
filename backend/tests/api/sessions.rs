//! My sessions: listing them, revoking one or all the others, changing the password, and
//! signing in again from a browser that still holds a session. Every revocation ends the
//! session's REST access and its open sockets at once, on every node (promise 6).

use std::collections::BTreeSet;

use chrono::Utc;
use confab_shared::api::ActiveSession;
use confab_shared::ws::ServerEvent;
use confab_shared::{ErrorCode, SessionId};
use confab_test_support::{PASSWORD, WsClient, assert_error, expect_ok, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use uuid::Uuid;

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test(flavor = "multi_thread")]
async fn listing_shows_my_sessions_only_and_marks_the_current_one() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let laptop = app.login_with_user_agent(&alice.username, PASSWORD, "Mozilla/5.0 (alice's laptop)").await;
    let bob = app.register("bob").await;

    let seen_from_laptop = laptop.sessions().await;
    let seen_from_first = alice.sessions().await;

    assert_eq!(seen_from_laptop.len(), 2, "{seen_from_laptop:#?}");
    assert_eq!(ids(&seen_from_laptop), ids(&seen_from_first), "the same two sessions");
    let current = laptop.current_session().await;
    assert_eq!(current.user_agent, "Mozilla/5.0 (alice's laptop)");
    let first = alice.current_session().await;
    assert_ne!(first.id, current.id);
    assert_eq!(first.user_agent, "", "registered without a User-Agent");
    for session in &seen_from_laptop {
        assert!(session.created_at <= session.last_used_at, "{session:#?}");
        assert!(session.expires_at > Utc::now(), "{session:#?}");
    }
    let bobs = bob.sessions().await;
    assert_eq!(bobs.len(), 1, "{bobs:#?}");
    assert!(!ids(&seen_from_laptop).contains(&bobs[0].id));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listing_never_shows_a_token() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let (status, body) = alice.get("/api/auth/sessions").await;

    assert_eq!(status, StatusCode::OK);
    let fields: BTreeSet<&str> =
        body[0].as_object().expect("a session object").keys().map(String::as_str).collect();
    let expected = ["id", "created_at", "last_used_at", "expires_at", "user_agent", "current"];
    assert_eq!(fields, expected.into_iter().collect(), "{body:#}");
    let token = alice.cookie.split_once('=').expect("name=value").1;
    assert!(!body.to_string().contains(token), "the token leaked: {body:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_last_used_time_moves_when_the_session_is_used() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let idle = alice.login_again(&app).await;
    let idle_id = idle.current_session().await.id;
    let sql = format!(
        "UPDATE sessions SET last_used_at = now() - interval '1 hour' WHERE user_id = '{}'",
        alice.id()
    );
    confab_test_support::postgres::execute(&app.database_url, &sql).await.unwrap();

    let sessions = alice.sessions().await;

    let used = sessions.iter().find(|s| s.current).expect("the current session");
    let untouched = sessions.iter().find(|s| s.id == idle_id).expect("the idle session");
    assert!(used.last_used_at > Utc::now() - chrono::Duration::minutes(1), "{used:#?}");
    assert!(untouched.last_used_at < Utc::now() - chrono::Duration::minutes(50), "{untouched:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_session_ends_its_requests_and_its_socket() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let laptop = alice.login_again(&app).await;
    let laptop_id = laptop.current_session().await.id;
    let mut laptop_ws = laptop.ws().await;
    let mut alice_ws = alice.ws().await;

    let (status, body) = alice.revoke_session(laptop_id).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");
    expect_session_expired(&mut laptop_ws).await;
    assert_error(
        "revoked session",
        &laptop.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    alice_ws.assert_alive().await;
    assert_eq!(alice.me().await.user, alice.user);
    assert_eq!(ids(&alice.sessions().await), BTreeSet::from([alice.current_session().await.id]));
    let again = alice.revoke_session(laptop_id).await;
    assert_error("revoking twice", &again, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_current_session_signs_it_out() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let id = alice.current_session().await.id;

    let response = alice
        .client
        .delete(app.url(&format!("/api/auth/sessions/{id}")))
        .send()
        .await
        .expect("sending the revocation");

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap_or_default().starts_with("confab_session=;"));
    assert!(cleared, "the cookie should be cleared: {:?}", response.headers());
    let replay = app.request_with_cookie(Method::GET, "/api/auth/me", &alice.cookie, None).await;
    assert_error("revoked own session", &replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_elses_session_id_is_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let alices = alice.current_session().await.id;

    let theirs = bob.revoke_session(alices).await;
    let unknown = bob.revoke_session(SessionId(Uuid::new_v4())).await;
    let garbage = bob.request(Method::DELETE, "/api/auth/sessions/not-a-uuid", None).await;

    assert_error("someone else's session", &theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(theirs, unknown, "another user's session must look like no session at all");
    assert_error("not a session id", &garbage, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(alice.me().await.user, alice.user, "alice's session lives on");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_others_keeps_the_current_session() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let phone = alice.login_again(&app).await;
    let laptop = alice.login_again(&app).await;
    let mut phone_ws = phone.ws().await;
    let mut alice_ws = alice.ws().await;
    let bob = app.register("bob").await;

    let (status, body) = alice.post("/api/auth/sessions/revoke-others", json!({})).await;

    assert_eq!((status, body), (StatusCode::OK, json!({ "revoked": 2 })));
    expect_session_expired(&mut phone_ws).await;
    for other in [&phone, &laptop] {
        assert_error(
            "revoked",
            &other.get("/api/auth/me").await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        );
    }
    alice_ws.assert_alive().await;
    let left = alice.sessions().await;
    assert!(left.len() == 1 && left[0].current, "{left:#?}");
    assert_eq!(bob.me().await.user, bob.user, "other users keep their sessions");
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_closes_sockets_on_every_node() {
    let one = spawn_app().await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let laptop = alice.login_again(&one).await;
    let mut laptop_ws = laptop.on(&two).ws().await;

    let (status, _) = alice.post("/api/auth/sessions/revoke-others", json!({})).await;

    assert_eq!(status, StatusCode::OK);
    expect_session_expired(&mut laptop_ws).await;
    let refused = laptop.on(&two).get("/api/auth/me").await;
    assert_error("revoked, asked on node two", &refused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_current_password_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let laptop = alice.login_again(&app).await;
    let mut laptop_ws = laptop.ws().await;

    let wrong = alice.change_password("not my password", NEW_PASSWORD).await;
    let too_short = alice.change_password(PASSWORD, "short").await;

    assert_error("wrong current password", &wrong, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error("invalid new password", &too_short, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    assert_eq!(alice.me().await.user, alice.user, "a wrong password must not sign me out");
    assert_eq!(laptop.me().await.user, alice.user, "nor my other sessions");
    laptop_ws.assert_alive().await;
    assert_eq!(alice.sessions().await.len(), 2);
    assert!(app.try_login(&alice.username, NEW_PASSWORD).await.is_err(), "the new password must not work");
    app.login(&alice.username, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_current_passwords_count_as_failed_logins() {
    let app = spawn_app_with(|s| s.limits.login_failures = 2).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    for attempt in 1..=2 {
        let wrong = alice.change_password("not my password", NEW_PASSWORD).await;
        assert_error(
            &format!("wrong password #{attempt}"),
            &wrong,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        );
    }
    let guessing = alice.change_password(PASSWORD, NEW_PASSWORD).await;

    assert_error(
        "past the limit, even right",
        &guessing,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    );
    let login = app.try_login(&alice.username, PASSWORD).await.expect_err("the account is throttled");
    assert_error("login for the same account", &login, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    assert_eq!(alice.me().await.user, alice.user, "being throttled does not sign me out");
    assert_eq!(app.login(&bob.username, PASSWORD).await.user, bob.user, "other accounts are unaffected");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_the_other_sessions_and_swaps_the_password() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let laptop = alice.login_again(&app).await;
    let mut laptop_ws = laptop.ws().await;
    let mut alice_ws = alice.ws().await;

    let (status, body) = alice.change_password(PASSWORD, NEW_PASSWORD).await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");
    expect_session_expired(&mut laptop_ws).await;
    assert_error(
        "other session",
        &laptop.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    alice_ws.assert_alive().await;
    assert_eq!(alice.me().await.user, alice.user, "the session that changed it stays");
    let old = app.try_login(&alice.username, PASSWORD).await.expect_err("the old password must fail");
    assert_error("old password", &old, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(app.login(&alice.username, NEW_PASSWORD).await.user, alice.user);
}

#[tokio::test(flavor = "multi_thread")]
async fn logging_in_again_revokes_the_session_the_browser_presented() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let elsewhere = alice.login_again(&app).await;
    let mut old_ws = alice.ws().await;

    let again = alice.login_in_same_browser(&app).await;

    assert_ne!(again.cookie, alice.cookie);
    expect_session_expired(&mut old_ws).await;
    let replay = app.request_with_cookie(Method::GET, "/api/auth/me", &alice.cookie, None).await;
    assert_error("the replaced session", &replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(again.me().await.user, alice.user);
    assert_eq!(elsewhere.me().await.user, alice.user, "other browsers keep their sessions");
    assert_eq!(alice.sessions().await.len(), 2, "the browser did not accumulate sessions");
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_revokes_the_session_the_browser_presented() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let username = format!("carol_{}", &Uuid::new_v4().simple().to_string()[..6]);
    let registered =
        alice.post("/api/auth/register", json!({ "username": username, "password": PASSWORD })).await;

    let carol: Value = expect_ok("register in alice's browser", &[StatusCode::CREATED], registered);
    assert_eq!(carol["user"]["username"], username);
    let replay = app.request_with_cookie(Method::GET, "/api/auth/me", &alice.cookie, None).await;
    assert_error("alice's replaced session", &replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

fn ids(sessions: &[ActiveSession]) -> BTreeSet<SessionId> {
    sessions.iter().map(|s| s.id).collect()
}

async fn expect_session_expired(socket: &mut WsClient) {
    let before_close = socket.expect_closed().await;
    assert!(
        before_close.contains(&ServerEvent::SessionExpired {}),
        "session_expired should precede the close, got {before_close:#?}"
    );
}
