//! System messages: renames, membership changes, closing and ownership are told in the
//! chat's own history, live, in seq order, to whoever is a member at the time, and to a
//! device that was away through `/changes`. Nobody can change them, and they never count
//! as unread.

use confab_shared::api::{ChangesPage, Chat, HistoryQuery, Message, SystemEvent};
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, ErrorCode};
use confab_test_support::process::scratch_dir;
use confab_test_support::redis::RedisServer;
use confab_test_support::{TestUser, assert_error, expect_ok, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn chat_path(chat_id: ChatId) -> String {
    format!("/api/chats/{chat_id}")
}

async fn rename(owner: &TestUser, chat_id: ChatId, title: &str) -> Chat {
    let response = owner.request(Method::PATCH, &chat_path(chat_id), Some(json!({ "title": title }))).await;
    expect_ok("rename", &[StatusCode::OK], response)
}

async fn remove(owner: &TestUser, chat_id: ChatId, who: &TestUser) {
    let path = format!("{}/members/{}", chat_path(chat_id), who.id());
    let (status, body) = owner.request(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "remove: {body:#}");
}

fn system(messages: &[Message]) -> Vec<SystemEvent> {
    messages.iter().filter_map(|m| m.system.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_is_told_in_history_live_and_in_seq_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let path = chat_path(chat.id);
    let mut bob_ws = bob.ws().await;

    rename(&alice, chat.id, "Crew").await;
    alice.post(&format!("{path}/members"), json!({ "user_id": carol.id() })).await;
    remove(&alice, chat.id, &carol).await;
    alice.post(&format!("{path}/owner"), json!({ "user_id": bob.id() })).await;
    bob.post(&format!("{path}/close"), json!({})).await;
    bob.post(&format!("{path}/reopen"), json!({})).await;
    remove(&alice, chat.id, &alice).await;

    let (a, b, c) = (alice.user.clone(), bob.user.clone(), carol.user.clone());
    let expected = vec![
        SystemEvent::Renamed { by: a.clone(), old_title: "Team".into(), title: "Crew".into() },
        SystemEvent::MemberAdded { by: a.clone(), user: c.clone() },
        SystemEvent::MemberRemoved { by: a.clone(), user: c },
        SystemEvent::OwnershipTransferred { by: a.clone(), user: b.clone() },
        SystemEvent::Closed { by: b.clone() },
        SystemEvent::Reopened { by: b },
        SystemEvent::MemberLeft { user: a },
    ];
    let mut live = Vec::new();
    for _ in &expected {
        live.push(bob_ws.recv_message().await);
    }
    assert_eq!(system(&live), expected);
    let seqs: Vec<i64> = live.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "one seq each, gap-free");
    assert!(live.iter().all(|m| m.body.is_empty() && m.body_html.is_empty()));
    assert_eq!(live[3].sender_id, alice.id(), "the sender is who made the change");

    let history = bob.history(chat.id, HistoryQuery::default()).await;
    assert_eq!(history.messages, live, "history holds exactly what went out live");
    let list = bob.chats().await;
    assert_eq!((list[0].last_seq, list[0].unread_count), (7, 0), "system messages are never unread");
    assert_eq!(list[0].last_message.as_ref(), live.last());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_hears_of_the_removal_but_not_of_its_record() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob, &carol]).await;
    let mut bob_ws = bob.ws().await;
    let mut carol_ws = carol.ws().await;

    remove(&alice, chat.id, &carol).await;

    let note = bob_ws.recv_message().await;
    assert_eq!(
        note.system,
        Some(SystemEvent::MemberRemoved { by: alice.user.clone(), user: carol.user.clone() })
    );
    // Bob has the record, so it was due to carol before this ping if it were hers.
    let to_carol = carol_ws.events_until_pong().await;
    assert!(to_carol.contains(&ServerEvent::MemberRemoved { chat_id: chat.id, user_id: carol.id() }));
    assert!(
        !to_carol.iter().any(|e| matches!(e, ServerEvent::MessageCreated { .. })),
        "carol heard of the chat after leaving it: {to_carol:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_added_member_sees_what_happened_before_and_counts_only_real_messages_as_unread() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    bob.send(chat.id, "hi").await;
    rename(&alice, chat.id, "Crew").await;

    let (status, _) =
        alice.post(&format!("{}/members", chat_path(chat.id)), json!({ "user_id": carol.id() })).await;
    assert_eq!(status, StatusCode::CREATED);

    let theirs = carol.chat(chat.id).await;
    assert_eq!((theirs.last_seq, theirs.unread_count), (3, 1), "hi is unread, the two records are not");
    let kinds = system(&carol.history(chat.id, HistoryQuery::default()).await.messages);
    assert!(
        matches!(kinds.as_slice(), [SystemEvent::Renamed { .. }, SystemEvent::MemberAdded { .. }]),
        "{kinds:#?}"
    );
    let bobs = bob.chat(chat.id).await;
    assert_eq!((bobs.last_read_seq, bobs.unread_count), (1, 0));
    let alices = alice.chat(chat.id).await;
    assert_eq!((alices.last_read_seq, alices.unread_count), (3, 0), "the author has read their records");
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_edits_deletes_or_reacts_to_a_system_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    rename(&alice, chat.id, "Crew").await;
    let note = alice.history(chat.id, HistoryQuery::default()).await.messages.remove(0);
    let path = format!("{}/messages/{}", chat_path(chat.id), note.id);

    // Alice is both its sender and the owner, who may delete anyone's message.
    let edit = alice.request(Method::PATCH, &path, Some(json!({ "body": "rewritten" }))).await;
    let delete = alice.request(Method::DELETE, &path, None).await;
    let react = bob.post(&format!("{path}/reactions"), json!({ "emoji": "👍" })).await;

    for (what, response) in [("edit", edit), ("delete", delete), ("react", react)] {
        assert_error(what, &response, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
        assert!(response.1["error"]["message"].as_str().unwrap().contains("system message"), "{response:?}");
    }
    assert_eq!(alice.history(chat.id, HistoryQuery::default()).await.messages, vec![note]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_that_was_away_catches_up_on_system_messages_through_changes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    let seen = bob.send(chat.id, "last thing I saw").await;
    let bob_ws = bob.ws().await;
    bob_ws.close().await;

    rename(&alice, chat.id, "Crew").await;
    alice.post(&format!("{}/members", chat_path(chat.id)), json!({ "user_id": carol.id() })).await;

    // Reconnect: subscribe first, then fetch what changed since the last change seen.
    let mut bob_ws = bob.ws().await;
    let since = seen.change_seq;
    let page: ChangesPage = expect_ok(
        "changes",
        &[StatusCode::OK],
        bob.get(&format!("/api/chats/{}/changes?since={since}", chat.id)).await,
    );
    let kinds = system(&page.messages);
    assert!(
        matches!(kinds.as_slice(), [SystemEvent::Renamed { .. }, SystemEvent::MemberAdded { .. }]),
        "{kinds:#?}"
    );
    assert_eq!(page.last_change, page.messages.last().unwrap().change_seq);
    // And live again from here.
    alice.post(&format!("{}/close", chat_path(chat.id)), json!({})).await;
    assert_eq!(bob_ws.recv_message().await.system, Some(SystemEvent::Closed { by: alice.user.clone() }));
}

/// With Redis paused while the change is written, the invalidations wait: nothing cached
/// before it is served after it, then or once Redis is back.
#[tokio::test(flavor = "multi_thread")]
async fn cached_views_show_system_messages_even_when_redis_was_paused_during_the_change() {
    let redis = RedisServer::start(&scratch_dir("redis-system").unwrap()).unwrap();
    let url = redis.url();
    let app = spawn_app_with(move |s| s.redis_url = Some(url)).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_group("Team", &[&bob]).await;
    bob.send(chat.id, "hello").await;
    let hits = || async { app.health().await.1.cache_hits };
    for _ in 0..2 {
        bob.history(chat.id, HistoryQuery::default()).await;
        bob.chats().await;
    }
    assert!(hits().await > 0, "the views are cached");

    redis.pause().unwrap();
    rename(&alice, chat.id, "Crew").await;
    let kinds_now = || async {
        let page = system(&bob.history(chat.id, HistoryQuery::default()).await.messages);
        let list = bob.chats().await[0].last_message.clone().and_then(|m| m.system);
        (page, list)
    };
    let (page, last) = kinds_now().await;
    assert!(matches!(page.as_slice(), [SystemEvent::Renamed { .. }]), "while paused: {page:#?}");
    assert!(matches!(last, Some(SystemEvent::Renamed { .. })), "while paused: {last:#?}");

    redis.resume().unwrap();
    let (page, last) = kinds_now().await;
    assert!(matches!(page.as_slice(), [SystemEvent::Renamed { .. }]), "after: {page:#?}");
    assert!(matches!(last, Some(SystemEvent::Renamed { .. })), "after: {last:#?}");
}
