//! Finding people and starting direct and group chats.

use confab_shared::ErrorCode;
use confab_shared::api::{ChatKind, Role};
use confab_shared::limits::GROUP_INITIAL_MEMBERS_MAX;
use confab_test_support::{assert_error, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn users_are_found_by_username_prefix() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let found = alice.search_users("bob").await;
    let exact = alice.search_users(&bob.username).await;
    let nobody = alice.search_users("zzz").await;

    assert!(found.contains(&bob.user), "{found:#?}");
    assert!(!found.iter().any(|u| u.id == alice.id()), "{found:#?}");
    assert_eq!(exact, vec![bob.user.clone()]);
    assert!(nobody.is_empty(), "{nobody:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_direct_chat_is_created_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let (created, chat) = alice.create_direct_status(&bob).await;
    let (again, same) = alice.create_direct_status(&bob).await;
    let (from_bob, bobs) = bob.create_direct_status(&alice).await;

    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(again, StatusCode::OK);
    assert_eq!(from_bob, StatusCode::OK);
    assert_eq!(same.id, chat.id);
    assert_eq!(bobs.id, chat.id);
    assert_eq!(chat.kind, ChatKind::Direct);
    let mut members: Vec<_> = chat.members.iter().map(|m| m.user.id).collect();
    members.sort();
    let mut expected = vec![alice.id(), bob.id()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(alice.chats().await.len(), 1);
    assert_eq!(bob.chats().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_has_its_owner_and_members() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;

    let chat = alice.create_group("Team", &[&bob, &carol]).await;

    assert_eq!(chat.kind, ChatKind::Group);
    assert_eq!(chat.title.as_deref(), Some("Team"));
    assert_eq!(chat.owner_id, Some(alice.id()));
    assert!(!chat.closed);
    assert_eq!(chat.last_seq, 0);
    assert_eq!(chat.members.len(), 3);
    let role = |id| chat.members.iter().find(|m| m.user.id == id).map(|m| m.role);
    assert_eq!(role(alice.id()), Some(Role::Owner));
    assert_eq!(role(bob.id()), Some(Role::Member));
    assert_eq!(role(carol.id()), Some(Role::Member));

    // Every member sees the same chat.
    let seen_by_carol = carol.chat(chat.id).await;
    assert_eq!(seen_by_carol.id, chat.id);
    assert_eq!(seen_by_carol.members.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn my_chats_come_newest_activity_first_with_their_last_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let direct = alice.create_direct(&bob).await;
    let group = alice.create_group("Team", &[&carol]).await;

    alice.send(group.id, "hello team").await;
    let last = alice.send(direct.id, "hello bob").await;

    let chats = alice.chats().await;
    assert_eq!(chats.iter().map(|c| c.id).collect::<Vec<_>>(), vec![direct.id, group.id]);
    assert_eq!(chats[0].last_message.as_ref().map(|m| m.id), Some(last.id));
    assert_eq!(chats[0].last_seq, 1);
    assert_eq!(chats[1].last_message.as_ref().map(|m| m.body.as_str()), Some("hello team"));

    // Bob sees only the chat he is in, with alice's message unread.
    let bobs = bob.chats().await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].id, direct.id);
    assert_eq!(bobs[0].unread_count, 1);

    // Activity reorders the list.
    alice.send(group.id, "again").await;
    let chats = alice.chats().await;
    assert_eq!(chats[0].id, group.id);
}

/// Found by schemathesis: these requests match the API document, so they are no 400s. A
/// user who does not exist is a conflict (409: a 404 would say the path's chat is missing);
/// a direct chat with yourself is refused (403).
#[tokio::test(flavor = "multi_thread")]
async fn naming_nobody_or_yourself_is_not_a_bad_request() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let nobody = uuid::Uuid::new_v4();
    let group = alice.create_group("Team", &[&bob]).await;

    let direct = alice.post("/api/chats", json!({ "kind": "direct", "user_id": nobody })).await;
    let with_nobody = alice
        .post("/api/chats", json!({ "kind": "group", "title": "T", "member_ids": [bob.id(), nobody] }))
        .await;
    let add = alice.post(&format!("/api/chats/{}/members", group.id), json!({ "user_id": nobody })).await;
    let myself = alice.post("/api/chats", json!({ "kind": "direct", "user_id": alice.id() })).await;

    assert_error("direct chat with nobody", &direct, StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_error("group with nobody", &with_nobody, StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_error("adding nobody", &add, StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_error("direct chat with yourself", &myself, StatusCode::FORBIDDEN, ErrorCode::Forbidden);
    assert!(bob.chats().await.iter().all(|c| c.title.as_deref() != Some("T")));
}

/// The document says `member_ids` has at most 100 items, so the list as sent is counted
/// (before, duplicates were dropped first and 101 copies of one id passed).
#[tokio::test(flavor = "multi_thread")]
async fn a_new_group_names_at_most_the_documented_number_of_members() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let at_most = vec![bob.id(); GROUP_INITIAL_MEMBERS_MAX];
    let too_many = vec![bob.id(); GROUP_INITIAL_MEMBERS_MAX + 1];
    let fits =
        alice.post("/api/chats", json!({ "kind": "group", "title": "T", "member_ids": at_most })).await;
    let over =
        alice.post("/api/chats", json!({ "kind": "group", "title": "T", "member_ids": too_many })).await;

    assert_eq!(fits.0, StatusCode::CREATED, "{:#}", fits.1);
    assert_error("101 member ids", &over, StatusCode::BAD_REQUEST, ErrorCode::Validation);
}
