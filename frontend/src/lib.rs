//! The confab browser app: session gate, router, and the shared store and socket.

mod api;
mod components;
mod format;
mod notify;
mod outbox;
mod pages;
mod store;
mod uploads;
mod ws;

use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::pages::auth::AuthPage;
use crate::pages::chat::{ChatLayout, ChatView, NoChatOpen};
use crate::pages::settings::SettingsPage;
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

    view! {
        <Router>
            {move || match gate.get() {
                Gate::Loading => view! { <p class="splash" role="status">"Loading…"</p> }.into_any(),
                Gate::SignedOut => view! { <AuthPage /> }.into_any(),
                Gate::SignedIn => {
                    view! {
                        <Routes fallback=|| view! { <p class="splash">"Page not found."</p> }>
                            <ParentRoute path=path!("") view=ChatLayout>
                                <Route path=path!("") view=NoChatOpen />
                                <Route path=path!("chats/:id") view=ChatView />
                                <Route path=path!("settings") view=SettingsPage />
                            </ParentRoute>
                            <Route path=path!("login") view=|| view! { <Redirect path="/" /> } />
                        </Routes>
                    }
                        .into_any()
                }
            }}
        </Router>
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
