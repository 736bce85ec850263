//! Reading one YAML file into raw items, reporting every mistake in it.
//!
//! Serde stops at the first error in a document, but `pagerbound check`
//! should list all of them. So a file is first read whole (the usual case:
//! it is valid). When that fails, it is read again item by item: the
//! outline of the file gives where each list item and the settings block
//! start, and each item's text is deserialized on its own, with its
//! indentation kept so that line and column numbers map straight back to
//! the file. One bad item then costs only itself.
//!
//! A file of Sloth or OpenSLO documents is not read as sections: its SLOs
//! are imported (`crate::import`) and join the native ones.

use crate::diagnostic::{Diagnostics, Pos};
use crate::hint;
use crate::raw::{
    BLOCK_SECTIONS, LIST_SECTIONS, RawChannel, RawEscalationPolicy, RawFile, RawHeartbeat,
    RawInhibitRule, RawIntegration, RawProbe, RawRoute, RawSchedule, RawService, RawSettings,
    RawSlo, RawTeam, RawUser, SECTIONS,
};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where an item's text sits in its file: positions read while parsing the
/// item are shifted by `line_offset` lines.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub file: Arc<Path>,
    pub line_offset: u64,
}

impl Origin {
    pub fn pos(&self, location: &Location) -> Pos {
        Pos {
            file: self.file.clone(),
            line: location.line() + self.line_offset,
            column: location.column(),
        }
    }
}

/// A raw item and where it came from.
#[derive(Debug)]
pub(crate) struct Sourced<T> {
    pub item: Spanned<T>,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    /// The position of the item itself.
    pub fn pos(&self) -> Pos {
        self.origin.pos(&self.item.referenced)
    }

    /// The position of one of the item's spanned values.
    pub fn at<V>(&self, value: &Spanned<V>) -> Pos {
        self.origin.pos(&value.referenced)
    }
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub settings: Option<Sourced<RawSettings>>,
    pub teams: Vec<Sourced<RawTeam>>,
    pub users: Vec<Sourced<RawUser>>,
    pub services: Vec<Sourced<RawService>>,
    pub channels: Vec<Sourced<RawChannel>>,
    pub integrations: Vec<Sourced<RawIntegration>>,
    pub routes: Option<Sourced<RawRoute>>,
    pub inhibit_rules: Vec<Sourced<RawInhibitRule>>,
    pub heartbeats: Vec<Sourced<RawHeartbeat>>,
    pub schedules: Vec<Sourced<RawSchedule>>,
    pub escalation_policies: Vec<Sourced<RawEscalationPolicy>>,
    pub slos: Vec<Sourced<RawSlo>>,
    pub probes: Vec<Sourced<RawProbe>>,
    /// Names of items that exist but could not be read, by section, so that
    /// references to them are not reported as undefined as well.
    pub unreadable: Vec<(&'static str, String)>,
}

/// Reads one file's text, adding any problems to `diagnostics`.
pub(crate) fn parse(file: &Arc<Path>, text: &str, diagnostics: &mut Diagnostics) -> Document {
    // A Sloth or OpenSLO file is imported: its SLOs join the native ones.
    if let Some(slos) = crate::import::parse(file, text, diagnostics) {
        return Document {
            slos,
            ..Document::default()
        };
    }
    let whole_error = match serde_saphyr::from_str_with_options::<RawFile>(text, options()) {
        Ok(raw) => return Document::from_whole(raw, file),
        Err(error) => error,
    };
    let before = diagnostics.error_count();
    let document = parse_by_item(file, text, diagnostics);
    if diagnostics.error_count() == before {
        // The item-by-item reading found nothing wrong (the mistake lies
        // across items, e.g. an anchor used in another item): report what
        // the whole reading said.
        report(
            diagnostics,
            &Origin {
                file: file.clone(),
                line_offset: 0,
            },
            &whole_error,
        );
    }
    document
}

pub(crate) fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(16 << 20),
        },
    }
}

