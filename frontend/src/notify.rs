//! Browser notifications for messages that arrive while the tab is hidden, once the user
//! has allowed them (`Notification.requestPermission`), as much as Settings asks.
//!
//! How much is kept in this browser, not the account: notifications are a device's (the
//! permission is granted per browser), and a phone may want fewer than a desk.

use leptos::logging::warn;
use web_sys::{Notification, NotificationOptions, NotificationPermission, VisibilityState};

/// This browser has the Notification API (some mobile browsers lack it).
fn supported() -> bool {
    web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
}

/// Notifications are allowed.
pub fn granted() -> bool {
    supported() && Notification::permission() == NotificationPermission::Granted
}

/// The user has not decided yet: worth offering the button.
pub fn undecided() -> bool {
    supported() && Notification::permission() == NotificationPermission::Default
}

/// Where this browser stands on notifications from confab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Unsupported,
    Undecided,
    Granted,
    Denied,
}

impl Permission {
    pub fn sentence(self) -> &'static str {
        match self {
            Permission::Unsupported => "This browser can't show notifications.",
            Permission::Undecided => "This browser hasn't been asked yet.",
            Permission::Granted => "This browser shows confab's notifications.",
            Permission::Denied => {
                "This browser blocks confab's notifications: allow them in its site settings."
            }
        }
    }
}

pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Granted => Permission::Granted,
        NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Undecided,
    }
}

/// Where "Not now" is remembered, so the offer shows until answered once.
const DISMISSED_KEY: &str = "confab.notifications.dismissed";

/// The user said "Not now" to the offer in this browser.
pub fn offer_dismissed() -> bool {
    local_storage().and_then(|s| s.get_item(DISMISSED_KEY).ok().flatten()).is_some()
}

/// Remembers "Not now" (a browser refusing storage just shows the offer again next time).
pub fn dismiss_offer() {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(DISMISSED_KEY, "1");
    }
}

/// Which messages notify in this browser (Settings → Notifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Every message from others, except in muted chats.
    #[default]
    All,
    /// Only direct messages and mentions of me.
    Important,
    /// None.
    Off,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::All, Level::Important, Level::Off];

    /// Its name in storage and in the settings form.
    pub fn key(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Important => "important",
            Level::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::All => "All new messages",
            Level::Important => "Direct messages and mentions of me",
            Level::Off => "Nothing",
        }
    }

    pub fn from_key(key: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.key() == key)
    }

    /// Whether a message notifies at this level; `important` is a direct message or a
    /// mention of me.
    pub fn notifies(self, important: bool) -> bool {
        match self {
            Level::All => true,
            Level::Important => important,
            Level::Off => false,
        }
    }
}

const LEVEL_KEY: &str = "confab.notifications.level";

/// This browser's level; `All` until Settings says otherwise.
pub fn level() -> Level {
    local_storage()
        .and_then(|s| s.get_item(LEVEL_KEY).ok().flatten())
        .and_then(|key| Level::from_key(&key))
        .unwrap_or_default()
}

/// Keeps `level` for this browser; `false` when it refuses storage.
pub fn set_level(level: Level) -> bool {
    local_storage().is_some_and(|storage| storage.set_item(LEVEL_KEY, level.key()).is_ok())
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Asks for permission; `then` runs with the answer (`true` when granted).
pub fn request(then: impl FnOnce(bool) + 'static) {
    let Some(Ok(promise)) = supported().then(Notification::request_permission) else {
        warn!("notifications are not available");
        return;
    };
    leptos::task::spawn_local(async move {
        let answer = wasm_bindgen_futures::JsFuture::from(promise).await;
        then(answer.ok().and_then(|v| v.as_string()).is_some_and(|v| v == "granted"));
    });
}

pub fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == VisibilityState::Hidden)
}

/// Shows `title` with `body` when the tab is hidden, notifications are allowed and this
/// browser's [`level`] wants it (`important`: a direct message or a mention of me).
pub fn show(title: &str, body: &str, important: bool) {
    if !tab_hidden() || !granted() || !level().notifies(important) {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag("confab");
    if Notification::new_with_options(title, &options).is_err() {
        warn!("could not show a notification");
    }
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn levels_round_trip_and_filter() {
        for level in Level::ALL {
            assert_eq!(Level::from_key(level.key()), Some(level));
        }
        assert_eq!(Level::from_key("loud"), None);
        assert!(Level::All.notifies(false));
        assert!(Level::Important.notifies(true) && !Level::Important.notifies(false));
        assert!(!Level::Off.notifies(true));
    }
}
