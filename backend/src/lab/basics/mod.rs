//! Lesson `basics`, "How the web works": plain endpoints that show the parts of
//! an HTTP exchange. Nothing here is insecure; these are the shapes later
//! lessons break. Its challenges are solved by what a request asked for: a
//! header of the learner's own, JSON by `Accept`, a compressed answer, and
//! HTTPS from Python.

use std::io::Write;

use axum::extract::{Extension, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use flate2::Compression;
use flate2::write::GzEncoder;
use hyper::ext::ReasonPhrase;
use safelab_protocol::ListenerId;
use serde_json::json;

use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::negotiation;
use crate::progress::Exercise;
use crate::received::ReceivedHead;

/// The lesson's id.
const LESSON: &str = "basics";

/// A header the learner made up arrived at the echo.
const CUSTOM_HEADER: Exercise = Exercise {
    lesson: LESSON,
    id: "custom-header",
};
/// `/lab/admissions` answered JSON because `Accept` asked for it.
const ASK_FOR_JSON: Exercise = Exercise {
    lesson: LESSON,
    id: "ask-for-json",
};
/// `/lab/data.json` travelled gzip-compressed because the client allowed it.
const COMPRESSED: Exercise = Exercise {
    lesson: LESSON,
    id: "compressed",
};
/// Python `requests` completed an HTTPS request to the lab (which it does by
/// default only when it verified the chain: `verify="safelab-ca.pem"`).
const HTTPS_FROM_PYTHON: Exercise = Exercise {
    lesson: LESSON,
    id: "https-from-python",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: "/lab/hello",
            twin: None,
            summary: "plain text",
        },
        Endpoint {
            method: "GET",
            path: "/lab/data.json",
            twin: None,
            summary: "JSON: a small synthetic data set; gzip-compressed if you send Accept-Encoding: gzip",
        },
        Endpoint {
            method: "GET",
            path: "/lab/admissions",
            twin: None,
            summary: "the same data as HTML, JSON or CSV, whichever your Accept header prefers",
        },
        Endpoint {
            method: "GET",
            path: "/lab/page.html",
            twin: None,
            summary: "an HTML page",
        },
        Endpoint {
            method: "ANY",
            path: "/lab/status/{code}",
            twin: None,
            summary: "any final status code from 200 to 599; 3xx codes redirect to /lab/redirected",
        },
        Endpoint {
            method: "ANY",
            path: REDIRECT_TARGET,
            twin: None,
            summary: "where redirects land: says which method arrived",
        },
        Endpoint {
            method: "ANY",
            path: "/lab/headers",
            twin: None,
            summary: "the headers of your request as the server received them, as JSON",
        },
    ],
    exercises: &[CUSTOM_HEADER, ASK_FOR_JSON, COMPRESSED, HTTPS_FROM_PYTHON],
    routes,
    reset: super::nothing_to_restore,
    examples: &[],
};

/// Where every 3xx of `/lab/status/{code}` points.
const REDIRECT_TARGET: &str = "/lab/redirected";

/// The lesson's routes.
fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/hello", get(hello))
        .route("/lab/data.json", get(data))
        .route("/lab/admissions", get(admissions))
        .route("/lab/page.html", get(page))
        .route("/lab/status/{code}", any(status))
        .route(REDIRECT_TARGET, any(redirected))
        .route("/lab/headers", any(headers))
}

async fn hello(
    State(state): State<AppState>,
    Extension(listener): Extension<ListenerId>,
    request_headers: HeaderMap,
) -> impl IntoResponse {
    let from_requests = request_headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|agent| agent.starts_with("python-requests/"));
    if listener == ListenerId::Https && from_requests {
        state.solved(HTTPS_FROM_PYTHON).await;
    }
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Hello from the safelab lab! This answer is plain text.\n",
    )
}

/// The lesson's small synthetic data set: no real person is in it.
const COLUMNS: [&str; 4] = ["year", "region", "admissions", "median_stay_days"];
const ROWS: [(u16, &str, u32, f64); 6] = [
    (2021, "North", 1204, 3.5),
    (2021, "South", 987, 4.0),
    (2022, "North", 1311, 3.2),
    (2022, "South", 1050, 3.8),
    (2023, "North", 1288, 3.1),
    (2023, "South", 1102, 3.6),
];

fn data_json() -> serde_json::Value {
    json!({
        "dataset": "clinic admissions (synthetic)",
        "columns": COLUMNS,
        "rows": ROWS
            .iter()
            .map(|(year, region, admissions, stay)| json!([year, region, admissions, stay]))
            .collect::<Vec<_>>(),
    })
}

/// The data set as JSON, compressed with gzip when the client says it can
/// unpack it: the body's type (`Content-Type`) stays JSON either way, only how
/// it travels (`Content-Encoding`) changes.
async fn data(State(state): State<AppState>, request_headers: HeaderMap) -> Response {
    let body = data_json().to_string();
    let response = respond(&request_headers, "application/json", body.into_bytes());
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        state.solved(COMPRESSED).await;
    }
    response
}

