//! `/api/openapi.json`: the HTTP API described from the handlers' own `#[utoipa::path]`
//! attributes and the DTOs' types, with the validators' limits (`confab_shared::schema`).
//! Every operation that [`super::configure`] mounts is in it, because both read
//! [`super::operations`]. The socket protocol itself is documented in `docs/protocol.md`.
//!
//! The answers many operations share are the [`IntoResponses`] types below; each handler
//! lists its own statuses next to them (a rate limit's 429 with `Retry-After` names its
//! limit), never the same status twice.

use std::collections::BTreeMap;

use actix_web::web;
use confab_shared::ErrorBody;
use confab_shared::api::StartUploadRequest;
use utoipa::openapi::header::Header;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{IntoResponses, OpenApi, ToSchema};

use crate::auth::token;
use crate::state::AppState;

/// The security scheme's name in the document: the session cookie.
pub const SESSION: &str = "session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "confab",
        description = "Self-hostable real-time team chat. Sign in with `POST /api/auth/login` (or register): the session travels in an HttpOnly cookie. Errors are `{\"error\": {\"code\", \"message\"}}`. State-changing calls from a page of another site (its `Origin`) are refused with 403. An unknown method on a known path is 405 with `Allow`."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "Finding people"),
        (name = "chats", description = "Direct and group chats"),
        (name = "members", description = "Group membership and ownership"),
        (name = "messages", description = "History, sending, editing, reactions, catching up"),
        (name = "attachments", description = "File uploads, completion and downloads"),
        (name = "search", description = "Full-text search over the messages of my chats"),
        (name = "realtime", description = "The WebSocket (protocol: docs/protocol.md)"),
        (name = "meta", description = "Health, limits and this document"),
    )
)]
struct ApiDoc;

/// The document: every operation of [`super::operations`], the session cookie (by the
/// name it has with these settings) as the security scheme, and the one limit set at
/// start-up rather than compiled in, `UPLOAD_BYTES_MAX`.
pub fn document(cookie_name: &str, upload_bytes_max: u64) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for operation in super::operations() {
        operation.describe(&mut doc);
    }
    let session = SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
        cookie_name,
        "Set by register and login; HttpOnly, SameSite=Lax",
    )));
    doc.components.get_or_insert_with(Default::default).add_security_scheme(SESSION, session);
    state_upload_limit(&mut doc, upload_bytes_max);
    doc
}

/// `StartUploadRequest.size` at most `UPLOAD_BYTES_MAX` (larger is the 413 documented).
fn state_upload_limit(doc: &mut utoipa::openapi::OpenApi, max: u64) {
    use utoipa::openapi::schema::Schema;
    let Some(components) = doc.components.as_mut() else { return };
    let Some(RefOr::T(Schema::Object(request))) =
        components.schemas.get_mut(StartUploadRequest::name().as_ref())
    else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(size))) = request.properties.get_mut("size") {
        size.maximum = Some(utoipa::Number::UInt(usize::try_from(max).unwrap_or(usize::MAX)));
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
pub async fn spec(state: web::Data<AppState>) -> web::Json<utoipa::openapi::OpenApi> {
    web::Json(document(
        token::cookie_name(state.settings.cookie_secure),
        state.settings.limits.upload_bytes_max,
    ))
}

fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(Ref::from_schema_name(ErrorBody::name()))))
}

fn retry_after(response: ResponseBuilder, meaning: &str) -> ResponseBuilder {
    let seconds =
        utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer).minimum(Some(0));
    response.header("Retry-After", Header::builder().schema(seconds).description(Some(meaning)).build())
}

fn responses<const N: usize>(entries: [(&str, ResponseBuilder); N]) -> BTreeMap<String, RefOr<Response>> {
    entries.into_iter().map(|(status, response)| (status.to_owned(), RefOr::T(response.build()))).collect()
}

/// What a call that needs a session may also answer: 401 without one, 503 when
/// PostgreSQL is out of reach (every session is checked there).
pub struct SignedIn;

impl IntoResponses for SignedIn {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses([("401", error("Not signed in, or the session has ended")), ("503", unavailable())])
    }
}

/// A call that reads or writes PostgreSQL without a session: it may answer 503.
pub struct Stored;

impl IntoResponses for Stored {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses([("503", unavailable())])
    }
}

fn unavailable() -> ResponseBuilder {
    retry_after(
        error("PostgreSQL is down or overloaded; nothing was stored, try again"),
        "Seconds to wait before trying again",
    )
}

/// A call with a JSON body: 400 for malformed JSON or a broken rule (the schema's
/// patterns and limits are the rules), 413 for a body over 64 KiB.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses([
            ("400", error("Malformed JSON, or the request breaks a rule (the message says which)")),
            ("413", error("The body is larger than 64 KiB")),
        ])
    }
}

/// A state-changing call: refused when it comes from a page of another site.
pub struct SameSite;

impl IntoResponses for SameSite {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses([("403", error("Sent from a page of another site (its Origin is not allowed)"))])
    }
}
