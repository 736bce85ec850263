//! `pages`, `ack`, `unack`, `resolve`, `snooze`, `note`, `reassign`: the
//! on-call commands, over the server's API.

use super::client::Client;
use crate::cli::{Command, PagesArgs, ResolveArgs};
use crate::output::outln;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::process::ExitCode;

pub async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Pages(args) => pages(args).await,
        Command::Ack { ids, client } => {
            let client = Client::new(&client)?;
            for id in ids {
                let page = client
                    .post(&format!("api/v1/pages/{id}/ack"), &json!({}))
                    .await?;
                said(&page, "acknowledged");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Unack { id, client } => {
            act(&client, id, "unack", json!({}), "unacknowledged").await
        }
        Command::Resolve(args) => resolve(args).await,
        Command::Snooze {
            id,
            duration,
            client,
        } => act(&client, id, "snooze", json!({ "for": duration }), "snoozed").await,
        Command::Note { id, text, client } => {
            act(&client, id, "note", json!({ "text": text }), "noted").await
        }
        Command::Reassign { id, user, client } => {
            act(&client, id, "reassign", json!({ "to": user }), "reassigned").await
        }
        other => bail!("`{other:?}` is not an on-call command"),
    }
}

/// Pages and tickets take the same actions under their own collection.
fn collection(page: &Value) -> &'static str {
    if page["class"] == "ticket" {
        "tickets"
    } else {
        "pages"
    }
}

async fn act(
    args: &crate::cli::ClientArgs,
    id: i64,
    action: &str,
    body: Value,
    done: &str,
) -> Result<ExitCode> {
    let client = Client::new(args)?;
    let page = client
        .post(&format!("api/v1/pages/{id}/{action}"), &body)
        .await?;
    said(&page, done);
    Ok(ExitCode::SUCCESS)
}

async fn resolve(args: ResolveArgs) -> Result<ExitCode> {
    let client = Client::new(&args.client)?;
    let mut body = json!({});
    if args.actionable {
        body["feedback"] = json!({ "actionable": true, "text": args.text });
    } else if let Some(reason) = &args.not_actionable {
        body["feedback"] = json!({ "actionable": false, "reason": reason, "text": args.text });
    }
    // A ticket resolves under /tickets; ask which it is first.
    let page = client.get(&format!("api/v1/pages/{}", args.id)).await?;
    let page = client
        .post(
            &format!("api/v1/{}/{}/resolve", collection(&page), args.id),
            &body,
        )
        .await?;
    said(&page, "resolved");
    Ok(ExitCode::SUCCESS)
}

/// One line that says what happened and where the page is now.
fn said(page: &Value, done: &str) {
    outln!(
        "{} #{} {done}: now {}.",
        if page["class"] == "ticket" {
            "Ticket"
        } else {
            "Page"
        },
        page["id"],
        text(&page["state"])
    );
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

async fn pages(args: PagesArgs) -> Result<ExitCode> {
    let client = Client::new(&args.client)?;
    let query = format!("api/v1/pages?state={}&limit=1000", args.state);
    let pages = client.get(&query).await?;
    let mut pages: Vec<Value> = pages.as_array().cloned().unwrap_or_default();
    if args.mine {
        let me = client.get("api/v1/whoami").await?;
        let me = text(&me["user"]).to_owned();
        let teams = client.get("api/v1/teams").await?;
        let my_teams: HashSet<&str> = teams
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["members"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m == me.as_str()))
            })
            .filter_map(|t| t["name"].as_str())
            .collect();
        let services = client.get("api/v1/services").await?;
        let my_services: HashSet<&str> = services
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["team"].as_str().is_some_and(|t| my_teams.contains(t)))
            .filter_map(|s| s["name"].as_str())
            .collect();
        pages.retain(|page| match page["assigned_to"].as_str() {
            Some(user) => user == me,
            None => my_services.contains(text(&page["service"])),
        });
    }
    outln!(
        "{:<7} {:<13} {:<16} {:<10} {:<17} TITLE",
        "ID",
        "STATE",
        "SERVICE",
        "ASSIGNED",
        "CREATED"
    );
    for page in &pages {
        let created = text(&page["created_at"])
            .get(..16)
            .unwrap_or_default()
            .replace('T', " ");
        outln!(
            "{:<7} {:<13} {:<16} {:<10} {:<17} {}",
            page["id"].as_i64().unwrap_or_default(),
            text(&page["state"]),
            text(&page["service"]),
            page["assigned_to"].as_str().unwrap_or("-"),
            created,
            text(&page["title"])
        );
    }
    if pages.is_empty() {
        eprintln!("No pages.");
    }
    Ok(ExitCode::SUCCESS)
}
