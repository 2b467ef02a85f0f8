//! `/settings`: my account, one section per concern — profile (display name), password,
//! notifications (this browser's, and the chats I muted), where I am signed in, and the
//! identity providers I sign in with. Each section loads and changes its own part and
//! says how a change went right under it.

mod identities;
mod notifications;
mod password;
mod profile;
mod sessions;

use std::future::Future;

use confab_shared::ApiError;
use confab_shared::api::SessionInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::format;
use crate::store::Store;

use identities::Identities;
use notifications::Notifications;
use password::PasswordForm;
use profile::Profile;
use sessions::Sessions;

crate::split::split_view! {
    /// The settings page, split off from the first download (`crate::split`).
    pub fn settings_view() -> AnyView {
        view! { <SettingsPage /> }.into_any()
    }
    load settings_view_load;
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let store = expect_context::<Store>();
    // My session as the server sees it (`has_password` is only there); read again after
    // a change that alters it.
    let me = RwSignal::new(None::<SessionInfo>);
    // Bumped when my other sessions may have ended (a password change ends them).
    let sessions_changed = RwSignal::new(0_u32);
    let reload_me = move || {
        spawn_local(async move {
            match api::me().await {
                Ok(info) => {
                    me.try_set(info);
                }
                Err(e) => {
                    store.signed_out_by(&e);
                }
            }
        });
    };
    reload_me();

    view! {
        <section class="settings" aria-labelledby="settings-title">
            <header class="settings-header">
                <a class="back" href="/" aria-label="Back to chats">"‹"</a>
                <h2 id="settings-title">"Settings"</h2>
            </header>
            <Profile />
            <Show when=move || me.read().is_some()>
                <PasswordForm
                    has_password=Signal::derive(move || me.read().as_ref().is_some_and(|info| info.has_password))
                    on_changed=move || {
                        reload_me();
                        sessions_changed.update(|n| *n += 1);
                    }
                />
            </Show>
            <Notifications />
            <Sessions changed=sessions_changed />
            <Identities />
        </section>
    }
}

/// How a section's latest change went: a sentence for success or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Done(String),
    Failed(String),
}

/// A section's change in flight and how the last one went.
#[derive(Debug, Clone, Copy)]
struct Status {
    busy: RwSignal<bool>,
    outcome: RwSignal<Option<Outcome>>,
}

impl Status {
    fn new() -> Self {
        Self { busy: RwSignal::new(false), outcome: RwSignal::new(None) }
    }

    fn done(self, message: impl Into<String>) {
        self.outcome.try_set(Some(Outcome::Done(message.into())));
    }

    fn fail(self, message: impl Into<String>) {
        self.outcome.try_set(Some(Outcome::Failed(message.into())));
    }

    /// Shows why a call failed, unless it means I was signed out (then this tab signs out).
    fn failed_by(self, store: Store, e: &ApiError) {
        if !store.signed_out_by(e) {
            self.fail(format::capitalised(&e.message));
        }
    }

    /// Runs one change: busy meanwhile; then its sentence, and `then` after a success.
    /// A failure that means I was signed out signs this tab out instead.
    fn run<F>(self, store: Store, work: F, then: impl FnOnce() + 'static)
    where
        F: Future<Output = Result<String, ApiError>> + 'static,
    {
        self.busy.set(true);
        self.outcome.set(None);
        spawn_local(async move {
            let result = work.await;
            self.busy.try_set(false);
            match result {
                Ok(done) => {
                    self.done(done);
                    then();
                }
                Err(e) => self.failed_by(store, &e),
            }
        });
    }
}

/// The sentence of a [`Status`]. The element is always there (empty and hidden until a
/// change ends), so screen readers announce what goes into it.
#[component]
fn StatusLine(status: Status, testid: &'static str) -> impl IntoView {
    let failed = move || matches!(status.outcome.get(), Some(Outcome::Failed(_)));
    view! {
        <p
            role="status"
            data-testid=testid
            class:notice=move || !failed()
            class:form-error=failed
            hidden=move || status.outcome.read().is_none()
        >
            {move || match status.outcome.get() {
                Some(Outcome::Done(text) | Outcome::Failed(text)) => text,
                None => String::new(),
            }}
        </p>
    }
}