/// The same data in the representation the client's `Accept` prefers: HTML
/// for a browser (and for `*/*`), JSON or CSV for scripts that ask, and 406
/// for a type this endpoint cannot produce.
async fn admissions(State(state): State<AppState>, request_headers: HeaderMap) -> Response {
    const OFFERED: [&str; 3] = ["text/html", "application/json", "text/csv"];
    let accept = request_headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let Some(chosen) = negotiation::choose(accept, &OFFERED) else {
        let mut response = (
            StatusCode::NOT_ACCEPTABLE,
            Json(json!({
                "error": format!(
                    "this endpoint cannot answer with {:?}: it offers {}",
                    accept.unwrap_or_default(),
                    OFFERED.join(", ")
                ),
                "available": OFFERED,
            })),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return response;
    };
    if chosen == "application/json" {
        state.solved(ASK_FOR_JSON).await;
    }
    let body = match chosen {
        "application/json" => data_json().to_string(),
        "text/csv" => {
            let mut csv = COLUMNS.join(",");
            for (year, region, admissions, stay) in ROWS {
                csv.push_str(&format!("\n{year},{region},{admissions},{stay}"));
            }
            csv.push('\n');
            csv
        }
        _ => {
            let mut html = String::from(
                "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n\
                 <title>Clinic admissions (synthetic)</title>\n<h1>Clinic admissions (synthetic)</h1>\n\
                 <p>A page for people. Scripts can ask this URL for JSON or CSV with an Accept header.</p>\n<table>\n<tr>",
            );
            for column in COLUMNS {
                html.push_str(&format!("<th>{column}</th>"));
            }
            html.push_str("</tr>\n");
            for (year, region, admissions, stay) in ROWS {
                html.push_str(&format!(
                    "<tr><td>{year}</td><td>{region}</td><td>{admissions}</td><td>{stay}</td></tr>\n"
                ));
            }
            html.push_str("</table>\n");
            html
        }
    };
    let content_type = match chosen {
        "application/json" => "application/json",
        "text/csv" => "text/csv; charset=utf-8",
        _ => "text/html; charset=utf-8",
    };
    let mut response = respond(&request_headers, content_type, body.into_bytes());
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    response
}

/// A 200 with `body` of `content_type`, gzip-compressed if the request allows.
fn respond(request_headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let accept_encoding = request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok());
    let gzipped = negotiation::allows(accept_encoding, "gzip")
        .then(|| {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
            encoder.write_all(&body).ok()?;
            encoder.finish().ok()
        })
        .flatten();
    let mut response = match gzipped {
        Some(compressed) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            compressed,
        )
            .into_response(),
        None => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

/// Answers with the status code in the path. Codes 200–599 are sent as they
/// are, 3xx with a `Location` to follow; 1xx codes are interim by definition (a
/// final response must follow), so the answer is a 200 that says so instead.
async fn status(Path(code): Path<String>) -> Response {
    let Some(status) = code
        .parse::<u16>()
        .ok()
        .filter(|code| (100..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!("{code:?} is not a status code: use a number from 100 to 599"),
            })),
        )
            .into_response();
    };
    let code = status.as_u16();
    let reason = status.canonical_reason();
    if status.is_informational() {
        let note = format!(
            "{code} {} is an interim response: a server sends it before the final one, so it cannot end an exchange. This 200 stands in for it.",
            reason.unwrap_or("(no registered reason phrase)")
        );
        return Json(json!({"status": code, "reason": reason, "note": note})).into_response();
    }
    let redirects = status.is_redirection() && status != StatusCode::NOT_MODIFIED;
    let mut response = if matches!(code, 204 | 205 | 304) {
        // These must not carry a body.
        status.into_response()
    } else {
        let mut body = json!({"status": code, "reason": reason});
        if redirects {
            body["location"] = json!(REDIRECT_TARGET);
        }
        if reason.is_none() {
            body["note"] = json!(format!(
                "{code} has no registered reason phrase, so the status line carries none"
            ));
        }
        (status, Json(body)).into_response()
    };
    if redirects {
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(REDIRECT_TARGET));
    }
    if reason.is_none() {
        // hyper would write "<none>"; the status line may end after the code.
        response
            .extensions_mut()
            .insert(ReasonPhrase::from_static(b""));
    }
    response
}

/// Where the lab's redirects land: says which method arrived, because that is
/// what differs between redirect codes.
async fn redirected(request: Request) -> Json<serde_json::Value> {
    let method = request.method().as_str().to_owned();
    Json(json!({
        "arrived_with": method,
        "note": "You followed a redirect to here. After a 307 or 308 a client repeats the same method and body; after a 301, 302 or 303 it switches to GET (as browsers and Python requests do).",
    }))
}

/// A header's value as the echo shows it. Cookies never: a browser sends the
/// lab the cookies it keeps for this machine's name, which other local
/// services (a notebook server, a dashboard) set too, since cookies ignore
/// ports; a page could read them through the echo.
fn shown_value(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("cookie") {
        format!(
            "(hidden: {} bytes; cookies for this machine belong to every local service, so the lab never shows them)",
            value.len()
        )
    } else {
        value.to_owned()
    }
}

/// Echoes the request line and headers as the server received them, names
/// spelt as the client sent them, so a learner can see what their client
/// really sent (and that a custom header arrives unchanged).
async fn headers(State(state): State<AppState>, request: Request) -> Json<serde_json::Value> {
    let made_up = request
        .headers()
        .keys()
        .any(|name| name.as_str().starts_with("x-"));
    if made_up {
        state.solved(CUSTOM_HEADER).await;
    }
    let received = request.extensions().get::<ReceivedHead>();
    let header_pairs: Vec<serde_json::Value> = match received {
        Some(head) => head
            .headers
            .iter()
            .map(|(name, value)| json!([name, shown_value(name, value)]))
            .collect(),
        // Not told apart on this connection (after a chunked body): the names
        // as the HTTP library normalised them, in lower case.
        None => request
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                json!([name.as_str(), shown_value(name.as_str(), &value)])
            })
            .collect(),
    };
    Json(json!({
        "method": request.method().as_str(),
        "path": request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        "version": format!("{:?}", request.version()),
        "headers": header_pairs,
        "names_as_sent": received.is_some(),
    }))
}
