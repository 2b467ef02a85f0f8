//! One chat's messages in `seq` order, then this tab's pending sends. Loads older pages
//! at the top (keeping the scroll position) and follows new messages at the bottom.

use chrono::{DateTime, Utc};
use confab_shared::api::{Chat, User};
use confab_shared::{ChatId, ClientId};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::ResizeObserver;

use crate::format;
use crate::outbox;
use crate::store::{ChatMessages, SendState, Store};
use crate::ws::Realtime;

/// Scrolled within this many pixels of an edge counts as at that edge.
const EDGE_PX: i32 = 64;

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

/// Everything one message row shows; a row is rebuilt only when this changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    /// Stable from pending to sent: the row keeps its place when confirmed.
    client_id: ClientId,
    seq: Option<i64>,
    sender: String,
    mine: bool,
    body: String,
    deleted: bool,
    created_at: DateTime<Utc>,
    status: Status,
}

fn rows_of(entry: &ChatMessages, chat: Option<&Chat>, me: Option<&User>) -> Vec<Row> {
    let my_name = me.map(|user| user.display_name.clone()).unwrap_or_default();
    let me = me.map(|user| user.id);
    let sent = entry.by_seq.values().map(|m| Row {
        client_id: m.client_id,
        seq: Some(m.seq),
        sender: format::member_name(chat, m.sender_id),
        mine: Some(m.sender_id) == me,
        body: m.body.clone(),
        deleted: m.deleted,
        created_at: m.created_at,
        status: Status::Sent,
    });
    let pending = entry.pending.iter().map(|p| Row {
        client_id: p.client_id,
        seq: None,
        sender: my_name.clone(),
        mine: true,
        body: p.body.clone(),
        deleted: false,
        created_at: p.created_at,
        status: match &p.state {
            SendState::Sending => Status::Pending,
            SendState::Failed(reason) => Status::Failed(reason.clone()),
        },
    });
    sent.chain(pending).collect()
}

#[component]
pub fn MessageList(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    let rows = Memo::new(move |_| {
        let me = store.me();
        store.chats.with(|list| {
            let chat = list.get(chat_id);
            store
                .messages
                .with(|all| all.get(&chat_id).map(|e| rows_of(e, chat, me.as_ref())).unwrap_or_default())
        })
    });
    let page_state = Memo::new(move |_| {
        store
            .messages
            .with(|all| all.get(&chat_id).map(|e| (e.loaded, e.has_older, e.loading_older, e.error.clone())))
    });

    let list_ref = NodeRef::<html::Div>::new();
    let at_bottom = StoredValue::new(true);
    // (scroll height, scroll top) just before an older page was asked for.
    let anchor = StoredValue::new(None::<(i32, i32)>);

    let load_older = move || {
        let Some(el) = list_ref.get_untracked() else { return };
        if page_state.with_untracked(|s| matches!(s, Some((true, true, false, _)))) {
            anchor.set_value(Some((el.scroll_height(), el.scroll_top())));
            store.load_older(chat_id);
        }
    };
    let on_scroll = move |_| {
        let Some(el) = list_ref.get_untracked() else { return };
        at_bottom.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < EDGE_PX);
        if el.scroll_top() < EDGE_PX {
            load_older();
        }
    };

    // After the rows change: keep the view still when older messages were put on top,
    // follow new ones at the bottom when the reader was there (or just sent one).
    Effect::new(move |previous: Option<(Option<ClientId>, Option<ClientId>)>| {
        let (first, last, last_mine) = rows.with(|r| {
            (r.first().map(|r| r.client_id), r.last().map(|r| r.client_id), r.last().is_some_and(|r| r.mine))
        });
        let (previous_first, previous_last) = previous.unwrap_or_default();
        request_animation_frame(move || {
            let Some(el) = list_ref.get_untracked() else { return };
            if let Some((height, top)) = anchor.get_value()
                && first != previous_first
            {
                anchor.set_value(None);
                el.set_scroll_top(top + el.scroll_height() - height);
            } else if last != previous_last && (at_bottom.get_value() || last_mine) {
                el.set_scroll_top(el.scroll_height());
                at_bottom.set_value(true);
            }
        });
        (first, last)
    });

    // The list shrinks when the composer grows or an on-screen keyboard opens: stay at
    // the bottom if the reader was there.
    let observer = StoredValue::new_local(None::<(ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(el) = list_ref.get() else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let on_resize = Closure::<dyn FnMut()>::new(move || {
            if at_bottom.get_value()
                && let Some(el) = list_ref.get_untracked()
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
        <div
            class="message-list"
            data-testid="message-list"
            node_ref=list_ref
            on:scroll=on_scroll
            role="log"
            aria-live="polite"
            aria-relevant="additions"
            aria-label="Messages"
            tabindex="0"
        >
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
        </div>
    }
}

#[component]
fn MessageRow(chat_id: ChatId, row: Row) -> impl IntoView {
    let store = expect_context::<Store>();
    let realtime = expect_context::<Realtime>();
    let client_id = row.client_id;
    let failure = match &row.status {
        Status::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    view! {
        <article
            class="message"
            class:mine=row.mine
            data-testid="message"
            data-seq=row.seq.map(|seq| seq.to_string())
            data-status=row.status.as_str()
        >
            <header class="message-meta">
                <span class="sender">{row.sender}</span>
                <time datetime=row.created_at.to_rfc3339() title=format::full_time(row.created_at)>
                    {format::short_time(row.created_at)}
                </time>
                {(row.status == Status::Pending).then(|| view! { <span class="state">"Sending…"</span> })}
            </header>
            {if row.deleted {
                view! { <p class="message-body deleted" data-testid="message-body">"Message deleted"</p> }
                    .into_any()
            } else {
                view! { <p class="message-body" data-testid="message-body">{row.body}</p> }.into_any()
            }}
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
    }
}
