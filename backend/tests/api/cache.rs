//! The Redis cache of chat lists and newest pages is used, and every write that changes
//! what they show invalidates them: a cached read never shows stale data.

use confab_shared::api::{Chat, HistoryQuery, Message, Reaction, SystemEvent};
use confab_test_support::{TestApp, expect_ok, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn hits(app: &TestApp) -> u64 {
    app.health().await.1.cache_hits
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_chat_lists_follow_every_write() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;

    let first = bob.chats().await;
    let before = hits(&app).await;
    assert_eq!(bob.chats().await, first);
    assert!(hits(&app).await > before, "the second read is served from Redis");

    let sent = alice.send(chat.id, "news").await;
    let list = bob.chats().await;
    assert_eq!((list[0].last_message.as_ref(), list[0].unread_count), (Some(&sent), 1));

    bob.post(&format!("/api/chats/{}/read", chat.id), json!({ "seq": sent.seq })).await;
    assert_eq!(bob.chats().await[0].unread_count, 0);

    let path = format!("/api/chats/{}/messages/{}", chat.id, sent.id);
    alice.request(Method::PATCH, &path, Some(json!({ "body": "old news" }))).await;
    assert_eq!(bob.chats().await[0].last_message.as_ref().map(|m| m.body.as_str()), Some("old news"));

    // Each change below also writes a system message: the list's last message follows,
    // and the unread count does not move (system messages never count).
    let kind = |chat: &Chat| chat.last_message.as_ref().and_then(|m| m.system.clone());
    alice.request(Method::PATCH, &format!("/api/chats/{}", chat.id), Some(json!({ "title": "Crew" }))).await;
    let list = bob.chats().await;
    assert_eq!(list[0].title.as_deref(), Some("Crew"));
    assert!(matches!(kind(&list[0]), Some(SystemEvent::Renamed { .. })), "{list:#?}");
    assert_eq!(list[0].unread_count, 0);

    alice.post(&format!("/api/chats/{}/members", chat.id), json!({ "user_id": carol.id() })).await;
    let list = bob.chats().await;
    assert_eq!(list[0].members.len(), 3);
    assert!(matches!(kind(&list[0]), Some(SystemEvent::MemberAdded { .. })), "{list:#?}");
    assert_eq!(carol.chats().await.len(), 1);

    alice.request(Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, carol.id()), None).await;
    assert!(carol.chats().await.is_empty());
    assert!(matches!(kind(&bob.chats().await[0]), Some(SystemEvent::MemberRemoved { .. })));
    alice.post(&format!("/api/chats/{}/close", chat.id), json!({})).await;
    let list = bob.chats().await;
    assert!(list[0].closed);
    assert!(matches!(kind(&list[0]), Some(SystemEvent::Closed { .. })));
    assert_eq!(list[0].unread_count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_newest_page_follows_every_write() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let first = alice.send(chat.id, "first").await;
    let newest = || bob.history(chat.id, HistoryQuery::default());

    let page = newest().await;
    let before = hits(&app).await;
    assert_eq!(newest().await, page);
    assert!(hits(&app).await > before, "the second read is served from Redis");

    let second = alice.send(chat.id, "second").await;
    assert_eq!(newest().await.messages, vec![first.clone(), second.clone()]);

    let path = format!("/api/chats/{}/messages/{}", chat.id, first.id);
    let edited: Message = expect_ok(
        "edit",
        &[StatusCode::OK],
        alice.request(Method::PATCH, &path, Some(json!({ "body": "1st" }))).await,
    );
    assert_eq!(newest().await.messages[0], edited);

    let reactions: Vec<Reaction> = expect_ok(
        "react",
        &[StatusCode::OK],
        bob.post(&format!("{path}/reactions"), json!({ "emoji": "🎉" })).await,
    );
    assert_eq!(newest().await.messages[0].reactions, reactions);

    alice.request(Method::DELETE, &path, None).await;
    let shown = newest().await.messages;
    assert!(shown[0].deleted && shown[0].body.is_empty() && shown[0].reactions.is_empty(), "{shown:#?}");
    assert_eq!(shown[1], second);
}
