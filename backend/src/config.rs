//! Runtime settings, read from environment variables (documented in the README) or built
//! directly by tests.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

/// Everything the server needs to start. Tests build one with [`Settings::new`] and adjust
/// fields; `main` uses [`Settings::from_env`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Interface to bind (`HOST`, default `127.0.0.1`).
    pub host: String,
    /// Port to bind (`PORT`, default 8080); 0 picks a free one (see `Application::port`).
    pub port: u16,
    /// PostgreSQL connection string (`DATABASE_URL`, required).
    pub database_url: String,
    /// Connections in the PostgreSQL pool (`DATABASE_POOL_SIZE`, default 16).
    pub database_pool_size: usize,
    /// Redis connection string (`REDIS_URL`); `None` runs without a cache.
    pub redis_url: Option<String>,
    /// Absolute session lifetime (`SESSION_TTL_SECS`, default 7 hours).
    pub session_ttl: Duration,
    /// Mark the cookie `Secure` with the `__Host-` prefix (`COOKIE_SECURE`, default false;
    /// set it when serving over https).
    pub cookie_secure: bool,
    /// Where browsers reach the server (`PUBLIC_URL`); its origin may open sockets and make
    /// state-changing calls. `None`: `http://` and the bound address (`http://127.0.0.1:8080`
    /// by default, the real port when binding port 0), see `auth::origin::local_url`.
    pub public_url: Option<String>,
    /// Further origins allowed to open sockets and make state-changing calls
    /// (`ALLOWED_ORIGINS`, comma-separated).
    pub allowed_origins: Vec<String>,
    /// The built single-page app to serve (`DIST_DIR`, default `dist` when it exists).
    pub dist_dir: Option<PathBuf>,
    /// Server ping interval on sockets (`WS_HEARTBEAT_SECS`, default 15 s).
    pub heartbeat_interval: Duration,
    /// A socket silent for this long is closed as dead (`WS_CLIENT_TIMEOUT_SECS`, default 45 s).
    pub client_timeout: Duration,
    /// Events queued for one socket before it counts as too slow and is dropped
    /// (`WS_OUTBOUND_QUEUE`, default 256; promise 9).
    pub outbound_queue: usize,
    /// A user is announced offline only after this long without any connection
    /// (`PRESENCE_GRACE_SECS`, default 10 s): reloads never flap (promise 10).
    pub presence_grace: Duration,
    /// A node's presence claims in Redis live this long without renewal; it renews them
    /// every third of it (`PRESENCE_TTL_SECS`, default 15 s). A killed node's users go
    /// offline after this plus the grace window.
    pub presence_ttl: Duration,
    /// Password hashes computed at once (`MAX_CONCURRENT_HASHES`, default 4): each takes
    /// ~19 MiB and a core for tens of milliseconds.
    pub max_concurrent_hashes: usize,
    /// This node's name on the Redis bus and in logs (`NODE_ID`, default random).
    pub node_id: String,
    /// Where Prometheus scrapes `/metrics` (`METRICS_ADDR`, default `127.0.0.1:9464`;
    /// empty turns it off). Tests run without it.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Group-commit writer tasks, each its own share of the chats and its own PostgreSQL
    /// connection (`WRITERS`, default half the cores, at least 1: on this project's 2-core
    /// machine one writer commits the most, see the README's Performance section).
    pub writers: usize,
    /// Sends one writer commits in one transaction at most (`WRITE_BATCH_MAX`, default 512).
    pub write_batch_max: usize,
    /// Rate limits and caps ("Limits and abuse" in the README's Security section).
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`, comma-separated
    /// IP addresses; default none: the client is the peer address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where attachments are kept: local disk unless the `S3_*` variables are set.
    pub storage: StorageSettings,
    /// How often uploads never attached and older than a day are deleted (hourly; tests
    /// make it short).
    pub upload_sweep_interval: Duration,
    /// Identity providers to sign in with (`OIDC_PROVIDERS` and `OIDC_<ID>_*`).
    pub oidc_providers: Vec<OidcProviderSettings>,
}

/// One OpenID Connect provider (README "Sign in with an identity provider").
#[derive(Clone)]
pub struct OidcProviderSettings {
    /// Its name in `OIDC_PROVIDERS` and in URLs: 1 to 32 of `a-z`, `0-9`, `-`, `_`.
    pub id: String,
    /// `OIDC_<ID>_ISSUER`: where `/.well-known/openid-configuration` is found.
    pub issuer: String,
    /// `OIDC_<ID>_CLIENT_ID` and `OIDC_<ID>_CLIENT_SECRET` (none: a public client, PKCE only).
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `OIDC_<ID>_LABEL`, the button's "Sign in with {label}" (default: the id).
    pub label: String,
    /// `OIDC_<ID>_SCOPES`, space-separated (default `openid profile email`).
    pub scopes: Vec<String>,
}

/// The client secret stays out of logs.
impl std::fmt::Debug for OidcProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviderSettings")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl OidcProviderSettings {
    /// The scopes asked for when `OIDC_<ID>_SCOPES` is unset.
    pub const DEFAULT_SCOPES: &str = "openid profile email";

    /// A provider with the default label and scopes.
    pub fn new(id: &str, issuer: &str, client_id: &str, client_secret: Option<&str>) -> anyhow::Result<Self> {
        let valid = (1..=32).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid {
            anyhow::bail!("OIDC_PROVIDERS: {id:?} must be 1 to 32 of a-z, 0-9, - and _");
        }
        Ok(Self {
            id: id.to_owned(),
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.map(str::to_owned),
            label: id.to_owned(),
            scopes: Self::DEFAULT_SCOPES.split(' ').map(str::to_owned).collect(),
        })
    }

    /// Every provider named in `OIDC_PROVIDERS` (comma-separated), each from its
    /// `OIDC_<ID>_*` variables (`<ID>` upper-cased, `-` as `_`).
    pub fn from_env() -> anyhow::Result<Vec<Self>> {
        let Some(ids) = var("OIDC_PROVIDERS") else { return Ok(Vec::new()) };
        let mut providers: Vec<Self> = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            let prefix = format!("OIDC_{}_", id.to_ascii_uppercase().replace('-', "_"));
            let named = |suffix: &str| format!("{prefix}{suffix}");
            let required =
                |suffix: &str| var(&named(suffix)).with_context(|| format!("{} must be set", named(suffix)));
            let mut provider = Self::new(
                id,
                &required("ISSUER")?,
                &required("CLIENT_ID")?,
                var(&named("CLIENT_SECRET")).as_deref(),
            )?;
            if let Some(label) = var(&named("LABEL")) {
                provider.label = label.trim().to_owned();
            }
            if let Some(scopes) = var(&named("SCOPES")) {
                provider.scopes = scopes.split_whitespace().map(str::to_owned).collect();
            }
            if providers.iter().any(|p| p.id == provider.id) {
                anyhow::bail!("OIDC_PROVIDERS names {id:?} twice");
            }
            providers.push(provider);
        }
        Ok(providers)
    }
}

/// The attachment store (README "File sharing").
#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// Files under `dir` (`UPLOAD_DIR`, default `.data/uploads`); the backend serves the
    /// signed URLs itself. `secret` (`UPLOAD_SECRET`) signs them; without it one is
    /// generated and kept in `dir`, so every node sharing the directory agrees.
    Local { dir: PathBuf, secret: Option<String> },
    /// Any S3-compatible service; the browser talks to it directly.
    S3(S3Settings),
}

/// `S3_ENDPOINT`, `S3_BUCKET`, `S3_REGION`, `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`.
#[derive(Clone)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The secret key stays out of logs.
impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StorageSettings {
    /// S3 when `S3_BUCKET` is set (then every `S3_*` variable must be), else local disk.
    pub fn from_env() -> anyhow::Result<Self> {
        let Some(bucket) = var("S3_BUCKET") else {
            return Ok(Self::Local {
                dir: var("UPLOAD_DIR").map_or_else(|| PathBuf::from(".data/uploads"), PathBuf::from),
                secret: var("UPLOAD_SECRET"),
            });
        };
        let required = |name: &str| var(name).with_context(|| format!("{name} must be set with S3_BUCKET"));
        Ok(Self::S3(S3Settings {
            endpoint: required("S3_ENDPOINT")?,
            bucket,
            region: required("S3_REGION")?,
            access_key_id: required("S3_ACCESS_KEY_ID")?,
            secret_access_key: required("S3_SECRET_ACCESS_KEY")?,
        }))
    }
}

/// Every rate limit and cap. A rate limit of 0 is off (the benchmarks and most tests run
/// without them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins per account in 15 minutes (`RATE_LOGIN_FAILURES`, default 10).
    pub login_failures: u32,
    /// Registrations per client address per hour (`RATE_REGISTRATIONS_PER_IP`, default 20).
    pub registrations_per_ip: u32,
    /// Sends per user per 10 s, REST and socket, all tabs and nodes together
    /// (`RATE_MESSAGES_PER_USER`, default 30).
    pub messages_per_user: u32,
    /// Socket upgrades per user per minute on one node (`RATE_SOCKET_UPGRADES_PER_USER`,
    /// default 30): a reconnect loop can't burn the server's handshakes.
    pub socket_upgrades_per_user: u32,
    /// Members of one group (`GROUP_MEMBERS_MAX`, default 1000).
    pub group_members_max: usize,
    /// Open sockets per user on one node (`SOCKETS_PER_USER_MAX`, default 20).
    pub sockets_per_user_max: usize,
    /// Bytes of one attachment (`UPLOAD_BYTES_MAX`, default 25 MiB).
    pub upload_bytes_max: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_failures: 10,
            registrations_per_ip: 20,
            messages_per_user: 30,
            socket_upgrades_per_user: 30,
            group_members_max: 1000,
            sockets_per_user_max: 20,
            upload_bytes_max: 25 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The caps as configured, every rate limit off.
    pub fn without_rate_limits(self) -> Self {
        Self {
            login_failures: 0,
            registrations_per_ip: 0,
            messages_per_user: 0,
            socket_upgrades_per_user: 0,
            ..self
        }
    }

    /// The defaults, overridden by the variables that are set.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut limits = Self::default();
        if let Some(n) = parsed("RATE_LOGIN_FAILURES")? {
            limits.login_failures = n;
        }
        if let Some(n) = parsed("RATE_REGISTRATIONS_PER_IP")? {
            limits.registrations_per_ip = n;
        }
        if let Some(n) = parsed("RATE_MESSAGES_PER_USER")? {
            limits.messages_per_user = n;
        }
        if let Some(n) = parsed("RATE_SOCKET_UPGRADES_PER_USER")? {
            limits.socket_upgrades_per_user = n;
        }
        if let Some(n) = parsed("GROUP_MEMBERS_MAX")? {
            limits.group_members_max = n;
        }
        if let Some(n) = parsed("SOCKETS_PER_USER_MAX")? {
            limits.sockets_per_user_max = n;
        }
        if let Some(n) = parsed("UPLOAD_BYTES_MAX")? {
            limits.upload_bytes_max = n;
        }
        Ok(limits)
    }
}

impl Settings {
    /// Defaults for everything but the database.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            database_url: database_url.into(),
            database_pool_size: 16,
            redis_url: None,
            session_ttl: Duration::from_secs(7 * 60 * 60),
            cookie_secure: false,
            public_url: None,
            allowed_origins: Vec::new(),
            dist_dir: None,
            heartbeat_interval: Duration::from_secs(15),
            client_timeout: Duration::from_secs(45),
            outbound_queue: 256,
            max_concurrent_hashes: 4,
            presence_grace: Duration::from_secs(10),
            presence_ttl: Duration::from_secs(15),
            node_id: format!("{:08x}", rand::random::<u32>()),
            metrics_addr: None,
            writers: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            write_batch_max: 512,
            limits: Limits::default(),
            trusted_proxies: Vec::new(),
            storage: StorageSettings::Local { dir: PathBuf::from(".data/uploads"), secret: None },
            upload_sweep_interval: Duration::from_secs(3600),
            oidc_providers: Vec::new(),
        }
    }

    pub fn from_env() -> anyhow::Result<Self> {
        let database_url = std::env::var("DATABASE_URL").context("DATABASE_URL must be set")?;
        let mut s = Self::new(database_url);
        if let Some(host) = var("HOST") {
            s.host = host;
        }
        if let Some(port) = parsed("PORT")? {
            s.port = port;
        }
        if let Some(n) = parsed("DATABASE_POOL_SIZE")? {
            s.database_pool_size = n;
        }
        s.redis_url = var("REDIS_URL");
        if let Some(secs) = parsed("SESSION_TTL_SECS")? {
            s.session_ttl = Duration::from_secs(secs);
        }
        if let Some(secure) = parsed("COOKIE_SECURE")? {
            s.cookie_secure = secure;
        }
        s.public_url = var("PUBLIC_URL");
        if let Some(origins) = var("ALLOWED_ORIGINS") {
            s.allowed_origins =
                origins.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        }
        s.dist_dir = match var("DIST_DIR") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => Some(PathBuf::from("dist")).filter(|p| p.join("index.html").is_file()),
        };
        if let Some(secs) = parsed("WS_HEARTBEAT_SECS")? {
            s.heartbeat_interval = Duration::from_secs(secs);
        }
        if let Some(secs) = parsed("WS_CLIENT_TIMEOUT_SECS")? {
            s.client_timeout = Duration::from_secs(secs);
        }
        if let Some(n) = parsed("WS_OUTBOUND_QUEUE")? {
            s.outbound_queue = n;
        }
        if let Some(secs) = parsed("PRESENCE_GRACE_SECS")? {
            s.presence_grace = Duration::from_secs_f64(secs_f64_checked(secs)?);
        }
        if let Some(secs) = parsed("PRESENCE_TTL_SECS")? {
            s.presence_ttl = Duration::from_secs_f64(secs_f64_checked(secs)?);
        }
        if let Some(n) = parsed("MAX_CONCURRENT_HASHES")? {
            s.max_concurrent_hashes = n;
        }
        if let Some(node) = var("NODE_ID") {
            s.node_id = node;
        }
        s.metrics_addr = match std::env::var("METRICS_ADDR") {
            Err(_) => Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9464))),
            Ok(addr) if addr.trim().is_empty() => None,
            Ok(addr) => {
                Some(addr.trim().parse().with_context(|| format!("METRICS_ADDR={addr:?} is invalid"))?)
            }
        };
        if let Some(n) = parsed("WRITERS")? {
            s.writers = n;
        }
        if let Some(n) = parsed("WRITE_BATCH_MAX")? {
            s.write_batch_max = n;
        }
        s.limits = Limits::from_env()?;
        s.storage = StorageSettings::from_env()?;
        s.oidc_providers = OidcProviderSettings::from_env()?;
        if let Some(proxies) = var("TRUSTED_PROXIES") {
            s.trusted_proxies = proxies
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().with_context(|| format!("TRUSTED_PROXIES: {p:?} is not an IP address")))
                .collect::<anyhow::Result<_>>()?;
        }
        Ok(s)
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(None),
        Some(raw) => {
            raw.trim().parse().map(Some).map_err(|e| anyhow::anyhow!("{name}={raw:?} is invalid: {e}"))
        }
    }
}

fn secs_f64_checked(secs: f64) -> anyhow::Result<f64> {
    if secs.is_finite() && secs >= 0.0 {
        Ok(secs)
    } else {
        Err(anyhow::anyhow!("PRESENCE_GRACE_SECS must be >= 0"))
    }
}
