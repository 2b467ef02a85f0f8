//! Message search in the sidebar: a search box, then the messages of my chats that match
//! (or, ticking "In this chat only", of the open chat), newest first, a page at a time. A
//! result opens its chat at that message, in context (`Store::show_message`), where the
//! message list brings it into view and highlights it. The box is part of the first
//! download; the results, and the code that fetches them, come with the first search
//! (`crate::split`).

use confab_shared::api::SearchHit;
use confab_shared::limits::SEARCH_QUERY_MAX;
use confab_shared::validate::SearchText;
use confab_shared::{ApiError, ChatId, MessageId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format;
use crate::route::use_router;
use crate::store::Store;

/// The results of one search so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Found {
    query: String,
    /// The one chat searched, if the search was limited to one.
    chat: Option<ChatId>,
    hits: Vec<SearchHit>,
    /// Where the next page starts; `None` once every result is here.
    next_before: Option<String>,
}

/// What one result shows; a row is rebuilt only when this changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    id: MessageId,
    hit_index: usize,
    chat: String,
    sender: String,
    time: String,
    full_time: String,
    /// HTML from the server: the body escaped, the matches in `<mark>`.
    snippet: String,
}

/// One submitted search: what, where, and a number that tells a search submitted again
/// from the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    query: String,
    /// The one chat searched, if the search is limited to one.
    chat: Option<ChatId>,
    attempt: u64,
}

#[component]
pub fn MessageSearch() -> impl IntoView {
    let store = expect_context::<Store>();
    let text = RwSignal::new(String::new());
    let search = RwSignal::new(None::<Search>);
    let error = RwSignal::new(None::<String>);
    let this_chat_only = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match SearchText::parse(&text.get_untracked()) {
            Ok(query) => {
                error.set(None);
                let chat =
                    if this_chat_only.get_untracked() { store.open_chat.get_untracked() } else { None };
                let attempt = search.with_untracked(|s| s.as_ref().map_or(0, |s| s.attempt + 1));
                search.set(Some(Search { query: query.as_str().to_owned(), chat, attempt }));
            }
            Err(e) => {
                search.set(None);
                error.set(Some(e.to_string()));
            }
        }
    };
    let close = move || {
        text.set(String::new());
        search.set(None);
        error.set(None);
    };
    let on_close = Callback::new(move |()| close());

    view! {
        <div class="message-search">
            <form role="search" class="search-form" on:submit=submit>
                <input
                    type="search"
                    data-testid="search-input"
                    placeholder="Search messages"
                    aria-label="Search messages"
                    maxlength=SEARCH_QUERY_MAX.to_string()
                    prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            close();
                        }
                    }
                />
                // The choice appears once there is something to search for, and a chat to limit it to.
                <Show when=move || store.open_chat.read().is_some() && text.with(|t| !t.trim().is_empty())>
                    <label class="search-scope">
                        <input
                            type="checkbox"
                            data-testid="search-this-chat"
                            prop:checked=this_chat_only
                            on:change=move |ev| this_chat_only.set(event_target_checked(&ev))
                        />
                        " In this chat only"
                    </label>
                </Show>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            // The results, and the code that fetches and shows them, are downloaded with the
            // first search (`crate::split`).
            <Show when=move || search.read().is_some()>
                {crate::split::deferred(search_results_view_load, move || search_results_view(search, on_close))}
            </Show>
        </div>
    }
}

crate::split::split_view! {
    /// The results, split off from the first download (`crate::split`).
    pub fn search_results_view(search: RwSignal<Option<Search>>, on_close: Callback<()>) -> AnyView {
        view! { <SearchResults search=search on_close=on_close /> }.into_any()
    }
    load search_results_view_load;
}

