//! Several nodes on one PostgreSQL and one Redis (DESIGN "Several nodes"): whoever is on
//! whichever node hears everything, kicks cross nodes, presence is one view, each chat's
//! events arrive in order everywhere, and a Redis restart loses nothing a client keeps.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use confab_shared::api::{HistoryQuery, Message};
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ChatId, ClientId, MessageId, UserId};
use confab_test_support::process::{free_port, scratch_dir, spawn_bound};
use confab_test_support::redis::RedisServer;
use confab_test_support::{TestApp, TestUser, WsClient, spawn_app, spawn_app_with};
use uuid::Uuid;

fn presence_of(user: UserId, online: bool) -> impl Fn(&ServerEvent) -> bool {
    move |e| matches!(e, ServerEvent::Presence { user_id, online: o, .. } if *user_id == user && *o == online)
}

/// Sends over the socket and returns the ack (other events meanwhile are skipped).
async fn send(ws: &mut WsClient, chat_id: ChatId, body: &str) -> Message {
    Ledger::default().send(ws, chat_id, body).await
}

/// Alice on node `one`, bob on a second node of the same deployment, in a direct chat.
async fn pair_across_nodes(one: TestApp) -> (TestApp, TestApp, TestUser, TestUser, confab_shared::api::Chat) {
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await.on(&two);
    let chat = alice.create_direct(&bob).await;
    (one, two, alice, bob, chat)
}

