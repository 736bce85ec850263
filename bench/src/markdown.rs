//! BENCHMARKS.md: each benchmark owns one section of it, between two
//! marker comments, and rewrites only that section, so the prose around
//! the figures and the other benchmarks' sections stay as they are.

use anyhow::{Context, Result};
use std::path::Path;

/// Replaces the section `name` of the markdown file at `path` with `body`,
/// or appends it if the file does not have it yet (creating the file if
/// need be).
pub fn write_section(path: &Path, name: &str, body: &str) -> Result<()> {
    let document = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let updated = replace_section(&document, name, body)
        .with_context(|| format!("updating section `{name}` of {}", path.display()))?;
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

/// `document` with the text between section `name`'s markers replaced by
/// `body`; the section is appended when the markers are not there.
pub fn replace_section(document: &str, name: &str, body: &str) -> Result<String> {
    let begin = format!("<!-- bench:{name} begin: written by pagerbound-bench -->");
    let end = format!("<!-- bench:{name} end -->");
    let section = format!("{begin}\n{}\n{end}", body.trim_end());
    match (document.find(&begin), document.find(&end)) {
        (Some(start), Some(stop)) if start < stop => Ok(format!(
            "{}{section}{}",
            &document[..start],
            &document[stop + end.len()..]
        )),
        (None, None) => {
            let mut updated = document.trim_end().to_owned();
            if !updated.is_empty() {
                updated.push_str("\n\n");
            }
            updated.push_str(&section);
            updated.push('\n');
            Ok(updated)
        }
        // Half a section: rewriting would lose text that is not ours.
        _ => anyhow::bail!("the markers `{begin}` and `{end}` are not both there, in that order"),
    }
}

/// The machine the figures come from: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = field(&cpuinfo, "model name").unwrap_or("unknown CPU");
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal")
        .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown memory".to_owned(),
            |kb| format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0)),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {memory} memory, Linux {}",
        kernel.trim()
    )
}

/// The value of the first `key: value` line of a /proc file.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- bench:ingest begin: written by pagerbound-bench -->";
    const END: &str = "<!-- bench:ingest end -->";

    #[test]
    fn a_missing_section_is_appended_after_the_prose() {
        let updated = replace_section("# Benchmarks\n\nIntro.\n", "ingest", "table 1\n")
            .expect("a whole section");
        assert_eq!(
            updated,
            format!("# Benchmarks\n\nIntro.\n\n{BEGIN}\ntable 1\n{END}\n")
        );
        assert_eq!(
            replace_section("", "ingest", "t").expect("a whole section"),
            format!("{BEGIN}\nt\n{END}\n")
        );
    }

    #[test]
    fn an_existing_section_is_replaced_and_the_rest_kept() {
        let document = format!("intro\n{BEGIN}\nold figures\n{END}\noutro\n");
        let updated = replace_section(&document, "ingest", "new figures").expect("a whole section");
        assert_eq!(
            updated,
            format!("intro\n{BEGIN}\nnew figures\n{END}\noutro\n")
        );
        // Another benchmark's section is a different name and untouched.
        let updated = replace_section(&updated, "slo", "slo figures").expect("a whole section");
        assert!(updated.contains("new figures"));
        assert!(updated.ends_with("<!-- bench:slo end -->\n"));
    }

    #[test]
    fn half_a_section_is_refused_rather_than_overwritten() {
        let only_begin = format!("intro\n{BEGIN}\nfigures\n");
        assert!(replace_section(&only_begin, "ingest", "x").is_err());
        let reversed = format!("{END}\nfigures\n{BEGIN}\n");
        assert!(replace_section(&reversed, "ingest", "x").is_err());
    }

    #[test]
    fn proc_fields_are_read_by_key() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  1 kB\n";
        assert_eq!(field(meminfo, "MemTotal"), Some("24000000 kB"));
        assert_eq!(field(meminfo, "Missing"), None);
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU @ 2GHz\n";
        assert_eq!(field(cpuinfo, "model name"), Some("Some CPU @ 2GHz"));
    }
}
