//! One WebSocket connection: a single task owns the socket and `select!`s over what the
//! client sends, what the hub queued for it, the heartbeat, the session's expiry and a
//! kick from the hub. A failed write ends this connection and nothing else; a write that
//! can't complete (the peer stopped reading) is bounded, and the connection is then
//! aborted at the TCP level (promise 9 for real sockets, see `routes::tcp`).
//!
//! Client events are handled concurrently (up to [`MAX_IN_FLIGHT`] per socket), so a
//! client may have many sends in flight, each joining the next group commit; replies go
//! out as each finishes. Past the limit the socket stops reading until one completes.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use chrono::Utc;
use confab_shared::api::SendMessageRequest;
use confab_shared::limits::PROTOCOL_VERSION;
use confab_shared::ws::{ClientEvent, ErrorEvent, ServerEvent};
use confab_shared::{ApiError, ClientId, ErrorCode};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::oneshot;
use tokio::time::{MissedTickBehavior, interval, sleep, timeout};

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::metrics;
use crate::realtime::hub::{Kick, Registration};
use crate::routes::tcp::TcpHandle;
use crate::services;
use crate::state::AppState;

/// Client events of one socket being handled at once.
const MAX_IN_FLIGHT: usize = 64;

/// Queued events written in one turn of the loop before it looks at anything else.
const OUTBOUND_BURST: usize = 64;

/// One write may wait this long for room (the peer reading) before the connection counts
/// as stuck and is let go. No write is ever awaited without a bound.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A closing connection's last words (`session_expired`, the close frame) get this long.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

type Reply<'a> = Pin<Box<dyn Future<Output = Option<ByteString>> + 'a>>;

/// How a connection ends.
enum End {
    /// A WebSocket close (with a reason, or none when the peer already left); actix
    /// flushes what is queued and closes the TCP connection.
    Close(Option<CloseReason>),
    /// The peer can't or won't take more: the TCP connection is aborted at once, so no
    /// task keeps waiting on a peer that stopped reading.
    Abort(&'static str),
}

/// Runs until the client leaves, the connection dies, or the hub or the session ends it.
/// `reg` is this connection's place in the hub (taken at the upgrade, under the per-user
/// cap); `tcp` its TCP socket, to abort.
pub async fn run(
    state: actix_web::web::Data<AppState>,
    auth: Authenticated,
    mut reg: Registration,
    tcp: Option<TcpHandle>,
    mut session: Session,
    mut stream: AggregatedMessageStream,
) {
    let user_id = auth.user_id();
    metrics::sockets_open(1.0);
    tracing::debug!(conn = reg.id, "socket open");

    let mut heartbeat = interval(state.settings.heartbeat_interval);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let expiry = sleep((auth.expires_at - Utc::now()).to_std().unwrap_or_default());
    tokio::pin!(expiry);

    let ready = ServerEvent::Ready { user: auth.user.clone(), protocol_version: PROTOCOL_VERSION };
    let mut in_flight: FuturesUnordered<Reply<'_>> = FuturesUnordered::new();
    let end = match greet(&state, &auth, &mut session, &mut reg.kicked, ready).await {
        Err(end) => end,
        Ok(()) => loop {
            tokio::select! {
                Some(reply) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Some(reply) = reply
                        && let Err(end) = write(&mut session, reply, &mut reg.kicked).await
                    {
                        break end;
                    }
                }
                kick = &mut reg.kicked => break kicked(kick, &mut session).await,
                () = &mut expiry => break session_over(&mut session).await,
                Some(text) = reg.outbound.recv() => {
                    // Whatever else is queued goes out with it: actix writes the frames
                    // queued before it flushes in one go (fewer syscalls under fan-out).
                    let mut next = Some(text);
                    let mut sent = 0;
                    let mut failed = None;
                    while let Some(text) = next.take() {
                        if let Err(end) = write(&mut session, text, &mut reg.kicked).await {
                            failed = Some(end);
                            break;
                        }
                        sent += 1;
                        next = if sent < OUTBOUND_BURST { reg.outbound.try_recv().ok() } else { None };
                    }
                    if let Some(end) = failed {
                        break end;
                    }
                }
                message = stream.recv(), if in_flight.len() < MAX_IN_FLIGHT => {
                    let Some(message) = message else { break End::Close(None) };
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
                            match timeout(WRITE_TIMEOUT, session.pong(&bytes)).await {
                                Ok(Ok(())) => None,
                                Ok(Err(_)) => break End::Close(None),
                                Err(_) => break End::Abort("stuck"),
                            }
                        }
                        Ok(AggregatedMessage::Pong(_)) => None,
                        Ok(AggregatedMessage::Close(reason)) => break End::Close(reason),
                        Err(e) => {
                            tracing::debug!(error = %e, "protocol error");
                            break End::Close(Some(CloseReason { code: CloseCode::Protocol, description: Some(e.to_string()) }));
                        }
                    };
                    if let Some(reply) = reply
                        && let Err(end) = write(&mut session, reply, &mut reg.kicked).await
                    {
                        break end;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > state.settings.client_timeout {
                        // Silent this long: the peer is gone or not reading; don't wait for it.
                        break End::Abort("timed out");
                    }
                    if !services::auth::session_alive(&state, &auth.token_hash).await {
                        break session_over(&mut session).await;
                    }
                    match timeout(WRITE_TIMEOUT, session.ping(b"")).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break End::Close(None),
                        Err(_) => break End::Abort("stuck"),
                    }
                }
            }
        },
    };
    drop(in_flight);
    state.events.hub().unregister(user_id, reg.id);
    state.events.disconnected(user_id);
    metrics::sockets_open(-1.0);
    services::presence::disconnected(state.clone(), user_id);
    match end {
        End::Close(reason) => {
            if timeout(CLOSE_TIMEOUT, session.close(reason)).await.is_err() {
                abort(tcp, "stuck while closing");
            }
        }
        End::Abort(why) => abort(tcp, why),
    }
    tracing::debug!(conn = reg.id, "socket closed");
}

