//! Presence (promise 10): online while any connection lives, offline only after a grace
//! window, told to the people who share a chat and no one else.

use std::time::Duration;

use confab_shared::UserId;
use confab_shared::ws::ServerEvent;
use confab_test_support::{WsClient, spawn_app, spawn_app_with};

fn about(user: UserId) -> impl Fn(&ServerEvent) -> bool {
    move |e| matches!(e, ServerEvent::Presence { user_id, .. } if *user_id == user)
}

async fn next_presence(ws: &mut WsClient, user: UserId) -> (bool, bool) {
    match ws.recv_until(about(user)).await {
        ServerEvent::Presence { online, last_seen, .. } => (online, last_seen.is_some()),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn people_who_share_a_chat_see_each_other_come_online() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    alice.create_direct(&bob).await;

    let mut bob_ws = bob.ws().await;
    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (false, false), "bob's snapshot: alice offline");
    let mut carol_ws = carol.ws().await;
    let mut alice_ws = alice.ws().await;

    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (true, false));
    assert_eq!(next_presence(&mut alice_ws, bob.id()).await, (true, false), "alice's snapshot: bob online");
    let seen = carol_ws.events_until_pong().await;
    assert!(!seen.iter().any(about(alice.id())), "carol shares no chat with alice: {seen:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quick_reconnect_never_flaps_and_offline_follows_the_grace_window() {
    let app = spawn_app_with(|s| s.presence_grace = Duration::from_secs(2)).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    alice.create_direct(&bob).await;
    let mut bob_ws = bob.ws().await;
    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (false, false));

    let first = alice.ws().await;
    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (true, false));
    first.close().await;
    let reload = alice.ws().await; // a page reload: back well within the grace window
    reload.close().await;

    // Had the reload flapped, bob would see offline, online, offline. He sees one offline,
    // after the grace window of the last close, with when alice was last seen.
    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (false, true));
    let after = bob_ws.events_until_pong().await;
    assert!(!after.iter().any(about(alice.id())), "{after:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn new_contacts_learn_each_others_presence_at_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;

    let chat = alice.create_group("Team", &[&bob]).await;
    assert_eq!(next_presence(&mut alice_ws, bob.id()).await, (true, false));
    assert_eq!(next_presence(&mut bob_ws, alice.id()).await, (true, false));

    let (status, body) = alice
        .post(&format!("/api/chats/{}/members", chat.id), serde_json::json!({ "user_id": carol.id() }))
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body:#}");
    let mut introduced = Vec::new();
    while introduced.len() < 2 {
        if let ServerEvent::Presence { user_id, online, .. } =
            carol_ws.recv_until(|e| matches!(e, ServerEvent::Presence { .. })).await
        {
            introduced.push((user_id, online));
        }
    }
    introduced.sort();
    let mut expected = vec![(alice.id(), true), (bob.id(), true)];
    expected.sort();
    assert_eq!(introduced, expected);
    assert_eq!(next_presence(&mut bob_ws, carol.id()).await, (true, false));
}
