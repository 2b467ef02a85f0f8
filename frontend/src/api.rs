//! The REST client: one typed function per route, each returning the server's `ApiError`
//! on failure. Requests are relative (`/api/...`) and carry the same-origin session cookie.

use confab_shared::api::{
    ActiveSession, Attachment, AuthProvider, ChangePasswordRequest, ChangesPage, Chat, CreateChatRequest,
    EditMessageRequest, EmojiEntry, LinkRedirect, LinkedIdentity, LoginRequest, MarkReadRequest, Message,
    MessagePage, MuteRequest, Reaction, ReactionRequest, RegisterRequest, RenameChatRequest, RevokedSessions,
    SearchPage, SendMessageRequest, ServerLimits, SessionInfo, StartUploadRequest, UpdateProfileRequest,
    UploadStarted, User, UserRef,
};
use confab_shared::{
    ApiError, AttachmentId, ChatId, ErrorBody, ErrorCode, IdentityId, MessageId, SessionId, UserId,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use web_sys::RequestCredentials;

/// Which page of a chat's history to fetch (all pages are ascending by `seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Newest,
    Before(i64),
    After(i64),
    /// The message with this seq in context (half the page before it).
    Around(i64),
}

pub async fn register(request: &RegisterRequest) -> Result<SessionInfo, ApiError> {
    json(post("/api/auth/register").json(request)).await
}

pub async fn login(request: &LoginRequest) -> Result<SessionInfo, ApiError> {
    json(post("/api/auth/login").json(request)).await
}

pub async fn logout() -> Result<(), ApiError> {
    empty(post("/api/auth/logout").build()).await
}

/// `Ok(None)` when nobody is signed in (`GET /api/auth/session` answers 204).
pub async fn me() -> Result<Option<SessionInfo>, ApiError> {
    let response = checked(get("/api/auth/session").build()).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    body(response).await.map(Some)
}

/// Changes my display name; answers with my session as it now is. My contacts and all
/// my tabs, this one too, hear `user_updated`.
pub async fn update_profile(display_name: String) -> Result<SessionInfo, ApiError> {
    json(patch("/api/auth/me").json(&UpdateProfileRequest { display_name })).await
}

/// The identity providers to offer ("Sign in with ...").
pub async fn providers() -> Result<Vec<AuthProvider>, ApiError> {
    json(get("/api/auth/providers").build()).await
}

/// Where the browser goes to sign in with `provider`, then lands on `return_to`.
pub fn sign_in_url(provider: &str, return_to: &str) -> String {
    let return_to = js_sys::encode_uri_component(return_to);
    format!("/api/auth/oidc/{provider}/start?return_to={return_to}")
}

pub async fn identities() -> Result<Vec<LinkedIdentity>, ApiError> {
    json(get("/api/auth/identities").build()).await
}

pub async fn unlink_identity(id: IdentityId) -> Result<(), ApiError> {
    empty(delete(&format!("/api/auth/identities/{id}")).build()).await
}

/// Starts linking `provider` to my account: where to send the browser.
pub async fn link_provider(provider: &str) -> Result<LinkRedirect, ApiError> {
    json(post(&format!("/api/auth/oidc/{provider}/link")).build()).await
}

/// Changes my password (my other sessions end); `current_password` is empty when an
/// account made by an identity provider sets its first one.
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ApiError> {
    empty(post("/api/auth/password").json(&ChangePasswordRequest { current_password, new_password })).await
}

/// The browsers and devices I am signed in on, this one included.
pub async fn sessions() -> Result<Vec<ActiveSession>, ApiError> {
    json(get("/api/auth/sessions").build()).await
}

pub async fn revoke_session(id: SessionId) -> Result<(), ApiError> {
    empty(delete(&format!("/api/auth/sessions/{id}")).build()).await
}

/// Signs out every session but this one: how many ended.
pub async fn revoke_other_sessions() -> Result<RevokedSessions, ApiError> {
    json(post("/api/auth/sessions/revoke-others").build()).await
}

pub async fn limits() -> Result<ServerLimits, ApiError> {
    json(get("/api/limits").build()).await
}

/// Every emoji a reaction may be (the picker's list; cached by the browser for a day).
pub async fn emoji() -> Result<Vec<EmojiEntry>, ApiError> {
    json(get("/api/emoji").build()).await
}

pub async fn search_users(query: &str) -> Result<Vec<User>, ApiError> {
    json(get("/api/users").query([("q", query)]).build()).await
}

pub async fn chats() -> Result<Vec<Chat>, ApiError> {
    json(get("/api/chats").build()).await
}

pub async fn chat(id: ChatId) -> Result<Chat, ApiError> {
    json(get(&format!("/api/chats/{id}")).build()).await
}

pub async fn create_chat(request: &CreateChatRequest) -> Result<Chat, ApiError> {
    json(post("/api/chats").json(request)).await
}

pub async fn messages(id: ChatId, page: Page, limit: u32) -> Result<MessagePage, ApiError> {
    let limit = limit.to_string();
    let builder = get(&format!("/api/chats/{id}/messages")).query([("limit", limit.as_str())]);
    let builder = match page {
        Page::Newest => builder,
        Page::Before(seq) => builder.query([("before", seq.to_string())]),
        Page::After(seq) => builder.query([("after", seq.to_string())]),
        Page::Around(seq) => builder.query([("around", seq.to_string())]),
    };
    json(builder.build()).await
}

/// Messages of my chats (or of `chat` alone) matching `q`, newest first; `before` is the
/// previous page's `next_before`.
pub async fn search(q: &str, chat: Option<ChatId>, before: Option<&str>) -> Result<SearchPage, ApiError> {
    let mut builder = get("/api/search").query([("q", q)]);
    if let Some(chat) = chat {
        builder = builder.query([("chat_id", chat.to_string())]);
    }
    if let Some(before) = before {
        builder = builder.query([("before", before)]);
    }
    json(builder.build()).await
}

