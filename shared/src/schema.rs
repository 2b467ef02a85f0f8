//! The validators' rules as JSON Schema, for `/api/openapi.json`: a client (or a fuzzer)
//! that sends text matching these patterns gets it accepted, and text that doesn't gets a
//! 400. Each pattern is exact, trimming included, and the tests below check it against its
//! validator in [`crate::validate`] character by character, so the two cannot drift apart.
//!
//! The patterns use only what ECMA-262, Python's `re` and Rust's `regex` read alike: no
//! look-around, `\uXXXX` escapes, `^...$` around the whole text.

use crate::limits::{
    CHAT_TITLE_MAX, DISPLAY_NAME_MAX, MESSAGE_BODY_MAX, REACTION_EMOJI_MAX, USERNAME_MAX, USERNAME_MIN,
};

/// What `str::trim` removes and `char::is_whitespace` means: Unicode White_Space.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// What `char::is_control` means: Unicode Cc.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Control characters a message body may keep: tab, line feed, carriage return.
const CONTROL_BUT_LINE_BREAKS: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";
/// ASCII, which a reaction must not consist of alone.
const ASCII: &str = r"\u0000-\u007f";

/// Any amount of trimmed white space.
fn padding() -> String {
    format!("[{SPACE}]*")
}

/// One character that is neither a control character nor white space.
fn visible() -> String {
    format!("[^{CONTROL}{SPACE}]")
}

/// 1 to `max` characters without control characters, not starting or ending in white
/// space, with any white space around them (trimmed away).
fn trimmed_line(max: usize) -> String {
    let inner = max.saturating_sub(2);
    format!("{pad}{v}(?:[^{CONTROL}]{{0,{inner}}}{v})?{pad}", pad = padding(), v = visible())
}

/// [`crate::validate::Username`]: 3–32 of `A-Z a-z 0-9 _`, with white space around.
pub fn username() -> String {
    format!("^{pad}[A-Za-z0-9_]{{{USERNAME_MIN},{USERNAME_MAX}}}{pad}$", pad = padding())
}

/// A display name at registration: blank (or absent) means "the username", anything else
/// is a [`crate::validate::DisplayName`], 1–64 characters after trimming, no control
/// characters.
pub fn optional_display_name() -> String {
    format!("^(?:{}|{})$", trimmed_line(DISPLAY_NAME_MAX), padding())
}

/// [`crate::validate::ChatTitle`]: 1–100 characters after trimming, no control characters.
pub fn chat_title() -> String {
    format!("^{}$", trimmed_line(CHAT_TITLE_MAX))
}

/// [`crate::validate::MessageBody`]: up to 4000 characters once trailing white space is
/// trimmed, ending in a visible one; line breaks and tabs are the only control characters.
pub fn message_body() -> String {
    let before_last = MESSAGE_BODY_MAX - 1;
    format!("^[^{CONTROL_BUT_LINE_BREAKS}]{{0,{before_last}}}{}{}$", visible(), padding())
}

/// [`crate::validate::ReactionEmoji`]: 1–16 characters after trimming, none of them white
/// space or control, at least one not ASCII. Without look-ahead, each alternative places
/// the first non-ASCII character.
pub fn reaction_emoji() -> String {
    let non_ascii = format!("[^{ASCII}{CONTROL}{SPACE}]");
    let alternatives: Vec<String> = (0..REACTION_EMOJI_MAX)
        .map(|before| {
            let after = REACTION_EMOJI_MAX - 1 - before;
            format!("{v}{{{before}}}{non_ascii}{v}{{0,{after}}}", v = visible())
        })
        .collect();
    format!("^{pad}(?:{}){pad}$", alternatives.join("|"), pad = padding())
}

/// [`crate::validate::SearchPrefix`]: anything without control characters.
pub fn search_prefix() -> String {
    format!("^[^{CONTROL}]*$")
}

/// The same rules as utoipa schemas, for `#[schema(schema_with = ...)]` on the DTOs.
#[cfg(feature = "openapi")]
pub mod openapi {
    use utoipa::openapi::KnownFormat;
    use utoipa::openapi::schema::{
        Array, ArrayBuilder, Object, ObjectBuilder, SchemaFormat, SchemaType, Type,
    };

    use crate::limits::*;

