//! Authorization on every object (promise 5): non-members get `404 not_found` on every chat
//! route and no events; anonymous callers get 401 on everything but register, login and
//! health.

use confab_shared::api::{HistoryQuery, SystemEvent};
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ClientId, ErrorCode};
use confab_test_support::{PASSWORD, TestUser, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Every chat-scoped route of the contract, for the chat `chat`, its message `message` and
/// its member `member`, as `stranger` would call it.
fn chat_routes(
    chat: Uuid,
    message: Uuid,
    member: Uuid,
    stranger: Uuid,
) -> Vec<(Method, String, Option<Value>)> {
    let c = format!("/api/chats/{chat}");
    vec![
        (Method::GET, c.clone(), None),
        (Method::PATCH, c.clone(), Some(json!({ "title": "mine now" }))),
        (Method::GET, format!("{c}/messages"), None),
        (Method::GET, format!("{c}/messages?after=0&limit=10"), None),
        (Method::POST, format!("{c}/messages"), Some(json!({ "client_id": Uuid::new_v4(), "body": "hi" }))),
        (Method::POST, format!("{c}/members"), Some(json!({ "user_id": stranger }))),
        (Method::DELETE, format!("{c}/members/{member}"), None),
        (Method::DELETE, format!("{c}/members/{stranger}"), None),
        (Method::POST, format!("{c}/owner"), Some(json!({ "user_id": stranger }))),
        (Method::POST, format!("{c}/close"), None),
        (Method::POST, format!("{c}/reopen"), None),
        (Method::POST, format!("{c}/read"), Some(json!({ "seq": 1 }))),
        (Method::PATCH, format!("{c}/messages/{message}"), Some(json!({ "body": "edited" }))),
        (Method::DELETE, format!("{c}/messages/{message}"), None),
        (Method::POST, format!("{c}/messages/{message}/reactions"), Some(json!({ "emoji": "👍" }))),
    ]
}

async fn assert_all_not_found(who: &TestUser, routes: Vec<(Method, String, Option<Value>)>) {
    for (method, path, body) in routes {
        let response = who.request(method.clone(), &path, body).await;
        assert_error(&format!("{method} {path}"), &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_member_gets_not_found_on_every_chat_route() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let chat = alice.create_group("Private", &[&bob]).await;
    let message = alice.send(chat.id, "secret").await;

    let routes = chat_routes(chat.id.0, message.id.0, bob.id().0, mallory.id().0);
    assert_all_not_found(&mallory, routes).await;

    // Nothing changed: still two members, the same title, one message, open.
    let after = alice.chat(chat.id).await;
    assert_eq!(after.members.len(), 2);
    assert_eq!(after.title.as_deref(), Some("Private"));
    assert!(!after.closed);
    let page = alice.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages, vec![message]);
    assert!(mallory.chats().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_that_exists_looks_like_one_that_does_not() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let chat = alice.create_direct(&bob).await;

    let real = mallory.get(&format!("/api/chats/{}", chat.id)).await;
    let missing = mallory.get(&format!("/api/chats/{}", Uuid::new_v4())).await;

    assert_eq!(real, missing);
    // Members get not_found for chats that do not exist, too, on every route.
    let routes = chat_routes(Uuid::new_v4(), Uuid::new_v4(), bob.id().0, mallory.id().0);
    assert_all_not_found(&alice, routes).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_id_from_another_chat_is_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let private = alice.create_direct(&bob).await;
    let secret = alice.send(private.id, "secret").await;
    let own = mallory.create_direct(&alice).await;

    // Mallory is a member of `own`, but the message belongs to `private`.
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/chats/{}/messages/{}", own.id, secret.id),
            Some(json!({ "body": "x" })),
        ),
        (Method::DELETE, format!("/api/chats/{}/messages/{}", own.id, secret.id), None),
        (
            Method::POST,
            format!("/api/chats/{}/messages/{}/reactions", own.id, secret.id),
            Some(json!({ "emoji": "👍" })),
        ),
    ] {
        let response = mallory.request(method.clone(), &path, body).await;
        assert_error(&format!("{method} {path}"), &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }
    let page = bob.history(private.id, HistoryQuery::default()).await;
    assert_eq!(page.messages, vec![secret]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_member_never_sees_an_event_and_cannot_act_over_the_socket() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let chat = alice.create_direct(&bob).await;
    let mut bob_ws = bob.ws().await;
    let mut mallory_ws = mallory.ws().await;

    let sent = alice.send(chat.id, "not for mallory").await;
    assert_eq!(bob_ws.recv_message().await, sent);
    // The server handles a socket's events in order: had the message been fanned out to
    // mallory, it would arrive before the pong.
    let seen = mallory_ws.events_until_pong().await;
    assert!(!seen.iter().any(is_about_the_chat), "mallory saw {seen:#?}");

    // Mallory's attempts over the socket: errors for her, nothing for bob.
    let client_id = ClientId(Uuid::new_v4());
    mallory_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "let me in".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let error = mallory_ws.recv_error().await;
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(error.client_id, Some(client_id));
    mallory_ws.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    mallory_ws.send(&ClientEvent::MarkRead { chat_id: chat.id, seq: 1 }).await;
    mallory_ws.assert_alive().await;
    let seen_by_bob = bob_ws.events_until_pong().await;
    assert!(
        !seen_by_bob.iter().any(|e| matches!(e, ServerEvent::Typing { .. } | ServerEvent::Read { .. })),
        "bob saw mallory's events: {seen_by_bob:#?}"
    );
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages, vec![sent]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_stops_receiving_at_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;

    let (status, body) =
        alice.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, bob.id()), None).await;
    assert!(status.is_success(), "removing bob: {status} {body:#}");
    let sent = alice.send(chat.id, "after bob left").await;

    let note = carol_ws.recv_message().await;
    assert!(matches!(note.system, Some(SystemEvent::MemberRemoved { .. })), "{note:#?}");
    assert_eq!(carol_ws.recv_message().await, sent);
    let seen = bob_ws.events_until_pong().await;
    assert!(
        !seen.iter().any(|e| matches!(e, ServerEvent::MessageCreated { .. })),
        "bob still got messages: {seen:#?}"
    );
    let response = bob.get(&format!("/api/chats/{}", chat.id)).await;
    assert_error("removed member", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

fn is_about_the_chat(event: &ServerEvent) -> bool {
    !matches!(event, ServerEvent::Presence { .. } | ServerEvent::Pong { .. })
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_callers_get_unauthorized_everywhere_but_the_front_door() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let message = alice.send(chat.id, "hello").await;

    let mut routes = vec![
        (Method::GET, "/api/auth/me".to_owned(), None),
        (Method::POST, "/api/auth/logout".to_owned(), None),
        (Method::GET, "/api/auth/sessions".to_owned(), None),
        (Method::POST, "/api/auth/sessions/revoke-others".to_owned(), None),
        (Method::DELETE, format!("/api/auth/sessions/{}", Uuid::new_v4()), None),
        (
            Method::POST,
            "/api/auth/password".to_owned(),
            Some(json!({ "current_password": PASSWORD, "new_password": "another passphrase" })),
        ),
        (Method::GET, "/api/users?q=ali".to_owned(), None),
        (Method::GET, "/api/chats".to_owned(), None),
        (Method::POST, "/api/chats".to_owned(), Some(json!({ "kind": "direct", "user_id": bob.id() }))),
    ];
    routes.extend(chat_routes(chat.id.0, message.id.0, bob.id().0, alice.id().0));
    for (method, path, body) in routes {
        let response = app.request(method.clone(), &path, body.clone()).await;
        assert_error(
            &format!("anonymous {method} {path}"),
            &response,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        );
        let forged =
            app.request_with_cookie(method.clone(), &path, "confab_session=forged-token", body).await;
        assert_error(
            &format!("forged {method} {path}"),
            &forged,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        );
    }

    let (health, _) = app.request(Method::GET, "/api/health", None).await;
    assert_eq!(health, StatusCode::OK);
    let socket = app.connect_ws(None, None).await.expect_err("an anonymous upgrade must be refused");
    assert_eq!(socket.status(), StatusCode::UNAUTHORIZED);
    let forged = app.connect_ws(Some("confab_session=forged-token"), None).await.expect_err("refused");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_gets_not_found_on_every_chat_route() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let message = bob.send(chat.id, "before I was removed").await;

    let (status, body) =
        alice.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, bob.id()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");

    assert_all_not_found(&bob, chat_routes(chat.id.0, message.id.0, carol.id().0, bob.id().0)).await;
    let mut bob_ws = bob.ws().await;
    bob_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id: ClientId(Uuid::new_v4()),
            body: "hi".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    assert_eq!(bob_ws.recv_error().await.code, ErrorCode::NotFound);
}
