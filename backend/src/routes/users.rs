//! `/api/users`: find people to chat with.

use actix_web::web;
use confab_shared::ErrorBody;
use confab_shared::api::{User, UserSearchQuery};

use super::openapi::SignedIn;
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/users", tag = "users", params(UserSearchQuery), security(("session" = [])),
    responses(
        (status = 200, description = "Up to 20 users whose username starts with q, not including you", body = [User]),
        (status = 400, description = "q contains control characters", body = ErrorBody),
        SignedIn,
    ))]
pub async fn search(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<UserSearchQuery>,
) -> AppResult<web::Json<Vec<User>>> {
    Ok(web::Json(services::chats::search_users(&state, &auth, &query.q).await?))
}
