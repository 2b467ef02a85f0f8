//! Group administration: the owner adds, removes, renames, hands on ownership, closes and
//! reopens; any member leaves. Every change reaches every member live.

use confab_shared::api::{Chat, Role, SystemEvent};
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ClientId, ErrorCode};
use confab_test_support::{assert_error, expect_ok, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn an_added_member_gets_the_chat_and_the_others_hear_of_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;

    let response =
        alice.post(&format!("/api/chats/{}/members", chat.id), json!({ "user_id": carol.id() })).await;
    let updated: Chat = expect_ok("add carol", &[StatusCode::CREATED], response);

    assert!(updated.members.iter().any(|m| m.user.id == carol.id() && m.role == Role::Member));
    match carol_ws.recv_until(|e| matches!(e, ServerEvent::ChatCreated { .. })).await {
        ServerEvent::ChatCreated { chat: seen } => assert_eq!(seen.id, chat.id),
        other => panic!("{other:#?}"),
    }
    let added = bob_ws.recv_until(|e| matches!(e, ServerEvent::MemberAdded { .. })).await;
    assert_eq!(added, ServerEvent::MemberAdded { chat_id: chat.id, user: carol.user.clone() });
    let note = carol_ws.recv_message().await;
    assert_eq!(
        note.system,
        Some(SystemEvent::MemberAdded { by: alice.user.clone(), user: carol.user.clone() })
    );
    assert_eq!(bob_ws.recv_message().await, note);
    let sent = alice.send(chat.id, "welcome carol").await;
    assert_eq!(carol_ws.recv_message().await, sent);

    let again =
        alice.post(&format!("/api/chats/{}/members", chat.id), json!({ "user_id": carol.id() })).await;
    assert_error("adding twice", &again, StatusCode::CONFLICT, ErrorCode::Conflict);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_administers_and_ownership_can_move() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let path = format!("/api/chats/{}", chat.id);
    let mut alice_ws = alice.ws().await;

    let calls = [
        (Method::PATCH, path.clone(), Some(json!({ "title": "Bob's now" }))),
        (Method::POST, format!("{path}/members"), Some(json!({ "user_id": carol.id() }))),
        (Method::DELETE, format!("{path}/members/{}", alice.id()), None),
        (Method::POST, format!("{path}/owner"), Some(json!({ "user_id": bob.id() }))),
        (Method::POST, format!("{path}/close"), None),
        (Method::POST, format!("{path}/reopen"), None),
    ];
    for (method, route, body) in calls.clone() {
        let response = bob.request(method.clone(), &route, body).await;
        assert_error(
            &format!("bob {method} {route}"),
            &response,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        );
    }

    let renamed: Chat = expect_ok(
        "rename",
        &[StatusCode::OK],
        alice.request(Method::PATCH, &path, Some(json!({ "title": " Crew " }))).await,
    );
    assert_eq!(renamed.title.as_deref(), Some("Crew"));
    match alice_ws.recv_until(|e| matches!(e, ServerEvent::ChatUpdated { .. })).await {
        ServerEvent::ChatUpdated { chat } => assert_eq!(chat.title.as_deref(), Some("Crew")),
        other => panic!("{other:#?}"),
    }

    let moved: Chat = expect_ok(
        "transfer",
        &[StatusCode::OK],
        alice.post(&format!("{path}/owner"), json!({ "user_id": bob.id() })).await,
    );
    assert_eq!(moved.owner_id, Some(bob.id()));
    let roles: Vec<_> = moved.members.iter().map(|m| (m.user.id, m.role)).collect();
    assert!(
        roles.contains(&(bob.id(), Role::Owner)) && roles.contains(&(alice.id(), Role::Member)),
        "{roles:?}"
    );
    let response = alice.request(Method::PATCH, &path, Some(json!({ "title": "Mine again" }))).await;
    assert_error("former owner renames", &response, StatusCode::FORBIDDEN, ErrorCode::Forbidden);

    // 409, not 400: the request is well formed; not 404: the chat exists (schemathesis).
    let to_stranger = bob.post(&format!("{path}/owner"), json!({ "user_id": carol.id() })).await;
    assert_error("ownership to a non-member", &to_stranger, StatusCode::CONFLICT, ErrorCode::Conflict);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_chat_is_read_only_until_reopened() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let path = format!("/api/chats/{}", chat.id);
    let mut bob_ws = bob.ws().await;

    let closed: Chat =
        expect_ok("close", &[StatusCode::OK], alice.post(&format!("{path}/close"), json!({})).await);
    assert!(closed.closed);
    match bob_ws.recv_until(|e| matches!(e, ServerEvent::ChatUpdated { .. })).await {
        ServerEvent::ChatUpdated { chat } => assert!(chat.closed),
        other => panic!("{other:#?}"),
    }
    let rest =
        bob.post(&format!("{path}/messages"), json!({ "client_id": Uuid::new_v4(), "body": "hello?" })).await;
    assert_error("send to a closed chat", &rest, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    let client_id = ClientId(Uuid::new_v4());
    bob_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "anyone?".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let note = bob_ws.recv_message().await;
    assert_eq!(note.system, Some(SystemEvent::Closed { by: alice.user.clone() }));
    let error = bob_ws.recv_error().await;
    assert_eq!((error.code, error.client_id), (ErrorCode::Forbidden, Some(client_id)));
    assert_eq!(bob.history(chat.id, Default::default()).await.messages, vec![note]);

    let reopened: Chat =
        expect_ok("reopen", &[StatusCode::OK], alice.post(&format!("{path}/reopen"), json!({})).await);
    assert!(!reopened.closed);
    let sent = bob.send(chat.id, "back again").await;
    assert_eq!(sent.seq, 3, "after the two system messages");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_leave_but_the_owner_hands_on_first() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;

    let owner_leaves =
        alice.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, alice.id()), None).await;
    assert_error("owner leaving", &owner_leaves, StatusCode::CONFLICT, ErrorCode::Conflict);

    let (status, body) =
        bob.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, bob.id()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");
    let removed = ServerEvent::MemberRemoved { chat_id: chat.id, user_id: bob.id() };
    assert_eq!(alice_ws.recv_until(|e| matches!(e, ServerEvent::MemberRemoved { .. })).await, removed);
    assert_eq!(bob_ws.recv_until(|e| matches!(e, ServerEvent::MemberRemoved { .. })).await, removed);
    assert!(bob.chats().await.is_empty());
    let members: Vec<_> = alice.chat(chat.id).await.members.iter().map(|m| m.user.id).collect();
    assert!(!members.contains(&bob.id()), "{members:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_direct_chat_cannot_be_administered() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_direct(&bob).await;

    let add = alice.post(&format!("/api/chats/{}/members", chat.id), json!({ "user_id": carol.id() })).await;
    let rename =
        alice.request(Method::PATCH, &format!("/api/chats/{}", chat.id), Some(json!({ "title": "x" }))).await;
    let leave =
        alice.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, alice.id()), None).await;

    // Well-formed requests that the chat's kind forbids: 403, not 400 (schemathesis).
    assert_error("add to direct", &add, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error("rename direct", &rename, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error("leave direct", &leave, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
}
