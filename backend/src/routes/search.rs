//! `/api/search`: full-text search over the messages of my chats.

use actix_web::web;
use confab_shared::ErrorBody;
use confab_shared::api::{SearchPage, SearchQuery};

use super::openapi::SignedIn;
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchQuery), security(("session" = [])),
    responses(
        (status = 200, description = "Up to 20 live messages matching q in the chats I am a member of now, newest first; the snippet is HTML with the matches in `<mark>`", body = SearchPage),
        (status = 400, description = "q missing, blank, longer than 200 characters or not one line; before not a page's next_before", body = ErrorBody),
        (status = 404, description = "chat_id is no chat of mine", body = ErrorBody),
        SignedIn,
    ))]
pub async fn search(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<SearchQuery>,
) -> AppResult<web::Json<SearchPage>> {
    Ok(web::Json(services::search::search(&state, &auth, query.into_inner()).await?))
}
