//! The app's router: which screen the address names, and moving between screens without
//! loading the page again.
//!
//! confab has four screens, so it does without `leptos_router`: twiggy measured that
//! crate at ~71 KB of the release WASM (route matching, nested routes, its own URL type),
//! against a first-load budget of 250 KB for everything. What the app needs instead:
//! - [`Route::parse`] reads the screen from a path;
//! - [`Router`], provided as context, holds the address in a signal: views read
//!   [`Router::route`] and [`Router::query`], and move on with [`Router::navigate`] (a new
//!   history entry) or [`Router::replace`];
//! - started once at the root, it follows the back and forward buttons (`popstate`) and
//!   opens a plain click on a link to this site in place.

use confab_shared::ChatId;
use leptos::ev;
use leptos::logging::warn;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlAnchorElement, MouseEvent};

/// A screen of the app, as the address names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/`: the chat list, no chat open.
    Home,
    /// `/chats/{id}`; `None` when the id is not one.
    Chat(Option<ChatId>),
    /// `/settings`.
    Settings,
    /// `/login`, where a failed sign-in with a provider lands; signed in, it means `/`.
    Login,
    /// Any other path.
    NotFound,
}

impl Route {
    /// The screen a path (without its query) names. Empty segments don't count, so
    /// `/settings/` is the settings page too.
    pub fn parse(path: &str) -> Self {
        let mut segments = path.split('/').filter(|segment| !segment.is_empty());
        match (segments.next(), segments.next(), segments.next()) {
            (None, _, _) => Self::Home,
            (Some("chats"), Some(id), None) => Self::Chat(Uuid::parse_str(id).ok().map(ChatId)),
            (Some("settings"), None, _) => Self::Settings,
            (Some("login"), None, _) => Self::Login,
            _ => Self::NotFound,
        }
    }
}

/// The parts of the address the app reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Address {
    path: String,
    /// `?a=b…`, or empty.
    search: String,
}

impl Address {
    /// The browser's address right now.
    fn current() -> Self {
        let Some(location) = web_sys::window().map(|w| w.location()) else { return Self::default() };
        Self { path: location.pathname().unwrap_or_default(), search: location.search().unwrap_or_default() }
    }
}

/// The address as a signal and the ways to change it; `Copy`, so handlers and tasks
/// take it along.
#[derive(Debug, Clone, Copy)]
pub struct Router {
    address: RwSignal<Address>,
    route: Memo<Route>,
}

/// The router [`Router::start`] provided.
pub fn use_router() -> Router {
    expect_context::<Router>()
}

impl Router {
    /// Reads the address, provides the router to every view below, and follows history
    /// and link clicks from now on. Once, at the app's root.
    pub fn start() {
        let address = RwSignal::new(Address::current());
        let route = Memo::new(move |_| address.with(|address| Route::parse(&address.path)));
        let router = Self { address, route };
        provide_context(router);
        // Back and forward: the browser has changed the address already. The listeners
        // live as long as the page.
        window_event_listener(ev::popstate, move |_| address.set(Address::current()));
        window_event_listener(ev::click, move |ev| router.follow_link(&ev));
    }

    /// The current screen (tracked: a view reading it follows navigation).
    pub fn route(self) -> Route {
        self.route.get()
    }

    /// The value of `name` in the address's query (`?error=…`), as it is now.
    pub fn query(self, name: &str) -> Option<String> {
        let search = self.address.with_untracked(|address| address.search.clone());
        web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
    }

    /// Goes to `to` (a path, with a query if need be) in a new history entry, unless it
    /// is the address already.
    pub fn navigate(self, to: &str) {
        self.go(to, false);
    }

    /// Goes to `to` in place of the current history entry: the address before is not
    /// worth going back to.
    pub fn replace(self, to: &str) {
        self.go(to, true);
    }

    fn go(self, to: &str, replace: bool) {
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let here = format!(
            "{}{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
            location.hash().unwrap_or_default()
        );
        let written = window.history().and_then(|history| {
            if replace || to == here {
                history.replace_state_with_url(&JsValue::NULL, "", Some(to))
            } else {
                history.push_state_with_url(&JsValue::NULL, "", Some(to))
            }
        });
        if written.is_err() {
            warn!("cannot go to {to}");
            return;
        }
        // Read back, so the signal holds the address as the browser resolved it.
        self.address.set(Address::current());
        // A new page starts at its top, as one loaded would.
        window.scroll_to_with_x_and_y(0.0, 0.0);
    }

    /// A plain left click on a link to a page of this site opens it here instead of
    /// loading it. Links meant to open elsewhere (a `target`, `download`,
    /// `rel="external"`, another origin), clicks with a modifier key, and clicks a
    /// handler already took are the browser's.
    fn follow_link(self, ev: &MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.alt_key()
            || ev.ctrl_key()
            || ev.shift_key()
        {
            return;
        }
        let Some(link) = clicked_link(ev) else { return };
        let elsewhere = !link.target().is_empty()
            || link.has_attribute("download")
            || link.rel().split_ascii_whitespace().any(|rel| rel == "external");
        let origin = web_sys::window().and_then(|w| w.location().origin().ok());
        if elsewhere || origin.as_deref() != Some(link.origin().as_str()) {
            return;
        }
        ev.prevent_default();
        self.navigate(&format!("{}{}{}", link.pathname(), link.search(), link.hash()));
    }
}

/// The link (`<a href>`) a click landed in, if any.
fn clicked_link(ev: &MouseEvent) -> Option<HtmlAnchorElement> {
    let element = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    element.closest("a[href]").ok()??.dyn_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0192f0c1-7b1e-7c3a-9d2e-5f6a7b8c9d0e";

    fn chat() -> Route {
        Route::Chat(Some(ChatId(Uuid::parse_str(ID).unwrap())))
    }

    #[test]
    fn the_screens_are_read_from_their_paths() {
        assert_eq!(Route::parse("/"), Route::Home);
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse(&format!("/chats/{ID}")), chat());
        assert_eq!(Route::parse("/settings"), Route::Settings);
        assert_eq!(Route::parse("/login"), Route::Login);
    }

    #[test]
    fn a_trailing_slash_names_the_same_screen() {
        assert_eq!(Route::parse("/settings/"), Route::Settings);
        assert_eq!(Route::parse(&format!("/chats/{ID}/")), chat());
    }

    #[test]
    fn a_chat_link_without_a_chat_id_is_a_chat_screen_with_no_chat() {
        assert_eq!(Route::parse("/chats/not-an-id"), Route::Chat(None));
        assert_eq!(Route::parse(&format!("/chats/{ID}x")), Route::Chat(None));
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in
            ["/chats", "/chats/", &format!("/chats/{ID}/more"), "/settings/more", "/login/more", "/nope"]
        {
            assert_eq!(Route::parse(path), Route::NotFound, "{path}");
        }
    }
}
