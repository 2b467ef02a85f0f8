//! One operation of the HTTP API: a handler, mounted at the method and path that its own
//! `#[utoipa::path]` declares, and that declaration for `/api/openapi.json`. Serving and
//! documenting read the same attribute, so they cannot disagree.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::HttpMethod;

pub struct Operation {
    pub method: Method,
    /// The full path as documented, e.g. `/api/chats/{chat_id}` (actix reads the same syntax).
    pub path: String,
    route: Route,
    describe: fn(&mut OpenApi),
}

impl Operation {
    /// `handler` at each method its documentation `P` declares (one, in practice).
    pub fn new<P, F, Args>(handler: F) -> Vec<Self>
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        P::methods()
            .into_iter()
            .map(|method| {
                let method = actix_method(&method);
                Self {
                    route: web::method(method.clone()).to(handler.clone()),
                    method,
                    path: P::path(),
                    describe: describe::<P>,
                }
            })
            .collect()
    }

    /// Hands the route over for mounting.
    pub fn into_route(self) -> Route {
        self.route
    }

    /// Adds this operation, and the schemas it names, to `doc`.
    pub fn describe(&self, doc: &mut OpenApi) {
        (self.describe)(doc);
    }
}

// `SchemaReferences` is how utoipa's own router integrations collect a path's schemas.
fn describe<P: utoipa::Path + utoipa::__dev::SchemaReferences>(doc: &mut OpenApi) {
    doc.paths.add_path_operation(P::path(), P::methods(), P::operation());
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    doc.components.get_or_insert_with(Default::default).schemas.extend(schemas);
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}
