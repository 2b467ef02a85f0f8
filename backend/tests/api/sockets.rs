//! Socket robustness: malformed frames get an `error` event and harm no one (promise 8),
//! foreign origins are refused (promise 7), logout closes that session's sockets
//! (promise 6).

use confab_shared::ErrorCode;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ChatId, ClientId};
use confab_test_support::{assert_error, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn the_first_event_is_ready_with_the_protocol_version() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let mut socket = app.connect_ws(Some(&alice.cookie), None).await.unwrap();

    match socket.recv().await {
        ServerEvent::Ready { user, protocol_version } => {
            assert_eq!(user, alice.user);
            assert_eq!(protocol_version, confab_shared::limits::PROTOCOL_VERSION);
        }
        other => panic!("expected ready, got {other:#?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_frames_get_a_validation_error_and_the_socket_lives_on() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut socket = alice.ws().await;
    let mut bob_ws = bob.ws().await;

    let frames = [
        "not json at all".to_owned(),
        "".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        json!({ "type": "launch_rockets", "data": {} }).to_string(),
        json!({ "type": "ping" }).to_string(),
        json!({ "type": "ping", "data": { "nonce": "seven" } }).to_string(),
        json!({ "type": "send_message", "data": { "chat_id": 5, "client_id": "x", "body": 1 } }).to_string(),
        json!({ "type": "send_message", "data": { "chat_id": chat.id, "body": "no client id" } }).to_string(),
        json!({ "type": "mark_read", "data": { "chat_id": "not-a-uuid", "seq": 1 } }).to_string(),
        "{\"type\": \"send_message\", \"data\": {".to_owned(),
    ];
    for frame in &frames {
        socket.send_raw(frame).await;
        let error = socket.recv_error().await;
        assert_eq!(error.code, ErrorCode::Validation, "for the frame {frame:?}");
    }
    socket.send_binary(vec![0xde, 0xad, 0xbe, 0xef]).await;
    assert_eq!(socket.recv_error().await.code, ErrorCode::Validation, "for a binary frame");

    // Still alive and fully usable; the neighbour noticed nothing.
    socket.assert_alive().await;
    let client_id = ClientId(Uuid::new_v4());
    socket
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "still here".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let ack = socket.recv_message().await;
    assert_eq!(ack.client_id, client_id);
    assert_eq!(bob_ws.recv_message().await, ack);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_to_a_chat_that_does_not_exist_is_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut socket = alice.ws().await;
    let client_id = ClientId(Uuid::new_v4());

    socket
        .send(&ClientEvent::SendMessage {
            chat_id: ChatId(Uuid::new_v4()),
            client_id,
            body: "hello?".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;

    let error = socket.recv_error().await;
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(error.client_id, Some(client_id));
    socket.assert_alive().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_is_refused_and_our_own_is_accepted() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let refused =
        alice.try_ws(Some("http://evil.example")).await.expect_err("a foreign origin must be refused");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let lookalike = alice.try_ws(Some("http://127.0.0.1.evil.example")).await.expect_err("refused");
    assert_eq!(lookalike.status(), StatusCode::FORBIDDEN);

    // The server's own origin is fine, and so is no Origin (non-browser clients).
    let mut own = alice.ws_with_origin(Some(&app.address)).await;
    own.assert_alive().await;
    let mut none = alice.ws().await;
    none.assert_alive().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_calls_from_a_foreign_origin_are_forbidden() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let response = alice
        .client
        .post(app.url("/api/chats"))
        .header("origin", "http://evil.example")
        .json(&json!({ "kind": "direct", "user_id": bob.id() }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();

    assert_error("foreign origin POST", &(status, body), StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert!(alice.chats().await.is_empty(), "the forbidden call must not have created a chat");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_closes_that_sessions_sockets_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let other_session = alice.login_again(&app).await;
    let mut first_tab = alice.ws().await;
    let mut second_tab = alice.ws().await;
    let mut other_browser = other_session.ws().await;

    alice.logout().await;

    for socket in [&mut first_tab, &mut second_tab] {
        let before_close = socket.expect_closed().await;
        assert!(
            before_close.iter().any(|e| matches!(e, ServerEvent::SessionExpired {})),
            "session_expired should precede the close, got {before_close:#?}"
        );
    }
    other_browser.assert_alive().await;
    let refused = alice.try_ws(None).await.expect_err("the logged-out cookie must not open sockets");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_socket_does_not_disturb_the_others() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let leaving = bob.ws().await;
    let mut staying = bob.ws().await;

    leaving.close().await;
    let sent = alice.send(chat.id, "are you there?").await;

    assert_eq!(staying.recv_message().await, sent);
}
