//! What every page shares: the frame around it (who is signed in, the
//! navigation, the sign-out form), rendering, and small formatting helpers
//! the templates call.

use crate::state::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;

/// The navigation: address, label, and the key pages mark themselves with.
pub const NAV: [(&str, &str, &str); 7] = [
    ("/", "Now", "now"),
    ("/pages", "Pages", "pages"),
    ("/alerts", "Alerts", "alerts"),
    ("/silences", "Silences", "silences"),
    ("/schedules", "Schedules", "schedules"),
    ("/slos", "SLOs", "slos"),
    ("/config", "Config", "config"),
];

/// The frame of a signed-in page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    /// Which navigation entry is this page's.
    pub nav: &'static str,
    /// The person's own time zone: times are shown in it.
    pub time_zone: TimeZone,
    /// When the page was made: "5m ago" is counted from it.
    pub now: Timestamp,
}

impl Chrome {
    pub fn new<N>(
        state: &AppState,
        signed_in: &super::session::SignedIn<N>,
        nav: &'static str,
    ) -> Self {
        let time_zone = state
            .config
            .current()
            .config
            .users
            .get(&signed_in.user)
            .map_or(TimeZone::UTC, |user| user.time_zone.clone());
        Chrome {
            user: signed_in.user.clone(),
            role: signed_in.role,
            csrf: signed_in.csrf.clone(),
            nav,
            time_zone,
            now: crate::clock::now(),
        }
    }

    /// An instant in the person's time zone: `Sun 22 Nov 03:14 GMT`.
    pub fn when(&self, at: &Timestamp) -> String {
        at.to_zoned(self.time_zone.clone())
            .strftime("%a %-d %b %H:%M %Z")
            .to_string()
    }

    /// Whether `key` names this page's navigation entry.
    pub fn is_current(&self, key: &str) -> bool {
        self.nav == key
    }

    pub fn can_respond(&self) -> bool {
        self.role.allows(Role::Responder)
    }
}

/// What the templates of signed-in pages call, from their frame: times in
/// the person's zone, what their role allows, the CSRF token for forms.
/// Every page template has a `chrome` field; [`framed!`] implements this
/// for them.
pub trait Frame {
    fn frame(&self) -> Option<&Chrome>;

    /// An instant in the person's time zone.
    fn when(&self, at: &Timestamp) -> String {
        self.frame().map_or_else(String::new, |c| c.when(at))
    }

    /// How long ago (or from now) an instant is.
    fn ago(&self, at: &Timestamp) -> String {
        self.frame().map_or_else(String::new, |c| ago(at, &c.now))
    }

    fn can_respond(&self) -> bool {
        self.frame().is_some_and(Chrome::can_respond)
    }

    fn is_admin(&self) -> bool {
        self.frame().is_some_and(|c| c.role.allows(Role::Admin))
    }

    /// The token the page's forms carry.
    fn csrf(&self) -> &str {
        self.frame().map_or("", |c| c.csrf.as_str())
    }

    /// Whether a filter's value is this option, to mark it selected
    /// (templates cannot compare a `String` with a `&&str`).
    fn same(&self, value: &str, option: &str) -> bool {
        value == option
    }
}

/// Implements [`Frame`] for page templates with a `chrome` field.
macro_rules! framed {
    ($($page:ty),+ $(,)?) => {
        $(
            impl $crate::web::templates::Frame for $page {
                fn frame(&self) -> Option<&$crate::web::templates::Chrome> {
                    self.chrome.as_ref()
                }
            }
        )+
    };
}
pub(crate) use framed;

/// A page for a failure.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
    pub request_id: Option<String>,
    /// None: error pages show no navigation, since they may answer people
    /// who are not signed in.
    pub chrome: Option<Chrome>,
}

/// Renders a template to text. Rendering fails only if a value cannot be
/// formatted, which is a bug: say so instead of answering half a page.
pub fn render<T: Template>(template: &T) -> String {
    template.render().unwrap_or_else(|error| {
        tracing::error!(error = %error, "A template failed to render.");
        "<!doctype html><title>Error</title><p>This page could not be shown; the server log says why.</p>".to_owned()
    })
}

/// Renders a template as an HTML answer.
pub fn html<T: Template>(template: &T) -> Response {
    Html(render(template)).into_response()
}

/// How long ago (or from now) `at` is, roughly: `5m ago`, `in 2h 10m`.
pub fn ago(at: &Timestamp, now: &Timestamp) -> String {
    let span = now.duration_since(*at);
    if span.is_negative() {
        format!("in {}", rough(span.abs()))
    } else {
        format!("{} ago", rough(span))
    }
}

/// A duration in its two largest units: `3d 4h`, `2h 10m`, `45s`.
pub fn rough(span: SignedDuration) -> String {
    let secs = span.as_secs().max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_two_units() {
        let s = SignedDuration::from_secs;
        assert_eq!(rough(s(45)), "45s");
        assert_eq!(rough(s(600)), "10m");
        assert_eq!(rough(s(7800)), "2h 10m");
        assert_eq!(rough(s(7200)), "2h");
        assert_eq!(rough(s(3 * 86_400 + 4 * 3600 + 59)), "3d 4h");
        assert_eq!(rough(s(2 * 86_400 + 120)), "2d");
    }

    #[test]
    fn instants_read_relative_to_now() {
        let now: Timestamp = "2026-11-22T03:00:00Z".parse().expect("instant");
        let before: Timestamp = "2026-11-22T02:55:00Z".parse().expect("instant");
        let after: Timestamp = "2026-11-22T05:10:00Z".parse().expect("instant");
        assert_eq!(ago(&before, &now), "5m ago");
        assert_eq!(ago(&after, &now), "in 2h 10m");
    }
}
