//! The secure twin of lesson `authentication` ("Authentication"), under
//! `/lab/secure/auth/…`; the insecure one is `insecure.rs` beside this file.
//!
//! Over HTTPS only: over plain HTTP a GET without credentials is redirected
//! to the HTTPS twin (308) and anything that carries a password or a token,
//! or changes state, is refused with `403 use_https` (by then the password
//! has crossed the wire; HSTS, sent over HTTPS, makes a browser never try
//! plain HTTP again). Credentials come in the body or the `Authorization`
//! header only, never the URL; passwords are checked against Argon2id hashes
//! with one verification and one answer whatever went wrong, under a limit
//! per account and per client (429 with `Retry-After`); tokens are random,
//! expire and are revoked by a logout; the cookie is `__Host-session` with
//! `Secure`, `HttpOnly` and `SameSite=Strict`. A login sent by a page of
//! another origin is refused (login CSRF), and the access log names no
//! user (it would list the accounts that exist).

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use safelab_protocol::ListenerId;
use serde_json::json;

use super::access_log::{self, Entry};
use super::credentials::{self, Credentials};
use super::limits::{Standing, Verdict};
use super::passwords::Unavailable;
use super::sessions::LIFETIME;
use super::{Client, LabError, MEET_THE_LIMIT, User, capture, host_of, refusal, report};
use crate::AppState;

/// The report behind a token, the session cookie or Basic.
pub(super) const REPORT: &str = "/lab/secure/auth/report";
/// The report behind HTTP Basic.
pub(super) const BASIC: &str = "/lab/secure/auth/basic";
/// The login.
pub(super) const LOGIN: &str = "/lab/secure/auth/login";
/// The logout.
pub(super) const LOGOUT: &str = "/lab/secure/auth/logout";
/// The access log.
pub(super) const ACCESS_LOG: &str = "/lab/secure/auth/access-log";
/// The recorded HTTPS exchange.
pub(super) const CAPTURE: &str = "/lab/secure/auth/capture";

/// The session cookie: `__Host-` makes a browser refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`, so no other site or subdomain can
/// plant or widen it.
const COOKIE: &str = "__Host-session";
/// The realm both `WWW-Authenticate` challenges name.
const REALM: &str = "clinic-stats";
/// Query parameters that would carry a credential in the URL.
const CREDENTIALS_IN_URL: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "user",
    "username",
];

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(REPORT, get(report_page))
        .route(BASIC, get(basic))
        .route(LOGIN, post(login))
        .route(LOGOUT, post(logout))
        .route(ACCESS_LOG, get(access_log))
        .route(CAPTURE, get(capture))
}

/// A request that arrived over HTTPS. Over plain HTTP, the extractor's
/// rejection is the answer: a redirect to the same URL on the HTTPS
/// listener for a GET or HEAD that carries no credentials, and `403
/// use_https` for anything else, because its password or token has already
/// crossed the network in clear and a redirect would only send it again.
struct OverHttps;

impl FromRequestParts<AppState> for OverHttps {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if parts.extensions.get::<ListenerId>() == Some(&ListenerId::Https) {
            return Ok(Self);
        }
        let target = parts
            .uri
            .path_and_query()
            .map_or(parts.uri.path(), |target| target.as_str());
        let https = format!("https://{}{target}", host_of(state, ListenerId::Https));
        let carries_credentials = parts.headers.contains_key(header::AUTHORIZATION)
            || credentials::cookie(&parts.headers, COOKIE).is_some()
            || parts.headers.contains_key("x-password")
            || credentials_in_url(parts.uri.query()).is_some();
        if !carries_credentials && matches!(parts.method, Method::GET | Method::HEAD) {
            return Err((
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, https.clone())],
                Json(json!({
                    "error": "use_https",
                    "message": format!("this endpoint answers over HTTPS only: {https}"),
                    "https_url": https,
                })),
            )
                .into_response());
        }
        let message = format!(
            "refused over plain HTTP: a request like this one carries a password, a token or a cookie, and anyone on the network can read it on its way. Send it to {https}, and change any password that crossed plain HTTP"
        );
        Err((
            StatusCode::FORBIDDEN,
            Json(json!({
                "error": "use_https",
                "message": message,
                "https_url": https,
            })),
        )
            .into_response())
    }
}

/// The first query parameter that names a credential, if any.
fn credentials_in_url(query: Option<&str>) -> Option<String> {
    credentials::form_pairs(query.unwrap_or_default())
        .into_iter()
        .map(|(name, _)| name)
        .find(|name| CREDENTIALS_IN_URL.contains(&name.to_ascii_lowercase().as_str()))
}

/// Writes `request` to the secure twin's access log: the path and the
/// names of its query parameters, never their values, and `-` for the user:
/// anyone may read this log, and the names of those who logged in would
/// tell which accounts exist.
fn log(state: &AppState, request: &Parts, client: Client, status: StatusCode) {
    let mut target = request.uri.path().to_owned();
    if let Some(query) = request.uri.query() {
        let names: Vec<String> = credentials::form_pairs(query)
            .into_iter()
            .map(|(name, _)| format!("{name}=…"))
            .collect();
        target = format!("{target}?{}", names.join("&"));
    }
    state.labs.authentication.secure_log.record(Entry {
        lines: vec![access_log::combined(
            request, client.0, None, &target, status,
        )],
        password: false,
        url_with_password: None,
    });
}

