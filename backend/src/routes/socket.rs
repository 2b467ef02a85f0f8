//! One WebSocket connection: a single task owns the socket and `select!`s over what the
//! client sends, what the hub queued for it, the heartbeat, the session's expiry and a
//! kick from the hub. A failed write ends this connection and nothing else.
//!
//! Client events are handled concurrently (up to [`MAX_IN_FLIGHT`] per socket), so a
//! client may have many sends in flight, each joining the next group commit; replies go
//! out as each finishes. Past the limit the socket stops reading until one completes.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use chrono::Utc;
use confab_shared::limits::PROTOCOL_VERSION;
use confab_shared::ws::{ClientEvent, ErrorEvent, ServerEvent};
use confab_shared::{ApiError, ClientId, ErrorCode};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::{MissedTickBehavior, interval, sleep};

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::metrics;
use crate::realtime::hub::Kick;
use crate::services;
use crate::state::AppState;

/// Client events of one socket being handled at once.
const MAX_IN_FLIGHT: usize = 64;

/// Queued events written in one turn of the loop before it looks at anything else.
const OUTBOUND_BURST: usize = 64;

type Reply<'a> = Pin<Box<dyn Future<Output = Option<ByteString>> + 'a>>;

/// Runs until the client leaves, the connection dies, or the hub or the session ends it.
pub async fn run(
    state: actix_web::web::Data<AppState>,
    auth: Authenticated,
    mut session: Session,
    mut stream: AggregatedMessageStream,
) {
    let user_id = auth.user_id();
    let mut reg = state.events.hub().register(user_id, auth.token_hash, state.settings.outbound_queue);
    metrics::sockets_open(1.0);
    tracing::debug!(conn = reg.id, "socket open");

    let mut heartbeat = interval(state.settings.heartbeat_interval);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let expiry = sleep((auth.expires_at - Utc::now()).to_std().unwrap_or_default());
    tokio::pin!(expiry);

    let ready = ServerEvent::Ready { user: auth.user.clone(), protocol_version: PROTOCOL_VERSION };
    let mut in_flight: FuturesUnordered<Reply<'_>> = FuturesUnordered::new();
    let close: Option<CloseReason> = if greet(&state, &auth, &mut session, ready).await.is_err() {
        None
    } else {
        loop {
            tokio::select! {
                Some(reply) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Some(reply) = reply
                        && session.text(reply).await.is_err()
                    {
                        break None;
                    }
                }
                kick = &mut reg.kicked => {
                    break match kick {
                        Ok(Kick::TooSlow) => Some(CloseReason {
                            code: CloseCode::Policy,
                            description: Some("too slow: reconnect and catch up".into()),
                        }),
                        // Logout, or the hub dropped us: the session is over.
                        Ok(Kick::SessionEnded) | Err(_) => session_over(&mut session).await,
                    };
                }
                () = &mut expiry => break session_over(&mut session).await,
                Some(text) = reg.outbound.recv() => {
                    // Whatever else is queued goes out with it: actix writes the frames
                    // queued before it flushes in one go (fewer syscalls under fan-out).
                    let mut next = Some(text);
                    let mut sent = 0;
                    let mut failed = false;
                    while let Some(text) = next.take() {
                        if session.text(text).await.is_err() {
                            failed = true;
                            break;
                        }
                        sent += 1;
                        next = if sent < OUTBOUND_BURST { reg.outbound.try_recv().ok() } else { None };
                    }
                    if failed {
                        break None;
                    }
                }
                message = stream.recv(), if in_flight.len() < MAX_IN_FLIGHT => {
                    let Some(message) = message else { break None };
                    last_heard = Instant::now();
                    let reply = match message {
                        Ok(AggregatedMessage::Text(text)) => {
                            in_flight.push(Box::pin(handle_text(&state, &auth, text)));
                            None
                        }
                        Ok(AggregatedMessage::Binary(_)) => {
                            Some(error_event(ApiError::new(ErrorCode::Validation, "binary frames are not supported; send JSON text"), None))
                        }
                        Ok(AggregatedMessage::Ping(bytes)) => {
                            if session.pong(&bytes).await.is_err() {
                                break None;
                            }
                            None
                        }
                        Ok(AggregatedMessage::Pong(_)) => None,
                        Ok(AggregatedMessage::Close(reason)) => break reason,
                        Err(e) => {
                            tracing::debug!(error = %e, "protocol error");
                            break Some(CloseReason { code: CloseCode::Protocol, description: Some(e.to_string()) });
                        }
                    };
                    if let Some(reply) = reply
                        && session.text(reply).await.is_err()
                    {
                        break None;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > state.settings.client_timeout {
                        tracing::info!("client timed out");
                        break Some(CloseReason { code: CloseCode::Away, description: Some("timed out".into()) });
                    }
                    if session.ping(b"").await.is_err() {
                        break None;
                    }
                }
            }
        }
    };
    drop(in_flight);
    state.events.hub().unregister(user_id, reg.id);
    state.events.disconnected(user_id);
    metrics::sockets_open(-1.0);
    services::presence::disconnected(state.clone(), user_id);
    let _ = session.close(close).await;
    tracing::debug!(conn = reg.id, "socket closed");
}

