//! Message search (`GET /api/search`): words, phrases and `-word`, newest first, only in
//! the chats I am a member of now (promise 5), never deleted or replaced text, stable pages,
//! and snippets that are safe to insert as HTML.

use std::collections::HashSet;

use confab_shared::api::{Message, SearchPage};
use confab_shared::{ChatId, ErrorCode, MessageId};
use confab_test_support::{TestUser, assert_error, expect_ok, spawn_app};
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `/api/search?q=...` with the parameters given, encoded.
fn search_path(q: &str, chat_id: Option<ChatId>, before: Option<&str>) -> String {
    let mut url = reqwest::Url::parse("http://confab/api/search").unwrap();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("q", q);
        if let Some(chat_id) = chat_id {
            query.append_pair("chat_id", &chat_id.to_string());
        }
        if let Some(before) = before {
            query.append_pair("before", before);
        }
    }
    format!("{}?{}", url.path(), url.query().unwrap())
}

async fn search_in(user: &TestUser, q: &str, chat_id: Option<ChatId>, before: Option<&str>) -> SearchPage {
    expect_ok("search", &[StatusCode::OK], user.get(&search_path(q, chat_id, before)).await)
}

async fn search(user: &TestUser, q: &str) -> SearchPage {
    search_in(user, q, None, None).await
}

/// The ids of a page's messages, in its order.
fn ids(page: &SearchPage) -> Vec<MessageId> {
    page.results.iter().map(|hit| hit.message.id).collect()
}

