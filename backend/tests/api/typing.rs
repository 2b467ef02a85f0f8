//! Typing indicators reach the other members only, at most once per 2 s per user and chat.

use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_test_support::spawn_app;

fn is_typing(e: &ServerEvent) -> bool {
    matches!(e, ServerEvent::Typing { .. })
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_is_relayed_to_the_others_and_throttled_per_user_across_tabs() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_direct(&bob).await;
    let mut alice_tab1 = alice.ws().await;
    let mut alice_tab2 = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;

    alice_tab1.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    alice_tab2.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    alice_tab1.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    // The server handles a socket's events in order: once tab 2 and tab 1 answer a ping,
    // their typing events have all been handled.
    alice_tab2.assert_alive().await;
    alice_tab1.assert_alive().await;

    assert_eq!(
        bob_ws.recv_until(is_typing).await,
        ServerEvent::Typing { chat_id: chat.id, user_id: alice.id() }
    );
    let more = bob_ws.events_until_pong().await;
    assert!(!more.iter().any(is_typing), "throttled: {more:#?}");
    assert!(!alice_tab1.events_until_pong().await.iter().any(is_typing), "not echoed to the typist");
    assert!(!carol_ws.events_until_pong().await.iter().any(is_typing), "not to non-members");

    carol_ws.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    let refused = carol_ws.recv_error().await;
    assert_eq!(refused.code, confab_shared::ErrorCode::NotFound);
}
