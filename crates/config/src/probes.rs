//! Validating `probes:`, the synthetic checks pagerbound runs.

use crate::diagnostic::Pos;
use crate::document::Sourced;
use crate::raw::RawProbe;
use crate::validate::Validator;
use pagerbound_core::Duration;
use pagerbound_core::probe::{
    CaFile, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Expectations, METHODS, Probe,
};
use serde_saphyr::Spanned;
use x509_parser::pem::Pem;

/// Probes may not run more often than this: a probe is a sample, not load.
const SHORTEST_INTERVAL: Duration = Duration::from_secs(1);

impl Validator<'_> {
    pub(crate) fn probe(&mut self, sourced: &Sourced<RawProbe>) -> Option<Probe> {
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        let url = self.http_url(&sourced.at(&raw.url), &raw.url.value, "url");
        let method = match &raw.method {
            None => "GET".to_owned(),
            Some(method) => {
                let upper = method.value.to_ascii_uppercase();
                if !METHODS.contains(&upper.as_str()) {
                    self.diagnostics.error(
                        &sourced.at(method),
                        format!(
                            "method `{}` is not one a probe uses; use {}",
                            method.value,
                            METHODS.join(", ")
                        ),
                    );
                }
                upper
            }
        };
        for name in raw.headers.keys() {
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid {
                self.diagnostics.error(
                    &sourced.at(&raw.name),
                    format!("headers: `{name}` is not a valid header name"),
                );
            }
        }
        let interval = self.probe_duration(sourced, raw.interval.as_ref(), "interval");
        let timeout = self.probe_duration(sourced, raw.timeout.as_ref(), "timeout");
        if let (Some(Some(interval)), Some(timeout)) = (interval, timeout) {
            let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
            if interval < SHORTEST_INTERVAL {
                self.diagnostics.error(
                    &sourced.at(raw.interval.as_ref().unwrap_or(&raw.name)),
                    "interval must be at least `1s`",
                );
            }
            if timeout > interval {
                self.diagnostics.error(
                    &sourced.at(raw.timeout.as_ref().unwrap_or(&raw.name)),
                    format!("timeout {timeout} is longer than the interval {interval}"),
                );
            }
        }
        let mut expect = Expectations::default();
        if let Some(raw_expect) = &raw.expect {
            let raw_expect = &raw_expect.value;
            for status in &raw_expect.status {
                if !(100..=599).contains(&status.value) {
                    self.diagnostics.error(
                        &sourced.at(status),
                        format!("status {} is not an HTTP status code", status.value),
                    );
                }
                expect.status.push(status.value);
            }
            if let Some(latency) = &raw_expect.latency {
                match latency.value.parse::<Duration>() {
                    Ok(value) => expect.latency = Some(value),
                    Err(error) => self
                        .diagnostics
                        .error(&sourced.at(latency), format!("latency: {error}")),
                }
            }
            expect.body_contains = raw_expect.body_contains.clone();
            if let Some(text) = &raw_expect.certificate_expires_after {
                let least = self.probe_duration(sourced, Some(text), "certificate_expires_after");
                expect.certificate_expires_after = least.flatten();
                // Plain HTTP presents no certificate: every run would be
                // bad for a reason the configuration already shows.
                if let Some(url) = &url
                    && url.scheme() != "https"
                {
                    self.diagnostics.error(
                        &sourced.at(text),
                        "certificate_expires_after applies to `https` URLs; plain `http` has no certificate",
                    );
                }
            }
        }
        let ca_file = raw
            .ca_file
            .as_ref()
            .and_then(|path| self.ca_file(&sourced.at(path), &path.value));
        if let (Some(path), Some(url)) = (&raw.ca_file, &url)
            && url.scheme() != "https"
        {
            self.diagnostics.warning(
                &sourced.at(path),
                "ca_file is not used: the URL is plain `http`",
            );
        }
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(Probe {
            name: raw.name.value.clone(),
            url: url?,
            method,
            headers: raw
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: raw.body.clone(),
            interval: interval.flatten().unwrap_or(DEFAULT_INTERVAL),
            timeout: timeout.flatten().unwrap_or(DEFAULT_TIMEOUT),
            ca_file,
            expect,
        })
    }

    /// Reads a probe's `ca_file` (relative to the configuration): PEM
    /// certificates, each one readable, so that a mistake shows at `check`
    /// rather than as failing runs.
    fn ca_file(&mut self, at: &Pos, written: &str) -> Option<CaFile> {
        let path = self.base_dir.join(written);
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    self.diagnostics.error(
                        at,
                        format!("ca_file `{written}` is not a PEM file (it is not text)"),
                    );
                    return None;
                }
            },
            Err(error) => {
                self.diagnostics
                    .error(at, format!("cannot read ca_file `{written}`: {error}"));
                return None;
            }
        };
        let mut certificates = Vec::new();
        for (index, block) in Pem::iter_from_buffer(text.as_bytes()).enumerate() {
            let number = index + 1;
            let problem = match block {
                Err(error) => Some(format!("PEM block {number} is malformed: {error}")),
                Ok(block) if block.label != "CERTIFICATE" => Some(format!(
                    "PEM block {number} is a `{}`, not a `CERTIFICATE`",
                    block.label
                )),
                Ok(block) => match block.parse_x509() {
                    Ok(_) => {
                        certificates.push(block.contents);
                        None
                    }
                    Err(error) => Some(format!(
                        "certificate {number} is not an X.509 certificate: {error}"
                    )),
                },
            };
            if let Some(problem) = problem {
                self.diagnostics
                    .error(at, format!("ca_file `{written}`: {problem}"));
                return None;
            }
        }
        if certificates.is_empty() {
            self.diagnostics.error(
                at,
                format!(
                    "ca_file `{written}` holds no certificate; give PEM blocks (`-----BEGIN CERTIFICATE-----`)"
                ),
            );
            return None;
        }
        Some(CaFile { path, certificates })
    }

    /// `Some(None)` when not given, `None` when invalid.
    fn probe_duration(
        &mut self,
        sourced: &Sourced<RawProbe>,
        text: Option<&Spanned<String>>,
        field: &str,
    ) -> Option<Option<Duration>> {
        let Some(text) = text else {
            return Some(None);
        };
        match text.value.parse::<Duration>() {
            Ok(duration) if duration > Duration::ZERO => Some(Some(duration)),
            Ok(_) => {
                self.diagnostics.error(
                    &sourced.at(text),
                    format!("{field} must be longer than zero"),
                );
                None
            }
            Err(error) => {
                self.diagnostics
                    .error(&sourced.at(text), format!("{field}: {error}"));
                None
            }
        }
    }
}
