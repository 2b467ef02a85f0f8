//! Completing `@username` in the composer: while the caret sits right after `@` and part
//! of a name ([`confab_shared::mentions::typing_at`], the same reading the server uses),
//! a list of the chat's members who match sits above the field. It follows the ARIA
//! combobox pattern as far as a textarea may (HTML allows it no `combobox` role): focus
//! stays in the textarea, which names the list (`aria-controls`) and its highlighted
//! option (`aria-activedescendant`); ↑/↓ move, Enter or Tab picks, Escape dismisses, a
//! click picks.

use confab_shared::UserId;
use confab_shared::api::User;
use confab_shared::mentions;
use leptos::prelude::*;

use crate::components::avatar::Avatar;
use crate::format::lowercase;

/// The most people the list shows: the rest are one more letter away.
const SHOWN_MAX: usize = 8;

/// The id of the list, for the textarea's `aria-controls`.
pub const LIST_ID: &str = "mention-options";

/// The mention being typed: where its `@` is (a byte offset into the text) and what
/// follows it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    pub at: usize,
    pub typed: String,
}

/// The mention being typed in `text` with the caret at `caret_utf16`, the position a
/// textarea's `selectionStart` gives (in UTF-16 code units, not bytes).
pub fn typing(text: &str, caret_utf16: u32) -> Option<Typing> {
    let caret = byte_offset(text, caret_utf16)?;
    mentions::typing_at(text, caret).map(|(at, typed)| Typing { at, typed: typed.to_owned() })
}

/// The members to offer for `typed`, best first: those whose username starts with it,
/// then those with a word of their display name starting with it. Never me.
pub fn suggestions(members: &[User], me: Option<UserId>, typed: &str) -> Vec<User> {
    let typed = lowercase(typed);
    let others = || members.iter().filter(|user| Some(user.id) != me);
    let by_username = others().filter(|user| lowercase(&user.username).starts_with(&typed));
    let by_name = others().filter(|user| {
        !lowercase(&user.username).starts_with(&typed)
            && user.display_name.split_whitespace().any(|word| lowercase(word).starts_with(&typed))
    });
    by_username.chain(by_name).take(SHOWN_MAX).cloned().collect()
}

/// `text` with the mention being typed (from `at` to the caret) replaced by the whole
/// `@username`, and the caret's new place in UTF-16 code units. A space follows unless
/// what comes next already ends the name (a space or punctuation).
pub fn complete(text: &str, typing: &Typing, username: &str) -> (String, u32) {
    let end = typing.at + 1 + typing.typed.len();
    let rest = &text[end..];
    let space = rest.chars().next().is_none_or(|c| c.is_alphanumeric() || c == '_');
    let before = format!("{}@{username}{}", &text[..typing.at], if space { " " } else { "" });
    let caret = before.encode_utf16().count();
    (format!("{before}{}", &text[end..]), u32::try_from(caret).unwrap_or(u32::MAX))
}

/// The byte offset of the `utf16`-th UTF-16 code unit of `text`, if it falls on a
/// character boundary within it.
fn byte_offset(text: &str, utf16: u32) -> Option<usize> {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units == utf16 {
            return Some(byte);
        }
        units += u32::try_from(c.len_utf16()).ok()?;
    }
    (units == utf16).then_some(text.len())
}

/// The id of option `i`, for `aria-activedescendant`.
pub fn option_id(i: usize) -> String {
    format!("mention-option-{i}")
}

crate::split::split_view! {
    /// The list, split off from the first download (`crate::split`).
    pub fn mention_options_view(options: Memo<Vec<User>>, active: RwSignal<usize>, on_pick: Callback<User>) -> AnyView {
        view! { <MentionOptions options=options active=active on_pick=move |user| on_pick.run(user) /> }.into_any()
    }
    load mention_options_view_load;
}

/// The list of people to mention. `options` are the matches, `active` the highlighted one;
/// `on_pick` gets the chosen person.
#[component]
pub fn MentionOptions(
    options: Memo<Vec<User>>,
    active: RwSignal<usize>,
    on_pick: impl Fn(User) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <ul id=LIST_ID class="mention-options" role="listbox" aria-label="People to mention" data-testid="mention-options">
            {move || {
                options
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, user)| {
                        let picked = user.clone();
                        view! {
                            <li
                                id=option_id(i)
                                role="option"
                                data-testid="mention-option"
                                aria-selected=move || (active.get() == i).to_string()
                                // On mousedown, so the textarea keeps focus (and the list stays).
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    on_pick(picked.clone());
                                }
                                on:mousemove=move |_| active.set(i)
                            >
                                <Avatar user_id=user.id name=user.display_name.clone() />
                                <span class="mention-name">{user.display_name.clone()}</span>
                                <span class="mention-username">"@" {user.username.clone()}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use confab_shared::UserId;
    use confab_shared::api::User;
    use uuid::Uuid;

    use super::{Typing, byte_offset, complete, suggestions, typing};

    fn user(id: u128, username: &str, display_name: &str) -> User {
        User {
            id: UserId(Uuid::from_u128(id)),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
        }
    }

    #[test]
    fn the_caret_is_counted_in_utf16_units() {
        // "é" is one unit and two bytes; "😀" two units and four bytes.
        let text = "é😀 @bo";
        assert_eq!(byte_offset(text, 1), Some(2));
        assert_eq!(byte_offset(text, 3), Some(6));
        assert_eq!(byte_offset(text, 2), None, "inside the surrogate pair");
        assert_eq!(typing(text, 7), Some(Typing { at: 7, typed: "bo".to_owned() }));
        assert_eq!(typing(text, 8), None, "past the end");
    }

    #[test]
    fn usernames_come_before_display_names_and_i_am_not_offered() {
        let members = [
            user(1, "alice", "Alice Liddell"),
            user(2, "bob", "Bob Builder"),
            user(3, "robin", "Bobby Tables"),
            user(4, "carol", "Carol"),
        ];
        let names =
            |typed, me| suggestions(&members, me, typed).into_iter().map(|u| u.username).collect::<Vec<_>>();
        assert_eq!(names("bo", None), ["bob", "robin"]);
        assert_eq!(names("BO", Some(user(2, "bob", "").id)), ["robin"]);
        assert_eq!(names("", Some(user(1, "alice", "").id)), ["bob", "robin", "carol"]);
        assert_eq!(names("lid", None), ["alice"]);
        assert!(names("z", None).is_empty());
    }

    #[test]
    fn completing_replaces_what_was_typed_and_puts_the_caret_after_the_name() {
        let text = "hi @bo, é later";
        let typing = typing(text, 6).expect("typing a mention");
        assert_eq!(complete(text, &typing, "bob"), ("hi @bob, é later".to_owned(), 7));
        let glued = Typing { at: 0, typed: "b".to_owned() };
        assert_eq!(complete("@bthere", &glued, "bob"), ("@bob there".to_owned(), 5));
        let (done, caret) = complete("😀@", &Typing { at: 4, typed: String::new() }, "carol");
        assert_eq!(done, "😀@carol ");
        assert_eq!(caret, 9);
    }
}
