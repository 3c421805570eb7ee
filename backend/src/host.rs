//! The guard in front of the app and its API: a request must be addressed to a
//! loopback name. A web page whose DNS name is re-pointed at 127.0.0.1 (DNS
//! rebinding) would otherwise be same-origin with safelab and could drive the
//! inspector from the learner's browser.
//!
//! The authority a request is judged by is the one a server would act on: the
//! request target's, when it is in absolute form (`GET http://host/…`), else the
//! one `Host` header. Two `Host` headers, or a value that is not a plain
//! `host[:port]`, are refused outright rather than guessed at.
//!
//! A request that changes something (any method but GET, HEAD and OPTIONS) must
//! also come from the app's own page: a browser names the page that sent it in
//! `Origin` and `Sec-Fetch-Site`, and another site, a lab page included (the
//! lab is same-site with the app, never same-origin), is refused. Clients that
//! send neither (curl, Python, `safelab reset`) pass: they are the person at the
//! keyboard.

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Middleware: passes requests addressed to loopback, and changes only from
/// the app's own page; refuses the rest.
pub async fn require_loopback(request: Request, next: Next) -> Response {
    match judge(&request).and_then(|()| judge_origin(&request)) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// A change must come from the app's own origin when a browser says where it
/// came from.
fn judge_origin(request: &Request) -> Result<(), AppError> {
    if matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(AppError::CrossOrigin(
            text("origin").unwrap_or(site).to_owned(),
        ));
    }
    if let Some(origin) = text("origin") {
        let own = text("host").map(|host| format!("http://{host}"));
        if own.as_deref() != Some(origin) {
            return Err(AppError::CrossOrigin(origin.to_owned()));
        }
    }
    Ok(())
}

fn judge(request: &Request) -> Result<(), AppError> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(AppError::BadHost(
            "it has two Host headers, and a server cannot know which one is meant".to_owned(),
        ));
    }
    let host = host
        .map(|value| {
            value
                .to_str()
                .map_err(|_| AppError::BadHost("its Host header is not plain text".to_owned()))
        })
        .transpose()?;
    // In absolute form the target's authority wins over Host (RFC 9112 §3.2.2),
    // so both must pass.
    let target = request
        .uri()
        .authority()
        .map(|authority| authority.as_str());
    if host.is_none() && target.is_none() {
        return Err(AppError::BadHost("it has no Host header".to_owned()));
    }
    for authority in [target, host].into_iter().flatten() {
        let name = parse_authority(authority).ok_or_else(|| {
            AppError::BadHost(format!(
                "{authority:?} is not a host name with an optional port"
            ))
        })?;
        if !is_loopback_name(name) {
            return Err(AppError::ForeignHost(authority.to_owned()));
        }
    }
    Ok(())
}

/// The host of `host[:port]`, if the whole value is well formed: a bracketed
/// IPv6 literal or a name of letters, digits, dots and hyphens, then optionally
/// a colon and a port of one to five digits from 1 to 65535.
fn parse_authority(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (literal, rest) = bracketed.split_once(']')?;
            literal.parse::<Ipv6Addr>().ok()?;
            let port = match rest {
                "" => None,
                rest => Some(rest.strip_prefix(':')?),
            };
            (literal, port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let is_name = !host.is_empty()
                && host
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-'));
            if !is_name {
                return None;
            }
            (host, port)
        }
    };
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len())
            && port.bytes().all(|byte| byte.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|port| port > 0)
    });
    port_ok.then_some(host)
}

fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder()
            .method(method)
            .uri("/api/progress/reset")
            .header("host", "127.0.0.1:7878");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).expect("a request")
    }

    #[test]
    fn changes_come_only_from_the_apps_own_page() {
        let passes =
            |method, headers: &[(&str, &str)]| judge_origin(&request(method, headers)).is_ok();
        assert!(passes("POST", &[]), "curl and Python send no Origin");
        assert!(passes(
            "POST",
            &[
                ("origin", "http://127.0.0.1:7878"),
                ("sec-fetch-site", "same-origin")
            ]
        ));
        assert!(passes(
            "GET",
            &[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site")
            ]
        ));
        assert!(!passes(
            "POST",
            &[
                ("origin", "http://127.0.0.1:7879"),
                ("sec-fetch-site", "same-site")
            ]
        ));
        assert!(!passes("POST", &[("origin", "http://evil.example")]));
        assert!(!passes("POST", &[("sec-fetch-site", "cross-site")]));
        assert!(!passes("PUT", &[("origin", "null")]));
    }

    fn verdict(host: &str) -> Result<(), &'static str> {
        match parse_authority(host) {
            None => Err("malformed"),
            Some(name) if is_loopback_name(name) => Ok(()),
            Some(_) => Err("foreign"),
        }
    }

    #[test]
    fn loopback_names_with_or_without_a_port_pass() {
        for host in [
            "localhost:7878",
            "127.0.0.1:7878",
            "[::1]:7878",
            "[::1]",
            "LOCALHOST",
            "127.0.0.2",
            "127.0.0.1:65535",
        ] {
            assert_eq!(verdict(host), Ok(()), "{host}");
        }
    }

    #[test]
    fn foreign_names_are_foreign() {
        for host in [
            "evil.example:7878",
            "localhost.evil.example",
            "10.0.0.1",
            "[::ffff:7f00:1]:80",
        ] {
            assert_eq!(verdict(host), Err("foreign"), "{host}");
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        for host in [
            "",
            "[::1]evil",
            "[::1]:",
            "127.0.0.1:45395.evil.example",
            "127.0.0.1@evil.example",
            "localhost:http",
            "localhost:65536",
            "localhost:0",
            "localhost:007878",
            "localhost:",
            "local host",
            "127.0.0.1:80:80",
            "[127.0.0.1]",
        ] {
            assert_eq!(verdict(host), Err("malformed"), "{host}");
        }
    }
}
