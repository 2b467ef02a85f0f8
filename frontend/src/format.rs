//! How chats, people and times are shown: plain strings, rendered as text nodes.
//!
//! Dates are written field by field rather than with chrono's `format`, and case is
//! changed by the browser: chrono's format interpreter and Rust's Unicode case tables
//! would add to the download what the browser or a few lines already do.

use chrono::{DateTime, Datelike, Local, NaiveDate, Timelike, Utc};
use confab_shared::UserId;
use confab_shared::api::{Chat, ChatKind, Message};

/// A group's title, or the other member's display name for a direct chat.
pub fn chat_name(chat: &Chat, me: Option<UserId>) -> String {
    match chat.kind {
        ChatKind::Group => chat.title.clone().unwrap_or_else(|| "Untitled group".to_owned()),
        ChatKind::Direct => chat
            .members
            .iter()
            .find(|m| Some(m.user.id) != me)
            .or_else(|| chat.members.first())
            .map(|m| m.user.display_name.clone())
            .unwrap_or_else(|| "Direct chat".to_owned()),
    }
}

/// The display name of `user_id` among the chat's members (empty while the chat loads).
pub fn member_name(chat: Option<&Chat>, user_id: UserId) -> String {
    let Some(chat) = chat else { return String::new() };
    chat.members
        .iter()
        .find(|m| m.user.id == user_id)
        .map(|m| m.user.display_name.clone())
        .unwrap_or_else(|| "Former member".to_owned())
}

/// The sidebar's one-line preview of a chat's newest message.
pub fn preview(chat: &Chat, me: Option<UserId>) -> String {
    let Some(message) = &chat.last_message else { return "No messages yet".to_owned() };
    let text = message_text(message);
    if Some(message.sender_id) == me {
        return format!("You: {text}");
    }
    match chat.kind {
        ChatKind::Direct => text,
        ChatKind::Group => format!("{}: {text}", member_name(Some(chat), message.sender_id)),
    }
}

/// A message as one line of plain text (previews, notifications).
pub fn message_text(message: &Message) -> String {
    if message.deleted {
        return "Message deleted".to_owned();
    }
    if let Some(event) = &message.system {
        return event.describe();
    }
    if message.body.trim().is_empty() {
        return match message.attachments.as_slice() {
            [] => String::new(),
            [one] => format!("📎 {}", one.filename),
            many => format!("📎 {} files", many.len()),
        };
    }
    // The rendered text, not the Markdown source: `**this**` previews as "this".
    let text =
        if message.body_html.is_empty() { message.body.clone() } else { plain_text(&message.body_html) };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() { format!("{short}…") } else { short }
}

/// The text of server-sanitised HTML (`body_html`): tags dropped, the five entities the
/// sanitiser writes decoded, blocks separated by a space. Hand-written because that HTML
/// is already well-formed and tiny; a Markdown or HTML parser would add to the download.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "Monday 30 November".
fn weekday_day_month(day: NaiveDate) -> String {
    let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    format!("{weekday} {} {}", day.day(), MONTHS[day.month0() as usize])
}

/// "14:05", or "14:05:09" with `seconds`.
fn clock(at: &impl Timelike, seconds: bool) -> String {
    if seconds {
        format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
    } else {
        format!("{:02}:{:02}", at.hour(), at.minute())
    }
}

/// The label of a day separator: "Today", "Yesterday", "Monday 30 November", or with
/// the year when it is not this year's.
pub fn day_label(at: DateTime<Utc>) -> String {
    let day = at.with_timezone(&Local).date_naive();
    let today = Local::now().date_naive();
    if day == today {
        "Today".to_owned()
    } else if today.pred_opt() == Some(day) {
        "Yesterday".to_owned()
    } else if day.year() == today.year() {
        weekday_day_month(day)
    } else {
        format!("{} {}", weekday_day_month(day), day.year())
    }
}

/// The local calendar day of a moment (day separators compare these).
pub fn local_day(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&Local).date_naive()
}

/// "5 min ago", "3 h ago", "2 days ago": the relative half of a message's tooltip.
pub fn ago(at: DateTime<Utc>) -> String {
    let minutes = (Utc::now() - at).num_minutes();
    match minutes {
        ..1 => "just now".to_owned(),
        1..60 => format!("{minutes} min ago"),
        60..1440 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Up to two initials of a name, for its avatar: "Ada Lovelace" → "AL", "bob" → "B".
pub fn initials(name: &str) -> String {
    let initials: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .collect();
    uppercase(&initials)
}

/// `text` in lower case, by the browser's `toLowerCase`: Rust's `to_lowercase` would bring
/// its Unicode tables, about 10 KB brotli. Natively (unit tests) by Rust's, which agrees.
#[cfg(target_arch = "wasm32")]
pub fn lowercase(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

/// `text` in upper case, as [`lowercase`] does it.
#[cfg(target_arch = "wasm32")]
pub fn uppercase(text: &str) -> String {
    js_sys::JsString::from(text).to_upper_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn uppercase(text: &str) -> String {
    text.to_uppercase()
}

/// A hue (0–359) that is always the same for one person, so their avatar keeps its colour.
pub fn avatar_hue(id: UserId) -> u16 {
    // FNV-1a over the id's bytes: stable across sessions and machines.
    let hash =
        id.0.as_bytes().iter().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193));
    (hash % 360) as u16
}

/// `14:05` today, `Mar 3, 14:05` on other days, in the browser's time zone.
pub fn short_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local);
    let day = local.date_naive();
    if day == Local::now().date_naive() {
        clock(&local, false)
    } else {
        format!("{} {}, {}", &MONTHS[day.month0() as usize][..3], day.day(), clock(&local, false))
    }
}

