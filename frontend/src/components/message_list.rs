//! One chat's messages in `seq` order, then this tab's pending sends, read like a
//! conversation: a day separator where the day changes, one name and avatar per run of
//! messages from one person, a "New" divider where my unread messages start (the chat
//! opens there), and "Jump to latest" when scrolled up. Loads older pages at the top
//! (keeping the scroll position), follows new messages at the bottom, marks the chat read
//! while it is visible at the bottom, and offers edit, delete and reactions on the message
//! under the pointer or the keyboard (arrow keys move between messages). A message jumped
//! to (`Store::focus`: a search result, a quote) is brought into view, focused and
//! highlighted; in a window around it, newer pages load at the bottom.

use chrono::{DateTime, Utc};
use confab_shared::api::{Attachment, Chat, ChatKind, User};
use confab_shared::validate::MessageBody;
use confab_shared::ws::{ClientEvent, ServerEvent};
use confab_shared::{ChatId, ClientId, MessageId, UserId};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::ResizeObserver;

use crate::api;
use crate::components::attachments::{
    AttachmentList, LightboxState, UploadChip, lightbox_view, lightbox_view_load,
};
use crate::components::avatar::Avatar;
use crate::components::emoji_picker::{emoji_picker_view, emoji_picker_view_load};
use crate::format;
use crate::outbox;
use crate::store::{ChatMessages, Replying, SendState, Store};
use crate::uploads::UploadId;
use crate::ws::Realtime;

/// Scrolled within this many pixels of an edge counts as at that edge.
const EDGE_PX: i32 = 64;
/// Read receipts wait this long for the reader to settle.
const MARK_READ_DEBOUNCE_MS: u32 = 500;
/// Messages from one person this close together share one name and avatar.
const GROUP_WITHIN_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Status {
    Sent,
    Pending,
    Failed(String),
}

impl Status {
    fn as_str(&self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Pending => "pending",
            Status::Failed(_) => "failed",
        }
    }
}

/// The message a reply answers, as its quote shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Quote {
    seq: i64,
    sender: String,
    excerpt: Option<String>,
}

/// One emoji under a message: how many reacted and whether I did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Chip {
    emoji: String,
    count: usize,
    mine: bool,
}

/// Everything one message row shows; a row is rebuilt only when this changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    /// Stable from pending to sent: the row keeps its place when confirmed.
    client_id: ClientId,
    id: Option<MessageId>,
    seq: Option<i64>,
    sender_id: UserId,
    sender: String,
    mine: bool,
    /// Follows a message of the same person within minutes: no name or avatar again.
    grouped: bool,
    /// The first message of a day: the separator's label ("Today", "Monday 30 November").
    day: Option<String>,
    /// My unread messages start here: the "New" divider goes above it.
    unread_before: bool,
    /// A line the server wrote about the chat ("Alice added Bob"), not a message.
    system: Option<String>,
    /// What this message answers: who wrote it and its first words (or that it is gone).
    reply: Option<Quote>,
    body: String,
    /// Server-sanitised Markdown; empty for pending rows and tombstones.
    body_html: String,
    deleted: bool,
    edited: bool,
    created_at: DateTime<Utc>,
    status: Status,
    /// A sent message's files.
    attachments: Vec<Attachment>,
    /// A pending message's files, uploading or uploaded.
    uploads: Vec<UploadId>,
    chips: Vec<Chip>,
    can_edit: bool,
    can_delete: bool,
    can_react: bool,
    seen_by: Option<String>,
}

