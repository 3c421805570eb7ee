//! Lesson `parameters`, the secure twin of `insecure.rs`: the same data set
//! and the same parameters under `/lab/secure/dataset`, each one checked
//! before it is used. A query string longer than [`MAX_QUERY_BYTES`] is
//! refused with 414; every other mistake gets a 400 whose JSON names the
//! parameter, says what was expected and shows what arrived: a percent-escape
//! that is not `%` and two hex digits, text that is not UTF-8, a name the
//! endpoint does not know, a name given twice, a value of the wrong type, out
//! of range or not on the allowlist. The confidential column is not on the
//! allowlist of columns, so it is never served, and `limit` is capped, so no
//! answer holds more than [`MAX_LIMIT`] rows. No input leads to a 500, and no
//! answer says anything about how the endpoint is built.

use std::fmt::Write as _;
use std::ops::RangeInclusive;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::dataset::{self, Column, Row};
use super::{SECURE_REFUSES, any_was_harmful, segments, slice_json};
use crate::AppState;
use crate::percent;

/// The data set's route.
pub(super) const DATASET: &str = "/lab/secure/dataset";
/// The column description's route.
pub(super) const COLUMNS: &str = "/lab/secure/dataset/columns";

/// The longest query string read; a longer one is refused with 414.
const MAX_QUERY_BYTES: usize = 2048;
/// How many rows an answer holds when `limit` is not given.
const DEFAULT_LIMIT: u64 = 50;
/// The most rows one answer holds.
const MAX_LIMIT: u64 = 500;
/// The parameters this endpoint knows, in the order the rules list them.
const PARAMETERS: [&str; 5] = ["year", "region", "columns", "limit", "offset"];
/// The most characters of a refused value shown back in the error.
const MAX_RECEIVED_SHOWN: usize = 100;

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(DATASET, get(dataset))
        .route(COLUMNS, get(columns))
}

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    /// The query string is longer than this endpoint reads.
    #[error(
        "the query string is {length} bytes long: this endpoint reads at most {MAX_QUERY_BYTES}"
    )]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// One parameter is not what this endpoint takes.
    #[error("parameter {}: expected {expected}, received {}", quoted(.parameter), quoted(.received))]
    Invalid {
        /// The parameter's name (as sent, when it could not be decoded).
        parameter: String,
        /// What the endpoint takes.
        expected: String,
        /// What arrived, shortened when long.
        received: String,
    },
}

impl Refusal {
    fn invalid(parameter: &str, expected: impl Into<String>, received: &str) -> Self {
        let mut shown: String = received.chars().take(MAX_RECEIVED_SHOWN).collect();
        if shown.len() < received.len() {
            shown.push('…');
        }
        Self::Invalid {
            parameter: parameter.to_owned(),
            expected: expected.into(),
            received: shown,
        }
    }

    /// The answer: the status and a JSON body that says what to change.
    fn response(&self) -> Response {
        let (status, parameter, expected, received) = match self {
            Self::TooLong { length } => (
                StatusCode::URI_TOO_LONG,
                None,
                format!("a query string of at most {MAX_QUERY_BYTES} bytes"),
                format!("{length} bytes"),
            ),
            Self::Invalid {
                parameter,
                expected,
                received,
            } => (
                StatusCode::BAD_REQUEST,
                Some(parameter.as_str()),
                expected.clone(),
                received.clone(),
            ),
        };
        let body = json!({
            "error": self.to_string(),
            "parameter": parameter,
            "expected": expected,
            "received": received,
        });
        guarded((status, axum::Json(body)).into_response())
    }
}

/// `text` in double quotes, escaped as JSON escapes it.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// What a valid query string asks for.
#[derive(Debug, PartialEq, Eq)]
struct Slicing {
    year: Option<u16>,
    region: Option<&'static str>,
    columns: Vec<&'static Column>,
    limit: usize,
    offset: usize,
}

/// A slice of the data set, or a refusal that says which parameter to fix.
async fn dataset(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let slicing = match validate(&query) {
        Ok(slicing) => slicing,
        Err(refusal) => {
            if matches!(refusal, Refusal::Invalid { .. })
                && any_was_harmful(&state, &segments(&query)).await
            {
                state.solved(SECURE_REFUSES).await;
            }
            return refusal.response();
        }
    };
    let matching: Vec<&'static Row> = dataset::rows()
        .iter()
        .filter(|row| slicing.year.is_none_or(|year| row.year == year))
        .filter(|row| slicing.region.is_none_or(|region| row.region == region))
        .collect();
    let rows: Vec<&Row> = matching
        .iter()
        .skip(slicing.offset)
        .take(slicing.limit)
        .copied()
        .collect();
    guarded(
        axum::Json(slice_json(
            &slicing.columns,
            &rows,
            matching.len(),
            slicing.offset,
            Some(slicing.limit),
        ))
        .into_response(),
    )
}

