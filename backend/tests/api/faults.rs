//! Faults (issue 7): a sick Redis (paused with SIGSTOP) must neither keep revoked access
//! alive nor slow requests down; a stopped PostgreSQL is `503` with `Retry-After`, not a
//! 500; a socket whose reader stopped reading can't pin its TCP connection.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use confab_shared::ErrorCode;
use confab_shared::api::HistoryQuery;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_test_support::postgres::{PgCluster, ensure_database};
use confab_test_support::process::scratch_dir;
use confab_test_support::redis::RedisServer;
use confab_test_support::{TestApp, assert_error, spawn_app_with};
use reqwest::{StatusCode, header};
use serde_json::json;

/// Two nodes on a Redis of their own (the test pauses it).
async fn two_nodes_on_own_redis(
    customise: impl Fn(&mut confab_backend::Settings) + Clone,
) -> (RedisServer, TestApp, TestApp) {
    let redis = RedisServer::start(&scratch_dir("redis-sick").unwrap()).unwrap();
    let url = redis.url();
    let setup = customise.clone();
    let one = spawn_app_with(move |s| {
        s.redis_url = Some(url);
        setup(s);
    })
    .await;
    let two = one.spawn_peer_with(customise).await;
    (redis, one, two)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removal_while_redis_is_paused_takes_effect_at_once_on_every_node_and_after_it_resumes() {
    let (redis, one, two) = two_nodes_on_own_redis(|_| {}).await;
    let owner = one.register("owner").await;
    let bob = one.register("bob").await;
    let chat = owner.create_group("Team", &[&bob]).await;
    owner.send(chat.id, "before").await;
    // Warm every cache bob's access could be served from, on both nodes.
    for node in [&one, &two] {
        let bob_here = bob.on(node);
        bob_here.history(chat.id, HistoryQuery::default()).await;
        bob_here.chats().await;
    }

    redis.pause().unwrap();
    let (status, body) = owner
        .request(reqwest::Method::DELETE, &format!("/api/chats/{}/members/{}", chat.id, bob.id()), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let bob_paths = |node: &TestApp| {
        let bob = bob.on(node);
        let chat_id = chat.id;
        async move {
            let read = bob.get(&format!("/api/chats/{chat_id}/messages")).await;
            let sent = bob
                .post(
                    &format!("/api/chats/{chat_id}/messages"),
                    json!({ "client_id": uuid::Uuid::new_v4(), "body": "still here?" }),
                )
                .await;
            (read, sent)
        }
    };
    for node in [&one, &two] {
        let (read, sent) = bob_paths(node).await;
        assert_error("read while Redis is paused", &read, StatusCode::NOT_FOUND, ErrorCode::NotFound);
        assert_error("send while Redis is paused", &sent, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }
    redis.resume().unwrap();
    for node in [&one, &two] {
        let (read, sent) = bob_paths(node).await;
        assert_error("read after Redis resumed", &read, StatusCode::NOT_FOUND, ErrorCode::NotFound);
        assert_error("send after Redis resumed", &sent, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }
    assert!(!bob.chats().await.iter().any(|c| c.id == chat.id), "the chat left bob's list");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logout_while_redis_is_paused_ends_the_session_on_every_node_and_its_sockets_within_a_heartbeat() {
    let (redis, one, two) =
        two_nodes_on_own_redis(|s| s.heartbeat_interval = Duration::from_millis(500)).await;
    let bob = one.register("bob").await;
    let mut socket_elsewhere = bob.on(&two).ws().await;
    bob.on(&two).me().await;

    redis.pause().unwrap();
    bob.logout().await;
    for node in [&one, &two] {
        let (status, _) = bob.on(node).get("/api/auth/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is over on {}", node.address);
    }
    // The "end this session" broadcast is stuck in the paused Redis; the socket's own
    // heartbeat re-checks its session in PostgreSQL.
    let last_words = socket_elsewhere.expect_closed().await;
    assert!(last_words.contains(&ServerEvent::SessionExpired {}), "{last_words:#?}");
    redis.resume().unwrap();
    let (status, _) = bob.on(&two).get("/api/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_paused_requests_wait_on_at_most_one_redis_timeout() {
    let (redis, one, _two) = two_nodes_on_own_redis(|_| {}).await;
    let alice = one.register("alice").await;
    let bob = one.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    alice.send(chat.id, "warm").await;

    redis.pause().unwrap();
    let started = Instant::now();
    for i in 0..5 {
        alice.chats().await;
        alice.history(chat.id, HistoryQuery::default()).await;
        alice.send(chat.id, &format!("while paused {i}")).await;
    }
    let took = started.elapsed();
    redis.resume().unwrap();
    // Each of these 15 requests made one to three Redis calls: waiting out every 500 ms
    // timeout would take 7 s or more. The breaker skips Redis after the first.
    assert!(took < Duration::from_secs(3), "15 requests took {took:?} with Redis paused");
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages.len(), 6, "nothing lost");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_postgres_stopped_calls_answer_503_with_retry_after_and_work_again_after_a_restart() {
    let mut cluster = PgCluster::throwaway().unwrap();
    ensure_database(&cluster.url("postgres"), "confab").await.unwrap();
    let database_url = cluster.url("confab");
    let app = spawn_app_with(|s| s.database_url = database_url).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut socket = alice.ws().await;

    cluster.stop().unwrap();
    let response = alice
        .client
        .post(app.url(&format!("/api/chats/{}/messages", chat.id)))
        .json(&json!({ "client_id": uuid::Uuid::new_v4(), "body": "anyone?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get(header::RETRY_AFTER).is_some(), "Retry-After");
    let body: confab_shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code, ErrorCode::Unavailable);
    let (status, _) = alice.get("/api/chats").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _) = alice.get("/api/auth/session").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "unknown, not signed out");
    let client_id = confab_shared::ClientId(uuid::Uuid::new_v4());
    socket
        .send(&ClientEvent::SendMessage {
            chat_id: chat.id,
            client_id,
            body: "over the socket".into(),
            attachment_ids: vec![],
            reply_to: None,
        })
        .await;
    let refused = socket.recv_error().await;
    assert_eq!((refused.code, refused.client_id), (ErrorCode::Unavailable, Some(client_id)));

    cluster.restart().unwrap();
    let message = alice.send(chat.id, "back").await;
    assert_eq!(message.seq, 1, "nothing half-stored while it was down");
}

/// A WebSocket client with a 4 KiB receive buffer that never reads after the handshake.
fn stalled_socket(app: &TestApp, cookie: &str) -> socket2::Socket {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let address: SocketAddr = format!("127.0.0.1:{}", app.port).parse().unwrap();
    socket.connect(&address.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.try_clone().unwrap().into();
    write!(
        stream,
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n",
        app.port
    )
    .unwrap();
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "the upgrade is accepted");
    socket
}

/// The state of the server's end of the connection from `client_port`, from /proc/net/tcp
/// (`None` once the kernel forgot it).
fn server_side_state(server_port: u16, client_port: u16) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!(":{server_port:04X}");
    let remote = format!(":{client_port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1)?.ends_with(&local) && fields.get(2)?.ends_with(&remote)).then(|| fields[3].to_owned())
    })
}

const ESTABLISHED: &str = "01";

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_that_never_reads_is_let_go_at_the_tcp_level_within_the_client_timeout() {
    let client_timeout = Duration::from_secs(10);
    let app = spawn_app_with(|s| s.client_timeout = client_timeout).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let stalled = stalled_socket(&app, &bob.cookie);
    let client_port = stalled.local_addr().unwrap().as_socket().unwrap().port();
    assert_eq!(server_side_state(app.port, client_port).as_deref(), Some(ESTABLISHED));

    // Flood the chat: the kernel buffers fill, then the socket's queue in the hub.
    let big = "x".repeat(3500);
    let flood = (0..600).map(|i| {
        let alice = alice.clone();
        let body = format!("{i} {big}");
        async move { alice.send(chat.id, &body).await }
    });
    futures_util::future::join_all(flood).await;

    let started = Instant::now();
    let mut state = server_side_state(app.port, client_port);
    while state.as_deref() == Some(ESTABLISHED) && started.elapsed() < client_timeout {
        tokio::time::sleep(Duration::from_millis(50)).await;
        state = server_side_state(app.port, client_port);
    }
    assert_ne!(state.as_deref(), Some(ESTABLISHED), "still ESTABLISHED after {:?}", started.elapsed());
    drop(stalled);
    // Everyone else is fine.
    bob.ws().await.assert_alive().await;
}