/// `unread_after`: my read position when the chat was opened (the "New" divider).
fn rows_of(
    entry: &ChatMessages,
    chat: Option<&Chat>,
    me: Option<&User>,
    unread_after: Option<i64>,
) -> Vec<Row> {
    let my_name = me.map(|user| user.display_name.clone()).unwrap_or_default();
    let my_id = me.map(|user| user.id);
    let me = my_id;
    let open = chat.is_some_and(|c| !c.closed);
    let owner = chat.is_some_and(|c| c.kind == ChatKind::Group && c.owner_id.is_some() && c.owner_id == me);
    let my_latest =
        entry.by_seq.values().rev().find(|m| Some(m.sender_id) == me && !m.deleted).map(|m| m.seq);
    let sent = entry.by_seq.values().map(|m| {
        let mine = Some(m.sender_id) == me;
        Row {
            client_id: m.client_id,
            id: Some(m.id),
            seq: Some(m.seq),
            sender_id: m.sender_id,
            sender: format::member_name(chat, m.sender_id),
            mine,
            grouped: false,
            day: None,
            unread_before: false,
            system: m.system.as_ref().map(|event| event.describe()),
            reply: m.reply_to.as_ref().map(|parent| Quote {
                seq: parent.seq,
                sender: format::member_name(chat, parent.sender_id),
                excerpt: (!parent.deleted).then(|| parent.excerpt.clone()),
            }),
            body: m.body.clone(),
            body_html: m.body_html.clone(),
            deleted: m.deleted,
            edited: m.edited_at.is_some() && !m.deleted,
            created_at: m.created_at,
            status: Status::Sent,
            attachments: m.attachments.clone(),
            uploads: Vec::new(),
            chips: m
                .reactions
                .iter()
                .filter(|r| !r.user_ids.is_empty())
                .map(|r| Chip {
                    emoji: r.emoji.clone(),
                    count: r.user_ids.len(),
                    mine: me.is_some_and(|me| r.user_ids.contains(&me)),
                })
                .collect(),
            can_edit: open && mine && !m.deleted && m.system.is_none(),
            can_delete: open && (mine || owner) && !m.deleted && m.system.is_none(),
            can_react: open && !m.deleted && m.system.is_none(),
            seen_by: (my_latest == Some(m.seq)).then(|| seen_by(chat, me, m.seq)).flatten(),
        }
    });
    let pending = entry.pending.iter().map(|p| Row {
        client_id: p.client_id,
        id: None,
        seq: None,
        sender_id: my_id.unwrap_or(UserId(uuid::Uuid::nil())),
        sender: my_name.clone(),
        mine: true,
        grouped: false,
        day: None,
        unread_before: false,
        system: None,
        reply: None,
        body: p.body.clone(),
        body_html: String::new(),
        deleted: false,
        edited: false,
        created_at: p.created_at,
        status: match &p.state {
            SendState::Sending => Status::Pending,
            SendState::Failed(reason) => Status::Failed(reason.clone()),
        },
        attachments: Vec::new(),
        uploads: p.uploads.clone(),
        chips: Vec::new(),
        can_edit: false,
        can_delete: false,
        can_react: false,
        seen_by: None,
    });
    let mut rows: Vec<Row> = sent.chain(pending).collect();
    mark_runs(&mut rows, unread_after);
    rows
}

/// Sets where days change, where my unread messages start, and which messages continue a
/// run of the same person's.
fn mark_runs(rows: &mut [Row], unread_after: Option<i64>) {
    let mut previous: Option<(UserId, DateTime<Utc>)> = None;
    let mut divider_placed = false;
    for row in rows.iter_mut() {
        let day = format::local_day(row.created_at);
        let new_day = previous.is_none_or(|(_, at)| format::local_day(at) != day);
        row.day = new_day.then(|| format::day_label(row.created_at));
        row.unread_before =
            !divider_placed && !row.mine && unread_after.zip(row.seq).is_some_and(|(read, seq)| seq > read);
        divider_placed |= row.unread_before;
        row.grouped = !new_day
            && !row.unread_before
            && row.system.is_none()
            && previous.is_some_and(|(sender, at)| {
                sender == row.sender_id && (row.created_at - at).num_minutes() < GROUP_WITHIN_MINUTES
            });
        // A system line ends a run: the next message shows its sender again.
        previous = match row.system {
            Some(_) => Some((UserId(uuid::Uuid::nil()), row.created_at)),
            None => Some((row.sender_id, row.created_at)),
        };
    }
}

/// "Seen by Alice", "Seen by Alice and Bob", "Seen by 4": the others whose read position
/// reached `seq`.
fn seen_by(chat: Option<&Chat>, me: Option<UserId>, seq: i64) -> Option<String> {
    let readers: Vec<&str> = chat?
        .members
        .iter()
        .filter(|m| Some(m.user.id) != me && m.last_read_seq >= seq)
        .map(|m| m.user.display_name.as_str())
        .collect();
    match readers.as_slice() {
        [] => None,
        [one] => Some(format!("Seen by {one}")),
        [one, two] => Some(format!("Seen by {one} and {two}")),
        many => Some(format!("Seen by {}", many.len())),
    }
}

