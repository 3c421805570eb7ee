//! INSECURE BY DESIGN, for lesson `authentication` ("Authentication"); its
//! secure twin is `secure.rs` beside this file, under `/lab/secure/auth/…`.
//!
//! The clinic's statistics API as a first version would have it: it takes a
//! password in the URL (`?user=…&password=…`) or in custom `X-User` and
//! `X-Password` headers and writes both into its access log; it accepts HTTP
//! Basic over plain HTTP; it compares passwords as plain text, answers "no
//! such user" and "wrong password" differently, and never slows a guesser
//! down; its tokens count up (`session-1001`, `session-1002`, …), never
//! expire, and still work after a logout, which only deletes the cookie; the
//! cookie has no `Secure`, `HttpOnly` or `SameSite`. It serves no security
//! headers. The accounts are the lab's made-up ones.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use safelab_protocol::ListenerId;
use serde_json::json;

use super::access_log::{self, Entry};
use super::credentials::{self, Credentials};
use super::{
    AMARA, Client, ENUMERATE_USER, GUESS_PASSWORD, PASSWORD_IN_LOG, REPORTS, REUSE_TOKEN,
    SNIFF_BASIC, User, capture, host_of, refusal, report, user,
};
use crate::AppState;

/// The report behind a password in the URL, custom headers or a token.
pub(super) const REPORT: &str = "/lab/insecure/auth/report";
/// The report behind HTTP Basic.
pub(super) const BASIC: &str = "/lab/insecure/auth/basic";
/// The login.
pub(super) const LOGIN: &str = "/lab/insecure/auth/login";
/// The logout.
pub(super) const LOGOUT: &str = "/lab/insecure/auth/logout";
/// The access log.
pub(super) const ACCESS_LOG: &str = "/lab/insecure/auth/access-log";
/// The recorded plain-HTTP exchange.
pub(super) const CAPTURE: &str = "/lab/insecure/auth/capture";

/// The name of the insecure twin's session cookie.
const COOKIE: &str = "session";

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(REPORT, get(report_page))
        .route(BASIC, get(basic))
        .route(LOGIN, post(login))
        .route(LOGOUT, post(logout))
        .route(ACCESS_LOG, get(access_log))
        .route(CAPTURE, get(capture))
}

/// The insecure twin's sessions: a counter for tokens, and every token ever
/// issued, logged out or not (the most recent [`MOST_SESSIONS`]).
#[derive(Debug, Default)]
pub(super) struct Sessions {
    issued: Mutex<Issued>,
}

#[derive(Debug, Default)]
struct Issued {
    count: u64,
    tokens: HashMap<String, Token>,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    user: &'static User,
    number: u64,
    logged_out: bool,
}

/// How many tokens the insecure twin remembers.
const MOST_SESSIONS: usize = 1024;

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Issued> {
        super::super::lock(&self.issued)
    }

    /// The next token in line for `user`.
    fn issue(&self, user: &'static User) -> String {
        let mut issued = self.lock();
        issued.count += 1;
        let number = 1000 + issued.count;
        if issued.tokens.len() >= MOST_SESSIONS {
            let oldest = issued
                .tokens
                .iter()
                .min_by_key(|(_, token)| token.number)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                issued.tokens.remove(&oldest);
            }
        }
        let token = format!("session-{number}");
        issued.tokens.insert(
            token.clone(),
            Token {
                user,
                number,
                logged_out: false,
            },
        );
        token
    }

    /// The token `token`, logged out or not.
    fn find(&self, token: &str) -> Option<Token> {
        self.lock().tokens.get(token).copied()
    }

    /// Notes that `token` was logged out, and keeps it working.
    fn log_out(&self, token: &str) -> bool {
        self.lock()
            .tokens
            .get_mut(token)
            .map(|token| token.logged_out = true)
            .is_some()
    }

    /// Forgets every token and restarts the counter.
    pub(super) fn clear(&self) {
        *self.lock() = Issued::default();
    }
}

