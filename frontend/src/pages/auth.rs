//! Sign in and register: one form that switches between the two, and a button for each
//! identity provider. A sign-in with a provider that failed comes back here with
//! `?error=<code>`, shown as a sentence.

use confab_shared::api::{AuthProvider, LoginRequest, RegisterRequest, SignInError};
use confab_shared::validate::{DisplayName, Password, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::route::use_router;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Login,
    Register,
}

#[component]
pub fn AuthPage() -> impl IntoView {
    let store = expect_context::<Store>();
    let mode = RwSignal::new(Mode::Login);
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(provider_error());
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mode = mode.get_untracked();
        let request = match build_request(
            mode,
            &username.get_untracked(),
            &display_name.get_untracked(),
            &password.get_untracked(),
        ) {
            Ok(request) => request,
            Err(message) => {
                error.set(Some(message));
                return;
            }
        };
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = match &request {
                Request::Login(body) => api::login(body).await,
                Request::Register(body) => api::register(body).await,
            };
            busy.try_set(false);
            match result {
                Ok(info) => store.sign_in(info.user),
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };

    let toggle = move |_| {
        mode.update(|m| *m = if *m == Mode::Login { Mode::Register } else { Mode::Login });
        error.set(None);
    };
    let registering = move || mode.get() == Mode::Register;

    view! {
        <main class="auth">
            <form class="auth-card" on:submit=submit novalidate>
                <h1 class="brand">"confab"</h1>
                <h2>{move || if registering() { "Create your account" } else { "Sign in" }}</h2>
                <label for="auth-username">"Username"</label>
                <input
                    id="auth-username"
                    data-testid="auth-username"
                    name="username"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                <Show when=registering>
                    <label for="auth-display-name">
                        "Display name " <span class="optional">"(optional)"</span>
                    </label>
                    <input
                        id="auth-display-name"
                        data-testid="auth-display-name"
                        name="display_name"
                        autocomplete="nickname"
                        prop:value=display_name
                        on:input=move |ev| display_name.set(event_target_value(&ev))
                    />
                </Show>
                <label for="auth-password">"Password"</label>
                <input
                    id="auth-password"
                    data-testid="auth-password"
                    name="password"
                    type="password"
                    required
                    autocomplete=move || if registering() { "new-password" } else { "current-password" }
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p class="form-error" data-testid="auth-error" role="alert" hidden=move || error.read().is_none()>
                    {move || error.get().unwrap_or_default()}
                </p>
                <button class="primary" type="submit" data-testid="auth-submit" disabled=busy>
                    {move || match (registering(), busy.get()) {
                        (_, true) => "Please wait…",
                        (true, false) => "Create account",
                        (false, false) => "Sign in",
                    }}
                </button>
                <ProviderButtons />
                <button class="link" type="button" data-testid="auth-toggle" on:click=toggle>
                    {move || {
                        if registering() { "Have an account? Sign in" } else { "New here? Create an account" }
                    }}
                </button>
            </form>
        </main>
    }
}

/// The sentence for `?error=<code>` in the address, which is then taken out of it (a
/// reload shouldn't say it again).
fn provider_error() -> Option<String> {
    let router = use_router();
    let code = router.query("error")?;
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    let path = if path.starts_with("/login") { "/".to_owned() } else { path };
    router.replace(&path);
    Some(
        SignInError::from_code(&code)
            .map_or("Signing in with the provider failed.", SignInError::message)
            .to_owned(),
    )
}

/// "Sign in with {label}" for each configured provider; one that can't be reached right
/// now is shown disabled.
#[component]
fn ProviderButtons() -> impl IntoView {
    let providers = RwSignal::new(Vec::<AuthProvider>::new());
    spawn_local(async move {
        match api::providers().await {
            Ok(list) => {
                providers.try_set(list);
            }
            Err(e) => leptos::logging::warn!("could not list the sign-in providers: {e}"),
        }
    });
    view! {
        <Show when=move || !providers.read().is_empty()>
            <div class="providers" data-testid="auth-providers">
                <p class="divider">"or"</p>
                <For each=move || providers.get() key=|p| (p.id.clone(), p.available) let:provider>
                    {if provider.available {
                        view! {
                            <a class="button secondary" data-testid="auth-provider" rel="external" href=api::sign_in_url(&provider.id, &return_to())>
                                "Sign in with " {provider.label}
                            </a>
                        }
                            .into_any()
                    } else {
                        view! {
                            <button type="button" class="secondary" data-testid="auth-provider" disabled>
                                "Sign in with " {provider.label} " (unavailable)"
                            </button>
                        }
                            .into_any()
                    }}
                </For>
            </div>
        </Show>
    }
}

/// Where a sign-in with a provider lands: the page asked for, not the login page itself.
fn return_to() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else { return "/".to_owned() };
    let path = location.pathname().unwrap_or_default();
    if path.is_empty() || path.starts_with("/login") {
        return "/".to_owned();
    }
    path + &location.search().unwrap_or_default()
}

enum Request {
    Login(LoginRequest),
    Register(RegisterRequest),
}

/// Checks the form with the same rules the server applies (promise 8).
fn build_request(mode: Mode, username: &str, display_name: &str, password: &str) -> Result<Request, String> {
    let username = Username::parse(username).map_err(|e| e.to_string())?.into_inner();
    match mode {
        Mode::Login => {
            if password.is_empty() {
                return Err("Enter your password.".to_owned());
            }
            Ok(Request::Login(LoginRequest { username, password: password.to_owned() }))
        }
        Mode::Register => {
            let password = Password::parse(password).map_err(|e| e.to_string())?.expose().to_owned();
            let display_name = match display_name.trim() {
                "" => None,
                name => Some(DisplayName::parse(name).map_err(|e| e.to_string())?.into_inner()),
            };
            Ok(Request::Register(RegisterRequest { username, password, display_name }))
        }
    }
}
