//! The reaction picker: the usual six at hand, and every emoji of Unicode's list —
//! the `emojis` crate's table, the same one the server checks reactions against —
//! searchable by name or shortcode. The list comes from the server (`GET /api/emoji`, no
//! CDN) when the picker opens: inside the app's bundle it would add 100 KB to every first
//! visit. Escape closes it (the message handles that key and gives focus back to its React
//! button).

use confab_shared::api::EmojiEntry;
use leptos::html;
use leptos::prelude::*;

use crate::api;

/// Offered first, without searching or waiting for the list: each with Unicode's name.
const QUICK_REACTIONS: [(&str, &str); 6] = [
    ("👍", "thumbs up"),
    ("❤️", "red heart"),
    ("😂", "face with tears of joy"),
    ("😮", "face with open mouth"),
    ("😢", "crying face"),
    ("🎉", "party popper"),
];
/// Results shown at once: enough to browse, few enough to render instantly.
const SHOWN_MAX: usize = 120;

crate::split::split_view! {
    /// The picker, split off from the first download (`crate::split`).
    pub fn emoji_picker_view(on_pick: Callback<String>, on_close: Callback<()>) -> AnyView {
        view! { <EmojiPicker on_pick=on_pick on_close=on_close /> }.into_any()
    }
    load emoji_picker_view_load;
}

#[component]
pub fn EmojiPicker(on_pick: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let list = LocalResource::new(api::emoji);
    let results = Memo::new(move |_| match &*list.read() {
        Some(Ok(all)) => Ok(matching(all, &query.get())),
        Some(Err(e)) => Err(format!("Could not load the emoji: {}", e.message)),
        None => Ok(Vec::new()),
    });
    let search = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            // Typing searches at once; a failed focus only means a click is needed.
            let _ = input.focus();
        }
    });
    let option = move |emoji: String, name: String| {
        let (picked, data_emoji, label) = (emoji.clone(), emoji.clone(), name.clone());
        view! {
            <button
                type="button"
                class="reaction-option"
                data-testid="reaction-option"
                data-emoji=data_emoji
                aria-label=label
                title=name
                on:click=move |_| on_pick.run(picked.clone())
            >
                {emoji}
            </button>
        }
    };
    view! {
        <div class="emoji-picker" data-testid="reaction-picker" role="dialog" aria-label="Pick a reaction">
            <div class="quick-reactions" role="group" aria-label="Frequent reactions">
                {QUICK_REACTIONS.map(|(emoji, name)| option(emoji.to_owned(), name.to_owned())).collect_view()}
            </div>
            <div class="emoji-search-row">
                <input
                    type="search"
                    node_ref=search
                    class="emoji-search"
                    data-testid="emoji-search"
                    placeholder="Search emoji"
                    aria-label="Search emoji"
                    autocomplete="off"
                    prop:value=query
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <button type="button" class="secondary small" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
            <div class="emoji-grid" role="group" aria-label="Emoji">
                <For each=move || results.get().unwrap_or_default() key=|(emoji, _)| emoji.clone() let:found>
                    {option(found.0, found.1)}
                </For>
            </div>
            {move || match (list.read().is_some(), results.get()) {
                (false, _) => Some(view! { <p class="hint">"Loading emoji…"</p> }.into_any()),
                (true, Err(message)) => Some(view! { <p class="hint" role="alert">{message}</p> }.into_any()),
                (true, Ok(found)) if found.is_empty() => Some(view! { <p class="hint">"No emoji matches."</p> }.into_any()),
                (true, Ok(_)) => None,
            }}
        </div>
    }
}

/// `(emoji, name)` of the entries whose name or a shortcode contains every word of
/// `query`, in the list's order.
fn matching(list: &[EmojiEntry], query: &str) -> Vec<(String, String)> {
    let words: Vec<String> = query.split_whitespace().map(crate::format::lowercase).collect();
    list.iter()
        .filter(|entry| {
            words.iter().all(|word| {
                entry.name.contains(word.as_str())
                    || entry.shortcodes.iter().any(|c| c.contains(word.as_str()))
            })
        })
        .take(SHOWN_MAX)
        .map(|entry| (entry.emoji.clone(), entry.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(emoji: &str, name: &str, shortcodes: &[&str]) -> EmojiEntry {
        EmojiEntry {
            emoji: emoji.into(),
            name: name.into(),
            shortcodes: shortcodes.iter().map(|&c| c.into()).collect(),
        }
    }

    #[test]
    fn search_matches_names_and_shortcodes() {
        let list = [entry("👍", "thumbs up", &["+1", "thumbsup"]), entry("🎉", "party popper", &["tada"])];
        assert_eq!(matching(&list, "thumbs UP"), [("👍".to_owned(), "thumbs up".to_owned())]);
        assert_eq!(matching(&list, "tada"), [("🎉".to_owned(), "party popper".to_owned())]);
        assert!(matching(&list, "no such emoji anywhere").is_empty());
        assert_eq!(matching(&list, "").len(), 2);
    }
}
