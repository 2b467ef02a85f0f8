//! The confab browser app: session gate, router, and the shared store and socket.

mod api;
mod components;
mod format;
mod outbox;
mod pages;
mod store;
mod ws;

use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::pages::auth::AuthPage;
use crate::pages::chat::{ChatLayout, ChatView, NoChatOpen};
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
                            </ParentRoute>
                        </Routes>
                    }
                        .into_any()
                }
            }}
        </Router>
    }
}