impl Document {
    fn from_whole(raw: RawFile, file: &Arc<Path>) -> Self {
        let origin = Origin {
            file: file.clone(),
            line_offset: 0,
        };
        fn sourced<T>(items: Vec<Spanned<T>>, origin: &Origin) -> Vec<Sourced<T>> {
            items
                .into_iter()
                .map(|item| Sourced {
                    item,
                    origin: origin.clone(),
                })
                .collect()
        }
        Document {
            settings: raw.settings.map(|item| Sourced {
                item,
                origin: origin.clone(),
            }),
            teams: sourced(raw.teams, &origin),
            users: sourced(raw.users, &origin),
            services: sourced(raw.services, &origin),
            channels: sourced(raw.channels, &origin),
            integrations: sourced(raw.integrations, &origin),
            routes: raw.routes.map(|item| Sourced {
                item,
                origin: origin.clone(),
            }),
            inhibit_rules: sourced(raw.inhibit_rules, &origin),
            heartbeats: sourced(raw.heartbeats, &origin),
            schedules: sourced(raw.schedules, &origin),
            escalation_policies: sourced(raw.escalation_policies, &origin),
            slos: sourced(raw.slos, &origin),
            probes: sourced(raw.probes, &origin),
            unreadable: Vec::new(),
        }
    }
}

fn parse_by_item(file: &Arc<Path>, text: &str, diagnostics: &mut Diagnostics) -> Document {
    let top = Origin {
        file: file.clone(),
        line_offset: 0,
    };
    let outline = match serde_saphyr::from_str_with_options::<Outline>(text, options()) {
        Ok(outline) => outline,
        Err(error) => {
            report(diagnostics, &top, &error);
            return Document::default();
        }
    };
    let mut reader = ItemReader {
        text,
        top,
        diagnostics,
        document: Document::default(),
    };
    for (key, value) in outline.entries {
        match value {
            OutlineValue::Unknown => {
                let at = reader.top.pos(&key.referenced);
                reader.diagnostics.error(
                    &at,
                    format!(
                        "unknown section `{}`{}",
                        key.value,
                        hint::suffix(&key.value, SECTIONS)
                    ),
                );
            }
            OutlineValue::Block(at) if key.value == "routes" => {
                reader.document.routes = reader.read("routes", &at);
            }
            OutlineValue::Block(at) => reader.document.settings = reader.read("settings", &at),
            OutlineValue::List(items) => {
                for at in items {
                    match key.value.as_str() {
                        "teams" => {
                            let item = reader.read("teams", &at);
                            reader.document.teams.extend(item);
                        }
                        "users" => {
                            let item = reader.read("users", &at);
                            reader.document.users.extend(item);
                        }
                        "services" => {
                            let item = reader.read("services", &at);
                            reader.document.services.extend(item);
                        }
                        "channels" => {
                            let item = reader.read("channels", &at);
                            reader.document.channels.extend(item);
                        }
                        "inhibit_rules" => {
                            let item = reader.read("inhibit_rules", &at);
                            reader.document.inhibit_rules.extend(item);
                        }
                        "heartbeats" => {
                            let item = reader.read("heartbeats", &at);
                            reader.document.heartbeats.extend(item);
                        }
                        "schedules" => {
                            let item = reader.read("schedules", &at);
                            reader.document.schedules.extend(item);
                        }
                        "escalation_policies" => {
                            let item = reader.read("escalation_policies", &at);
                            reader.document.escalation_policies.extend(item);
                        }
                        "slos" => {
                            let item = reader.read("slos", &at);
                            reader.document.slos.extend(item);
                        }
                        "probes" => {
                            let item = reader.read("probes", &at);
                            reader.document.probes.extend(item);
                        }
                        _ => {
                            let item = reader.read("integrations", &at);
                            reader.document.integrations.extend(item);
                        }
                    }
                }
            }
        }
    }
    reader.document
}

/// Reads items one at a time out of a file's text.
struct ItemReader<'a> {
    text: &'a str,
    top: Origin,
    diagnostics: &'a mut Diagnostics,
    document: Document,
}

impl ItemReader<'_> {
    /// Reads the item that starts at `at`; on failure reports why and notes
    /// the item's name (if it has one) as unreadable. Items that cannot be
    /// cut out of the text (flow style) are skipped silently: the error of
    /// the whole-file reading is reported for them.
    fn read<T: DeserializeOwned>(
        &mut self,
        section: &'static str,
        at: &Location,
    ) -> Option<Sourced<T>> {
        let snippet = item_text(self.text, at)?;
        let origin = Origin {
            file: self.top.file.clone(),
            line_offset: at.line().saturating_sub(1),
        };
        match serde_saphyr::from_str_with_options::<Spanned<T>>(&snippet, options()) {
            Ok(item) => Some(Sourced { item, origin }),
            Err(error) => {
                if !is_alias_error(&error) {
                    report(self.diagnostics, &origin, &error);
                }
                #[derive(Deserialize)]
                struct NameOnly {
                    name: Option<String>,
                }
                if let Ok(NameOnly { name: Some(name) }) =
                    serde_saphyr::from_str::<NameOnly>(&snippet)
                {
                    self.document.unreadable.push((section, name));
                }
                None
            }
        }
    }
}

