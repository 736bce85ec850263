//! SLOs written for other tools, imported as native ones: Sloth's
//! `prometheus/v1` specs and OpenSLO `v1` documents.
//!
//! A configuration file whose documents say `version: prometheus/v1` or
//! `apiVersion: openslo/v1` is read here instead of as pagerbound's own
//! sections. Its SLOs become the same raw items a native `slos:` list
//! gives, with the positions of the values they came from, so that the
//! usual validation checks them and reports at the imported file's lines.
//! `pagerbound slo import FILE` prints them as native YAML ([`import_file`]).

mod openslo;
mod sloth;

use crate::diagnostic::{Diagnostics, Pos};
use crate::document::{Origin, Sourced};
use crate::raw::{RawBurnAlert, RawSli, RawSlo, Text};
use crate::validate::Validator;
use crate::{Diagnostic, ProcessEnvironment, Rejected};
use pagerbound_core::slo::OWN_LABELS;
use pagerbound_core::slo::{Severity, SloWindow, workbook_policy};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Where an import's problems go: the file, its text (to find keys in),
/// and the diagnostics.
pub(super) struct Reporter<'a> {
    pub origin: &'a Origin,
    pub text: &'a str,
    pub diagnostics: &'a mut Diagnostics,
}

impl Reporter<'_> {
    pub fn error(&mut self, at: &Location, message: impl Into<String>) {
        self.diagnostics.error(&self.origin.pos(at), message);
    }

    pub fn warning(&mut self, at: &Location, message: impl Into<String>) {
        self.diagnostics.warning(&self.origin.pos(at), message);
    }

    /// An error at the key of the value at `at`.
    pub fn error_at_key(&mut self, at: &Location, key: &str, message: impl Into<String>) {
        let pos = key_pos(self.origin, self.text, at, key);
        self.diagnostics.error(&pos, message);
    }

    /// A warning at the key of the value at `at`.
    pub fn warning_at_key(&mut self, at: &Location, key: &str, message: impl Into<String>) {
        let pos = key_pos(self.origin, self.text, at, key);
        self.diagnostics.warning(&pos, message);
    }
}

