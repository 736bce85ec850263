//! The one error type of the HTTP layer.
//!
//! Client mistakes become 4xx answers whose JSON body says what was wrong:
//! `{"error": "...", "detail": ...}`. Internal faults become 500 (or 503
//! when the database is out of reach) with a request id that is also in the
//! log, and never leak their cause to the client.

use crate::observe::current_request_id;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pagerbound_store::StoreError;
use serde_json::{Value, json};
use std::error::Error as StdError;

type Source = Box<dyn StdError + Send + Sync>;

/// An API failure.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    detail: Option<Value>,
    source: Option<Source>,
    database: bool,
}

/// Marks a response whose failure came from the database, so that the
/// metrics layer can count it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DatabaseFault;

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            detail: None,
            source: None,
            database: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Missing, malformed, unknown or revoked credentials: deliberately one
    /// answer for all of them.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized").with_detail(json!(
            "a valid token is required: send `Authorization: Bearer TOKEN`"
        ))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn payload_too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// An internal fault; `source` is logged, not shown.
    pub fn internal(source: impl Into<Source>) -> Self {
        let mut error = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        error.source = Some(source.into());
        error
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The request was understood but what it carries cannot be used (a
    /// configuration with errors).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A dependency (the database) is out of reach.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message shown to the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let mut api = match &error {
            StoreError::Conflict(message) => return ApiError::conflict(message.clone()),
            StoreError::Unavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable",
            ),
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        };
        api.source = Some(Box::new(error));
        api.database = true;
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let Some(detail) = self.detail {
            body["detail"] = detail;
        }
        if self.status.is_server_error() {
            let request_id = current_request_id();
            match &self.source {
                Some(source) => tracing::error!(
                    request_id = request_id.as_deref().unwrap_or("-"),
                    error = %source,
                    "Request failed."
                ),
                None => tracing::error!(
                    request_id = request_id.as_deref().unwrap_or("-"),
                    message = %self.message,
                    "Request failed."
                ),
            }
            if let Some(id) = request_id {
                body["request_id"] = Value::String(id);
            }
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.database {
            response.extensions_mut().insert(DatabaseFault);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