/// Why a password was refused, with where its client stands.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// Too many attempts by this client: a 429 that says when to try again.
    TooMany(Standing),
    /// Too many failures on the account from everywhere (or too many keys
    /// to remember): a 429 with `Retry-After` only, since the account's
    /// count is not the caller's business.
    Held(u64),
    /// No verification could run: a 503 that says to try again.
    Unavailable(Unavailable),
    /// Wrong, whatever was wrong: an unknown user and a wrong password get
    /// the same status, body and challenge.
    Invalid(Standing),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let too_many = |wait: u64, message: String| {
            LabError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
                .with("message", message)
                .with("retry_after", wait)
                .with_header(header::RETRY_AFTER, HeaderValue::from(wait))
        };
        let error = match self {
            Self::TooMany(standing) => {
                let wait = standing.reset.max(1);
                too_many(
                    wait,
                    format!(
                        "too many failed logins for this account or from this client: try again in {wait} s"
                    ),
                )
                .with_headers(standing.headers())
            }
            Self::Held(wait) => too_many(
                wait,
                format!("too many failed logins: try again in {wait} s"),
            ),
            Self::Unavailable(why) => {
                let message = match why {
                    Unavailable::Busy => {
                        "too many logins are being checked at once: try again in a second"
                    }
                    Unavailable::NoRandomness => {
                        "the system's random number generator failed: try again"
                    }
                };
                LabError::new(StatusCode::SERVICE_UNAVAILABLE, "try_again")
                    .with("message", message)
                    .with("retry_after", 1)
                    .with_header(header::RETRY_AFTER, HeaderValue::from(1))
            }
            Self::Invalid(standing) => {
                LabError::new(StatusCode::UNAUTHORIZED, "invalid_credentials")
                    .with("message", "wrong user name or password")
                    .with_headers(standing.headers())
                    .with_header(header::WWW_AUTHENTICATE, basic_challenge())
            }
        };
        error.into_response()
    }
}

/// The `WWW-Authenticate` challenge for Basic.
fn basic_challenge() -> HeaderValue {
    let challenge = format!("Basic realm=\"{REALM}\", charset=\"UTF-8\"");
    HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Basic"))
}

/// Checks `credentials` under the limits: the user and where its client
/// stands, or why it was refused.
async fn authenticate(
    state: &AppState,
    credentials: Credentials,
    client: Client,
) -> Result<(&'static User, Standing), Refused> {
    let lab = &state.labs.authentication;
    let key = client.rate_key();
    let standing = match lab.limits.attempt(&credentials.user, key, Instant::now()) {
        Verdict::Allowed(standing) => standing,
        Verdict::Caller(standing) => {
            state.solved(MEET_THE_LIMIT).await;
            return Err(Refused::TooMany(standing));
        }
        Verdict::Held { retry_after } => {
            state.solved(MEET_THE_LIMIT).await;
            return Err(Refused::Held(retry_after));
        }
    };
    let name = credentials.user.clone();
    match lab
        .accounts
        .check(credentials.user, credentials.password)
        .await
    {
        Ok(Some(user)) => Ok((user, lab.limits.succeeded(&name, key, Instant::now()))),
        Ok(None) => Err(Refused::Invalid(standing)),
        Err(why) => {
            lab.limits.withdraw(&name, key);
            Err(Refused::Unavailable(why))
        }
    }
}

/// Whether a browser sent this request from a page of another site or
/// origin: `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this
/// HTTPS listener's. Programs (requests, curl) send neither header.
fn from_another_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let own = format!("https://{}", host_of(state, ListenerId::Https));
    let foreign_origin = headers
        .get(header::ORIGIN)
        .is_some_and(|origin| origin.as_bytes() != own.as_bytes());
    cross_site || foreign_origin
}

/// The answer to a missing, unknown, expired or revoked token.
fn invalid_token(description: &str) -> Response {
    let challenge = format!(
        "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""
    );
    LabError::new(StatusCode::UNAUTHORIZED, "invalid_token")
        .with("message", description)
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer")),
        )
        .into_response()
}

/// The session token of a request: its bearer token, else its cookie.
fn token(headers: &HeaderMap) -> Option<&str> {
    credentials::bearer(headers).or_else(|| credentials::cookie(headers, COOKIE))
}

