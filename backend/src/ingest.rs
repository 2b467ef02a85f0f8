//! The group commit: every send on this node, from any socket or request, joins a queue;
//! a writer takes whatever has queued while its last batch committed and stores it in one
//! transaction — one fsync for the lot — then announces and acknowledges each message.
//!
//! Writers are sharded by chat (a chat always goes to the same writer), so a chat's
//! messages are committed and announced in `seq` order on this node (promise 11), while
//! other chats commit alongside. Each writer owns its PostgreSQL connection, outside the
//! pool: a burst of reads can't make sends wait for a connection. Durable ack (promise 1): nobody hears of a message before
//! its batch committed. Idempotent (promise 2) and gap-free (promise 3): see
//! [`db::messages::insert_batch`].

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use confab_shared::UserId;
use confab_shared::api::Message;
use confab_shared::ws::ServerEvent;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::cache::{Cache, keys};
use crate::db::messages::{self as db, Batch, Inserted, NewMessage, ReplyRefused};
use crate::error::{AppError, AppResult};
use crate::metrics;
use crate::realtime::Events;
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// Sends waiting per writer before new ones are refused (the socket or request gets 503).
const QUEUE: usize = 8192;

const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A stored message, and whether this call stored it (`false`: a retry found the original).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

struct Job {
    new: NewMessage,
    reply: oneshot::Sender<AppResult<Sent>>,
}

pub struct Ingest {
    writers: Vec<mpsc::Sender<Job>>,
}

impl Ingest {
    /// Starts `writers` writer tasks, each committing up to `max_batch` sends at once.
    pub fn start(
        database_url: &str,
        cache: Cache,
        events: Arc<Events>,
        writers: usize,
        max_batch: usize,
    ) -> Self {
        let writers = (0..writers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                let url = database_url.to_owned();
                tokio::spawn(writer(rx, url, cache.clone(), events.clone(), max_batch.max(1)));
                tx
            })
            .collect();
        Self { writers }
    }

    /// Stores one message with its batch and returns once it is committed and announced.
    pub async fn send(&self, new: NewMessage) -> AppResult<Sent> {
        let mut hasher = DefaultHasher::new();
        new.chat_id.hash(&mut hasher);
        let shard = (hasher.finish() % self.writers.len() as u64) as usize;
        let (reply, answer) = oneshot::channel();
        self.writers[shard].try_send(Job { new, reply }).map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }
}

async fn writer(
    mut queue: mpsc::Receiver<Job>,
    database_url: String,
    cache: Cache,
    events: Arc<Events>,
    max_batch: usize,
) {
    let mut jobs = Vec::with_capacity(max_batch);
    let mut conn: Option<AsyncPgConnection> = None;
    while queue.recv_many(&mut jobs, max_batch).await > 0 {
        if conn.is_none() {
            conn = connect(&database_url).await;
        }
        let Some(c) = conn.as_mut() else {
            for job in jobs.drain(..) {
                let _ = job.reply.send(Err(AppError::Unavailable));
            }
            continue;
        };
        let batch: Vec<NewMessage> = jobs.iter().map(|job| job.new.clone()).collect();
        let started = Instant::now();
        match commit(c, &batch).await {
            Ok(committed) => {
                metrics::commit_batch(batch.len(), started.elapsed());
                announce(&cache, &events, jobs.drain(..), committed).await;
            }
            Err(e) => {
                tracing::error!(error = ?e, size = batch.len(), "a batch of sends failed");
                // The connection may be broken: the next batch starts on a fresh one.
                conn = None;
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(AppError::Unavailable));
                }
            }
        }
    }
}

async fn connect(database_url: &str) -> Option<AsyncPgConnection> {
    match tokio::time::timeout(CONNECT_TIMEOUT, AsyncPgConnection::establish(database_url)).await {
        Ok(Ok(conn)) => Some(conn),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a writer cannot connect to PostgreSQL");
            None
        }
        Err(_) => {
            tracing::error!("a writer's connection to PostgreSQL timed out");
            None
        }
    }
}

/// One transaction for the batch. A unique violation means another node stored one of
/// these retries meanwhile: once more, and the lookup of originals finds it.
async fn commit(conn: &mut AsyncPgConnection, batch: &[NewMessage]) -> anyhow::Result<Batch> {
    let mut attempt = 0;
    loop {
        match db::insert_batch(conn, batch).await {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) if attempt < 2 => {
                attempt += 1
            }
            other => return Ok(other?),
        }
    }
}

/// After the commit: forget the cached views, announce in commit order, then acknowledge.
async fn announce(cache: &Cache, events: &Events, jobs: impl Iterator<Item = Job>, committed: Batch) {
    let Batch { outcomes, members, extras } = committed;
    let mut changed: Vec<Uuid> = outcomes
        .iter()
        .filter_map(|o| if let Inserted::Created(row) = o { Some(row.chat_id) } else { None })
        .collect();
    changed.sort_unstable();
    changed.dedup();
    // Stale views are forgotten before anyone hears of the message, so a client that
    // refetches on the event can't read the old page.
    cache
        .invalidate(
            &changed.iter().map(|id| keys::newest_page(confab_shared::ChatId(*id))).collect::<Vec<_>>(),
        )
        .await;
    let members: HashMap<Uuid, Vec<UserId>> =
        members.into_iter().map(|(chat, ids)| (chat, ids.into_iter().map(UserId).collect())).collect();
    for (job, outcome) in jobs.zip(outcomes) {
        let result = match outcome {
            Inserted::Created(row) => {
                let message = extras.message(&row);
                let event = ServerEvent::MessageCreated { message: message.clone() };
                events.to_chat(message.chat_id, members.get(&row.chat_id).map_or(&[], Vec::as_slice), &event);
                Ok(Sent { message, created: true })
            }
            Inserted::Existing(row) if row.chat_id == job.new.chat_id => {
                Ok(Sent { message: extras.message(&row), created: false })
            }
            Inserted::Existing(_) => {
                Err(AppError::Conflict("client_id was already used for another message".into()))
            }
            Inserted::NotMember => Err(AppError::NotFound),
            Inserted::ChatClosed => Err(AppError::Forbidden("this chat is closed".into())),
            Inserted::AttachmentsUnavailable => Err(AppError::Conflict(
                "attach only your own completed uploads to this chat, each to one message".into(),
            )),
            Inserted::ReplyRefused(ReplyRefused::Unavailable) => {
                Err(AppError::Conflict("reply only to a message of this chat that is not deleted".into()))
            }
            Inserted::ReplyRefused(ReplyRefused::ToSystem) => {
                Err(AppError::Forbidden("a system message can't be replied to".into()))
            }
        };
        let _ = job.reply.send(result);
    }
}
