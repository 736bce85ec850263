//! Failures in the web UI, answered as pages a person can read: the same
//! status and message the API would give, in HTML; and, without a session,
//! a trip to the sign-in form that comes back to where it started.

use super::templates::{ErrorPage, render};
use crate::error::ApiError;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum WebError {
    /// No valid session: sign in, then come back to `next`.
    SignIn {
        next: String,
        htmx: bool,
    },
    Api(ApiError),
}

impl WebError {
    pub fn sign_in(parts: &Parts) -> Self {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        WebError::SignIn {
            next,
            htmx: super::session::from_htmx(&parts.headers),
        }
    }
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        WebError::Api(error)
    }
}

impl From<pagerbound_store::StoreError> for WebError {
    fn from(error: pagerbound_store::StoreError) -> Self {
        WebError::Api(error.into())
    }
}

pub type WebResult<T> = Result<T, WebError>;

/// Where the sign-in form sends a person afterwards: only a path on this
/// server, so that a crafted link cannot send them elsewhere.
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next, htmx } => {
                let location = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                let location =
                    HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/login"));
                if htmx {
                    // htmx follows this header with a full page load.
                    (StatusCode::OK, [("hx-redirect", location)]).into_response()
                } else {
                    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
                }
            }
            WebError::Api(error) => {
                let status = error.status();
                let message = error.message().to_owned();
                // The API's answer logs server faults and marks database
                // ones for the metrics; keep all that, replace the body.
                let (mut parts, _) = error.into_response().into_parts();
                let request_id = crate::observe::current_request_id();
                let body = render(&ErrorPage {
                    status: status.as_u16(),
                    reason: status.canonical_reason().unwrap_or("Error"),
                    message,
                    request_id,
                    chrome: None,
                });
                parts.headers.remove(CONTENT_LENGTH);
                parts.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                Response::from_parts(parts, body.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_back_only_to_local_paths() {
        assert_eq!(local_path(Some("/pages/4?x=1")), "/pages/4?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
