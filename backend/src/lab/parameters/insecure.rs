//! INSECURE BY DESIGN, for lesson `parameters` ("Query parameters"); its
//! secure twin is `secure.rs` beside this file, under `/lab/secure/dataset`.
//!
//! This is the clinic statistics API as a hurried first version would have
//! it: an imaginary Python app that pastes its parameters into an SQL query
//! with string formatting and runs it with `DEBUG = True`. It trusts every
//! parameter: a value its imaginary database cannot take crashes into a 500
//! whose body is the app's debug page (traceback, file paths, the query it
//! built, its settings); `columns` is pasted into the `SELECT` list, so `*` or
//! the confidential column's name serves it; `limit` is pasted too, so a huge
//! one (or `ALL`) returns the whole table. Unknown names are ignored and a
//! repeated name silently keeps its last value.
//!
//! Everything the debug page shows is made up and describes the imaginary app
//! (`/srv/clinic/…`, a database host that does not exist): nothing of the
//! machine safelab runs on, and no real error of safelab's, ever appears in
//! it. The database is emulated: the rows come from [`super::dataset`], and
//! the errors are the ones PostgreSQL would give for the query built.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::dataset::{self, Column, Row};
use super::{
    CONFIDENTIAL_COLUMN, DUMP_TABLE, LEAK_INTERNALS, Segment, remember_harmful, segments,
    slice_json,
};
use crate::AppState;
use crate::percent;

/// The data set's route.
pub(super) const DATASET: &str = "/lab/insecure/dataset";
/// The column description's route.
pub(super) const COLUMNS: &str = "/lab/insecure/dataset/columns";

/// The imaginary app's page size when no `limit` is given.
const DEFAULT_LIMIT: usize = 50;

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(DATASET, get(dataset))
        .route(COLUMNS, get(columns))
}

/// Every column, the confidential one included, as the app's own
/// documentation lists them.
async fn columns() -> Response {
    let columns: Vec<_> = dataset::COLUMNS
        .iter()
        .map(|column| {
            json!({
                "name": column.name,
                "type": column.kind.name(),
                "description": column.description,
            })
        })
        .collect();
    axum::Json(json!({
        "dataset": dataset::NAME,
        "rows": dataset::ROWS,
        "columns": columns,
        "parameters": {
            "year": "the year of admission",
            "region": "the health region",
            "columns": "the columns to return, separated by commas (default: all but national_id)",
            "limit": "how many rows to return (default 50)",
            "offset": "how many rows to skip first (default 0)",
        },
    }))
    .into_response()
}

/// A slice of the data set, or the debug page of whatever broke.
async fn dataset(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let pieces = segments(&query);
    match run(&pieces) {
        Ok(slice) => {
            let confidential = slice.columns.iter().any(|column| column.confidential);
            if confidential && !slice.rows.is_empty() {
                if let Some(culprit) = &slice.columns_from {
                    remember_harmful(&state, culprit).await;
                }
                state.solved(CONFIDENTIAL_COLUMN).await;
            }
            if slice.rows.len() == dataset::ROWS {
                if let Some(culprit) = &slice.limit_from {
                    remember_harmful(&state, culprit).await;
                }
                state.solved(DUMP_TABLE).await;
            }
            axum::Json(slice_json(
                &slice.columns,
                &slice.rows,
                slice.matched,
                slice.offset,
                slice.limit,
            ))
            .into_response()
        }
        Err(crash) => {
            remember_harmful(&state, &crash.culprit).await;
            state.solved(LEAK_INTERNALS).await;
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                crash.debug_page(&query),
            )
                .into_response()
        }
    }
}

/// A parameter as the imaginary app's framework hands it over: decoded, and
/// the piece of the query string it came from.
#[derive(Debug)]
struct Argument<'a> {
    name: String,
    value: String,
    segment: Segment<'a>,
}

/// What the query returned.
#[derive(Debug)]
struct Slice<'a> {
    columns: Vec<&'static Column>,
    rows: Vec<&'static Row>,
    matched: usize,
    offset: usize,
    limit: Option<usize>,
    /// The `columns` parameter, when one chose the columns.
    columns_from: Option<Segment<'a>>,
    /// The `limit` parameter, when one set the limit.
    limit_from: Option<Segment<'a>>,
}

