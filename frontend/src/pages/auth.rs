//! Sign in and register: one form that switches between the two.

use confab_shared::api::{LoginRequest, RegisterRequest};
use confab_shared::validate::{DisplayName, Password, Username};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
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
    let error = RwSignal::new(None::<String>);
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
                <button class="link" type="button" data-testid="auth-toggle" on:click=toggle>
                    {move || {
                        if registering() { "Have an account? Sign in" } else { "New here? Create an account" }
                    }}
                </button>
            </form>
        </main>
    }
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
