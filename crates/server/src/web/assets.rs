//! The UI's static files, compiled into the binary.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// Changes whenever our own assets may have: pages link to
/// `pagerbound.css?v=VERSION`, so a new release is fetched at once.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The vendored htmx release.
pub const HTMX_VERSION: &str = "2.0.8";

const CSS: &str = include_str!("../../assets/pagerbound.css");
const HTMX: &str = include_str!("../../assets/htmx.min.js");

/// `GET /assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "pagerbound.css" => (CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (CONTENT_TYPE, content_type),
            // Addresses carry the version, so a day's caching is safe.
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