/// The SLOs of a Sloth or OpenSLO file, or `None` when `text` is neither
/// (a native configuration file). Problems are added to `diagnostics`;
/// SLOs that have errors are left out.
pub(crate) fn parse(
    file: &Arc<Path>,
    text: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<Sourced<RawSlo>>> {
    // Cheap first: most files are native and never mention either.
    if !text.contains("prometheus/") && !text.contains("openslo/") {
        return None;
    }
    let parts: Vec<(Part, Format)> = split_documents(text)
        .into_iter()
        .map(|part| {
            let format = format_of(&part.text);
            (part, format)
        })
        .collect();
    if !parts
        .iter()
        .any(|(_, format)| matches!(format, Format::Sloth | Format::OpenSlo))
    {
        return None;
    }
    let origin = Origin {
        file: file.clone(),
        line_offset: 0,
    };
    let mut slos = Vec::new();
    for (part, format) in parts {
        match format {
            Format::Sloth => slos.extend(sloth::import(&origin, &part.text, diagnostics)),
            Format::OpenSlo => slos.extend(openslo::import(&origin, &part.text, diagnostics)),
            Format::Unreadable(error) => crate::document::report(diagnostics, &origin, &error),
            Format::Other => diagnostics.error(
                &Pos {
                    file: file.clone(),
                    line: part.first_line,
                    column: 1,
                },
                "this document is neither a Sloth spec (`version: prometheus/v1`) nor an OpenSLO document (`apiVersion: openslo/v1`); a file that imports SLOs holds only those, so move pagerbound's own sections to another file",
            ),
        }
    }
    Some(slos)
}

/// What `pagerbound slo import FILE` prints: the file's SLOs as a native
/// `slos:` list, and the warnings found reading them.
#[derive(Debug, Clone)]
pub struct ImportedSlos {
    pub yaml: String,
    pub warnings: Vec<Diagnostic>,
}

/// Reads a Sloth or OpenSLO file on its own, without a configuration: the
/// SLOs are checked as native ones are, except that their services are not
/// looked up and their SLIs need no Prometheus URL yet.
pub(crate) fn import_file(path: &Path) -> Result<ImportedSlos, Rejected> {
    let mut diagnostics = Diagnostics::default();
    let file: Arc<Path> = Arc::from(path);
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.error(
                    &Pos::whole_file(&file),
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        error.utf8_error().valid_up_to()
                    ),
                );
                return Err(Rejected {
                    diagnostics: diagnostics.list,
                });
            }
        },
        Err(error) => {
            diagnostics.error(&Pos::whole_file(&file), format!("cannot read: {error}"));
            return Err(Rejected {
                diagnostics: diagnostics.list,
            });
        }
    };
    let Some(slos) = parse(&file, &text, &mut diagnostics) else {
        diagnostics.error(
            &Pos::whole_file(&file),
            "neither a Sloth spec (`version: prometheus/v1`) nor OpenSLO documents (`apiVersion: openslo/v1`)",
        );
        return Err(Rejected {
            diagnostics: diagnostics.list,
        });
    };
    let services: BTreeSet<String> = slos
        .iter()
        .map(|slo| slo.item.value.service.value.clone())
        .collect();
    let none = BTreeSet::new();
    // Any URL will do: the configuration that loads the SLOs gives the real
    // one (`settings.prometheus_url`).
    let placeholder = url::Url::parse("http://prometheus.invalid").ok();
    let names = crate::slos::SloNames {
        services: &services,
        teams: &none,
        probes: &none,
        prometheus_url: placeholder.as_ref(),
    };
    let base_dir = crate::base_dir(path);
    let mut validator = Validator {
        diagnostics: &mut diagnostics,
        environment: &ProcessEnvironment,
        base_dir: &base_dir,
        first_file: None,
        now: jiff::Timestamp::now(),
    };
    let mut seen: BTreeMap<&str, &Sourced<RawSlo>> = BTreeMap::new();
    for slo in &slos {
        let name = &slo.item.value.name;
        if let Err(error) = pagerbound_core::name::check(&name.value) {
            validator
                .diagnostics
                .error(&slo.at(name), format!("SLO {error}"));
        } else if let Some(first) = seen.get(name.value.as_str()) {
            validator.diagnostics.error(
                &slo.at(name),
                format!(
                    "SLO `{}` is already defined at {}",
                    name.value,
                    first.at(&first.item.value.name)
                ),
            );
        } else {
            seen.insert(&name.value, slo);
        }
        validator.slo(slo, &names);
    }
    diagnostics
        .list
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    if diagnostics.error_count() > 0 {
        return Err(Rejected {
            diagnostics: diagnostics.list,
        });
    }
    Ok(ImportedSlos {
        yaml: to_yaml(path, &slos),
        warnings: diagnostics.list,
    })
}

/// The format of one YAML document.
#[derive(Debug)]
enum Format {
    Sloth,
    OpenSlo,
    Other,
    /// Not YAML, or not a mapping: why.
    Unreadable(serde_saphyr::Error),
}

/// One document of a file: the file's text with every line outside the
/// document blanked, so that positions read in it are positions in the
/// file.
struct Part {
    text: String,
    /// The line of its first content, for errors about the whole document.
    first_line: u64,
}

