//! How chats, people and times are shown: plain strings, rendered as text nodes.

use chrono::{DateTime, Local, Utc};
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
    if message.body.trim().is_empty() {
        return match message.attachments.as_slice() {
            [] => String::new(),
            [one] => format!("📎 {}", one.filename),
            many => format!("📎 {} files", many.len()),
        };
    }
    let first_line = message.body.lines().next().unwrap_or_default();
    let short: String = first_line.chars().take(80).collect();
    if short.len() < message.body.len() { format!("{short}…") } else { short }
}

/// `14:05` today, `Mar 3, 14:05` on other days, in the browser's time zone.
pub fn short_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local);
    if local.date_naive() == Local::now().date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %-d, %H:%M").to_string()
    }
}

/// The full timestamp for tooltips and `<time datetime>`.
pub fn full_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%A %-d %B %Y, %H:%M:%S").to_string()
}

/// My unread messages in `chat` (my own messages count as read).
pub fn unread(chat: &Chat) -> i64 {
    (chat.last_seq - chat.last_read_seq).max(0)
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