/// The node listens to this user's chats first (promise 4: subscribe first, the client
/// fetches after `ready`); then `ready`, then the presence of everyone this user shares a
/// chat with; and this user is announced online if they just came online.
async fn greet(
    state: &AppState,
    auth: &Authenticated,
    session: &mut Session,
    ready: ServerEvent,
) -> Result<(), actix_ws::Closed> {
    let circle = match services::presence::Circle::load(state, auth.user_id()).await {
        Ok(circle) => Some(circle),
        Err(e) => {
            tracing::warn!(error = %e.to_api_error(), "could not load the user's chats");
            None
        }
    };
    state.events.connected(auth.user_id(), circle.as_ref().map(|c| c.chats()).unwrap_or_default()).await;
    session.text(ready.to_json()).await?;
    if let Some(circle) = &circle {
        services::presence::connected(state, circle).await;
        for event in services::presence::snapshot(state, circle).await {
            session.text(event.to_json()).await?;
        }
    }
    Ok(())
}

/// Promise 6: tell the client why, then close.
async fn session_over(session: &mut Session) -> Option<CloseReason> {
    let _ = session.text(ServerEvent::SessionExpired {}.to_json()).await;
    Some(CloseReason { code: CloseCode::Normal, description: Some("session ended".into()) })
}

/// Handles one client event; returns a reply for this connection only, if any. Fan-out
/// to everyone (including this connection) goes through the hub.
async fn handle_text(state: &AppState, auth: &Authenticated, text: ByteString) -> Option<ByteString> {
    let event = match serde_json::from_str::<ClientEvent>(&text) {
        Ok(event) => event,
        Err(e) => {
            return Some(error_event(
                ApiError::new(ErrorCode::Validation, format!("malformed event: {e}")),
                None,
            ));
        }
    };
    match event {
        ClientEvent::SendMessage { chat_id, client_id, body } => {
            match services::messages::send(state, auth, chat_id, client_id, &body).await {
                // The hub delivered `message_created` to this socket too.
                Ok(sent) if sent.created => None,
                // A retry: only this socket needs the ack again.
                Ok(sent) => {
                    Some(ByteString::from(ServerEvent::MessageCreated { message: sent.message }.to_json()))
                }
                Err(e) => Some(app_error_event(&e, Some(client_id))),
            }
        }
        ClientEvent::Typing { chat_id } => {
            services::typing::relay(state, auth, chat_id).await.err().map(|e| app_error_event(&e, None))
        }
        // Members (this socket included) hear of it as `read`.
        ClientEvent::MarkRead { chat_id, seq } => services::receipts::mark_read(state, auth, chat_id, seq)
            .await
            .err()
            .map(|e| app_error_event(&e, None)),
        ClientEvent::Ping { nonce } => Some(ByteString::from(ServerEvent::Pong { nonce }.to_json())),
    }
}

fn app_error_event(error: &AppError, client_id: Option<ClientId>) -> ByteString {
    error_event(error.to_api_error(), client_id)
}

fn error_event(error: ApiError, client_id: Option<ClientId>) -> ByteString {
    ByteString::from(ServerEvent::Error(ErrorEvent::new(error, client_id)).to_json())
}
