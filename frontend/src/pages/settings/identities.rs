//! `/settings`: for now, the ways to sign in — identities at providers (linked, linked
//! anew, removed) and, for an account made by a provider, setting a first password. A
//! link that failed comes back here with `?error=<code>`.

use confab_shared::api::{AuthProvider, LinkedIdentity, SignInError};
use confab_shared::validate::Password;
use confab_shared::{ApiError, IdentityId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::store::Store;

/// What the page shows, loaded together and again after each change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ways {
    identities: Vec<LinkedIdentity>,
    providers: Vec<AuthProvider>,
    has_password: bool,
}

async fn load() -> Result<Ways, ApiError> {
    let identities = api::identities().await?;
    let providers = api::providers().await?;
    let has_password = api::me().await?.is_some_and(|info| info.has_password);
    Ok(Ways { identities, providers, has_password })
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let store = expect_context::<Store>();
    let ways = RwSignal::new(None::<Ways>);
    let error = RwSignal::new(link_error());
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let reload = move || {
        spawn_local(async move {
            match load().await {
                Ok(loaded) => {
                    ways.try_set(Some(loaded));
                }
                Err(e) if !store.signed_out_by(&e) => {
                    error.try_set(Some(e.message));
                }
                Err(_) => {}
            }
        });
    };
    reload();

    // One change at a time; the page reloads after it, errors show at the top.
    let act = move |work: std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, ApiError>>>>| {
        busy.set(true);
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            let result = work.await;
            busy.try_set(false);
            match result {
                Ok(done) => {
                    notice.try_set(Some(done));
                    reload();
                }
                Err(e) if !store.signed_out_by(&e) => {
                    error.try_set(Some(e.message));
                }
                Err(_) => {}
            }
        });
    };
    let remove = move |id: IdentityId| {
        act(Box::pin(async move { api::unlink_identity(id).await.map(|()| "Removed.".to_owned()) }))
    };
    let link = move |provider: String| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::link_provider(&provider).await {
                Ok(link) => go_to(&link.redirect),
                Err(e) => {
                    busy.try_set(false);
                    error.try_set(Some(e.message));
                }
            }
        });
    };

    view! {
        <section class="settings" aria-labelledby="settings-title">
            <header class="settings-header">
                <a class="back" href="/" aria-label="Back to chats">"‹"</a>
                <h2 id="settings-title">"Settings"</h2>
            </header>
            <p class="form-error" data-testid="settings-error" role="alert" hidden=move || error.read().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
            <p class="notice" role="status" hidden=move || notice.read().is_none()>
                {move || notice.get().unwrap_or_default()}
            </p>
            <h3>"Linked accounts"</h3>
            {move || ways.get().map(|ways| {
                let linkable: Vec<AuthProvider> = ways.providers.clone();
                view! {
                    <IdentityList identities=ways.identities.clone() busy=busy on_remove=remove />
                    <div class="link-buttons">
                        {linkable.into_iter().map(|provider| {
                            let id = provider.id.clone();
                            view! {
                                <button
                                    type="button"
                                    class="secondary small"
                                    data-testid="link-provider"
                                    disabled=move || busy.get() || !provider.available
                                    on:click=move |_| link(id.clone())
                                >
                                    "Link " {provider.label.clone()}
                                    {(!provider.available).then_some(" (unavailable)")}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                    <Show when=move || !ways.has_password>
                        <SetPassword busy=busy on_set=move |password| act(Box::pin(async move {
                            api::set_password(password).await.map(|()| "Password set: you can sign in with it too.".to_owned())
                        })) />
                    </Show>
                }
            })}
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

/// A first password, for an account that signs in only with a provider.
#[component]
fn SetPassword(
    busy: RwSignal<bool>,
    on_set: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Password::parse(&password.get_untracked()) {
            Ok(valid) => {
                problem.set(None);
                on_set(valid.expose().to_owned());
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    view! {
        <form class="set-password" on:submit=submit novalidate>
            <h3>"Set a password"</h3>
            <p class="hint">"This account signs in only with a provider. With a password, you can sign in without it too."</p>
            <label for="new-password">"New password"</label>
            <input
                id="new-password"
                data-testid="new-password"
                type="password"
                autocomplete="new-password"
                prop:value=password
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <p class="form-error" role="alert" hidden=move || problem.read().is_none()>
                {move || problem.get().unwrap_or_default()}
            </p>
            <button class="primary small" type="submit" data-testid="set-password" disabled=busy>"Set password"</button>
        </form>
    }
}

/// The sentence for `?error=<code>` of a link that failed, then taken out of the address.
fn link_error() -> Option<String> {
    let code = use_query_map().with_untracked(|query| query.get("error"))?;
    use_navigate()("/settings", NavigateOptions { replace: true, ..Default::default() });
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