/// Per-list UI state that must survive a row being rebuilt by a live event.
#[derive(Clone, Copy)]
struct RowUi {
    editing: RwSignal<Option<MessageId>>,
    edit_text: RwSignal<String>,
    picker: RwSignal<Option<MessageId>>,
    /// The message whose actions a touch on "⋯" opened (no hover on touch screens).
    menu: RwSignal<Option<ClientId>>,
    confirm_delete: RwSignal<Option<MessageId>>,
    error: RwSignal<Option<String>>,
}

#[component]
pub fn MessageList(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    // My read position as the chat opened: the "New" divider stays there while I read.
    let unread_after = RwSignal::new(None::<i64>);
    // The newest message I have seen at the bottom of the list; "N new" counts past it.
    let seen_seq = RwSignal::new(i64::MAX);
    let rows = Memo::new(move |_| {
        let me = store.me();
        let unread_after = unread_after.get();
        store.chats.with(|list| {
            let chat = list.get(chat_id);
            store.messages.with(|all| {
                all.get(&chat_id).map(|e| rows_of(e, chat, me.as_ref(), unread_after)).unwrap_or_default()
            })
        })
    });
    let page_state = Memo::new(move |_| {
        store
            .messages
            .with(|all| all.get(&chat_id).map(|e| (e.loaded, e.has_older, e.loading_older, e.error.clone())))
    });
    // (has_newer, loading_newer): a window around a message jumped to.
    let newer_state = Memo::new(move |_| {
        store
            .messages
            .with(|all| all.get(&chat_id).map_or((false, false), |e| (e.has_newer, e.loading_newer)))
    });
    let focus = Memo::new(move |_| store.focus.get().filter(|f| f.chat_id == chat_id).map(|f| f.seq));
    // The focus already brought into view: only once, the reader moves on from there.
    let focus_shown = StoredValue::new(None::<i64>);
    let loaded = move || page_state.with(|s| s.as_ref().is_some_and(|s| s.0));
    Effect::new(move |captured: Option<bool>| {
        if captured == Some(true) {
            return true;
        }
        let positions = store.chats.with(|list| list.get(chat_id).map(|c| (c.last_read_seq, c.last_seq)));
        match positions {
            Some((read, last)) if loaded() => {
                if last > read {
                    unread_after.set(Some(read));
                }
                seen_seq.set(read);
                true
            }
            _ => false,
        }
    });

    let realtime = expect_context::<Realtime>();
    let ui = RowUi {
        editing: RwSignal::new(None),
        edit_text: RwSignal::new(String::new()),
        picker: RwSignal::new(None),
        menu: RwSignal::new(None),
        confirm_delete: RwSignal::new(None),
        error: RwSignal::new(None),
    };
    provide_context(ui);
    let lightbox = LightboxState::new();
    provide_context(lightbox);

    let list_ref = NodeRef::<html::Div>::new();
    // Whether the reader is at the bottom: known once the first page is placed.
    let at_bottom = StoredValue::new(false);
    // The same, as a signal for the read receipts (set only when it flips).
    let bottom = RwSignal::new(false);
    // (scroll height, scroll top) just before an older page was asked for.
    let anchor = StoredValue::new(None::<(i32, i32)>);

    let load_older = move || {
        let Some(el) = list_ref.get_untracked() else { return };
        if page_state.with_untracked(|s| matches!(s, Some((true, true, false, _)))) {
            anchor.set_value(Some((el.scroll_height(), el.scroll_top())));
            store.load_older(chat_id);
        }
    };
    let note_position = move |el: &web_sys::HtmlDivElement| {
        let is_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < EDGE_PX;
        at_bottom.try_set_value(is_bottom);
        if bottom.try_get_untracked() != Some(is_bottom) {
            bottom.try_set(is_bottom);
        }
    };
    let load_newer = move || {
        if newer_state.get_untracked() == (true, false) {
            // The page lands below the reader, who stays where they are.
            at_bottom.set_value(false);
            store.load_newer(chat_id);
        }
    };
    let on_scroll = move |_| {
        let Some(el) = list_ref.get_untracked() else { return };
        note_position(&el);
        if el.scroll_top() < EDGE_PX {
            load_older();
        }
        if at_bottom.get_value() {
            load_newer();
        }
    };

    // After the rows change: bring a message jumped to into view; otherwise open at the
    // "New" divider (or the bottom) once the first page is in; then keep the view still
    // when older messages were put on top, and follow new ones at the bottom when the
    // reader was there (or just sent one).
    let positioned = StoredValue::new(false);
    Effect::new(move |previous: Option<(Option<ClientId>, Option<ClientId>)>| {
        let (first, last, last_mine) = rows.with(|r| {
            (r.first().map(|r| r.client_id), r.last().map(|r| r.client_id), r.last().is_some_and(|r| r.mine))
        });
        let focus = focus.get().filter(|seq| focus_shown.get_value() != Some(*seq));
        let (previous_first, previous_last) = previous.unwrap_or_default();
        // The frame may come after this list is gone (the chat closed, signed out): every
        // access below is a `try_`, which finds nothing then.
        let first_page = !positioned.get_value() && first.is_some() && loaded();
        if first_page {
            positioned.set_value(true);
        }
        request_animation_frame(move || {
            let Some(el) = list_ref.try_get_untracked().flatten() else { return };
            if let Some(seq) = focus
                && show_seq(&el, seq)
            {
                focus_shown.try_set_value(Some(seq));
                anchor.try_set_value(None);
                note_position(&el);
            } else if first_page {
                match el.query_selector("[data-testid=unread-divider]").ok().flatten() {
                    Some(divider) => divider.scroll_into_view_with_bool(true),
                    None => el.set_scroll_top(el.scroll_height()),
                }
                note_position(&el);
            } else if let Some((height, top)) = anchor.try_get_value().flatten()
                && first != previous_first
            {
                anchor.try_set_value(None);
                el.set_scroll_top(top + el.scroll_height() - height);
            } else if last != previous_last && (at_bottom.try_get_value() == Some(true) || last_mine) {
                el.set_scroll_top(el.scroll_height());
                at_bottom.try_set_value(true);
                if bottom.try_get_untracked() == Some(false) {
                    bottom.try_set(true);
                }
            }
        });
        (first, last)
    });

    // Read receipts: while the chat is visible and scrolled to the bottom, tell the server
    // how far I have read once the view settles, and only when that moves forward.
    let newest_seq =
        Memo::new(move |_| store.messages.with(|all| all.get(&chat_id).map_or(0, ChatMessages::last_seq)));
    let read_seq = Memo::new(move |_| store.chats.with(|list| list.get(chat_id).map(|c| c.last_read_seq)));
    let read_sent = StoredValue::new(0i64);
    let read_timer = StoredValue::new(0u64);
    Effect::new(move |_| {
        let target = newest_seq.get();
        let Some(read) = read_seq.get() else { return };
        if !store.visible.get() || !bottom.get() || target <= read || target <= read_sent.get_value() {
            return;
        }
        read_timer.update_value(|n| *n += 1);
        let timer = read_timer.get_value();
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(MARK_READ_DEBOUNCE_MS).await;
            if read_timer.try_get_value() != Some(timer) || target <= read_sent.get_value() {
                return;
            }
            read_sent.set_value(target);
            if let Some(me) = store.me() {
                store.apply(ServerEvent::Read { chat_id, user_id: me.id, seq: target });
            }
            if !realtime.send(&ClientEvent::MarkRead { chat_id, seq: target })
                && let Err(error) = api::mark_read(chat_id, target).await
            {
                store.signed_out_by(&error);
            }
        });
    });

    // "Jump to latest (N new)": what arrived from others since I was last at the bottom.
    Effect::new(move |_| {
        if bottom.get() {
            seen_seq.set(newest_seq.get());
        }
    });
    let new_below = Memo::new(move |_| {
        let seen = seen_seq.get();
        rows.with(|rows| rows.iter().filter(|r| !r.mine && r.seq.is_some_and(|seq| seq > seen)).count())
    });
    let jump_to_latest = move |_| {
        if newer_state.get_untracked().0 {
            // In a window around an older message: the newest page replaces it.
            at_bottom.set_value(true);
            store.show_latest(chat_id);
        } else if let Some(el) = list_ref.get_untracked() {
            let options = web_sys::ScrollToOptions::new();
            options.set_top(f64::from(el.scroll_height()));
            options.set_behavior(web_sys::ScrollBehavior::Smooth);
            el.scroll_to_with_scroll_to_options(&options);
        }
    };

    // Arrow keys move between messages; a focused message shows its actions, so Tab
    // reaches them without every message adding stops to the Tab order.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        let editing_text = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|t| matches!(t.tag_name().as_str(), "TEXTAREA" | "INPUT"));
        if editing_text || !matches!(key.as_str(), "ArrowUp" | "ArrowDown" | "Home" | "End") {
            return;
        }
        let Some(list) = list_ref.get_untracked() else { return };
        if let Some(row) = neighbour_row(&list, &key) {
            ev.prevent_default();
            // Focus scrolls the message into view.
            let _ = row.focus();
        }
    };

    // The list shrinks when the composer grows or an on-screen keyboard opens: stay at
    // the bottom if the reader was there.
    let observer = StoredValue::new_local(None::<(ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(el) = list_ref.get() else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let on_resize = Closure::<dyn FnMut()>::new(move || {
            if at_bottom.try_get_value() == Some(true)
                && let Some(el) = list_ref.try_get_untracked().flatten()
            {
                el.set_scroll_top(el.scroll_height());
            }
        });
        if let Ok(resize_observer) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            resize_observer.observe(&el);
            observer.set_value(Some((resize_observer, on_resize)));
        }
    });
    on_cleanup(move || {
        if let Some(Some((resize_observer, _))) = observer.try_update_value(Option::take) {
            resize_observer.disconnect();
        }
    });

    view! {
        <div class="message-pane">
        <div
            class="message-list"
            data-testid="message-list"
            node_ref=list_ref
            on:scroll=on_scroll
            on:keydown=on_keydown
            role="log"
            aria-live="polite"
            aria-relevant="additions"
            aria-label="Messages"
            aria-describedby="message-list-keys"
            tabindex="0"
        >
            <p id="message-list-keys" class="visually-hidden">
                "Arrow keys move between messages; Tab reaches the focused message's actions."
            </p>
            {move || {
                page_state
                    .get()
                    .map(|(loaded, has_older, loading_older, error)| {
                        view! {
                            <div class="history-edge">
                                {error.map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                                {(!loaded).then(|| view! { <p class="hint">"Loading messages…"</p> })}
                                {(loaded && has_older)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="link"
                                                disabled=loading_older
                                                on:click=move |_| load_older()
                                            >
                                                {if loading_older { "Loading…" } else { "Load older messages" }}
                                            </button>
                                        }
                                    })}
                                {(loaded && !has_older)
                                    .then(|| view! { <p class="hint">"This is the start of the conversation."</p> })}
                            </div>
                        }
                    })
            }}
            <For each=move || rows.get() key=|row| row.clone() let:row>
                <MessageRow chat_id=chat_id row=row />
            </For>
            <Show when=move || newer_state.get().0>
                <div class="history-edge newer">
                    <button
                        type="button"
                        class="link"
                        data-testid="load-newer"
                        disabled=move || newer_state.get().1
                        on:click=move |_| load_newer()
                    >
                        {move || if newer_state.get().1 { "Loading…" } else { "Load newer messages" }}
                    </button>
                </div>
            </Show>
            <Show when=move || ui.error.read().is_some()>
                <p class="form-error action-error" role="alert" data-testid="message-action-error">
                    {move || ui.error.get().unwrap_or_default()}
                    <button type="button" class="link" on:click=move |_| ui.error.set(None)>"Dismiss"</button>
                </p>
            </Show>
        </div>
        <Show when=move || !bottom.get()>
            <button type="button" class="jump-latest" data-testid="jump-to-latest" on:click=jump_to_latest>
                {move || match new_below.get() {
                    0 => "Jump to latest ↓".to_owned(),
                    n => format!("Jump to latest ({n} new) ↓"),
                }}
            </button>
        </Show>
        </div>
        <Show when=move || lightbox.is_open()>
            {crate::split::deferred(lightbox_view_load, lightbox_view)}
        </Show>
    }
}

