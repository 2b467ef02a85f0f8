//! `PUT` and `GET /files/{key}`: the local store's signed URLs, served by the backend
//! itself (with S3 the browser talks to the bucket instead, and these answer 404). They
//! are the store's object URLs, not API calls — what a bucket would serve — so they live
//! outside `/api` and its document. The signature is the only credential: no session is
//! needed, no cookie is read, and no other file can be reached.

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::local::{self, DownloadQuery, LocalStore, Refused, UploadError, UploadQuery};

/// Mounts both methods at [`local::ROUTE`]`/{key}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(format!("{}/{{key}}", local::ROUTE))
            .route(web::put().to(upload))
            .route(web::get().to(download)),
    );
}

/// Stores the body under `key` if the URL's signature, expiry, type and size hold.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let store = local_store(&state)?;
    store.check_upload(&key, &query).map_err(refused)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if content_type != Some(query.content_type.as_str()) {
        return Err(AppError::Validation(format!("send Content-Type: {}", query.content_type)));
    }
    match declared_length(&req) {
        Some(length) if length > query.size => {
            return Err(AppError::PayloadTooLarge(format!("this link accepts {} bytes", query.size)));
        }
        Some(length) if length < query.size => {
            return Err(AppError::Validation(format!("this link accepts exactly {} bytes", query.size)));
        }
        _ => {}
    }
    store.receive(&key, query.size, body).await.map_err(|e| match e {
        UploadError::TooLarge(_) => AppError::PayloadTooLarge(e.to_string()),
        UploadError::TooShort { .. } | UploadError::Interrupted => AppError::Validation(e.to_string()),
        UploadError::Exists => AppError::Conflict(e.to_string()),
        UploadError::Io(source) => AppError::Internal(source),
    })?;
    Ok(HttpResponse::Ok().finish())
}

/// Serves the file as the URL says: inline pictures, everything else as a download that
/// never runs (`nosniff`, `Content-Security-Policy: sandbox`).
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    query: web::Query<DownloadQuery>,
) -> AppResult<HttpResponse> {
    let store = local_store(&state)?;
    store.check_download(&key, &query).map_err(refused)?;
    let path = store.path(&key).ok_or(AppError::NotFound)?;
    let file = NamedFile::open_async(&path).await.map_err(|_| AppError::NotFound)?;
    let mut response = file.into_response(&req);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header_value(&query.content_type)?);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&query.disposition)?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    Ok(response)
}

fn local_store(state: &AppState) -> AppResult<&LocalStore> {
    state.stores.local.as_deref().ok_or(AppError::NotFound)
}

fn refused(e: Refused) -> AppError {
    AppError::Forbidden(e.to_string())
}

fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Signed values are the server's own, but a header is checked all the same.
fn header_value(value: &str) -> AppResult<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| AppError::Validation("invalid link".into()))
}
