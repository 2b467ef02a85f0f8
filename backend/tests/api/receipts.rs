//! Read receipts and unread counts, across tabs and people.

use confab_shared::ErrorCode;
use confab_shared::api::MarkReadRequest;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_test_support::{assert_error, expect_ok, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn reading_in_one_tab_clears_the_badge_everywhere_and_tells_the_sender() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    for text in ["one", "two", "three"] {
        alice.send(chat.id, text).await;
    }
    let mut alice_ws = alice.ws().await;
    let mut bob_tab1 = bob.ws().await;
    let mut bob_tab2 = bob.ws().await;

    let before = bob.chats().await;
    assert_eq!((before[0].unread_count, before[0].last_read_seq), (3, 0));
    assert_eq!(alice.chats().await[0].unread_count, 0, "your own messages are read");

    bob_tab1.send(&ClientEvent::MarkRead { chat_id: chat.id, seq: 2 }).await;

    let read = ServerEvent::Read { chat_id: chat.id, user_id: bob.id(), seq: 2 };
    for ws in [&mut bob_tab1, &mut bob_tab2, &mut alice_ws] {
        assert_eq!(ws.recv_until(|e| matches!(e, ServerEvent::Read { .. })).await, read);
    }
    let after = bob.chats().await;
    assert_eq!((after[0].unread_count, after[0].last_read_seq), (1, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_position_never_moves_back_nor_past_the_end() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    alice.send(chat.id, "one").await;
    alice.send(chat.id, "two").await;
    let path = format!("/api/chats/{}/read", chat.id);

    let far: MarkReadRequest =
        expect_ok("read past the end", &[StatusCode::OK], bob.post(&path, json!({ "seq": 99 })).await);
    let back: MarkReadRequest =
        expect_ok("read backwards", &[StatusCode::OK], bob.post(&path, json!({ "seq": 1 })).await);
    let negative = bob.post(&path, json!({ "seq": -1 })).await;
    // JSON Schema's integer includes 1.0, so the API document allows it (schemathesis).
    let spelled_as_float: MarkReadRequest =
        expect_ok("read with 1.0", &[StatusCode::OK], bob.post(&path, json!({ "seq": 1.0 })).await);
    let fractional = bob.post(&path, json!({ "seq": 1.5 })).await;

    assert_eq!(far.seq, 2);
    assert_eq!(back.seq, 2);
    assert_eq!(bob.chats().await[0].unread_count, 0);
    assert_error("negative seq", &negative, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    assert_eq!(spelled_as_float.seq, 2);
    assert_error("fractional seq", &fractional, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    alice.send(chat.id, "three").await;
    assert_eq!(bob.chats().await[0].unread_count, 1);
}