#[tokio::test(flavor = "multi_thread")]
async fn people_on_different_nodes_hear_messages_typing_receipts_and_presence() {
    let (_one, _two, alice, bob, chat) = pair_across_nodes(spawn_app().await).await;

    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    alice_ws.recv_until(presence_of(bob.id(), true)).await;

    let sent = send(&mut alice_ws, chat.id, "hello from node one").await;
    assert_eq!(bob_ws.recv_message().await, sent, "bob, on node two, gets alice's message");

    bob_ws.send(&ClientEvent::Typing { chat_id: chat.id }).await;
    let typing = alice_ws.recv_until(|e| matches!(e, ServerEvent::Typing { .. })).await;
    assert_eq!(typing, ServerEvent::Typing { chat_id: chat.id, user_id: bob.id() });

    bob_ws.send(&ClientEvent::MarkRead { chat_id: chat.id, seq: sent.seq }).await;
    let read =
        alice_ws.recv_until(|e| matches!(e, ServerEvent::Read { user_id, .. } if *user_id == bob.id())).await;
    assert_eq!(read, ServerEvent::Read { chat_id: chat.id, user_id: bob.id(), seq: sent.seq });

    let reply = send(&mut bob_ws, chat.id, "and back from node two").await;
    assert_eq!(alice_ws.recv_message().await, reply);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tab_on_another_node_keeps_a_user_online_and_offline_comes_once() {
    let one = spawn_app_with(|s| s.presence_grace = Duration::from_millis(500)).await;
    let two = one.spawn_peer().await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await;
    alice.create_direct(&bob).await;
    let mut alice_ws = alice.ws().await;

    let tab_one = bob.ws().await;
    alice_ws.recv_until(presence_of(bob.id(), true)).await;
    let tab_two = bob.on(&two).ws().await;
    tab_one.close().await;
    // Bob's tab on node one closed, but his tab on node two lives: no offline. The ping
    // round trip after the grace window shows nothing came.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let meanwhile = alice_ws.events_until_pong().await;
    assert!(!meanwhile.iter().any(presence_of(bob.id(), false)), "bob flapped: {meanwhile:#?}");

    tab_two.close().await;
    alice_ws.recv_until(presence_of(bob.id(), false)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_and_removal_act_on_sockets_of_every_node() {
    let one = spawn_app().await;
    let two = one.spawn_peer().await;
    let owner = one.register("owner").await;
    let bob = one.register("bob").await;
    let carol = one.register("carol").await;
    let group = owner.create_group("launch", &[&bob, &carol]).await;

    // Logout through node one closes bob's socket on node two.
    let mut bob_ws = bob.on(&two).ws().await;
    bob.logout().await;
    let before = bob_ws.expect_closed().await;
    assert!(before.contains(&ServerEvent::SessionExpired {}), "{before:#?}");

    // Removal through node one: carol, on node two, hears it and nothing after.
    let mut carol_ws = carol.on(&two).ws().await;
    let mut owner_ws = owner.ws().await;
    let (status, _) = owner
        .request(reqwest::Method::DELETE, &format!("/api/chats/{}/members/{}", group.id, carol.id()), None)
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    carol_ws
        .recv_until(|e| matches!(e, ServerEvent::MemberRemoved { user_id, .. } if *user_id == carol.id()))
        .await;
    send(&mut owner_ws, group.id, "after carol left").await;
    let after = carol_ws.events_until_pong().await;
    assert!(!after.iter().any(|e| matches!(e, ServerEvent::MessageCreated { .. })), "{after:#?}");
}

/// Two nodes and a group of four: alice and carol on node one, bob and dave on node two.
struct Quartet {
    _nodes: (TestApp, TestApp),
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    dave: TestUser,
    group: confab_shared::api::Chat,
}

impl Quartet {
    async fn start(title: &str) -> Self {
        let one = spawn_app().await;
        let two = one.spawn_peer().await;
        let alice = one.register("alice").await;
        let bob = one.register("bob").await.on(&two);
        let carol = one.register("carol").await;
        let dave = one.register("dave").await.on(&two);
        let group = alice.create_group(title, &[&bob, &carol, &dave]).await;
        Self { _nodes: (one, two), alice, bob, carol, dave, group }
    }
}

/// Promise 11 across nodes: two senders on two nodes write into one chat at once; every
/// receiver, on either node, sees strictly increasing seqs with nothing missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_chat_s_messages_arrive_in_seq_order_on_every_node() {
    const EACH: usize = 60;
    let Quartet { alice, bob, carol, dave, group, .. } = Quartet::start("ordered").await;

    let mut carol_ws = carol.ws().await;
    let mut dave_ws = dave.ws().await;
    let burst = |user: TestUser| async move {
        let mut ws = user.ws().await;
        // Everything in flight at once: the writers batch them and other nodes interleave.
        let ids: Vec<ClientId> = (0..EACH).map(|_| ClientId(Uuid::new_v4())).collect();
        for (i, client_id) in ids.iter().enumerate() {
            let event = ClientEvent::SendMessage {
                chat_id: group.id,
                client_id: *client_id,
                body: format!("{i}"),
                attachment_ids: vec![],
                reply_to: None,
            };
            ws.send(&event).await;
        }
        let mut acked = 0;
        while acked < EACH {
            if let ServerEvent::MessageCreated { message } = ws.recv().await
                && ids.contains(&message.client_id)
            {
                acked += 1;
            }
        }
    };
    tokio::join!(burst(alice.clone()), burst(bob.clone()));

    for ws in [&mut carol_ws, &mut dave_ws] {
        let mut seqs = Vec::new();
        while seqs.len() < 2 * EACH {
            seqs.push(ws.recv_message().await.seq);
        }
        let expected: Vec<i64> = (1..=(2 * EACH) as i64).collect();
        assert_eq!(seqs, expected, "live order on one receiver");
    }
}

/// Promise 11 for changes: many edits of one chat's messages (reactions here) committed
/// concurrently through both nodes reach every socket in change-number order.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_changes_arrive_in_change_order_on_every_node() {
    const TOGGLES: usize = 120;
    let Quartet { alice, bob, carol, dave, group, .. } = Quartet::start("reactions").await;
    let mut messages = Vec::new();
    for i in 0..6 {
        messages.push(alice.send(group.id, &format!("react to {i}")).await);
    }
    let mut carol_ws = carol.ws().await;
    let mut dave_ws = dave.ws().await;

    let toggles = (0..TOGGLES).map(|i| {
        let user = if i % 2 == 0 { alice.clone() } else { bob.clone() };
        let message = messages[i % messages.len()].id;
        let emoji = ["👍", "🎉", "❤️"][i % 3];
        let path = format!("/api/chats/{}/messages/{}/reactions", group.id, message);
        async move { user.post(&path, serde_json::json!({ "emoji": emoji })).await.0 }
    });
    let statuses = futures_util::future::join_all(toggles).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");

    for ws in [&mut carol_ws, &mut dave_ws] {
        let mut changes = Vec::new();
        while changes.len() < TOGGLES {
            if let ServerEvent::ReactionsChanged { change_seq, .. } =
                ws.recv_until(|e| matches!(e, ServerEvent::ReactionsChanged { .. })).await
            {
                changes.push(change_seq);
            }
        }
        let first = changes[0];
        let expected: Vec<i64> = (first..first + TOGGLES as i64).collect();
        assert_eq!(changes, expected, "change order on one receiver");
    }
}

/// What one client knows of a chat: every message it saw live or fetched, by seq, the way
/// the frontend keeps it (promise 4: on `resync` or a gap in seq, fetch after the last
/// contiguous seq).
#[derive(Default)]
struct Ledger {
    by_seq: BTreeMap<i64, MessageId>,
    resynced: bool,
}

impl Ledger {
    fn see(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::MessageCreated { message } => {
                self.by_seq.insert(message.seq, message.id);
            }
            ServerEvent::Resync {} => self.resynced = true,
            _ => {}
        }
    }

    /// Sends over the socket and waits for the ack, keeping every event that comes meanwhile.
    async fn send(&mut self, ws: &mut WsClient, chat_id: ChatId, body: &str) -> Message {
        let client_id = ClientId(Uuid::new_v4());
        ws.send(&ClientEvent::SendMessage {
            chat_id,
            client_id,
            body: body.into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
        loop {
            let event = ws.recv().await;
            self.see(&event);
            if let ServerEvent::MessageCreated { message } = event
                && message.client_id == client_id
            {
                return message;
            }
        }
    }

    fn contiguous(&self) -> i64 {
        let mut last = 0;
        while self.by_seq.contains_key(&(last + 1)) {
            last += 1;
        }
        last
    }

    async fn catch_up(&mut self, user: &TestUser, chat_id: ChatId) {
        loop {
            let page = user
                .history(chat_id, HistoryQuery { after: Some(self.contiguous()), ..Default::default() })
                .await;
            for message in &page.messages {
                self.by_seq.insert(message.seq, message.id);
            }
            if !page.has_more {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_restart_mid_conversation_loses_nothing() {
    let dir = scratch_dir("redis-restart").unwrap();
    let mut redis = RedisServer::start(&dir).unwrap();
    let url = redis.url();
    let one = spawn_app_with(|s| s.redis_url = Some(url.clone())).await;
    let (_one, _two, alice, bob, chat) = pair_across_nodes(one).await;
    let mut alice_ws = alice.ws().await;
    let mut bob_ws = bob.ws().await;
    let (mut alice_ledger, mut bob_ledger) = (Ledger::default(), Ledger::default());
    let mut acked: BTreeMap<i64, MessageId> = BTreeMap::new();

    for round in 0..3 {
        if round == 1 {
            redis.restart(&dir).unwrap();
        }
        for i in 0..10 {
            for (ws, ledger) in [(&mut alice_ws, &mut alice_ledger), (&mut bob_ws, &mut bob_ledger)] {
                let message = ledger.send(ws, chat.id, &format!("round {round}, {i}")).await;
                acked.insert(message.seq, message.id);
            }
        }
        for (ws, ledger) in [(&mut alice_ws, &mut alice_ledger), (&mut bob_ws, &mut bob_ledger)] {
            for event in ws.events_until_pong().await {
                ledger.see(&event);
            }
        }
    }
    // After the restart the nodes listen again and tell their clients to resync.
    for (ws, ledger) in [(&mut alice_ws, &mut alice_ledger), (&mut bob_ws, &mut bob_ledger)] {
        if !ledger.resynced {
            ledger.see(&ws.recv_until(|e| matches!(e, ServerEvent::Resync {})).await);
        }
    }
    alice_ledger.catch_up(&alice, chat.id).await;
    bob_ledger.catch_up(&bob, chat.id).await;

    assert_eq!(acked.len(), 60);
    assert_eq!(alice_ledger.by_seq, acked, "alice's ledger");
    assert_eq!(bob_ledger.by_seq, acked, "bob's ledger");
    redis.stop().unwrap();
}

/// A `confab` process: a node that can be SIGKILLed.
struct NodeProcess {
    child: Child,
    app: TestApp,
}

impl NodeProcess {
    async fn start(peer_of: &TestApp, presence_secs: &str) -> Self {
        let port = free_port().unwrap();
        let settings = &peer_of.settings;
        let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
        command
            .env_clear()
            .env("DATABASE_URL", &settings.database_url)
            .env("REDIS_URL", settings.redis_url.as_deref().unwrap_or_default())
            .env("PORT", port.to_string())
            .env("METRICS_ADDR", "")
            .env("NODE_ID", format!("doomed-{port}"))
            .env("UPLOAD_DIR", upload_dir(settings))
            .env("PRESENCE_GRACE_SECS", presence_secs)
            .env("PRESENCE_TTL_SECS", presence_secs)
            .env("RATE_MESSAGES_PER_USER", "0")
            .env("RATE_LOGIN_FAILURES", "0")
            .env("RATE_REGISTRATIONS_PER_IP", "0")
            .env("RATE_SOCKET_UPGRADES_PER_USER", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = spawn_bound(command).unwrap();
        let mut node_settings = settings.clone();
        node_settings.port = port;
        let app = TestApp::at(port, node_settings);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(app.url("/api/health")).await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the confab process did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, app }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_s_users_go_offline_after_the_ttl_and_grace() {
    let one = spawn_app_with(|s| {
        s.presence_grace = Duration::from_secs(1);
        s.presence_ttl = Duration::from_secs(1);
    })
    .await;
    let mut doomed = NodeProcess::start(&one, "1").await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await;
    alice.create_direct(&bob).await;
    let mut alice_ws = alice.ws().await;

    let _bob_ws = bob.on(&doomed.app).ws().await;
    alice_ws.recv_until(presence_of(bob.id(), true)).await;
    doomed.child.kill().unwrap(); // SIGKILL: no goodbye, no release of its claims
    doomed.child.wait().unwrap();
    match alice_ws.recv_until(presence_of(bob.id(), false)).await {
        ServerEvent::Presence { last_seen, .. } => {
            assert!(last_seen.is_some(), "offline says when bob was last seen")
        }
        _ => unreachable!(),
    }
}

/// The peer's upload directory: the same files on every node.
fn upload_dir(settings: &confab_backend::Settings) -> std::path::PathBuf {
    match &settings.storage {
        confab_backend::config::StorageSettings::Local { dir, .. } => dir.clone(),
        confab_backend::config::StorageSettings::S3(_) => confab_test_support::app::fresh_upload_dir(),
    }
}
