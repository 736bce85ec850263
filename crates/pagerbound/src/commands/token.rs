use super::open_database;
use crate::cli::TokenCommand;
use crate::output::outln;
use anyhow::{Context, Result};
use jiff::Timestamp;
use std::process::ExitCode;

pub async fn run(command: TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create {
            user,
            role,
            description,
            database,
        } => {
            let (config, store) = open_database(&database).await?;
            let issued =
                pagerbound_server::tokens::issue(store.as_ref(), &config, &user, role, description)
                    .await
                    .context("cannot create the token")?;
            store.close().await;
            eprintln!(
                "Created token {} for {} with role {}. It is shown only this once:",
                issued.stored.id, issued.stored.user, issued.stored.role
            );
            outln!("{}", issued.token);
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { database } => {
            let (_, store) = open_database(&database).await?;
            let tokens = store.list_api_tokens().await?;
            store.close().await;
            outln!(
                "{:<6} {:<16} {:<10} {:<20} {:<20} {:<20} DESCRIPTION",
                "ID",
                "USER",
                "ROLE",
                "CREATED",
                "LAST USED",
                "REVOKED"
            );
            let short = |t: Option<Timestamp>| {
                t.map_or_else(
                    || "-".to_owned(),
                    |t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
                )
            };
            for token in tokens {
                outln!(
                    "{:<6} {:<16} {:<10} {:<20} {:<20} {:<20} {}",
                    token.id,
                    token.user,
                    token.role,
                    short(Some(token.created_at)),
                    short(token.last_used_at),
                    short(token.revoked_at),
                    token.description.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { id, database } => {
            let (_, store) = open_database(&database).await?;
            let revoked = store.revoke_api_token(id, Timestamp::now()).await?;
            store.close().await;
            match revoked {
                Some(token) => {
                    outln!("Token {} of {} is revoked.", token.id, token.user);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("error: there is no token {id}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
