//! The small online / connecting / offline indicator.

use leptos::prelude::*;

use crate::store::{Connection, Store};

#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let store = expect_context::<Store>();
    let state = move || store.connection.get();
    let label = move || match state() {
        Connection::Online => "Online",
        Connection::Connecting => "Connecting…",
        Connection::Offline => "Offline",
    };
    view! {
        <span
            class="connection"
            data-testid="connection-status"
            data-state=move || state().as_str()
            role="status"
            title=label
        >
            <span class="dot" aria-hidden="true"></span>
            <span class="connection-label">{label}</span>
        </span>
    }
}
