//! `/api/auth/providers`, `/api/auth/oidc/{provider}/*`, `/api/auth/identities`: sign in
//! with an identity provider, link one, and see and unlink one's identities.
//!
//! `start` and `callback` are browser navigations, not API calls: whatever happens they
//! answer with a redirect, on failure to the login (or settings) page with
//! `?error=<code>`, which the page shows as a sentence (`SignInError`).

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use confab_shared::api::{AuthProvider, LinkRedirect, LinkedIdentity, SignInError};
use confab_shared::{ErrorBody, IdentityId};

use super::openapi::{SameSite, SignedIn};
use crate::auth::{Authenticated, Presented, token};
use crate::error::{AppError, AppResult};
use crate::services::oidc::{self, Callback, Failed, Failure, Finished};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/auth/providers", tag = "auth",
    responses(
        (status = 200, description = "The configured identity providers, in configuration order; `available: false` while one can't be reached", body = [AuthProvider]),
    ))]
pub async fn providers(state: web::Data<AppState>) -> web::Json<Vec<AuthProvider>> {
    web::Json(oidc::providers(&state))
}

#[utoipa::path(get, path = "/api/auth/oidc/{provider}/start", tag = "auth",
    params(
        ("provider" = String, Path, description = "A provider's `id` from `GET /api/auth/providers`"),
        ("return_to" = Option<String>, Query, description = "Where to land once signed in: a path on this site (`/chats/...`); anything else lands on `/`"),
    ),
    responses(
        (status = 302, description = "To the provider's sign-in page, with a short-lived HttpOnly cookie binding the attempt to this browser; or, when the provider is unknown or unreachable, to `/login?error=<code>`",
            headers(
                ("Location" = String, description = "The provider's authorization URL, or the login page"),
                ("Set-Cookie" = String, description = "The attempt cookie (10 minutes)"),
            )),
    ))]
pub async fn start(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let return_to = oidc::same_site_path(query_param(&req, "return_to").as_deref());
    match oidc::begin(&state, provider_id(&req), return_to, None).await {
        Ok(begun) => redirect(&begun.redirect).cookie(attempt_cookie(&state, begun.token)).finish(),
        Err(failure) => failed(&state, Failed { error: failure.reason(), page: oidc::LOGIN_PAGE }),
    }
}

#[utoipa::path(get, path = "/api/auth/oidc/{provider}/callback", tag = "auth",
    params(
        ("provider" = String, Path, description = "The provider the attempt was started with"),
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("state" = Option<String>, Query, description = "The attempt's state, as sent to the provider"),
        ("error" = Option<String>, Query, description = "The provider's error (`access_denied` when the person declined)"),
        ("iss" = Option<String>, Query, description = "The provider's issuer (RFC 9207); another one's is refused"),
    ),
    responses(
        (status = 302, description = "Signed in (a new session, as a password sign-in makes) and on to the attempt's `return_to`; a link finished and on to `/settings`; or, on any failure, to `/login?error=<code>` (`/settings?error=<code>` for a link). The attempt is used up either way",
            headers(
                ("Location" = String, description = "Where the browser goes next"),
                ("Set-Cookie" = String, description = "Clears the attempt cookie; the session cookie when signed in"),
            )),
    ))]
pub async fn callback(state: web::Data<AppState>, req: HttpRequest, presented: Presented) -> HttpResponse {
    let attempt =
        req.cookie(token::attempt_cookie_name(state.settings.cookie_secure)).map(|c| c.value().to_owned());
    let callback = Callback {
        code: query_param(&req, "code"),
        state: query_param(&req, "state"),
        error: query_param(&req, "error"),
        iss: query_param(&req, "iss"),
    };
    match oidc::finish(&state, provider_id(&req), attempt.as_deref(), callback, presented).await {
        Ok(Finished::SignedIn { session, return_to }) => {
            let cookie =
                token::cookie(session.token, state.settings.cookie_secure, state.settings.session_ttl);
            redirect(&return_to).cookie(cookie).cookie(attempt_removal(&state)).finish()
        }
        Ok(Finished::Linked { return_to }) => redirect(&return_to).cookie(attempt_removal(&state)).finish(),
        Err(failed_attempt) => failed(&state, failed_attempt),
    }
}

#[utoipa::path(post, path = "/api/auth/oidc/{provider}/link", tag = "auth", security(("session" = [])),
    params(("provider" = String, Path, description = "A provider's `id` from `GET /api/auth/providers`")),
    responses(
        (status = 200, description = "Send the browser to `redirect` (the provider); its callback links the identity to this account and lands on `/settings`. The attempt cookie is set", body = LinkRedirect,
            headers(("Set-Cookie" = String, description = "The attempt cookie (10 minutes)"))),
        (status = 404, description = "No such provider", body = ErrorBody),
        SameSite, SignedIn,
    ))]
pub async fn link(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let begun = oidc::begin(&state, &path, oidc::SETTINGS_PAGE.to_owned(), Some(auth.user_id()))
        .await
        .map_err(|failure| match failure {
            Failure::SignIn(SignInError::UnknownProvider) => AppError::NotFound,
            Failure::SignIn(_) => AppError::Unavailable,
            Failure::App(e) => e,
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .cookie(attempt_cookie(&state, begun.token))
        .json(LinkRedirect { redirect: begun.redirect }))
}

#[utoipa::path(get, path = "/api/auth/identities", tag = "auth", security(("session" = [])),
    responses(
        (status = 200, description = "The identities at providers linked to my account, oldest first", body = [LinkedIdentity]),
        SignedIn,
    ))]
pub async fn identities(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<Vec<LinkedIdentity>>> {
    Ok(web::Json(oidc::identities(&state, &auth).await?))
}

#[utoipa::path(delete, path = "/api/auth/identities/{identity_id}", tag = "auth", security(("session" = [])),
    params(("identity_id" = IdentityId, Path, description = "An identity's `id` from `GET /api/auth/identities`")),
    responses(
        (status = 204, description = "Unlinked: that identity no longer signs in to this account"),
        (status = 404, description = "No such identity of mine", body = ErrorBody),
        (status = 409, description = "It is the account's last way to sign in (no password, no other identity); kept", body = ErrorBody),
        SameSite, SignedIn,
    ))]
pub async fn unlink(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<IdentityId>,
) -> AppResult<HttpResponse> {
    oidc::unlink(&state, &auth, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The `{provider}` segment as sent; an unknown one is refused by the service.
fn provider_id(req: &HttpRequest) -> &str {
    req.match_info().query("provider")
}

/// The first value of a query parameter. Read by hand, so that no query, however odd,
/// makes these navigations answer anything but a redirect.
fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// 302 to `location`, never cached.
fn redirect(location: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Found();
    response.insert_header((LOCATION, location)).insert_header((CACHE_CONTROL, "no-store"));
    response
}

/// To the page that says why, with `?error=<code>`; the attempt cookie is cleared.
fn failed(state: &AppState, failed: Failed) -> HttpResponse {
    redirect(&format!("{}?error={}", failed.page, failed.error.code()))
        .cookie(attempt_removal(state))
        .finish()
}

fn attempt_cookie(state: &AppState, token: String) -> actix_web::cookie::Cookie<'static> {
    token::attempt_cookie(token, state.settings.cookie_secure, oidc::ATTEMPT_TTL)
}

fn attempt_removal(state: &AppState) -> actix_web::cookie::Cookie<'static> {
    token::attempt_removal_cookie(state.settings.cookie_secure)
}
