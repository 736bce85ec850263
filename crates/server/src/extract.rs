//! Request extractors whose rejections are [`ApiError`]s, so that a
//! malformed body, query or path gets the same JSON error shape as
//! everything else.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::json;

/// A JSON body. Wrong content type: 415; too large: 413; not JSON or not
/// the expected shape: 400 with the position or the field that is wrong.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let JsonBytes(bytes) = JsonBytes::from_request(request, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// The raw body of a JSON request, checked for its content type and size
/// but not parsed, for handlers that parse it their own way.
#[derive(Debug)]
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
            let is_json = content_type
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .map(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
                .unwrap_or(false);
            if !is_json {
                return Err(ApiError::unsupported_media_type(
                    "send the body as JSON with `Content-Type: application/json`",
                ));
            }
        }
        let limit = crate::router::body_limit(&request);
        Bytes::from_request(request, state)
            .await
            .map(JsonBytes)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large(limit)
                } else {
                    ApiError::bad_request(format!(
                        "could not read the request body: {}",
                        rejection.body_text()
                    ))
                }
            })
    }
}

/// Parses JSON, saying where it went wrong: the position for syntax errors,
/// the field path for shape errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("request body is not valid JSON: {inner}")
            }
            _ if path == "." => format!("request body has the wrong shape: {inner}"),
            _ => format!("request body has the wrong shape at `{path}`: {inner}"),
        };
        ApiError::bad_request(message)
    })
}

/// A query string. Malformed: 400 saying which parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|rejection| {
                ApiError::bad_request("invalid query string")
                    .with_detail(json!(rejection.body_text()))
            })
    }
}

/// Path parameters. Malformed: 400 saying which.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|rejection| {
                ApiError::bad_request("invalid path parameter")
                    .with_detail(json!(rejection.body_text()))
            })
    }
}
