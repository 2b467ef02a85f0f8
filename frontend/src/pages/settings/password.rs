//! Changing my password — with the current one, after which my other sessions end — or,
//! for an account an identity provider made, setting a first one.

use confab_shared::validate::Password;
use leptos::prelude::*;

use super::{Status, StatusLine};
use crate::api;
use crate::format;
use crate::store::Store;

#[component]
pub fn PasswordForm(
    has_password: Signal<bool>,
    on_changed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Status::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let has_password = has_password.get_untracked();
        if has_password && current.with_untracked(String::is_empty) {
            return status.fail("Enter your current password.");
        }
        let valid = match Password::parse(&new.get_untracked()) {
            Ok(valid) => valid,
            Err(e) => return status.fail(format::capitalised(&e.to_string())),
        };
        let current_password = current.get_untracked();
        status.run(
            store,
            async move {
                api::change_password(current_password, valid.expose().to_owned()).await?;
                Ok(if has_password {
                    "Password changed. Your other sessions were signed out.".to_owned()
                } else {
                    "Password set: you can sign in with it too.".to_owned()
                })
            },
            move || {
                current.try_set(String::new());
                new.try_set(String::new());
                on_changed();
            },
        );
    };

    view! {
        <form class="settings-section" aria-labelledby="password-title" on:submit=submit novalidate>
            <h3 id="password-title">{move || if has_password.get() { "Change password" } else { "Set a password" }}</h3>
            <Show
                when=move || has_password.get()
                fallback=|| view! {
                    <p class="hint">"This account signs in only with a provider. With a password, you can sign in without it too."</p>
                }
            >
                <label for="current-password">"Current password"</label>
                <input
                    id="current-password"
                    data-testid="current-password"
                    type="password"
                    autocomplete="current-password"
                    prop:value=current
                    on:input=move |ev| current.set(event_target_value(&ev))
                />
            </Show>
            <label for="new-password">"New password"</label>
            <input
                id="new-password"
                data-testid="new-password"
                type="password"
                autocomplete="new-password"
                prop:value=new
                on:input=move |ev| new.set(event_target_value(&ev))
            />
            <div class="settings-row">
                <button class="primary small" type="submit" data-testid="set-password" disabled=status.busy>
                    {move || if has_password.get() { "Change password" } else { "Set password" }}
                </button>
            </div>
            <StatusLine status=status testid="password-status" />
        </form>
    }
}
