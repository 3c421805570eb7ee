//! Lesson `parameters`, "Query parameters": a health ministry's data set (see
//! [`dataset`]) sliced by `year`, `region`, `columns`, `limit` and `offset`,
//! as an insecure twin that pastes its parameters into a query and shows its
//! internals when that breaks, and a secure twin that checks every parameter
//! and answers a clear 400.
//!
//! Both twins read the raw query string themselves: axum's `Query` extractor
//! would refuse bad input with a plain-text 400 of its own, and what each twin
//! does with bad input is the lesson. This module holds what they share: the
//! routes, the exercises, splitting a query string into its pieces, the shape
//! of a slice, and the memory of which parameters hurt the insecure twin.

mod dataset;
mod insecure;
mod secure;

use axum::Router;
use safelab_protocol::Twin;
use serde_json::{Value, json};

use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::percent;
use crate::progress::{Exercise, LOCAL_LEARNER};
use dataset::{Column, Row};

/// The lesson's id.
const LESSON: &str = "parameters";

/// The insecure twin answered a 500 that shows its internals.
const LEAK_INTERNALS: Exercise = Exercise {
    lesson: LESSON,
    id: "leak-internals",
};
/// The insecure twin served values of the confidential column.
const CONFIDENTIAL_COLUMN: Exercise = Exercise {
    lesson: LESSON,
    id: "confidential-column",
};
/// The insecure twin served every row of the data set in one answer.
const DUMP_TABLE: Exercise = Exercise {
    lesson: LESSON,
    id: "dump-table",
};
/// The secure twin refused, with a 400, a parameter that had broken the
/// insecure twin or made it leak.
const SECURE_REFUSES: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-refuses",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: insecure::DATASET,
            twin: Some(Twin::Insecure),
            summary: "hospital admissions sliced by year, region, columns, limit and offset, pasted into a query as they come: bad values crash into a 500 that shows the internals",
        },
        Endpoint {
            method: "GET",
            path: insecure::COLUMNS,
            twin: Some(Twin::Insecure),
            summary: "the data set's columns, the confidential one included",
        },
        Endpoint {
            method: "GET",
            path: secure::DATASET,
            twin: Some(Twin::Secure),
            summary: "the same slices, every parameter checked: a 400 that names the parameter, what was expected and what arrived",
        },
        Endpoint {
            method: "GET",
            path: secure::COLUMNS,
            twin: Some(Twin::Secure),
            summary: "the public columns and the rules each parameter follows",
        },
    ],
    exercises: &[
        LEAK_INTERNALS,
        CONFIDENTIAL_COLUMN,
        DUMP_TABLE,
        SECURE_REFUSES,
    ],
    routes,
    reset: super::nothing_to_restore,
    examples: &[],
};

/// The lesson's routes: both twins.
fn routes() -> Router<AppState> {
    insecure::routes().merge(super::with_security_headers(secure::routes()))
}

/// One `name=value` piece of a query string, exactly as it was sent (still
/// percent-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment<'a> {
    /// The whole piece (`year=2021`).
    raw: &'a str,
    /// Before the first `=` (`year`).
    name: &'a str,
    /// After the first `=` (`2021`); empty when there is no `=`.
    value: &'a str,
}

/// The pieces of a raw query string, in order. Empty pieces (`a=1&&b=2`, a
/// trailing `&`) carry nothing and are skipped.
fn segments(query: &str) -> Vec<Segment<'_>> {
    query
        .split('&')
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            let (name, value) = raw.split_once('=').unwrap_or((raw, ""));
            Segment { raw, name, value }
        })
        .collect()
}

/// A slice of the data set as both twins answer it: the columns, the rows,
/// and enough to page through the rest.
fn slice_json(
    columns: &[&Column],
    rows: &[&Row],
    matched: usize,
    offset: usize,
    limit: Option<usize>,
) -> Value {
    json!({
        "dataset": dataset::NAME,
        "columns": columns.iter().map(|column| column.name).collect::<Vec<_>>(),
        "rows": rows.iter().map(|row| row.project(columns)).collect::<Vec<_>>(),
        "matched": matched,
        "offset": offset,
        "limit": limit,
        "returned": rows.len(),
    })
}

