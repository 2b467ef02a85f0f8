//! Parse, don't validate: once you hold a `Username` or a `MessageBody`, it is valid.
//! The frontend runs the same `parse` before sending, so both sides agree on every rule.

use chrono::{DateTime, Utc};

use crate::MessageId;
use crate::api::EmojiEntry;
use crate::limits::*;

/// Why an input was rejected; the text is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError(message.into())
}

/// Control characters (NUL above all: PostgreSQL text cannot hold it) are refused
/// everywhere; `allow_newlines` lets message bodies keep line breaks and tabs.
fn reject_control_chars(field: &str, value: &str, allow_newlines: bool) -> Result<(), ValidationError> {
    let bad = value.chars().any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\t' | '\r')));
    if bad {
        return Err(invalid(format!("{field} contains control characters")));
    }
    Ok(())
}

/// Characters that are invisible or reorder text: zero-width characters, directional
/// marks, embeddings, overrides and isolates, line and paragraph separators, the word
/// joiner family and the BOM. They let a title read `"admin"` while being something else,
/// or reverse the text after them (`"\u{202e}"`), so names, titles and bodies refuse them.
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// The zero-width joiner glues emoji into one (👩‍👩‍👧, 🏳️‍🌈): allowed right after an
/// emoji-ish character (a pictograph, a variation selector or a skin tone), nowhere else.
fn is_emoji_joiner(previous: Option<char>, c: char) -> bool {
    c == '\u{200D}'
        && previous
            .is_some_and(|p| matches!(p, '\u{2600}'..='\u{27BF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}'))
}

fn reject_invisible_chars(field: &str, value: &str) -> Result<(), ValidationError> {
    let mut previous = None;
    for c in value.chars() {
        if is_invisible_or_bidi(c) && !is_emoji_joiner(previous, c) {
            return Err(invalid(format!(
                "{field} contains an invisible or text-direction character (U+{:04X})",
                u32::from(c)
            )));
        }
        previous = Some(c);
    }
    Ok(())
}

/// Free text typed by a person (names, titles, bodies): no control characters except,
/// where allowed, line breaks and tabs; nothing invisible or direction-changing.
fn reject_hostile_text(field: &str, value: &str, allow_newlines: bool) -> Result<(), ValidationError> {
    reject_control_chars(field, value, allow_newlines)?;
    reject_invisible_chars(field, value)
}

/// What the user search matches against usernames: up to 32 characters as sent, no
/// control characters (PostgreSQL text can't hold NUL). Returns it trimmed and lower-cased.
pub fn search_prefix(input: &str) -> Result<String, ValidationError> {
    if input.chars().count() > USERNAME_MAX {
        return Err(invalid(format!("search for at most {USERNAME_MAX} characters")));
    }
    let prefix = input.trim();
    reject_hostile_text("search", prefix, false)?;
    Ok(prefix.to_lowercase())
}

/// What a message search looks for (`GET /api/search?q=`): at most 200 characters as sent,
/// not blank, trimmed, one line, nothing invisible or direction-changing. The server reads
/// it as a web search: words, `"quoted phrases"`, `-word` to leave out, `or`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let text = input.trim();
        if text.is_empty() || input.chars().count() > SEARCH_QUERY_MAX {
            return Err(invalid(format!("search for 1 to {SEARCH_QUERY_MAX} characters")));
        }
        reject_hostile_text("search", text, false)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the next page of search results starts: the position of the last result in the
/// order results come (newest first: by `created_at`, then by message id, both descending).
/// Written `<created_at in microseconds since 1970>_<message id>`; PostgreSQL keeps
/// microseconds, so the position is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCursor {
    pub created_at: DateTime<Utc>,
    pub id: MessageId,
}

impl SearchCursor {
    /// Up to 16 digits (until the year 2286), `_`, and a hyphenated UUID.
    const MICROS_DIGITS_MAX: usize = 16;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let bad = || invalid("before must be the next_before of a page of search results");
        let (micros, id) = input.split_once('_').ok_or_else(bad)?;
        if micros.is_empty()
            || micros.len() > Self::MICROS_DIGITS_MAX
            || !micros.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let created_at = micros.parse().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad)?;
        // Only the hyphenated form is 36 characters long (simple, braced and URN are not).
        let id = uuid::Uuid::try_parse(id).ok().filter(|_| id.len() == 36).ok_or_else(bad)?;
        Ok(Self { created_at, id: MessageId(id) })
    }
}

impl std::fmt::Display for SearchCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.created_at.timestamp_micros(), self.id.0.hyphenated())
    }
}

