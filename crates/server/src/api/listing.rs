//! What the list endpoints share: comma-separated state filters and a
//! bounded `limit`, refused with a message that says what is allowed.

use crate::error::ApiError;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// The states named in `?state=a,b`, each read by `parse`; an unknown one
/// is a 400 that lists the known ones (`known`, for the message).
pub(crate) fn states<S>(
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<S>,
    known: &str,
) -> Result<Vec<S>, ApiError> {
    text.into_iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            parse(name).ok_or_else(|| {
                ApiError::bad_request(format!("unknown state `{name}`; use {known}"))
            })
        })
        .collect()
}

/// `?limit=`, 100 by default, at most 1000.
pub(crate) fn limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(limit)
}
