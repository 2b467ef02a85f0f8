//! A person's avatar: their initials on a colour derived from their id, so the same person
//! looks the same everywhere and on every device. (Uploaded pictures may follow.)

use confab_shared::UserId;
use leptos::prelude::*;

use crate::format;

#[component]
pub fn Avatar(user_id: UserId, name: String) -> impl IntoView {
    let hue = format::avatar_hue(user_id);
    view! {
        <span
            class="avatar"
            aria-hidden="true"
            // Set through the CSSOM (`style.setProperty`), which the Content-Security-Policy
            // allows; a `style="…"` attribute it would block.
            style:--avatar-hue=hue.to_string()
            data-testid="avatar"
        >
            {format::initials(&name)}
        </span>
    }
}
