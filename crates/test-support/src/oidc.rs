//! A real OpenID provider for the sign-in tests: panva's `oidc-provider` from npm, run by
//! `crates/test-support/oidc/provider.mjs` (installed by `.ci/setup`) on a free port,
//! killed with its owner. Tests register clients at run time and drive the provider's
//! login and consent pages with plain HTTP, as a browser would.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::process::{free_port, scratch_dir, spawn_bound, stop, wait_until};

/// The login name's password at the provider: its development pages take any.
const ANY_PASSWORD: &str = "any password";

/// An `oidc-provider` run by this process on 127.0.0.1.
#[derive(Debug)]
pub struct OidcProvider {
    child: Child,
    port: u16,
}

/// A client (relying party) of the provider: made up first (confab is configured with
/// it), registered once confab's redirect URI is known.
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub client_id: String,
    pub client_secret: String,
}

impl OidcClient {
    pub fn random() -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Self { client_id: format!("confab-{}", &suffix[..12]), client_secret: format!("secret-{suffix}") }
    }
}

/// A browser: its own cookie jar, which tests can read, and no redirects followed (the
/// test follows them, to see each).
#[derive(Debug, Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building a browser");
        Self { client, jar }
    }
}

impl Browser {
    /// `name=value` of the cookie `name` this browser would send to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&url.parse().expect("a URL"))?;
        header.to_str().ok()?.split("; ").find(|pair| pair.split('=').next() == Some(name)).map(str::to_owned)
    }
}

impl OidcProvider {
    /// Starts the provider on a free port.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_on(free_port()?)
    }

    /// Starts the provider on `port` (say, where a confab was told a provider would be).
    pub fn start_on(port: u16) -> anyhow::Result<Self> {
        let project = project_dir();
        if !project.join("node_modules/oidc-provider").is_dir() {
            anyhow::bail!("{} has no node_modules: run .ci/setup (npm ci there)", project.display());
        }
        let log = scratch_dir("oidc")?.join("provider.log");
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut cmd = Command::new(std::env::var_os("NODE").unwrap_or_else(|| "node".into()));
        cmd.arg(project.join("provider.mjs"))
            .args(["--port", &port.to_string()])
            .current_dir(&project)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let mut child = spawn_bound(cmd).context("starting node (is Node.js installed?)")?;
        let listening = || TcpStream::connect(("127.0.0.1", port)).is_ok();
        if let Err(e) = wait_until("oidc-provider", &mut child, &log, Duration::from_secs(30), listening) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Self { child, port })
    }

    /// `http://127.0.0.1:<port>`: the issuer, where its discovery document is.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Registers `client`, which may redirect to `redirect_uri`; `misbehaviour` (see
    /// `provider.mjs`: `id_token_overrides`, `foreign_key`) makes its ID tokens wrong.
    pub async fn register_client(&self, client: &OidcClient, redirect_uri: &str, misbehaviour: Value) {
        let mut body = json!({
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uris": [redirect_uri],
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), misbehaviour.as_object()) {
            body.extend(extra.clone());
        }
        let response = reqwest::Client::new()
            .post(format!("{}/__test/clients", self.issuer()))
            .json(&body)
            .send()
            .await
            .expect("registering a client at the provider");
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering a client: {:?}",
            response.text().await
        );
    }

    /// Walks `browser` through the provider from `authorize_url`: signs in as `login`,
    /// consents, and returns where the provider finally sends it (confab's callback).
    pub async fn sign_in(&self, browser: &reqwest::Client, authorize_url: &str, login: &str) -> String {
        self.walk(browser, authorize_url, Some(login)).await
    }

    /// Like [`OidcProvider::sign_in`], but cancels on the login page: the provider sends
    /// the browser back with `error=access_denied`.
    pub async fn cancel(&self, browser: &reqwest::Client, authorize_url: &str) -> String {
        self.walk(browser, authorize_url, None).await
    }

    async fn walk(&self, browser: &reqwest::Client, authorize_url: &str, login: Option<&str>) -> String {
        let mut next = Step::Get(authorize_url.to_owned());
        for _ in 0..12 {
            let response = match next {
                Step::Get(url) => browser.get(url).send().await,
                Step::Post(url, form) => browser.post(url).form(&form).send().await,
            }
            .expect("a request to the provider");
            if response.status().is_redirection() {
                let location = self.absolute(header_value(&response, header::LOCATION));
                if !location.starts_with(&self.issuer()) {
                    return location;
                }
                next = Step::Get(location);
                continue;
            }
            let url = response.url().to_string();
            let status = response.status();
            let page = response.text().await.expect("a page from the provider");
            assert_eq!(status, StatusCode::OK, "the provider's page at {url}: {page}");
            next = self.answer(&url, &page, login);
        }
        panic!("the provider never sent the browser back");
    }

    /// What a person does on the provider's page: sign in (or cancel), then consent.
    fn answer(&self, url: &str, page: &str, login: Option<&str>) -> Step {
        let action = self.absolute(attribute(page, "action=\"").expect("a form on the provider's page"));
        if page.contains("value=\"login\"") {
            return match login {
                Some(login) => Step::Post(
                    action,
                    vec![
                        ("prompt", "login".into()),
                        ("login", login.into()),
                        ("password", ANY_PASSWORD.into()),
                    ],
                ),
                None => Step::Get(format!("{}/abort", url.trim_end_matches('/'))),
            };
        }
        assert!(page.contains("value=\"consent\""), "an unexpected page at {url}: {page}");
        Step::Post(action, vec![("prompt", "consent".into())])
    }

    fn absolute(&self, location: String) -> String {
        if location.starts_with('/') { format!("{}{location}", self.issuer()) } else { location }
    }

    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop(&mut self.child, libc::SIGTERM, Duration::from_secs(10))
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Step {
    Get(String),
    Post(String, Vec<(&'static str, String)>),
}

fn header_value(response: &reqwest::Response, name: header::HeaderName) -> String {
    let value = response.headers().get(&name).unwrap_or_else(|| panic!("no {name} header"));
    value.to_str().expect("an ASCII header").to_owned()
}

/// The value after `prefix` up to the next `"`, with the HTML escapes of a URL undone.
fn attribute(page: &str, prefix: &str) -> Option<String> {
    let start = page.find(prefix)? + prefix.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].replace("&#x2F;", "/").replace("&#47;", "/").replace("&amp;", "&"))
}

/// `crates/test-support/oidc`, the Node project with the provider script.
fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// A provider shared by the tests of this process (each registers its own clients).
pub async fn shared_provider() -> &'static OidcProvider {
    static SHARED: OnceLock<Result<OidcProvider, String>> = OnceLock::new();
    let shared = tokio::task::spawn_blocking(|| {
        SHARED.get_or_init(|| OidcProvider::start().map_err(|e| format!("{e:#}")))
    })
    .await;
    match shared {
        Ok(Ok(provider)) => provider,
        Ok(Err(e)) => panic!("no OpenID provider for the tests: {e}"),
        Err(e) => panic!("starting the OpenID provider failed: {e}"),
    }
}
