//! The validators' rules as JSON Schema, for `/api/openapi.json`: a client (or a fuzzer)
//! that sends text within these rules gets it accepted, and text outside them gets a 400.
//! Each [`Text`] rule is exact, trimming included, and the tests below check it against
//! its validator in [`crate::validate`] character by character, so the two cannot drift.
//!
//! The patterns use only what ECMA-262 (with the `u` flag), Python's `re` and Rust's
//! `regex` read alike: no look-around, `\uXXXX` escapes, `^...$` around the whole text.
//! Lengths are `maxLength`s, which is why the validators count text as it was sent.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::limits::{
    CHAT_TITLE_MAX, DISPLAY_NAME_MAX, FILENAME_MAX, MEDIA_TYPE_MAX, MESSAGE_BODY_MAX, PASSWORD_MAX,
    PASSWORD_MIN, SEARCH_QUERY_MAX, USERNAME_MAX, USERNAME_MIN,
};

/// What `str::trim` removes and `char::is_whitespace` means: Unicode White_Space.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// What `char::is_control` means: Unicode Cc.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Control characters a message body may keep: tab, line feed, carriage return.
const CONTROL_BUT_LINE_BREAKS: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";
/// Invisible and direction-changing characters (`validate::is_invisible_or_bidi`).
const INVISIBLE: &str = r"\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u2060-\u2064\ufeff";
/// The characters a zero-width joiner may follow (`validate::is_emoji_joiner`); the
/// astral range is written as literal characters, which every engine reads alike.
const EMOJI_ISH: &str = "\\u2600-\\u27bf\\ufe0f\u{1F000}-\u{1FAFF}";

/// A rule for a string: a pattern and, where the validator counts, lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub pattern: String,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

impl Text {
    fn pattern(pattern: String) -> Self {
        Self { pattern, min_length: None, max_length: None }
    }

    fn at_most(mut self, max: usize) -> Self {
        self.max_length = Some(max);
        self
    }
}

/// Any amount of trimmed white space.
fn padding() -> String {
    format!("[{SPACE}]*")
}

/// Text typed by a person, as units: a character that is neither control (but those in
/// `control`) nor invisible, or an emoji-ish character with the joiner that may follow it.
fn unit(control: &str) -> String {
    format!("(?:[{EMOJI_ISH}]\\u200d|[^{control}{INVISIBLE}])")
}

/// A unit that does not end in white space.
fn visible_unit() -> String {
    format!("(?:[{EMOJI_ISH}]\\u200d|[^{CONTROL}{INVISIBLE}{SPACE}])")
}

/// Free text after trimming: starts and ends with a visible unit.
fn trimmed_text() -> String {
    let (unit, visible) = (unit(CONTROL), visible_unit());
    format!("{visible}(?:{unit}*{visible})?")
}

/// [`crate::validate::Username`]: 3–32 of `A-Z a-z 0-9 _`, with white space around.
pub fn username() -> Text {
    Text::pattern(format!("^{pad}[A-Za-z0-9_]{{{USERNAME_MIN},{USERNAME_MAX}}}{pad}$", pad = padding()))
}

/// [`crate::validate::Password`]: 8–128 characters, no NUL.
pub fn password() -> Text {
    Text { pattern: r"^[^\u0000]*$".into(), min_length: Some(PASSWORD_MIN), max_length: Some(PASSWORD_MAX) }
}

/// A display name at registration: blank (or absent) means "the username", anything else
/// is a [`crate::validate::DisplayName`].
pub fn optional_display_name() -> Text {
    let pad = padding();
    Text::pattern(format!("^{pad}(?:{}{pad})?$", trimmed_text())).at_most(DISPLAY_NAME_MAX)
}

/// [`crate::validate::DisplayName`]: free text, required.
pub fn display_name() -> Text {
    let pad = padding();
    Text::pattern(format!("^{pad}{}{pad}$", trimmed_text())).at_most(DISPLAY_NAME_MAX)
}

