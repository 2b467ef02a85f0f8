//! `/api/openapi.json` against the server itself: the document lists exactly the routes the
//! server mounts (`routes::operations`), every documented operation is served with the
//! session it declares, every other method on a documented path is a JSON 405 with `Allow`,
//! and the schemas carry the validators' own limits. (`just fuzz` then throws schemathesis
//! at the document; these tests keep its foundations honest without Python.)

use std::collections::{BTreeMap, BTreeSet};

use confab_backend::routes;
use confab_shared::ErrorCode;
use confab_shared::limits::{GROUP_INITIAL_MEMBERS_MAX, PAGE_LIMIT_MAX, PASSWORD_MIN};
use confab_shared::schema;
use confab_test_support::{TestApp, assert_error, spawn_app};
use reqwest::header::{ALLOW, COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Methods a path may have, in the order tried when looking for one it lacks.
const METHODS: [Method; 6] =
    [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::TRACE];

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.request(Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{doc:#}");
    doc
}

/// Each documented path with its methods (upper case) and whether each needs the session.
fn documented(doc: &Value) -> BTreeMap<String, BTreeMap<Method, bool>> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .map(|(path, item)| {
            let operations = item.as_object().expect("path item");
            let methods = operations
                .iter()
                .map(|(method, operation)| {
                    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                    // Required when listed and no alternative is the empty requirement `{}`
                    // (which says "or without": the session is optional).
                    let secured = operation["security"].as_array().is_some_and(|alternatives| {
                        !alternatives.is_empty()
                            && alternatives.iter().all(|a| a.as_object().is_some_and(|a| !a.is_empty()))
                    });
                    (method, secured)
                })
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A documented path made concrete: each `{parameter}` a fresh UUID.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(
            |segment| {
                if segment.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { segment.to_owned() }
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_lists_exactly_the_mounted_operations() {
    let app = spawn_app().await;
    let doc = document(&app).await;

    let in_document: BTreeSet<(String, String)> = documented(&doc)
        .into_iter()
        .flat_map(|(path, methods)| methods.into_keys().map(move |m| (m.to_string(), path.clone())))
        .collect();
    let mounted: BTreeSet<(String, String)> =
        routes::operations().into_iter().map(|o| (o.method.to_string(), o.path)).collect();

    assert_eq!(in_document, mounted);
    // The count was 9 of ~20 paths; every one of them is here now, the socket too.
    for path in
        ["/api/chats/{chat_id}/messages/{message_id}/reactions", "/api/chats/{chat_id}/changes", "/ws"]
    {
        assert!(in_document.iter().any(|(_, p)| p == path), "{path} missing: {in_document:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_served_and_asks_for_the_session_it_declares() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let doc = document(&app).await;
    let http = reqwest::Client::new();

    for (path, methods) in documented(&doc) {
        for (method, secured) in methods {
            // Logging out would end the session the other calls use.
            let cookie = if path == "/api/auth/logout" { None } else { Some(alice.cookie.as_str()) };
            let url = app.url(&concrete(&path));
            let send = |cookie: Option<&str>| {
                let request = http.request(method.clone(), &url);
                match cookie {
                    Some(cookie) => request.header(COOKIE, cookie).send(),
                    None => request.send(),
                }
            };

            let signed_in = send(cookie).await.expect("request");
            let status = signed_in.status();
            let body: Value = signed_in.json().await.unwrap_or(Value::Null);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
            assert_ne!(body["error"]["message"], "no such API path", "{method} {path} is not routed");

            let anonymous = send(None).await.expect("request").status();
            assert_eq!(
                anonymous == StatusCode::UNAUTHORIZED,
                secured,
                "{method} {path}: without a session {anonymous}, documented security: {secured}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn other_methods_on_a_documented_path_are_a_json_405_with_allow() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let doc = document(&app).await;
    let http = reqwest::Client::new();

    for (path, methods) in documented(&doc) {
        let missing = METHODS.iter().find(|m| !methods.contains_key(*m)).expect("a method the path lacks");
        let mut tried = vec![missing.clone()];
        if methods.contains_key(&Method::GET) {
            tried.push(Method::HEAD); // HEAD is not implied by GET
        }
        for method in tried {
            let response = http
                .request(method.clone(), app.url(&concrete(&path)))
                .header(COOKIE, &alice.cookie)
                .send()
                .await
                .expect("request");

            let status = response.status();
            let allow: BTreeSet<String> = response
                .headers()
                .get(ALLOW)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').map(|m| m.trim().to_owned()).collect())
                .unwrap_or_default();
            let expected: BTreeSet<String> = methods.keys().map(Method::to_string).collect();
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(allow, expected, "{method} {path}: Allow");
            if method != Method::HEAD {
                let body: Value = response.json().await.expect("a JSON body");
                assert_error(
                    &format!("{method} {path}"),
                    &(status, body),
                    status,
                    ErrorCode::MethodNotAllowed,
                );
            }
        }
    }
    let unknown = alice.get("/api/no/such/path").await;
    assert_error("unknown path", &unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(unknown.1["error"]["message"], "no such API path");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schemas_carry_the_validators_limits() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let history = &doc["paths"]["/api/chats/{chat_id}/messages"]["get"]["parameters"];
    let limit = history.as_array().and_then(|p| p.iter().find(|p| p["name"] == "limit")).expect("limit");
    let search = &doc["paths"]["/api/search"]["get"]["parameters"];
    let search_param = |name: &str| {
        search
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name))
            .cloned()
            .expect("a search parameter")
    };
    let (q, before) = (search_param("q"), search_param("before"));
    let group = schemas["CreateChatRequest"]["oneOf"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["properties"]["kind"]["enum"][0] == "group"))
        .expect("the group variant");

    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], PAGE_LIMIT_MAX);
    assert_eq!(schemas["RegisterRequest"]["properties"]["password"]["minLength"], PASSWORD_MIN);
    let rules = [
        (&schemas["RegisterRequest"]["properties"]["username"], schema::username()),
        (&schemas["RegisterRequest"]["properties"]["password"], schema::password()),
        (&schemas["ChangePasswordRequest"]["properties"]["new_password"], schema::password()),
        (&schemas["SendMessageRequest"]["properties"]["body"], schema::message_body()),
        (&schemas["EditMessageRequest"]["properties"]["body"], schema::message_body()),
        (&schemas["ReactionRequest"]["properties"]["emoji"], schema::reaction_emoji()),
        (&group["properties"]["title"], schema::chat_title()),
        (&schemas["RenameChatRequest"]["properties"]["title"], schema::chat_title()),
        (&q["schema"], schema::search_text()),
        (&before["schema"], schema::search_cursor()),
    ];
    for (documented, rule) in rules {
        assert_eq!(documented["pattern"], rule.pattern, "{documented:#}");
        assert_eq!(documented["maxLength"].as_u64().map(|n| n as usize), rule.max_length);
    }
    assert_eq!((&q["required"], &before["required"]), (&Value::Bool(true), &Value::Bool(false)));
    assert_eq!(group["properties"]["member_ids"]["maxItems"], GROUP_INITIAL_MEMBERS_MAX);
    assert_eq!(doc["components"]["securitySchemes"]["session"]["in"], "cookie");
    assert_eq!(doc["components"]["securitySchemes"]["session"]["name"], "confab_session");
}

/// Every `$ref` names a schema the document has: a missing one would make the document
/// unusable for every client generator and fuzzer.
#[tokio::test(flavor = "multi_thread")]
async fn every_reference_resolves() {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut found = Vec::new();
    refs(&doc, &mut found);

    assert!(found.len() > 20, "{found:?}");
    for target in found {
        let name = target.strip_prefix("#/components/schemas/").expect("a schema reference");
        assert!(doc["components"]["schemas"][name].is_object(), "{target} is not in the document");
    }
}