/// How the imaginary app fell over, and everything its debug page shows.
#[derive(Debug)]
struct Crash<'a> {
    /// The last line of the traceback: exception type and message.
    exception: String,
    /// Where it was raised: below the view, or in the framework.
    place: Place,
    /// The arguments as the app read them.
    arguments: Vec<(String, String)>,
    /// The query the app built, when it got that far.
    sql: Option<String>,
    /// The parameter to blame.
    culprit: Segment<'a>,
}

/// Which part of the imaginary app raised.
#[derive(Debug)]
enum Place {
    /// Reading the query string, before the view ran.
    ReadingArguments {
        /// The piece being decoded.
        raw: String,
    },
    /// Running the query the view built.
    RunningQuery,
}

/// Reads the query string the way the imaginary app's framework does, then
/// builds and runs the view's query.
fn run<'a>(pieces: &[Segment<'a>]) -> Result<Slice<'a>, Box<Crash<'a>>> {
    let arguments = read_arguments(pieces)?;
    let get = |name: &str| arguments.iter().find(|argument| argument.name == name);
    let columns_text = get("columns").map_or_else(
        || {
            dataset::public_columns()
                .map(|column| column.name)
                .collect::<Vec<_>>()
                .join(", ")
        },
        |argument| argument.value.clone(),
    );
    // The view, as written: every value pasted straight into the query.
    let mut conditions = Vec::new();
    if let Some(year) = get("year") {
        conditions.push(format!("year = {}", year.value));
    }
    if let Some(region) = get("region") {
        conditions.push(format!("region = '{}'", region.value));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let limit_text = get("limit").map_or_else(
        || DEFAULT_LIMIT.to_string(),
        |argument| argument.value.clone(),
    );
    let offset_text = get("offset").map_or("0", |argument| argument.value.as_str());
    let sql = format!(
        "SELECT {columns_text} FROM admissions{filter} ORDER BY record_id LIMIT {limit_text} OFFSET {offset_text}"
    );
    let crash = |exception: String, culprit: &Argument<'a>| {
        Box::new(Crash {
            exception,
            place: Place::RunningQuery,
            arguments: arguments
                .iter()
                .map(|argument| (argument.name.clone(), argument.value.clone()))
                .collect(),
            sql: Some(sql.clone()),
            culprit: culprit.segment,
        })
    };

    let columns = match get("columns") {
        None => dataset::public_columns().collect(),
        Some(argument) => select_list(&argument.value).map_err(|error| crash(error, argument))?,
    };
    let year = match get("year") {
        None => None,
        Some(argument) => Some(
            number(
                &argument.value,
                if get("region").is_some() {
                    "AND"
                } else {
                    "ORDER"
                },
            )
            .map_err(|error| crash(error, argument))?,
        ),
    };
    let region = match get("region") {
        None => None,
        Some(argument) => {
            Some(string_literal(&argument.value).map_err(|error| crash(error, argument))?)
        }
    };
    let limit = match get("limit") {
        None => Some(DEFAULT_LIMIT),
        Some(argument) if argument.value.trim().eq_ignore_ascii_case("ALL") => None,
        Some(argument) => {
            let limit =
                number(&argument.value, "OFFSET").map_err(|error| crash(error, argument))?;
            Some(row_count(limit, "LIMIT").map_err(|error| crash(error, argument))?)
        }
    };
    let offset = match get("offset") {
        None => 0,
        Some(argument) => {
            let offset = number(&argument.value, "").map_err(|error| crash(error, argument))?;
            row_count(offset, "OFFSET").map_err(|error| crash(error, argument))?
        }
    };

    let matching: Vec<&'static Row> = dataset::rows()
        .iter()
        .filter(|row| year.is_none_or(|year| i128::from(row.year) == year))
        .filter(|row| region.as_deref().is_none_or(|region| row.region == region))
        .collect();
    let rows: Vec<&'static Row> = matching
        .iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .copied()
        .collect();
    // The imaginary app builds its whole answer in memory, and has only so
    // much: past this many cells it runs out, as it would (and the real
    // program never builds an answer that large).
    if rows.len().saturating_mul(columns.len()) > MOST_CELLS
        && let Some(culprit) = get("columns").or_else(|| get("limit"))
    {
        return Err(crash(
            "MemoryError: the answer would not fit in memory".to_owned(),
            culprit,
        ));
    }
    Ok(Slice {
        columns,
        rows,
        matched: matching.len(),
        offset,
        limit,
        columns_from: get("columns").map(|argument| argument.segment),
        limit_from: get("limit").map(|argument| argument.segment),
    })
}