/// The public columns and the rule each parameter follows.
async fn columns() -> Response {
    let columns: Vec<_> = dataset::public_columns()
        .map(|column| {
            json!({
                "name": column.name,
                "type": column.kind.name(),
                "description": column.description,
            })
        })
        .collect();
    guarded(
        axum::Json(json!({
            "dataset": dataset::NAME,
            "rows": dataset::ROWS,
            "columns": columns,
            "parameters": {
                "year": expected_year(),
                "region": expected_region(),
                "columns": format!("{} (default: all of them)", expected_columns()),
                "limit": format!("{} (default {DEFAULT_LIMIT})", expected_limit()),
                "offset": format!("{} (default 0)", expected_offset()),
            },
            "refused": format!(
                "a parameter not listed here, a parameter given twice, and a query string over {MAX_QUERY_BYTES} bytes (414)"
            ),
        }))
        .into_response(),
    )
}

/// Tells the browser to take the answer for what its `Content-Type` says,
/// never to guess: the answer may show a value the client sent.
fn guarded(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn expected_year() -> String {
    format!(
        "a year from {} to {}, as digits",
        dataset::YEARS.start(),
        dataset::YEARS.end()
    )
}

fn expected_region() -> String {
    format!("one of {}", dataset::REGIONS.join(", "))
}

fn public_names() -> String {
    dataset::public_columns()
        .map(|column| column.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn expected_columns() -> String {
    format!(
        "public column names separated by commas, each at most once: {}",
        public_names()
    )
}

fn expected_limit() -> String {
    format!("a whole number from 1 to {MAX_LIMIT}")
}

fn expected_offset() -> String {
    format!("a whole number from 0 to {}", dataset::ROWS)
}

/// Checks every parameter of `query`, in the order they came, and stops at
/// the first that is not right.
fn validate(query: &str) -> Result<Slicing, Refusal> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(Refusal::TooLong {
            length: query.len(),
        });
    }
    let mut slicing = Slicing {
        year: None,
        region: None,
        columns: dataset::public_columns().collect(),
        limit: usize::try_from(DEFAULT_LIMIT).unwrap_or(usize::MAX),
        offset: 0,
    };
    let mut seen: Vec<(&str, String)> = Vec::new();
    for segment in segments(query) {
        let name = decode(segment.name)
            .map_err(|expected| Refusal::invalid(segment.name, expected, segment.name))?;
        let Some(&known) = PARAMETERS.iter().find(|known| **known == name) else {
            return Err(Refusal::invalid(
                &name,
                format!("a parameter this endpoint knows: {}", PARAMETERS.join(", ")),
                &name,
            ));
        };
        let value = decode(segment.value)
            .map_err(|expected| Refusal::invalid(known, expected, segment.value))?;
        if let Some((_, first)) = seen.iter().find(|(name, _)| *name == known) {
            return Err(Refusal::invalid(
                known,
                format!("{known} at most once"),
                &format!("{first}, then {value}"),
            ));
        }
        match known {
            "year" => {
                let year = whole_in(
                    &value,
                    u64::from(*dataset::YEARS.start())..=u64::from(*dataset::YEARS.end()),
                )
                .ok_or_else(|| Refusal::invalid(known, expected_year(), &value))?;
                slicing.year = u16::try_from(year).ok();
            }
            "region" => {
                let region = dataset::REGIONS
                    .iter()
                    .find(|region| **region == value)
                    .ok_or_else(|| Refusal::invalid(known, expected_region(), &value))?;
                slicing.region = Some(region);
            }
            "columns" => slicing.columns = allowed_columns(&value)?,
            "limit" => {
                let limit = whole_in(&value, 1..=MAX_LIMIT)
                    .ok_or_else(|| Refusal::invalid(known, expected_limit(), &value))?;
                slicing.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            }
            // `offset`, the last of the known names.
            _ => {
                let most = u64::try_from(dataset::ROWS).unwrap_or(u64::MAX);
                let offset = whole_in(&value, 0..=most)
                    .ok_or_else(|| Refusal::invalid(known, expected_offset(), &value))?;
                slicing.offset = usize::try_from(offset).unwrap_or(usize::MAX);
            }
        }
        seen.push((known, value));
    }
    Ok(slicing)
}

/// Strict percent-decoding: `+` is a space, `%` must be followed by two hex
/// digits, and the bytes must be UTF-8. On failure, what was expected.
fn decode(raw: &str) -> Result<String, &'static str> {
    let decoded = percent::decode_strict(&raw.replace('+', "%20")).map_err(
        |_| "percent-encoding as % and two hexadecimal digits (a comma is %2C, a % itself is %25)",
    )?;
    String::from_utf8(decoded)
        .map_err(|_| "text encoded as UTF-8 before percent-encoding (ö is %C3%B6)")
}