fn ids_of(messages: &[&Message]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn words_and_phrases_find_messages_newest_first() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let plan = alice.send(chat.id, "The deploy plan is ready").await;
    let later = bob.send(chat.id, "Let's plan the deploy for tomorrow").await;
    alice.send(chat.id, "lunch?").await;

    let page = search(&bob, "deploy").await;
    assert_eq!(ids(&page), ids_of(&[&later, &plan]), "newest first");
    assert!(!page.has_more);
    assert_eq!(page.next_before, None);
    assert_eq!(page.results[0].chat_id, chat.id);
    assert_eq!(page.results[0].message, later, "the message as history has it");
    assert_eq!(ids(&search(&bob, "DePLoy").await), ids_of(&[&later, &plan]), "case-insensitive");
    assert_eq!(ids(&search(&bob, "\"deploy plan\"").await), ids_of(&[&plan]), "a phrase: words in order");
    assert_eq!(ids(&search(&bob, "deploy plan").await), ids_of(&[&later, &plan]), "every word, anywhere");
    assert_eq!(ids(&search(&bob, "deploy or lunch").await).len(), 3);
    assert!(search(&bob, "deployment").await.results.is_empty(), "words match as typed: no stemming");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minus_word_leaves_messages_out_and_alone_finds_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let today = alice.send(chat.id, "deploy today").await;
    alice.send(chat.id, "deploy tomorrow").await;

    assert_eq!(ids(&search(&alice, "deploy -tomorrow").await), ids_of(&[&today]));
    // With no word to look for, `-word` would match nearly every message: nothing.
    assert!(search(&alice, "-tomorrow").await.results.is_empty());
    assert!(search(&alice, "-tomorrow or -today").await.results.is_empty());
    assert!(search(&alice, "?!").await.results.is_empty(), "no word at all");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_my_chats_are_searched_and_others_never_see_a_hit() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let eve = app.register("eve").await;
    let ours = alice.create_direct(&bob).await;
    let theirs = carol.create_group("Pizza club", &[&dave]).await;
    let secret = alice.send(ours.id, "the pineapple secret").await;
    let pizza = dave.send(theirs.id, "pineapple on pizza").await;

    assert_eq!(ids(&search(&alice, "pineapple").await), ids_of(&[&secret]));
    assert_eq!(ids(&search(&bob, "pineapple").await), ids_of(&[&secret]));
    assert_eq!(ids(&search(&carol, "pineapple").await), ids_of(&[&pizza]));
    assert!(search(&eve, "pineapple").await.results.is_empty(), "in no chat: no hit");
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_id_narrows_to_one_of_my_chats_and_is_404_for_any_other() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let direct = alice.create_direct(&bob).await;
    let group = alice.create_group("Finance", &[&carol]).await;
    let in_direct = alice.send(direct.id, "budget draft").await;
    let in_group = carol.send(group.id, "budget final").await;

    assert_eq!(ids(&search(&alice, "budget").await), ids_of(&[&in_group, &in_direct]));
    assert_eq!(ids(&search_in(&alice, "budget", Some(direct.id), None).await), ids_of(&[&in_direct]));
    assert_eq!(ids(&search_in(&alice, "budget", Some(group.id), None).await), ids_of(&[&in_group]));

    let not_mine = bob.get(&search_path("budget", Some(group.id), None)).await;
    assert_error("a chat I am not in", &not_mine, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    let unknown = alice.get(&search_path("budget", Some(ChatId(uuid::Uuid::new_v4())), None)).await;
    assert_error("no such chat", &unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_no_longer_finds_what_was_said_while_they_were_in() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = alice.create_group("Launch", &[&bob]).await;
    let roadmap = alice.send(group.id, "quarterly roadmap").await;
    let notes = bob.send(group.id, "my roadmap notes").await;
    assert_eq!(ids(&search(&bob, "roadmap").await), ids_of(&[&notes, &roadmap]));

    let path = format!("/api/chats/{}/members/{}", group.id, bob.id());
    let (status, body) = alice.request(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");

    assert!(search(&bob, "roadmap").await.results.is_empty(), "not even his own messages");
    let narrowed = bob.get(&search_path("roadmap", Some(group.id), None)).await;
    assert_error("the chat he left", &narrowed, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(ids(&search(&alice, "roadmap").await), ids_of(&[&notes, &roadmap]), "the others still do");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_messages_never_match() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let gone = alice.send(chat.id, "ephemeral banana").await;
    let kept = alice.send(chat.id, "banana bread").await;

    let path = format!("/api/chats/{}/messages/{}", chat.id, gone.id);
    let (status, body) = alice.request(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:#}");

    assert_eq!(ids(&search(&bob, "banana").await), ids_of(&[&kept]));
    assert!(search(&bob, "ephemeral").await.results.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_message_matches_its_new_text_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let sent = alice.send(chat.id, "first wording").await;

    let path = format!("/api/chats/{}/messages/{}", chat.id, sent.id);
    let edited: Message = expect_ok(
        "edit",
        &[StatusCode::OK],
        alice.request(Method::PATCH, &path, Some(json!({ "body": "second phrasing" }))).await,
    );

    assert!(search(&bob, "wording").await.results.is_empty(), "the old text is forgotten");
    let page = search(&bob, "phrasing").await;
    assert_eq!(ids(&page), vec![sent.id]);
    assert_eq!(page.results[0].message.body, "second phrasing");
    assert_eq!(page.results[0].message.edited_at, edited.edited_at);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_follow_next_before_without_duplicates_or_gaps() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    // Sent together, many are committed in one batch and share `created_at`: the message id
    // breaks the tie.
    let sends = (0..45).map(|i| {
        let (alice, bob) = (&alice, &bob);
        async move {
            if i % 2 == 0 {
                alice.send(chat.id, &format!("needle {i}")).await
            } else {
                bob.send(chat.id, &format!("needle {i}")).await
            }
        }
    });
    let sent: HashSet<MessageId> = join_all(sends).await.iter().map(|m| m.id).collect();
    alice.send(chat.id, "hay").await;

    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = search_in(&bob, "needle", None, before.as_deref()).await;
        pages.push((page.results.len(), page.has_more));
        seen.extend(page.results.iter().map(|hit| (hit.message.created_at, hit.message.id)));
        if seen.len() == 20 {
            // Something newer arriving meanwhile does not shift the pages that follow.
            alice.send(chat.id, "needle late").await;
        }
        match page.next_before {
            Some(next) => {
                assert!(page.has_more);
                before = Some(next);
            }
            None => {
                assert!(!page.has_more);
                break;
            }
        }
    }

    assert_eq!(pages, vec![(20, true), (20, true), (5, false)]);
    let found: HashSet<MessageId> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(found, sent, "every message once");
    assert_eq!(seen.len(), sent.len(), "no duplicates");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "strictly newest first by (created_at, id)");
}

#[tokio::test(flavor = "multi_thread")]
async fn snippets_are_escaped_html_with_only_the_matches_marked() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    alice.send(chat.id, "needle <script>alert(1)</script> & <mark>fake</mark> end").await;

    let snippet = search(&bob, "needle").await.results.remove(0).snippet;
    assert!(
        snippet
            .starts_with("<mark>needle</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;mark&gt;fake"),
        "{snippet}"
    );
    assert_eq!(snippet.matches("<mark>").count(), 1, "{snippet}");
    assert!(!snippet.replace("<mark>needle</mark>", "").contains(['<', '>']), "only our own tags: {snippet}");

    // What the sender typed is text: the words inside their tags are found like any other.
    let snippet = search(&bob, "script fake").await.results.remove(0).snippet;
    assert!(snippet.contains("<mark>script</mark>&gt;alert(1)"), "{snippet}");
    assert!(snippet.contains("&lt;mark&gt;<mark>fake</mark>&lt;/"), "{snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains(['<', '>']), "only our own tags: {snippet}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_queries_are_400_and_signed_out_is_401() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    for (case, path) in [
        ("no q", "/api/search".to_owned()),
        ("empty", search_path("", None, None)),
        ("blank", search_path("  \t ", None, None)),
        ("too long", search_path(&"a".repeat(201), None, None)),
        ("a line break", search_path("a\nb", None, None)),
        ("NUL", search_path("a\0b", None, None)),
        ("a bad cursor", search_path("a", None, Some("yesterday"))),
        ("a bad chat id", "/api/search?q=a&chat_id=nope".to_owned()),
    ] {
        assert_error(case, &alice.get(&path).await, StatusCode::BAD_REQUEST, ErrorCode::Validation);
    }
    let longest = alice.get(&search_path(&"é".repeat(200), None, None)).await;
    assert_eq!(longest.0, StatusCode::OK, "200 characters are fine: {:#}", longest.1);

    let (status, body): (StatusCode, Value) =
        app.request(Method::GET, &search_path("a", None, None), None).await;
    assert_error("signed out", &(status, body), StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}
