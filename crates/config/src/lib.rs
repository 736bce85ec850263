//! Configuration as code.
//!
//! Teams, users, services, channels, integrations and settings live in YAML
//! files: one file, or a directory of files (read recursively, `*.yaml` and
//! `*.yml`, in path order) merged section by section. [`load`] reads and
//! validates them into a [`Config`]; every mistake is reported as a
//! [`Diagnostic`] at `file:line:column`, with a hint where one helps.
//! Warnings (a service without a runbook, ...) do not refuse the
//! configuration.

mod channels;
mod diagnostic;
mod document;
mod escalation;
mod heartbeats;
mod hint;
mod import;
mod location;
mod people;
mod probes;
mod raw;
mod routes;
mod schedules;
mod settings;
mod slos;
mod validate;

pub use diagnostic::{Diagnostic, Severity};
pub use import::ImportedSlos;
pub use location::{DatabaseLocation, LocationError};
pub use settings::{DEFAULT_LISTEN, DEFAULT_MAX_REQUEST_BODY, NotificationSettings, Settings};

use diagnostic::{Diagnostics, Pos};
use pagerbound_core::escalation::EscalationPolicy;
use pagerbound_core::inhibition::InhibitRule;
use pagerbound_core::routing::Route;
use pagerbound_core::schedule::Schedule;
use pagerbound_core::{Channel, Heartbeat, Integration, Service, Team, User};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub teams: BTreeMap<String, Team>,
    pub users: BTreeMap<String, User>,
    pub services: BTreeMap<String, Service>,
    pub channels: BTreeMap<String, Channel>,
    pub integrations: BTreeMap<String, Integration>,
    /// The routing tree; its root is the default route.
    pub routes: Route,
    pub inhibit_rules: Vec<InhibitRule>,
    /// Dead man's switches, by name.
    pub heartbeats: BTreeMap<String, Heartbeat>,
    /// On-call schedules, by name.
    pub schedules: BTreeMap<String, Schedule>,
    /// Escalation policies, by name.
    pub escalation_policies: BTreeMap<String, EscalationPolicy>,
    /// Service level objectives, by name.
    pub slos: BTreeMap<String, pagerbound_core::slo::Slo>,
    /// Synthetic checks, by name.
    pub probes: BTreeMap<String, pagerbound_core::probe::Probe>,
    /// The files it was read from, in reading order.
    pub files: Vec<PathBuf>,
}

/// A configuration that passed validation, with its warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
}

/// A configuration that was refused: every error and warning found.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub diagnostics: Vec<Diagnostic>,
}

impl Rejected {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

/// Where secrets referenced as `{env: NAME}` are looked up.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Reads and validates the configuration at `path` (a file or a directory),
/// with secrets from the process environment.
pub fn load(path: &Path) -> Result<Loaded, Rejected> {
    load_with(path, &ProcessEnvironment)
}

/// Like [`load`], with secrets from `environment`.
pub fn load_with(path: &Path, environment: &dyn Environment) -> Result<Loaded, Rejected> {
    let mut diagnostics = Diagnostics::default();
    let files = find_files(path, &mut diagnostics);
    let mut documents = Vec::new();
    for file in &files {
        let shared: Arc<Path> = Arc::from(file.as_path());
        match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => documents.push(document::parse(&shared, &text, &mut diagnostics)),
                Err(error) => diagnostics.error(
                    &Pos::whole_file(&shared),
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        error.utf8_error().valid_up_to()
                    ),
                ),
            },
            Err(error) => {
                diagnostics.error(&Pos::whole_file(&shared), format!("cannot read: {error}"))
            }
        }
    }
    if files.is_empty() {
        return Err(Rejected {
            diagnostics: diagnostics.list,
        });
    }
    let base_dir = base_dir(path);
    let first_file = files
        .first()
        .map(|f| Pos::whole_file(&Arc::from(f.as_path())));
    let config = validate::Validator {
        diagnostics: &mut diagnostics,
        environment,
        base_dir: &base_dir,
        first_file,
        now: jiff::Timestamp::now(),
    }
    .validate(documents);
    // Report in reading order, whatever order the checks ran in.
    diagnostics
        .list
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    match config {
        Some(mut config) if diagnostics.error_count() == 0 => {
            config.files = files;
            Ok(Loaded {
                config,
                warnings: diagnostics.list,
            })
        }
        _ => Err(Rejected {
            diagnostics: diagnostics.list,
        }),
    }
}

/// Reads a Sloth (`prometheus/v1`) or OpenSLO (`openslo/v1`) file on its
/// own and gives its SLOs as native YAML (a `slos:` list), for
/// `pagerbound slo import`. The SLOs are checked as in a configuration,
/// except that their services are not looked up; mistakes are reported at
/// the file's lines.
pub fn import_slos(path: &Path) -> Result<ImportedSlos, Rejected> {
    import::import_file(path)
}

/// The directory relative paths in the configuration are read from, and
/// where the SQLite file goes by default: the directory itself, or the one
/// holding the file.
pub fn base_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_owned()
    } else {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

/// The configuration files at `path`: the file itself, or every `*.yaml` and
/// `*.yml` below the directory (hidden entries skipped), in path order.
fn find_files(path: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let whole = |p: &Path| Pos::whole_file(&Arc::from(p));
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            diagnostics.error(&whole(path), format!("cannot read configuration: {error}"));
            return Vec::new();
        }
    };
    if !metadata.is_dir() {
        return vec![path.to_owned()];
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                diagnostics.error(&whole(&dir), format!("cannot read directory: {error}"));
                continue;
            }
        };
        for entry in entries.flatten() {
            let entry_path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if entry_path.is_dir() {
                pending.push(entry_path);
            } else if entry_path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                files.push(entry_path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        diagnostics.error(
            &whole(path),
            "no configuration files (*.yaml, *.yml) in this directory",
        );
    }
    files
}
