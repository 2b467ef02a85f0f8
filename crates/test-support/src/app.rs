//! The real application spawned in-process on a free port, on a fresh database, and users
//! with their own cookie jars to drive it.

use confab_backend::config::StorageSettings;
use confab_backend::{Application, Settings};
use confab_shared::api::{
    ActiveSession, Chat, CreateChatRequest, Health, HistoryQuery, Message, MessagePage, SendMessageRequest,
    SessionInfo, User,
};
use confab_shared::{ChatId, ClientId, ErrorBody, ErrorCode, SessionId};
use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::ws::{ConnectError, WsClient};

/// The password of every user made by [`TestApp::register`].
pub const PASSWORD: &str = "correct horse battery staple";

/// The name of the session cookie (without the `__Host-` prefix of https deployments).
pub const SESSION_COOKIE: &str = "confab_session";

/// A running application.
#[derive(Debug, Clone)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub port: u16,
    pub database_url: String,
    /// The settings it was built with.
    pub settings: Settings,
    http: reqwest::Client,
}

/// Spawns the application with the test defaults: a fresh database, the shared Redis.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the application after `customise` has adjusted the test defaults.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    crate::init_test_tracing();
    let database_url = crate::postgres::fresh_database().await;
    let mut settings = Settings::new(database_url.clone());
    settings.port = 0;
    settings.redis_url = Some(crate::redis::redis_url().await);
    // Rate limits are off, as in the benchmarks: tests send faster than people do. The
    // tests of the limits turn them on.
    settings.limits = settings.limits.clone().without_rate_limits();
    settings.storage = StorageSettings::Local { dir: fresh_upload_dir(), secret: None };
    customise(&mut settings);
    start(settings).await
}

/// A directory of its own for each app's uploads, under one parent in the system's
/// temporary directory.
pub fn fresh_upload_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("confab-test-uploads").join(uuid::Uuid::new_v4().simple().to_string())
}

async fn start(settings: Settings) -> TestApp {
    let application = Application::build(settings.clone()).await.expect("building the application");
    let port = application.port();
    tokio::spawn(application.run_until_stopped());
    TestApp::at(port, settings)
}

fn new_client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("building an HTTP client")
}

/// Sends one request and returns its status and JSON body (`Null` when empty, a JSON string
/// when the body is not JSON).
async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, &url);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
    read(response).await
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("reading a response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Parses a successful response as `T`, failing the test with the whole response otherwise.
#[track_caller]
pub fn expect_ok<T: DeserializeOwned>(
    what: &str,
    accepted: &[StatusCode],
    (status, body): (StatusCode, Value),
) -> T {
    assert!(accepted.contains(&status), "{what}: expected status {accepted:?}, got {status} with {body:#}");
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{what}: unexpected body ({e}): {body:#}"))
}

/// Asserts an error response: this status and the JSON error shape with this code.
#[track_caller]
pub fn assert_error(what: &str, (status, body): &(StatusCode, Value), expected: StatusCode, code: ErrorCode) {
    assert_eq!(*status, expected, "{what}: status (body {body:#})");
    let parsed: ErrorBody = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{what}: not the JSON error shape ({e}): {body:#}"));
    assert_eq!(parsed.error.code, code, "{what}: error code (body {body:#})");
}

/// The `name=value` of the session cookie in a response's `Set-Cookie` headers.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response.headers().get_all(header::SET_COOKIE).iter().find_map(|value| {
        let pair = value.to_str().ok()?.split(';').next()?.trim();
        let (name, value) = pair.split_once('=')?;
        (name.ends_with(SESSION_COOKIE) && !value.is_empty()).then(|| pair.to_owned())
    })
}

/// `alice` → `alice_3fa9c1`: readable and unique across tests sharing a database server.
fn unique_username(prefix: &str) -> String {
    let prefix: String = prefix
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(24)
        .collect();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &suffix[..6])
}

