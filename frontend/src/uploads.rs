//! Uploads, browser side. A file picked, dropped or pasted starts uploading at once, the
//! way the contract says: `start` (the server signs), `PUT` the bytes straight to storage
//! (an `XMLHttpRequest`, the one browser API that reports upload progress), `complete`
//! (the server checks and sniffs). Until a message is sent the file waits in the composer;
//! sent with one, it rides in that message's pending row until it is ready.
//!
//! Views read plain data: `Store::uploads`, one `Upload` per file. The browser objects an
//! upload needs (its `File`, its request, the promise of its current attempt) are not
//! `Send`, so they live in this module's table, keyed by the same id.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use confab_shared::api::{Attachment, StartUploadRequest, UploadInstructions};
use confab_shared::display::file_size;
use confab_shared::validate::{Filename, MediaType};
use confab_shared::{AttachmentId, ChatId, ClientId, ErrorBody};
use js_sys::{Function, Promise};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{File, ProgressEvent, XmlHttpRequest};

use crate::api;
use crate::split::Unavailable;
use crate::store::Store;

/// This tab's name for one file being uploaded (the server's id comes later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId(u64);

/// One file on its way to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub chat_id: ChatId,
    pub filename: String,
    /// As the browser declares it (the server reads the real one from the bytes).
    pub content_type: String,
    pub size: u64,
    /// The message it was sent with; `None` while it waits in the composer.
    pub message: Option<ClientId>,
    pub state: UploadState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// Bytes sent so far (0 while the server signs, `size` while it checks).
    Uploading {
        sent: u64,
    },
    Ready(Attachment),
    /// Went wrong on the way: retrying may help. The text says what happened.
    Failed(String),
    /// Can never be sent as it is (too big, empty, a name the server refuses).
    Refused(String),
}

