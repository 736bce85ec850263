//! Where an SLO's events come from.

use crate::Duration;
use url::Url;

/// An SLO's source of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sli {
    /// Counts of good and valid events pushed to
    /// `POST /api/v1/slis/{slo}/events`: a ratio SLI, or a latency SLI whose
    /// sender counts the events under its threshold as good.
    Push,
    /// A probe's runs, one event each: good when every expectation of
    /// the probe held.
    Probe { probe: String },
    /// Rates read from a Prometheus-compatible HTTP API.
    Prometheus(PrometheusSli),
}

impl Sli {
    pub fn source(&self) -> &'static str {
        match self {
            Sli::Push => "push",
            Sli::Probe { .. } => "probe",
            Sli::Prometheus(_) => "prometheus",
        }
    }
}

/// Where the queries' range goes, as Sloth writes it: each query is a
/// per-second rate over `{{.window}}`, e.g.
/// `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`.
pub const WINDOW_PLACEHOLDER: &str = "{{.window}}";

/// A ratio SLI read from Prometheus (or Thanos, Mimir, VictoriaMetrics):
/// the queries are evaluated every `step`, each over the step, and the
/// rates times the step are the events of that step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusSli {
    /// The API's base URL, e.g. `http://127.0.0.1:9090`.
    pub url: Url,
    pub queries: RatioQueries,
    pub step: Duration,
}

/// Good and valid events, bad and valid events, or the error ratio itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatioQueries {
    Good {
        good: String,
        total: String,
    },
    Bad {
        bad: String,
        total: String,
    },
    /// A query that gives the error ratio over `{{.window}}` (Sloth's raw
    /// SLIs): without counts, each step weighs the same, one event whose
    /// bad share is the ratio.
    ErrorRatio {
        error_ratio: String,
    },
    /// A latency SLI from a histogram: events faster than `threshold`
    /// (the `le` of one of its buckets) among all of its events.
    Histogram(HistogramQuery),
}

/// A Prometheus histogram and the bucket boundary that makes an event
/// good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramQuery {
    /// The histogram's name, without `_bucket` or `_count`.
    pub metric: String,
    /// Label matchers inside the braces, e.g. `job="checkout"`; may be
    /// empty.
    pub matchers: String,
    /// The boundary as written in the configuration, e.g. `0.3`; matched
    /// against the `le` values by number, since clients write `1` or `1.0`.
    pub threshold: String,
}

impl HistogramQuery {
    /// The threshold as a number (checked when the configuration is read).
    pub fn threshold_value(&self) -> f64 {
        self.threshold.parse().unwrap_or(f64::NAN)
    }

    fn selector(&self, suffix: &str, extra: Option<&str>) -> String {
        let mut matchers: Vec<&str> = Vec::new();
        if !self.matchers.trim().is_empty() {
            matchers.push(self.matchers.trim());
        }
        if let Some(extra) = extra {
            matchers.push(extra);
        }
        format!("{}{suffix}{{{}}}", self.metric, matchers.join(","))
    }

    /// The good and total queries, with the bucket's `le` as Prometheus
    /// writes it.
    pub fn queries(&self, le: &str) -> (String, String) {
        let le = format!("le={}", serde_json::to_string(le).unwrap_or_default());
        (
            format!(
                "sum(rate({}[{WINDOW_PLACEHOLDER}]))",
                self.selector("_bucket", Some(&le))
            ),
            format!(
                "sum(rate({}[{WINDOW_PLACEHOLDER}]))",
                self.selector("_count", None)
            ),
        )
    }

    /// A query for the histogram's bucket boundaries: one series per `le`.
    pub fn boundaries_query(&self) -> String {
        format!("count by (le) ({})", self.selector("_bucket", None))
    }

    /// The `le` among `boundaries` that equals the threshold as a number;
    /// otherwise the error names the boundaries there are.
    pub fn boundary<'a>(&self, boundaries: &'a [String]) -> Result<&'a str, String> {
        let wanted = self.threshold_value();
        let equal = |le: &&String| {
            le.parse::<f64>()
                .is_ok_and(|v| (v - wanted).abs() <= 1e-9 * wanted.abs().max(1.0))
        };
        if let Some(le) = boundaries.iter().find(equal) {
            return Ok(le);
        }
        if boundaries.is_empty() {
            return Err(format!(
                "{} has no buckets (no series {}_bucket)",
                self.metric, self.metric
            ));
        }
        let mut sorted: Vec<&str> = boundaries.iter().map(String::as_str).collect();
        let value = |s: &str| s.parse::<f64>().unwrap_or(f64::INFINITY);
        sorted.sort_by(|a, b| value(a).total_cmp(&value(b)));
        Err(format!(
            "threshold {} is not a bucket boundary of {}; its boundaries are {}",
            self.threshold,
            self.metric,
            sorted.join(", ")
        ))
    }
}