/// Writes `request` to the access log the way the imaginary app does: the
/// whole URL, and in debug mode its custom headers too.
fn log(state: &AppState, request: &Parts, client: Client, user: Option<&str>, status: StatusCode) {
    let target = request.uri.path_and_query().map_or_else(
        || request.uri.path().to_owned(),
        |target| target.as_str().to_owned(),
    );
    let mut lines = vec![access_log::combined(
        request, client.0, user, &target, status,
    )];
    let query = request.uri.query();
    let in_url = credentials::query_value(query, "password").is_some_and(|p| !p.is_empty());
    let mut password = in_url;
    if let Some(header_password) = text(&request.headers, "x-password") {
        password |= !header_password.is_empty();
        lines.push(format!(
            "DEBUG request headers: X-User: {} X-Password: {}",
            access_log::printable(text(&request.headers, "x-user").unwrap_or_default()),
            access_log::printable(header_password)
        ));
    }
    let scheme = match request.extensions.get::<ListenerId>() {
        Some(ListenerId::Https) => "https",
        _ => "http",
    };
    let host = text(&request.headers, "host").unwrap_or("localhost");
    state.labs.authentication.insecure_log.record(Entry {
        lines,
        password,
        url_with_password: in_url
            .then(|| format!("{scheme}://{}{target}", access_log::printable(host))),
    });
}

/// A header's value as text.
fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Why the careless check refused a password: two reasons, two answers.
#[derive(Debug, Clone, Copy)]
enum Refused {
    NoSuchUser,
    WrongPassword(&'static User),
}

impl Refused {
    /// The answer, which says which reason it was.
    fn answer(self, name: &str) -> Response {
        match self {
            Self::NoSuchUser => refusal(
                StatusCode::NOT_FOUND,
                "no_such_user",
                format!("there is no user {name}"),
            ),
            Self::WrongPassword(user) => refusal(
                StatusCode::UNAUTHORIZED,
                "wrong_password",
                format!("wrong password for {}", user.name),
            ),
        }
    }
}

/// Checks a password the careless way: plain text, and a different reason
/// for a name that has no account.
fn check(password: &Credentials) -> Result<&'static User, Refused> {
    match user(&password.user) {
        None => Err(Refused::NoSuchUser),
        Some(user) if user.password == password.password => Ok(user),
        Some(user) => Err(Refused::WrongPassword(user)),
    }
}

/// The report, for whatever credentials came: a password in the URL or in
/// headers, a token, or the session cookie.
async fn report_page(State(state): State<AppState>, client: Client, request: Parts) -> Response {
    let query = request.uri.query();
    let from_url = credentials::query_value(query, "user")
        .zip(credentials::query_value(query, "password"))
        .map(|(user, password)| (Credentials { user, password }, "password in the URL"));
    let from_headers = text(&request.headers, "x-user")
        .zip(text(&request.headers, "x-password"))
        .map(|(user, password)| {
            let password = Credentials {
                user: user.to_owned(),
                password: password.to_owned(),
            };
            (password, "X-User and X-Password headers")
        });
    let token = credentials::bearer(&request.headers)
        .or_else(|| credentials::cookie(&request.headers, COOKIE));
    let (response, who) = match (from_url.or(from_headers), token) {
        (Some((password, how)), _) => match check(&password) {
            Ok(user) => (Json(report(user, how)).into_response(), Some(user.name)),
            Err(refused) => (refused.answer(&password.user), None),
        },
        (None, Some(token)) => match state.labs.authentication.insecure_sessions.find(token) {
            Some(found) => {
                if found.logged_out {
                    state.solved(REUSE_TOKEN).await;
                }
                let how = if found.logged_out {
                    "a token that was logged out (it still works)"
                } else {
                    "a token"
                };
                (
                    Json(report(found.user, how)).into_response(),
                    Some(found.user.name),
                )
            }
            None => (
                refusal(
                    StatusCode::UNAUTHORIZED,
                    "unknown_token",
                    format!("{token} is no token of ours: log in at {LOGIN}"),
                ),
                None,
            ),
        },
        (None, None) => (
            refusal(
                StatusCode::UNAUTHORIZED,
                "log_in",
                format!(
                    "log in: ?user=…&password=…, X-User and X-Password headers, or a token from {LOGIN}"
                ),
            ),
            None,
        ),
    };
    log(&state, &request, client, who, response.status());
    response
}