impl Upload {
    /// What stands in the way of sending it, if anything.
    pub fn problem(&self) -> Option<&str> {
        match &self.state {
            UploadState::Failed(reason) | UploadState::Refused(reason) => Some(reason),
            _ => None,
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(self.state, UploadState::Failed(_))
    }
}

/// The browser side of an upload.
struct Task {
    file: File,
    /// The `PUT` in flight, so that a cancel can abort it.
    request: Option<XmlHttpRequest>,
    /// Settles when the current attempt ends, whatever its outcome.
    attempt: Option<Promise>,
    cancelled: bool,
}

thread_local! {
    static TASKS: RefCell<HashMap<UploadId, Task>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// Adds files to a chat's composer and starts uploading each one the server could accept.
pub fn add_files(store: Store, chat_id: ChatId, files: Vec<File>) {
    let max = store.limits.with_untracked(|l| l.upload_bytes_max);
    for file in files {
        let id = UploadId(NEXT_ID.with(|next| next.replace(next.get() + 1)));
        let size = file.size() as u64;
        let refusal = match Filename::parse(&file.name()) {
            Err(e) => Some(format!("Cannot upload this file: {e}.")),
            Ok(_) if size == 0 => Some("The file is empty.".to_owned()),
            Ok(_) if size > max => {
                Some(format!("Too big: {} (the limit is {}).", file_size(size), file_size(max)))
            }
            Ok(_) => None,
        };
        let state = match &refusal {
            Some(reason) => UploadState::Refused(reason.clone()),
            None => UploadState::Uploading { sent: 0 },
        };
        let content_type = MediaType::parse(&file.type_())
            .map_or_else(|_| "application/octet-stream".to_owned(), MediaType::into_inner);
        let upload = Upload { chat_id, filename: file.name(), content_type, size, message: None, state };
        store.uploads.try_update(|all| {
            all.insert(id, upload);
        });
        TASKS.with(|tasks| {
            tasks.borrow_mut().insert(id, Task { file, request: None, attempt: None, cancelled: false })
        });
        if refusal.is_none() {
            begin(store, id);
        }
    }
}

/// The uploads waiting in a chat's composer, in the order they were added.
pub fn in_composer(store: Store, chat_id: ChatId) -> Vec<UploadId> {
    store.uploads.with_untracked(|all| {
        all.iter().filter(|(_, u)| u.chat_id == chat_id && u.message.is_none()).map(|(id, _)| *id).collect()
    })
}

/// Moves uploads from the composer to the message `client_id`.
pub fn attach_to(store: Store, ids: &[UploadId], client_id: ClientId) {
    store.uploads.try_update(|all| {
        for id in ids {
            if let Some(upload) = all.get_mut(id) {
                upload.message = Some(client_id);
            }
        }
    });
}

/// Stops an upload and forgets it: it leaves the composer or its pending message. What
/// the server already holds of it is swept as an upload never attached.
pub fn cancel(store: Store, id: UploadId) {
    if let Some(task) = TASKS.with(|tasks| tasks.borrow_mut().remove(&id))
        && let Some(request) = task.request
    {
        // Aborting an XHR that has already finished is a no-op, never an error.
        let _ = request.abort();
    }
    store.uploads.try_update(|all| {
        all.remove(&id);
    });
}

/// Stops every upload (on sign-out).
pub fn cancel_all(store: Store) {
    let ids: Vec<UploadId> = store.uploads.with_untracked(|all| all.keys().copied().collect());
    for id in ids {
        cancel(store, id);
    }
}

/// Stops the uploads to a chat I am no longer in.
pub fn cancel_chat(store: Store, chat_id: ChatId) {
    let ids: Vec<UploadId> = store
        .uploads
        .with_untracked(|all| all.iter().filter(|(_, u)| u.chat_id == chat_id).map(|(id, _)| *id).collect());
    for id in ids {
        cancel(store, id);
    }
}

/// Starts a failed upload again (a new attempt from the beginning).
pub fn retry(store: Store, id: UploadId) {
    let failed = store.uploads.with_untracked(|all| all.get(&id).is_some_and(Upload::retryable));
    if failed && TASKS.with(|tasks| tasks.borrow().contains_key(&id)) {
        set_state(store, id, UploadState::Uploading { sent: 0 });
        begin(store, id);
    }
}

/// Forgets the uploads of a message the server has confirmed (or that was dropped).
pub fn forget_message(store: Store, client_id: ClientId) {
    let ids: Vec<UploadId> = store.uploads.with_untracked(|all| {
        all.iter().filter(|(_, u)| u.message == Some(client_id)).map(|(id, _)| *id).collect()
    });
    for id in ids {
        cancel(store, id);
    }
}

/// Waits until none of `ids` is uploading, then gives the server's ids of those that are
/// ready, in order. Cancelled ones are left out; a failed or refused one is an error
/// naming the file.
pub async fn finished(store: Store, ids: &[UploadId]) -> Result<Vec<AttachmentId>, String> {
    loop {
        let attempts: Vec<Promise> = TASKS.with(|tasks| {
            let tasks = tasks.borrow();
            ids.iter().filter_map(|id| tasks.get(id).and_then(|t| t.attempt.clone())).collect()
        });
        for attempt in attempts {
            // The promise only ever resolves: outcomes are read from the store below.
            let _ = JsFuture::from(attempt).await;
        }
        let outcome = store.uploads.with_untracked(|all| {
            let mut ready = Vec::new();
            for upload in ids.iter().filter_map(|id| all.get(id)) {
                match &upload.state {
                    // A retry began while we waited: wait for that attempt too.
                    UploadState::Uploading { .. } => return None,
                    UploadState::Ready(attachment) => ready.push(attachment.id),
                    UploadState::Failed(reason) | UploadState::Refused(reason) => {
                        return Some(Err(format!("{}: {reason}", upload.filename)));
                    }
                }
            }
            Some(Ok(ready))
        });
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}

/// Runs one attempt in the background; its promise lets a sender wait for it.
fn begin(store: Store, id: UploadId) {
    let attempt = future_to_promise(async move {
        let outcome = match attempt(store, id).await {
            Ok(upload) => upload.await,
            Err(Unavailable) => Err("Couldn't load the uploader. Check your connection.".to_owned()),
        };
        let live = TASKS.with(|tasks| tasks.borrow().get(&id).is_some_and(|t| !t.cancelled));
        if live {
            match outcome {
                Ok(attachment) => {
                    set_state(store, id, UploadState::Ready(attachment));
                    // The bytes are stored: the file is not needed any more.
                    TASKS.with(|tasks| tasks.borrow_mut().remove(&id));
                }
                Err(reason) => set_state(store, id, UploadState::Failed(reason)),
            }
        }
        Ok(JsValue::UNDEFINED)
    });
    TASKS.with(|tasks| {
        if let Some(task) = tasks.borrow_mut().get_mut(&id) {
            task.attempt = Some(attempt);
            task.cancelled = false;
        }
    });
}

crate::split::split_fn! {
    /// One attempt at an upload: the code that talks to the server and the storage is
    /// downloaded with the first file (`crate::split`).
    pub fn attempt(store: Store, id: UploadId) -> Pin<Box<dyn Future<Output = Result<Attachment, String>>>> {
        Box::pin(upload(store, id))
    }
    load attempt_load;
}

/// start → PUT → complete.
async fn upload(store: Store, id: UploadId) -> Result<Attachment, String> {
    let (chat_id, request) = store
        .uploads
        .with_untracked(|all| {
            all.get(&id).map(|u| {
                let request = StartUploadRequest {
                    filename: u.filename.clone(),
                    content_type: u.content_type.clone(),
                    size: u.size,
                };
                (u.chat_id, request)
            })
        })
        .ok_or_else(cancelled)?;
    let started = api::start_upload(chat_id, &request).await.map_err(|e| {
        store.signed_out_by(&e);
        e.message
    })?;
    put(store, id, &started.upload).await?;
    set_state(store, id, UploadState::Uploading { sent: request.size });
    api::complete_upload(chat_id, started.attachment.id).await.map_err(|e| {
        store.signed_out_by(&e);
        e.message
    })
}

/// Sends the file's bytes as the server signed them, reporting progress into the store.
async fn put(store: Store, id: UploadId, upload: &UploadInstructions) -> Result<(), String> {
    let file = TASKS.with(|t| t.borrow().get(&id).map(|t| t.file.clone())).ok_or_else(cancelled)?;
    let request = XmlHttpRequest::new().map_err(browser_error)?;
    request.open_with_async(&upload.method, &upload.url, true).map_err(browser_error)?;
    for (name, value) in &upload.headers {
        request.set_request_header(name, value).map_err(browser_error)?;
    }
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        set_state(store, id, UploadState::Uploading { sent: event.loaded() as u64 });
    });
    let progress_target = request.upload().map_err(browser_error)?;
    progress_target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    // `loadend` follows every ending: success, error, abort and timeout.
    let ended = Promise::new(&mut |resolve: Function, _reject: Function| {
        request.set_onloadend(Some(&resolve));
    });
    TASKS.with(|t| {
        if let Some(task) = t.borrow_mut().get_mut(&id) {
            task.request = Some(request.clone());
        }
    });
    request.send_with_opt_blob(Some(&file)).map_err(browser_error)?;
    let _ = JsFuture::from(ended).await;
    progress_target.set_onprogress(None);
    drop(on_progress);
    let live = TASKS.with(|t| {
        t.borrow_mut().get_mut(&id).map(|task| {
            task.request = None;
            !task.cancelled
        })
    });
    if live != Some(true) {
        return Err(cancelled());
    }
    match request.status().unwrap_or(0) {
        200..=299 => Ok(()),
        0 => Err("The connection was lost during the upload.".to_owned()),
        status => Err(storage_refusal(status, request.response_text().ok().flatten())),
    }
}

/// Our own store answers with the usual JSON error; an S3 store with XML.
fn storage_refusal(status: u16, body: Option<String>) -> String {
    body.and_then(|body| crate::api::decode::<ErrorBody>(&body).ok())
        .map(|body| body.error.message)
        .unwrap_or_else(|| format!("The storage refused the upload ({status})."))
}

fn set_state(store: Store, id: UploadId, state: UploadState) {
    store.uploads.try_update(|all| {
        if let Some(upload) = all.get_mut(&id) {
            upload.state = state;
        }
    });
}

fn cancelled() -> String {
    "Cancelled.".to_owned()
}

fn browser_error(error: JsValue) -> String {
    format!("The browser could not send the file: {error:?}")
}
