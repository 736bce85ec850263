//! Validating `heartbeats:`, the dead man's switches.

use crate::document::Sourced;
use crate::raw::RawHeartbeat;
use crate::validate::Validator;
use pagerbound_core::heartbeat::DEFAULT_GRACE;
use pagerbound_core::{Duration, Heartbeat};
use std::collections::BTreeSet;

impl Validator<'_> {
    pub(crate) fn heartbeat(
        &mut self,
        sourced: &Sourced<RawHeartbeat>,
        services: &BTreeSet<String>,
        integrations: &BTreeSet<String>,
    ) -> Option<Heartbeat> {
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        self.reference(
            sourced.at(&raw.service),
            "service",
            &raw.service.value,
            services,
        );
        if let Some(integration) = &raw.integration {
            self.reference(
                sourced.at(integration),
                "integration",
                &integration.value,
                integrations,
            );
        }
        let interval = match raw.interval.value.parse::<Duration>() {
            // A zero interval would page the moment a beat is recorded.
            Ok(interval) if interval > Duration::ZERO => Some(interval),
            Ok(_) => {
                self.diagnostics.error(
                    &sourced.at(&raw.interval),
                    "interval must be longer than zero, e.g. `5m`",
                );
                None
            }
            Err(error) => {
                self.diagnostics
                    .error(&sourced.at(&raw.interval), format!("interval: {error}"));
                None
            }
        };
        let grace = match &raw.grace {
            None => Some(DEFAULT_GRACE),
            Some(text) => match text.value.parse::<Duration>() {
                Ok(grace) => Some(grace),
                Err(error) => {
                    self.diagnostics
                        .error(&sourced.at(text), format!("grace: {error}"));
                    None
                }
            },
        };
        let matchers = self.matchers(&sourced.origin, &raw.matchers);
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(Heartbeat {
            name: raw.name.value.clone(),
            service: raw.service.value.clone(),
            interval: interval?,
            grace: grace?,
            integration: raw.integration.as_ref().map(|i| i.value.clone()),
            matchers: matchers?,
            summary: raw.summary.clone(),
        })
    }
}