/// Where the insecure twin's harmful parameters are kept in the lab state,
/// and how many of the latest are kept.
const HARMFUL_KEY: &str = "harmful-parameters";
const HARMFUL_KEPT: usize = 32;

/// A parameter as the lab remembers it: percent-decoded the forgiving way and
/// shown as text, so that `columns=a,b` from a browser and `columns=a%2Cb`
/// from `requests` are the same parameter. Bookkeeping only: neither twin
/// reads its parameters with this.
fn fingerprint(segment: &Segment<'_>) -> String {
    let decode = |text: &str| {
        String::from_utf8_lossy(&percent::decode_lenient(&text.replace('+', "%20"))).into_owned()
    };
    format!("{}={}", decode(segment.name), decode(segment.value))
}

/// The longest parameter worth remembering: the secure twin refuses longer
/// query strings whole (414) before it compares any parameter.
const HARMFUL_LONGEST: usize = 2048;

/// The parameters that broke the insecure twin or made it leak, latest last.
async fn harmful(state: &AppState) -> Vec<String> {
    let stored = state
        .progress
        .lab_state(LOCAL_LEARNER, LESSON, HARMFUL_KEY)
        .await;
    match stored {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Ok(None) => Vec::new(),
        Err(error) => {
            eprintln!("safelab: could not read the parameters lesson's lab state: {error}");
            Vec::new()
        }
    }
}

/// Remembers that `segment` broke the insecure twin or made it leak, so the
/// secure twin can tell when it refuses the same parameter. Kept until the
/// lesson is reset; only the latest few are kept.
async fn remember_harmful(state: &AppState, segment: &Segment<'_>) {
    let print = fingerprint(segment);
    if print.len() > HARMFUL_LONGEST {
        return;
    }
    let mut kept = harmful(state).await;
    if kept.contains(&print) {
        return;
    }
    kept.push(print);
    let excess = kept.len().saturating_sub(HARMFUL_KEPT);
    kept.drain(..excess);
    let bytes = serde_json::to_vec(&kept).unwrap_or_default();
    if let Err(error) = state
        .progress
        .set_lab_state(LOCAL_LEARNER, LESSON, HARMFUL_KEY, bytes)
        .await
    {
        eprintln!("safelab: could not keep the parameters lesson's lab state: {error}");
    }
}

/// Whether any of `segments` once broke the insecure twin or made it leak.
async fn any_was_harmful(state: &AppState, segments: &[Segment<'_>]) -> bool {
    let kept = harmful(state).await;
    !kept.is_empty()
        && segments
            .iter()
            .any(|segment| kept.contains(&fingerprint(segment)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_splits_into_its_pieces_as_sent() {
        let pieces = segments("year=2021&&region=N%C3%B6rth&flag&columns=a=b&");
        let names: Vec<&str> = pieces.iter().map(|piece| piece.name).collect();
        assert_eq!(names, ["year", "region", "flag", "columns"]);
        assert_eq!(pieces[1].value, "N%C3%B6rth");
        assert_eq!(pieces[2].value, "");
        assert_eq!(pieces[3].value, "a=b");
        assert_eq!(pieces[3].raw, "columns=a=b");
        assert!(segments("").is_empty());
    }

    #[test]
    fn a_fingerprint_is_the_same_however_the_parameter_was_encoded() {
        let print = |raw| fingerprint(&segments(raw)[0]);
        assert_eq!(print("columns=a,b"), print("columns=a%2Cb"));
        assert_eq!(print("region=North+East"), print("region=North%20East"));
        assert_eq!(print("year=%zz"), "year=%zz");
        assert_eq!(print("year=%"), "year=%");
        assert_eq!(print("region=%ff"), "region=\u{fffd}");
    }
}
