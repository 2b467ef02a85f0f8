//! `/api/openapi.json`: the REST API described from the handlers' own types (utoipa).
//! The socket protocol is documented in `docs/protocol.md`.

use actix_web::web;
use utoipa::OpenApi;

use super::{auth, chats, health, messages, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "confab",
        description = "Self-hostable real-time team chat. Session cookie auth; errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        auth::register,
        auth::login,
        auth::logout,
        auth::me,
        auth::sessions,
        auth::revoke_session,
        auth::revoke_other_sessions,
        auth::change_password,
        users::search,
        chats::list,
        chats::create,
        chats::get,
        messages::history,
        messages::send,
        health::health,
        health::limits,
    )
)]
pub struct ApiDoc;

pub async fn spec() -> web::Json<utoipa::openapi::OpenApi> {
    web::Json(ApiDoc::openapi())
}