/// The text of the block item or block value that starts at `at`, padded
/// with spaces to its column so that positions in it match the file. `None`
/// for flow-style items (`[a, b]`), which cannot be cut out by lines.
fn item_text(text: &str, at: &Location) -> Option<String> {
    let start = usize::try_from(at.span().byte_offset()?).ok()?;
    let before = text.get(..start)?;
    let introducer = before.trim_end().chars().last();
    if !matches!(introducer, Some('-' | ':')) {
        return None;
    }
    let indent = usize::try_from(at.column().saturating_sub(1)).ok()?;
    let mut snippet = " ".repeat(indent);
    let mut lines = text.get(start..)?.split_inclusive('\n');
    snippet.push_str(lines.next().unwrap_or_default());
    for line in lines {
        let content = line.trim_start_matches(' ');
        let line_indent = line.len() - content.len();
        let blank_or_comment = content.trim().is_empty() || content.starts_with('#');
        if !blank_or_comment && line_indent < indent {
            break;
        }
        snippet.push_str(line);
    }
    Some(snippet)
}

fn is_alias_error(error: &serde_saphyr::Error) -> bool {
    matches!(
        error.without_snippet(),
        serde_saphyr::Error::UnknownAnchor { .. } | serde_saphyr::Error::AliasError { .. }
    )
}

/// Adds a serde error as a diagnostic, in words meant for the person who
/// wrote the file.
pub(crate) fn report(diagnostics: &mut Diagnostics, origin: &Origin, error: &serde_saphyr::Error) {
    let at = match error.location() {
        Some(location) if location != Location::UNKNOWN => origin.pos(&location),
        _ => Pos::whole_file(&origin.file),
    };
    diagnostics.error(&at, describe(error));
}

fn describe(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    match error.without_snippet() {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            format!("unknown field `{field}`{}", hint_or_list(field, expected))
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            format!(
                "unknown value `{variant}`{}",
                hint_or_list(variant, expected)
            )
        }
        E::SerdeMissingField { field, .. } => format!("missing field `{field}`"),
        E::DuplicateMappingKey { .. } => {
            "this key is given twice in the same mapping; keep one".to_owned()
        }
        E::NullIntoString { .. } => "a value is required here".to_owned(),
        E::MultipleDocuments { .. } => {
            "a file holds one YAML document; split the documents at `---` into separate files"
                .to_owned()
        }
        other => {
            let formatter = serde_saphyr::DefaultMessageFormatter.with_localizer(&WithoutLocation);
            let message = other.render_with_options(serde_saphyr::render_options! {
                formatter: &formatter,
                snippets: serde_saphyr::SnippetMode::Off,
            });
            message
                .replace("expected sequence start", "expected a list")
                .replace(
                    "expected mapping start",
                    "expected a mapping of `key: value` pairs",
                )
                .replace("expected string scalar", "expected a text value")
        }
    }
}

/// "did you mean" for a near miss, else the list of what is allowed.
fn hint_or_list(word: &str, expected: &[&str]) -> String {
    match hint::closest(word, expected.iter().copied()) {
        Some(_) => hint::suffix(word, expected.iter().copied()),
        None => {
            let list: Vec<String> = expected.iter().map(|n| format!("`{n}`")).collect();
            format!("; expected one of {}", list.join(", "))
        }
    }
}

/// Leaves locations out of messages: diagnostics carry them separately.
struct WithoutLocation;

impl serde_saphyr::Localizer for WithoutLocation {
    fn attach_location<'a>(&self, base: Cow<'a, str>, _location: Location) -> Cow<'a, str> {
        base
    }
}

/// The top level of a file: each key with where its items start.
struct Outline {
    entries: Vec<(Spanned<String>, OutlineValue)>,
}

enum OutlineValue {
    Block(Location),
    List(Vec<Location>),
    Unknown,
}

