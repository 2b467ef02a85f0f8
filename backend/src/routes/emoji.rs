//! `/api/emoji`: the emoji a reaction may be, for the browser's picker, which loads them
//! when it first opens instead of carrying the table in the app's bundle (about 100 KB of
//! brotli on every first visit).

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::CACHE_CONTROL;
use confab_shared::api::EmojiEntry;
use confab_shared::validate::ReactionEmoji;

/// The list changes only with the server's version: browsers may keep it a day.
const CACHE_A_DAY: &str = "public, max-age=86400";

static LIST: LazyLock<Vec<EmojiEntry>> = LazyLock::new(|| ReactionEmoji::list().collect());

#[utoipa::path(get, path = "/api/emoji", tag = "meta",
    responses(
        (status = 200, description = "Every emoji a reaction may be, in Unicode's order, with its name and shortcodes", body = Vec<EmojiEntry>),
    ))]
pub async fn list() -> HttpResponse {
    HttpResponse::Ok().insert_header((CACHE_CONTROL, CACHE_A_DAY)).json(&*LIST)
}
