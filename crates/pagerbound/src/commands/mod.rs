//! What each command does.

mod check;
mod client;
mod drill;
mod integration;
mod migrate;
mod oncall;
mod respond;
mod routes;
mod serve;
mod slo;
mod token;
mod user;

use crate::cli::{Command, DatabaseArgs};
use anyhow::{Context, Result};
use pagerbound_config::{Config, DatabaseLocation, Diagnostic};
use pagerbound_store::Store;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Check(args) => check::run(args),
        Command::Migrate(args) => migrate::run(args).await,
        Command::Token(command) => token::run(command).await,
        Command::User(command) => user::run(command).await,
        Command::Integration(command) => integration::run(command),
        Command::Routes(command) => routes::run(command),
        command @ (Command::Oncall { .. } | Command::Shifts { .. } | Command::Override(_)) => {
            oncall::run(command).await
        }
        Command::Drill(args) => drill::run(args).await,
        Command::Slo(command) => slo::run(command).await,
        command => respond::run(command).await,
    }
}

/// Prints diagnostics to stderr, one per line.
fn print_diagnostics<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}");
    }
}

/// Reads `--database` (relative paths are taken from the current directory).
fn database_override(args: &DatabaseArgs) -> Result<Option<DatabaseLocation>> {
    args.database
        .as_deref()
        .map(|text| {
            DatabaseLocation::parse(text, std::path::Path::new("."))
                .with_context(|| format!("--database {text}"))
        })
        .transpose()
}

/// Loads the configuration (refusing one with errors) and opens and
/// migrates the database it names, for the commands that work on the
/// database directly.
async fn open_database(args: &DatabaseArgs) -> Result<(Config, Arc<dyn Store>)> {
    let config = match pagerbound_config::load(&args.config) {
        Ok(loaded) => loaded.config,
        Err(rejected) => {
            print_diagnostics(&rejected.diagnostics);
            anyhow::bail!("the configuration at {} has errors", args.config.display());
        }
    };
    let location = database_override(args)?.unwrap_or_else(|| config.settings.database.clone());
    let store = pagerbound_server::open_store(&location)
        .await
        .with_context(|| format!("cannot open the database {}", location.redacted()))?;
    store
        .migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    Ok((config, store))
}
