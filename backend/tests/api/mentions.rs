//! `@username` mentions of members are stored with the message, highlighted in its HTML
//! (not in code), travel live and through `/changes`, and count per chat until read; each
//! member mutes a chat for themselves.

use confab_shared::api::{ChangesPage, Chat, HistoryQuery, Message};
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ChatId, ClientId, ErrorCode};
use confab_test_support::{TestUser, assert_error, expect_ok, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

fn at(user: &TestUser) -> String {
    format!("@{}", user.user.username)
}

async fn counts(user: &TestUser, chat_id: ChatId) -> (i64, i64) {
    let chat = user.chats().await.into_iter().find(|c| c.id == chat_id).expect("in the list");
    (chat.unread_count, chat.mention_count)
}

async fn read_up_to(user: &TestUser, chat_id: ChatId, seq: i64) {
    let (status, body) = user.post(&format!("/api/chats/{chat_id}/read"), json!({ "seq": seq })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mention_of_a_member_is_stored_highlighted_and_counted_until_read() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let mut bob_ws = bob.ws().await;

    let body = format!("hi {} and {}, `{}`", at(&bob).to_uppercase(), at(&dave), at(&carol));
    let first = alice.send(chat.id, &body).await;

    assert_eq!(first.mentions, vec![bob.id()], "dave is no member, carol is only in code");
    let span =
        format!(r#"<span class="mention" data-user-id="{}">{}</span>"#, bob.id(), at(&bob).to_uppercase());
    assert!(first.body_html.contains(&span), "{}", first.body_html);
    assert!(first.body_html.contains(&format!("<code>{}</code>", at(&carol))), "{}", first.body_html);
    assert_eq!(bob_ws.recv_message().await, first);
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages, vec![first.clone()]);
    assert_eq!(counts(&bob, chat.id).await, (1, 1));
    assert_eq!(counts(&carol, chat.id).await, (1, 0));
    assert_eq!(counts(&alice, chat.id).await, (0, 0), "my own mentions are read");

    // Over the socket, and a message that mentions nobody.
    let client_id = ClientId(Uuid::new_v4());
    let mut alice_ws = alice.ws().await;
    alice_ws
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: format!("{} again", at(&bob)),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let second = bob_ws.recv_message().await;
    assert_eq!((second.client_id, second.mentions.clone()), (client_id, vec![bob.id()]));
    let plain = alice.send(chat.id, "no one").await;
    assert!(plain.mentions.is_empty());
    assert_eq!(counts(&bob, chat.id).await, (3, 2));

    read_up_to(&bob, chat.id, first.seq).await;
    assert_eq!(counts(&bob, chat.id).await, (2, 1));
    read_up_to(&bob, chat.id, plain.seq).await;
    assert_eq!(counts(&bob, chat.id).await, (0, 0), "reading clears them");
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_and_deletions_change_who_is_mentioned_and_changes_carry_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let original = alice.send(chat.id, "hello").await;
    let path = format!("/api/chats/{}/messages/{}", chat.id, original.id);
    let mut bob_ws = bob.ws().await;

    let edited: Message = expect_ok(
        "edit",
        &[StatusCode::OK],
        alice.request(Method::PATCH, &path, Some(json!({ "body": format!("hello {}", at(&bob)) }))).await,
    );
    assert_eq!(edited.mentions, vec![bob.id()]);
    let seen = bob_ws.recv_until(|e| matches!(e, ServerEvent::MessageUpdated { .. })).await;
    assert_eq!(seen, ServerEvent::MessageUpdated { message: edited.clone() });
    assert_eq!(counts(&bob, chat.id).await, (1, 1));
    // A device that was away learns it from /changes.
    let changes: ChangesPage = expect_ok(
        "changes",
        &[StatusCode::OK],
        bob.get(&format!("/api/chats/{}/changes?since={}", chat.id, original.change_seq)).await,
    );
    assert_eq!(changes.messages, vec![edited]);

    let (status, _) = alice.request(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let tombstone = bob.history(chat.id, HistoryQuery::default()).await.messages.remove(0);
    assert!(tombstone.deleted && tombstone.mentions.is_empty());
    assert_eq!(counts(&bob, chat.id).await, (1, 0), "a deleted mention no longer counts");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_member_mutes_a_chat_for_themselves_on_every_device() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mallory = app.register("mallory").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let path = format!("/api/chats/{}/mute", chat.id);
    let muted = |list: Vec<Chat>| list.into_iter().find(|c| c.id == chat.id).map(|c| c.muted);
    assert_eq!(muted(bob.chats().await), Some(false));
    assert_eq!(muted(bob.chats().await), Some(false), "served from the cache");
    let mut bob_other_tab = bob.ws().await;
    let mut alice_ws = alice.ws().await;

    let now: Chat = expect_ok(
        "mute",
        &[StatusCode::OK],
        bob.request(Method::PUT, &path, Some(json!({ "muted": true }))).await,
    );

    assert!(now.muted);
    assert_eq!(
        bob_other_tab.recv_until(|e| matches!(e, ServerEvent::MuteChanged { .. })).await,
        ServerEvent::MuteChanged { chat_id: chat.id, muted: true }
    );
    assert!(
        !alice_ws.events_until_pong().await.iter().any(|e| matches!(e, ServerEvent::MuteChanged { .. })),
        "only bob's own devices hear of it"
    );
    assert_eq!(muted(bob.chats().await), Some(true));
    assert_eq!(muted(alice.chats().await), Some(false));
    // A mention still counts in a muted chat (the client notifies for it).
    alice.send(chat.id, &format!("{} look", at(&bob))).await;
    assert_eq!(counts(&bob, chat.id).await, (1, 1));

    let again: Chat = expect_ok(
        "unmute",
        &[StatusCode::OK],
        bob.request(Method::PUT, &path, Some(json!({ "muted": false }))).await,
    );
    assert!(!again.muted);
    assert_eq!(muted(bob.chats().await), Some(false));

    let stranger = mallory.request(Method::PUT, &path, Some(json!({ "muted": true }))).await;
    assert_error("a non-member mutes", &stranger, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    let malformed = bob.request(Method::PUT, &path, Some(json!({ "muted": "yes" }))).await;
    assert_error("not a boolean", &malformed, StatusCode::BAD_REQUEST, ErrorCode::Validation);
}
