//! Sign in with an identity provider (DESIGN "Sign in with an identity provider"): an
//! attempt bound to one browser and usable once, the callback that checks it, and the
//! account it ends in: the one linked to the identity (issuer, subject), or a new one.
//! Never an account matched by email or username: that would hand it to whoever
//! controls that name at some provider. Also: linking a provider to one's account, and
//! listing and unlinking one's identities. The protocol itself is `auth::oidc`.

use chrono::Utc;
use confab_shared::api::{AuthProvider, LinkedIdentity, SignInError};
use confab_shared::limits::USERNAME_MAX;
use confab_shared::validate::{DisplayName, Username};
use confab_shared::{IdentityId, UserId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::oidc::VerifiedIdentity;
use crate::auth::{Authenticated, Presented, token};
use crate::db::identities::{self, Unlinked};
use crate::db::models::{AttemptRow, IdentityRow, UserRow};
use crate::db::oidc_attempts;
use crate::error::{AppError, AppResult};
use crate::services::auth::{self, NewSession};
use crate::state::AppState;

/// How long the person has to finish at the provider.
pub const ATTEMPT_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Where a failed sign-in ends, with `?error=<code>`; a failed link ends on the settings
/// page it started from.
pub const LOGIN_PAGE: &str = "/login";
pub const SETTINGS_PAGE: &str = "/settings";

/// The longest `return_to` kept; a longer one returns to `/`.
const RETURN_TO_MAX: usize = 1024;

/// An attempt begun: where to send the browser, and the token for the attempt cookie.
pub struct Begun {
    pub redirect: String,
    pub token: String,
}

/// What the provider's redirect back to confab carries (RFC 6749 4.1.2, RFC 9207).
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// A finished attempt and where the browser goes next.
pub enum Finished {
    /// Signed in: a new session, as a password sign-in makes.
    SignedIn { session: NewSession, return_to: String },
    /// The identity is now linked to the signed-in account.
    Linked { return_to: String },
}

/// A failed attempt: why, and the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    pub error: SignInError,
    pub page: &'static str,
}

/// Why an attempt failed on the way: a reason the person is shown, or confab's own
/// failure (its database), shown as `unavailable` on the page and logged in full.
#[derive(Debug)]
pub enum Failure {
    SignIn(SignInError),
    App(AppError),
}

impl Failure {
    /// What the person is told.
    pub fn reason(self) -> SignInError {
        match self {
            Failure::SignIn(error) => error,
            Failure::App(error) => {
                if let AppError::Internal(source) = &error {
                    tracing::error!(error = ?source, "sign-in with a provider failed");
                }
                SignInError::Unavailable
            }
        }
    }
}