/// The documents of a YAML stream (split at `---` and `...`), leaving out
/// the ones with nothing but comments.
fn split_documents(text: &str) -> Vec<Part> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Each document as its lines (index, text to keep).
    let mut documents: Vec<Vec<(usize, String)>> = vec![Vec::new()];
    for (index, line) in lines.iter().enumerate() {
        let content = line.trim_end();
        let marker = |m: &str| {
            content == m
                || content
                    .strip_prefix(m)
                    .is_some_and(|rest| rest.starts_with([' ', '\t']))
        };
        if marker("---") {
            documents.push(Vec::new());
            // `--- {a: 1}`: the node on the marker's line stays, in place.
            let rest = &line[3..];
            if !rest.trim().is_empty() && !rest.trim_start().starts_with('#') {
                let kept = format!("   {rest}");
                if let Some(current) = documents.last_mut() {
                    current.push((index, kept));
                }
            }
        } else if marker("...") {
            documents.push(Vec::new());
        } else if content.starts_with('%') {
            // A directive (`%YAML 1.2`) belongs to the next document's
            // header; the parser does not need it.
        } else if let Some(current) = documents.last_mut() {
            current.push((index, (*line).to_owned()));
        }
    }
    documents
        .into_iter()
        .filter_map(|kept| {
            let first = kept.iter().find(|(_, line)| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#')
            })?;
            let first_line = first.0 as u64 + 1;
            let mut text = String::with_capacity(lines.len());
            let mut kept = kept.into_iter().peekable();
            for (index, line) in lines.iter().enumerate() {
                match kept.next_if(|(i, _)| *i == index) {
                    Some((_, kept)) => text.push_str(&kept),
                    None if line.ends_with('\n') => text.push('\n'),
                    None => {}
                }
            }
            Some(Part { text, first_line })
        })
        .collect()
}

/// Which format a document says it is in.
fn format_of(text: &str) -> Format {
    #[derive(Deserialize)]
    struct Header {
        version: Option<String>,
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
    }
    match serde_saphyr::from_str_with_options::<Header>(text, crate::document::options()) {
        Ok(Header {
            version: Some(version),
            ..
        }) if version.starts_with("prometheus/") => Format::Sloth,
        Ok(Header {
            api_version: Some(version),
            ..
        }) if version.starts_with("openslo/") => Format::OpenSlo,
        Ok(_) => Format::Other,
        Err(error) => Format::Unreadable(error),
    }
}

