use crate::cli::{CheckArgs, CheckFormat};
use crate::output::outln;
use anyhow::Result;
use pagerbound_config::{Diagnostic, Severity};
use std::process::ExitCode;

/// Prints every diagnostic; exits 1 when there are errors (warnings alone
/// exit 0).
pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let (diagnostics, files) = match pagerbound_config::load(&args.path) {
        Ok(loaded) => (loaded.warnings, loaded.config.files.len()),
        Err(rejected) => (rejected.diagnostics, 0),
    };
    let errors = count(&diagnostics, Severity::Error);
    let warnings = count(&diagnostics, Severity::Warning);
    match args.format {
        CheckFormat::Text => {
            for diagnostic in &diagnostics {
                outln!("{diagnostic}");
            }
            if errors == 0 {
                outln!(
                    "{}: valid ({files} file{}, {warnings} warning{})",
                    args.path.display(),
                    plural(files),
                    plural(warnings)
                );
            } else {
                outln!(
                    "{}: {errors} error{}, {warnings} warning{}",
                    args.path.display(),
                    plural(errors),
                    plural(warnings)
                );
            }
        }
        CheckFormat::Json => {
            let document = serde_json::json!({
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics,
            });
            outln!("{}", serde_json::to_string_pretty(&document)?);
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
