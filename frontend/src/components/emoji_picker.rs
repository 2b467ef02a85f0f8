//! The reaction picker: the usual six at hand, and every emoji of Unicode's list —
//! the `emojis` crate's table, the same one the server checks reactions against, shipped
//! inside the app (no CDN) — searchable by name or shortcode. Escape closes it (the
//! message handles that key and gives focus back to its React button).

use leptos::html;
use leptos::prelude::*;

/// Offered first, without searching.
const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];
/// Results shown at once: enough to browse, few enough to render instantly.
const SHOWN_MAX: usize = 120;

#[component]
pub fn EmojiPicker(on_pick: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let results = Memo::new(move |_| matching(&query.get()));
    let search = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            // Typing searches at once; a failed focus only means a click is needed.
            let _ = input.focus();
        }
    });
    let option = move |emoji: &'static str, name: &'static str| {
        view! {
            <button
                type="button"
                class="reaction-option"
                data-testid="reaction-option"
                data-emoji=emoji
                aria-label=name
                title=name
                on:click=move |_| on_pick.run(emoji.to_owned())
            >
                {emoji}
            </button>
        }
    };
    view! {
        <div class="emoji-picker" data-testid="reaction-picker" role="dialog" aria-label="Pick a reaction">
            <div class="quick-reactions" role="group" aria-label="Frequent reactions">
                {QUICK_REACTIONS
                    .iter()
                    .filter_map(|emoji| emojis::get(emoji))
                    .map(|emoji| option(emoji.as_str(), emoji.name()))
                    .collect_view()}
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
                <For each=move || results.get() key=|(emoji, _)| *emoji let:found>
                    {option(found.0, found.1)}
                </For>
            </div>
            <Show when=move || results.with(Vec::is_empty)>
                <p class="hint">"No emoji matches."</p>
            </Show>
        </div>
    }
}

/// Emoji whose name or shortcode contains every word of `query`, in Unicode's order.
fn matching(query: &str) -> Vec<(&'static str, &'static str)> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    emojis::iter()
        .filter(|emoji| {
            words.iter().all(|word| {
                emoji.name().contains(word.as_str()) || emoji.shortcodes().any(|c| c.contains(word.as_str()))
            })
        })
        .take(SHOWN_MAX)
        .map(|emoji| (emoji.as_str(), emoji.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_matches_names_and_shortcodes() {
        let found = matching("thumbs up");
        assert!(found.iter().any(|(emoji, _)| *emoji == "👍"), "{found:?}");
        assert!(matching("tada").iter().any(|(emoji, _)| *emoji == "🎉"));
        assert!(matching("no such emoji anywhere").is_empty());
        assert_eq!(matching("").len(), SHOWN_MAX);
    }
}