/// The arguments as the imaginary framework reads them: `+` as a space, a
/// valid `%XX` decoded and a broken one kept as it is, then the bytes decoded
/// as UTF-8, which fails on bytes that are not. A repeated name keeps its
/// last value; nobody checks for names the view does not use.
fn read_arguments<'a>(pieces: &[Segment<'a>]) -> Result<Vec<Argument<'a>>, Box<Crash<'a>>> {
    let mut arguments: Vec<Argument<'a>> = Vec::new();
    for segment in pieces {
        let text = |raw: &str| {
            String::from_utf8(unquote_to_bytes(raw)).map_err(|error| {
                Box::new(Crash {
                    exception: unicode_decode_error(error.as_bytes(), error.utf8_error()),
                    place: Place::ReadingArguments {
                        raw: raw.to_owned(),
                    },
                    arguments: Vec::new(),
                    sql: None,
                    culprit: *segment,
                })
            })
        };
        let (name, value) = (text(segment.name)?, text(segment.value)?);
        arguments.retain(|argument| argument.name != name);
        arguments.push(Argument {
            name,
            value,
            segment: *segment,
        });
    }
    Ok(arguments)
}

/// Percent-decoding as Python's `unquote_to_bytes` does it (plus `+` for a
/// space, as forms send it): forgiving, so `%zz` arrives as `%zz`.
fn unquote_to_bytes(text: &str) -> Vec<u8> {
    percent::decode_lenient(&text.replace('+', "%20"))
}

/// Python's message for bytes that are not UTF-8.
fn unicode_decode_error(bytes: &[u8], error: std::str::Utf8Error) -> String {
    let position = error.valid_up_to();
    let byte = bytes.get(position).copied().unwrap_or_default();
    let reason = match error.error_len() {
        None => "unexpected end of data",
        Some(_) if matches!(byte, 0x80..=0xC1 | 0xF5..=0xFF) => "invalid start byte",
        Some(_) => "invalid continuation byte",
    };
    format!(
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0x{byte:02x} in position {position}: {reason}"
    )
}

/// An unquoted name in SQL: letters, digits and `_`, not starting with a digit.
fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What PostgreSQL says about `text` where it expected an expression and
/// `text` is not one it can run.
fn not_a_value(text: &str, next_keyword: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return if next_keyword.is_empty() {
            "psycopg2.errors.SyntaxError: syntax error at end of input".to_owned()
        } else {
            format!("psycopg2.errors.SyntaxError: syntax error at or near \"{next_keyword}\"")
        };
    }
    if is_identifier(trimmed) {
        return format!(
            "psycopg2.errors.UndefinedColumn: column \"{}\" does not exist",
            trimmed.to_ascii_lowercase()
        );
    }
    // The first word that cannot continue the expression: after a number or
    // a name, the word that follows it.
    let mut words = trimmed.split_whitespace();
    let first = words.next().unwrap_or(trimmed);
    let readable = is_identifier(first) || first.bytes().all(|byte| byte.is_ascii_digit());
    let token = if readable {
        words.next().unwrap_or(first)
    } else {
        first
    };
    format!("psycopg2.errors.SyntaxError: syntax error at or near \"{token}\"")
}

/// An integer pasted into the query, as the database reads it.
fn number(text: &str, next_keyword: &str) -> Result<i128, String> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(not_a_value(text, next_keyword));
    }
    // Beyond any bigint: PostgreSQL would read a numeric, which LIMIT and
    // OFFSET refuse and a comparison never matches.
    Ok(trimmed.parse::<i128>().unwrap_or(i128::MAX))
}