/// Where the key `key` of the value at `value` is, in the document's
/// `text`: the last `key:` before the value. (A mapping's own position is
/// its first key, inside it; an error about the whole mapping reads better
/// at its key.) The value's position when the key cannot be found.
fn key_pos(origin: &Origin, text: &str, value: &Location, key: &str) -> Pos {
    let needle = format!("{key}:");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut line = usize::try_from(value.line()).unwrap_or(0);
    let mut limit = usize::try_from(value.column().saturating_sub(1)).unwrap_or(0);
    // The key is on the value's line or a few above (comments between).
    for _ in 0..8 {
        let Some(content) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
            break;
        };
        let before: String = content.chars().take(limit).collect();
        let found = before
            .rmatch_indices(needle.as_str())
            .map(|(i, _)| i)
            .find(|&i| {
                // `raw:`, not `draw:`.
                !before[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
        if let Some(found) = found {
            return Pos {
                file: origin.file.clone(),
                line: line as u64 + origin.line_offset,
                column: before[..found].chars().count() as u64 + 1,
            };
        }
        line -= 1;
        limit = usize::MAX;
    }
    origin.pos(value)
}

/// A value placed at `at`.
fn spanned<T>(value: T, at: Location) -> Spanned<T> {
    Spanned::new(value, at, at)
}

/// The raw SLO an import builds; the rest of the native fields are left
/// to their defaults.
struct Imported {
    /// Where the SLO is, for errors about it as a whole.
    at: Location,
    name: Text,
    service: Text,
    description: Option<String>,
    sli: Spanned<RawSli>,
    objective: Spanned<f64>,
    window: Text,
    time_zone: Option<Text>,
    alerting: Option<Vec<Spanned<RawBurnAlert>>>,
    runbook: Option<Text>,
    labels: BTreeMap<String, String>,
}

impl Imported {
    fn into_sourced(self, origin: &Origin) -> Sourced<RawSlo> {
        Sourced {
            item: spanned(
                RawSlo {
                    name: self.name,
                    service: self.service,
                    description: self.description,
                    sli: self.sli,
                    objective: self.objective,
                    window: self.window,
                    time_zone: self.time_zone,
                    alerting: self.alerting,
                    min_events: None,
                    owner: None,
                    runbook: self.runbook,
                    labels: self.labels,
                },
                self.at,
            ),
            origin: origin.clone(),
        }
    }
}

/// An SLI of source `prometheus` with the given queries (the URL is
/// `settings.prometheus_url`), placed at `at`.
fn prometheus_sli(
    at: Location,
    good: Option<Text>,
    bad: Option<Text>,
    total: Option<Text>,
    error_ratio: Option<Text>,
) -> Spanned<RawSli> {
    spanned(
        RawSli {
            source: spanned("prometheus".to_owned(), at),
            probe: None,
            url: None,
            good,
            bad,
            total,
            error_ratio,
            histogram: None,
            threshold: None,
            step: None,
        },
        at,
    )
}

/// The default (workbook) policy for `window` without its lines of
/// severity `dropped`, written out as configured lines placed at `at`.
fn policy_without(
    window: &SloWindow,
    dropped: Severity,
    at: Location,
) -> Vec<Spanned<RawBurnAlert>> {
    workbook_policy(window)
        .into_iter()
        .filter(|line| line.severity != dropped)
        .map(|line| {
            spanned(
                RawBurnAlert {
                    long: spanned(line.long.to_string(), at),
                    short: spanned(line.short.to_string(), at),
                    burn_rate: spanned(line.burn_rate, at),
                    severity: spanned(line.severity.as_str().to_owned(), at),
                },
                at,
            )
        })
        .collect()
}

/// Whether an imported label may be set: not when the SLO's alerts set
/// it themselves; then warns at the label, which is left out.
fn settable(name: &Text, origin: &Origin, diagnostics: &mut Diagnostics) -> bool {
    if OWN_LABELS.contains(&name.value.as_str()) {
        diagnostics.warning(
            &origin.pos(&name.referenced),
            format!(
                "label `{}` is not imported: pagerbound sets `{}` on its SLO alerts itself",
                name.value, name.value
            ),
        );
        return false;
    }
    true
}

/// The native YAML for imported SLOs: what `pagerbound slo import` prints.
fn to_yaml(source: &Path, slos: &[Sourced<RawSlo>]) -> String {
    let source: String = source
        .display()
        .to_string()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let mut out = format!("# Imported from {source} by `pagerbound slo import`.\n");
    if slos.is_empty() {
        out.push_str("slos: []\n");
        return out;
    }
    out.push_str(
        "# SLIs of source `prometheus` query `settings.prometheus_url` unless they name a `url`.\n",
    );
    out.push_str("slos:\n");
    fn field(out: &mut String, indent: usize, key: &str, value: &str) {
        let _ = writeln!(out, "{:indent$}{key}: {}", "", scalar(value, indent + 2));
    }
    for slo in slos {
        let slo = &slo.item.value;
        let _ = writeln!(out, "  - name: {}", scalar(&slo.name.value, 6));
        field(&mut out, 4, "service", &slo.service.value);
        if let Some(description) = &slo.description {
            field(&mut out, 4, "description", description);
        }
        out.push_str("    sli:\n");
        let sli = &slo.sli.value;
        field(&mut out, 6, "source", &sli.source.value);
        for (key, value) in [
            ("probe", &sli.probe),
            ("url", &sli.url),
            ("good", &sli.good),
            ("bad", &sli.bad),
            ("total", &sli.total),
            ("error_ratio", &sli.error_ratio),
            ("step", &sli.step),
        ] {
            if let Some(value) = value {
                field(&mut out, 6, key, &value.value);
            }
        }
        let _ = writeln!(out, "    objective: {}", slo.objective.value);
        field(&mut out, 4, "window", &slo.window.value);
        if let Some(zone) = &slo.time_zone {
            field(&mut out, 4, "time_zone", &zone.value);
        }
        if let Some(lines) = &slo.alerting {
            out.push_str("    alerting:\n");
            for line in lines {
                let line = &line.value;
                let _ = writeln!(
                    out,
                    "      - {{long: {}, short: {}, burn_rate: {}, severity: {}}}",
                    scalar(&line.long.value, 8),
                    scalar(&line.short.value, 8),
                    line.burn_rate.value,
                    scalar(&line.severity.value, 8),
                );
            }
        }
        if let Some(runbook) = &slo.runbook {
            field(&mut out, 4, "runbook", &runbook.value);
        }
        if !slo.labels.is_empty() {
            out.push_str("    labels:\n");
            for (name, value) in &slo.labels {
                let _ = writeln!(out, "      {}: {}", scalar(name, 8), scalar(value, 8));
            }
        }
    }
    out
}

/// A string as a YAML scalar that reads back as the same string: plain when
/// that is safe, a literal block for multi-line text, else double-quoted.
/// `indent` is the indentation of a block's lines.
fn scalar(value: &str, indent: usize) -> String {
    if is_plain_safe(value) {
        return value.to_owned();
    }
    if let Some(block) = literal_block(value, indent) {
        return block;
    }
    double_quoted(value)
}

fn is_plain_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let lower = value.to_ascii_lowercase();
    // Words and numbers a YAML reader (1.1 or 1.2) could take for another
    // type: `0x1F`, `1_000`, `12:30`.
    let looks_typed = matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    ) || value.parse::<f64>().is_ok()
        || first.is_ascii_digit()
            && (["0x", "0o", "0b"].iter().any(|p| lower.starts_with(p))
                || value.contains(':')
                || value
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '_' || c == '.'));
    !looks_typed
        && !"-?:,[]{}#&*!|>'\"%@`.+ \t".contains(first)
        && value.chars().all(|c| !c.is_control() && c != '\u{feff}')
        && !value.ends_with([' ', '\t', ':'])
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.contains(":\t")
        && !value.contains("\t#")
}

