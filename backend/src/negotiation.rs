//! Content negotiation, done by the book: which representation an `Accept`
//! header prefers (RFC 9110 §12.5.1) and whether `Accept-Encoding` allows a
//! content coding (§12.5.3). The app's files are served in the smallest coding
//! the browser takes; lesson 1's endpoints use it to show that one URL can
//! answer as HTML, JSON or CSV, compressed or not, as the client asks.

/// One entry of an `Accept`-style header: a value and its weight (`q`).
#[derive(Debug, Clone, PartialEq)]
struct Preference<'a> {
    value: &'a str,
    quality: f32,
}

/// The entries of a comma-separated header with `;q=` weights. Entries whose
/// weight does not parse count as 1, as most servers treat them.
fn preferences(header: &str) -> Vec<Preference<'_>> {
    header
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let value = parts.next()?.trim();
            if value.is_empty() {
                return None;
            }
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .map_or(1.0, |q| q.clamp(0.0, 1.0));
            Some(Preference { value, quality })
        })
        .collect()
}

/// The media type from `offered` (in the server's order of preference) that
/// `accept` rates highest; a more specific range decides over a wider one
/// (`text/csv;q=0` beats `*/*`). No header means anything goes.
pub fn choose<'a>(accept: Option<&str>, offered: &[&'a str]) -> Option<&'a str> {
    let Some(accept) = accept.filter(|header| !header.trim().is_empty()) else {
        return offered.first().copied();
    };
    let ranges = preferences(accept);
    let quality_of = |media_type: &str| {
        let (kind, _) = media_type.split_once('/').unwrap_or((media_type, ""));
        ranges
            .iter()
            .filter_map(|range| {
                let range_value = range.value.to_ascii_lowercase();
                let specificity = if range_value == media_type {
                    3
                } else if range_value == format!("{kind}/*") {
                    2
                } else if range_value == "*/*" {
                    1
                } else {
                    return None;
                };
                Some((specificity, range.quality))
            })
            .max_by_key(|(specificity, _)| *specificity)
            .map_or(0.0, |(_, quality)| quality)
    };
    let mut best: Option<(&str, f32)> = None;
    for &media_type in offered {
        let quality = quality_of(media_type);
        if quality > 0.0 && best.is_none_or(|(_, best_quality)| quality > best_quality) {
            best = Some((media_type, quality));
        }
    }
    best.map(|(media_type, _)| media_type)
}

/// Whether `accept_encoding` allows the content coding `coding` (`gzip`, `br`).
/// Without the header a client takes no coding at all (in practice: no
/// compression), which is what every careful server assumes.
pub fn allows(accept_encoding: Option<&str>, coding: &str) -> bool {
    let Some(header) = accept_encoding else {
        return false;
    };
    let codings = preferences(header);
    let rated = |name: &str| {
        codings
            .iter()
            .find(|entry| entry.value.eq_ignore_ascii_case(name))
            .map(|entry| entry.quality)
    };
    let alias = (coding == "gzip").then(|| rated("x-gzip")).flatten();
    rated(coding)
        .or(alias)
        .or_else(|| rated("*"))
        .is_some_and(|quality| quality > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERED: [&str; 3] = ["text/html", "application/json", "text/csv"];

    #[test]
    fn the_best_rated_representation_wins() {
        assert_eq!(choose(None, &OFFERED), Some("text/html"));
        assert_eq!(choose(Some("*/*"), &OFFERED), Some("text/html"));
        assert_eq!(
            choose(Some("application/json"), &OFFERED),
            Some("application/json")
        );
        assert_eq!(
            choose(Some("text/csv, application/json;q=0.9"), &OFFERED),
            Some("text/csv")
        );
        assert_eq!(
            choose(Some("text/*;q=0.5, application/json"), &OFFERED),
            Some("application/json")
        );
        assert_eq!(
            choose(Some("*/*, text/html;q=0"), &OFFERED),
            Some("application/json")
        );
        assert_eq!(
            choose(
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                &OFFERED
            ),
            Some("text/html"),
            "what a browser sends"
        );
    }

    #[test]
    fn nothing_acceptable_is_none() {
        assert_eq!(choose(Some("application/xml"), &OFFERED), None);
        assert_eq!(choose(Some("*/*;q=0"), &OFFERED), None);
    }

    #[test]
    fn a_coding_only_when_asked_for() {
        assert!(allows(Some("gzip, deflate"), "gzip"));
        assert!(allows(Some("br;q=1.0, gzip;q=0.8"), "gzip"));
        assert!(allows(Some("x-gzip"), "gzip"));
        assert!(allows(Some("*"), "br"));
        assert!(!allows(Some("gzip;q=0"), "gzip"));
        assert!(!allows(Some("gzip, deflate"), "br"));
        assert!(!allows(Some("br"), "gzip"));
        assert!(!allows(None, "gzip"));
    }
}
