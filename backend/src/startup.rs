//! Wiring: shared state, the HTTP server, routes, and the static SPA.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use confab_shared::limits::MAX_JSON_BODY_BYTES;
use tracing_actix_web::TracingLogger;

use crate::auth::oidc::Providers;
use crate::auth::origin::{self, AllowedOrigins};
use crate::auth::password::PasswordHasher;
use crate::cache::Cache;
use crate::config::Settings;
use crate::db;
use crate::error::AppError;
use crate::frontend::{self, Dist};
use crate::ingest::Ingest;
use crate::ratelimit::RateLimits;
use crate::realtime::{Events, Presence, TypingThrottle};
use crate::routes;
use crate::security_headers::{self, SecurityHeaders};
use crate::state::AppState;
use crate::storage::Stores;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Migrates the database, connects the pools and binds the listener. Port 0 binds a
    /// free port, which [`Application::port`] reports.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        db::run_migrations(&settings.database_url).await?;
        let db = db::pool(&settings.database_url, settings.database_pool_size)?;
        let cache = Cache::new(settings.redis_url.as_deref());
        let stores = Stores::open(&settings.storage).await?;
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        let public_url = settings.public_url.clone().unwrap_or_else(|| origin::local_url(bound));
        let mut also_allowed = settings.allowed_origins.clone();
        if settings.public_url.is_none() && (bound.ip().is_loopback() || bound.ip().is_unspecified()) {
            // A local install without PUBLIC_URL: `localhost` names the same loopback
            // server (it can't be rebound to another host), so `just dev` works from either.
            also_allowed.push(format!("http://localhost:{port}"));
        }
        let origins = AllowedOrigins::new(&public_url, &also_allowed)?;
        let dist_dir = settings.dist_dir.as_deref();
        let headers = web::Data::new(SecurityHeaders::new(
            &origins,
            read_index(dist_dir).as_deref(),
            stores.storage.browser_origin().as_deref(),
        )?);
        let dist = dist_dir
            .map(|dir| Dist::open(dir).with_context(|| format!("listing the frontend in {}", dir.display())))
            .transpose()?
            .map(web::Data::new);
        let hasher = PasswordHasher::new(settings.max_concurrent_hashes);
        if let Some(addr) = settings.metrics_addr {
            crate::metrics::install(addr);
        }
        let events = Events::start(settings.node_id.clone(), settings.redis_url.as_deref());
        let ingest = Ingest::start(
            &settings.database_url,
            cache.clone(),
            events.clone(),
            settings.writers,
            settings.write_batch_max,
        );
        let limits = RateLimits::new(&settings.limits, cache.clone());
        // Discovered before serving (a provider that is down is retried in the background).
        let oidc = Providers::new(&settings.oidc_providers, origins.public())?;
        oidc.discover_all().await;
        oidc.keep_discovered();
        let state = web::Data::new(AppState {
            limits,
            settings,
            origins,
            db,
            cache,
            events,
            ingest,
            presence: Presence::new(),
            typing: TypingThrottle::new(),
            hasher,
            stores,
            oidc,
        });

        tokio::spawn(delete_expired_sessions(state.clone()));
        tokio::spawn(crate::services::presence::heartbeat(state.clone()));
        tokio::spawn(delete_unattached_uploads(state.clone()));

        let server = HttpServer::new(move || {
            App::new()
                // gzip for JSON and for app files without a precompressed copy (debug
                // builds); actix leaves 101 upgrades and precompressed files alone.
                .wrap(actix_web::middleware::Compress::default())
                .wrap(TracingLogger::default())
                .wrap(from_fn(security_headers::add))
                .app_data(headers.clone())
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|err, _| AppError::Validation(err.to_string()).into()),
                )
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
                .configure(routes::configure)
                .configure(|cfg| frontend::configure(cfg, dist.clone()))
        })
        .on_connect(routes::tcp::on_connect)
        .listen(listener)?
        .run();
        tracing::info!(port, public_url, "confab listening");
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Bad JSON bodies get the API's error shape: 413 when too large, 400 otherwise.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BODY_BYTES).error_handler(|err, _| {
        let error = match err {
            JsonPayloadError::OverflowKnownLength { .. }
            | JsonPayloadError::Overflow { .. }
            | JsonPayloadError::Payload(PayloadError::Overflow) => {
                AppError::PayloadTooLarge(format!("request body is larger than {MAX_JSON_BODY_BYTES} bytes"))
            }
            JsonPayloadError::ContentType => {
                AppError::Validation("expected a JSON body (Content-Type: application/json)".into())
            }
            JsonPayloadError::Deserialize(e) => AppError::Validation(format!("invalid JSON: {e}")),
            other => AppError::Validation(other.to_string()),
        };
        error.into()
    })
}

/// The frontend's `index.html`, whose inline scripts the Content-Security-Policy allows.
fn read_index(dist_dir: Option<&Path>) -> Option<String> {
    let index = dist_dir?.join("index.html");
    std::fs::read_to_string(&index)
        .inspect_err(|e| tracing::warn!(path = %index.display(), error = %e, "no index.html to serve"))
        .ok()
}

/// Housekeeping: expired sessions are already refused; this keeps the table small.
async fn delete_expired_sessions(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let result = match state.conn().await {
            Ok(mut conn) => {
                db::sessions::delete_expired(&mut conn, chrono::Utc::now()).await.map_err(anyhow::Error::from)
            }
            Err(e) => Err(anyhow::Error::from(e)),
        };
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "deleted expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}

/// Housekeeping: uploads never attached to a message are deleted after a day.
async fn delete_unattached_uploads(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(state.settings.upload_sweep_interval);
    loop {
        tick.tick().await;
        match crate::services::attachments::delete_unattached(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "deleted unattached uploads"),
            Err(e) => tracing::warn!(error = %e, "could not delete unattached uploads"),
        }
    }
}