/// The report behind HTTP Basic, over plain HTTP as happily as over HTTPS.
async fn basic(State(state): State<AppState>, client: Client, request: Parts) -> Response {
    let (response, who) = match credentials::basic(&request.headers) {
        None => (
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"clinic-stats\"")],
                Json(json!({
                    "error": "log_in",
                    "message": "send Authorization: Basic with base64 of user:password (requests: auth=(user, password))",
                })),
            )
                .into_response(),
            None,
        ),
        Some(Err(message)) => (
            refusal(StatusCode::BAD_REQUEST, "bad_basic", message),
            None,
        ),
        Some(Ok(password)) => match check(&password) {
            Ok(user) => {
                if *user == AMARA {
                    state.solved(SNIFF_BASIC).await;
                }
                (Json(report(user, "basic")).into_response(), Some(user.name))
            }
            Err(refused) => (refused.answer(&password.user), None),
        },
    };
    log(&state, &request, client, who, response.status());
    response
}

/// The login: a token and a cookie for the right password, and a different
/// answer for each way it can go wrong.
async fn login(
    State(state): State<AppState>,
    client: Client,
    request: Parts,
    body: Bytes,
) -> Response {
    let (response, who) = match credentials::login(&request.headers, &body) {
        Err(message) => (refusal(StatusCode::BAD_REQUEST, "bad_login", message), None),
        Ok(password) => match check(&password) {
            Ok(user) => {
                if *user == REPORTS {
                    state.solved(ENUMERATE_USER).await;
                    state.solved(GUESS_PASSWORD).await;
                }
                let token = state.labs.authentication.insecure_sessions.issue(user);
                let cookie = format!("{COOKIE}={token}");
                let answer = json!({
                    "user": user.name,
                    "token": token,
                    "token_type": "Bearer",
                    "expires_in": null,
                });
                (
                    ([(header::SET_COOKIE, cookie)], Json(answer)).into_response(),
                    Some(user.name),
                )
            }
            Err(refused) => {
                if matches!(refused, Refused::WrongPassword(user) if *user == REPORTS) {
                    state.solved(ENUMERATE_USER).await;
                }
                (refused.answer(&password.user), None)
            }
        },
    };
    log(&state, &request, client, who, response.status());
    response
}

/// The logout: tells the browser to forget the cookie, and keeps the token
/// working on the server.
async fn logout(State(state): State<AppState>, client: Client, request: Parts) -> Response {
    let token = credentials::bearer(&request.headers)
        .or_else(|| credentials::cookie(&request.headers, COOKIE));
    let response = match token {
        Some(token) if state.labs.authentication.insecure_sessions.log_out(token) => (
            [(header::SET_COOKIE, format!("{COOKIE}=; Max-Age=0"))],
            Json(json!({ "logged_out": true })),
        )
            .into_response(),
        _ => refusal(
            StatusCode::UNAUTHORIZED,
            "log_in",
            format!("send the token {LOGIN} gave you (Authorization: Bearer …) or its cookie"),
        ),
    };
    log(&state, &request, client, None, response.status());
    response
}

/// The access log, passwords and all, and what a browser would have sent
/// as `Referer` from the latest page whose URL held one.
async fn access_log(State(state): State<AppState>) -> Response {
    let entries = state.labs.authentication.insecure_log.entries();
    if entries.iter().any(|entry| entry.password) {
        state.solved(PASSWORD_IN_LOG).await;
    }
    let referer = entries
        .iter()
        .rev()
        .find_map(|entry| entry.url_with_password.as_ref());
    let log: Vec<&String> = entries.iter().flat_map(|entry| &entry.lines).collect();
    Json(json!({
        "log": log,
        "referer": referer.map(|url| format!("Referer: {url}")),
        "about": "every request line this twin answered, latest last; referer: what a request made from the latest page whose URL held a password carries in its Referer header (same-site always; cross-site under a lax Referrer-Policy)",
    }))
    .into_response()
}

/// The colleague's exchange, recorded over plain HTTP.
async fn capture(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        capture::plain(&host_of(&state, ListenerId::Http), BASIC),
    )
        .into_response()
}
