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
//! 4. resolves the host, and takes only a globally routable address (what
//!    Python's `ipaddress` calls `is_global`): loopback, private,
//!    link-local, shared, benchmarking, documentation, reserved and every
//!    other special-purpose range are refused, whichever way the address was
//!    written (decimal, hex, octal), and an IPv6 address that carries an
//!    IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by the IPv4
//!    address too. The one exception is the lab's own stand-in for the
//!    internet, [`LAB_INTERNET`], where its public site lives;
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
use url::{Host, Url};

use super::network::{self, Service};
use super::{MAX_URL, SECURE_REFUSES_SSRF, preview, url_parameter};
use crate::AppState;
use crate::lab::api::LabError;
use crate::progress::LOCAL_LEARNER;

/// The lab's stand-in for the public internet: 203.0.113.0/24, a range set
/// aside for documentation (so nobody's real server), where the fake
/// network's public news site lives. Everywhere else only globally routable
/// addresses pass.
pub(super) const LAB_INTERNET: (Ipv4Addr, u8) = (Ipv4Addr::new(203, 0, 113, 0), 24);

/// The preview's route.
pub(in crate::lab::api) const PREVIEW: &str = "/lab/secure/preview";

/// How many redirects it follows, each checked like the first URL.
const MAX_REDIRECTS: usize = 3;

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PREVIEW, get(preview_url))
}

/// Why a URL was not fetched.
type Refusal = LabError;

fn refuse(status: StatusCode, error: String) -> Refusal {
    LabError::new(status, error)
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
        return LabError::new(
            StatusCode::BAD_REQUEST,
            "which page? ?url=http://news.example/",
        )
        .into_response();
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
            refusal.with("url", requested).into_response()
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
        destination = check(next).map_err(|refusal| {
            let error = format!(
                "{from} redirects to {}: {}",
                hops.last().map_or("", String::as_str),
                refusal.error()
            );
            refusal.with_error(error)
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

/// Why `address` is not a public destination, if it is not one. Only
/// globally routable addresses pass (and [`LAB_INTERNET`]); an IPv6 address
/// that carries an IPv4 one is judged by that one too.
fn internal(address: IpAddr) -> Option<String> {
    match address {
        IpAddr::V4(v4) => internal_v4(v4).map(str::to_owned),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

/// What kind of non-public IPv4 address `v4` is, if it is one.
fn internal_v4(v4: Ipv4Addr) -> Option<&'static str> {
    let (lab, prefix) = LAB_INTERNET;
    if u32::from(v4) >> (32 - prefix) == u32::from(lab) >> (32 - prefix) {
        return None;
    }
    let [a, b, c, _] = v4.octets();
    match (a, b, c) {
        (0, ..) => Some("an unspecified address (\"this host\", the server itself)"),
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => {
            Some("a private address (the internal network)")
        }
        (100, 64..=127, _) => Some("a shared address (carrier-grade NAT)"),
        (127, ..) => Some("a loopback address (the server itself)"),
        (169, 254, _) => Some("a link-local address (where cloud metadata services live)"),
        (192, 0, 0) => Some("an address reserved for IETF protocols"),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => {
            Some("a documentation address, never a real server")
        }
        (192, 88, 99) => Some("a 6to4 relay address (deprecated, never a destination)"),
        (198, 18..=19, _) => Some("a benchmarking address (network tests)"),
        (224..=239, ..) => Some("a multicast address"),
        (240.., ..) => Some("a reserved address"),
        _ => None,
    }
}

/// What kind of non-public IPv6 address `v6` is, if it is one.
fn internal_v6(v6: Ipv6Addr) -> Option<String> {
    let s = v6.segments();
    let ipv4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    let carried = |how: &str, v4: Ipv4Addr| {
        internal_v4(v4).map(|kind| format!("{how} IPv4 address {v4}, {kind}"))
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return carried("IPv4-mapped: the", v4);
    }
    if v6.is_unspecified() {
        return Some("an unspecified address (\"this host\", the server itself)".to_owned());
    }
    if v6.is_loopback() {
        return Some("a loopback address (the server itself)".to_owned());
    }
    match s {
        [0, 0, 0, 0, 0, 0, high, low] => Some(format!(
            "an IPv4-compatible address (::{}), deprecated and never a destination",
            ipv4(high, low)
        )),
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => carried("NAT64: it reaches the", ipv4(high, low)),
        [0x64, 0xff9b, 1, ..] => {
            Some("a local-use NAT64 address (64:ff9b:1::/48), one network's own".to_owned())
        }
        [0x2002, high, low, ..] => carried("6to4: it tunnels to the", ipv4(high, low)),
        [0x2001, 0, high, low, .., client_high, client_low] => Some(
            carried("Teredo: it tunnels to the", ipv4(!client_high, !client_low))
                .or_else(|| carried("Teredo: its server is the", ipv4(high, low)))
                .unwrap_or_else(|| {
                    "a Teredo address (a tunnel, reserved for IETF protocols)".to_owned()
                }),
        ),
        [first, ..] if first & 0xe000 != 0x2000 => Some(
            if first & 0xfe00 == 0xfc00 {
                "a unique local address (the internal network)"
            } else if first & 0xffc0 == 0xfe80 {
                "a link-local address"
            } else if first & 0xffc0 == 0xfec0 {
                "a site-local address (deprecated, the internal network)"
            } else if first & 0xff00 == 0xff00 {
                "a multicast address"
            } else {
                "a reserved address (outside the global unicast range 2000::/3)"
            }
            .to_owned(),
        ),
        [0x2001, second, ..] if second < 0x0200 => {
            Some("an address reserved for IETF protocols (2001::/23)".to_owned())
        }
        [0x2001, 0x0db8, ..] => Some("a documentation address, never a real server".to_owned()),
        [0x3fff, second, ..] if second < 0x1000 => {
            Some("a documentation address, never a real server".to_owned())
        }
        _ => None,
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
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b:1::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[2002:7f00:1::1]/",
            "http://[::127.0.0.1]/",
            "http://[::a9fe:a9fe]/",
            "http://[2001:0:4136:e378:8000:63bf:56fe:5601]/",
            "http://[2001:0:a9fe:a9fe::1]/",
            "http://[fec0::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://[2001:db8::1]/",
            "http://[100::1]/",
            "http://198.18.0.1/",
            "http://198.19.255.255/",
            "http://192.88.99.1/",
            "http://192.0.0.8/",
            "http://192.0.2.1/",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://240.0.0.1/",
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

    #[test]
    fn only_global_addresses_pass_the_address_check() {
        for public in [
            "203.0.113.10",
            "93.184.215.14",
            "8.8.8.8",
            "198.17.255.255",
            "198.20.0.1",
            "2606:4700::1111",
            "2002:5db8:d70e::1",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
        ] {
            let address: IpAddr = public.parse().expect("address");
            assert_eq!(internal(address), None, "{public}");
        }
        for (internal_address, says) in [
            ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
            ("2002:a9fe:a9fe::", "169.254.169.254"),
            ("2001:0:0a00:0001::f5ff:fffe", "10.0.0.1"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("fec0::1", "site-local"),
            ("198.18.0.1", "benchmarking"),
            ("192.88.99.1", "6to4 relay"),
        ] {
            let address: IpAddr = internal_address.parse().expect("address");
            let why = internal(address).unwrap_or_default();
            assert!(why.contains(says), "{internal_address}: {why:?}");
        }
    }
}
