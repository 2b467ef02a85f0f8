//! Abuse: rate limits (on REST and the socket, across nodes), caps, races and hostile text
//! (issue 7). Each test turns on only the limit it checks; the others stay off.

use confab_shared::api::{HistoryQuery, MessagePage, ServerLimits};
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ClientId, ErrorCode};
use confab_test_support::{PASSWORD, TestApp, assert_error, expect_ok, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// Status, `Retry-After` and body of a login attempt.
async fn login_attempt(app: &TestApp, username: &str, password: &str) -> (StatusCode, Option<u64>, Value) {
    let response = app
        .anonymous()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let retry_after = retry_after(&response);
    (response.status(), retry_after, response.json().await.unwrap_or(Value::Null))
}

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response.headers().get(header::RETRY_AFTER)?.to_str().ok()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_lock_that_account_on_every_node_and_only_that_account() {
    let one = spawn_app_with(|s| s.limits.login_failures = 3).await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await;

    for node in [&one, &two, &one] {
        let (status, _, _) = login_attempt(node, &alice.username, "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The fourth try is refused before the password is even checked: the right one too,
    // and on the other node (the count lives in Redis).
    for (node, password) in [(&two, "wrong password"), (&one, PASSWORD)] {
        let (status, retry, body) = login_attempt(node, &alice.username, password).await;
        assert_error(
            "locked account",
            &(status, body),
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
        );
        let retry = retry.expect("a Retry-After header");
        assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    }
    // Same address, another account: unaffected.
    let (status, _, _) = login_attempt(&one, &bob.username, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn registrations_are_limited_per_client_address_and_forwarded_for_only_counts_behind_a_trusted_proxy() {
    let register = async |app: &TestApp, forwarded_for: Option<&str>| {
        let mut request = app.anonymous().post(app.url("/api/auth/register")).json(&json!({
            "username": format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            "password": PASSWORD,
        }));
        if let Some(address) = forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        let response = request.send().await.unwrap();
        (response.status(), retry_after(&response))
    };

    // Not behind a trusted proxy: X-Forwarded-For is the client's own claim, ignored.
    let direct = spawn_app_with(|s| s.limits.registrations_per_ip = 2).await;
    assert_eq!(register(&direct, Some("203.0.113.1")).await.0, StatusCode::CREATED);
    assert_eq!(register(&direct, Some("203.0.113.2")).await.0, StatusCode::CREATED);
    let (status, retry) = register(&direct, Some("203.0.113.3")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a spoofed header must not buy more");
    assert!(retry.is_some_and(|r| r > 0), "Retry-After {retry:?}");

    // Behind a trusted proxy (127.0.0.1 here), each forwarded client has its own budget.
    let proxied = spawn_app_with(|s| {
        s.limits.registrations_per_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(register(&proxied, Some("198.51.100.7, 127.0.0.1")).await.0, StatusCode::CREATED);
    }
    assert_eq!(register(&proxied, Some("198.51.100.7")).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(register(&proxied, Some("198.51.100.8")).await.0, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_are_limited_per_user_across_rest_sockets_and_nodes_and_refused_ones_are_not_stored() {
    let one = spawn_app_with(|s| s.limits.messages_per_user = 5).await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await;
    let chat = alice.create_direct(&bob).await;

    for i in 0..3 {
        alice.send(chat.id, &format!("rest {i}")).await;
    }
    let mut tab = alice.on(&two).ws().await;
    let mut accepted = 0;
    let mut refused = Vec::new();
    let sent: Vec<ClientId> = (0..4).map(|_| ClientId(uuid::Uuid::new_v4())).collect();
    for (i, client_id) in sent.iter().enumerate() {
        tab.send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id: *client_id,
            body: format!("socket {i}"),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    }
    while accepted + refused.len() < sent.len() {
        match tab.recv().await {
            ServerEvent::MessageCreated { message } if message.sender_id == alice.id() => accepted += 1,
            ServerEvent::Error(error) => {
                assert_eq!(error.code, ErrorCode::RateLimited, "{error:?}");
                refused.push(error.client_id.expect("the refused send's client_id"));
            }
            _ => {}
        }
    }
    assert_eq!((accepted, refused.len()), (2, 2), "3 REST + 2 socket sends fill the window of 5");
    assert!(refused.iter().all(|id| sent.contains(id)));

    let response = alice
        .client
        .post(one.url(&format!("/api/chats/{}/messages", chat.id)))
        .json(&json!({ "client_id": uuid::Uuid::new_v4(), "body": "one more" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&response).is_some_and(|r| (1..=10).contains(&r)));

    let page: MessagePage = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages.len(), 5, "nothing refused was stored");
    // Bob's budget is his own.
    bob.send(chat.id, "hi").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sockets_per_user_are_capped_and_upgrades_are_rate_limited() {
    let app = spawn_app_with(|s| s.limits.sockets_per_user_max = 2).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let first = alice.ws().await;
    let _second = alice.ws().await;
    let refused = alice.try_ws(None).await.expect_err("a third socket is refused");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let _bob = bob.ws().await;
    first.close().await;
    // The closed socket's slot frees once the server has seen it go.
    let mut retried = alice.try_ws(None).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while retried.is_err() && std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
        retried = alice.try_ws(None).await;
    }
    assert!(retried.is_ok(), "a slot frees when a socket closes");

    let app = spawn_app_with(|s| s.limits.socket_upgrades_per_user = 3).await;
    let carol = app.register("carol").await;
    for _ in 0..3 {
        carol.ws().await.close().await;
    }
    let refused = carol.try_ws(None).await.expect_err("a fourth upgrade within the minute is refused");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limits_are_published_as_configured() {
    let app = spawn_app_with(|s| {
        s.limits.group_members_max = 3;
        s.limits.sockets_per_user_max = 7;
    })
    .await;
    let limits: ServerLimits =
        expect_ok("limits", &[StatusCode::OK], app.request(Method::GET, "/api/limits", None).await);
    assert_eq!(limits.group_members_max, 3);
    assert_eq!(limits.sockets_per_user_max, 7);
    assert_eq!(limits.message_body_max, confab_shared::limits::MESSAGE_BODY_MAX);
    assert_eq!(limits.upload_bytes_max, 25 * 1024 * 1024);
    assert_eq!(limits.attachments_per_message_max, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_are_capped_at_creation_and_on_add() {
    let app = spawn_app_with(|s| s.limits.group_members_max = 3).await;
    let owner = app.register("owner").await;
    let [a, b, c] = [app.register("a").await, app.register("b").await, app.register("c").await];
    let too_big = owner
        .post(
            "/api/chats",
            json!({ "kind": "group", "title": "Big", "member_ids": [a.id(), b.id(), c.id()] }),
        )
        .await;
    assert_error("create past the cap", &too_big, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    let chat = owner.create_group("Small", &[&a, &b]).await;
    let add = owner.post(&format!("/api/chats/{}/members", chat.id), json!({ "user_id": c.id() })).await;
    assert_error("add past the cap", &add, StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_eq!(owner.chat(chat.id).await.members.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_ownership_transfers_leave_exactly_one_owner_who_is_a_member() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    for round in 0..8 {
        let chat = owner.create_group(&format!("Race {round}"), &[&bob, &carol]).await;
        let path = format!("/api/chats/{}/owner", chat.id);
        let (to_bob, to_carol) = tokio::join!(
            owner.post(&path, json!({ "user_id": bob.id() })),
            owner.post(&path, json!({ "user_id": carol.id() })),
        );
        let statuses = [to_bob.0, to_carol.0];
        assert!(statuses.contains(&StatusCode::OK), "one wins: {statuses:?}");
        assert!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count() == 1,
            "round {round}: only one transfer may win: {to_bob:?} {to_carol:?}"
        );
        let loser = if to_bob.0 == StatusCode::OK { &to_carol } else { &to_bob };
        assert!(matches!(loser.0, StatusCode::CONFLICT | StatusCode::FORBIDDEN), "{loser:?}");
        let seen = bob.chat(chat.id).await;
        let owners: Vec<_> =
            seen.members.iter().filter(|m| m.role == confab_shared::api::Role::Owner).collect();
        assert_eq!(owners.len(), 1, "round {round}: {:#?}", seen.members);
        assert_eq!(seen.owner_id, Some(owners[0].user.id), "the owner is a member with the owner role");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_is_refused_with_400_everywhere() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for title in ["\u{202e}nimda", "ev\u{200b}il", "line\u{2028}break", "nul\u{0}"] {
        let created = alice
            .post("/api/chats", json!({ "kind": "group", "title": title, "member_ids": [bob.id()] }))
            .await;
        assert_error(&format!("title {title:?}"), &created, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    let registered = app
        .register_raw(json!({ "username": "mallory", "password": PASSWORD, "display_name": "\u{202e}admin" }))
        .await;
    assert_error("display name", &registered, StatusCode::BAD_REQUEST, ErrorCode::Validation);

    let chat = alice.create_direct(&bob).await;
    let sent = alice
        .post(
            &format!("/api/chats/{}/messages", chat.id),
            json!({ "client_id": uuid::Uuid::new_v4(), "body": "a\u{2066}b" }),
        )
        .await;
    assert_error("body", &sent, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    let message = alice.send(chat.id, "family 👩\u{200d}👩\u{200d}👧").await;
    let react = async |emoji: &str| {
        alice
            .post(
                &format!("/api/chats/{}/messages/{}/reactions", chat.id, message.id),
                json!({ "emoji": emoji }),
            )
            .await
    };
    for not_one_emoji in ["é", "👍👍", "a\u{0}"] {
        assert_error(
            &format!("reaction {not_one_emoji:?}"),
            &react(not_one_emoji).await,
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        );
    }
    assert_eq!(react("👍🏽").await.0, StatusCode::OK);

    let search = alice.get("/api/users?q=a%00b").await;
    assert_error("NUL in a search", &search, StatusCode::BAD_REQUEST, ErrorCode::Validation);
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_in_a_closed_chat_is_refused_and_not_relayed() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let bob = app.register("bob").await;
    let chat = owner.create_group("Quiet", &[&bob]).await;
    let (status, _) = owner.post(&format!("/api/chats/{}/close", chat.id), json!({})).await;
    assert!(status.is_success(), "close: {status}");
    let mut owner_ws = owner.ws().await;
    let mut bob_ws = bob.ws().await;
    owner_ws.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    let refused = owner_ws.recv_error().await;
    assert_eq!(refused.code, ErrorCode::Forbidden);
    owner_ws.assert_alive().await;
    let seen = bob_ws.events_until_pong().await;
    assert!(!seen.iter().any(|e| matches!(e, ServerEvent::Typing { .. })), "{seen:#?}");
}
