//! The command line.

use crate::logging::LogFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use pagerbound_core::Role;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Keeps the pager bounded: pages only for what threatens an SLO, runs
/// on-call and incidents, and measures on-call health.
#[derive(Debug, Parser)]
#[command(name = "pagerbound", version, propagate_version = true)]
pub struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "PAGERBOUND_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Validate a configuration; exits non-zero when it has errors.
    Check(CheckArgs),
    /// Bring the database schema up to date, then exit.
    Migrate(DatabaseArgs),
    /// Manage API tokens (directly in the database).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Web UI passwords (directly in the database).
    #[command(subcommand)]
    User(UserCommand),
    /// Ingest integrations.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// The routing tree.
    #[command(subcommand)]
    Routes(RoutesCommand),
    /// List pages (by default those not resolved yet).
    Pages(PagesArgs),
    /// Acknowledge pages: you are on it; they stop re-notifying.
    Ack {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Put an acknowledged page back to triggered.
    Unack {
        id: i64,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Resolve a page or ticket, optionally with feedback on whether it
    /// was actionable.
    Resolve(ResolveArgs),
    /// Acknowledge a page for a while; it triggers again afterwards if its
    /// alerts still fire.
    Snooze {
        id: i64,
        /// How long: `30m`, `2h`.
        duration: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Add a note to a page's timeline.
    Note {
        id: i64,
        text: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Give a page to another user; an acknowledged page triggers again
    /// for them.
    Reassign {
        id: i64,
        user: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Who is on call now (or at `--at`), in every schedule or in one.
    Oncall {
        schedule: Option<String>,
        /// An RFC 3339 instant, e.g. `2026-11-23T09:00:00+01:00`.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A schedule's final shifts, each with its person (or a gap) and the
    /// layer or override that put them there.
    Shifts {
        schedule: String,
        /// RFC 3339; default now.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339; default two weeks after `--from`.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Overrides: someone covers part of a schedule.
    #[command(subcommand)]
    Override(OverrideCommand),
    /// Send a practice page for SERVICE through the real route, escalation
    /// policy, schedules, notification rules and channels; `drill report`
    /// lists recent drills with their times.
    Drill(DrillArgs),
    /// Service level objectives: where each stands.
    #[command(subcommand)]
    Slo(SloCommand),
}

#[derive(Debug, Subcommand)]
pub enum SloCommand {
    /// Every SLO with its budget left, burn rates and alert state, the
    /// least budget first.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// One SLO: its objective, budget, each alerting window with its burn
    /// rate and threshold, when the budget would run out, and how its
    /// completed periods went.
    Show {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Print Prometheus recording and alerting rules equivalent to
    /// pagerbound's evaluation of the SLOs whose SLI is read from
    /// Prometheus (Sloth's rule names), from the local configuration.
    ExportRules {
        /// Configuration file or directory.
        #[arg(env = "PAGERBOUND_CONFIG", default_value = "pagerbound.yaml")]
        path: PathBuf,
    },
    /// Print the SLOs of a Sloth (`prometheus/v1`) or OpenSLO
    /// (`openslo/v1`) file as pagerbound's own `slos:` YAML. Such files can
    /// also be put in the configuration directory as they are.
    Import {
        /// The Sloth or OpenSLO file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DrillArgs {
    #[command(subcommand)]
    pub report: Option<DrillCommand>,
    /// The service to drill.
    #[arg(required = true)]
    pub service: Option<String>,
    /// `LABEL=VALUE` pairs that steer the drill to the route that pages
    /// the service, e.g. `slo=availability`.
    #[arg(value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Recent drills: when each started, whether and when someone was
    /// notified, and when it was acknowledged.
    Report {
        /// How many drills, newest first.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// Put `--user` on call in SCHEDULE from `--from` to `--to`, whoever
    /// the layers say.
    Add {
        schedule: String,
        #[arg(long)]
        user: String,
        /// RFC 3339, e.g. `2026-11-23T09:00:00Z`.
        #[arg(long)]
        from: String,
        /// RFC 3339.
        #[arg(long)]
        to: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Two overrides made together: `--user` covers `--from`..`--to` and
    /// `--with` covers `--back-from`..`--back-to` (usually the other's
    /// shift).
    Swap {
        schedule: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        with: String,
        #[arg(long)]
        back_from: String,
        #[arg(long)]
        back_to: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The overrides of SCHEDULE, by default those from now on.
    List {
        schedule: String,
        /// RFC 3339; default now.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339; default a year after `--from`.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Remove an override by its id.
    Remove {
        id: i64,
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// Which server to talk to, and as whom. Without `--server` and
/// `--token` (or their environment variables), both are read from
/// `$XDG_CONFIG_HOME/pagerbound/client.yaml` (else
/// `~/.config/pagerbound/client.yaml`), a file with `server:` and `token:`.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The server's URL, e.g. `https://pagerbound.example.com`.
    #[arg(long, env = "PAGERBOUND_SERVER")]
    pub server: Option<String>,
    /// An API token (`pagerbound token create`).
    #[arg(long, env = "PAGERBOUND_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Only pages that are yours: assigned to you, or not assigned to
    /// anyone and of a service owned by one of your teams.
    #[arg(long)]
    pub mine: bool,
    /// Comma-separated states: triggered, acknowledged, resolved.
    #[arg(long, default_value = "triggered,acknowledged")]
    pub state: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("feedback").args(["actionable", "not_actionable"]))]
pub struct ResolveArgs {
    pub id: i64,
    /// The page needed a human now.
    #[arg(long, conflicts_with = "not_actionable")]
    pub actionable: bool,
    /// The page was not actionable, because: threshold-wrong,
    /// check-faulty, downtime-not-set, downtime-expired,
    /// wrong-time-period or duplicate.
    #[arg(long, value_name = "REASON")]
    pub not_actionable: Option<String>,
    /// Free text for the feedback.
    #[arg(long, requires = "feedback")]
    pub text: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum RoutesCommand {
    /// Print the routes, services and classes an alert with these labels
    /// would take.
    Test {
        /// Configuration file or directory.
        #[arg(
            long,
            short,
            env = "PAGERBOUND_CONFIG",
            default_value = "pagerbound.yaml"
        )]
        config: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// The alert's labels, as `name=value`.
        #[arg(required = true, value_parser = parse_label)]
        labels: Vec<(String, String)>,
    },
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not a label; write name=value"))?;
    if !pagerbound_core::alert::is_valid_name(name) {
        return Err(format!("`{name}` is not a label name"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Where the configuration and the database are.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Configuration file or directory.
    #[arg(
        long,
        short,
        env = "PAGERBOUND_CONFIG",
        default_value = "pagerbound.yaml"
    )]
    pub config: PathBuf,
    /// Database: a SQLite file (`sqlite:PATH` or a path) or a `postgres://`
    /// URL. Overrides `settings.database`.
    #[arg(long, env = "PAGERBOUND_DATABASE")]
    pub database: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on, e.g. `0.0.0.0:9095`. Overrides `settings.listen`.
    #[arg(long, env = "PAGERBOUND_LISTEN")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration file or directory.
    #[arg(env = "PAGERBOUND_CONFIG", default_value = "pagerbound.yaml")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `file:line:column: severity: message`, one per line.
    Text,
    /// A JSON document with every diagnostic.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user; it is printed once.
    Create {
        /// The user (as named in the configuration).
        #[arg(long)]
        user: String,
        #[arg(long, value_parser = parse_role, default_value = "viewer")]
        role: Role,
        /// What the token is for.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by id.
    Revoke {
        id: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Set the password a user signs in to the web UI with, and the role
    /// signing in grants. Ends the user's open sessions. The password is
    /// asked for at a terminal, or read as one line from standard input.
    SetPassword {
        /// The user (as named in the configuration).
        user: String,
        #[arg(long, value_parser = parse_role, default_value = "responder")]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Make a new random ingest token and print it with the digest to put in
    /// the configuration.
    Token {
        /// The integration's name, for the printed configuration snippet.
        #[arg(long, default_value = "prometheus")]
        name: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|e| e.to_string())
}
