//! API tokens over the API (admins only). `pagerbound token` does the same
//! directly against the database, which is how the first token is made.

use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::tokens;
use axum::extract::State;
use axum::http::StatusCode;
use pagerbound_core::Role;
use pagerbound_store::ApiToken;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) async fn list(
    _auth: Auth<need::Admin>,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    Ok(axum::Json(state.store.list_api_tokens().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateToken {
    user: String,
    #[serde(default = "default_role")]
    role: Role,
    description: Option<String>,
}

fn default_role() -> Role {
    Role::Viewer
}

/// `POST /api/v1/tokens`: answers with the token, the only time it is shown.
pub(crate) async fn create(
    auth: Auth<need::Admin>,
    State(state): State<AppState>,
    Json(request): Json<CreateToken>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let config = state.config.current();
    let issued = tokens::issue(
        state.store.as_ref(),
        &config.config,
        &request.user,
        request.role,
        request.description,
    )
    .await?;
    tracing::info!(
        by = %auth.caller.user,
        token = issued.stored.id,
        user = %issued.stored.user,
        role = %issued.stored.role,
        "API token created."
    );
    let mut body = json!(issued.stored);
    body["token"] = json!(issued.token);
    Ok((StatusCode::CREATED, axum::Json(body)))
}

/// `DELETE /api/v1/tokens/{id}`: revokes; revoking twice is fine.
pub(crate) async fn revoke(
    auth: Auth<need::Admin>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ApiToken>> {
    let revoked = state
        .store
        .revoke_api_token(id, crate::clock::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no token {id}")))?;
    tracing::info!(by = %auth.caller.user, token = id, "API token revoked.");
    Ok(axum::Json(revoked))
}
