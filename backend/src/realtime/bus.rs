//! The Redis bus between nodes: pub/sub with one channel per chat and one per user.
//!
//! Two tasks own the two Redis connections. The publisher drains a bounded queue and
//! sends whatever is waiting as one pipeline, so publishing never makes a request or a
//! writer wait on Redis; when Redis is slow or gone the queue fills and envelopes are
//! dropped (pub/sub is at-most-once anyway: clients backfill by change number). The
//! subscriber keeps the set of channels this node wants, re-subscribes all of them after
//! a reconnect, and then reports [`Inbound::Reconnected`] so the node's clients resync.

use std::collections::HashSet;
use std::time::Duration;

use confab_shared::{ChatId, UserId};
use deadpool_redis::redis::{self, AsyncConnectionConfig};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::metrics;

/// Any one Redis round trip (connect, publish, subscribe, ping) is given this long.
const OP_TIMEOUT: Duration = Duration::from_millis(1000);
/// The subscriber pings this often: a stopped or partitioned Redis is noticed even when
/// nothing is published.
const PING_EVERY: Duration = Duration::from_secs(2);
const PUBLISH_QUEUE: usize = 65_536;
const PUBLISH_BATCH: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Chat(ChatId),
    User(UserId),
}

impl Channel {
    pub fn name(self) -> String {
        match self {
            Channel::Chat(id) => format!("confab:chat:{id}"),
            Channel::User(id) => format!("confab:user:{id}"),
        }
    }
}

/// What the subscriber hands to the node.
pub enum Inbound {
    Message(Vec<u8>),
    /// Subscribed again after losing Redis: anything published meanwhile was missed.
    Reconnected,
}

enum Control {
    Subscribe(Vec<String>, Option<oneshot::Sender<()>>),
    Unsubscribe(Vec<String>),
}

pub struct Bus {
    publish: mpsc::Sender<(String, Vec<u8>)>,
    control: mpsc::UnboundedSender<Control>,
}

impl Bus {
    /// Starts the publisher and subscriber tasks; `None` (and a warning) for a bad URL.
    pub fn start(url: &str, inbound: mpsc::Sender<Inbound>) -> Option<Self> {
        let client = match redis::Client::open(url) {
            Ok(client) => client,
            Err(e) => {
                tracing::warn!(error = %e, "invalid REDIS_URL; this node runs alone");
                return None;
            }
        };
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (control, control_rx) = mpsc::unbounded_channel();
        tokio::spawn(publisher(client.clone(), publish_rx));
        tokio::spawn(subscriber(client, control_rx, inbound));
        Some(Self { publish, control })
    }

    /// Queues one envelope; never waits. Dropped (and counted) when Redis can't keep up.
    pub fn publish(&self, channel: Channel, payload: Vec<u8>) {
        if self.publish.try_send((channel.name(), payload)).is_err() {
            metrics::bus_dropped();
        }
    }

    /// Starts listening to `channels`; returns once Redis confirmed, or at once when
    /// Redis is unavailable (the channels are subscribed when it returns).
    pub async fn subscribe(&self, channels: Vec<Channel>) {
        let (done, confirmed) = oneshot::channel();
        let names = channels.into_iter().map(Channel::name).collect();
        if self.control.send(Control::Subscribe(names, Some(done))).is_ok() {
            let _ = tokio::time::timeout(OP_TIMEOUT, confirmed).await;
        }
    }

    /// Like [`Bus::subscribe`], without waiting for the confirmation.
    pub fn subscribe_later(&self, channels: Vec<Channel>) {
        let names = channels.into_iter().map(Channel::name).collect();
        let _ = self.control.send(Control::Subscribe(names, None));
    }

    pub fn unsubscribe(&self, channels: Vec<Channel>) {
        let names = channels.into_iter().map(Channel::name).collect();
        let _ = self.control.send(Control::Unsubscribe(names));
    }
}

fn connection_config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(OP_TIMEOUT))
        .set_response_timeout(Some(OP_TIMEOUT))
}

/// Sends queued envelopes, a pipeline at a time, reconnecting after a failure.
async fn publisher(client: redis::Client, mut queue: mpsc::Receiver<(String, Vec<u8>)>) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        if conn.is_none() {
            conn = client.get_multiplexed_async_connection_with_config(&connection_config()).await.ok();
        }
        let Some(c) = conn.as_mut() else {
            metrics::bus_dropped_many(batch.len());
            batch.clear();
            continue;
        };
        let mut pipe = redis::pipe();
        for (channel, payload) in batch.drain(..) {
            pipe.publish(channel, payload).ignore();
        }
        let started = std::time::Instant::now();
        match pipe.query_async::<()>(c).await {
            Ok(()) => metrics::bus_published(pipe.len(), started.elapsed()),
            Err(e) => {
                tracing::warn!(error = %e, "publishing to Redis failed; reconnecting");
                metrics::bus_dropped_many(pipe.len());
                conn = None;
            }
        }
    }
}

/// Keeps this node subscribed to what it wants, through Redis restarts.
async fn subscriber(
    client: redis::Client,
    mut control: mpsc::UnboundedReceiver<Control>,
    inbound: mpsc::Sender<Inbound>,
) {
    let mut wanted: HashSet<String> = HashSet::new();
    let mut lost = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = tokio::time::timeout(OP_TIMEOUT, client.get_async_pubsub()).await;
        let Ok(Ok(pubsub)) = connected else {
            // Redis is unavailable: keep taking orders (and confirming them: nothing to wait
            // for) while waiting to retry.
            let retry = tokio::time::sleep(backoff);
            tokio::pin!(retry);
            loop {
                tokio::select! {
                    () = &mut retry => break,
                    order = control.recv() => match order {
                        Some(order) => apply(&mut wanted, order),
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
            continue;
        };
        let (mut sink, mut stream) = pubsub.split();
        let everything: Vec<&String> = wanted.iter().collect();
        if !everything.is_empty()
            && !matches!(tokio::time::timeout(OP_TIMEOUT, sink.subscribe(everything)).await, Ok(Ok(())))
        {
            continue;
        }
        backoff = Duration::from_millis(100);
        if lost {
            tracing::info!("Redis bus is back; clients resync");
            metrics::bus_reconnected();
            let _ = inbound.send(Inbound::Reconnected).await;
        }
        lost = true;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else { break };
                    if inbound.try_send(Inbound::Message(message.get_payload_bytes().to_vec())).is_err() {
                        metrics::bus_dropped();
                    }
                }
                order = control.recv() => {
                    let Some(order) = order else { return };
                    let ok = match &order {
                        Control::Subscribe(names, _) => tokio::time::timeout(OP_TIMEOUT, sink.subscribe(names)).await,
                        Control::Unsubscribe(names) => tokio::time::timeout(OP_TIMEOUT, sink.unsubscribe(names)).await,
                    };
                    apply(&mut wanted, order);
                    if !matches!(ok, Ok(Ok(()))) {
                        break;
                    }
                }
                _ = ping.tick() => {
                    let pong = tokio::time::timeout(OP_TIMEOUT, sink.ping::<redis::Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        tracing::warn!("lost the Redis bus; serving this node's clients alone until it returns");
    }
}

/// Records what is wanted and confirms the order.
fn apply(wanted: &mut HashSet<String>, order: Control) {
    match order {
        Control::Subscribe(names, done) => {
            wanted.extend(names);
            if let Some(done) = done {
                let _ = done.send(());
            }
        }
        Control::Unsubscribe(names) => {
            for name in names {
                wanted.remove(&name);
            }
        }
    }
}
