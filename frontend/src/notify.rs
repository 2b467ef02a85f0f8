//! Browser notifications for messages that arrive while the tab is hidden, once the user
//! has allowed them (`Notification.requestPermission`).

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

/// Shows `title` with `body` when the tab is hidden and notifications are allowed.
pub fn show(title: &str, body: &str) {
    if !tab_hidden() || !granted() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag("confab");
    if Notification::new_with_options(title, &options).is_err() {
        warn!("could not show a notification");
    }
}
