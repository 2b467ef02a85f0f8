//! Editing, deleting and reacting, and catching up on all of it after being away
//! (promise 4 through the per-chat change position).

use std::collections::BTreeMap;

use confab_shared::api::{ChangesPage, HistoryQuery, Message, Reaction};
use confab_shared::ws::ServerEvent;
use confab_shared::{ErrorCode, MessageId};
use confab_test_support::{TestUser, assert_error, expect_ok, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn message_path(message: &Message) -> String {
    format!("/api/chats/{}/messages/{}", message.chat_id, message.id)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sender_edits_and_every_member_sees_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let original = alice.send(chat.id, "helo").await;
    let mut bob_ws = bob.ws().await;

    let edited: Message = expect_ok(
        "edit",
        &[StatusCode::OK],
        alice.request(Method::PATCH, &message_path(&original), Some(json!({ "body": "hello" }))).await,
    );
    let by_bob =
        bob.request(Method::PATCH, &message_path(&original), Some(json!({ "body": "hijacked" }))).await;
    let empty = alice.request(Method::PATCH, &message_path(&original), Some(json!({ "body": "  " }))).await;

    assert_eq!((edited.id, edited.seq, edited.body.as_str()), (original.id, original.seq, "hello"));
    assert!(edited.edited_at.is_some() && edited.change_seq > original.change_seq);
    assert_eq!(
        bob_ws.recv_until(|e| matches!(e, ServerEvent::MessageUpdated { .. })).await,
        ServerEvent::MessageUpdated { message: edited.clone() }
    );
    assert_error("bob edits alice's message", &by_bob, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error("blank edit", &empty, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages, vec![edited]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_message_leaves_a_tombstone_and_owners_moderate() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let by_bob = bob.send(chat.id, "oops").await;
    let by_carol = carol.send(chat.id, "spam").await;
    let kept = carol.send(chat.id, "fine").await;
    let mut carol_ws = carol.ws().await;

    let (status, body) = bob.request(Method::DELETE, &message_path(&by_bob), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");
    let not_bobs = bob.request(Method::DELETE, &message_path(&kept), None).await;
    let (status, body) = alice.request(Method::DELETE, &message_path(&by_carol), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "owner deletes: {body:#}");
    let again = bob.request(Method::DELETE, &message_path(&by_bob), None).await;

    assert_error("member deletes another's message", &not_bobs, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert_error("deleting twice", &again, StatusCode::CONFLICT, ErrorCode::Conflict);
    match carol_ws.recv_until(|e| matches!(e, ServerEvent::MessageDeleted { .. })).await {
        ServerEvent::MessageDeleted { chat_id, message_id, change_seq } => {
            assert_eq!((chat_id, message_id), (chat.id, by_bob.id));
            assert!(change_seq > kept.change_seq);
        }
        other => panic!("{other:#?}"),
    }
    let history = carol.history(chat.id, HistoryQuery::default()).await.messages;
    let shown: Vec<_> = history.iter().map(|m| (m.seq, m.deleted, m.body.as_str())).collect();
    assert_eq!(shown, vec![(1, true, ""), (2, true, ""), (3, false, "fine")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn reactions_toggle_per_person_and_are_bounded() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let message = alice.send(chat.id, "lunch?").await;
    let path = format!("{}/reactions", message_path(&message));
    let mut alice_ws = alice.ws().await;

    let _: Vec<Reaction> =
        expect_ok("bob 👍", &[StatusCode::OK], bob.post(&path, json!({ "emoji": "👍" })).await);
    let both: Vec<Reaction> =
        expect_ok("alice 👍", &[StatusCode::OK], alice.post(&path, json!({ "emoji": "👍" })).await);
    let toggled: Vec<Reaction> =
        expect_ok("bob 👍 again", &[StatusCode::OK], bob.post(&path, json!({ "emoji": "👍" })).await);

    assert_eq!(both, vec![Reaction { emoji: "👍".into(), user_ids: vec![bob.id(), alice.id()] }]);
    assert_eq!(toggled, vec![Reaction { emoji: "👍".into(), user_ids: vec![alice.id()] }]);
    match alice_ws.recv_until(|e| matches!(e, ServerEvent::ReactionsChanged { .. })).await {
        ServerEvent::ReactionsChanged { message_id, reactions, .. } => {
            assert_eq!(message_id, message.id);
            assert_eq!(reactions, vec![Reaction { emoji: "👍".into(), user_ids: vec![bob.id()] }]);
        }
        other => panic!("{other:#?}"),
    }
    assert_eq!(alice.history(chat.id, HistoryQuery::default()).await.messages[0].reactions, toggled);

    let words = bob.post(&path, json!({ "emoji": "lol" })).await;
    assert_error("not an emoji", &words, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    let emoji: Vec<String> = ('😀'..='😓').map(String::from).collect();
    for e in &emoji[..19] {
        let _: Vec<Reaction> = expect_ok(e, &[StatusCode::OK], bob.post(&path, json!({ "emoji": e })).await);
    }
    let one_too_many = bob.post(&path, json!({ "emoji": emoji[19] })).await;
    assert_error("21st different emoji", &one_too_many, StatusCode::CONFLICT, ErrorCode::Conflict);
    let _: Vec<Reaction> = expect_ok(
        "a 20th emoji again",
        &[StatusCode::OK],
        alice.post(&path, json!({ "emoji": emoji[18] })).await,
    );
}

/// Without `since`, `/changes` starts from the beginning: the document does not require
/// it (schemathesis sent none and got a 400 before).
#[tokio::test(flavor = "multi_thread")]
async fn changes_without_since_start_from_the_beginning() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let first = alice.send(chat.id, "one").await;
    alice.send(chat.id, "two").await;

    let page: ChangesPage =
        expect_ok("changes", &[StatusCode::OK], alice.get(&format!("/api/chats/{}/changes", chat.id)).await);

    assert_eq!(page.messages.len(), 2);
    assert_eq!(page.messages[0].id, first.id);
}

/// Pages through `/changes` from `since` and merges into `local` by message id.
async fn catch_up(
    user: &TestUser,
    chat: confab_shared::ChatId,
    mut since: i64,
    local: &mut BTreeMap<MessageId, Message>,
) {
    loop {
        let page: ChangesPage = expect_ok(
            "changes",
            &[StatusCode::OK],
            user.get(&format!("/api/chats/{chat}/changes?since={since}&limit=30")).await,
        );
        for message in &page.messages {
            assert!(message.change_seq > since, "changes come in change order");
            since = message.change_seq;
            local.insert(message.id, message.clone());
        }
        if !page.has_more {
            assert_eq!(since, page.last_change);
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_away_during_sends_edits_and_deletes_converges_on_reconnect() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let before = alice.send(chat.id, "before bob left").await;

    // Bob's client state, then he goes away.
    let mut local: BTreeMap<MessageId, Message> = BTreeMap::new();
    let start = bob.chat(chat.id).await.last_change;
    catch_up(&bob, chat.id, 0, &mut local).await;
    bob.ws().await.close().await;

    let mut sent = Vec::new();
    for i in 0..100 {
        sent.push(alice.send(chat.id, &format!("message {i}")).await);
    }
    for m in sent.iter().step_by(20) {
        let (status, _) =
            alice.request(Method::PATCH, &message_path(m), Some(json!({ "body": "edited" }))).await;
        assert_eq!(status, StatusCode::OK);
    }
    for m in [&sent[1], &sent[50], &before] {
        let (status, _) = alice.request(Method::DELETE, &message_path(m), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    // Reconnect: subscribe first, then fetch what changed since the last position seen.
    let _ws = bob.ws().await;
    catch_up(&bob, chat.id, start, &mut local).await;

    let mut truth = Vec::new();
    let mut after = 0;
    loop {
        let page = alice
            .history(chat.id, HistoryQuery { after: Some(after), limit: Some(100), ..Default::default() })
            .await;
        after = page.messages.last().map_or(after, |m| m.seq);
        truth.extend(page.messages);
        if !page.has_more {
            break;
        }
    }
    let mut converged: Vec<Message> = local.into_values().collect();
    converged.sort_by_key(|m| m.seq);
    assert_eq!(converged.len(), 101);
    assert_eq!(converged, truth);
    assert_eq!(converged.iter().filter(|m| m.deleted).count(), 3);
    assert_eq!(converged.iter().filter(|m| m.body == "edited").count(), 5);
    assert!(converged.windows(2).all(|w| w[1].seq == w[0].seq + 1));
}
