//! The TCP connection under a WebSocket, so the socket task can end it (DESIGN: "a socket
//! whose reader stops reading is let go by the server within the client timeout, even
//! while the kernel's buffers are full").
//!
//! Why this is needed: actix writes a socket's frames from its own connection task. When
//! the peer stops reading, the kernel's send buffer fills, that task waits for the socket
//! to become writable — forever — and dropping our end of the WebSocket changes nothing,
//! because nobody polls it. So each socket task keeps its own handle on the TCP socket
//! (a duplicate file descriptor: one more descriptor per WebSocket) and, when it gives a
//! connection up (kicked for being too slow, timed out, a write that can't complete), shuts
//! the TCP socket down: actix's pending write fails and it drops the connection at once.
//! `TCP_USER_TIMEOUT` is set too, so the kernel itself gives up on unacknowledged or
//! unsendable data after the client timeout, whatever our code does.

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::dev::Extensions;

/// The raw descriptor of a connection, recorded when it is accepted.
#[derive(Debug, Clone, Copy)]
struct ConnFd(RawFd);

/// `HttpServer::on_connect`: remembers each TCP connection's descriptor.
pub fn on_connect(conn: &dyn Any, extensions: &mut Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        extensions.insert(ConnFd(tcp.as_raw_fd()));
    }
}

/// This task's own handle on a connection's TCP socket.
#[derive(Debug)]
pub struct TcpHandle(socket2::Socket);

impl TcpHandle {
    /// Duplicates the descriptor of the connection `req` arrived on.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        let ConnFd(fd) = *req.conn_data::<ConnFd>()?;
        // SAFETY: `conn_data` exists only while actix serves this connection, and we are
        // inside one of its requests: actix's connection task owns the `TcpStream` and
        // keeps the descriptor open until the request is answered, so `fd` is open and is
        // this connection's. It is only borrowed for the `dup`.
        #[allow(unsafe_code)]
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned = borrowed.try_clone_to_owned().ok()?;
        Some(Self(socket2::Socket::from(owned)))
    }

    /// The kernel drops the connection when sent data stays unacknowledged, or cannot be
    /// sent into a zero window, for this long.
    pub fn set_user_timeout(&self, timeout: Duration) {
        if let Err(e) = self.0.set_tcp_user_timeout(Some(timeout)) {
            tracing::debug!(error = %e, "TCP_USER_TIMEOUT not set");
        }
    }

    /// Ends the connection now: no FIN handshake that a non-reading peer could stall, a
    /// reset once the last descriptor closes, and actix's pending write fails at once.
    pub fn abort(self) {
        let _ = self.0.set_linger(Some(Duration::ZERO));
        let _ = self.0.shutdown(Shutdown::Both);
    }
}
