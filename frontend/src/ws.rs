//! The realtime socket: one WebSocket to `/ws` while signed in, reconnected with jittered
//! exponential backoff, kept alive by pings, feeding every server event to `Store::apply`.

use confab_shared::ws::{ClientEvent, ServerEvent};
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use crate::store::{Connection, Store};

const BACKOFF_START_MS: f64 = 500.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;
const PING_EVERY_MS: u32 = 20_000;

/// The browser callbacks of the current socket; dropping them detaches them.
struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    _error: Closure<dyn FnMut(Event)>,
}

#[derive(Default)]
struct Inner {
    socket: Option<WebSocket>,
    handlers: Option<Handlers>,
    /// Bumped by `start` and `stop`: callbacks and timers of an older run do nothing.
    generation: u64,
    running: bool,
    /// Failed attempts in a row, for the backoff.
    failures: u32,
    /// Bumped when a waiting reconnect is superseded (the network came back early).
    retry: u64,
    /// The window's `online`/`offline` listeners, kept alive for the app's lifetime.
    network_listeners: Vec<Closure<dyn FnMut(Event)>>,
    /// A `ready` arrived on an earlier connection, so the next one must resync.
    was_ready: bool,
    next_nonce: u64,
    unanswered_ping: Option<u64>,
}

/// A handle to the socket, shared through context.
#[derive(Clone, Copy)]
pub struct Realtime {
    store: Store,
    inner: StoredValue<Inner, LocalStorage>,
}

impl Realtime {
    pub fn new(store: Store) -> Self {
        let realtime = Self { store, inner: StoredValue::new_local(Inner::default()) };
        realtime.listen_to_network();
        realtime
    }

    /// Connects (once signed in). Calling it while running does nothing.
    pub fn start(self) {
        let generation = self.inner.try_update_value(|inner| {
            if inner.running {
                return None;
            }
            inner.running = true;
            inner.generation += 1;
            inner.failures = 0;
            inner.was_ready = false;
            Some(inner.generation)
        });
        if let Some(Some(generation)) = generation {
            self.connect(generation);
            self.spawn_heartbeat(generation);
        }
    }

    /// Disconnects for good (signed out).
    pub fn stop(self) {
        self.inner.try_update_value(|inner| {
            inner.running = false;
            inner.generation += 1;
        });
        self.drop_socket();
        self.store.connection.try_set(Connection::Offline);
    }

    /// Sends `event` if the socket is open and ready; `false` means use REST instead.
    pub fn send(self, event: &ClientEvent) -> bool {
        if self.store.connection.get_untracked() != Connection::Online {
            return false;
        }
        self.inner
            .try_with_value(|inner| match &inner.socket {
                Some(socket) if socket.ready_state() == WebSocket::OPEN => {
                    socket.send_with_str(&event.to_json()).is_ok()
                }
                _ => false,
            })
            .unwrap_or(false)
    }

