//! `GET /ws`: the WebSocket upgrade. The session (promise 6) and the Origin (promise 7)
//! are checked here, before any socket exists.

use actix_web::{HttpRequest, HttpResponse, web};
use confab_shared::limits::MAX_WS_FRAME_BYTES;
use tracing::Instrument;

use super::socket;
use crate::auth::{Authenticated, origin};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<HttpResponse> {
    origin::check(&req, &state.settings.allowed_origins)?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::Validation(format!("not a WebSocket upgrade: {e}")))?;
    let stream = stream
        .max_frame_size(MAX_WS_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_WS_FRAME_BYTES);
    let span = tracing::info_span!("socket", user = %auth.user_id());
    actix_web::rt::spawn(socket::run(state, auth, session, stream).instrument(span));
    Ok(response)
}