/// [`crate::validate::Filename`]: free text without path separators.
pub fn filename() -> Text {
    const SEPARATORS: &str = r"/\\";
    let unit = format!("(?:[{EMOJI_ISH}]\\u200d|[^{CONTROL}{INVISIBLE}{SEPARATORS}])");
    let visible = format!("(?:[{EMOJI_ISH}]\\u200d|[^{CONTROL}{INVISIBLE}{SPACE}{SEPARATORS}])");
    let pad = padding();
    Text::pattern(format!("^{pad}{visible}(?:{unit}*{visible})?{pad}$")).at_most(FILENAME_MAX)
}

/// [`crate::validate::MediaType`]: printable ASCII and spaces with a `/`, with white space
/// around.
pub fn media_type() -> Text {
    let pad = padding();
    let (edge, inner) = ("[!-~]", "[ -~]*");
    let with_slash = format!("/|/{inner}{edge}|{edge}{inner}/|{edge}{inner}/{inner}{edge}");
    Text::pattern(format!("^{pad}(?:{with_slash}){pad}$")).at_most(MEDIA_TYPE_MAX)
}

/// [`crate::validate::ChatTitle`].
pub fn chat_title() -> Text {
    let pad = padding();
    Text::pattern(format!("^{pad}{}{pad}$", trimmed_text())).at_most(CHAT_TITLE_MAX)
}

/// [`crate::validate::MessageBody`]: line breaks and tabs allowed, leading white space
/// kept, trailing white space dropped, something visible.
pub fn message_body() -> Text {
    let unit = unit(CONTROL_BUT_LINE_BREAKS);
    Text::pattern(format!("^{unit}*{}{}$", visible_unit(), padding())).at_most(MESSAGE_BODY_MAX)
}

/// [`crate::validate::search_prefix`]: blank, or free text, with white space around.
pub fn search_prefix() -> Text {
    let pad = padding();
    Text::pattern(format!("^{pad}(?:{}{pad})?$", trimmed_text())).at_most(USERNAME_MAX)
}

/// [`crate::validate::SearchText`]: free text on one line, with white space around.
pub fn search_text() -> Text {
    let pad = padding();
    Text::pattern(format!("^{pad}{}{pad}$", trimmed_text())).at_most(SEARCH_QUERY_MAX)
}

/// [`crate::validate::SearchCursor`]: microseconds, `_`, a hyphenated UUID.
pub fn search_cursor() -> Text {
    let hex = |n: usize| format!("[0-9a-fA-F]{{{n}}}");
    let uuid = [8, 4, 4, 4, 12].map(hex).join("-");
    Text::pattern(format!("^[0-9]{{1,16}}_{uuid}$"))
}

/// [`crate::validate::ReactionEmoji`]: one emoji of the table, in any spelling the table
/// knows, with white space around.
pub fn reaction_emoji() -> Text {
    static PATTERN: LazyLock<String> = LazyLock::new(|| {
        let alternatives: Vec<String> = reaction_spellings().iter().map(|e| escape(e)).collect();
        format!("^{pad}(?:{}){pad}$", alternatives.join("|"), pad = padding())
    });
    Text::pattern(PATTERN.clone())
}

/// Every spelling of an emoji that the `emojis` table knows: each emoji and its skin
/// tones as listed, and the variants Unicode also lists (or the table adds) around the
/// variation selector U+FE0F and the keycap U+20E3: without any of its selectors (`❤` for
/// `❤️`), with one more (`👍️`), without the keycap (`0️`). Longest first, so a
/// backtracking engine tries a whole sequence before its start.
fn reaction_spellings() -> Vec<String> {
    let listed = emojis::iter().flat_map(|e| e.skin_tones().into_iter().flatten().chain([e]));
    let mut spellings = BTreeSet::new();
    for emoji in listed {
        let emoji: Vec<char> = emoji.as_str().chars().collect();
        for fewer in without_selectors(&emoji) {
            for candidate in with_one_more_selector(&fewer).chain([fewer.clone()]) {
                let keycapless: String = candidate.iter().filter(|c| **c != '\u{20e3}').collect();
                let candidate: String = candidate.into_iter().collect();
                spellings.extend([candidate, keycapless].into_iter().filter(|s| emojis::get(s).is_some()));
            }
        }
    }
    let mut spellings: Vec<String> = spellings.into_iter().collect();
    spellings.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    spellings
}

