use crate::cli::IntegrationCommand;
use crate::output::outln;
use anyhow::Result;
use pagerbound_core::token::{TokenDigest, TokenKind, format_token};
use std::process::ExitCode;

pub fn run(command: IntegrationCommand) -> Result<ExitCode> {
    match command {
        IntegrationCommand::Token { name } => {
            let token = format_token(TokenKind::Ingest, rand::random());
            let digest = TokenDigest::of(&token).to_hex();
            eprintln!(
                "The token (give it to the sender, e.g. Prometheus's `authorization.credentials`):"
            );
            outln!("{token}");
            eprintln!();
            eprintln!("In the configuration (only the digest; safe to commit):");
            eprintln!("integrations:");
            eprintln!("  - name: {name}");
            eprintln!("    token: {{ sha256: {digest} }}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
