//! Sending and reading messages: delivery to every connection, idempotent retries
//! (promise 2), one gap-free order per chat (promise 3) and paging by seq.

use confab_shared::api::HistoryQuery;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ClientId, ErrorCode};
use confab_test_support::{assert_error, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

fn new_client_id() -> ClientId {
    ClientId(Uuid::new_v4())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rest_send_reaches_every_connection_of_every_member() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut alice_tab = alice.ws().await;
    let mut bob_tab1 = bob.ws().await;
    let mut bob_tab2 = bob.ws().await;

    let sent = alice.send(chat.id, "hi bob").await;

    assert_eq!(sent.seq, 1);
    assert_eq!(sent.sender_id, alice.id());
    assert_eq!(sent.chat_id, chat.id);
    assert_eq!(sent.body, "hi bob");
    for socket in [&mut alice_tab, &mut bob_tab1, &mut bob_tab2] {
        assert_eq!(socket.recv_message().await, sent);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_send_is_acked_with_its_client_id_and_delivered() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;
    let client_id = new_client_id();

    alice_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "over the socket".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;

    let ack = alice_ws.recv_message().await;
    assert_eq!(ack.client_id, client_id);
    assert_eq!(ack.sender_id, alice.id());
    assert_eq!(ack.seq, 1);
    assert_eq!(ack.body, "over the socket");
    assert_eq!(bob_ws.recv_message().await, ack);
    assert_eq!(carol_ws.recv_message().await, ack);
    // Promise 1: acknowledged means stored.
    let page = carol.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages, vec![ack]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_opened_before_the_chat_existed_gets_the_chat_and_its_messages() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut bob_ws = bob.ws().await;

    let chat = alice.create_group("New", &[&bob]).await;
    let created = bob_ws.recv_until(|e| matches!(e, ServerEvent::ChatCreated { .. })).await;
    let sent = alice.send(chat.id, "welcome").await;

    assert!(matches!(created, ServerEvent::ChatCreated { chat: c } if c.id == chat.id));
    assert_eq!(bob_ws.recv_message().await, sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rest_retry_returns_the_original_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let client_id = new_client_id();

    let (first_status, first) = alice.send_with_client_id(chat.id, client_id, "only once").await;
    let (retry_status, retry) = alice.send_with_client_id(chat.id, client_id, "only once").await;
    let next = alice.send(chat.id, "next").await;

    assert_eq!(first_status, StatusCode::CREATED);
    assert_eq!(retry_status, StatusCode::OK);
    assert_eq!(retry, first);
    assert_eq!(next.seq, 2, "a retry must not use up a seq");
    let page = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page.messages[0], first);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_retry_is_acked_with_the_original_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut alice_ws = alice.ws().await;
    let client_id = new_client_id();
    let send = ClientEvent::SendMessage {
        chat_id: chat.id,
        client_id,
        body: "once".into(),
        attachment_ids: vec![],
        reply_to: None,
    };

    alice_ws.send(&send).await;
    let first = alice_ws.recv_message().await;
    alice_ws.send(&send).await;
    let retry = alice_ws.recv_message().await;

    assert_eq!(retry, first);
    let page = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(page.messages, vec![first]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_id_is_per_sender() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let client_id = new_client_id();

    let (_, from_alice) = alice.send_with_client_id(chat.id, client_id, "from alice").await;
    let path = format!("/api/chats/{}/messages", chat.id);
    let (status, body) = bob.post(&path, json!({ "client_id": client_id, "body": "from bob" })).await;

    // Promise 2 keys retries by (sender, client_id): bob's send is his own new message (or,
    // at the strictest, a conflict), never alice's message handed back.
    if status == StatusCode::CONFLICT {
        assert_error("reused client id", &(status, body), StatusCode::CONFLICT, ErrorCode::Conflict);
    } else {
        assert_eq!(status, StatusCode::CREATED, "{body:#}");
        let from_bob: confab_shared::api::Message = serde_json::from_value(body).unwrap();
        assert_ne!(from_bob.id, from_alice.id);
        assert_eq!(from_bob.sender_id, bob.id());
        assert_eq!(from_bob.seq, 2);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sends_get_gap_free_seqs() {
    const PER_TASK: usize = 6;
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;

    let mut tasks = Vec::new();
    for (n, user) in [&alice, &bob, &alice, &bob].into_iter().enumerate() {
        let user = user.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..PER_TASK {
                seqs.push(user.send(chat.id, &format!("task {n} message {i}")).await.seq);
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await.unwrap());
    }

    let total = 4 * PER_TASK;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    let page =
        alice.history(chat.id, HistoryQuery { after: Some(0), limit: Some(100), ..Default::default() }).await;
    assert_eq!(page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), seqs);
    assert!(!page.has_more);
    assert_eq!(alice.chat(chat.id).await.last_seq, total as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn history_pages_both_ways_in_ascending_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    for i in 1..=7 {
        alice.send(chat.id, &format!("message {i}")).await;
    }
    let reader = &bob;
    let page = |before, after, limit| async move {
        let page = reader.history(chat.id, HistoryQuery { before, after, limit, around: None }).await;
        (page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), page.has_more)
    };

    assert_eq!(page(None, None, None).await, (vec![1, 2, 3, 4, 5, 6, 7], false));
    // The newest page, then older ones.
    assert_eq!(page(None, None, Some(3)).await, (vec![5, 6, 7], true));
    assert_eq!(page(Some(5), None, Some(3)).await, (vec![2, 3, 4], true));
    assert_eq!(page(Some(2), None, Some(3)).await, (vec![1], false));
    assert_eq!(page(Some(1), None, Some(3)).await, (vec![], false));
    // Newer ones, as after a reconnect.
    assert_eq!(page(None, Some(0), Some(3)).await, (vec![1, 2, 3], true));
    assert_eq!(page(None, Some(3), Some(3)).await, (vec![4, 5, 6], true));
    assert_eq!(page(None, Some(6), Some(3)).await, (vec![7], false));
    assert_eq!(page(None, Some(7), Some(3)).await, (vec![], false));
    // Exactly a page left: nothing more.
    assert_eq!(page(None, Some(4), Some(3)).await, (vec![5, 6, 7], false));
}

#[tokio::test(flavor = "multi_thread")]
async fn around_a_seq_holds_it_in_context_and_says_what_lies_beyond() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    for i in 1..=7 {
        alice.send(chat.id, &format!("message {i}")).await;
    }
    let page = |around, limit| {
        let bob = &bob;
        async move {
            let page = bob
                .history(chat.id, HistoryQuery { around: Some(around), limit, ..Default::default() })
                .await;
            (page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), page.has_more, page.has_newer)
        }
    };

    // Half the page before the seq, the seq and the rest after; has_more: older ones exist.
    assert_eq!(page(4, Some(4)).await, (vec![2, 3, 4, 5], true, Some(true)));
    assert_eq!(page(4, Some(5)).await, (vec![2, 3, 4, 5, 6], true, Some(true)));
    assert_eq!(page(4, Some(1)).await, (vec![4], true, Some(true)));
    assert_eq!(page(4, None).await, (vec![1, 2, 3, 4, 5, 6, 7], false, Some(false)));
    // At the edges.
    assert_eq!(page(1, Some(4)).await, (vec![1, 2], false, Some(true)));
    assert_eq!(page(7, Some(4)).await, (vec![5, 6, 7], true, Some(false)));
    assert_eq!(page(100, Some(4)).await, (vec![6, 7], true, Some(false)));
    assert_eq!(page(0, Some(4)).await, (vec![1, 2], false, Some(true)));
    // Other pages don't speak of newer ones.
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.has_newer, None);

    let path = format!("/api/chats/{}/messages", chat.id);
    for query in ["around=3&before=5", "around=3&after=1", "around=-1"] {
        let response = bob.get(&format!("{path}?{query}")).await;
        assert_error(query, &response, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    let carol = app.register("carol").await;
    let response = carol.get(&format!("{path}?around=3")).await;
    assert_error("not a member", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_body_is_refused_over_rest() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let path = format!("/api/chats/{}/messages", chat.id);

    for (case, body) in [
        ("empty", "".to_owned()),
        ("blank", " \n\t ".to_owned()),
        ("too long", "x".repeat(4001)),
        ("NUL", "a\0b".to_owned()),
    ] {
        let response = alice.post(&path, json!({ "client_id": Uuid::new_v4(), "body": body })).await;
        assert_error(case, &response, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    let missing = alice.post(&path, json!({ "body": "no client id" })).await;
    assert_error("missing client_id", &missing, StatusCode::BAD_REQUEST, ErrorCode::Validation);

    assert!(bob.history(chat.id, HistoryQuery::default()).await.messages.is_empty());
    assert_eq!(alice.send(chat.id, "x".repeat(4000).as_str()).await.seq, 1, "the limit itself is fine");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_body_is_refused_over_the_socket_which_keeps_working() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    let bad = new_client_id();

    alice_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id: bad,
            body: "   ".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;

    let error = alice_ws.recv_error().await;
    assert_eq!(error.code, ErrorCode::Validation);
    assert_eq!(error.client_id, Some(bad));
    // The socket lives on and the next send goes through.
    let good = new_client_id();
    alice_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id: good,
            body: "fine".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let ack = alice_ws.recv_message().await;
    assert_eq!(ack.client_id, good);
    assert_eq!(ack.seq, 1);
    // Bob saw only the good one.
    assert_eq!(bob_ws.recv_message().await, ack);
}
