//! Where I am signed in: each browser or device with when it signed in and was last used,
//! this one marked; any other can be signed out, or all of them at once.

use confab_shared::SessionId;
use confab_shared::api::ActiveSession;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Status, StatusLine};
use crate::api;
use crate::format;
use crate::store::Store;

/// `changed` is bumped when the list may have changed elsewhere on the page.
#[component]
pub fn Sessions(changed: RwSignal<u32>) -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Status::new();
    let sessions = RwSignal::new(None::<Vec<ActiveSession>>);
    let reload = move || {
        spawn_local(async move {
            match api::sessions().await {
                Ok(list) => {
                    sessions.try_set(Some(list));
                }
                Err(e) => status.failed_by(store, &e),
            }
        });
    };
    Effect::new(move |_| {
        changed.track();
        reload();
    });
    let revoke = move |id: SessionId| {
        status.run(
            store,
            async move { api::revoke_session(id).await.map(|()| "Signed out.".to_owned()) },
            reload,
        );
    };
    let revoke_others = move |_| {
        status.run(
            store,
            async move {
                let revoked = api::revoke_other_sessions().await?.revoked;
                Ok(match revoked {
                    1 => "Signed out 1 other session.".to_owned(),
                    n => format!("Signed out {n} other sessions."),
                })
            },
            reload,
        );
    };
    let others = move || sessions.with(|list| list.iter().flatten().filter(|s| !s.current).count());

    view! {
        <section class="settings-section" aria-labelledby="sessions-title">
            <h3 id="sessions-title">"Where you're signed in"</h3>
            <ul class="sessions" data-testid="sessions">
                <For each=move || sessions.get().unwrap_or_default() key=|s| s.id let:session>
                    <SessionRow session=session busy=status.busy on_revoke=revoke />
                </For>
            </ul>
            <div class="settings-row">
                <button
                    type="button"
                    class="secondary small"
                    data-testid="revoke-other-sessions"
                    disabled=move || status.busy.get() || others() == 0
                    on:click=revoke_others
                >
                    "Sign out everywhere else"
                </button>
            </div>
            <StatusLine status=status testid="sessions-status" />
        </section>
    }
}

#[component]
fn SessionRow(
    session: ActiveSession,
    busy: RwSignal<bool>,
    on_revoke: impl Fn(SessionId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = session.id;
    let device = format::device(&session.user_agent);
    view! {
        <li data-testid="session" data-current=session.current.to_string()>
            <div class="session-what">
                <strong title=session.user_agent.clone()>{device}</strong>
                {session.current.then(|| view! { <span class="tag">"This browser"</span> })}
                <span class="hint">
                    "Signed in " {format::short_time(session.created_at)}
                    " · last active " {format::ago(session.last_used_at)}
                </span>
            </div>
            {(!session.current).then(|| view! {
                <button
                    type="button"
                    class="secondary small"
                    data-testid="revoke-session"
                    disabled=busy
                    on:click=move |_| on_revoke(id)
                >
                    "Sign out"
                </button>
            })}
        </li>
    }
}