/// A `LIMIT` or `OFFSET` count.
fn row_count(count: i128, clause: &str) -> Result<usize, String> {
    if count < 0 {
        let error = if clause == "LIMIT" {
            "InvalidRowCountInLimitClause"
        } else {
            "InvalidRowCountInResultOffsetClause"
        };
        return Err(format!(
            "psycopg2.errors.{error}: {clause} must not be negative"
        ));
    }
    if count > i128::from(i64::MAX) {
        return Err("psycopg2.errors.NumericValueOutOfRange: bigint out of range".to_owned());
    }
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// The text between `'…'` as pasted: a quote inside ends the literal early.
fn string_literal(text: &str) -> Result<String, String> {
    if text.contains('\0') {
        return Err(
            "ValueError: A string literal cannot contain NUL (0x00) characters.".to_owned(),
        );
    }
    match text.split_once('\'') {
        None => Ok(text.to_owned()),
        Some((_, after)) => Err(match after.split_whitespace().next() {
            Some(token) => {
                format!("psycopg2.errors.SyntaxError: syntax error at or near \"{token}\"")
            }
            None => "psycopg2.errors.SyntaxError: unterminated quoted string at or near \"'\""
                .to_owned(),
        }),
    }
}

/// The most cells (rows × columns) the imaginary app can hold in one answer:
/// the whole table, every column, fits several times over.
const MOST_CELLS: usize = 200_000;

/// As many columns as PostgreSQL puts in one `SELECT` list.
const MOST_COLUMNS: usize = 1664;

/// The `SELECT` list as pasted: `*` is every column, the confidential one
/// included; a name may come twice, up to PostgreSQL's own limit.
fn select_list(text: &str) -> Result<Vec<&'static Column>, String> {
    let mut columns = Vec::new();
    let items: Vec<&str> = text.split(',').collect();
    for (index, item) in items.iter().enumerate() {
        if columns.len() > MOST_COLUMNS {
            return Err(format!(
                "psycopg2.errors.ProgramLimitExceeded: target lists can have at most {MOST_COLUMNS} entries"
            ));
        }
        let item = item.trim();
        if item == "*" {
            columns.extend(dataset::COLUMNS.iter());
            continue;
        }
        if !is_identifier(item) {
            let next = if index + 1 < items.len() { "," } else { "FROM" };
            return Err(not_a_value(item, next));
        }
        let Some(column) = dataset::column_named(&item.to_ascii_lowercase()) else {
            return Err(not_a_value(item, ""));
        };
        columns.push(column);
    }
    Ok(columns)
}

/// `text` as Python's `repr` shows a string.
fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut shown = String::with_capacity(text.len() + 2);
    shown.push(quote);
    for character in text.chars() {
        match character {
            '\\' => shown.push_str("\\\\"),
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if c == quote => {
                shown.push('\\');
                shown.push(c);
            }
            c if c.is_control() => shown.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => shown.push(c),
        }
    }
    shown.push(quote);
    shown
}

/// The imaginary app's installation: made up, like everything on its debug page.
const APP_ROOT: &str = "/srv/clinic/stats-api";
const SITE_PACKAGES: &str = "/srv/clinic/stats-api/.venv/lib/python3.11/site-packages";

