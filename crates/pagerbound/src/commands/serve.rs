use super::{database_override, print_diagnostics};
use crate::cli::ServeArgs;
use anyhow::Result;
use pagerbound_server::{ServeOptions, Server, StartError};
use std::process::ExitCode;

pub async fn run(args: ServeArgs) -> Result<ExitCode> {
    let options = ServeOptions {
        config: args.database.config.clone(),
        database: database_override(&args.database)?,
        listen: args.listen,
    };
    match Server::start(options).await {
        Ok(server) => {
            server.run_until_signalled().await?;
            Ok(ExitCode::SUCCESS)
        }
        Err(StartError::Config(rejected)) => {
            print_diagnostics(&rejected.diagnostics);
            eprintln!(
                "error: the configuration at {} has {} error(s); not starting",
                args.database.config.display(),
                rejected.errors().count()
            );
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error.into()),
    }
}
