//! `@username` mentions: where they are in a text. One reading for both sides: the server
//! resolves them against the chat's members when a message is written (and highlights
//! them in `body_html`), the composer completes the one being typed.
//!
//! A mention is `@` followed by a whole username ([`crate::validate::Username`]: 3 to 32
//! of `A-Z a-z 0-9 _`, case-insensitive), neither preceded nor followed by a letter, digit
//! or `_` of any script (so `mail@example.com` and `@bobé` mention nobody).

use crate::limits::{USERNAME_MAX, USERNAME_MIN};

/// One `@username` in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention<'a> {
    /// Byte offset of the `@`.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
    /// The name as written (without `@`); compare lower-cased.
    pub username: &'a str,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The name chars of `text` from byte `from` on: where they end.
fn name_end(text: &str, from: usize) -> usize {
    text[from..].find(|c| !is_name_char(c)).map_or(text.len(), |n| from + n)
}

/// Every mention in `text`, in order.
pub fn find(text: &str) -> impl Iterator<Item = Mention<'_>> {
    text.match_indices('@').filter_map(|(at, _)| {
        let glued_before = text[..at].chars().next_back().is_some_and(is_word_char);
        let end = name_end(text, at + 1);
        let glued_after = text[end..].chars().next().is_some_and(is_word_char);
        let username = &text[at + 1..end];
        let fits = (USERNAME_MIN..=USERNAME_MAX).contains(&username.len());
        (!glued_before && !glued_after && fits).then_some(Mention { start: at, end, username })
    })
}

/// The mention being typed at byte offset `cursor` (the composer's caret): the byte
/// offset of its `@` and the name so far, possibly empty. `None` when the caret is not
/// right after `@` and name characters, or the name is already too long.
pub fn typing_at(text: &str, cursor: usize) -> Option<(usize, &str)> {
    let before = text.get(..cursor)?;
    let start = before.rfind(|c| !is_name_char(c))?;
    if !before[start..].starts_with('@') || before[..start].chars().next_back().is_some_and(is_word_char) {
        return None;
    }
    let typed = &before[start + 1..];
    (typed.len() <= USERNAME_MAX).then_some((start, typed))
}

#[cfg(test)]
mod tests {
    use super::{Mention, find, typing_at};

    fn names(text: &str) -> Vec<&str> {
        find(text).map(|m| m.username).collect()
    }

    #[test]
    fn mentions_are_whole_usernames_after_an_at() {
        assert_eq!(names("@alice and @Bob_2, hi @carol!"), ["alice", "Bob_2", "carol"]);
        assert_eq!(find("hi @bob.").next(), Some(Mention { start: 3, end: 7, username: "bob" }));
        assert_eq!(names("(@dave) «@erin» @@frank"), ["dave", "erin", "frank"]);
    }

    #[test]
    fn addresses_short_and_overlong_names_are_not_mentions() {
        assert!(names("mail me at someone@example.com").is_empty());
        assert!(names("@al is too short, @ alone too").is_empty());
        let long = format!("@{}", "a".repeat(33));
        assert!(names(&long).is_empty());
        assert_eq!(names(&format!("@{}", "a".repeat(32))).len(), 1);
        assert!(names("@bobé is not bob, nor é@bob").is_empty());
    }

    #[test]
    fn the_mention_being_typed_is_found_at_the_caret() {
        assert_eq!(typing_at("hi @al", 6), Some((3, "al")));
        assert_eq!(typing_at("hi @", 4), Some((3, "")));
        assert_eq!(typing_at("@bo and more", 3), Some((0, "bo")));
        assert_eq!(typing_at("mail@ex", 7), None);
        assert_eq!(typing_at("hi al", 5), None);
        assert_eq!(typing_at("hi @al", 99), None);
    }
}