/// The report, for a token, the session cookie or Basic.
async fn report_page(
    _: OverHttps,
    State(state): State<AppState>,
    client: Client,
    request: Parts,
) -> Response {
    let response = if let Some(name) = credentials_in_url(request.uri.query()) {
        let message = format!(
            "credentials never go in a URL (it ends up in logs, history and Referer): remove {name} from the query and log in at {LOGIN}, then send Authorization: Bearer <token>"
        );
        refusal(StatusCode::BAD_REQUEST, "credentials_in_url", message)
    } else if request.headers.contains_key("x-password") {
        let message = "send credentials in the Authorization header: Basic, or Bearer with a token from the login";
        refusal(StatusCode::BAD_REQUEST, "use_authorization_header", message)
    } else if let Some(basic) = credentials::basic(&request.headers) {
        report_for_basic(&state, basic, client).await
    } else if let Some(token) = token(&request.headers) {
        match state
            .labs
            .authentication
            .secure_sessions
            .user(token, Instant::now())
        {
            Ok(user) => Json(report(user, "a token")).into_response(),
            Err(description) => invalid_token(description),
        }
    } else {
        let message = format!("log in at {LOGIN}, then send Authorization: Bearer <token>");
        invalid_token(&message)
    };
    log(&state, &request, client, response.status());
    response
}

/// The report for `Authorization: Basic` credentials, under the limits.
async fn report_for_basic(
    state: &AppState,
    basic: Result<Credentials, String>,
    client: Client,
) -> Response {
    match basic {
        Err(message) => refusal(StatusCode::BAD_REQUEST, "bad_basic", message),
        Ok(credentials) => match authenticate(state, credentials, client).await {
            Ok((user, standing)) => {
                (standing.headers(), Json(report(user, "basic"))).into_response()
            }
            Err(refused) => refused.into_response(),
        },
    }
}

/// The report behind HTTP Basic, over HTTPS only.
async fn basic(
    _: OverHttps,
    State(state): State<AppState>,
    client: Client,
    request: Parts,
) -> Response {
    let response = match credentials::basic(&request.headers) {
        None => LabError::new(StatusCode::UNAUTHORIZED, "log_in")
            .with(
                "message",
                "send Authorization: Basic with base64 of user:password (requests: auth=(user, password))",
            )
            .with_header(header::WWW_AUTHENTICATE, basic_challenge())
            .into_response(),
        Some(basic) => report_for_basic(&state, basic, client).await,
    };
    log(&state, &request, client, response.status());
    response
}

/// The login: a random token that expires, and the session cookie with every
/// flag; one answer for every failure; a 429 after a few; a 403 for a login
/// a page of another origin sent.
async fn login(
    _: OverHttps,
    State(state): State<AppState>,
    client: Client,
    request: Parts,
    body: Bytes,
) -> Response {
    let response = if from_another_origin(&state, &request.headers) {
        refusal(
            StatusCode::FORBIDDEN,
            "cross_site_login",
            "refused: this login was sent by a page of another site or origin (Origin or Sec-Fetch-Site says so), which could log your browser into someone else's account. Log in from the lab itself, or from a program (requests, curl)",
        )
    } else {
        match credentials::login(&request.headers, &body) {
            Err(message) => refusal(StatusCode::BAD_REQUEST, "bad_login", message),
            Ok(credentials) => match authenticate(&state, credentials, client).await {
                Err(refused) => refused.into_response(),
                Ok((user, standing)) => session(&state, user, standing),
            },
        }
    };
    log(&state, &request, client, response.status());
    response
}

/// A new session for `user`, who just logged in: the token, and the cookie
/// with every flag.
fn session(state: &AppState, user: &'static User, standing: Standing) -> Response {
    let sessions = &state.labs.authentication.secure_sessions;
    let Some(token) = sessions.issue(user, Instant::now()) else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            "the system's random number generator failed: try again",
        );
    };
    let lifetime = LIFETIME.as_secs();
    let cookie =
        format!("{COOKIE}={token}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age={lifetime}");
    let answer = json!({
        "user": user.name,
        "token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
    });
    (
        standing.headers(),
        [(header::SET_COOKIE, cookie)],
        Json(answer),
    )
        .into_response()
}

/// The logout: the token stops working at once, and the cookie is deleted.
async fn logout(
    _: OverHttps,
    State(state): State<AppState>,
    client: Client,
    request: Parts,
) -> Response {
    let response = match token(&request.headers) {
        Some(token) if state.labs.authentication.secure_sessions.revoke(token) => (
            [(
                header::SET_COOKIE,
                format!("{COOKIE}=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
            )],
            Json(json!({ "logged_out": true, "revoked": true })),
        )
            .into_response(),
        Some(_) => invalid_token("the token is unknown or was revoked: nothing to log out"),
        None => invalid_token("send the token to revoke: Authorization: Bearer <token>"),
    };
    log(&state, &request, client, response.status());
    response
}

/// The access log: query values never written.
async fn access_log(_: OverHttps, State(state): State<AppState>) -> Response {
    let entries = state.labs.authentication.secure_log.entries();
    let log: Vec<&String> = entries.iter().flat_map(|entry| &entry.lines).collect();
    Json(json!({
        "log": log,
        "referer": null,
        "about": "every request line this twin answered, latest last, with the names of query parameters and never their values; credentials travel in the body or the Authorization header, which no log writes",
    }))
    .into_response()
}

/// The colleague's exchange, recorded over HTTPS.
async fn capture(_: OverHttps, State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        capture::tls(&host_of(&state, ListenerId::Https)),
    )
        .into_response()
}