impl Crash<'_> {
    /// The imaginary app's debug page for this crash, for the request with
    /// this query string.
    fn debug_page(&self, query: &str) -> String {
        let mut page = format!(
            "Internal Server Error\n\n\
             clinic-stats-api 2.3.1 failed while answering GET {DATASET}?{query}\n\
             (DEBUG = True, so here is everything it knows)\n\n\
             Traceback (most recent call last):\n  \
             File \"{SITE_PACKAGES}/clinicweb/app.py\", line 412, in dispatch\n    \
             return view(request)\n"
        );
        match &self.place {
            Place::ReadingArguments { raw } => {
                page.push_str(&format!(
                    "  File \"{APP_ROOT}/stats/views/dataset.py\", line 38, in dataset\n    \
                     args = request.args\n  \
                     File \"{SITE_PACKAGES}/clinicweb/request.py\", line 127, in args\n    \
                     return parse_query(self.query_string)\n  \
                     File \"{SITE_PACKAGES}/clinicweb/request.py\", line 96, in parse_query\n    \
                     text = unquote_to_bytes(raw).decode(\"utf-8\")\n\
                     {}\n\n\
                     Local variables in parse_query():\n  raw = {}\n",
                    self.exception,
                    py_repr(raw)
                ));
            }
            Place::RunningQuery => {
                let arguments: Vec<String> = self
                    .arguments
                    .iter()
                    .map(|(name, value)| format!("{}: {}", py_repr(name), py_repr(value)))
                    .collect();
                page.push_str(&format!(
                    "  File \"{APP_ROOT}/stats/views/dataset.py\", line 61, in dataset\n    \
                     rows = db.fetch_all(sql)\n  \
                     File \"{APP_ROOT}/stats/db.py\", line 34, in fetch_all\n    \
                     cursor.execute(sql)\n\
                     {}\n\n\
                     Local variables in dataset():\n  \
                     args = {{{}}}\n  \
                     sql  = {}\n",
                    self.exception,
                    arguments.join(", "),
                    py_repr(self.sql.as_deref().unwrap_or_default())
                ));
            }
        }
        page.push_str(&format!(
            "\nSettings:\n  \
             APP_ROOT     = '{APP_ROOT}'\n  \
             DATABASE_URL = 'postgresql://stats_reader@db01.clinic.internal:5432/hospital_stats'\n  \
             VERSIONS     = 'Python 3.11.4, clinicweb 0.9.2, psycopg2 2.9.6, PostgreSQL 13.4'\n"
        ));
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(query: &str) -> Result<(usize, Vec<&'static str>), String> {
        let pieces = segments(query);
        run(&pieces)
            .map(|slice| {
                (
                    slice.rows.len(),
                    slice.columns.iter().map(|column| column.name).collect(),
                )
            })
            .map_err(|crash| crash.exception)
    }

    #[test]
    fn good_parameters_slice_the_data_set() {
        let (rows, columns) =
            outcome("year=2021&region=North&columns=year,region&limit=5").expect("a slice");
        assert_eq!((rows, columns), (5, vec!["year", "region"]));
        let pieces = segments("year=2021&region=North&limit=1000");
        let slice = run(&pieces).expect("a slice");
        assert!(
            slice
                .rows
                .iter()
                .all(|row| row.year == 2021 && row.region == "North")
        );
        assert_eq!(slice.rows.len(), slice.matched);
    }

    #[test]
    fn bad_values_crash_with_the_databases_own_words() {
        let cases = [
            ("year=abc", "UndefinedColumn: column \"abc\" does not exist"),
            ("year=", "syntax error at or near \"ORDER\""),
            ("year=2021+OR+1%3D1", "syntax error at or near \"OR\""),
            ("limit=-5", "LIMIT must not be negative"),
            ("offset=-1", "OFFSET must not be negative"),
            ("limit=99999999999999999999", "bigint out of range"),
            ("region=North'", "unterminated quoted string"),
            ("region=North%00", "cannot contain NUL"),
            ("columns=year,,region", "syntax error at or near \",\""),
            ("columns=nope", "column \"nope\" does not exist"),
            (
                "region=%ff",
                "can't decode byte 0xff in position 0: invalid start byte",
            ),
            ("region=N%C3", "unexpected end of data"),
            ("year=%zz", "syntax error at or near \"%zz\""),
        ];
        for (query, expected) in cases {
            let error = outcome(query).expect_err(query);
            assert!(error.contains(expected), "{query}: {error}");
        }
    }

    #[test]
    fn the_insecure_twin_serves_what_it_should_not() {
        let (_, columns) = outcome("columns=*").expect("a slice");
        assert!(columns.contains(&dataset::CONFIDENTIAL));
        let (_, columns) = outcome("columns=year,NATIONAL_ID,year").expect("a slice");
        assert_eq!(columns, ["year", "national_id", "year"]);
        assert_eq!(outcome("limit=ALL").expect("all").0, dataset::ROWS);
        assert_eq!(outcome("limit=100000").expect("all").0, dataset::ROWS);
        assert_eq!(
            outcome("yaer=2021&limit=3000").expect("all").0,
            dataset::ROWS
        );
        assert_eq!(outcome("year=2021&year=2022&limit=1").expect("one").0, 1);
    }

    #[test]
    fn the_debug_page_shows_made_up_internals_only() {
        let pieces = segments("year=abc");
        let Err(crash) = run(&pieces) else {
            panic!("year=abc crashes")
        };
        let page = crash.debug_page("year=abc");
        assert!(page.contains("Traceback (most recent call last)"));
        assert!(page.contains("/srv/clinic/stats-api/stats/views/dataset.py"));
        assert!(page.contains("WHERE year = abc ORDER BY record_id LIMIT 50 OFFSET 0"));
        assert!(!page.contains(env!("CARGO_MANIFEST_DIR")));
        assert!(!page.contains(".rs"));
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'\"\r\n\0"), "'a\\'\"\\r\\n\\x00'");
    }
}
