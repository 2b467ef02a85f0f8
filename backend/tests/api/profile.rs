//! My display name (`PATCH /api/auth/me`): it changes everywhere at once — in my session,
//! in every chat list that shows me (cached or not, even with Redis paused during the
//! change), and live on the sockets of everyone I share a chat with and of my other tabs,
//! on any node — and nowhere else. Bad names change nothing.

use confab_shared::api::{Chat, SessionInfo, User};
use confab_shared::ws::ServerEvent;
use confab_shared::{ErrorCode, UserId};
use confab_test_support::process::scratch_dir;
use confab_test_support::redis::RedisServer;
use confab_test_support::{TestApp, TestUser, WsClient, assert_error, expect_ok, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn set_name(user: &TestUser, display_name: &str) -> (StatusCode, Value) {
    user.request(Method::PATCH, "/api/auth/me", Some(json!({ "display_name": display_name }))).await
}

async fn rename(user: &TestUser, display_name: &str) -> SessionInfo {
    expect_ok("change display name", &[StatusCode::OK], set_name(user, display_name).await)
}

/// How `user` is named in each of `chats` where they are a member.
fn names_of(user: UserId, chats: &[Chat]) -> Vec<String> {
    chats
        .iter()
        .flat_map(|chat| &chat.members)
        .filter(|member| member.user.id == user)
        .map(|member| member.user.display_name.clone())
        .collect()
}

/// The next `user_updated` on `ws`, skipping other events.
async fn next_user_updated(ws: &mut WsClient) -> User {
    match ws.recv_until(|e| matches!(e, ServerEvent::UserUpdated { .. })).await {
        ServerEvent::UserUpdated { user } => user,
        _ => unreachable!(),
    }
}

async fn cache_hits(app: &TestApp) -> u64 {
    app.health().await.1.cache_hits
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_name_shows_in_my_session_and_in_every_chat_list_cached_or_fresh() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = alice.create_group("Team", &[&bob]).await;
    alice.create_direct(&bob).await;
    alice.create_direct(&carol).await;
    let before = alice.me().await;
    // Bob's and alice's lists are cached; carol's is read fresh after the change.
    for user in [&bob, &alice] {
        user.chats().await;
        let hits = cache_hits(&app).await;
        user.chats().await;
        assert!(cache_hits(&app).await > hits, "{}'s second read is served from Redis", user.username);
    }

    let answer = rename(&alice, "  Alice Liddell ").await;

    let renamed = User { display_name: "Alice Liddell".into(), ..before.user.clone() };
    assert_eq!(answer, SessionInfo { user: renamed.clone(), ..before.clone() }, "trimmed, same session");
    assert_eq!(alice.me().await, answer);
    for (user, shared_chats) in [(&bob, 2), (&alice, 3), (&carol, 1)] {
        let chats = user.chats().await;
        assert_eq!(
            names_of(alice.id(), &chats),
            vec!["Alice Liddell"; shared_chats],
            "{}: {chats:#?}",
            user.username
        );
    }
    assert_eq!(names_of(alice.id(), &[bob.chat(group.id).await]), ["Alice Liddell"]);
    assert_eq!(
        names_of(bob.id(), &bob.chats().await),
        [bob.user.display_name.as_str(); 2],
        "bob is unchanged"
    );
}

/// Promise 4's rule for views: with Redis paused while the name is written, the
/// invalidations wait, and nothing cached before is served, then or once Redis is back.
#[tokio::test(flavor = "multi_thread")]
async fn cached_lists_show_the_new_name_even_when_redis_was_paused_during_the_change() {
    let redis = RedisServer::start(&scratch_dir("redis-profile").unwrap()).unwrap();
    let url = redis.url();
    let app = spawn_app_with(move |s| s.redis_url = Some(url)).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    alice.create_direct(&bob).await;
    for _ in 0..2 {
        bob.chats().await;
    }
    assert!(cache_hits(&app).await > 0, "bob's list is cached");

    redis.pause().unwrap();
    rename(&alice, "Alice while paused").await;
    assert_eq!(names_of(alice.id(), &bob.chats().await), ["Alice while paused"], "while paused");

    redis.resume().unwrap();
    redis_serves_again(&app).await;
    let hits = cache_hits(&app).await;
    for read in ["after", "after, from the cache"] {
        assert_eq!(names_of(alice.id(), &bob.chats().await), ["Alice while paused"], "{read}");
    }
    assert!(cache_hits(&app).await > hits, "the cache serves again");
}

/// Returns once the app uses Redis again: its circuit breaker skips a Redis that failed
/// for a while, and health reports `ok` only when a probe got through.
async fn redis_serves_again(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.health().await.1.redis != "ok" {
        assert!(tokio::time::Instant::now() < deadline, "Redis still unused 10 s after it resumed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Alice on node one, her second tab on node two; bob (two shared chats) on node two,
/// carol (one) on node one. Each hears `user_updated` once per change.
#[tokio::test(flavor = "multi_thread")]
async fn everyone_who_shares_a_chat_hears_it_on_either_node_once_and_so_do_my_other_tabs() {
    let one = spawn_app().await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await.on(&two);
    let carol = one.register("carol").await;
    alice.create_group("Team", &[&bob, &carol]).await;
    alice.create_direct(&bob).await;
    let mut sockets = [alice.ws().await, alice.on(&two).ws().await, bob.ws().await, carol.ws().await];

    let first = rename(&alice, "Alice L.").await.user;
    let second = rename(&alice, "Alice Liddell").await.user;

    for ws in &mut sockets {
        assert_eq!(next_user_updated(ws).await, first);
        // Not the first change again (bob shares two chats with her): the next one.
        assert_eq!(next_user_updated(ws).await, second);
    }
}

/// Dave shares a chat with carol only. Alice's change, then carol's, both go out through
/// node one, in that order, while dave listens on node two (which listens for alice's
/// chats too, for bob): the first `user_updated` dave gets is carol's, so alice's never
/// came.
#[tokio::test(flavor = "multi_thread")]
async fn someone_who_shares_no_chat_with_me_hears_nothing() {
    let one = spawn_app().await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await.on(&two);
    let carol = one.register("carol").await;
    let dave = one.register("dave").await.on(&two);
    alice.create_direct(&bob).await;
    carol.create_direct(&dave).await;
    let mut bob_ws = bob.ws().await;
    let mut dave_ws = dave.ws().await;
    let mut dave_here = dave.on(&one).ws().await;

    let alices = rename(&alice, "Alice Liddell").await.user;
    let carols = rename(&carol, "Carol C.").await.user;

    assert_eq!(next_user_updated(&mut bob_ws).await, alices, "the control: bob hears alice");
    assert_eq!(next_user_updated(&mut dave_ws).await, carols, "dave on node two");
    assert_eq!(next_user_updated(&mut dave_here).await, carols, "dave on node one");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_name_is_a_400_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    alice.create_direct(&bob).await;
    let mut bob_ws = bob.ws().await;
    let before = alice.me().await;
    let too_long = "a".repeat(65);
    let bad = [
        "",
        "   ",
        too_long.as_str(),
        "\u{202e}nimda",
        "ev\u{200b}il",
        "a\u{2066}b",
        "bell\u{7}",
        "line\nbreak",
    ];

    for name in bad {
        let answer = set_name(&alice, name).await;
        assert_error(
            &format!("display name {name:?}"),
            &answer,
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        );
    }
    for body in [json!({}), json!({ "display_name": null }), json!({ "display_name": 7 }), json!("Alice")] {
        let answer = alice.request(Method::PATCH, "/api/auth/me", Some(body.clone())).await;
        assert_error(&format!("body {body}"), &answer, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }

    assert_eq!(alice.me().await, before);
    assert_eq!(names_of(alice.id(), &bob.chats().await), [before.user.display_name.as_str()]);
    let heard = bob_ws.events_until_pong().await;
    assert!(!heard.iter().any(|e| matches!(e, ServerEvent::UserUpdated { .. })), "{heard:#?}");
    // The longest name allowed is taken.
    assert_eq!(rename(&alice, &too_long[1..]).await.user.display_name, too_long[1..]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_session_it_is_a_401() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let name = "Mallory";

    let anonymous = app.request(Method::PATCH, "/api/auth/me", Some(json!({ "display_name": name }))).await;
    let revoked = alice.login_again(&app).await;
    alice.revoke_session(revoked.current_session().await.id).await;
    let ended = set_name(&revoked, name).await;

    assert_error("anonymous", &anonymous, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_error("ended session", &ended, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(alice.me().await.user.display_name, alice.user.display_name);
}
