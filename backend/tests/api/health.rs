//! `GET /api/health`, and a node that keeps working without Redis.

use confab_shared::api::HistoryQuery;
use confab_test_support::redis::dead_redis_url;
use confab_test_support::{spawn_app, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_postgres_and_redis() {
    let app = spawn_app().await;

    let (status, health) = app.health().await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!((health.status.as_str(), health.postgres.as_str(), health.redis.as_str()), ("ok", "ok", "ok"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_redis_configured_health_says_disabled() {
    let app = spawn_app_with(|s| s.redis_url = None).await;

    let (status, health) = app.health().await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(health.redis, "disabled");
    assert_eq!(health.postgres, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_down_the_app_still_works_and_health_says_so() {
    let app = spawn_app_with(|s| s.redis_url = Some(dead_redis_url())).await;

    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut bob_ws = bob.ws().await;
    let sent = alice.send(chat.id, "no redis needed").await;

    assert_eq!(bob_ws.recv_message().await, sent, "local fan-out works without Redis");
    assert_eq!(bob.history(chat.id, HistoryQuery::default()).await.messages, vec![sent]);
    assert_eq!(alice.chats().await.len(), 1);
    let (status, health) = app.health().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health.postgres, "ok");
    assert_eq!(health.redis, "down");
    assert_eq!(health.status, "degraded");
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_are_gzipped_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let response = app
        .anonymous()
        .get(app.url("/api/openapi.json"))
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(
        response.headers().get(reqwest::header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
}

/// Observability: Prometheus metrics on their own listener, moving with the traffic.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_served_on_their_own_listener() {
    let port = confab_test_support::process::free_port().unwrap();
    let app = spawn_app_with(|s| s.metrics_addr = Some(([127, 0, 0, 1], port).into())).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let mut bob_ws = bob.ws().await;
    alice.send(chat.id, "counted").await;
    bob_ws.recv_message().await;

    let metrics =
        reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    for name in [
        "confab_sockets_open",
        "confab_commit_batch_size",
        "confab_events_delivered_total",
        "confab_db_pool_wait_seconds",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    let (status, _) = app.request(reqwest::Method::GET, "/metrics", None).await;
    assert_ne!(status, reqwest::StatusCode::OK, "metrics stay off the public port");
}
