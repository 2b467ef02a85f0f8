//! Replies quote their parent wherever a message travels (live, history, changes, the
//! cached newest page), always as the parent is now; a reply answers a live message of its
//! own chat only. `around=SEQ` loads the history around a message to jump to.

use confab_shared::api::{ChangesPage, HistoryQuery, Message, MessagePage, ReplyPreview};
use confab_shared::ws::ClientEvent;
use confab_shared::{ChatId, ClientId, ErrorCode, MessageId};
use confab_test_support::{TestUser, WsClient, assert_error, expect_ok, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn reply(user: &TestUser, chat_id: ChatId, parent: MessageId, body: &str) -> (StatusCode, Value) {
    let request = json!({ "client_id": Uuid::new_v4(), "body": body, "reply_to": parent });
    user.post(&format!("/api/chats/{chat_id}/messages"), request).await
}

/// Sends `body` over the socket as a reply to `parent`: the send's client id.
async fn reply_over(ws: &mut WsClient, chat_id: ChatId, parent: MessageId, body: &str) -> ClientId {
    let client_id = ClientId(Uuid::new_v4());
    let send = ClientEvent::SendMessage {
        chat_id,
        client_id,
        body: body.into(),
        attachment_ids: vec![],
        reply_to: Some(parent),
    };
    ws.send(&send).await;
    client_id
}

fn message_path(message: &Message) -> String {
    format!("/api/chats/{}/messages/{}", message.chat_id, message.id)
}

async fn newest(user: &TestUser, chat_id: ChatId) -> Vec<Message> {
    user.history(chat_id, HistoryQuery::default()).await.messages
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_quotes_its_parent_live_in_history_and_in_changes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let parent = alice.send(chat.id, "**Ship** it\ntoday?").await;
    newest(&bob, chat.id).await; // the newest page is now cached
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;

    let client_id = reply_over(&mut bob_ws, chat.id, parent.id, "yes").await;

    let acked = bob_ws.recv_message().await;
    let quote = ReplyPreview {
        message_id: parent.id,
        seq: parent.seq,
        sender_id: alice.id(),
        excerpt: "Ship it today?".into(),
        deleted: false,
    };
    assert_eq!((acked.client_id, acked.reply_to.as_ref()), (client_id, Some(&quote)));
    assert_eq!(alice_ws.recv_message().await, acked);
    assert_eq!(newest(&bob, chat.id).await, vec![parent.clone(), acked.clone()]);
    let changes: ChangesPage = expect_ok(
        "changes",
        &[StatusCode::OK],
        alice.get(&format!("/api/chats/{}/changes?since={}", chat.id, parent.change_seq)).await,
    );
    assert_eq!(changes.messages, vec![acked.clone()]);
    // A retry gets the original back, quote included.
    let (status, again) = bob.send_with_client_id(chat.id, client_id, "yes").await;
    assert_eq!((status, again), (StatusCode::OK, acked));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quote_follows_edits_and_a_deleted_parent_gives_nothing_away() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let parent = alice.send(chat.id, "the plan is secret").await;
    let answer: Message =
        expect_ok("reply", &[StatusCode::CREATED], reply(&bob, chat.id, parent.id, "got it").await);
    assert_eq!(answer.reply_to.as_ref().map(|q| q.excerpt.as_str()), Some("the plan is secret"));
    newest(&bob, chat.id).await;

    alice.request(Method::PATCH, &message_path(&parent), Some(json!({ "body": "the plan is public" }))).await;
    let quote =
        |messages: Vec<Message>| messages.into_iter().find(|m| m.id == answer.id).and_then(|m| m.reply_to);
    assert_eq!(quote(newest(&bob, chat.id).await).map(|q| q.excerpt), Some("the plan is public".into()));

    let (status, _) = alice.request(Method::DELETE, &message_path(&parent), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = ReplyPreview {
        message_id: parent.id,
        seq: parent.seq,
        sender_id: alice.id(),
        excerpt: String::new(),
        deleted: true,
    };
    assert_eq!(quote(newest(&bob, chat.id).await), Some(gone.clone()));
    let around = bob.history(chat.id, HistoryQuery { around: Some(parent.seq), ..Default::default() }).await;
    assert_eq!(quote(around.messages), Some(gone));
    let everything = serde_json::to_string(&newest(&alice, chat.id).await).unwrap();
    assert!(!everything.contains("plan is"), "the deleted text leaked: {everything}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_answers_only_a_live_message_of_its_own_chat() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let elsewhere = alice.create_direct(&mallory).await;
    let other_chats = alice.send(elsewhere.id, "in another chat").await;
    let deleted = alice.send(chat.id, "soon gone").await;
    alice.request(Method::DELETE, &message_path(&deleted), None).await;
    alice.request(Method::PATCH, &format!("/api/chats/{}", chat.id), Some(json!({ "title": "Crew" }))).await;
    let before = newest(&alice, chat.id).await;
    let note = before.last().unwrap().clone();
    assert!(note.system.is_some());
    let live = alice.send(chat.id, "still here").await;

    let cases = [
        (
            "a message of another chat",
            reply(&alice, chat.id, other_chats.id, "hm").await,
            StatusCode::CONFLICT,
        ),
        (
            "no such message",
            reply(&alice, chat.id, MessageId(Uuid::new_v4()), "hm").await,
            StatusCode::CONFLICT,
        ),
        ("a deleted message", reply(&bob, chat.id, deleted.id, "hm").await, StatusCode::CONFLICT),
        ("a system message", reply(&bob, chat.id, note.id, "hm").await, StatusCode::FORBIDDEN),
        // Mallory is not in the chat: 404 whatever she names, nothing learnt about it.
        ("a non-member", reply(&mallory, chat.id, live.id, "hm").await, StatusCode::NOT_FOUND),
    ];
    for (what, response, status) in cases {
        let code = match status {
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            _ => ErrorCode::NotFound,
        };
        assert_error(what, &response, status, code);
    }
    let mut expected = before;
    expected.push(live.clone());
    assert_eq!(newest(&alice, chat.id).await, expected, "nothing was stored");

    // The socket refuses the same way, answering the send's client_id.
    let mut bob_ws = bob.ws().await;
    let client_id = reply_over(&mut bob_ws, chat.id, other_chats.id, "hm").await;
    let error = bob_ws.recv_error().await;
    assert_eq!((error.code, error.client_id), (ErrorCode::Conflict, Some(client_id)));
}

#[tokio::test(flavor = "multi_thread")]
async fn history_around_a_seq_loads_both_sides_of_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    for i in 1..=30 {
        alice.send(chat.id, &format!("message {i}")).await;
    }
    let around = |seq: i64, limit: u32| {
        bob.history(chat.id, HistoryQuery { around: Some(seq), limit: Some(limit), ..Default::default() })
    };
    let seqs = |page: &MessagePage| page.messages.iter().map(|m| m.seq).collect::<Vec<_>>();

    let middle = around(15, 10).await;
    assert_eq!(seqs(&middle), (10..=19).collect::<Vec<_>>());
    assert_eq!((middle.has_more, middle.has_newer), (true, Some(true)));
    let start = around(1, 10).await;
    assert_eq!(seqs(&start), (1..=5).collect::<Vec<_>>());
    assert_eq!((start.has_more, start.has_newer), (false, Some(true)));
    let end = around(28, 10).await;
    assert_eq!(seqs(&end), (23..=30).collect::<Vec<_>>());
    assert_eq!((end.has_more, end.has_newer), (true, Some(false)));
    assert_eq!(seqs(&around(15, 1).await), vec![15]);
    assert_eq!(seqs(&around(99, 4).await), vec![29, 30]);
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.has_newer, None, "only with around");

    let path = format!("/api/chats/{}/messages", chat.id);
    for bad in ["around=5&before=9", "around=5&after=1", "around=-1"] {
        let response = bob.get(&format!("{path}?{bad}")).await;
        assert_error(bad, &response, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    let stranger = app.register("stranger").await;
    let response = stranger.get(&format!("{path}?around=5")).await;
    assert_error("a non-member", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}
