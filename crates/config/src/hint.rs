//! "Did you mean ...?" suggestions for misspelt names.

/// The candidate closest to `word`, if one is close enough to be a likely
/// typo (case is ignored when comparing).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                candidate,
                strsim::normalized_damerau_levenshtein(&word, &candidate.to_lowercase()),
            )
        })
        .filter(|(_, similarity)| *similarity >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| candidate)
}

/// `", did you mean `x`?"`, or nothing when no candidate is close.
pub(crate) fn suffix<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!(", did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name() {
        let fields = ["name", "team", "service", "runbook"];
        assert_eq!(closest("servce", fields), Some("service"));
        assert_eq!(closest("runbok", fields), Some("runbook"));
        assert_eq!(closest("Team", fields), Some("team"));
        assert_eq!(closest("completely-different", fields), None);
    }

    #[test]
    fn suggests_time_zones_despite_case_and_typos() {
        let zones = ["Europe/Dublin", "Europe/Berlin", "America/New_York"];
        assert_eq!(closest("Europe/Dublinn", zones), Some("Europe/Dublin"));
        assert_eq!(closest("america/new_york", zones), Some("America/New_York"));
        assert_eq!(suffix("Mars/Olympus", zones), "");
    }
}