/// The full timestamp for tooltips: "Monday 30 November 2026, 14:05:09".
pub fn full_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local);
    format!("{} {}, {}", weekday_day_month(local.date_naive()), local.year(), clock(&local, true))
}

/// My unread messages in `chat`, as the server counts them (others' messages after my
/// read position; system lines never count).
pub fn unread(chat: &Chat) -> i64 {
    chat.unread_count.max(0)
}

/// "online", "last seen 5 min ago", or `None` when nothing is known.
pub fn last_seen(online: bool, last_seen: Option<DateTime<Utc>>) -> Option<String> {
    if online {
        return Some("online".to_owned());
    }
    let at = last_seen?;
    let minutes = (Utc::now() - at).num_minutes();
    Some(match minutes {
        ..1 => "last seen just now".to_owned(),
        1..60 => format!("last seen {minutes} min ago"),
        60..1440 => format!("last seen {} h ago", minutes / 60),
        _ => format!("last seen {}", short_time(at)),
    })
}

/// "Chrome on Linux": a session's browser and system, read from its `User-Agent` well
/// enough to recognise one's own devices (the full string is in its tooltip). Hand-written:
/// a user-agent parser crate carries a regex database larger than this whole app.
pub fn device(user_agent: &str) -> String {
    const BROWSERS: [(&str, &str); 7] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table.iter().find(|(token, _)| user_agent.contains(token)).map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) if user_agent.is_empty() => "Unknown device".to_owned(),
        (None, None) => user_agent.chars().take(40).collect(),
    }
}

/// A validation message as a sentence ("display name must be …" → "Display name must be …").
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| uppercase(first.encode_utf8(&mut [0; 4])) + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_their_user_agent() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device(chrome), "Chrome on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device(iphone), "Safari on iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device(edge), "Edge on Windows");
        assert_eq!(device("curl/8.5.0"), "curl/8.5.0");
        assert_eq!(device(""), "Unknown device");
    }

    #[test]
    fn messages_become_sentences() {
        assert_eq!(capitalised("display name must be short"), "Display name must be short");
        assert_eq!(capitalised("élan"), "Élan");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn previews_are_plain_text() {
        assert_eq!(
            plain_text("<p><strong>this</strong> &amp; <code>&lt;that&gt;</code></p>"),
            "this & <that>"
        );
        assert_eq!(plain_text("<p>one</p>\n<p>two</p>"), "one two");
        assert_eq!(plain_text("<p>&quot;q&quot; &#39;s&#39; &amp;lt;</p>"), "\"q\" 's' &lt;");
    }

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("  émile  zola  the third"), "ÉZ");
        assert_eq!(initials("(x) y"), "XY");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn dates_are_written_out_in_english() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(weekday_day_month(day), "Monday 30 November");
        let at = day.and_hms_opt(14, 5, 9).unwrap();
        assert_eq!(clock(&at, false), "14:05");
        assert_eq!(clock(&at, true), "14:05:09");
    }

    #[test]
    fn a_person_keeps_their_colour() {
        let id = UserId(uuid::Uuid::from_u128(42));
        assert_eq!(avatar_hue(id), avatar_hue(id));
        assert!(avatar_hue(id) < 360);
        assert_ne!(avatar_hue(id), avatar_hue(UserId(uuid::Uuid::from_u128(43))));
    }

    /// WCAG relative luminance of an sRGB colour with channels in 0..=1.
    fn luminance([r, g, b]: [f64; 3]) -> f64 {
        let linear = |c: f64| if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// CSS `hsl(h s% l%)` as sRGB.
    fn hsl(h: f64, s: f64, l: f64) -> [f64; 3] {
        let chroma = (1.0 - (2.0 * l - 1.0).abs()) * s;
        let x = chroma * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
        let (r, g, b) = match (h / 60.0) as u32 {
            0 => (chroma, x, 0.0),
            1 => (x, chroma, 0.0),
            2 => (0.0, chroma, x),
            3 => (0.0, x, chroma),
            4 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        let m = l - chroma / 2.0;
        [r + m, g + m, b + m]
    }

    #[test]
    fn white_initials_read_on_every_avatar_colour() {
        // The saturation and lightness as the stylesheet has them.
        let css = include_str!("../style.css");
        let rule = css.split("hsl(var(--avatar-hue, 220) ").nth(1).expect("the avatar's background rule");
        let mut numbers =
            rule.split('%').take(2).map(|n| n.trim().parse::<f64>().expect("a percentage") / 100.0);
        let (saturation, lightness) =
            (numbers.next().expect("saturation"), numbers.next().expect("lightness"));
        for hue in 0..360 {
            let background = luminance(hsl(f64::from(hue), saturation, lightness));
            let contrast = 1.05 / (background + 0.05);
            assert!(contrast >= 4.5, "hue {hue}: {contrast:.2}:1");
        }
    }
}
