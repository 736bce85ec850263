//! The whole HTTP surface and the layers around it.

use crate::error::ApiError;
use crate::observe::observe;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

/// The configured request body limit, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub u64);

pub(crate) fn body_limit(request: &Request) -> u64 {
    request
        .extensions()
        .get::<BodyLimit>()
        .map_or(pagerbound_config::DEFAULT_MAX_REQUEST_BODY, |l| l.0)
}

/// Builds the application: every route, and around them (outermost last)
/// panic catching, the body limit, and observation (request id, tracing,
/// metrics).
pub fn app(state: AppState) -> Router {
    let limit = state.settings.max_request_body;
    crate::api::routes()
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(DefaultBodyLimit::max(
            usize::try_from(limit).unwrap_or(usize::MAX),
        ))
        .layer(Extension(BodyLimit(limit)))
        .layer(from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {}", request.uri().path()))
}

async fn method_not_allowed(request: Request) -> Response {
    let mut response = ApiError::bad_request(format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    ))
    .into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// A handler panicked: answer 500 (with the request id) instead of dropping
/// the connection. This is a bug; the panic message goes to the log.
fn panicked(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}
