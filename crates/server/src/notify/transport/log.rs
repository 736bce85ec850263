//! The `log` channel: notifications written to pagerbound's own log, for a
//! laptop and for tests.

use super::{Delivery, Transport};
use async_trait::async_trait;
use pagerbound_core::notify::Outcome;
use pagerbound_core::notify::message::bundle_headline;

pub(super) struct Log {
    pub channel: String,
}

#[async_trait]
impl Transport for Log {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        tracing::info!(
            channel = %self.channel,
            destination = %delivery.destination.key(),
            key = %delivery.key,
            messages = delivery.messages.len(),
            "Notification: {}",
            bundle_headline(delivery.messages)
        );
        Outcome::Delivered
    }
}