impl TestApp {
    /// A handle on a node already listening on `port` with these settings (for example a
    /// `confab` process a test started, see `process::NodeProcess`).
    pub fn at(port: u16, settings: Settings) -> Self {
        Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            database_url: settings.database_url.clone(),
            settings,
            http: new_client(false),
        }
    }

    /// Another node of the same deployment, in-process: the same PostgreSQL database and
    /// Redis, its own port, hub, writers and bus (several nodes, DESIGN "Several nodes").
    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(|_| {}).await
    }

    pub async fn spawn_peer_with(&self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        settings.port = 0;
        settings.node_id = format!("peer-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        customise(&mut settings);
        start(settings).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `ws://127.0.0.1:<port>/ws`
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// A client with its own (empty) cookie jar.
    pub fn anonymous(&self) -> reqwest::Client {
        new_client(true)
    }

    /// An anonymous request: status and JSON body.
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call(&self.http, method, self.url(path), body.as_ref()).await
    }

    /// A request carrying the given `Cookie` header (e.g. a session that was logged out).
    pub async fn request_with_cookie(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).header(header::COOKIE, cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("sending a request")).await
    }

    /// A request with a raw body and content type, for malformed and oversized input.
    pub async fn request_raw(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut request =
            self.http.request(method, self.url(path)).header(header::CONTENT_TYPE, content_type).body(body);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        read(request.send().await.expect("sending a raw request")).await
    }

    /// Registers a new user named `<prefix>_<random>` with [`PASSWORD`]; fails the test
    /// unless that succeeds with 201.
    pub async fn register(&self, prefix: &str) -> TestUser {
        let username = unique_username(prefix);
        let body = json!({ "username": username, "password": PASSWORD, "display_name": prefix });
        let client = new_client(true);
        let response = client
            .post(self.url("/api/auth/register"))
            .json(&body)
            .send()
            .await
            .expect("sending the registration");
        let cookie = session_cookie(&response);
        let session: SessionInfo = expect_ok("register", &[StatusCode::CREATED], read(response).await);
        let cookie = cookie.expect("register: no session cookie in the response");
        TestUser::new(self, client, cookie, session, PASSWORD)
    }

    /// `POST /api/auth/register` with any body, anonymously.
    pub async fn register_raw(&self, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, "/api/auth/register", Some(body)).await
    }

    /// Logs in with a new cookie jar: a new session.
    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        match self.try_login(username, password).await {
            Ok(user) => user,
            Err((status, body)) => panic!("login as {username}: expected 200, got {status} with {body:#}"),
        }
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Result<TestUser, (StatusCode, Value)> {
        self.sign_in(new_client(true), username, password, None).await
    }

    /// Logs in with a new cookie jar, sending this `User-Agent`; fails the test unless 200.
    pub async fn login_with_user_agent(&self, username: &str, password: &str, user_agent: &str) -> TestUser {
        match self.sign_in(new_client(true), username, password, Some(user_agent)).await {
            Ok(user) => user,
            Err((status, body)) => panic!("login as {username}: expected 200, got {status} with {body:#}"),
        }
    }

    /// `POST /api/auth/login` through `client`, whose jar may already hold a session cookie.
    async fn sign_in(
        &self,
        client: reqwest::Client,
        username: &str,
        password: &str,
        user_agent: Option<&str>,
    ) -> Result<TestUser, (StatusCode, Value)> {
        let mut request = client
            .post(self.url("/api/auth/login"))
            .json(&json!({ "username": username, "password": password }));
        if let Some(user_agent) = user_agent {
            request = request.header(header::USER_AGENT, user_agent);
        }
        let response = request.send().await.expect("sending the login");
        let cookie = session_cookie(&response);
        let (status, body) = read(response).await;
        if status != StatusCode::OK {
            return Err((status, body));
        }
        let session: SessionInfo = expect_ok("login", &[StatusCode::OK], (status, body));
        let cookie = cookie.expect("login: no session cookie in the response");
        Ok(TestUser::new(self, client, cookie, session, password))
    }

    /// The user whose session `cookie` (`confab_session=...`) is, in the browser `client`
    /// that holds it (signed in some other way than a password, say).
    pub async fn signed_in(&self, client: reqwest::Client, cookie: String) -> TestUser {
        let session: SessionInfo = expect_ok(
            "me",
            &[StatusCode::OK],
            call(&client, Method::GET, self.url("/api/auth/me"), None).await,
        );
        TestUser::new(self, client, cookie, session, "")
    }

    /// Opens a socket with any cookie and origin (`None`: no header).
    pub async fn connect_ws(
        &self,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, ConnectError> {
        WsClient::connect(&self.ws_url(), cookie, origin).await
    }

    /// `GET /api/health`, whatever its status.
    pub async fn health(&self) -> (StatusCode, Health) {
        let (status, body) = self.request(Method::GET, "/api/health", None).await;
        let health =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("health body ({e}): {body:#}"));
        (status, health)
    }
}

