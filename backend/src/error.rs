//! The backend's one error type. Every failure a client can see becomes an [`AppError`],
//! which maps to an HTTP status plus `{"error": {"code", "message"}}` or, on the socket, to
//! an `error` event. Internal details go to the log, never to the client.

use actix_web::http::StatusCode;
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
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests, slow down")]
    RateLimited,
    #[error("temporarily unavailable, try again")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation(_) | AppError::PayloadTooLarge(_) => ErrorCode::Validation,
            AppError::Unauthorized => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::RateLimited => ErrorCode::RateLimited,
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

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database query failed"))
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
        HttpResponse::build(self.status_code()).json(ErrorBody { error: self.to_api_error() })
    }
}