    /// The browser knows before any ping does: drop the socket when the network goes and
    /// reconnect at once, without waiting out the backoff, when it returns.
    fn listen_to_network(self) {
        let Some(window) = web_sys::window() else { return };
        let on_offline = Closure::<dyn FnMut(Event)>::new(move |_: Event| self.network_lost());
        let on_online = Closure::<dyn FnMut(Event)>::new(move |_: Event| self.reconnect_now());
        let added =
            window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref()).and_then(
                |()| window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref()),
            );
        if added.is_err() {
            warn!("cannot watch the network state");
        }
        self.inner.update_value(|inner| inner.network_listeners = vec![on_offline, on_online]);
    }

    fn network_lost(self) {
        let generation = self
            .inner
            .try_with_value(|inner| (inner.running && inner.socket.is_some()).then_some(inner.generation));
        if let Some(Some(generation)) = generation {
            self.on_closed(generation);
        }
    }

    fn reconnect_now(self) {
        if self.store.connection.get_untracked() == Connection::Online {
            return;
        }
        let generation = self.inner.try_update_value(|inner| {
            if !inner.running {
                return None;
            }
            inner.retry += 1;
            inner.failures = 0;
            Some(inner.generation)
        });
        if let Some(Some(generation)) = generation {
            self.drop_socket();
            self.connect(generation);
        }
    }

    fn is_current(self, generation: u64) -> bool {
        self.inner.try_with_value(|inner| inner.running && inner.generation == generation).unwrap_or(false)
    }

    fn connect(self, generation: u64) {
        if !self.is_current(generation) {
            return;
        }
        self.store.connection.set(Connection::Connecting);
        let socket = match socket_url().and_then(|url| WebSocket::new(&url).ok()) {
            Some(socket) => socket,
            None => {
                self.on_closed(generation);
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                self.on_text(generation, &text);
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
            self.on_closed(generation);
        });
        // An error is always followed by a close; nothing to do but note it.
        let on_error = Closure::<dyn FnMut(Event)>::new(|_: Event| warn!("websocket error"));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let handlers = Handlers { _message: on_message, _close: on_close, _error: on_error };
        let old = self.inner.try_update_value(|inner| {
            inner.unanswered_ping = None;
            (inner.socket.replace(socket), inner.handlers.replace(handlers))
        });
        if let Some((Some(old_socket), _)) = &old {
            detach(old_socket);
        }
        // Dropped later: a callback must never be dropped while it runs.
        spawn_local(async move { drop(old) });
    }

    fn on_text(self, generation: u64, text: &str) {
        if !self.is_current(generation) {
            return;
        }
        let event = match crate::api::decode::<ServerEvent>(text) {
            Ok(event) => event,
            Err(error) => {
                warn!("unreadable server event: {error}");
                return;
            }
        };
        match event {
            ServerEvent::Ready { user, .. } => {
                // A change of my name made while this tab was offline.
                self.store.update_user(user);
                let resync = self
                    .inner
                    .try_update_value(|inner| {
                        inner.failures = 0;
                        std::mem::replace(&mut inner.was_ready, true)
                    })
                    .unwrap_or(false);
                self.store.connection.set(Connection::Online);
                // Promise 4: subscribed first (the server did on connect), fetch second.
                if resync {
                    self.store.resync();
                }
                crate::outbox::retry_interrupted(self.store, self);
            }
            ServerEvent::Pong { nonce } => {
                self.inner.try_update_value(|inner| {
                    if inner.unanswered_ping == Some(nonce) {
                        inner.unanswered_ping = None;
                    }
                });
            }
            event => {
                let follow_ups = self.store.apply(event);
                self.store.run(follow_ups);
            }
        }
    }

    /// The socket closed or never opened: retry after a jittered, growing delay.
    fn on_closed(self, generation: u64) {
        if !self.is_current(generation) {
            return;
        }
        self.drop_socket();
        self.store.connection.set(Connection::Offline);
        let Some((failures, retry)) = self.inner.try_update_value(|inner| {
            inner.failures = inner.failures.saturating_add(1);
            inner.retry += 1;
            (inner.failures, inner.retry)
        }) else {
            return;
        };
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(backoff_ms(failures)).await;
            if self.inner.try_with_value(|inner| inner.retry == retry) == Some(true) {
                self.connect(generation);
            }
        });
    }

    /// Pings every 20 s; a ping still unanswered at the next tick means a dead connection.
    fn spawn_heartbeat(self, generation: u64) {
        spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(PING_EVERY_MS).await;
                if !self.is_current(generation) {
                    return;
                }
                if self.store.connection.get_untracked() != Connection::Online {
                    continue;
                }
                let nonce = self.inner.try_update_value(|inner| {
                    if inner.unanswered_ping.is_some() {
                        return None;
                    }
                    inner.next_nonce += 1;
                    inner.unanswered_ping = Some(inner.next_nonce);
                    Some(inner.next_nonce)
                });
                match nonce.flatten() {
                    Some(nonce) => {
                        self.send(&ClientEvent::Ping { nonce });
                    }
                    None => {
                        warn!("no pong: reconnecting");
                        self.on_closed(generation);
                    }
                }
            }
        });
    }

    fn drop_socket(self) {
        let old = self
            .inner
            .try_update_value(|inner| (inner.socket.take(), inner.handlers.take()))
            .unwrap_or((None, None));
        if let Some(socket) = &old.0 {
            detach(socket);
            // Closing an already closed socket is harmless; there is nothing to do on error.
            let _ = socket.close();
        }
        spawn_local(async move { drop(old) });
    }
}

fn detach(socket: &WebSocket) {
    socket.set_onmessage(None);
    socket.set_onclose(None);
    socket.set_onerror(None);
}

/// `ws(s)://<this host>/ws`: the same origin as the page, so the session cookie goes along.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

/// 0.5 s doubling up to 30 s, each delay randomised by ±50% so tabs do not reconnect in step.
fn backoff_ms(failures: u32) -> u32 {
    let exponent = failures.saturating_sub(1).min(16);
    let base = (BACKOFF_START_MS * f64::from(1u32 << exponent)).min(BACKOFF_MAX_MS);
    let jitter = 0.5 + js_sys::Math::random();
    // In range: at most 45 000 ms.
    (base * jitter) as u32
}
