//! A typed WebSocket test client. Every wait is bounded: a test that expects an event which
//! never comes fails with a message saying what it was waiting for.

use std::time::Duration;

use confab_shared::api::Message;
use confab_shared::ws::{ClientEvent, ServerEvent};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message as Frame};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long `recv` waits for the next event before failing the test.
pub const RECV_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an upgrade was refused.
#[derive(Debug)]
pub enum ConnectError {
    /// The server answered the upgrade with this HTTP status.
    Status(StatusCode),
    Other(String),
}

impl ConnectError {
    /// The refusal's status; panics if the connection failed otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            ConnectError::Status(status) => *status,
            ConnectError::Other(e) => panic!("expected an HTTP refusal of the upgrade, got: {e}"),
        }
    }
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_nonce: u64,
}

impl std::fmt::Debug for WsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsClient").finish_non_exhaustive()
    }
}

impl WsClient {
    /// Opens `url` (`ws://127.0.0.1:<port>/ws`) with an optional `Cookie` and `Origin`
    /// header. Does not read anything: the first event is normally `ready`.
    pub async fn connect(
        url: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Self, ConnectError> {
        let mut request = url.into_client_request().map_err(|e| ConnectError::Other(e.to_string()))?;
        let header = |v: &str| HeaderValue::from_str(v).map_err(|e| ConnectError::Other(e.to_string()));
        if let Some(cookie) = cookie {
            request.headers_mut().insert("cookie", header(cookie)?);
        }
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", header(origin)?);
        }
        match tokio::time::timeout(RECV_TIMEOUT, tokio_tungstenite::connect_async(request)).await {
            Err(_) => Err(ConnectError::Other(format!("no answer to the upgrade within {RECV_TIMEOUT:?}"))),
            Ok(Ok((stream, _response))) => Ok(Self { stream, next_nonce: 1 }),
            Ok(Err(tungstenite::Error::Http(response))) => Err(ConnectError::Status(
                StatusCode::from_u16(response.status().as_u16()).unwrap_or_default(),
            )),
            Ok(Err(e)) => Err(ConnectError::Other(e.to_string())),
        }
    }

    pub async fn send(&mut self, event: &ClientEvent) {
        self.send_frame(Frame::text(event.to_json())).await;
    }

    /// Sends any text frame, valid JSON or not.
    pub async fn send_raw(&mut self, text: &str) {
        self.send_frame(Frame::text(text.to_owned())).await;
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.send_frame(Frame::binary(bytes)).await;
    }

    async fn send_frame(&mut self, frame: Frame) {
        match tokio::time::timeout(RECV_TIMEOUT, self.stream.send(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("sending on the socket failed: {e}"),
            Err(_) => panic!("sending on the socket blocked for {RECV_TIMEOUT:?}"),
        }
    }

    /// The next event; fails the test if none comes within [`RECV_TIMEOUT`] or the socket
    /// closes.
    pub async fn recv(&mut self) -> ServerEvent {
        match self.next_event().await {
            Next::Event(event) => *event,
            Next::Closed(why) => panic!("socket closed while waiting for an event: {why}"),
            Next::TimedOut => panic!("no event within {RECV_TIMEOUT:?}"),
        }
    }

    /// The first event matching `wanted`, skipping others (presence, typing, ...).
    pub async fn recv_until(&mut self, mut wanted: impl FnMut(&ServerEvent) -> bool) -> ServerEvent {
        let deadline = tokio::time::Instant::now() + RECV_TIMEOUT;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.next_event()).await {
                Ok(Next::Event(event)) if wanted(&event) => return *event,
                Ok(Next::Event(event)) => skipped.push(*event),
                Ok(Next::Closed(why)) => {
                    panic!("socket closed ({why}) while waiting for an event; skipped: {skipped:#?}")
                }
                Ok(Next::TimedOut) | Err(_) => {
                    panic!("the awaited event did not come within {RECV_TIMEOUT:?}; skipped: {skipped:#?}")
                }
            }
        }
    }

    /// The next `message_created`, skipping other events.
    pub async fn recv_message(&mut self) -> Message {
        match self.recv_until(|e| matches!(e, ServerEvent::MessageCreated { .. })).await {
            ServerEvent::MessageCreated { message } => message,
            _ => unreachable!(),
        }
    }

    /// The next `error` event, skipping presence and typing only.
    pub async fn recv_error(&mut self) -> confab_shared::ws::ErrorEvent {
        let event = self
            .recv_until(|e| !matches!(e, ServerEvent::Presence { .. } | ServerEvent::Typing { .. }))
            .await;
        match event {
            ServerEvent::Error(error) => error,
            other => panic!("expected an error event, got {other:#?}"),
        }
    }

    /// Sends `ping` and returns every event that arrived before its `pong`. The server
    /// answers in order, so an event that was due before the ping shows up here: this
    /// proves the absence of an event without sleeping.
    pub async fn events_until_pong(&mut self) -> Vec<ServerEvent> {
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        self.send(&ClientEvent::Ping { nonce }).await;
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                ServerEvent::Pong { nonce: n } if n == nonce => return before,
                other => before.push(other),
            }
        }
    }

    /// Sends a ping and asserts the pong comes back: the socket is alive and usable.
    pub async fn assert_alive(&mut self) {
        let _ = self.events_until_pong().await;
    }

    /// Waits for the server to close the socket; returns the events received before.
    pub async fn expect_closed(&mut self) -> Vec<ServerEvent> {
        let mut before = Vec::new();
        let deadline = tokio::time::Instant::now() + RECV_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.next_event()).await {
                Ok(Next::Event(event)) => before.push(*event),
                Ok(Next::Closed(_)) => return before,
                Ok(Next::TimedOut) | Err(_) => {
                    panic!("the socket was not closed within {RECV_TIMEOUT:?}; events meanwhile: {before:#?}")
                }
            }
        }
    }

    /// Sends a close frame.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    async fn next_event(&mut self) -> Next {
        loop {
            let frame = match tokio::time::timeout(RECV_TIMEOUT, self.stream.next()).await {
                Err(_) => return Next::TimedOut,
                Ok(None) => return Next::Closed("end of stream".into()),
                Ok(Some(Err(e))) => return Next::Closed(e.to_string()),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Frame::Text(text) => match serde_json::from_str::<ServerEvent>(text.as_str()) {
                    Ok(event) => return Next::Event(Box::new(event)),
                    Err(e) => {
                        panic!("the server sent a frame that is not a ServerEvent ({e}): {}", text.as_str())
                    }
                },
                Frame::Binary(bytes) => panic!("the server sent a binary frame of {} bytes", bytes.len()),
                Frame::Close(close) => return Next::Closed(format!("close frame {close:?}")),
                Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_) => {}
            }
        }
    }
}

enum Next {
    Event(Box<ServerEvent>),
    Closed(String),
    TimedOut,
}
