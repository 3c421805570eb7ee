//! Lesson `api`, the secure twin of `insecure.rs`: the same preview under
//! `/lab/secure/preview`, which checks where a request really goes rather
//! than what its text looks like. For the URL and for every redirect it
//! follows, it:
//!
//! 1. parses the URL once, with the same parser that fetches it, and uses
//!    only the parsed parts from then on;
//! 2. takes `http` and `https` only, on ports 80 and 443;
//! 3. refuses userinfo (`user@host`): a preview never needs it, and it is
//!    how a URL hides its real host;
//! 4. resolves the host, and refuses an address that is loopback, private,
//!    link-local, unspecified or otherwise not public, whichever way it was
//!    written (decimal, hex, octal, IPv4 inside IPv6);
//! 5. connects to the address it checked, never resolving the name again
//!    (which would let a name change its answer in between).
//!
//! A refusal is a 400 (a URL it does not take) or a 403 (a destination it
//! will not reach) whose JSON says why. It fetches from the lab's fake
//! network only ([`super::network`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use url::{Host, Url};

use super::network::{self, Service};
use super::{MAX_URL, SECURE_REFUSES_SSRF, preview, url_parameter};
use crate::AppState;
use crate::progress::LOCAL_LEARNER;

/// The preview's route.
pub(in crate::lab::api) const PREVIEW: &str = "/lab/secure/preview";

/// How many redirects it follows, each checked like the first URL.
const MAX_REDIRECTS: usize = 3;

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PREVIEW, get(preview_url))
}

/// Why a URL was not fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    status: StatusCode,
    error: String,
}

fn refuse(status: StatusCode, error: String) -> Refusal {
    Refusal { status, error }
}

/// Where a checked URL goes.
#[derive(Debug)]
struct Destination {
    url: Url,
    address: IpAddr,
    service: Service,
}

/// Fetches `?url=` and the redirects it leads to, each checked.
async fn preview_url(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(requested) = url_parameter(query.as_deref()) else {
        let error = "which page? ?url=http://news.example/".to_owned();
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    };
    match fetch(&requested) {
        Ok(response) => response,
        Err(refusal) => {
            if state
                .labs
                .api
                .preview
                .reached_inside(LOCAL_LEARNER, &requested)
            {
                state.solved(SECURE_REFUSES_SSRF).await;
            }
            (
                refusal.status,
                Json(json!({ "error": refusal.error, "url": requested })),
            )
                .into_response()
        }
    }
}

/// The preview of `requested`, or why it was refused.
fn fetch(requested: &str) -> Result<Response, Refusal> {
    if requested.len() > MAX_URL {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "the URL is {} bytes long: at most {MAX_URL}",
                requested.len()
            ),
        ));
    }
    let first = Url::parse(requested).map_err(|error| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "this is not a URL ({error}): send a full address such as http://news.example/"
            ),
        )
    })?;
    let mut destination = check(first)?;
    let mut hops = Vec::new();
    loop {
        let page = network::fetch(destination.service, &destination.url);
        let Some(location) = &page.location else {
            let answer = preview(
                requested,
                &hops,
                &destination.url,
                destination.address,
                &page,
            );
            return Ok(Json(answer).into_response());
        };
        if hops.len() == MAX_REDIRECTS {
            return Err(refuse(
                StatusCode::BAD_GATEWAY,
                format!("more than {MAX_REDIRECTS} redirects: not followed"),
            ));
        }
        let next = destination.url.join(location).map_err(|error| {
            refuse(
                StatusCode::BAD_GATEWAY,
                format!(
                    "{} redirects to {location:?}, which is not a URL ({error})",
                    destination.url
                ),
            )
        })?;
        hops.push(next.to_string());
        let from = destination.url.clone();
        destination = check(next).map_err(|refusal| Refusal {
            error: format!(
                "{from} redirects to {}: {}",
                hops.last().map_or("", String::as_str),
                refusal.error
            ),
            ..refusal
        })?;
    }
}

