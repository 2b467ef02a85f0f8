//! `GET /ws`: the WebSocket upgrade. The session (promise 6), the Origin (promise 7), the
//! upgrade rate and the per-user socket cap are checked here, before any socket exists.

use actix_web::{HttpRequest, HttpResponse, web};
use confab_shared::ErrorBody;
use confab_shared::limits::MAX_WS_FRAME_BYTES;
use tracing::Instrument;

use super::openapi::SignedIn;
use super::socket;
use super::tcp::TcpHandle;
use crate::auth::Authenticated;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a client refused for having too many sockets open is told to wait.
const SOCKET_CAP_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

#[utoipa::path(get, path = "/ws", tag = "realtime", security(("session" = [])),
    description = "The WebSocket of the real-time protocol (docs/protocol.md): a GET with the handshake's headers (`Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13`, `Sec-WebSocket-Key`).",
    responses(
        (status = 101, description = "Switching Protocols: the socket is open"),
        (status = 400, description = "Not a WebSocket handshake", body = ErrorBody),
        (status = 403, description = "Opened from a page of another site (its Origin is not allowed)", body = ErrorBody),
        (status = 429, description = "Too many socket upgrades (`RATE_SOCKET_UPGRADES_PER_USER`) or open sockets (`SOCKETS_PER_USER_MAX`) for this user", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it is allowed again"))),
        SignedIn,
    ))]
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<HttpResponse> {
    state.origins.check(&req)?;
    state.limits.check_socket_upgrade(auth.user_id())?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::Validation(format!("not a WebSocket upgrade: {e}")))?;
    let max = state.settings.limits.sockets_per_user_max;
    let reg = state
        .events
        .hub()
        .register(auth.user_id(), auth.token_hash, state.settings.outbound_queue, max)
        .ok_or_else(|| AppError::RateLimited {
            what: format!("open connections (at most {max} per user); close a tab"),
            retry_after: SOCKET_CAP_RETRY_AFTER,
        })?;
    let tcp = TcpHandle::of(&req);
    if let Some(tcp) = &tcp {
        tcp.set_user_timeout(state.settings.client_timeout);
    }
    let stream = stream
        .max_frame_size(MAX_WS_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_WS_FRAME_BYTES);
    let span = tracing::info_span!("socket", user = %auth.user_id());
    actix_web::rt::spawn(socket::run(state, auth, reg, tcp, session, stream).instrument(span));
    Ok(response)
}
