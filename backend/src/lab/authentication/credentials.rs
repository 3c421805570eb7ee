//! Reading credentials out of a request, the same way for both twins: HTTP
//! Basic, a bearer token, a cookie, query parameters and a login body (JSON
//! or a form). What each twin accepts, and from where, is the twin's call.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// The longest user name either twin reads.
pub(super) const LONGEST_NAME: usize = 64;
/// The longest password either twin reads.
pub(super) const LONGEST_PASSWORD: usize = 1024;

/// A user name and a password, as a client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// Refuses names and passwords too long to be real.
    fn checked(user: String, password: String) -> Result<Self, String> {
        if user.len() > LONGEST_NAME || password.len() > LONGEST_PASSWORD {
            return Err(format!(
                "a user name has at most {LONGEST_NAME} bytes and a password at most {LONGEST_PASSWORD}"
            ));
        }
        Ok(Self { user, password })
    }
}

/// The `Authorization: Basic …` credentials: `None` when the request has
/// none, an error a person can act on when they are malformed. Base64 is an
/// encoding anyone can undo: this is all it takes to read them.
pub(super) fn basic(headers: &HeaderMap) -> Option<Result<Credentials, String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    Some(match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((user, password)) => Credentials::checked(user.to_owned(), password.to_owned()),
        None => Err(
            "Authorization: Basic takes base64 of user:password (UTF-8): requests builds it from auth=(user, password)"
                .to_owned(),
        ),
    })
}

/// The token of an `Authorization: Bearer …` header.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

pub(super) use crate::lab::cookie;

/// The `name=value` pairs of a query string or form body, decoded the
/// forgiving way (`+` is a space, a broken `%` escape stays as it is).
pub(super) fn form_pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// The value of the first parameter `name` of a query string.
pub(super) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_pairs(query.unwrap_or_default())
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// A login body as JSON.
#[derive(Debug, Deserialize)]
struct LoginJson {
    username: String,
    password: String,
}

/// The credentials of a login: `Authorization: Basic`, or a body with
/// `username` and `password`, as JSON or as a form.
pub(super) fn login(headers: &HeaderMap, body: &[u8]) -> Result<Credentials, String> {
    if let Some(basic) = basic(headers) {
        return basic;
    }
    const EXPECTED: &str = "send {\"username\": …, \"password\": …} as JSON (requests: json={…}), a form (data={…}) or Authorization: Basic";
    let text = std::str::from_utf8(body).map_err(|_| EXPECTED.to_owned())?;
    if text.trim_start().starts_with('{') {
        let login: LoginJson = serde_json::from_str(text).map_err(|_| EXPECTED.to_owned())?;
        return Credentials::checked(login.username, login.password);
    }
    let pairs = form_pairs(text.trim());
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    match (field("username"), field("password")) {
        (Some(user), Some(password)) => Credentials::checked(user, password),
        _ => Err(EXPECTED.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("a header value"));
        headers
    }

    #[test]
    fn basic_credentials_are_base64_anyone_can_undo() {
        let headers = with(
            header::AUTHORIZATION,
            "Basic YW1hcmE6S2lsaW1hbmphcm8tMjAxOQ==",
        );
        let password = basic(&headers).expect("Basic").expect("well formed");
        assert_eq!(password.user, "amara");
        assert_eq!(password.password, "Kilimanjaro-2019");
        assert!(basic(&with(header::AUTHORIZATION, "Basic !!!")).is_some_and(|b| b.is_err()));
        assert!(basic(&with(header::AUTHORIZATION, "Bearer abc")).is_none());
        assert_eq!(
            bearer(&with(header::AUTHORIZATION, "bearer abc")),
            Some("abc")
        );
    }

    #[test]
    fn a_login_reads_json_forms_and_basic() {
        let json = login(
            &HeaderMap::new(),
            br#"{"username": "ning", "password": "a b"}"#,
        );
        let form = login(&HeaderMap::new(), b"username=ning&password=a+b");
        assert_eq!(json, form);
        assert_eq!(form.expect("a form").password, "a b");
        assert!(login(&HeaderMap::new(), b"username=ning").is_err());
        assert!(login(&HeaderMap::new(), &[0xff, 0xfe]).is_err());
        let long = format!(
            "username=ning&password={}",
            "x".repeat(LONGEST_PASSWORD + 1)
        );
        assert!(login(&HeaderMap::new(), long.as_bytes()).is_err());
    }

    #[test]
    fn forms_decode_the_forgiving_way() {
        assert_eq!(
            form_pairs("a=b+c&&d=%zz&e"),
            [
                ("a".to_owned(), "b c".to_owned()),
                ("d".to_owned(), "%zz".to_owned()),
                ("e".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn cookies_are_found_by_name() {
        let headers = with(header::COOKIE, "theme=dark; session=session-1001");
        assert_eq!(cookie(&headers, "session"), Some("session-1001"));
        assert_eq!(cookie(&headers, "__Host-session"), None);
    }
}
