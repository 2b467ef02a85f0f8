//! The backend's one error type. Every failure a client can see becomes an [`AppError`],
//! which maps to an HTTP status plus `{"error": {"code", "message"}}` or, on the socket, to
//! an `error` event. Internal details go to the log, never to the client.

use actix_web::http::header::{self, RETRY_AFTER};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use confab_shared::validate::ValidationError;
use confab_shared::{ApiError, ErrorBody, ErrorCode};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("not signed in")]
    Unauthorized,
    /// A sign-in refused: the same words for an unknown user and a wrong password.
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// No route under `/api` has this path (a typo, not a missing object).
    #[error("no such API path")]
    UnknownPath,
    /// The path exists but not with this method; these are the methods it has.
    #[error("this path answers only {}", list(.0))]
    MethodNotAllowed(Vec<Method>),
    #[error("{0}")]
    Conflict(String),
    #[error("too many {what}; try again in {} s", retry_after_secs(*.retry_after))]
    RateLimited { what: String, retry_after: std::time::Duration },
    #[error("temporarily unavailable, try again")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation(_) | AppError::PayloadTooLarge(_) => ErrorCode::Validation,
            AppError::Unauthorized | AppError::WrongCredentials => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound | AppError::UnknownPath => ErrorCode::NotFound,
            AppError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is told. An internal error is logged here, with its whole chain.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            AppError::Internal(source) => {
                tracing::error!(error = ?source, "internal error");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        AppError::Validation(e.0)
    }
}

/// A query that failed because PostgreSQL is unreachable, restarting or shutting down is
/// `503 unavailable` (clients retry); any other database error is a bug (500).
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if database_unreachable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable;
        }
        AppError::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

/// diesel-async reports a broken connection as `UnableToSendCommand` (no SQLSTATE) or
/// `ClosedConnection`; a server going down answers SQLSTATE class 57 ("terminating
/// connection due to administrator command", "the database system is shutting down"),
/// which diesel files under `Unknown` with only the message to tell.
fn database_unreachable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _,
        )
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("terminating connection") || message.starts_with("the database system is")
        }
        _ => false,
    }
}

/// No connection to PostgreSQL within the pool's wait: 503, so clients retry.
impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection");
        AppError::Unavailable
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            other => {
                StatusCode::from_u16(other.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::RateLimited { retry_after, .. } => {
                response.insert_header((RETRY_AFTER, retry_after_secs(*retry_after)));
            }
            AppError::Unavailable => {
                response.insert_header((RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS));
            }
            AppError::MethodNotAllowed(methods) => {
                response.insert_header(header::Allow(methods.clone()));
            }
            _ => {}
        }
        response.json(ErrorBody { error: self.to_api_error() })
    }
}

/// What a 503 tells clients to wait before retrying: long enough for a database restart
/// or failover to make progress, short enough that a user barely notices.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// `Retry-After` takes whole seconds; round up so a client never retries too early.
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// `GET, POST`: the methods as the `Allow` header lists them.
fn list(methods: &[Method]) -> String {
    methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}