/// The results of the search in `search`, newest first, a page at a time; fetched again
/// whenever another search is submitted.
#[component]
fn SearchResults(search: RwSignal<Option<Search>>, on_close: Callback<()>) -> impl IntoView {
    let store = expect_context::<Store>();
    let router = use_router();
    let found = RwSignal::new(None::<Found>);
    // The effect below fetches the first page as soon as this is on screen.
    let loading = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    // Only the answer to the latest request may change the results.
    let latest = StoredValue::new(0u64);

    let fetch = move |query: String, chat: Option<ChatId>, before: Option<String>| {
        latest.update_value(|n| *n += 1);
        let request = latest.get_value();
        loading.set(true);
        error.set(None);
        spawn_local(async move {
            let page = api::search(&query, chat, before.as_deref()).await;
            if latest.try_get_value() != Some(request) {
                return;
            }
            loading.try_set(false);
            match page {
                Ok(page) => {
                    found.try_update(|found| {
                        let found = found.get_or_insert_with(|| Found { query, chat, ..Found::default() });
                        found.hits.extend(page.results);
                        found.next_before = page.next_before;
                    });
                }
                Err(e) => fail(store, error, &e),
            }
        });
    };
    // Each submitted search starts over.
    Effect::new(move |_| {
        if let Some(Search { query, chat, .. }) = search.get() {
            found.set(None);
            fetch(query, chat, None);
        }
    });
    let load_more = move |_| {
        let next = found.with_untracked(|f| {
            f.as_ref().and_then(|f| Some((f.query.clone(), f.chat, f.next_before.clone()?)))
        });
        if let Some((query, chat, before)) = next {
            fetch(query, chat, Some(before));
        }
    };
    // Closing drops any answer still on its way.
    let close = move || {
        latest.update_value(|n| *n += 1);
        on_close.run(());
    };

    let rows = Memo::new(move |_| {
        let me = store.me().map(|u| u.id);
        found.with(|found| {
            let Some(found) = found else { return Vec::new() };
            store.chats.with(|list| {
                found
                    .hits
                    .iter()
                    .enumerate()
                    .map(|(hit_index, hit)| {
                        let chat = list.get(hit.chat_id);
                        Row {
                            id: hit.message.id,
                            hit_index,
                            chat: chat.map(|c| format::chat_name(c, me)).unwrap_or_default(),
                            sender: format::member_name(chat, hit.message.sender_id),
                            time: format::short_time(hit.message.created_at),
                            full_time: format::full_time(hit.message.created_at),
                            snippet: hit.snippet.clone(),
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let open = Callback::new(move |hit_index: usize| {
        let Some(hit) = found.with_untracked(|f| f.as_ref().and_then(|f| f.hits.get(hit_index).cloned()))
        else {
            return;
        };
        spawn_local(async move {
            match store.show_message(hit.chat_id, hit.message.seq).await {
                Ok(()) => router.navigate(&format!("/chats/{}", hit.chat_id)),
                Err(e) => fail(store, error, &e),
            }
        });
    });
    let summary = move || {
        let me = store.me().map(|u| u.id);
        found.with(|found| {
            let found = found.as_ref()?;
            let place = found
                .chat
                .and_then(|id| {
                    store.chats.with(|list| list.get(id).map(|c| format!(" in {}", format::chat_name(c, me))))
                })
                .unwrap_or_default();
            let query = &found.query;
            Some(match (found.hits.len(), found.next_before.is_some()) {
                (0, _) => format!("No messages{place} match “{query}”."),
                (1, false) => format!("1 message{place} matches “{query}”."),
                (n, false) => format!("{n} messages{place} match “{query}”."),
                (n, true) => format!("The newest {n} messages{place} matching “{query}”."),
            })
        })
    };

    view! {
        <section class="search-results" aria-label="Search results" data-testid="search-results">
            <header class="search-results-header">
                <p class="hint" role="status">
                    {move || if loading.get() { Some("Searching…".to_owned()) } else { summary() }}
                </p>
                <button type="button" class="link" data-testid="search-close" on:click=move |_| close()>
                    "Close"
                </button>
            </header>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <ul class="search-hits">
                <For each=move || rows.get() key=|row| row.clone() let:row>
                    <SearchResult row=row on_open=open />
                </For>
            </ul>
            <Show when=move || found.with(|f| f.as_ref().is_some_and(|f| f.next_before.is_some()))>
                <button
                    type="button"
                    class="secondary small"
                    data-testid="search-more"
                    disabled=move || loading.get()
                    on:click=load_more
                >
                    "Load more"
                </button>
            </Show>
        </section>
    }
}

#[component]
fn SearchResult(row: Row, on_open: Callback<usize>) -> impl IntoView {
    let hit_index = row.hit_index;
    view! {
        <li>
            <button
                type="button"
                class="search-hit"
                data-testid="search-result"
                data-message-id=row.id.to_string()
                on:click=move |_| on_open.run(hit_index)
            >
                <span class="search-hit-top">
                    <span class="search-hit-chat">{row.chat}</span>
                    <time title=row.full_time>{row.time}</time>
                </span>
                <span class="search-hit-sender">{row.sender}</span>
                // Only the snippet is inserted as HTML: the server escaped the body and marked
                // the matches with bare `<mark>` tags, and nothing else survives its sanitiser.
                <span class="search-hit-snippet" data-testid="search-snippet" inner_html=row.snippet></span>
            </button>
        </li>
    }
}

/// Shows what went wrong, unless the session is gone (then the app signs out).
fn fail(store: Store, error: RwSignal<Option<String>>, e: &ApiError) {
    if !store.signed_out_by(e) {
        error.try_set(Some(e.message.clone()));
    }
}