/// Ends the TCP connection now (see `routes::tcp`).
fn abort(tcp: Option<TcpHandle>, why: &'static str) {
    tracing::info!(why, "aborting the connection");
    metrics::socket_aborted(why);
    if let Some(tcp) = tcp {
        tcp.abort();
    }
}

/// Writes one text frame, bounded by [`WRITE_TIMEOUT`], and gives way to a kick from the
/// hub: a socket blocked on a peer that stopped reading is let go at once.
async fn write(
    session: &mut Session,
    text: impl Into<ByteString>,
    kick: &mut oneshot::Receiver<Kick>,
) -> Result<(), End> {
    tokio::select! {
        biased;
        kick = kick => Err(kicked(kick, session).await),
        sent = timeout(WRITE_TIMEOUT, session.text(text)) => match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Close(None)),
            Err(_) => Err(End::Abort("stuck")),
        },
    }
}

/// The hub ended this connection: a reader too slow for its queue is aborted (it
/// reconnects and catches up, promise 9); an ended session is told why first.
async fn kicked(kick: Result<Kick, oneshot::error::RecvError>, session: &mut Session) -> End {
    match kick {
        Ok(Kick::TooSlow) => End::Abort("too slow"),
        // Logout, or the hub dropped us: the session is over.
        Ok(Kick::SessionEnded) | Err(_) => session_over(session).await,
    }
}

/// The node listens to this user's chats first (promise 4: subscribe first, the client
/// fetches after `ready`); then `ready`, then the presence of everyone this user shares a
/// chat with; and this user is announced online if they just came online.
async fn greet(
    state: &AppState,
    auth: &Authenticated,
    session: &mut Session,
    kick: &mut oneshot::Receiver<Kick>,
    ready: ServerEvent,
) -> Result<(), End> {
    let circle = match services::presence::Circle::load(state, auth.user_id()).await {
        Ok(circle) => Some(circle),
        Err(e) => {
            tracing::warn!(error = %e.to_api_error(), "could not load the user's chats");
            None
        }
    };
    state.events.connected(auth.user_id(), circle.as_ref().map(|c| c.chats()).unwrap_or_default()).await;
    write(session, ready.to_json(), kick).await?;
    if let Some(circle) = &circle {
        services::presence::connected(state, circle).await;
        for event in services::presence::snapshot(state, circle).await {
            write(session, event.to_json(), kick).await?;
        }
    }
    Ok(())
}

/// Promise 6: tell the client why, then close. A client that can't take the notice in
/// time is aborted instead.
async fn session_over(session: &mut Session) -> End {
    match timeout(CLOSE_TIMEOUT, session.text(ServerEvent::SessionExpired {}.to_json())).await {
        Ok(_) => End::Close(Some(CloseReason {
            code: CloseCode::Normal,
            description: Some("session ended".into()),
        })),
        Err(_) => End::Abort("stuck"),
    }
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
        ClientEvent::SendMessage { chat_id, client_id, body, attachment_ids, reply_to } => {
            let request = SendMessageRequest { client_id, body, attachment_ids, reply_to };
            match services::messages::send(state, auth, chat_id, request).await {
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
