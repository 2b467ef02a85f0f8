//! The one error shape of the API: the body of every HTTP error and of the `error` socket
//! event. Clients branch on `code`, which is stable; `message` is for humans.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400 (or 413 for an oversized body): the input breaks a rule; `message` says which.
    Validation,
    /// 401: no valid session.
    Unauthorized,
    /// 403: signed in, but not allowed (not the owner, foreign origin, closed chat).
    Forbidden,
    /// 404: no such object, or not one you may see (existence is not leaked).
    NotFound,
    /// 405: the path exists, the method does not; the `Allow` header lists those that do.
    MethodNotAllowed,
    /// 409: clashes with existing state (username taken, client id reused).
    Conflict,
    /// 429: slow down.
    RateLimited,
    /// 503: a dependency (PostgreSQL) is down or overloaded; retry later. Nothing was stored.
    Unavailable,
    /// 500: our fault; details are in the server log, never in the response.
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// `{"code": "not_found", "message": "..."}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ApiError {}

/// The body of every HTTP error response: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ApiError,
}