impl From<SignInError> for Failure {
    fn from(e: SignInError) -> Self {
        Failure::SignIn(e)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Failure::App(e.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for Failure {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Failure::App(e.into())
    }
}

/// The configured providers, for the login page.
pub fn providers(state: &AppState) -> Vec<AuthProvider> {
    state
        .oidc
        .iter()
        .map(|p| AuthProvider {
            id: p.settings.id.clone(),
            label: p.settings.label.clone(),
            available: p.available(),
        })
        .collect()
}

/// Begins a sign-in with `provider_id` that returns to `return_to`, or, with `link_to`,
/// the linking of that provider to the signed-in account. The attempt (state, nonce,
/// PKCE verifier) is stored under the hash of a fresh token, which only this browser's
/// cookie will carry.
pub async fn begin(
    state: &AppState,
    provider_id: &str,
    return_to: String,
    link_to: Option<UserId>,
) -> Result<Begun, Failure> {
    let provider = state.oidc.get(provider_id).ok_or(SignInError::UnknownProvider)?;
    let authorization = provider.authorize()?;
    let token = token::generate();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(ATTEMPT_TTL).unwrap_or(chrono::Duration::minutes(10));
    let row = AttemptRow {
        token_hash: token::hash(&token).to_vec(),
        provider: provider.settings.id.clone(),
        state: authorization.state,
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        return_to,
        link_user_id: link_to.map(|id| id.0),
        expires_at: now + ttl,
    };
    let mut conn = state.conn().await?;
    oidc_attempts::insert(&mut conn, &row, now).await?;
    Ok(Begun { redirect: authorization.url, token })
}

/// Finishes the attempt this browser's cookie names (`attempt_token`), with what the
/// provider sent back. The attempt is used up whatever happens next, so a callback can't
/// be replayed; one without this browser's cookie (forged, or from another browser)
/// finds no attempt at all.
pub async fn finish(
    state: &AppState,
    provider_id: &str,
    attempt_token: Option<&str>,
    callback: Callback,
    presented: Presented,
) -> Result<Finished, Failed> {
    let at_login = |failure: Failure| Failed { error: failure.reason(), page: LOGIN_PAGE };
    let attempt = take_attempt(state, attempt_token).await.map_err(at_login)?;
    let page = if attempt.link_user_id.is_some() { SETTINGS_PAGE } else { LOGIN_PAGE };
    let fail = |failure: Failure| Failed { error: failure.reason(), page };
    let identity = verify(state, provider_id, &attempt, callback).await.map_err(fail)?;
    match attempt.link_user_id {
        Some(user_id) => {
            link(state, UserId(user_id), &identity, presented).await.map_err(fail)?;
            Ok(Finished::Linked { return_to: attempt.return_to })
        }
        None => {
            let session = sign_in(state, &identity, presented).await.map_err(fail)?;
            Ok(Finished::SignedIn { session, return_to: attempt.return_to })
        }
    }
}

async fn take_attempt(state: &AppState, attempt_token: Option<&str>) -> Result<AttemptRow, Failure> {
    let token = attempt_token.ok_or(SignInError::Expired)?;
    let mut conn = state.conn().await?;
    Ok(oidc_attempts::take(&mut conn, &token::hash(token), Utc::now()).await?.ok_or(SignInError::Expired)?)
}

/// The provider's answer, checked against the attempt: the same provider and state,
/// no error, the issuer it names (if any) is this provider; then the code exchanged and
/// the ID token verified.
async fn verify(
    state: &AppState,
    provider_id: &str,
    attempt: &AttemptRow,
    callback: Callback,
) -> Result<VerifiedIdentity, Failure> {
    let state_matches =
        callback.state.as_deref().is_some_and(|s| Sha256::digest(s) == Sha256::digest(&attempt.state));
    if attempt.provider != provider_id || !state_matches {
        return Err(SignInError::InvalidState.into());
    }
    if let Some(error) = callback.error {
        let reason =
            if error == "access_denied" { SignInError::AccessDenied } else { SignInError::ProviderError };
        return Err(reason.into());
    }
    let provider = state.oidc.get(provider_id).ok_or(SignInError::UnknownProvider)?;
    if callback.iss.as_deref().is_some_and(|iss| !provider.is_issuer(iss)) {
        return Err(SignInError::InvalidState.into());
    }
    let code = callback.code.ok_or(SignInError::ProviderError)?;
    Ok(provider.verify(&code, &attempt.pkce_verifier, &attempt.nonce).await?)
}

/// Signs in the account linked to the identity, or creates one for it.
async fn sign_in(
    state: &AppState,
    identity: &VerifiedIdentity,
    presented: Presented,
) -> Result<NewSession, Failure> {
    let mut conn = state.conn().await?;
    let user = match identities::find(&mut conn, &identity.issuer, &identity.subject).await? {
        Some((row, user)) => {
            if row.email != identity.email {
                identities::set_email(&mut conn, row.id, identity.email.as_deref()).await?;
            }
            user
        }
        None => match create_account(&mut conn, identity).await? {
            Some(user) => user,
            // Linked meanwhile, by this person's other sign-in finishing first.
            None => identities::find(&mut conn, &identity.issuer, &identity.subject)
                .await?
                .map(|(_, user)| user)
                .ok_or(SignInError::Unavailable)?,
        },
    };
    drop(conn);
    if user.disabled {
        return Err(SignInError::AccountDisabled.into());
    }
    Ok(auth::start_session(state, &user, presented).await?)
}

/// A new account, without a password, for an identity seen for the first time: the
/// username from `preferred_username` or the email's local part (the first free of
/// [`usernames`]), the display name from `name`.
async fn create_account(
    conn: &mut crate::db::DbConn,
    identity: &VerifiedIdentity,
) -> Result<Option<UserRow>, Failure> {
    let now = Utc::now();
    let usernames = usernames(identity);
    let display_name = [identity.name.as_deref(), identity.preferred_username.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|name| DisplayName::parse(name).ok())
        .map_or_else(|| usernames[0].clone(), DisplayName::into_inner);
    let user = UserRow {
        id: Uuid::new_v4(),
        username: String::new(),
        display_name,
        password_hash: None,
        disabled: false,
        created_at: now,
    };
    Ok(identities::create_account(conn, user, &usernames, identity_row(identity, Uuid::nil())).await?)
}

/// The names a new account tries, in order: the suggested one, then numbered (`alice_2`
/// .. `alice_9`), then with random suffixes. An existing account keeps its name: a new
/// one never takes it over.
fn usernames(identity: &VerifiedIdentity) -> Vec<String> {
    let local_part = identity.email.as_deref().and_then(|email| email.split('@').next());
    let base = [identity.preferred_username.as_deref(), local_part]
        .into_iter()
        .flatten()
        .find_map(Username::suggest)
        .map_or_else(|| "user".to_owned(), Username::into_inner);
    let mut names = vec![base.clone()];
    names.extend((2..10).map(|n| with_suffix(&base, &n.to_string())));
    names.extend((0..3).map(|_| with_suffix(&base, &Uuid::new_v4().simple().to_string()[..6])));
    names
}

/// `base_suffix`, `base` shortened to keep it within [`USERNAME_MAX`].
fn with_suffix(base: &str, suffix: &str) -> String {
    let keep = USERNAME_MAX.saturating_sub(suffix.len() + 1).min(base.len());
    format!("{}_{suffix}", base[..keep].trim_end_matches('_'))
}

fn identity_row(identity: &VerifiedIdentity, user_id: Uuid) -> IdentityRow {
    IdentityRow {
        id: Uuid::new_v4(),
        user_id,
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
        email: identity.email.clone(),
        created_at: Utc::now(),
    }
}

/// Links the identity to `user_id`, whose session must still be the browser's: an
/// identity linked to someone else is refused (never moved); linking it again is fine.
async fn link(
    state: &AppState,
    user_id: UserId,
    identity: &VerifiedIdentity,
    presented: Presented,
) -> Result<(), Failure> {
    let token = presented.token.ok_or(SignInError::NotSignedIn)?;
    let signed_in = match auth::authenticate(state, &token).await {
        Ok(auth) => auth,
        Err(AppError::Unauthorized) => return Err(SignInError::NotSignedIn.into()),
        Err(e) => return Err(e.into()),
    };
    if signed_in.user_id() != user_id {
        return Err(SignInError::NotSignedIn.into());
    }
    let mut conn = state.conn().await?;
    identities::insert(&mut conn, &identity_row(identity, user_id.0)).await?;
    match identities::find(&mut conn, &identity.issuer, &identity.subject).await? {
        Some((_, owner)) if owner.id == user_id.0 => Ok(()),
        _ => Err(SignInError::IdentityTaken.into()),
    }
}

/// My linked identities, oldest first, named by their configured provider.
pub async fn identities(state: &AppState, auth: &Authenticated) -> AppResult<Vec<LinkedIdentity>> {
    let mut conn = state.conn().await?;
    let rows = identities::of_user(&mut conn, auth.user_id().0).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let provider = state.oidc.by_issuer(&row.issuer);
            LinkedIdentity {
                id: IdentityId(row.id),
                provider: provider.map(|p| p.settings.id.clone()),
                label: provider.map_or_else(|| row.issuer.clone(), |p| p.settings.label.clone()),
                email: row.email,
                created_at: row.created_at,
            }
        })
        .collect())
}

