//! `oncall`, `shifts` and `override`: schedules from the command line,
//! over the server's API.

use super::client::Client;
use crate::cli::{ClientArgs, Command, OverrideCommand};
use crate::output::outln;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::process::ExitCode;

pub async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Oncall {
            schedule,
            at,
            client,
        } => on_call(&client, schedule.as_deref(), at.as_deref()).await,
        Command::Shifts {
            schedule,
            from,
            to,
            client,
        } => shifts(&client, &schedule, from.as_deref(), to.as_deref()).await,
        Command::Override(command) => override_command(command).await,
        other => bail!("`{other:?}` is not a schedule command"),
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// `?a=b&c=d` from the pairs that are set, encoded.
fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if let Some(value) = value {
            encoded.append_pair(key, value);
        }
    }
    let encoded = encoded.finish();
    if encoded.is_empty() {
        encoded
    } else {
        format!("?{encoded}")
    }
}

/// What put someone on call, in a few words.
fn source(value: &Value) -> String {
    match value["kind"].as_str() {
        Some("layer") => format!("layer {}", text(&value["layer"])),
        Some("override") => format!("override {}", value["override"]),
        Some("gap") => "gap".to_owned(),
        _ => "-".to_owned(),
    }
}

async fn on_call(args: &ClientArgs, schedule: Option<&str>, at: Option<&str>) -> Result<ExitCode> {
    let client = Client::new(args)?;
    let answer = client
        .get(&format!(
            "api/v1/oncall{}",
            query(&[("schedule", schedule), ("at", at)])
        ))
        .await?;
    outln!(
        "{:<24} {:<14} {:<26} {:<22} SHADOWS",
        "SCHEDULE",
        "ON CALL",
        "UNTIL",
        "FROM"
    );
    let mut nobody = false;
    for entry in answer["oncall"].as_array().into_iter().flatten() {
        let user = entry["user"].as_str();
        nobody |= user.is_none();
        outln!(
            "{:<24} {:<14} {:<26} {:<22} {}",
            text(&entry["schedule"]),
            user.unwrap_or("NOBODY"),
            text(&entry["until"]),
            source(&entry["source"]),
            shadows(&entry["shadows"])
        );
    }
    // A gap is worth a non-zero exit for scripts that check coverage.
    Ok(if nobody {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

async fn shifts(
    args: &ClientArgs,
    schedule: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<ExitCode> {
    let client = Client::new(args)?;
    let answer = client
        .get(&format!(
            "api/v1/schedules/{schedule}/shifts{}",
            query(&[("from", from), ("to", to)])
        ))
        .await?;
    outln!(
        "{:<26} {:<26} {:<14} {:<22} SHADOWS",
        "START",
        "END",
        "ON CALL",
        "FROM"
    );
    for shift in answer["shifts"].as_array().into_iter().flatten() {
        outln!(
            "{:<26} {:<26} {:<14} {:<22} {}",
            text(&shift["start"]),
            text(&shift["end"]),
            shift["user"].as_str().unwrap_or("NOBODY"),
            source(&shift["source"]),
            shadows(&shift["shadows"])
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A shift's shadows as one column: `bob,carol`.
fn shadows(value: &Value) -> String {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

async fn override_command(command: OverrideCommand) -> Result<ExitCode> {
    match command {
        OverrideCommand::Add {
            schedule,
            user,
            from,
            to,
            note,
            client,
        } => {
            let client = Client::new(&client)?;
            let body = json!({"user": user, "start": from, "end": to, "note": note});
            let made = client
                .post(&format!("api/v1/schedules/{schedule}/overrides"), &body)
                .await?;
            print_overrides(&made);
            Ok(ExitCode::SUCCESS)
        }
        OverrideCommand::Swap {
            schedule,
            user,
            from,
            to,
            with,
            back_from,
            back_to,
            note,
            client,
        } => {
            let client = Client::new(&client)?;
            let body = json!([
                {"user": user, "start": from, "end": to, "note": note},
                {"user": with, "start": back_from, "end": back_to, "note": note},
            ]);
            let made = client
                .post(&format!("api/v1/schedules/{schedule}/overrides"), &body)
                .await?;
            print_overrides(&made);
            Ok(ExitCode::SUCCESS)
        }
        OverrideCommand::List {
            schedule,
            from,
            to,
            client,
        } => {
            let client = Client::new(&client)?;
            let found = client
                .get(&format!(
                    "api/v1/schedules/{schedule}/overrides{}",
                    query(&[("from", from.as_deref()), ("to", to.as_deref())])
                ))
                .await?;
            print_overrides(&found);
            Ok(ExitCode::SUCCESS)
        }
        OverrideCommand::Remove { id, client } => {
            let client = Client::new(&client)?;
            let removed = client.delete(&format!("api/v1/overrides/{id}")).await?;
            outln!(
                "Override {id} removed: {} is no longer on call in {} from {} to {}.",
                text(&removed["user"]),
                text(&removed["schedule"]),
                text(&removed["start"]),
                text(&removed["end"])
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_overrides(list: &Value) {
    outln!(
        "{:<6} {:<14} {:<26} {:<26} {:<12} NOTE",
        "ID",
        "USER",
        "START",
        "END",
        "BY"
    );
    for o in list.as_array().into_iter().flatten() {
        outln!(
            "{:<6} {:<14} {:<26} {:<26} {:<12} {}",
            o["id"],
            text(&o["user"]),
            text(&o["start"]),
            text(&o["end"]),
            text(&o["created_by"]),
            o["note"].as_str().unwrap_or("")
        );
    }
}
