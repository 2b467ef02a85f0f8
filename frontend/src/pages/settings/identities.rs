//! The identity providers I sign in with: linked ones (each removable, though never the
//! last way in — the server refuses that), and a "Link …" button per configured provider.
//! A link that failed comes back to `/settings?error=<code>`.

use confab_shared::IdentityId;
use confab_shared::api::{AuthProvider, LinkedIdentity, SignInError};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Status, StatusLine};
use crate::api;
use crate::route::use_router;
use crate::store::Store;

/// What the section shows, loaded together and again after each change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Linked {
    identities: Vec<LinkedIdentity>,
    providers: Vec<AuthProvider>,
}

#[component]
pub fn Identities() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Status::new();
    if let Some(error) = link_error() {
        status.fail(error);
    }
    let linked = RwSignal::new(None::<Linked>);
    let reload = move || {
        spawn_local(async move {
            let loaded = async {
                Ok(Linked { identities: api::identities().await?, providers: api::providers().await? })
            };
            match loaded.await {
                Ok(loaded) => {
                    linked.try_set(Some(loaded));
                }
                Err(e) => status.failed_by(store, &e),
            }
        });
    };
    reload();
    let remove = move |id: IdentityId| {
        status.run(
            store,
            async move { api::unlink_identity(id).await.map(|()| "Removed.".to_owned()) },
            reload,
        );
    };
    let link = move |provider: String| {
        status.busy.set(true);
        spawn_local(async move {
            match api::link_provider(&provider).await {
                Ok(link) => go_to(&link.redirect),
                Err(e) => {
                    status.busy.try_set(false);
                    status.failed_by(store, &e);
                }
            }
        });
    };

    view! {
        <section class="settings-section" aria-labelledby="identities-title">
            <h3 id="identities-title">"Linked accounts"</h3>
            {move || linked.get().map(|linked| view! {
                <IdentityList identities=linked.identities busy=status.busy on_remove=remove />
                <div class="link-buttons">
                    {linked.providers.into_iter().map(|provider| {
                        let id = provider.id.clone();
                        view! {
                            <button
                                type="button"
                                class="secondary small"
                                data-testid="link-provider"
                                disabled=move || status.busy.get() || !provider.available
                                on:click=move |_| link(id.clone())
                            >
                                "Link " {provider.label.clone()}
                                {(!provider.available).then_some(" (unavailable)")}
                            </button>
                        }
                    }).collect_view()}
                </div>
            })}
            <StatusLine status=status testid="identities-status" />
        </section>
    }
}

#[component]
fn IdentityList(
    identities: Vec<LinkedIdentity>,
    busy: RwSignal<bool>,
    on_remove: impl Fn(IdentityId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    if identities.is_empty() {
        return view! { <p class="hint" data-testid="no-identities">"No linked accounts."</p> }.into_any();
    }
    view! {
        <ul class="identities" data-testid="identities">
            {identities.into_iter().map(|identity| {
                let id = identity.id;
                view! {
                    <li data-testid="identity">
                        <span class="identity-label">{identity.label}</span>
                        <span class="hint">{identity.email.unwrap_or_default()}</span>
                        <button type="button" class="secondary small" disabled=move || busy.get() on:click=move |_| on_remove(id)>
                            "Remove"
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The sentence for `?error=<code>` of a link that failed, then taken out of the address.
fn link_error() -> Option<String> {
    let router = use_router();
    let code = router.query("error")?;
    router.replace("/settings");
    Some(
        SignInError::from_code(&code).map_or("Linking the provider failed.", SignInError::message).to_owned(),
    )
}

/// Leaves the app for the provider's page.
fn go_to(url: &str) {
    if let Some(window) = web_sys::window()
        && window.location().assign(url).is_err()
    {
        leptos::logging::warn!("could not go to the provider");
    }
}
