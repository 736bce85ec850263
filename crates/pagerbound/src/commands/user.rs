use super::open_database;
use crate::cli::UserCommand;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

pub async fn run(command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::SetPassword {
            user,
            role,
            database,
        } => {
            let password = read_password()?;
            let (config, store) = open_database(&database).await?;
            let set =
                pagerbound_server::passwords::set(store.as_ref(), &config, &user, &password, role)
                    .await;
            store.close().await;
            set.context("cannot set the password")?;
            eprintln!("Set the web UI password of {user}, with role {role}; their sessions ended.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// At a terminal: asked twice without echo. Otherwise: the first line of
/// standard input, so that scripts can pipe it in (never an argument,
/// which would show in `ps` and shell history).
fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