/// `text` as a whole number within `range`: digits only, no sign, no spaces.
fn whole_in(text: &str, range: RangeInclusive<u64>) -> Option<u64> {
    // Nineteen digits always fit a u64; more are out of any range here.
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|number| range.contains(number))
}

/// The columns `value` names, each public and named once.
fn allowed_columns(value: &str) -> Result<Vec<&'static Column>, Refusal> {
    let mut columns: Vec<&'static Column> = Vec::new();
    for item in value.split(',').map(str::trim) {
        let refuse = |expected: String| Err(Refusal::invalid("columns", expected, item));
        if item == "*" {
            return refuse(format!(
                "the names of the columns you need, not *: {}",
                public_names()
            ));
        }
        let Some(column) = dataset::public_columns().find(|column| column.name == item) else {
            if item == dataset::CONFIDENTIAL {
                let mut expected = expected_columns();
                let _ = write!(
                    expected,
                    " ({} is confidential and never served)",
                    dataset::CONFIDENTIAL
                );
                return refuse(expected);
            }
            return refuse(expected_columns());
        };
        if columns.contains(&column) {
            return refuse(format!("each column at most once: {}", public_names()));
        }
        columns.push(column);
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(query: &str) -> (String, String) {
        match validate(query) {
            Err(Refusal::Invalid {
                parameter,
                received,
                ..
            }) => (parameter, received),
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn good_parameters_are_read() {
        let slicing = validate("year=2021&region=North&columns=year%2Cregion&limit=500&offset=10")
            .expect("valid");
        assert_eq!(slicing.year, Some(2021));
        assert_eq!(slicing.region, Some("North"));
        let names: Vec<&str> = slicing.columns.iter().map(|column| column.name).collect();
        assert_eq!(names, ["year", "region"]);
        assert_eq!((slicing.limit, slicing.offset), (500, 10));
        let defaults = validate("").expect("valid");
        assert_eq!(defaults.limit, 50);
        assert!(defaults.columns.iter().all(|column| !column.confidential));
        assert!(validate("columns=year,+region&&").is_ok());
    }

    #[test]
    fn each_mistake_names_its_parameter_and_what_arrived() {
        let cases = [
            ("year=abc", "year", "abc"),
            ("year=2018", "year", "2018"),
            ("year=-2021", "year", "-2021"),
            ("year=+2021", "year", " 2021"),
            (
                "year=99999999999999999999999",
                "year",
                "99999999999999999999999",
            ),
            ("limit=-5", "limit", "-5"),
            ("limit=0", "limit", "0"),
            ("limit=501", "limit", "501"),
            ("offset=3001", "offset", "3001"),
            ("region=N%C3%B6rth", "region", "Nörth"),
            ("region=north", "region", "north"),
            ("region=North'", "region", "North'"),
            ("region=%ff", "region", "%ff"),
            ("region=%zz", "region", "%zz"),
            ("region=%", "region", "%"),
            ("region=North%0d%0a", "region", "North\r\n"),
            ("columns=*", "columns", "*"),
            ("columns=year,national_id", "columns", "national_id"),
            ("columns=year,year", "columns", "year"),
            ("columns=year,,region", "columns", ""),
            ("columns=", "columns", ""),
            ("yaer=2021", "yaer", "yaer"),
            ("y%zzear=2021", "y%zzear", "y%zzear"),
            ("year=2021&year=2022", "year", "2021, then 2022"),
            ("year", "year", ""),
        ];
        for (query, parameter, received) in cases {
            assert_eq!(
                refused(query),
                (parameter.to_owned(), received.to_owned()),
                "{query}"
            );
        }
        let (_, shown) = refused(&format!("region={}", "x".repeat(500)));
        assert_eq!(shown.chars().count(), MAX_RECEIVED_SHOWN + 1);
    }

    #[test]
    fn a_long_query_string_is_refused_whole() {
        let long = format!("region={}", "x".repeat(MAX_QUERY_BYTES));
        assert_eq!(
            validate(&long),
            Err(Refusal::TooLong { length: long.len() })
        );
    }

    #[test]
    fn no_input_escapes_the_checks() {
        // Every short string over an alphabet of troublemakers: never a
        // panic, and never the confidential column.
        let alphabet = [
            "%",
            "f",
            "F",
            "0",
            "=",
            "&",
            "+",
            ",",
            "'",
            "*",
            "-",
            "%ff",
            "%C3",
            "year",
            "columns",
            "national_id",
        ];
        let mut queries = vec![String::new()];
        for _ in 0..3 {
            queries = queries
                .iter()
                .flat_map(|query| alphabet.iter().map(move |piece| format!("{query}{piece}")))
                .collect();
            for query in &queries {
                if let Ok(slicing) = validate(query) {
                    assert!(
                        slicing.columns.iter().all(|column| !column.confidential),
                        "{query}"
                    );
                    assert!(slicing.limit <= 500);
                }
            }
        }
    }
}