/// The message row above or below the focused one (or the newest, from the list itself).
fn neighbour_row(list: &web_sys::HtmlDivElement, key: &str) -> Option<web_sys::HtmlElement> {
    let rows = list.query_selector_all("article.message").ok()?;
    let count = rows.length();
    let last = count.checked_sub(1)?;
    let focused = web_sys::window()?.document()?.active_element();
    let current = (0..count).find(|i| {
        rows.get(*i)
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
            .zip(focused.as_ref())
            .is_some_and(|(row, focused)| row.contains(Some(focused)))
    });
    let next = match (key, current) {
        ("ArrowUp", Some(i)) => i.saturating_sub(1),
        ("ArrowDown", Some(i)) => (i + 1).min(last),
        ("Home", _) => 0,
        _ => last,
    };
    rows.get(next)?.dyn_into::<web_sys::HtmlElement>().ok()
}

#[component]
fn MessageRow(chat_id: ChatId, row: Row) -> impl IntoView {
    let store = expect_context::<Store>();
    let realtime = expect_context::<Realtime>();
    let ui = expect_context::<RowUi>();
    let client_id = row.client_id;
    let failure = match &row.status {
        Status::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    let id = row.id;
    let editing = move || id.is_some() && ui.editing.get() == id;
    let seq = row.seq;
    let focused = move || {
        seq.is_some() && store.focus.get().is_some_and(|f| f.chat_id == chat_id && Some(f.seq) == seq)
    };

    let save_edit = move || {
        let Some(message_id) = id else { return };
        let body = match MessageBody::parse(&ui.edit_text.get_untracked()) {
            Ok(body) => body.into_inner(),
            Err(e) => {
                ui.error.set(Some(format!("Not saved: {e}")));
                return;
            }
        };
        ui.editing.set(None);
        spawn_local(async move {
            match api::edit_message(chat_id, message_id, body).await {
                Ok(message) => {
                    let follow_ups = store.apply(ServerEvent::MessageUpdated { message });
                    store.run(follow_ups);
                }
                Err(e) if !store.signed_out_by(&e) => {
                    ui.error.try_set(Some(format!("Could not edit the message: {}", e.message)));
                }
                Err(_) => {}
            }
        });
    };
    let delete = move || {
        let Some(message_id) = id else { return };
        ui.confirm_delete.set(None);
        spawn_local(async move {
            match api::delete_message(chat_id, message_id).await {
                Ok(()) => {
                    let follow_ups =
                        store.apply(ServerEvent::MessageDeleted { chat_id, message_id, change_seq: 0 });
                    store.run(follow_ups);
                }
                Err(e) if !store.signed_out_by(&e) => {
                    ui.error.try_set(Some(format!("Could not delete the message: {}", e.message)));
                }
                Err(_) => {}
            }
        });
    };
    // The emoji comes from the picker's list or an existing reaction; the server checks it
    // (the table is not in the app's bundle: `emoji_picker`).
    let react = move |emoji: String| {
        let Some(message_id) = id else { return };
        ui.picker.set(None);
        spawn_local(async move {
            match api::toggle_reaction(chat_id, message_id, emoji).await {
                Ok(reactions) => store.replace_reactions(chat_id, message_id, reactions),
                Err(e) if !store.signed_out_by(&e) => {
                    ui.error.try_set(Some(format!("Could not react: {}", e.message)));
                }
                Err(_) => {}
            }
        });
    };

    let (deleted, body_html, body_text) = (row.deleted, row.body_html.clone(), row.body.clone());
    let body_view = move || {
        if deleted {
            view! { <p class="message-body deleted" data-testid="message-deleted">"Message deleted"</p> }
                .into_any()
        } else if body_text.is_empty() {
            // Only files: no text to show.
            ().into_any()
        } else if !body_html.is_empty() {
            // Only `body_html` is ever inserted as HTML: the server rendered and sanitised it.
            view! {
                <div class="message-body markdown" data-testid="message-body" inner_html=body_html.clone()></div>
            }
            .into_any()
        } else {
            view! { <p class="message-body" data-testid="message-body">{body_text.clone()}</p> }.into_any()
        }
    };
    let body_or_editor = move || {
        if editing() {
            view! {
                <div class="message-editor">
                    <textarea
                        class="edit-input"
                        data-testid="message-edit-input"
                        aria-label="Edit message"
                        prop:value=ui.edit_text
                        on:input=move |ev| ui.edit_text.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                ev.prevent_default();
                                save_edit();
                            } else if ev.key() == "Escape" {
                                ev.prevent_default();
                                ui.editing.set(None);
                            }
                        }
                        autofocus
                    ></textarea>
                    <p class="hint">"Enter to save · Esc to cancel"</p>
                </div>
            }
            .into_any()
        } else {
            body_view()
        }
    };

    let react_button = NodeRef::<html::Button>::new();
    let close_picker = move || {
        ui.picker.set(None);
        if let Some(button) = react_button.get_untracked() {
            // Back to where the picker was opened from.
            let _ = button.focus();
        }
    };
    let reply_target = (row.can_react && row.id.is_some()).then(|| Replying {
        message_id: row.id.unwrap_or(MessageId(uuid::Uuid::nil())),
        sender: row.sender.clone(),
        excerpt: format::plain_text(&row.body_html).chars().take(100).collect(),
    });
    let has_actions = row.can_react || row.can_edit || row.can_delete;
    let actions = has_actions.then(move || {
        let body = row.body.clone();
        let (can_edit, can_delete, can_react) = (row.can_edit, row.can_delete, row.can_react);
        view! {
            <div class="message-actions" data-testid="message-actions" role="toolbar" aria-label="Message actions">
                {can_react
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="icon"
                                data-testid="message-react"
                                node_ref=react_button
                                aria-label="React"
                                title="React"
                                aria-haspopup="dialog"
                                aria-expanded=move || (ui.picker.get() == id && id.is_some()).to_string()
                                on:click=move |_| ui.picker.update(|p| *p = if *p == id { None } else { id })
                            >
                                "☺+"
                            </button>
                        }
                    })}
                {reply_target
                    .map(|target| {
                        view! {
                            <button
                                type="button"
                                class="icon"
                                data-testid="message-reply"
                                on:click=move |_| {
                                    store.replying.update(|r| {
                                        r.insert(chat_id, target.clone());
                                    });
                                    focus_composer();
                                }
                            >
                                "Reply"
                            </button>
                        }
                    })}
                {can_edit
                    .then(|| {
                        let body = body.clone();
                        view! {
                            <button
                                type="button"
                                class="icon"
                                data-testid="message-edit"
                                on:click=move |_| {
                                    ui.edit_text.set(body.clone());
                                    ui.editing.set(id);
                                }
                            >
                                "Edit"
                            </button>
                        }
                    })}
                {can_delete
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="icon danger"
                                data-testid="message-delete"
                                on:click=move |_| ui.confirm_delete.set(id)
                            >
                                "Delete"
                            </button>
                        }
                    })}
            </div>
        }
    });
    let time_title = format!("{} ({})", format::full_time(row.created_at), format::ago(row.created_at));
    let separators = view! {
        {row
            .day
            .clone()
            .map(|label| {
                view! {
                    <div class="day-separator" role="separator" data-testid="day-separator">
                        <span>{label}</span>
                    </div>
                }
            })}
        {row
            .unread_before
            .then(|| {
                view! {
                    <div class="unread-divider" role="separator" data-testid="unread-divider" aria-label="New messages">
                        <span>"New"</span>
                    </div>
                }
            })}
    };
    if let Some(text) = row.system.clone() {
        return view! {
            {separators}
            <p class="system-message" data-testid="system-message" data-seq=row.seq.map(|seq| seq.to_string()) role="note">
                {text}
                " · "
                <time datetime=row.created_at.to_rfc3339() title=time_title>
                    {format::short_time(row.created_at)}
                </time>
            </p>
        }
        .into_any();
    }
    let quote = row.reply.clone().map(|quote| {
        let seq = quote.seq;
        let text = quote.excerpt.clone().unwrap_or_else(|| "message deleted".to_owned());
        view! {
            <button
                type="button"
                class="reply-quote"
                data-testid="reply-quote"
                title="Show the message this answers"
                on:click=move |_| {
                    spawn_local(async move {
                        if let Err(e) = store.show_message(chat_id, seq).await
                            && !store.signed_out_by(&e)
                        {
                            ui.error.try_set(Some(format!("Could not show that message: {}", e.message)));
                        }
                    });
                }
            >
                <span class="quote-sender">{quote.sender}</span>
                " "
                <span class="quote-text" class:deleted=quote.excerpt.is_none()>{text}</span>
            </button>
        }
    });

    let sender_id = row.sender_id;
    let sender = row.sender.clone();

    view! {
        {separators}
        <div class="message-row" class:mine=row.mine class:grouped=row.grouped>
            {(!row.mine && !row.grouped).then(|| view! { <Avatar user_id=sender_id name=sender.clone() /> })}
            <article
                class="message"
                class:mine=row.mine
                class:grouped=row.grouped
                class:menu-open=move || ui.menu.get() == Some(client_id)
                class:is-deleted=row.deleted
                class:focused=focused
                data-testid="message"
                data-seq=row.seq.map(|seq| seq.to_string())
                data-status=row.status.as_str()
                data-message-id=row.id.map(|id| id.to_string())
                tabindex="-1"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" && ui.picker.get_untracked().is_some() && ui.picker.get_untracked() == id {
                        ev.prevent_default();
                        close_picker();
                    }
                }
            >
                <header class="message-meta">
                    <span class="sender" class:visually-hidden=row.grouped>{row.sender}</span>
                    <time datetime=row.created_at.to_rfc3339() title=time_title>
                        {format::short_time(row.created_at)}
                    </time>
                    {row.edited.then(|| view! { <span class="edited" data-testid="message-edited">"(edited)"</span> })}
                    {(row.status == Status::Pending).then(|| view! { <span class="state">"Sending…"</span> })}
                    {has_actions
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="icon more"
                                    data-testid="message-more"
                                    aria-label="Message actions"
                                    aria-expanded=move || (ui.menu.get() == Some(client_id)).to_string()
                                    on:click=move |_| {
                                        ui.menu.update(|m| *m = if *m == Some(client_id) { None } else { Some(client_id) })
                                    }
                                >
                                    "⋯"
                                </button>
                            }
                        })}
                    {actions}
                </header>
                {quote}
                {body_or_editor}
                {(!row.attachments.is_empty()).then(|| view! { <AttachmentList attachments=row.attachments /> })}
                {(!row.uploads.is_empty())
                    .then(|| {
                        view! {
                            <div class="uploads">
                                {row.uploads.into_iter().map(|id| view! { <UploadChip id=id /> }).collect_view()}
                            </div>
                        }
                    })}
                <Show when=move || id.is_some() && ui.confirm_delete.get() == id>
                    <p class="confirm-delete" role="alert">
                        "Delete this message for everyone? "
                        <button
                            type="button"
                            class="danger small"
                            data-testid="message-delete-confirm"
                            on:click=move |_| delete()
                        >
                            "Delete"
                        </button>
                        <button type="button" class="secondary small" on:click=move |_| ui.confirm_delete.set(None)>
                            "Cancel"
                        </button>
                    </p>
                </Show>
                <Show when=move || id.is_some() && ui.picker.get() == id>
                    {
                        let on_pick = Callback::new(move |emoji: String| react(emoji));
                        let on_close = Callback::new(move |()| close_picker());
                        crate::split::deferred(emoji_picker_view_load, move || emoji_picker_view(on_pick, on_close))
                    }
                </Show>
                {(!row.chips.is_empty())
                    .then(|| {
                        view! {
                            <div class="reactions">
                                {row
                                    .chips
                                    .into_iter()
                                    .map(|chip| {
                                        let emoji = chip.emoji.clone();
                                        let attr = chip.emoji.clone();
                                        let label = format!(
                                            "{} {}{}",
                                            chip.emoji,
                                            chip.count,
                                            if chip.mine { ", including you" } else { "" },
                                        );
                                        view! {
                                            <button
                                                type="button"
                                                class="reaction-chip"
                                                class:mine=chip.mine
                                                data-testid="reaction-chip"
                                                data-emoji=attr
                                                data-mine=chip.mine.to_string()
                                                aria-pressed=chip.mine.to_string()
                                                aria-label=label
                                                disabled=!row.can_react
                                                on:click=move |_| react(emoji.clone())
                                            >
                                                <span class="emoji">{chip.emoji}</span>
                                                " "
                                                <span class="count">{chip.count}</span>
                                            </button>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })}
                {row.seen_by.map(|text| view! { <p class="seen-by" data-testid="seen-by">{text}</p> })}
                {failure
                    .map(|reason| {
                        view! {
                            <p class="message-failed">
                                <span>"Not sent: " {reason}</span>
                                <button
                                    type="button"
                                    class="secondary small"
                                    data-testid="message-retry"
                                    on:click=move |_| outbox::retry(store, realtime, chat_id, client_id)
                                >
                                    "Retry"
                                </button>
                            </p>
                        }
                    })}
            </article>
        </div>
    }
    .into_any()
}

/// Brings the row of message `seq` to the middle of the list and focuses it (its actions
/// are then a Tab away); false when it is not on the list.
fn show_seq(list: &web_sys::HtmlDivElement, seq: i64) -> bool {
    let selector = format!("article.message[data-seq=\"{seq}\"]");
    let Some(row) = list
        .query_selector(&selector)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    let _ = row.focus();
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Center);
    row.scroll_into_view_with_scroll_into_view_options(&options);
    true
}

/// Puts the cursor in the composer (after choosing what to reply to).
fn focus_composer() {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("composer-input"))
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(input) = input {
        let _ = input.focus();
    }
}