/// Unlinks one of my identities, unless it is my last way to sign in (no password and
/// no other identity): `409 conflict` then.
pub async fn unlink(state: &AppState, auth: &Authenticated, id: IdentityId) -> AppResult<()> {
    let mut conn = state.conn().await?;
    match identities::delete_of_user(&mut conn, auth.user_id().0, id.0).await? {
        Unlinked::Done => Ok(()),
        Unlinked::NotFound => Err(AppError::NotFound),
        Unlinked::LastWay => Err(AppError::Conflict(
            "this is the account's last way to sign in: set a password or link another provider first".into(),
        )),
    }
}

/// `return_to` when it is a path on this site; `/` otherwise. A path starts with one
/// `/`: `//evil.test` and `/\evil.test` are other sites to a browser. Only printable
/// ASCII without `\`, so it goes into a `Location` header as it is.
pub fn same_site_path(return_to: Option<&str>) -> String {
    match return_to {
        Some(path)
            if path.len() <= RETURN_TO_MAX
                && path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(preferred_username: Option<&str>, email: Option<&str>) -> VerifiedIdentity {
        VerifiedIdentity {
            issuer: "https://idp.test".into(),
            subject: "248289761001".into(),
            preferred_username: preferred_username.map(str::to_owned),
            email: email.map(str::to_owned),
            name: None,
        }
    }

    #[test]
    fn return_to_stays_on_this_site() {
        assert_eq!(same_site_path(Some("/chats/1?x=2#m")), "/chats/1?x=2#m");
        for hostile in [
            "//evil.test",
            "/\\evil.test",
            "https://evil.test/",
            "evil",
            "/a\\b",
            "/a\r\nSet-Cookie: x",
            "/é",
            "",
        ] {
            assert_eq!(same_site_path(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(same_site_path(Some(&format!("/{}", "a".repeat(RETURN_TO_MAX)))), "/");
        assert_eq!(same_site_path(None), "/");
    }

    #[test]
    fn usernames_come_from_the_preferred_name_or_the_email_then_get_numbers() {
        let names = usernames(&identity(Some("Alice.Smith"), Some("a@x.test")));
        assert_eq!(&names[..3], ["alice_smith", "alice_smith_2", "alice_smith_3"]);
        assert_eq!(names.len(), 12);
        assert_eq!(usernames(&identity(None, Some("Bob.Jones@example.com")))[0], "bob_jones");
        assert_eq!(usernames(&identity(Some("李"), Some("x@y")))[0], "user");
        let long = usernames(&identity(Some(&"z".repeat(40)), None));
        assert!(long.iter().all(|n| Username::parse(n).is_ok()), "{long:?}");
        assert_eq!(long[1], format!("{}_2", "z".repeat(USERNAME_MAX - 2)));
        let distinct: std::collections::HashSet<_> = long.iter().collect();
        assert_eq!(distinct.len(), long.len());
    }
}
