//! Optimistic sends: a message shows at once as pending (keyed by a fresh `client_id`),
//! waits for its files to finish uploading, goes over the socket when it is open or over
//! REST otherwise, and fails on an error or when no acknowledgement comes in time. A retry
//! re-uploads what failed and reuses the `client_id` (promise 2).

use chrono::Utc;
use confab_shared::api::SendMessageRequest;
use confab_shared::validate::MessageBody;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{AttachmentId, ChatId, ClientId, ErrorCode, MessageId};
use leptos::task::spawn_local;

use crate::api;
use crate::store::{Pending, SendState, Store};
use crate::uploads::{self, UploadId};
use crate::ws::Realtime;

/// How long a send may wait for its `message_created` before it shows as failed.
const ACK_TIMEOUT_MS: u32 = 10_000;

/// Adds a pending row with these files and sends it once they are uploaded. Fails only
/// if the browser cannot make an id.
pub fn send(
    store: Store,
    realtime: Realtime,
    chat_id: ChatId,
    body: MessageBody,
    files: Vec<UploadId>,
    reply_to: Option<MessageId>,
) -> Result<(), String> {
    let client_id = new_client_id().ok_or("This browser cannot generate message ids.")?;
    uploads::attach_to(store, &files, client_id);
    store.add_pending(
        chat_id,
        Pending {
            client_id,
            body: body.into_inner(),
            created_at: Utc::now(),
            state: SendState::Sending,
            attempt: 1,
            uploads: files,
            reply_to,
            retry_on_reconnect: false,
        },
    );
    spawn_local(deliver_when_uploaded(store, realtime, chat_id, client_id, 1));
    Ok(())
}

/// Sends a failed message again with the same `client_id`: the server returns the original
/// if the first attempt did arrive, so a retry never duplicates. Files that failed to
/// upload are uploaded again first.
pub fn retry(store: Store, realtime: Realtime, chat_id: ChatId, client_id: ClientId) {
    let Some(pending) = store.pending(chat_id, client_id) else { return };
    for id in &pending.uploads {
        uploads::retry(store, *id);
    }
    if let Some(attempt) = store.restart_pending(chat_id, client_id) {
        spawn_local(deliver_when_uploaded(store, realtime, chat_id, client_id, attempt));
    }
}

/// After a reconnect: sends again, with the same `client_id`, what failed for want of a
/// connection.
pub fn retry_interrupted(store: Store, realtime: Realtime) {
    for (chat_id, client_id) in store.interrupted_sends() {
        retry(store, realtime, chat_id, client_id);
    }
}

async fn deliver_when_uploaded(
    store: Store,
    realtime: Realtime,
    chat_id: ChatId,
    client_id: ClientId,
    attempt: u32,
) {
    let Some(pending) = store.pending(chat_id, client_id) else { return };
    let outcome = uploads::finished(store, &pending.uploads).await;
    // Retried, confirmed or dropped while the files were uploading: nothing to do here.
    let current = store
        .pending(chat_id, client_id)
        .is_some_and(|p| p.attempt == attempt && p.state == SendState::Sending);
    if !current {
        return;
    }
    match outcome {
        Err(reason) => store.fail_pending(client_id, Some(attempt), reason, false),
        Ok(files) if files.is_empty() && pending.body.is_empty() => store.discard_pending(chat_id, client_id),
        Ok(files) => {
            deliver(store, realtime, chat_id, client_id, (pending.body, files, pending.reply_to), attempt)
        }
    }
}

fn deliver(
    store: Store,
    realtime: Realtime,
    chat_id: ChatId,
    client_id: ClientId,
    (body, attachment_ids, reply_to): (String, Vec<AttachmentId>, Option<MessageId>),
    attempt: u32,
) {
    let event = ClientEvent::SendMessage {
        chat_id,
        client_id,
        body: body.clone(),
        attachment_ids: attachment_ids.clone(),
        reply_to,
    };
    if !realtime.send(&event) {
        spawn_local(async move {
            match api::send_message(
                chat_id,
                &SendMessageRequest { client_id, body, attachment_ids, reply_to },
            )
            .await
            {
                Ok(message) => {
                    let follow_ups = store.apply(ServerEvent::MessageCreated { message });
                    store.run(follow_ups);
                }
                Err(error) => {
                    let transient = matches!(error.code, ErrorCode::Internal | ErrorCode::Unavailable);
                    store.fail_pending(client_id, Some(attempt), error.message, transient);
                }
            }
        });
    }
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(ACK_TIMEOUT_MS).await;
        store.fail_pending(
            client_id,
            Some(attempt),
            "Not delivered: no answer from the server.".to_owned(),
            true,
        );
    });
}

/// A random (version 4) UUID from the browser's CSPRNG.
fn new_client_id() -> Option<ClientId> {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window()?.crypto().ok()?;
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(ClientId(uuid::Builder::from_random_bytes(bytes).into_uuid()))
}
