//! Bad input gets a clear 4xx JSON error and harms no one (promise 8).

use confab_shared::ErrorCode;
use confab_shared::limits::MAX_JSON_BODY_BYTES;
use confab_test_support::{PASSWORD, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_json_body_is_413() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;
    let huge = "x".repeat(MAX_JSON_BODY_BYTES + 1);

    let send = app
        .request_raw(
            Method::POST,
            &format!("/api/chats/{}/messages", chat.id),
            Some(&alice.cookie),
            "application/json",
            json!({ "client_id": uuid::Uuid::new_v4(), "body": huge }).to_string(),
        )
        .await;
    let register = app
        .request_raw(
            Method::POST,
            "/api/auth/register",
            None,
            "application/json",
            json!({ "username": "big_one", "password": PASSWORD, "display_name": huge }).to_string(),
        )
        .await;

    assert_error("oversized send", &send, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::Validation);
    assert_error("oversized register", &register, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::Validation);
    // The server is fine afterwards.
    assert_eq!(alice.send(chat.id, "small").await.seq, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_a_validation_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    for (path, cookie) in
        [("/api/auth/register", None), ("/api/auth/login", None), ("/api/chats", Some(&alice.cookie))]
    {
        for body in ["{not json", "", "[]", "null", "\"string\""] {
            let response = app
                .request_raw(Method::POST, path, cookie.map(String::as_str), "application/json", body)
                .await;
            assert_error(
                &format!("POST {path} with {body:?}"),
                &response,
                StatusCode::BAD_REQUEST,
                ErrorCode::Validation,
            );
        }
    }
    let unknown_kind = alice.post("/api/chats", json!({ "kind": "channel", "title": "x" })).await;
    assert_error("unknown chat kind", &unknown_kind, StatusCode::BAD_REQUEST, ErrorCode::Validation);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ids_in_paths_and_queries_are_client_errors_with_the_json_shape() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = alice.create_direct(&bob).await;

    let paths = [
        (Method::GET, "/api/chats/not-a-uuid".to_owned()),
        (Method::GET, "/api/chats/not-a-uuid/messages".to_owned()),
        (Method::DELETE, format!("/api/chats/{}/members/42", chat.id)),
        (Method::DELETE, format!("/api/chats/{}/messages/%00", chat.id)),
        (Method::GET, format!("/api/chats/{}/messages?before=abc", chat.id)),
        (Method::GET, format!("/api/chats/{}/messages?limit=-1", chat.id)),
    ];
    for (method, path) in paths {
        let (status, body) = alice.request(method.clone(), &path, None).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{method} {path}: expected 400 or 404, got {status} {body:#}"
        );
        let code =
            if status == StatusCode::BAD_REQUEST { ErrorCode::Validation } else { ErrorCode::NotFound };
        assert_error(&format!("{method} {path}"), &(status, body), status, code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_api_routes_are_json_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let response = alice.get("/api/no-such-thing").await;

    assert_error("unknown route", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}
