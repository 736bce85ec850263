//! `slo list` and `slo show NAME`, over the server's API; `slo
//! export-rules` and `slo import FILE`, from local files.

use super::client::Client;
use crate::cli::SloCommand;
use crate::output::outln;
use anyhow::{Result, bail};
use pagerbound_core::slo::prometheus_rules;
use serde_json::Value;
use std::process::ExitCode;

pub async fn run(command: SloCommand) -> Result<ExitCode> {
    match command {
        SloCommand::List { client } => list(&Client::new(&client)?).await,
        SloCommand::Show { name, client } => show(&Client::new(&client)?, &name).await,
        SloCommand::ExportRules { path } => export_rules(&path),
        SloCommand::Import { file } => import(&file),
    }
}

/// Prints the rule file; a configuration that does not load is refused
/// with its errors, like `check`.
fn export_rules(path: &std::path::Path) -> Result<ExitCode> {
    let loaded = match pagerbound_config::load(path) {
        Ok(loaded) => loaded,
        Err(rejected) => {
            for diagnostic in rejected.errors() {
                eprintln!("{diagnostic}");
            }
            bail!("{}: the configuration is invalid", path.display());
        }
    };
    let (rules, left_out) = prometheus_rules(loaded.config.slos.values());
    for name in &left_out {
        eprintln!("SLO {name}: its SLI is not read from Prometheus, so it has no rules");
    }
    outln!("{}", rules.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// Prints a Sloth or OpenSLO file's SLOs as native YAML; what was left out
/// is said on stderr, and a file with mistakes is refused with them.
fn import(file: &std::path::Path) -> Result<ExitCode> {
    match pagerbound_config::import_slos(file) {
        Ok(imported) => {
            for warning in &imported.warnings {
                eprintln!("{warning}");
            }
            outln!("{}", imported.yaml.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Err(rejected) => {
            for diagnostic in &rejected.diagnostics {
                eprintln!("{diagnostic}");
            }
            bail!("{}: cannot import these SLOs", file.display());
        }
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// A share as a percentage, or `-` without data.
fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn rate(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// The burn rate over `window`, from an SLO's `burn_rates`.
fn burn_over<'a>(slo: &'a Value, window: &Value) -> &'a Value {
    slo["burn_rates"]
        .as_array()
        .and_then(|rates| rates.iter().find(|r| &r["window"] == window))
        .map_or(&Value::Null, |r| &r["burn_rate"])
}

async fn list(client: &Client) -> Result<ExitCode> {
    let slos = client.get("api/v1/slos").await?;
    let mut slos: Vec<&Value> = slos.as_array().into_iter().flatten().collect();
    // The least budget first; no data last.
    slos.sort_by(|a, b| {
        let left = |s: &Value| s["budget_remaining"].as_f64().unwrap_or(f64::INFINITY);
        left(a).total_cmp(&left(b))
    });
    outln!(
        "{:<32} {:<16} {:>9} {:<16} {:>12} {:>9} STATE",
        "SLO",
        "SERVICE",
        "OBJECTIVE",
        "WINDOW",
        "BUDGET LEFT",
        "BURN 1h"
    );
    for slo in slos {
        // The first page line's long window: the one that says "now".
        let first = &slo["alerting"][0]["long"];
        outln!(
            "{:<32} {:<16} {:>8}% {:<16} {:>12} {:>9} {}",
            text(&slo["name"]),
            text(&slo["service"]),
            slo["objective"],
            text(&slo["window"]),
            percent(&slo["budget_remaining"]),
            rate(burn_over(slo, first)),
            text(&slo["alert_state"]),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(client: &Client, name: &str) -> Result<ExitCode> {
    let slo = client.get(&format!("api/v1/slos/{name}")).await?;
    outln!("{} ({})", text(&slo["name"]), text(&slo["service"]));
    if let Some(description) = slo["description"].as_str() {
        outln!("  {description}");
    }
    outln!(
        "Objective {}% over {}; SLI {}.",
        slo["objective"],
        text(&slo["window"]),
        text(&slo["sli"]["source"])
    );
    outln!(
        "Events: {} good of {} valid since {}.",
        slo["events"]["good"],
        slo["events"]["total"],
        text(&slo["window_start"])
    );
    outln!(
        "Budget left: {} ({} of {} minutes of full outage).",
        percent(&slo["budget_remaining"]),
        slo["budget_remaining_minutes"]
            .as_f64()
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.1}")),
        slo["budget_minutes"]
            .as_f64()
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.1}")),
    );
    outln!("State: {}.", text(&slo["alert_state"]));
    outln!("");
    outln!(
        "{:<12} {:<8} {:>9} {:>10} {:>10} FIRING",
        "WINDOW",
        "SEVERITY",
        "THRESHOLD",
        "BURN LONG",
        "BURN SHORT"
    );
    for alert in slo["alerts"].as_array().into_iter().flatten() {
        let firing = match (alert["firing"].as_bool(), alert["too_few_events"].as_bool()) {
            (Some(true), _) => "yes",
            (_, Some(true)) => "no (too few events)",
            _ => "no",
        };
        outln!(
            "{:<12} {:<8} {:>9} {:>10} {:>10} {}",
            text(&alert["window"]),
            text(&alert["severity"]),
            alert["threshold"],
            rate(&alert["long_burn_rate"]),
            rate(&alert["short_burn_rate"]),
            firing,
        );
    }
    outln!("");
    for forecast in slo["exhaustion_forecast"].as_array().into_iter().flatten() {
        outln!(
            "At the {} burn rate ({}): budget runs out {}.",
            text(&forecast["window"]),
            rate(&forecast["burn_rate"]),
            forecast["exhausted_at"]
                .as_str()
                .map_or_else(|| "never".to_owned(), |at| format!("at {at}")),
        );
    }
    outln!("");
    let periods: Vec<&Value> = slo["periods"].as_array().into_iter().flatten().collect();
    if periods.is_empty() {
        outln!("No completed period on record yet.");
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<44} {:>9} {:>8} {:<4} BUDGET LEFT",
        "PERIOD",
        "OBJECTIVE",
        "SLI",
        "MET"
    );
    for period in periods {
        outln!("{}", period_row(period));
    }
    Ok(ExitCode::SUCCESS)
}

/// One completed period as a row of `slo show`'s table: its bounds, the
/// objective it is judged by, its SLI, whether it met the objective and
/// the share of its budget left (`-` without events).
fn period_row(period: &Value) -> String {
    let sli = period["sli"]
        .as_f64()
        .map_or_else(|| "-".to_owned(), |sli| format!("{sli:.3}%"));
    let met = match period["met"].as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    };
    format!(
        "{:<44} {:>8}% {:>8} {:<4} {}",
        format!("{} to {}", text(&period["from"]), text(&period["to"])),
        period["objective"],
        sli,
        met,
        percent(&period["budget_remaining"]),
    )
}