impl<'de> Deserialize<'de> for Outline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OutlineVisitor;

        impl<'de> Visitor<'de> for OutlineVisitor {
            type Value = Outline;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of sections (settings, teams, users, ...)")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outline, A::Error> {
                let mut entries = Vec::new();
                let mut seen = BTreeSet::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    if !seen.insert(key.value.clone()) {
                        return Err(de::Error::custom(format!(
                            "section `{}` appears twice in this file",
                            key.value
                        )));
                    }
                    let value = if BLOCK_SECTIONS.contains(&key.value.as_str()) {
                        OutlineValue::Block(map.next_value::<Spanned<IgnoredAny>>()?.referenced)
                    } else if LIST_SECTIONS.contains(&key.value.as_str()) {
                        let items = map.next_value::<Vec<Spanned<IgnoredAny>>>()?;
                        OutlineValue::List(items.into_iter().map(|i| i.referenced).collect())
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        OutlineValue::Unknown
                    };
                    entries.push((key, value));
                }
                Ok(Outline { entries })
            }
        }

        deserializer.deserialize_map(OutlineVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> (Document, Vec<String>) {
        let file: Arc<Path> = Arc::from(Path::new("teams.yaml"));
        let mut diagnostics = Diagnostics::default();
        let document = parse(&file, text, &mut diagnostics);
        let messages = diagnostics.list.iter().map(|d| d.to_string()).collect();
        (document, messages)
    }

    #[test]
    fn a_valid_file_is_read_whole() {
        let (document, messages) = parse_text("teams:\n  - name: payments\n    members: [alice]\n");
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(document.teams.len(), 1);
        assert_eq!(document.teams[0].item.value.name.value, "payments");
        assert_eq!(
            document.teams[0]
                .at(&document.teams[0].item.value.name)
                .line,
            2
        );
    }

    #[test]
    fn every_bad_item_is_reported_with_its_position() {
        let text = "\
teams:
  - name: payments
    membres: [alice]
  - name: search
  - name: infra
    descripton: x
users:
  - name: alice
    time_zone: UTC
";
        let (document, messages) = parse_text(text);
        assert_eq!(
            messages,
            vec![
                "teams.yaml:3:5: error: unknown field `membres`, did you mean `members`?",
                "teams.yaml:6:5: error: unknown field `descripton`, did you mean `description`?",
            ]
        );
        // The good items survive, with positions in the file.
        assert_eq!(document.teams.len(), 1);
        assert_eq!(document.teams[0].pos().line, 4);
        assert_eq!(document.users.len(), 1);
        assert_eq!(
            document.users[0]
                .at(&document.users[0].item.value.time_zone)
                .line,
            9
        );
        // The bad ones are known by name.
        assert!(document.unreadable.contains(&("teams", "payments".into())));
    }

    #[test]
    fn unknown_sections_get_a_hint() {
        let (_, messages) = parse_text("servces:\n  - name: x\nteams: []\nteams2: 1\n");
        assert_eq!(
            messages[0],
            "teams.yaml:1:1: error: unknown section `servces`, did you mean `services`?"
        );
    }

    #[test]
    fn syntax_errors_are_reported_once() {
        let (_, messages) = parse_text("teams:\n  - name: \"unterminated\n");
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].starts_with("teams.yaml:"), "{messages:?}");
    }

    #[test]
    fn flow_style_items_fall_back_to_the_whole_file_error() {
        let (_, messages) = parse_text("teams: [{name: a, bogus: 1}]\n");
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("bogus"), "{messages:?}");
    }

    #[test]
    fn anchors_shared_between_items_do_not_cause_false_errors() {
        let text = "\
teams:
  - name: a
    members: &crew [alice]
  - name: b
    members: *crew
  - name: c
    nope: 1
";
        let (_, messages) = parse_text(text);
        assert_eq!(
            messages,
            vec![
                "teams.yaml:7:5: error: unknown field `nope`; expected one of `name`, `description`, `members`"
            ]
        );
    }

    #[test]
    fn empty_and_comment_only_files_are_fine() {
        for text in ["", "# nothing yet\n", "teams: []\n"] {
            let (document, messages) = parse_text(text);
            assert!(messages.is_empty(), "{text:?}: {messages:?}");
            assert!(document.teams.is_empty());
        }
    }
}