    fn text(pattern: String, description: String) -> ObjectBuilder {
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description))
    }

    pub fn username() -> Object {
        let rule = format!(
            "{USERNAME_MIN} to {USERNAME_MAX} of `a-z`, `0-9`, `_`, case-insensitive (stored lower-case); \
             white space around it is trimmed"
        );
        text(super::username(), rule).build()
    }

    pub fn password() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(PASSWORD_MIN))
            .max_length(Some(PASSWORD_MAX))
            .description(Some(format!("{PASSWORD_MIN} to {PASSWORD_MAX} characters")))
            .build()
    }

    pub fn optional_display_name() -> Object {
        let rule = format!(
            "1 to {DISPLAY_NAME_MAX} characters after trimming, no control characters; \
             absent, null or blank means the username"
        );
        text(super::optional_display_name(), rule)
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .build()
    }

    pub fn chat_title() -> Object {
        let rule = format!("1 to {CHAT_TITLE_MAX} characters after trimming, no control characters");
        text(super::chat_title(), rule).build()
    }

    pub fn message_body() -> Object {
        let rule = format!(
            "1 to {MESSAGE_BODY_MAX} characters once trailing white space is trimmed, not blank; \
             no control characters but line breaks and tabs"
        );
        text(super::message_body(), rule).build()
    }

    pub fn reaction_emoji() -> Object {
        let rule = format!(
            "one emoji: 1 to {REACTION_EMOJI_MAX} characters after trimming, \
             no white space or control characters, not plain ASCII"
        );
        text(super::reaction_emoji(), rule).build()
    }

    pub fn search_prefix() -> Object {
        text(
            super::search_prefix(),
            "the start of a username (case-insensitive); no control characters".into(),
        )
        .default(Some("".into()))
        .build()
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
    use crate::validate::{ChatTitle, DisplayName, MessageBody, ReactionEmoji, SearchPrefix, Username};

    fn regex(pattern: &str) -> Regex {
        regex::RegexBuilder::new(pattern).size_limit(1 << 28).build().unwrap()
    }

    /// Every scalar value once, then a few astral ones: the character classes are checked
    /// against `char` itself over the whole of Unicode.
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
    /// mapping or trimming could make a validator and a pattern disagree.
    fn probe_chars() -> Vec<char> {
        let mut chars: Vec<char> = (0..0x300).filter_map(char::from_u32).collect();
        chars.extend(['\u{1680}', '\u{180e}', '\u{2000}', '\u{200a}', '\u{200b}', '\u{200d}', '\u{2028}']);
        chars.extend(['\u{2029}', '\u{202e}', '\u{202f}', '\u{205f}', '\u{2060}', '\u{212a}', '\u{2166}']);
        chars.extend(['\u{3000}', '\u{fe0f}', '\u{feff}', '\u{fffd}', '😀', '👍', '🇫', '\u{e0001}']);
        chars
    }

    /// Texts built around `core` with each probe character before, inside and after it, and
    /// repeated up to `max` and beyond.
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
            ]);
        }
        for n in [max.saturating_sub(1), max, max + 1] {
            texts.extend([
                "a".repeat(n),
                "é".repeat(n),
                "👍".repeat(n),
                format!(" {}\n", "b".repeat(n)),
                format!("x{}x", " ".repeat(n.saturating_sub(2))),
            ]);
        }
        texts
    }

    fn assert_agree(name: &str, pattern: &str, accepts: impl Fn(&str) -> bool, core: &str, max: usize) {
        let pattern = regex(pattern);
        for text in probes(core, max) {
            assert_eq!(pattern.is_match(&text), accepts(&text), "{name}: {text:?}");
        }
    }

    #[test]
    fn each_pattern_accepts_exactly_what_its_validator_accepts() {
        assert_agree("username", &username(), |s| Username::parse(s).is_ok(), "al_1", USERNAME_MAX);
        assert_agree(
            "optional display name",
            &optional_display_name(),
            |s| s.trim().is_empty() || DisplayName::parse(s).is_ok(),
            "Al B",
            DISPLAY_NAME_MAX,
        );
        assert_agree("chat title", &chat_title(), |s| ChatTitle::parse(s).is_ok(), "Team x", CHAT_TITLE_MAX);
        assert_agree(
            "message",
            &message_body(),
            |s| MessageBody::parse(s).is_ok(),
            "hi\nyou",
            MESSAGE_BODY_MAX,
        );
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
            "1\u{fe0f}\u{20e3}",
            3,
        );
        assert_agree("search", &search_prefix(), |s| SearchPrefix::parse(s).is_ok(), "al", USERNAME_MAX);
    }
}
