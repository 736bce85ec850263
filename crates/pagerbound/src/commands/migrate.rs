use super::{database_override, print_diagnostics};
use crate::cli::DatabaseArgs;
use crate::output::outln;
use anyhow::{Context, Result};
use std::process::ExitCode;

/// Runs the migrations alone. The configuration is read only for
/// `settings.database`; `--database` alone is enough when it is given.
pub async fn run(args: DatabaseArgs) -> Result<ExitCode> {
    let location = match database_override(&args)? {
        Some(location) => location,
        None => match pagerbound_config::load(&args.config) {
            Ok(loaded) => loaded.config.settings.database,
            Err(rejected) => {
                print_diagnostics(&rejected.diagnostics);
                anyhow::bail!("the configuration at {} has errors", args.config.display());
            }
        },
    };
    let store = pagerbound_server::open_store(&location)
        .await
        .with_context(|| format!("cannot open the database {}", location.redacted()))?;
    store.migrate().await.context("migration failed")?;
    store.close().await;
    outln!("{}: schema is up to date", location.redacted());
    Ok(ExitCode::SUCCESS)
}
