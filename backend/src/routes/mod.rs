//! HTTP routes. Handlers are thin: extract, call one service function, encode.
//!
//! [`operations`] is the one list of the HTTP API: each handler is mounted at the method and
//! path of its own `#[utoipa::path]`, and that attribute describes it in `/api/openapi.json`.
//! So nothing is served undocumented or documented unserved, and adding a route is adding
//! its handler to the list.

pub mod attachments;
pub mod auth;
pub mod chats;
pub mod emoji;
pub mod extract;
pub mod health;
pub mod messages;
pub mod oidc;
pub mod openapi;
pub mod operation;
pub mod search;
pub mod socket;
pub mod storage;
pub mod tcp;
pub mod users;
pub mod ws;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, Resource, web};

use self::operation::Operation;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Paths under this prefix get the JSON 404 and the Origin check of state-changing calls.
const API: &str = "/api";

/// Lists the API's handlers as `module::handler`; see the module documentation.
macro_rules! operations {
    ($($module:ident :: $handler:ident),* $(,)?) => {
        /// Every operation of the HTTP API (`/api/...` and the socket's `/ws`), in the order
        /// their paths are matched: a literal path before a parameter that would match it.
        pub fn operations() -> Vec<Operation> {
            paste::paste! {
                [$(Operation::new::<$module::[<__path_ $handler>], _, _>($module::$handler)),*]
            }
            .into_iter()
            .flatten()
            .collect()
        }
    };
}

operations! {
    health::health,
    health::limits,
    emoji::list,
    openapi::spec,
    auth::register,
    auth::login,
    auth::logout,
    auth::me,
    auth::session,
    auth::update_profile,
    auth::sessions,
    auth::revoke_other_sessions,
    auth::revoke_session,
    auth::change_password,
    oidc::providers,
    oidc::start,
    oidc::callback,
    oidc::link,
    oidc::identities,
    oidc::unlink,
    users::search,
    chats::list,
    chats::create,
    chats::get,
    chats::rename,
    chats::close,
    chats::reopen,
    chats::add_member,
    chats::remove_member,
    chats::transfer_ownership,
    chats::mark_read,
    chats::mute,
    messages::history,
    messages::send,
    messages::edit,
    messages::delete,
    messages::react,
    messages::changes,
    search::search,
    attachments::start,
    attachments::complete,
    attachments::download,
    attachments::thumbnail,
    ws::upgrade,
}

/// Mounts [`operations`]: one resource per path, answering 405 with `Allow` to any other
/// method; under `/api`, unknown paths get the JSON 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut api = web::scope(API).wrap(from_fn(require_allowed_origin)).default_service(web::to(not_found));
    for (path, operations) in by_path(operations()) {
        match path.strip_prefix(API) {
            Some(rest) => api = api.service(resource(rest, operations)),
            None => {
                cfg.service(resource(&path, operations));
            }
        }
    }
    cfg.service(api);
    storage::configure(cfg);
}

/// The operations grouped by path, in the order of the list.
fn by_path(operations: Vec<Operation>) -> Vec<(String, Vec<Operation>)> {
    let mut paths: Vec<(String, Vec<Operation>)> = Vec::new();
    for operation in operations {
        match paths.iter_mut().find(|(path, _)| *path == operation.path) {
            Some((_, same_path)) => same_path.push(operation),
            None => paths.push((operation.path.clone(), vec![operation])),
        }
    }
    paths
}

fn resource(path: &str, operations: Vec<Operation>) -> Resource {
    let allowed: Vec<Method> = operations.iter().map(|operation| operation.method.clone()).collect();
    let refuse = move || {
        let allowed = allowed.clone();
        async move { AppResult::<HttpResponse>::Err(AppError::MethodNotAllowed(allowed)) }
    };
    operations
        .into_iter()
        .fold(web::resource(path).default_service(web::to(refuse)), |resource, operation| {
            resource.route(operation.into_route())
        })
}

/// Unknown API paths get the JSON error shape, not the SPA's `index.html`.
async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::UnknownPath)
}

/// Middleware for `/api`: state-changing methods must come from an allowed origin
/// (`auth::origin`).
pub async fn require_allowed_origin(
    state: web::Data<AppState>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        state.origins.check(req.request())?;
    }
    next.call(req).await
}
