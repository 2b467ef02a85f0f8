//! Sign in with an identity provider (DESIGN "Sign in with an identity provider"), against
//! a real OpenID provider (panva's `oidc-provider`, `confab_test_support::oidc`) whose
//! login and consent pages the tests walk through like a browser.

use std::time::{Duration, Instant};

use confab_backend::config::OidcProviderSettings;
use confab_shared::ErrorCode;
use confab_shared::api::{AuthProvider, LinkRedirect, LinkedIdentity, SessionInfo};
use confab_test_support::oidc::{Browser, OidcClient, OidcProvider, shared_provider};
use confab_test_support::{TestApp, TestUser, assert_error, expect_ok, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// The provider's id in these tests' confab.
const IDP: &str = "idp";

/// A confab with one provider at `issuer`, configured with `client`.
async fn app_with_provider_at(issuer: &str, client: &OidcClient) -> TestApp {
    let mut provider =
        OidcProviderSettings::new(IDP, issuer, &client.client_id, Some(&client.client_secret)).unwrap();
    provider.label = "Test IdP".into();
    spawn_app_with(|settings| settings.oidc_providers = vec![provider]).await
}

/// A confab and the shared provider, with a client of its own that misbehaves as asked.
async fn app_with_provider(misbehaviour: Value) -> (TestApp, &'static OidcProvider) {
    let provider = shared_provider().await;
    let client = OidcClient::random();
    let app = app_with_provider_at(&provider.issuer(), &client).await;
    provider.register_client(&client, &callback_url(&app), misbehaviour).await;
    (app, provider)
}

fn callback_url(app: &TestApp) -> String {
    app.url(&format!("/api/auth/oidc/{IDP}/callback"))
}

/// `carol` → `carol_3fa9c1`: a login name no other test uses.
fn login_name(prefix: &str) -> String {
    format!("{prefix}_{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

/// GETs `url` (no redirect followed) and returns the status and `Location`.
async fn navigate(browser: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = browser.get(url).send().await.expect("a navigation");
    let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    (response.status(), location.unwrap_or_default())
}

/// The sign-in button: `start` answers 302 to the provider; returns the authorization URL.
async fn start(app: &TestApp, browser: &reqwest::Client, return_to: Option<&str>) -> String {
    let mut url = app.url(&format!("/api/auth/oidc/{IDP}/start"));
    if let Some(return_to) = return_to {
        let encoded: String = url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
        url = format!("{url}?return_to={encoded}");
    }
    let (status, location) = navigate(browser, &url).await;
    assert_eq!(status, StatusCode::FOUND, "start answers a redirect");
    location
}

/// The whole sign-in in `browser` as `login`: returns where confab's callback sends it.
async fn sign_in(app: &TestApp, provider: &OidcProvider, browser: &Browser, login: &str) -> String {
    let authorize = start(app, &browser.client, None).await;
    let callback = provider.sign_in(&browser.client, &authorize, login).await;
    assert!(callback.starts_with(&callback_url(app)), "the provider returns to confab: {callback}");
    let (status, location) = navigate(&browser.client, &callback).await;
    assert_eq!(status, StatusCode::FOUND);
    location
}

/// The user the browser is now signed in as.
async fn user_in(app: &TestApp, browser: &Browser) -> TestUser {
    let cookie = browser.cookie(&app.address, "confab_session").expect("a session cookie");
    app.signed_in(browser.client.clone(), cookie).await
}

async fn me(app: &TestApp, browser: &reqwest::Client) -> (StatusCode, Value) {
    let response = browser.get(app.url("/api/auth/me")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn identities(user: &TestUser) -> Vec<LinkedIdentity> {
    expect_ok("identities", &[StatusCode::OK], user.get("/api/auth/identities").await)
}

/// Starts linking the provider to `user`'s account: the URL to send their browser to.
async fn start_link(user: &TestUser) -> String {
    let link: LinkRedirect = expect_ok(
        "link",
        &[StatusCode::OK],
        user.post(&format!("/api/auth/oidc/{IDP}/link"), json!({})).await,
    );
    link.redirect
}

/// Walks `user`'s browser through linking the provider as `login`: where it ends.
async fn link(app: &TestApp, provider: &OidcProvider, user: &TestUser, login: &str) -> String {
    let authorize = start_link(user).await;
    let callback = provider.sign_in(&user.client, &authorize, login).await;
    assert!(callback.starts_with(&callback_url(app)), "{callback}");
    navigate(&user.client, &callback).await.1
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_sign_in_creates_an_account_and_the_same_identity_returns_to_it() {
    let (app, provider) = app_with_provider(json!({})).await;
    let login = login_name("carol");

    let browser = Browser::default();
    assert_eq!(sign_in(&app, provider, &browser, &login).await, "/");

    // An ordinary confab session: the same cookie as a password sign-in, the socket too.
    let carol = user_in(&app, &browser).await;
    let me = carol.me().await;
    assert_eq!(me.user.username, login);
    assert_eq!(me.user.display_name, format!("{login} (test provider)"));
    assert!(!me.has_password, "an account made by a provider has no password");
    assert_eq!(browser.cookie(&app.address, "confab_oidc"), None, "the attempt cookie is cleared");
    let linked = identities(&carol).await;
    assert_eq!(linked.len(), 1);
    assert_eq!((linked[0].provider.as_deref(), linked[0].label.as_str()), (Some(IDP), "Test IdP"));
    assert_eq!(linked[0].email.as_deref(), Some(format!("{login}@example.test").as_str()));
    let bob = app.register("bob").await;
    let chat = carol.create_direct(&bob).await;
    let mut bob_socket = bob.ws().await;
    carol.ws().await;
    let sent = carol.send(chat.id, "signed in with a provider").await;
    assert_eq!(bob_socket.recv_message().await.id, sent.id);

    // Later, in another browser: the same account, a second session.
    let elsewhere = Browser::default();
    assert_eq!(sign_in(&app, provider, &elsewhere, &login).await, "/");
    let again = user_in(&app, &elsewhere).await;
    assert_eq!(again.id(), carol.id());
    assert_eq!(carol.sessions().await.len(), 2);

    // An identity with an email and no preferred name is named after the email.
    let emailed = Browser::default();
    let email = format!("{}@example.test", login_name("erin"));
    assert_eq!(sign_in(&app, provider, &emailed, &email).await, "/");
    assert_eq!(user_in(&app, &emailed).await.username, email.split('@').next().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn return_to_stays_on_this_site() {
    let (app, provider) = app_with_provider(json!({})).await;
    let cases = [
        ("/chats/42?x=1", "/chats/42?x=1"),
        ("//evil.test/x", "/"),
        ("/\\evil.test", "/"),
        ("https://evil.test/", "/"),
    ];
    for (return_to, lands_on) in cases {
        let browser = Browser::default();
        let authorize = start(&app, &browser.client, Some(return_to)).await;
        let callback = provider.sign_in(&browser.client, &authorize, &login_name("rita")).await;
        assert_eq!(navigate(&browser.client, &callback).await.1, lands_on, "return_to={return_to:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_replayed_and_cross_browser_callbacks_sign_no_one_in() {
    let (app, provider) = app_with_provider(json!({})).await;

    // Finished in another browser (no attempt cookie): nothing, not even a code exchange.
    let starter = Browser::default();
    let other = Browser::default();
    let authorize = start(&app, &starter.client, None).await;
    let callback = provider.sign_in(&other.client, &authorize, &login_name("mallory")).await;
    assert_eq!(navigate(&other.client, &callback).await, (StatusCode::FOUND, "/login?error=expired".into()));
    assert_eq!(me(&app, &other.client).await.0, StatusCode::UNAUTHORIZED);

    // The browser that started it can finish it, once; a replay is refused.
    assert_eq!(navigate(&starter.client, &callback).await.1, "/");
    let signed_in = user_in(&app, &starter).await;
    assert_eq!(navigate(&starter.client, &callback).await.1, "/login?error=expired");
    assert_eq!(signed_in.sessions().await.len(), 1, "the replay made no session");

    // A forged state is refused, and uses the attempt up.
    let victim = Browser::default();
    let authorize = start(&app, &victim.client, None).await;
    let forged = format!("{}?code=forged&state=forged", callback_url(&app));
    assert_eq!(navigate(&victim.client, &forged).await.1, "/login?error=invalid_state");
    let callback = provider.sign_in(&victim.client, &authorize, &login_name("victim")).await;
    assert_eq!(navigate(&victim.client, &callback).await.1, "/login?error=expired");
    assert_eq!(me(&app, &victim.client).await.0, StatusCode::UNAUTHORIZED);

    // A callback answering another provider's attempt, or naming another issuer.
    let browser = Browser::default();
    let authorize = start(&app, &browser.client, None).await;
    let callback = provider.sign_in(&browser.client, &authorize, &login_name("mixup")).await;
    let mixed_up = callback.replace("iss=", "iss=http%3A%2F%2Fevil.test&was=");
    assert_eq!(navigate(&browser.client, &mixed_up).await.1, "/login?error=invalid_state");
    assert_eq!(me(&app, &browser.client).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn id_tokens_with_a_wrong_nonce_audience_issuer_or_key_are_refused() {
    let wrong = [
        json!({ "id_token_overrides": { "nonce": "someone-elses-nonce" } }),
        json!({ "id_token_overrides": { "aud": "another-client" } }),
        json!({ "id_token_overrides": { "iss": "http://evil.test" } }),
        json!({ "id_token_overrides": { "exp": 1_000_000_000 } }),
        json!({ "foreign_key": true }),
    ];
    for misbehaviour in wrong {
        let (app, provider) = app_with_provider(misbehaviour.clone()).await;
        let browser = Browser::default();
        let login = login_name("trudy");
        let ended = sign_in(&app, provider, &browser, &login).await;
        assert_eq!(ended, "/login?error=invalid_id_token", "{misbehaviour}");
        assert_eq!(browser.cookie(&app.address, "confab_session"), None, "{misbehaviour}");
        let witness = app.register("witness").await;
        assert!(witness.search_users(&login).await.is_empty(), "no account was made: {misbehaviour}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_consent_ends_on_the_login_page() {
    let (app, provider) = app_with_provider(json!({})).await;
    let browser = Browser::default();

    let authorize = start(&app, &browser.client, None).await;
    let callback = provider.cancel(&browser.client, &authorize).await;

    assert!(callback.contains("error=access_denied"), "{callback}");
    assert_eq!(navigate(&browser.client, &callback).await.1, "/login?error=access_denied");
    assert_eq!(me(&app, &browser.client).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_is_down_ends_on_the_login_page_and_is_used_once_it_is_up() {
    // confab starts although its provider is down, and says so.
    let port = confab_test_support::process::free_port().unwrap();
    let client = OidcClient::random();
    let app = app_with_provider_at(&format!("http://127.0.0.1:{port}"), &client).await;
    let providers: Vec<AuthProvider> = expect_ok(
        "providers",
        &[StatusCode::OK],
        app.request(Method::GET, "/api/auth/providers", None).await,
    );
    assert_eq!(providers, [AuthProvider { id: IDP.into(), label: "Test IdP".into(), available: false }]);
    let browser = Browser::default();
    let url = app.url(&format!("/api/auth/oidc/{IDP}/start"));
    assert_eq!(
        navigate(&browser.client, &url).await,
        (StatusCode::FOUND, "/login?error=provider_unavailable".into())
    );
    let unknown = app.url("/api/auth/oidc/nope/start");
    assert_eq!(navigate(&browser.client, &unknown).await.1, "/login?error=unknown_provider");

    // It comes up: confab finds it in the background, and sign-in works.
    let mut provider = OidcProvider::start_on(port).unwrap();
    provider.register_client(&client, &callback_url(&app), json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !expect_ok::<Vec<AuthProvider>>(
        "providers",
        &[StatusCode::OK],
        app.request(Method::GET, "/api/auth/providers", None).await,
    )[0]
    .available
    {
        assert!(Instant::now() < deadline, "confab never rediscovered the provider");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sign_in(&app, &provider, &browser, &login_name("uma")).await, "/");

    // It goes down between its pages and the callback: the code can't be exchanged.
    let late = Browser::default();
    let authorize = start(&app, &late.client, None).await;
    let callback = provider.sign_in(&late.client, &authorize, &login_name("uma")).await;
    provider.stop().unwrap();
    assert_eq!(navigate(&late.client, &callback).await.1, "/login?error=provider_unavailable");
    assert_eq!(me(&app, &late.client).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_is_linked_to_and_unlinked_from_a_password_account() {
    let (app, provider) = app_with_provider(json!({})).await;
    let alice = app.register("alice").await;
    let login = login_name("alice_at_idp");

    assert_eq!(link(&app, provider, &alice, &login).await, "/settings");
    let linked = identities(&alice).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].email.as_deref(), Some(format!("{login}@example.test").as_str()));

    // Signing in with it is signing in to alice's account.
    let browser = Browser::default();
    assert_eq!(sign_in(&app, provider, &browser, &login).await, "/");
    assert_eq!(user_in(&app, &browser).await.id(), alice.id());

    // Unlinked, it signs in to an account of its own.
    let (status, _) =
        alice.request(Method::DELETE, &format!("/api/auth/identities/{}", linked[0].id), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(identities(&alice).await.is_empty());
    let browser = Browser::default();
    assert_eq!(sign_in(&app, provider, &browser, &login).await, "/");
    assert_ne!(user_in(&app, &browser).await.id(), alice.id());

    // Someone else's identity can't be unlinked by alice: it is not found.
    let theirs = identities(&user_in(&app, &browser).await).await;
    let response =
        alice.request(Method::DELETE, &format!("/api/auth/identities/{}", theirs[0].id), None).await;
    assert_error("unlink another's identity", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_linked_to_another_account_is_refused() {
    let (app, provider) = app_with_provider(json!({})).await;
    let login = login_name("shared");
    let owner = Browser::default();
    sign_in(&app, provider, &owner, &login).await;
    let alice = app.register("alice").await;

    assert_eq!(link(&app, provider, &alice, &login).await, "/settings?error=identity_taken");

    assert!(identities(&alice).await.is_empty());
    assert_eq!(identities(&user_in(&app, &owner).await).await.len(), 1, "it stays where it was");
}

#[tokio::test(flavor = "multi_thread")]
async fn linking_needs_the_session_that_started_it() {
    let (app, provider) = app_with_provider(json!({})).await;
    let alice = app.register("alice").await;

    let authorize = start_link(&alice).await;
    alice.logout().await;
    let callback = provider.sign_in(&alice.client, &authorize, &login_name("late")).await;

    assert_eq!(navigate(&alice.client, &callback).await.1, "/settings?error=not_signed_in");
    assert!(identities(&app.login(&alice.username, &alice.password).await).await.is_empty());
    let response = app.request(Method::POST, &format!("/api/auth/oidc/{IDP}/link"), None).await;
    assert_error("link without a session", &response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    let response = alice.login_again(&app).await.post("/api/auth/oidc/nope/link", json!({})).await;
    assert_error("link an unknown provider", &response, StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_way_to_sign_in_stays_and_an_account_made_by_a_provider_can_set_a_password() {
    let (app, provider) = app_with_provider(json!({})).await;
    let browser = Browser::default();
    sign_in(&app, provider, &browser, &login_name("pat")).await;
    let pat = user_in(&app, &browser).await;
    let identity = identities(&pat).await.remove(0);
    let unlink = format!("/api/auth/identities/{}", identity.id);

    let response = pat.request(Method::DELETE, &unlink, None).await;
    assert_error("unlink the last way in", &response, StatusCode::CONFLICT, ErrorCode::Conflict);
    let response = app
        .try_login(&pat.username, confab_test_support::PASSWORD)
        .await
        .expect_err("no password to sign in with");
    assert_error(
        "password sign-in without a password",
        &response,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );

    let (status, body) =
        pat.post("/api/auth/password", json!({ "new_password": "a password of pat's" })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let me: SessionInfo = expect_ok("me", &[StatusCode::OK], pat.get("/api/auth/me").await);
    assert!(me.has_password);
    let by_password = app.login(&pat.username, "a password of pat's").await;
    assert_eq!(by_password.id(), pat.id());
    let response = pat.change_password("wrong current password", "another password").await;
    assert_error("now the current password counts", &response, StatusCode::FORBIDDEN, ErrorCode::Forbidden);

    let (status, _) = pat.request(Method::DELETE, &unlink, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "with a password, the identity may go");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_account_with_the_same_name_is_not_taken_over() {
    let (app, provider) = app_with_provider(json!({})).await;
    let dave = app.register("dave").await;

    let browser = Browser::default();
    sign_in(&app, provider, &browser, &dave.username).await;

    let newcomer = user_in(&app, &browser).await;
    assert_ne!(newcomer.id(), dave.id());
    assert_eq!(newcomer.username, format!("{}_2", dave.username));
    assert!(identities(&dave).await.is_empty());
    assert_eq!(app.login(&dave.username, &dave.password).await.id(), dave.id());
}

#[tokio::test(flavor = "multi_thread")]
async fn without_providers_the_list_is_empty_and_start_says_unknown() {
    let app = spawn_app().await;
    let providers: Vec<AuthProvider> = expect_ok(
        "providers",
        &[StatusCode::OK],
        app.request(Method::GET, "/api/auth/providers", None).await,
    );
    assert!(providers.is_empty());
    let (status, location) =
        navigate(&app.anonymous(), &app.url("/api/auth/oidc/idp/callback?code=x&state=y")).await;
    assert_eq!((status, location.as_str()), (StatusCode::FOUND, "/login?error=expired"));
}