/// A signed-in user: their own cookie jar, so requests carry their session.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: User,
    pub username: String,
    pub password: String,
    /// The session from registration or login.
    pub session: SessionInfo,
    /// `confab_session=<token>`, ready for a `Cookie` header.
    pub cookie: String,
    pub client: reqwest::Client,
    address: String,
    ws_url: String,
}

impl TestUser {
    fn new(
        app: &TestApp,
        client: reqwest::Client,
        cookie: String,
        session: SessionInfo,
        password: &str,
    ) -> Self {
        Self {
            user: session.user.clone(),
            username: session.user.username.clone(),
            password: password.to_owned(),
            session,
            cookie,
            client,
            address: app.address.clone(),
            ws_url: app.ws_url(),
        }
    }

    pub fn id(&self) -> confab_shared::UserId {
        self.user.id
    }

    /// The same user and session, talking to another node.
    pub fn on(&self, node: &TestApp) -> TestUser {
        Self { address: node.address.clone(), ws_url: node.ws_url(), ..self.clone() }
    }

    /// A request with this user's session: status and JSON body.
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call(&self.client, method, format!("{}{path}", self.address), body.as_ref()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    /// `GET /api/auth/me`, expecting 200.
    pub async fn me(&self) -> SessionInfo {
        expect_ok("me", &[StatusCode::OK], self.get("/api/auth/me").await)
    }

    /// `POST /api/auth/logout`, expecting 204.
    pub async fn logout(&self) {
        let (status, body) = self.request(Method::POST, "/api/auth/logout", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "logout: {body:#}");
    }

    /// A second session of the same user (another browser).
    pub async fn login_again(&self, app: &TestApp) -> TestUser {
        app.login(&self.username, &self.password).await
    }

    /// Logs in again from this user's own cookie jar, which presents the current session
    /// cookie: the new session replaces it (the jar now holds the new cookie).
    pub async fn login_in_same_browser(&self, app: &TestApp) -> TestUser {
        match app.sign_in(self.client.clone(), &self.username, &self.password, None).await {
            Ok(user) => user,
            Err((status, body)) => {
                panic!("login again as {}: expected 200, got {status} with {body:#}", self.username)
            }
        }
    }

    /// `GET /api/auth/sessions`, expecting 200.
    pub async fn sessions(&self) -> Vec<ActiveSession> {
        expect_ok("list sessions", &[StatusCode::OK], self.get("/api/auth/sessions").await)
    }

    /// This request's own entry in `GET /api/auth/sessions`.
    pub async fn current_session(&self) -> ActiveSession {
        let sessions = self.sessions().await;
        let mut current = sessions.iter().filter(|s| s.current);
        match (current.next(), current.next()) {
            (Some(session), None) => session.clone(),
            _ => panic!("exactly one session should be current: {sessions:#?}"),
        }
    }

    /// `DELETE /api/auth/sessions/{id}`: status and body.
    pub async fn revoke_session(&self, id: SessionId) -> (StatusCode, Value) {
        self.request(Method::DELETE, &format!("/api/auth/sessions/{id}"), None).await
    }

    /// `POST /api/auth/password`: status and body.
    pub async fn change_password(&self, current_password: &str, new_password: &str) -> (StatusCode, Value) {
        let body = json!({ "current_password": current_password, "new_password": new_password });
        self.post("/api/auth/password", body).await
    }

    /// `GET /api/users?q=`
    pub async fn search_users(&self, q: &str) -> Vec<User> {
        let path = format!("/api/users?q={}", q);
        expect_ok("search users", &[StatusCode::OK], self.get(&path).await)
    }

    /// Creates (or gets) the direct chat with `other`; returns the status (201 new, 200
    /// existing) and the chat.
    pub async fn create_direct_status(&self, other: &TestUser) -> (StatusCode, Chat) {
        let request = CreateChatRequest::Direct { user_id: other.id() };
        let response = self.post("/api/chats", serde_json::to_value(request).expect("json")).await;
        let status = response.0;
        (status, expect_ok("create direct chat", &[StatusCode::CREATED, StatusCode::OK], response))
    }

    pub async fn create_direct(&self, other: &TestUser) -> Chat {
        self.create_direct_status(other).await.1
    }

    /// Creates a group with `members` (the creator is added as owner); expects 201.
    pub async fn create_group(&self, title: &str, members: &[&TestUser]) -> Chat {
        let request = CreateChatRequest::Group {
            title: title.to_owned(),
            member_ids: members.iter().map(|m| m.id()).collect(),
        };
        let response = self.post("/api/chats", serde_json::to_value(request).expect("json")).await;
        expect_ok("create group", &[StatusCode::CREATED], response)
    }

    /// `GET /api/chats`
    pub async fn chats(&self) -> Vec<Chat> {
        expect_ok("list chats", &[StatusCode::OK], self.get("/api/chats").await)
    }

    /// `GET /api/chats/{id}`
    pub async fn chat(&self, chat_id: ChatId) -> Chat {
        expect_ok("get chat", &[StatusCode::OK], self.get(&format!("/api/chats/{chat_id}")).await)
    }

    /// Sends a new message over REST; expects 201.
    pub async fn send(&self, chat_id: ChatId, body: &str) -> Message {
        let (status, message) = self.send_with_client_id(chat_id, ClientId(uuid::Uuid::new_v4()), body).await;
        assert_eq!(status, StatusCode::CREATED, "send: a new message answers 201");
        message
    }

    /// Sends with a given `client_id`: 201 when new, 200 with the original on a retry.
    pub async fn send_with_client_id(
        &self,
        chat_id: ChatId,
        client_id: ClientId,
        body: &str,
    ) -> (StatusCode, Message) {
        let request = SendMessageRequest {
            client_id,
            body: body.to_owned(),
            attachment_ids: Vec::new(),
            reply_to: None,
        };
        let path = format!("/api/chats/{chat_id}/messages");
        let response = self.post(&path, serde_json::to_value(request).expect("json")).await;
        let status = response.0;
        (status, expect_ok("send", &[StatusCode::CREATED, StatusCode::OK], response))
    }

    /// `GET /api/chats/{id}/messages` with the query's parameters.
    pub async fn history(&self, chat_id: ChatId, query: HistoryQuery) -> MessagePage {
        let mut params = Vec::new();
        if let Some(before) = query.before {
            params.push(format!("before={before}"));
        }
        if let Some(after) = query.after {
            params.push(format!("after={after}"));
        }
        if let Some(around) = query.around {
            params.push(format!("around={around}"));
        }
        if let Some(limit) = query.limit {
            params.push(format!("limit={limit}"));
        }
        let path = format!("/api/chats/{chat_id}/messages?{}", params.join("&"));
        expect_ok("history", &[StatusCode::OK], self.get(&path).await)
    }

    /// Opens a socket with this user's cookie and no `Origin`, and waits for `ready`.
    pub async fn ws(&self) -> WsClient {
        self.ws_with_origin(None).await
    }

    /// Opens a socket with this user's cookie and the given `Origin`, and waits for `ready`.
    pub async fn ws_with_origin(&self, origin: Option<&str>) -> WsClient {
        let mut ws = WsClient::connect(&self.ws_url, Some(&self.cookie), origin)
            .await
            .unwrap_or_else(|e| panic!("opening {}'s socket: {e:?}", self.username));
        match ws.recv().await {
            confab_shared::ws::ServerEvent::Ready { user, .. } => {
                assert_eq!(user.id, self.user.id, "ready names the socket's user")
            }
            other => panic!("the first event on a socket should be ready, got {other:#?}"),
        }
        ws
    }

    /// Opens a socket without waiting for anything: for upgrades that should be refused.
    pub async fn try_ws(&self, origin: Option<&str>) -> Result<WsClient, ConnectError> {
        WsClient::connect(&self.ws_url, Some(&self.cookie), origin).await
    }
}