/// `emoji` without each subset of its variation selectors.
fn without_selectors(emoji: &[char]) -> Vec<Vec<char>> {
    let selectors: Vec<usize> = (0..emoji.len()).filter(|&i| emoji[i] == '\u{fe0f}').collect();
    (0..1u32 << selectors.len())
        .map(|dropped| {
            let keep =
                |i: usize| selectors.iter().position(|&s| s == i).is_none_or(|bit| dropped & (1 << bit) == 0);
            (0..emoji.len()).filter(|&i| keep(i)).map(|i| emoji[i]).collect()
        })
        .collect()
}

/// `emoji` with a variation selector inserted after each of its characters in turn.
fn with_one_more_selector(emoji: &[char]) -> impl Iterator<Item = Vec<char>> + '_ {
    (1..=emoji.len()).map(|at| {
        let mut longer = emoji.to_vec();
        longer.insert(at, '\u{fe0f}');
        longer
    })
}

/// Escapes the characters that are syntax in a pattern (keycaps hold `*` and `#`).
fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let syntax = "^$\\.*+?()[]{}|/".contains(c);
            syntax.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// The same rules as utoipa schemas, for `#[schema(schema_with = ...)]` on the DTOs.
#[cfg(feature = "openapi")]
pub mod openapi {
    use utoipa::openapi::KnownFormat;
    use utoipa::openapi::schema::{
        Array, ArrayBuilder, Object, ObjectBuilder, SchemaFormat, SchemaType, Type,
    };

    use super::Text;
    use crate::limits::*;

