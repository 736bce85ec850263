//! `drill SERVICE [LABEL=VALUE]...` and `drill report`, over the server's
//! API.

use super::client::Client;
use crate::cli::{ClientArgs, DrillArgs, DrillCommand};
use crate::output::outln;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::ExitCode;

pub async fn run(args: DrillArgs) -> Result<ExitCode> {
    match (args.report, args.service) {
        (Some(DrillCommand::Report { limit, client }), _) => report(&client, limit).await,
        (None, Some(service)) => start(&args.client, &service, &args.labels).await,
        (None, None) => bail!("name the service to drill, or `drill report`"),
    }
}

async fn start(args: &ClientArgs, service: &str, pairs: &[(String, String)]) -> Result<ExitCode> {
    let labels: BTreeMap<&str, &str> = pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let client = Client::new(args)?;
    let drill = client
        .post(
            "api/v1/drills",
            &json!({ "service": service, "labels": labels }),
        )
        .await?;
    outln!(
        "Drill {} started for {} by {}: a practice page is on its way (route {}).",
        drill["id"],
        service,
        text(&drill["started_by"]),
        drill["routes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    outln!("See how it went: pagerbound drill report");
    Ok(ExitCode::SUCCESS)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// Seconds as `12.3s`, or `-` when it has not happened.
fn took(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}s"))
}

async fn report(args: &ClientArgs, limit: u32) -> Result<ExitCode> {
    let client = Client::new(args)?;
    let drills = client.get(&format!("api/v1/drills?limit={limit}")).await?;
    outln!(
        "{:<6} {:<16} {:<26} {:<12} {:<8} {:<14} {:<10} ACKED BY",
        "DRILL",
        "SERVICE",
        "STARTED",
        "BY",
        "PAGE",
        "STATE",
        "NOTIFIED"
    );
    for drill in drills.as_array().into_iter().flatten() {
        outln!(
            "{:<6} {:<16} {:<26} {:<12} {:<8} {:<14} {:<10} {} {}",
            drill["id"],
            text(&drill["service"]),
            text(&drill["started_at"]),
            text(&drill["started_by"]),
            drill["page_id"]
                .as_i64()
                .map_or_else(|| "-".to_owned(), |id| format!("#{id}")),
            text(&drill["state"]),
            took(&drill["time_to_first_notification_seconds"]),
            text(&drill["acknowledged_by"]),
            drill["time_to_ack_seconds"]
                .as_f64()
                .map_or_else(String::new, |s| format!("after {s:.1}s")),
        );
    }
    Ok(ExitCode::SUCCESS)
}
