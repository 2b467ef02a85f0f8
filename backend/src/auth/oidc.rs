//! OpenID Connect mechanics (DESIGN "Sign in with an identity provider"): each configured
//! provider discovered at start-up (its endpoints and signing keys), kept fresh, and
//! retried in the background while it is down; authorization URLs with PKCE (S256),
//! state and nonce; the code exchanged and the ID token verified (signature, issuer,
//! audience, expiry, nonce). What is stored, and which account signs in, is
//! `services::oidc`.
//!
//! Every request to a provider goes through one HTTP client that follows no redirects
//! (a redirect would let a provider's answer send confab's requests anywhere) and gives up
//! after a few seconds.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use confab_shared::api::SignInError;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, reqwest,
};

use crate::config::OidcProviderSettings;

/// A client of a discovered provider: its authorization endpoint is known; token and
/// user-info endpoints may be (the flow checks for the token endpoint when it needs it).
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long one request to a provider may take, and its connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A provider that could not be discovered is retried after this, doubling up to
/// [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// A discovered provider is discovered again this often, so rotated signing keys arrive.
const REFRESH: Duration = Duration::from_secs(3600);

/// The configured providers, in configuration order.
pub struct Providers(Arc<[Arc<Provider>]>);

/// One provider: its settings and, once discovered, a client for it.
pub struct Provider {
    pub settings: OidcProviderSettings,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
    client: RwLock<Option<Arc<DiscoveredClient>>>,
}

/// The start of an authorization-code flow: where to send the browser, and what the
/// callback must check (kept server-side, never in the URL but for state and nonce).
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in, from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl Providers {
    /// The providers of `settings`; each redirects back to
    /// `{public_origin}/api/auth/oidc/{id}/callback`. Nothing is fetched yet.
    pub fn new(settings: &[OidcProviderSettings], public_origin: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("building the OpenID Connect HTTP client")?;
        let providers = settings
            .iter()
            .map(|settings| {
                let callback = format!("{public_origin}/api/auth/oidc/{}/callback", settings.id);
                Ok(Arc::new(Provider {
                    redirect_url: RedirectUrl::new(callback).context("the OpenID Connect redirect URL")?,
                    settings: settings.clone(),
                    http: http.clone(),
                    client: RwLock::new(None),
                }))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self(providers.into()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Provider>> {
        self.0.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Provider>> {
        self.0.iter().find(|p| p.settings.id == id)
    }

    /// The first provider with this issuer (several clients may share one).
    pub fn by_issuer(&self, issuer: &str) -> Option<&Arc<Provider>> {
        self.0.iter().find(|p| same_issuer(&p.settings.issuer, issuer))
    }

    /// Discovers every provider once, together; a provider that is down is only logged.
    pub async fn discover_all(&self) {
        futures_util::future::join_all(self.0.iter().map(|provider| async move {
            if let Err(e) = provider.discover().await {
                tracing::warn!(provider = %provider.settings.id, error = format!("{e:#}"), "identity provider unavailable; retrying in the background");
            }
        }))
        .await;
    }

    /// Keeps every provider discovered, in background tasks that live as long as the
    /// process: retried with backoff while down, refreshed hourly while up.
    pub fn keep_discovered(&self) {
        for provider in self.0.iter() {
            tokio::spawn(keep_discovered(provider.clone()));
        }
    }
}

impl Provider {
    /// Whether the provider has been discovered (and so can be signed in with).
    pub fn available(&self) -> bool {
        self.client().is_some()
    }

    fn client(&self) -> Option<Arc<DiscoveredClient>> {
        self.client.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Fetches the provider's metadata and signing keys (the issuer it states must be
    /// the configured one) and makes them current.
    async fn discover(&self) -> anyhow::Result<()> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).context("OIDC issuer URL")?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .with_context(|| format!("discovering {}", self.settings.issuer))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect_url.clone());
        *self.client.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(client));
        Ok(())
    }

    /// A new authorization request: fresh state, nonce and PKCE (S256) verifier.
    pub fn authorize(&self) -> Result<Authorization, SignInError> {
        let client = self.client().ok_or(SignInError::ProviderUnavailable)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = self.settings.scopes.iter().filter(|s| *s != "openid").map(|s| Scope::new(s.clone()));
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.into_secret(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.into_secret(),
        })
    }

    /// Exchanges `code` (with the attempt's PKCE verifier) at the token endpoint and
    /// verifies the ID token it returns against the provider's keys, its issuer, this
    /// client as audience, its expiry, and the attempt's nonce.
    pub async fn verify(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, SignInError> {
        let client = self.client().ok_or(SignInError::ProviderUnavailable)?;
        let request = client.exchange_code(AuthorizationCode::new(code.to_owned())).map_err(|e| {
            tracing::warn!(provider = %self.settings.id, error = %e, "the provider has no token endpoint");
            SignInError::ProviderError
        })?;
        let response = request
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                let unreachable = matches!(e, RequestTokenError::Request(_));
                tracing::warn!(provider = %self.settings.id, error = format!("{e:#}"), "token exchange failed");
                if unreachable { SignInError::ProviderUnavailable } else { SignInError::TokenExchangeFailed }
            })?;
        let id_token = response.id_token().ok_or_else(|| {
            tracing::warn!(provider = %self.settings.id, "the token response has no ID token");
            SignInError::InvalidIdToken
        })?;
        let claims =
            id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned())).map_err(|e| {
                tracing::warn!(provider = %self.settings.id, error = %e, "ID token refused");
                SignInError::InvalidIdToken
            })?;
        Ok(VerifiedIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            email: claims.email().map(|e| e.as_str().to_owned()),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
        })
    }

    /// Whether `iss`, as an authorization response names its sender (RFC 9207), is this
    /// provider: an answer from another one is a mix-up.
    pub fn is_issuer(&self, iss: &str) -> bool {
        same_issuer(&self.settings.issuer, iss)
    }
}

/// Issuers compare as URLs are written, but for a trailing slash.
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

async fn keep_discovered(provider: Arc<Provider>) {
    let mut wait = if provider.available() { REFRESH } else { RETRY_FIRST };
    loop {
        tokio::time::sleep(wait).await;
        wait = match provider.discover().await {
            Ok(()) => {
                if wait != REFRESH {
                    tracing::info!(provider = %provider.settings.id, "identity provider discovered");
                }
                REFRESH
            }
            Err(e) => {
                tracing::warn!(provider = %provider.settings.id, error = format!("{e:#}"), "identity provider unavailable");
                if wait == REFRESH { RETRY_FIRST } else { (wait * 2).min(RETRY_MAX) }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_match_with_or_without_a_trailing_slash_only() {
        assert!(same_issuer("https://accounts.google.com", "https://accounts.google.com/"));
        assert!(!same_issuer("https://accounts.google.com", "https://accounts.google.com.evil"));
        assert!(!same_issuer("https://idp.test/realms/a", "https://idp.test/realms/b"));
    }

    #[test]
    fn an_undiscovered_provider_is_unavailable_and_starts_nothing() {
        let settings = OidcProviderSettings::new("idp", "http://127.0.0.1:9", "confab", Some("s")).unwrap();
        let providers = Providers::new(&[settings], "http://127.0.0.1:8080").unwrap();
        let provider = providers.get("idp").unwrap();
        assert!(!provider.available());
        assert_eq!(provider.authorize().err(), Some(SignInError::ProviderUnavailable));
        assert_eq!(provider.redirect_url.as_str(), "http://127.0.0.1:8080/api/auth/oidc/idp/callback");
        assert!(providers.by_issuer("http://127.0.0.1:9/").is_some());
    }
}