/// Checks a parsed URL and finds the one address it may connect to.
fn check(url: Url) -> Result<Destination, Refusal> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("{} URLs are not fetched: http and https only", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "a URL with userinfo (user@host) is refused: the host is what follows the @, and a preview never needs credentials".to_owned(),
        ));
    }
    let Some(host) = url.host() else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "the URL has no host".to_owned(),
        ));
    };
    let port = url.port_or_known_default().unwrap_or(0);
    if port != 80 && port != 443 {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("port {port} is refused: previews use ports 80 and 443 only"),
        ));
    }
    let Some(address) = network::address_of(&host) else {
        return Err(refuse(
            StatusCode::BAD_GATEWAY,
            format!("{host} does not resolve: check the address"),
        ));
    };
    if let Some(kind) = internal(address) {
        let what = match host {
            Host::Domain(name) => format!("{name} resolves to {address}"),
            _ => format!("the host is {address}"),
        };
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("{what}, {kind}: previews reach public addresses only"),
        ));
    }
    let Some(service) = network::service_at(address, port) else {
        return Err(refuse(
            StatusCode::BAD_GATEWAY,
            format!("{host} ({address}) refused the connection on port {port}"),
        ));
    };
    Ok(Destination {
        url,
        address,
        service,
    })
}

/// What kind of non-public address `address` is, if it is one. The
/// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)
/// count as public here: the lab's public site lives in one.
fn internal(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4() {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
            // addresses are judged as the IPv4 address they hold; :: and
            // ::1 are IPv6's own.
            Some(v4) if !v6.is_unspecified() && !v6.is_loopback() => internal_v4(v4),
            _ => internal_v6(v6),
        },
    }
}

fn internal_v4(v4: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = v4.octets();
    if v4.is_loopback() {
        Some("a loopback address (the server itself)")
    } else if a == 0 {
        Some("an unspecified address (\"this host\", the server itself)")
    } else if v4.is_private() {
        Some("a private address (the internal network)")
    } else if v4.is_link_local() {
        Some("a link-local address (where cloud metadata services live)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared address (carrier-grade NAT)")
    } else if v4.is_multicast()
        || v4.is_broadcast()
        || a >= 240
        || (a == 192 && b == 0 && v4.octets()[2] == 0)
    {
        Some("a reserved address")
    } else {
        None
    }
}

fn internal_v6(v6: Ipv6Addr) -> Option<&'static str> {
    let first = v6.segments()[0];
    if v6.is_loopback() {
        Some("a loopback address (the server itself)")
    } else if v6.is_unspecified() {
        Some("an unspecified address (\"this host\", the server itself)")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a unique local address (the internal network)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if v6.is_multicast() {
        Some("a multicast address")
    } else if first == 0x64 && v6.segments()[1] == 0xff9b {
        // NAT64 embeds an IPv4 address in its last 32 bits.
        let [.., c, d] = v6.segments();
        let embedded = Ipv4Addr::from((u32::from(c) << 16) | u32::from(d));
        internal_v4(embedded).map(|_| "an IPv4 address inside NAT64 that is not public")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_internal_address_is_refused() {
        for url in [
            "http://169.254.169.254/",
            "http://2852039166/",
            "http://0xA9FEA9FE/",
            "http://0251.0376.0251.0376/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://metadata.internal./",
            "http://LOCALHOST/",
            "http://127.1/",
            "http://0/",
            "http://[::]/",
            "http://[::1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://10.0.0.1/",
            "http://news.example@169.254.169.254/",
            "http://news.example:8080/",
            "file:///etc/passwd",
            "gopher://news.example/",
        ] {
            let refused = Url::parse(url)
                .map_err(|_| ())
                .and_then(|url| check(url).map_err(|_| ()));
            assert!(refused.is_err(), "{url}");
        }
        let news =
            check(Url::parse("https://News.Example./articles/1").expect("URL")).expect("public");
        assert_eq!(news.service, Service::News);
    }
}