impl PrometheusSli {
    /// A query with its range set to the step.
    pub fn query(&self, template: &str) -> String {
        template.replace(WINDOW_PLACEHOLDER, &self.step.to_string())
    }

    /// The events of one step, from the rates the queries gave for it:
    /// `None` when the step has no valid-events rate (a gap). A missing
    /// bad rate is no bad events (error series often appear only with the
    /// first error); a missing good rate is a gap, never "all bad".
    pub fn events(&self, first: Option<f64>, total: Option<f64>) -> Option<(f64, f64)> {
        if let RatioQueries::ErrorRatio { .. } = &self.queries {
            let ratio = first.filter(|r| r.is_finite())?.clamp(0.0, 1.0);
            return Some((1.0 - ratio, 1.0));
        }
        let seconds = self.step.as_millis() as f64 / 1_000.0;
        let total = total.filter(|t| t.is_finite() && *t >= 0.0)? * seconds;
        let good = match &self.queries {
            RatioQueries::Good { .. } | RatioQueries::Histogram(_) => {
                first.filter(|g| g.is_finite())? * seconds
            }
            RatioQueries::Bad { .. } => {
                total - first.filter(|b| b.is_finite()).unwrap_or(0.0) * seconds
            }
            RatioQueries::ErrorRatio { .. } => return None,
        };
        // Extrapolated rates may put good a hair above total or below 0.
        Some((good.clamp(0.0, total), total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sli(queries: RatioQueries) -> PrometheusSli {
        PrometheusSli {
            url: "http://127.0.0.1:9090".parse().expect("url"),
            queries,
            step: Duration::from_secs(60),
        }
    }

    #[test]
    fn queries_take_the_step_as_their_range() {
        let sli = sli(RatioQueries::Good {
            good: "sum(rate(ok_total[{{.window}}]))".into(),
            total: "sum(rate(all_total[{{.window}}]))".into(),
        });
        assert_eq!(
            sli.query("sum(rate(ok_total[{{.window}}]))"),
            "sum(rate(ok_total[1m]))"
        );
    }

    #[test]
    fn a_histogram_gives_its_bucket_and_count_and_checks_the_boundary() {
        let histogram = HistogramQuery {
            metric: "http_request_duration_seconds".into(),
            matchers: "job=\"checkout\"".into(),
            threshold: "0.3".into(),
        };
        let (good, total) = histogram.queries("0.3");
        assert_eq!(
            good,
            "sum(rate(http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.3\"}[{{.window}}]))"
        );
        assert_eq!(
            total,
            "sum(rate(http_request_duration_seconds_count{job=\"checkout\"}[{{.window}}]))"
        );
        let written = ["1.0".to_owned(), "0.3".to_owned(), "+Inf".to_owned()];
        assert_eq!(histogram.boundary(&written), Ok("0.3"));
        let one = HistogramQuery {
            threshold: "1".into(),
            ..histogram.clone()
        };
        assert_eq!(one.boundary(&written), Ok("1.0"), "matched by number");
        let missing = HistogramQuery {
            threshold: "0.25".into(),
            ..histogram
        };
        assert_eq!(
            missing.boundary(&written),
            Err(
                "threshold 0.25 is not a bucket boundary of http_request_duration_seconds; its boundaries are 0.3, 1.0, +Inf"
                    .into()
            )
        );
    }

    #[test]
    fn rates_become_events_and_gaps_stay_gaps() {
        let good = sli(RatioQueries::Good {
            good: String::new(),
            total: String::new(),
        });
        assert_eq!(good.events(Some(9.0), Some(10.0)), Some((540.0, 600.0)));
        assert_eq!(good.events(None, Some(10.0)), None, "no good rate: a gap");
        assert_eq!(good.events(Some(1.0), None), None);
        assert_eq!(good.events(Some(10.5), Some(10.0)), Some((600.0, 600.0)));
        let bad = sli(RatioQueries::Bad {
            bad: String::new(),
            total: String::new(),
        });
        assert_eq!(bad.events(Some(1.0), Some(10.0)), Some((540.0, 600.0)));
        assert_eq!(
            bad.events(None, Some(10.0)),
            Some((600.0, 600.0)),
            "no errors yet"
        );
        assert_eq!(bad.events(Some(f64::NAN), Some(f64::NAN)), None);
        let raw = sli(RatioQueries::ErrorRatio {
            error_ratio: String::new(),
        });
        assert_eq!(raw.events(Some(0.25), None), Some((0.75, 1.0)));
        assert_eq!(raw.events(None, None), None, "no ratio: a gap");
    }
}