/// `|` or `|-` and the lines, when the text can be written so.
fn literal_block(value: &str, indent: usize) -> Option<String> {
    if !value.contains('\n')
        || value.starts_with([' ', '\t', '\n'])
        || value.ends_with("\n\n")
        || value
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
    {
        return None;
    }
    let body = value.strip_suffix('\n');
    let (indicator, body) = match body {
        Some(body) => ("|", body),
        None => ("|-", value),
    };
    // Lines of only spaces would be read as indentation.
    if body
        .split('\n')
        .any(|line| !line.is_empty() && line.trim().is_empty())
    {
        return None;
    }
    let mut block = indicator.to_owned();
    for line in body.split('\n') {
        block.push('\n');
        if !line.is_empty() {
            block.push_str(&" ".repeat(indent));
            block.push_str(line);
        }
    }
    Some(block)
}

fn double_quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let text = "# head\nversion: a\n---\nkind: SLO\n--- # c\n\n...\n---\nx: 1\n";
        let parts = split_documents(text);
        let firsts: Vec<u64> = parts.iter().map(|p| p.first_line).collect();
        assert_eq!(firsts, [2, 4, 9]);
        assert_eq!(parts[1].text, "\n\n\nkind: SLO\n\n\n\n\n\n");
        for part in &parts {
            assert_eq!(part.text.lines().count(), text.lines().count());
        }
    }

    #[test]
    fn scalars_read_back_as_the_same_text() {
        #[derive(Deserialize)]
        struct One {
            v: String,
        }
        for value in [
            "sum(rate(http_requests_total{job=\"checkout\",code=~\"5..\"}[{{.window}}]))",
            "{{.window}}",
            "true",
            "99.9",
            "0x1F",
            "1e3",
            "30d",
            "Europe/Dublin",
            "a: b",
            "# not a comment",
            "- dash",
            "ends with space ",
            "",
            "null",
            "(\n  sum(rate(a[{{.window}}]))\n  -\n  sum(rate(b[{{.window}}]))\n)\n",
            "one\ntwo",
            "  leading\nlines",
            "tab\tand \"quotes\" and \\",
            "trailing blank\n\n",
            "bell\u{7}",
            "spaces\n   \nline",
            "it's",
            "@at",
        ] {
            let yaml = format!("v: {}\n", scalar(value, 2));
            let read: One = serde_saphyr::from_str(&yaml)
                .unwrap_or_else(|e| panic!("{value:?} as {yaml:?}: {e}"));
            assert_eq!(read.v, value, "{yaml}");
        }
        assert_eq!(
            scalar("sum(rate(a[{{.window}}]))", 2),
            "sum(rate(a[{{.window}}]))"
        );
        assert_eq!(scalar("30d", 2), "30d");
        assert_eq!(scalar("true", 2), "\"true\"");
    }
}
