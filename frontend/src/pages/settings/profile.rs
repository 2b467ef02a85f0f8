//! My name as others see it. The username is fixed (mentions and sign-in use it); the
//! display name can change, and everyone who shares a chat with me sees the new one live
//! (`user_updated`).

use confab_shared::validate::DisplayName;
use leptos::prelude::*;

use super::{Status, StatusLine};
use crate::api;
use crate::format;
use crate::store::Store;

#[component]
pub fn Profile() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Status::new();
    let me = store.me();
    let username = me.as_ref().map(|me| me.username.clone()).unwrap_or_default();
    let name = RwSignal::new(me.map(|me| me.display_name).unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let valid = match DisplayName::parse(&name.get_untracked()) {
            Ok(valid) => valid,
            Err(e) => return status.fail(format::capitalised(&e.to_string())),
        };
        status.run(
            store,
            async move {
                let info = api::update_profile(valid.into_inner()).await?;
                let saved = format!("Saved: others now see you as {}.", info.user.display_name);
                name.try_set(info.user.display_name.clone());
                // My tabs hear `user_updated` too; this one needn't wait for it.
                store.update_user(info.user);
                Ok(saved)
            },
            || {},
        );
    };

    view! {
        <form class="settings-section" aria-labelledby="profile-title" on:submit=submit novalidate>
            <h3 id="profile-title">"Profile"</h3>
            <p class="hint">"Signed in as " <strong data-testid="profile-username">"@" {username}</strong></p>
            <label for="display-name">"Display name"</label>
            <div class="settings-row">
                <input
                    id="display-name"
                    data-testid="display-name"
                    autocomplete="name"
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button class="primary small" type="submit" data-testid="display-name-save" disabled=status.busy>
                    "Save"
                </button>
            </div>
            <StatusLine status=status testid="profile-status" />
        </form>
    }
}