pub async fn send_message(id: ChatId, request: &SendMessageRequest) -> Result<Message, ApiError> {
    json(post(&format!("/api/chats/{id}/messages")).json(request)).await
}

/// Signs an upload: the answer says where to `PUT` the bytes.
pub async fn start_upload(id: ChatId, request: &StartUploadRequest) -> Result<UploadStarted, ApiError> {
    json(post(&format!("/api/chats/{id}/attachments")).json(request)).await
}

/// After the bytes are stored: the server checks them and makes the attachment ready.
pub async fn complete_upload(id: ChatId, attachment: AttachmentId) -> Result<Attachment, ApiError> {
    json(post(&format!("/api/chats/{id}/attachments/{attachment}/complete")).build()).await
}

/// Promise 4: messages changed after change number `since` (new, edited, deleted, re-reacted).
pub async fn changes(id: ChatId, since: i64, limit: u32) -> Result<ChangesPage, ApiError> {
    let (since, limit) = (since.to_string(), limit.to_string());
    json(
        get(&format!("/api/chats/{id}/changes"))
            .query([("since", since.as_str()), ("limit", limit.as_str())])
            .build(),
    )
    .await
}

pub async fn edit_message(id: ChatId, message_id: MessageId, body: String) -> Result<Message, ApiError> {
    json(patch(&format!("/api/chats/{id}/messages/{message_id}")).json(&EditMessageRequest { body })).await
}

pub async fn delete_message(id: ChatId, message_id: MessageId) -> Result<(), ApiError> {
    empty(delete(&format!("/api/chats/{id}/messages/{message_id}")).build()).await
}

pub async fn toggle_reaction(
    id: ChatId,
    message_id: MessageId,
    emoji: String,
) -> Result<Vec<Reaction>, ApiError> {
    json(post(&format!("/api/chats/{id}/messages/{message_id}/reactions")).json(&ReactionRequest { emoji }))
        .await
}

/// The answer (my read position, clamped) is not needed: the store already moved it.
pub async fn mark_read(id: ChatId, seq: i64) -> Result<(), ApiError> {
    empty(post(&format!("/api/chats/{id}/read")).json(&MarkReadRequest { seq })).await
}

/// Mutes (`true`) or unmutes a chat for me; answers with my view of it.
pub async fn set_muted(id: ChatId, muted: bool) -> Result<Chat, ApiError> {
    json(put(&format!("/api/chats/{id}/mute")).json(&MuteRequest { muted })).await
}

pub async fn rename_chat(id: ChatId, title: String) -> Result<Chat, ApiError> {
    json(patch(&format!("/api/chats/{id}")).json(&RenameChatRequest { title })).await
}

/// Closes (`close = true`) or reopens a chat.
pub async fn set_closed(id: ChatId, close: bool) -> Result<Chat, ApiError> {
    let action = if close { "close" } else { "reopen" };
    json(post(&format!("/api/chats/{id}/{action}")).build()).await
}

pub async fn add_member(id: ChatId, user_id: UserId) -> Result<Chat, ApiError> {
    json(post(&format!("/api/chats/{id}/members")).json(&UserRef { user_id })).await
}

/// Removes someone (owner), or leaves when `user_id` is mine.
pub async fn remove_member(id: ChatId, user_id: UserId) -> Result<(), ApiError> {
    empty(delete(&format!("/api/chats/{id}/members/{user_id}")).build()).await
}

pub async fn transfer_owner(id: ChatId, user_id: UserId) -> Result<Chat, ApiError> {
    json(post(&format!("/api/chats/{id}/owner")).json(&UserRef { user_id })).await
}

fn put(url: &str) -> RequestBuilder {
    Request::put(url).credentials(RequestCredentials::SameOrigin)
}

fn patch(url: &str) -> RequestBuilder {
    Request::patch(url).credentials(RequestCredentials::SameOrigin)
}

fn delete(url: &str) -> RequestBuilder {
    Request::delete(url).credentials(RequestCredentials::SameOrigin)
}

fn get(url: &str) -> RequestBuilder {
    Request::get(url).credentials(RequestCredentials::SameOrigin)
}

fn post(url: &str) -> RequestBuilder {
    Request::post(url).credentials(RequestCredentials::SameOrigin)
}

/// Sends `request` and decodes a JSON success body.
async fn json<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ApiError> {
    body(checked(request).await?).await
}

/// The JSON body of a successful `response`.
async fn body<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let text = response.text().await.map_err(|e| unexpected(format!("unreadable response: {e}")))?;
    decode(&text).map_err(|e| unexpected(format!("unreadable response: {e}")))
}

/// Reads a JSON text into `T`: the browser's `JSON.parse` parses it and serde-wasm-bindgen
/// maps the result onto `T`, which keeps serde_json's parser out of the WASM (about 5 KB
/// brotli smaller).
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// Sends `request` and ignores the success body (204s).
async fn empty(request: Result<Request, gloo_net::Error>) -> Result<(), ApiError> {
    checked(request).await.map(drop)
}

async fn checked(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let request = request.map_err(|e| unexpected(format!("could not build the request: {e}")))?;
    let response = request
        .send()
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "Cannot reach the server. Check your connection."))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.text().await.ok().and_then(|text| decode::<ErrorBody>(&text).ok());
    Err(match body {
        Some(body) => body.error,
        None => ApiError::new(code_for_status(status), format!("The server answered {status}.")),
    })
}

fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 | 413 | 422 => ErrorCode::Validation,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        429 => ErrorCode::RateLimited,
        _ => ErrorCode::Internal,
    }
}

fn unexpected(message: String) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}