/// A login name: 3–32 characters of `a-z`, `0-9` and `_`, case-insensitive (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim();
        let len = name.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
            return Err(invalid(format!("username must be {USERNAME_MIN} to {USERNAME_MAX} characters")));
        }
        // Checked before lower-casing: the Kelvin sign (U+212A) lower-cases to an ASCII `k`.
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid("username may contain only letters, digits and _"));
        }
        Ok(Self(name.to_ascii_lowercase()))
    }

    /// A username made from a name given elsewhere (an identity provider's
    /// `preferred_username`, an email's local part): lower-cased ASCII, each run of other
    /// characters one `_`, no `_` at either end, at most [`USERNAME_MAX`] characters.
    /// `None` when fewer than [`USERNAME_MIN`] remain.
    pub fn suggest(raw: &str) -> Option<Self> {
        let mut name = String::new();
        for c in raw.chars() {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_lowercase());
            } else if !name.ends_with('_') {
                name.push('_');
            }
        }
        let name: String = name.trim_matches('_').chars().take(USERNAME_MAX).collect();
        Self::parse(name.trim_end_matches('_')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password as typed; only its length is checked (OWASP: no composition rules).
/// It is never stored, only its argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let len = input.chars().count();
        if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
            return Err(invalid(format!("password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")));
        }
        if input.contains('\0') {
            return Err(invalid("password contains a NUL character"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The name shown beside messages: at most 64 characters as sent, not blank, trimmed, no
/// control characters. (Every length is counted as sent, white space included, so the API
/// document can state it as a `maxLength`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim();
        if name.is_empty() || input.chars().count() > DISPLAY_NAME_MAX {
            return Err(invalid(format!("display name must be 1 to {DISPLAY_NAME_MAX} characters")));
        }
        reject_hostile_text("display name", name, false)?;
        Ok(Self(name.to_owned()))
    }

    /// At registration: `None` when absent or blank (the username stands in). The length
    /// counts as sent either way.
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, ValidationError> {
        match input {
            Some(name) if !name.trim().is_empty() || name.chars().count() > DISPLAY_NAME_MAX => {
                Self::parse(name).map(Some)
            }
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A group chat's title: at most 100 characters as sent, not blank, trimmed, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTitle(String);

impl ChatTitle {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let title = input.trim();
        if title.is_empty() || input.chars().count() > CHAT_TITLE_MAX {
            return Err(invalid(format!("chat title must be 1 to {CHAT_TITLE_MAX} characters")));
        }
        reject_hostile_text("chat title", title, false)?;
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A message body: at most 4000 characters as sent (what the composer counts), not only
/// white space; line breaks are kept, trailing white space is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let body = input.trim_end();
        if body.trim().is_empty() {
            return Err(invalid("message must not be empty"));
        }
        if input.chars().count() > MESSAGE_BODY_MAX {
            return Err(invalid(format!("message must be at most {MESSAGE_BODY_MAX} characters")));
        }
        reject_hostile_text("message", body, true)?;
        Ok(Self(body.to_owned()))
    }

    /// The body of a message that carries files: it may be empty.
    pub fn parse_optional(input: &str) -> Result<Self, ValidationError> {
        if input.trim().is_empty() { Ok(Self(String::new())) } else { Self::parse(input) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A reaction: exactly one emoji of Unicode's list (the `emojis` crate's table, which the
/// UI's picker loads from `GET /api/emoji`), skin tones and ZWJ sequences included; stored fully qualified
/// (`❤` becomes `❤️`), so the same emoji typed two ways counts once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReactionEmoji(String);

impl ReactionEmoji {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let emoji = input.trim();
        if emoji.chars().count() > REACTION_EMOJI_MAX {
            return Err(invalid(format!(
                "a reaction is one emoji (at most {REACTION_EMOJI_MAX} characters)"
            )));
        }
        match emojis::get(emoji) {
            Some(found) => Ok(Self(found.as_str().to_owned())),
            None => Err(invalid("a reaction is one emoji")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unicode's list, for the picker: the table is too large for the browser's bundle,
    /// which fetches it when the picker opens (`GET /api/emoji`).
    pub fn list() -> impl Iterator<Item = EmojiEntry> {
        emojis::iter().map(|emoji| EmojiEntry {
            emoji: emoji.as_str().to_owned(),
            name: emoji.name().to_owned(),
            shortcodes: emoji.shortcodes().map(str::to_owned).collect(),
        })
    }
}

/// The name of a shared file: 1–255 characters, no control, invisible or direction-changing
/// characters (which could disguise `exe.png` as `png.exe`), no path separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filename(String);

impl Filename {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(invalid("file name must not be empty"));
        }
        if input.chars().count() > FILENAME_MAX {
            return Err(invalid(format!("file name must be at most {FILENAME_MAX} characters")));
        }
        if name.contains(['/', '\\']) {
            return Err(invalid("file name must not contain / or \\"));
        }
        reject_hostile_text("file name", name, false)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A declared media type such as `image/png` or `text/plain; charset=utf-8`: printable
/// ASCII with a `/`, at most 127 characters. It is only a declaration: what the file is
/// gets read from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType(String);

impl MediaType {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let media = input.trim().to_ascii_lowercase();
        let printable = media.chars().all(|c| c.is_ascii_graphic() || c == ' ');
        if input.chars().count() > MEDIA_TYPE_MAX || !printable || !media.contains('/') {
            return Err(invalid("content type must be a media type such as image/png"));
        }
        Ok(Self(media))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Alice_1 ").map(Username::into_inner), Ok("alice_1".into()));
        assert!(Username::parse("al").is_err());
        assert!(Username::parse(&"a".repeat(USERNAME_MAX + 1)).is_err());
        assert!(Username::parse("alice smith").is_err());
        assert!(Username::parse("ålice").is_err());
        assert!(Username::parse("\u{212a}elvin").is_err(), "the Kelvin sign is not a k");
    }

    #[test]
    fn usernames_suggested_from_other_names_follow_the_rules() {
        let suggest = |raw: &str| Username::suggest(raw).map(Username::into_inner);
        assert_eq!(suggest("Alice.Smith"), Some("alice_smith".into()));
        assert_eq!(suggest("josé.garcía-lópez"), Some("jos_garc_a_l_pez".into()));
        assert_eq!(suggest("__bob__"), Some("bob".into()));
        assert_eq!(suggest("\u{202e}evil\u{200b}one"), Some("evil_one".into()));
        assert_eq!(suggest(&"x".repeat(40)), Some("x".repeat(USERNAME_MAX)));
        assert_eq!(
            suggest(&format!("{}.b", "a".repeat(USERNAME_MAX - 1))),
            Some("a".repeat(USERNAME_MAX - 1))
        );
        assert_eq!(suggest("李"), None);
        assert_eq!(suggest("jo"), None);
        assert_eq!(suggest(""), None);
        for raw in ["Alice.Smith", "a-b-c", "x__y", &"é1".repeat(30)] {
            if let Some(name) = Username::suggest(raw) {
                assert_eq!(Username::parse(name.as_str()), Ok(name.clone()), "{raw:?}");
            }
        }
    }

    #[test]
    fn passwords_are_length_checked_only() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse(&"x".repeat(PASSWORD_MAX + 1)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-secret")), "Ok(Password(<redacted>))");
    }

    #[test]
    fn message_bodies_keep_newlines_but_refuse_blank_and_nul() {
        assert_eq!(MessageBody::parse("hi\nthere  \n").map(MessageBody::into_inner), Ok("hi\nthere".into()));
        assert!(MessageBody::parse(" \n\t ").is_err());
        assert!(MessageBody::parse("a\0b").is_err());
        assert!(MessageBody::parse(&"é".repeat(MESSAGE_BODY_MAX)).is_ok());
        assert!(MessageBody::parse(&"é".repeat(MESSAGE_BODY_MAX + 1)).is_err());
        assert!(
            MessageBody::parse(&format!("{} ", "é".repeat(MESSAGE_BODY_MAX))).is_err(),
            "counted as sent"
        );
    }

    #[test]
    fn reactions_are_single_emoji() {
        assert!(ReactionEmoji::parse("👍").is_ok());
        assert!(ReactionEmoji::parse("👩‍👩‍👧").is_ok());
        assert!(ReactionEmoji::parse("🇫🇷").is_ok());
        assert!(ReactionEmoji::parse("lol").is_err());
        assert!(ReactionEmoji::parse("").is_err());
        assert!(ReactionEmoji::parse("👍 👍").is_err());
        assert!(ReactionEmoji::parse(&"👍".repeat(REACTION_EMOJI_MAX + 1)).is_err());
        assert!(ReactionEmoji::parse("👍🏽").is_ok(), "skin tones");
        assert!(ReactionEmoji::parse("é").is_err(), "a letter is not an emoji");
        assert!(ReactionEmoji::parse("👍👍").is_err(), "two emoji");
        assert!(ReactionEmoji::parse("a\0").is_err());
        assert_eq!(
            ReactionEmoji::parse("\u{2764}").map(|e| e.as_str().to_owned()),
            Ok("\u{2764}\u{fe0f}".to_owned()),
            "stored fully qualified"
        );
    }

    #[test]
    fn invisible_and_direction_characters_are_refused_in_free_text() {
        for hostile in
            ["\u{202e}admin", "ev\u{200b}il", "line\u{2028}break", "a\u{2066}b", "\u{feff}x", "a\u{200d}b"]
        {
            assert!(ChatTitle::parse(hostile).is_err(), "title {hostile:?}");
            assert!(DisplayName::parse(hostile).is_err(), "display name {hostile:?}");
            assert!(MessageBody::parse(hostile).is_err(), "body {hostile:?}");
        }
        assert!(
            MessageBody::parse("family 👩\u{200d}👩\u{200d}👧 and 🏳\u{fe0f}\u{200d}🌈").is_ok(),
            "ZWJ inside emoji"
        );
        assert!(ChatTitle::parse("Équipe café ☕").is_ok());
    }

    #[test]
    fn search_prefixes_refuse_nul_and_are_bounded() {
        assert_eq!(search_prefix(" Al "), Ok("al".to_owned()));
        assert!(search_prefix("a\0b").is_err());
        assert!(search_prefix(&"a".repeat(USERNAME_MAX + 1)).is_err());
        assert!(search_prefix(&format!(" {} ", "a".repeat(USERNAME_MAX - 1))).is_err(), "counted as sent");
    }

    #[test]
    fn search_texts_are_one_trimmed_line_of_at_most_200() {
        assert_eq!(
            SearchText::parse("  \"deploy plan\" -friday ").map(|s| s.as_str().to_owned()),
            Ok("\"deploy plan\" -friday".into())
        );
        assert!(SearchText::parse("   ").is_err());
        assert!(SearchText::parse("a\nb").is_err());
        assert!(SearchText::parse("a\0b").is_err());
        assert!(SearchText::parse("ev\u{200b}il").is_err());
        assert!(SearchText::parse(&"é".repeat(SEARCH_QUERY_MAX)).is_ok());
        assert!(SearchText::parse(&format!("{} ", "é".repeat(SEARCH_QUERY_MAX))).is_err(), "counted as sent");
    }

    #[test]
    fn search_cursors_round_trip_and_refuse_other_forms() {
        let id = uuid::Uuid::parse_str("6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7").unwrap();
        let cursor = SearchCursor {
            created_at: DateTime::from_timestamp_micros(1_796_164_523_123_456).unwrap(),
            id: MessageId(id),
        };
        let written = cursor.to_string();
        assert_eq!(written, "1796164523123456_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7");
        assert_eq!(SearchCursor::parse(&written), Ok(cursor));
        assert_eq!(SearchCursor::parse(&written.to_uppercase()), Ok(cursor));
        for bad in [
            "",
            "_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
            "+1_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
            "12345678901234567_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
            "1_6f1c2a3b4d5e4f608a7192b3c4d5e6f7",
            "1_{6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7}",
            "1-6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
            "1_6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7_",
        ] {
            assert!(SearchCursor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn titles_and_display_names_are_trimmed_and_bounded() {
        assert_eq!(ChatTitle::parse("  Team  ").map(ChatTitle::into_inner), Ok("Team".into()));
        assert!(ChatTitle::parse("   ").is_err());
        assert!(ChatTitle::parse("a\u{7}b").is_err());
        assert!(DisplayName::parse(&"x".repeat(DISPLAY_NAME_MAX + 1)).is_err());
        assert_eq!(DisplayName::parse(" Bob ").map(DisplayName::into_inner), Ok("Bob".into()));
    }

    #[test]
    fn file_names() {
        assert_eq!(Filename::parse("  report.pdf ").map(Filename::into_inner), Ok("report.pdf".into()));
        assert!(Filename::parse("").is_err());
        assert!(Filename::parse("../etc/passwd").is_err());
        assert!(Filename::parse("a\\b").is_err());
        assert!(Filename::parse("photo\u{202E}gnp.exe").is_err());
        assert!(Filename::parse("a\nb").is_err());
        assert!(Filename::parse(&"x".repeat(FILENAME_MAX + 1)).is_err());
        assert!(Filename::parse(&"é".repeat(FILENAME_MAX)).is_ok());
    }

    #[test]
    fn media_types() {
        assert_eq!(MediaType::parse("Image/PNG").map(MediaType::into_inner), Ok("image/png".into()));
        assert!(MediaType::parse("text/plain; charset=utf-8").is_ok());
        assert!(MediaType::parse("png").is_err());
        assert!(MediaType::parse("text/html\r\nX: y").is_err());
        assert!(MediaType::parse(&format!("a/{}", "b".repeat(MEDIA_TYPE_MAX))).is_err());
    }
}