    fn text(rule: Text, description: String) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(rule.pattern))
            .min_length(rule.min_length)
            .max_length(rule.max_length)
            .description(Some(description))
    }

    /// Free text's rules, in words.
    fn free_text(max: usize) -> String {
        format!(
            "at most {max} characters as sent, not blank (white space around it is trimmed); \
             no control characters, nothing invisible or direction-changing"
        )
    }

    pub fn username() -> Object {
        let rule = format!(
            "{USERNAME_MIN} to {USERNAME_MAX} of `a-z`, `0-9`, `_`, case-insensitive (stored lower-case); \
             white space around it is trimmed"
        );
        text(super::username(), rule).build()
    }

    pub fn password() -> Object {
        text(super::password(), format!("{PASSWORD_MIN} to {PASSWORD_MAX} characters, no NUL")).build()
    }

    pub fn optional_display_name() -> Object {
        let rule = format!("{}; absent, null or blank means the username", free_text(DISPLAY_NAME_MAX));
        text(super::optional_display_name(), rule)
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .build()
    }

    pub fn display_name() -> Object {
        text(super::display_name(), free_text(DISPLAY_NAME_MAX)).build()
    }

    pub fn chat_title() -> Object {
        text(super::chat_title(), free_text(CHAT_TITLE_MAX)).build()
    }

    pub fn filename() -> Object {
        let rule = format!("{}; no `/` or `\\`", free_text(FILENAME_MAX));
        text(super::filename(), rule).build()
    }

    pub fn media_type() -> Object {
        let rule = format!(
            "a media type such as `image/png`: at most {MEDIA_TYPE_MAX} characters as sent, printable \
             ASCII and spaces with a `/` (white space around it is trimmed; stored lower-case)"
        );
        text(super::media_type(), rule).build()
    }

    /// The files named when a message is sent.
    pub fn attachment_ids() -> Array {
        let id = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        ArrayBuilder::new()
            .items(id)
            .max_items(Some(ATTACHMENTS_PER_MESSAGE_MAX))
            .unique_items(true)
            .description(Some(format!(
                "at most {ATTACHMENTS_PER_MESSAGE_MAX} different ids of my completed uploads to this chat, \
                 not yet attached (else 409); with one, `body` may be empty"
            )))
            .build()
    }

    pub fn message_body() -> Object {
        let rule = format!(
            "at most {MESSAGE_BODY_MAX} characters as sent, not blank; line breaks and tabs kept, \
             trailing white space dropped; no other control characters, nothing invisible or \
             direction-changing"
        );
        text(super::message_body(), rule).build()
    }

    pub fn reaction_emoji() -> Object {
        text(super::reaction_emoji(), "one emoji (skin tones and sequences included)".into()).build()
    }

    pub fn search_text() -> Object {
        let rule = format!(
            "{}; on one line. Words, `\"a phrase\"`, `-word` to leave out, `or`",
            free_text(SEARCH_QUERY_MAX)
        );
        text(super::search_text(), rule).build()
    }

    pub fn search_cursor() -> Object {
        let rule = "the `next_before` of the previous page: the position of its last result";
        text(super::search_cursor(), rule.into()).build()
    }

    pub fn search_prefix() -> Object {
        let rule = format!("the start of a username (case-insensitive): {}", free_text(USERNAME_MAX));
        text(super::search_prefix(), rule.replace(", not blank", "")).default(Some("".into())).build()
    }

    /// The users named when a group is created.
    pub fn group_member_ids() -> Array {
        let user_id = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        ArrayBuilder::new()
            .items(user_id)
            .max_items(Some(GROUP_INITIAL_MEMBERS_MAX))
            .description(Some(format!(
                "at most {GROUP_INITIAL_MEMBERS_MAX} ids (you are added as the owner)"
            )))
            .build()
    }

    /// A message's `seq` or a chat's change number: never negative.
    pub fn position() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::limits::REACTION_EMOJI_MAX;
    use crate::validate::{
        self, ChatTitle, DisplayName, Filename, MediaType, MessageBody, Password, ReactionEmoji,
        SearchCursor, SearchText, Username,
    };

    fn regex(pattern: &str) -> Regex {
        regex::RegexBuilder::new(pattern).size_limit(1 << 30).dfa_size_limit(1 << 30).build().unwrap()
    }

    /// Whether `text` is within `rule`, the way a JSON Schema validator judges it.
    fn within(rule: &Text, pattern: &Regex, text: &str) -> bool {
        let len = text.chars().count();
        pattern.is_match(text)
            && rule.min_length.is_none_or(|min| len >= min)
            && rule.max_length.is_none_or(|max| len <= max)
    }

    /// The character classes against `char` itself, over the whole of Unicode.
    #[test]
    fn the_classes_are_rusts_white_space_and_control() {
        let space = regex(&format!("^[{SPACE}]$"));
        let control = regex(&format!("^[{CONTROL}]$"));
        let keepable = regex(&format!("^[^{CONTROL_BUT_LINE_BREAKS}]$"));
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(space.is_match(&s), c.is_whitespace(), "white space: {c:?}");
            assert_eq!(control.is_match(&s), c.is_control(), "control: {c:?}");
            assert_eq!(keepable.is_match(&s), !c.is_control() || matches!(c, '\t' | '\n' | '\r'), "{c:?}");
        }
    }

    /// Characters at every interesting place: each class boundary, and the ones whose case
    /// mapping, trimming or joining could make a validator and a pattern disagree.
    fn probe_chars() -> Vec<char> {
        let mut chars: Vec<char> = (0..0x300).filter_map(char::from_u32).collect();
        chars.extend(('\u{2000}'..='\u{2070}').chain('\u{FE00}'..='\u{FE10}'));
        chars.extend(['\u{1680}', '\u{180e}', '\u{212a}', '\u{2166}', '\u{25ff}', '\u{2600}', '\u{27bf}']);
        chars.extend(['\u{27c0}', '\u{3000}', '\u{feff}', '\u{fffd}', '\u{1efff}', '\u{1f000}', '\u{1f44d}']);
        chars.extend(['\u{1f3fd}', '\u{1faff}', '\u{1fb00}', '\u{e0001}', '\u{10ffff}']);
        chars
    }

    /// Texts built around `core` with each probe character alone, before, inside and after
    /// it, and before a joiner; and texts around the length `max`.
    fn probes(core: &str, max: usize) -> Vec<String> {
        let mut texts = vec![String::new(), core.to_owned(), format!("  {core}\n\t")];
        for c in probe_chars() {
            texts.extend([
                c.to_string(),
                c.to_string().repeat(3),
                format!("{c}{core}"),
                format!("{core}{c}"),
                format!("{core}{c}{core}"),
                format!("{c}{c}{core}{c}{c}"),
                format!(" {c} "),
                format!("{c}\u{200d}{core}"),
                format!("{core}{c}\u{200d}"),
                format!("{c}\u{200d}\u{200d}{core}"),
            ]);
        }
        for n in [max.saturating_sub(1), max, max + 1] {
            texts.extend([
                "a".repeat(n),
                "é".repeat(n),
                "👍".repeat(n),
                format!(" {}\n", "b".repeat(n.saturating_sub(2))),
                format!("x{}x", " ".repeat(n.saturating_sub(2))),
                " ".repeat(n),
                format!("{}\u{200d}", "👍".repeat(n.saturating_sub(1))),
            ]);
        }
        texts
    }

    fn assert_agree(name: &str, rule: &Text, accepts: impl Fn(&str) -> bool, core: &str, max: usize) {
        let pattern = regex(&rule.pattern);
        for text in probes(core, max) {
            assert_eq!(within(rule, &pattern, &text), accepts(&text), "{name}: {text:?}");
        }
    }

    #[test]
    fn each_rule_accepts_exactly_what_its_validator_accepts() {
        assert_agree("username", &username(), |s| Username::parse(s).is_ok(), "al_1", USERNAME_MAX);
        assert_agree("password", &password(), |s| Password::parse(s).is_ok(), "secret-pw", PASSWORD_MAX);
        assert_agree(
            "optional display name",
            &optional_display_name(),
            |s| DisplayName::parse_optional(Some(s)).is_ok(),
            "Al B",
            DISPLAY_NAME_MAX,
        );
        assert_agree(
            "display name",
            &display_name(),
            |s| DisplayName::parse(s).is_ok(),
            "Al B",
            DISPLAY_NAME_MAX,
        );
        assert_agree("chat title", &chat_title(), |s| ChatTitle::parse(s).is_ok(), "Team x", CHAT_TITLE_MAX);
        assert_agree("file name", &filename(), |s| Filename::parse(s).is_ok(), "notes 1.txt", FILENAME_MAX);
        assert_agree(
            "media type",
            &media_type(),
            |s| MediaType::parse(s).is_ok(),
            "image/png",
            MEDIA_TYPE_MAX,
        );
        assert_agree(
            "message",
            &message_body(),
            |s| MessageBody::parse(s).is_ok(),
            "hi\nyou",
            MESSAGE_BODY_MAX,
        );
        assert_agree("search", &search_prefix(), |s| validate::search_prefix(s).is_ok(), "al", USERNAME_MAX);
        assert_agree(
            "message search",
            &search_text(),
            |s| SearchText::parse(s).is_ok(),
            "\"ship it\" -x",
            SEARCH_QUERY_MAX,
        );
        let cursor = "1796164523123456_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7";
        assert_agree("search cursor", &search_cursor(), |s| SearchCursor::parse(s).is_ok(), cursor, 16);
        assert_agree(
            "reaction",
            &reaction_emoji(),
            |s| ReactionEmoji::parse(s).is_ok(),
            "👍",
            REACTION_EMOJI_MAX,
        );
        assert_agree(
            "reaction",
            &reaction_emoji(),
            |s| ReactionEmoji::parse(s).is_ok(),
            "❤",
            REACTION_EMOJI_MAX,
        );
    }

    /// Every spelling the pattern lists is a reaction; the table's own forms are all there.
    #[test]
    fn the_reaction_pattern_lists_the_emoji_table() {
        let spellings = reaction_spellings();
        let pattern = regex(&reaction_emoji().pattern);
        for spelling in &spellings {
            assert!(ReactionEmoji::parse(spelling).is_ok(), "{spelling:?}");
            assert!(pattern.is_match(&format!(" {spelling}\n")), "{spelling:?}");
        }
        for emoji in emojis::iter() {
            assert!(spellings.iter().any(|s| s == emoji.as_str()), "{emoji}");
        }
        assert!(spellings.iter().any(|s| s == "\u{2764}"), "the unqualified heart");
    }
}
