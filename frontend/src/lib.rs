//! The confab browser app: session gate, routes, and the shared store and socket.

mod api;
mod components;
mod format;
mod notify;
mod outbox;
mod pages;
mod route;
mod split;
mod store;
mod uploads;
mod ws;

use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::pages::auth::AuthPage;
use crate::pages::chat::{ChatLayout, ChatView, NoChatOpen};
use crate::pages::settings::{settings_view, settings_view_load};
use crate::route::{Route, Router, use_router};
use crate::store::{Session, Store};
use crate::ws::Realtime;

/// Which screen the session allows; a memo so profile changes do not rebuild the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Loading,
    SignedOut,
    SignedIn,
}

#[component]
pub fn App() -> impl IntoView {
    Router::start();
    let store = Store::new();
    let realtime = Realtime::new(store);
    provide_context(store);
    provide_context(realtime);
    watch_visibility(store);

    // The total unread count in the tab title: "(3) confab".
    Effect::new(move |_| {
        let unread: i64 = store.chats.with(|list| list.chats.iter().map(format::unread).sum());
        let title = if unread > 0 { format!("({unread}) confab") } else { "confab".to_owned() };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });

    spawn_local(async move {
        match api::limits().await {
            Ok(limits) => store.limits.set(limits),
            Err(error) => warn!("could not read the server's limits: {error}"),
        }
    });

    spawn_local(async move {
        match api::me().await {
            Ok(Some(info)) => store.sign_in(info.user),
            Ok(None) => store.session.set(Session::SignedOut),
            Err(error) => {
                warn!("could not check the session: {error}");
                store.session.set(Session::SignedOut);
            }
        }
    });

    let gate = Memo::new(move |_| match &*store.session.read() {
        Session::Loading => Gate::Loading,
        Session::SignedOut => Gate::SignedOut,
        Session::SignedIn(_) => Gate::SignedIn,
    });
    // The socket lives exactly as long as the session.
    Effect::new(move |_| match gate.get() {
        Gate::SignedIn => realtime.start(),
        Gate::SignedOut | Gate::Loading => realtime.stop(),
    });

    move || match gate.get() {
        Gate::Loading => view! { <p class="splash" role="status">"Loading…"</p> }.into_any(),
        Gate::SignedOut => view! { <AuthPage /> }.into_any(),
        Gate::SignedIn => view! { <SignedIn /> }.into_any(),
    }
}

/// The signed-in screens: the chat layout around the home, chat and settings pages (kept
/// while moving between them), or "Page not found.".
#[component]
fn SignedIn() -> impl IntoView {
    let router = use_router();
    // Where a provider's sign-in lands; signed in, that is the chat list.
    Effect::new(move || {
        if router.route() == Route::Login {
            router.replace("/");
        }
    });
    // Once the chat list is on screen, the screens split off from the first download are
    // fetched in the background, so that opening one is instant (`split`).
    set_timeout(
        || {
            spawn_local(async {
                let _ = prefetch_split_views().await;
            });
        },
        PREFETCH_AFTER,
    );
    let found = Memo::new(move |_| router.route() != Route::NotFound);
    move || {
        if found.get() {
            view! { <ChatLayout>{move || page(router.route())}</ChatLayout> }.into_any()
        } else {
            view! { <p class="splash">"Page not found."</p> }.into_any()
        }
    }
}

/// How long after sign-in the split-off screens start downloading: the signed-in screen's
/// own requests (chat list, socket, history) come first.
const PREFETCH_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// Downloads the modules of every split-off screen, one after the other, while the
/// browser is online; it stops at the first failure and leaves that to the screen's own
/// "Retry" (`split::deferred`).
async fn prefetch_split_views() -> Option<()> {
    use crate::components::{attachments, chat_settings, emoji_picker, mention_picker, new_chat, search};
    if !web_sys::window()?.navigator().on_line() {
        return None;
    }
    mention_picker::mention_options_view_load().await.ok()?;
    new_chat::new_chat_view_load().await.ok()?;
    chat_settings::chat_settings_view_load().await.ok()?;
    emoji_picker::emoji_picker_view_load().await.ok()?;
    search::search_results_view_load().await.ok()?;
    settings_view_load().await.ok()?;
    uploads::attempt_load().await.ok()?;
    attachments::lightbox_view_load().await.ok()
}

/// The page inside the chat layout.
fn page(route: Route) -> AnyView {
    match route {
        Route::Chat(chat_id) => view! { <ChatView chat_id=chat_id /> }.into_any(),
        // Its code is downloaded when it is first opened (`split`).
        Route::Settings => split::deferred(settings_view_load, settings_view).into_any(),
        // `/login` is on its way to `/`; a path not found takes the layout away.
        Route::Home | Route::Login | Route::NotFound => view! { <NoChatOpen /> }.into_any(),
    }
}

/// Keeps `store.visible` in step with the tab's visibility (read receipts wait for it).
fn watch_visibility(store: Store) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    store.visible.set(!notify::tab_hidden());
    let on_change = Closure::<dyn FnMut()>::new(move || {
        store.visible.try_set(!notify::tab_hidden());
    });
    if document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref())
        .is_err()
    {
        warn!("cannot watch the tab's visibility");
    }
    // Lives as long as the app.
    on_change.forget();
}
