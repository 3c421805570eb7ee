//! Where the inspector may send: parsing the target URL without normalising it,
//! and the policy that keeps the inspector from becoming an open proxy.

use std::net::{IpAddr, SocketAddr};

use http::Uri;
use safelab_protocol::ListenerId;

use super::InspectorError;
use crate::learner_listeners::LearnerListeners;

/// Plain HTTP or HTTP over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://`
    Https,
}

/// A parsed target URL. The path is kept byte for byte as the learner typed it:
/// no `..` removal, no re-encoding, because seeing what a server does with such
/// paths is part of the curriculum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The scheme.
    pub scheme: Scheme,
    /// The host as written (brackets removed from IPv6 literals).
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// Path and query, exactly as written (`/` when empty).
    pub path_and_query: String,
    /// `host[:port]` as it goes into the `Host` header.
    pub authority: String,
}

impl Target {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse(url: &str) -> Result<Self, InspectorError> {
        let invalid = |reason: &str| InspectorError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|error: http::uri::InvalidUri| invalid(&error.to_string()))?;
        let scheme = match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(_) => return Err(invalid("only http:// and https:// URLs can be sent")),
            None => return Err(invalid("start it with http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("it names no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "user names and passwords in URLs are not sent: use an Authorization header",
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid("it names no host"));
        }
        let port = authority.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        let path_and_query = match uri.path_and_query().map(|p| p.as_str()) {
            None | Some("") => "/".to_owned(),
            Some(path) => path.to_owned(),
        };
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path_and_query,
            authority: authority.as_str().to_owned(),
        })
    }
}

/// Which targets the inspector may reach, and at which socket address.
#[derive(Debug, Clone)]
pub struct TargetPolicy {
    own: Vec<(ListenerId, SocketAddr)>,
    /// The listeners a learner started (lesson 6), reachable while they run.
    learner: LearnerListeners,
    allowed: Vec<AllowedHost>,
}

/// A host the person running safelab allowed with `--allow-host`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: Option<u16>,
}

/// Where an allowed target is to be connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// One of safelab's own listeners, at this address.
    Own(ListenerId, SocketAddr),
    /// A host allowed on the command line, to be resolved.
    Allowed,
}

impl TargetPolicy {
    /// A policy for these listeners plus the `--allow-host` entries.
    pub fn new(own: Vec<(ListenerId, SocketAddr)>, allow_hosts: &[String]) -> Self {
        let allowed = allow_hosts
            .iter()
            .map(|entry| {
                let entry = entry.trim().to_ascii_lowercase();
                // A bare IPv6 address has colons of its own: a port needs brackets.
                let may_have_port = entry.starts_with('[') || entry.matches(':').count() == 1;
                match entry.rsplit_once(':').filter(|_| may_have_port) {
                    Some((host, port)) if port.parse::<u16>().is_ok() => AllowedHost {
                        host: host.trim_matches(['[', ']']).to_owned(),
                        port: port.parse().ok(),
                    },
                    _ => AllowedHost {
                        host: entry.trim_matches(['[', ']']).to_owned(),
                        port: None,
                    },
                }
            })
            .collect();
        Self {
            own,
            learner: LearnerListeners::default(),
            allowed,
        }
    }

    /// This policy, also allowing the learner's listeners in `learner` while
    /// they run (as [`ListenerId::Certificate`]).
    pub fn with_learner_listeners(self, learner: LearnerListeners) -> Self {
        Self { learner, ..self }
    }

    /// Decides whether `target` may be reached, and where to connect. What may be
    /// sent once the address is known is [`Self::admit`]'s to decide.
    pub fn check(&self, target: &Target) -> Result<Destination, InspectorError> {
        match self.own_listener(target) {
            Some((id, _)) if !id.is_lab() => return Err(InspectorError::ApiTarget),
            Some((id, address)) => return Ok(Destination::Own(id, address)),
            None => {}
        }
        let allowed = self.allowed.iter().any(|allowed| {
            allowed.host == target.host && allowed.port.is_none_or(|port| port == target.port)
        });
        if allowed {
            Ok(Destination::Allowed)
        } else {
            Err(InspectorError::TargetNotAllowed {
                target: format!("{}:{}", target.host, target.port),
            })
        }
    }

    /// The rules for the address `target` resolved to: which own listener it is,
    /// if any (an allowed name may resolve to one), and never the app listener
    /// nor an `/api/` path there. Only the app listener serves `/api/`; refusing
    /// the path on every own listener keeps that true if the routers ever change.
    pub fn admit(
        &self,
        target: &Target,
        address: SocketAddr,
    ) -> Result<Option<ListenerId>, InspectorError> {
        // `::ffff:127.0.0.1` is 127.0.0.1: judge the address it really is.
        let address = SocketAddr::new(address.ip().to_canonical(), address.port());
        let own = self.own_listener_at(address);
        let app_or_api = own.is_some_and(|id| !id.is_lab() || is_api_path(&target.path_and_query));
        if app_or_api {
            return Err(InspectorError::ApiTarget);
        }
        // An allowed *name* that resolves to this machine (a DNS trick, or a
        // mistake) would reach local services the person never allowed; an
        // address allowed as such is meant.
        let named = target.host.parse::<IpAddr>().is_err();
        if own.is_none() && named && is_this_machine(address.ip()) {
            return Err(InspectorError::ResolvesHere {
                host: target.host.clone(),
                address,
            });
        }
        Ok(own)
    }

    /// Which own listener a resolved address is, if any: the same port on the
    /// listener's address or on any loopback address.
    fn own_listener_at(&self, address: SocketAddr) -> Option<ListenerId> {
        let same = |own: &SocketAddr| {
            own.port() == address.port()
                && (own.ip() == address.ip()
                    || address.ip().is_loopback()
                    || address.ip().is_unspecified())
        };
        self.own
            .iter()
            .find(|(_, own)| same(own))
            .map(|(id, _)| *id)
            .or_else(|| {
                self.learner
                    .on_port(address.port())
                    .iter()
                    .any(same)
                    .then_some(ListenerId::Certificate)
            })
    }

    fn own_listener(&self, target: &Target) -> Option<(ListenerId, SocketAddr)> {
        let is_own_host = target.host == "localhost"
            || target
                .host
                .parse::<IpAddr>()
                .is_ok_and(|ip| self.own.iter().any(|(_, address)| address.ip() == ip));
        if !is_own_host {
            return None;
        }
        let own = self
            .own
            .iter()
            .find(|(_, address)| address.port() == target.port)
            .copied();
        own.or_else(|| {
            let learner = self.learner.on_port(target.port);
            // By address, that address; by name, the first (IPv4 first).
            let address = match target.host.parse::<IpAddr>() {
                Ok(ip) => learner.into_iter().find(|address| address.ip() == ip),
                Err(_) => learner.into_iter().next(),
            }?;
            Some((ListenerId::Certificate, address))
        })
    }
}

/// Whether `ip` is this machine or its link: loopback, unspecified, link-local.
fn is_this_machine(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Whether a path reaches the app's own API once a server has decoded and
/// normalised it. The inspector is for the lab: letting it call `/api/exchange`
/// would let one request fan out into many.
pub(super) fn is_api_path(path_and_query: &str) -> bool {
    let path = path_and_query.split(['?', '#']).next().unwrap_or_default();
    let decoded =
        String::from_utf8_lossy(&crate::percent::decode_lenient(path)).to_ascii_lowercase();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    segments.first() == Some(&"api")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TargetPolicy {
        TargetPolicy::new(
            vec![
                (ListenerId::App, "127.0.0.1:7878".parse().expect("addr")),
                (ListenerId::Http, "127.0.0.1:7879".parse().expect("addr")),
                (ListenerId::Https, "127.0.0.1:7880".parse().expect("addr")),
            ],
            &["example.test".into(), "api.test:8443".into()],
        )
    }

    #[test]
    fn keeps_dot_segments_in_the_path() {
        let target = Target::parse("http://localhost:7878/lab/../etc/passwd?x=1").expect("parses");
        assert_eq!(target.path_and_query, "/lab/../etc/passwd?x=1");
        assert_eq!(target.port, 7878);
        assert_eq!(target.authority, "localhost:7878");
    }

    #[test]
    fn default_ports_and_root_path() {
        let target = Target::parse("https://example.test").expect("parses");
        assert_eq!((target.port, target.path_and_query.as_str()), (443, "/"));
    }

    #[test]
    fn rejects_other_schemes_and_relative_urls() {
        for url in [
            "ftp://localhost/",
            "/lab/hello",
            "file:///etc/passwd",
            "http://user:pw@localhost:7878/",
        ] {
            assert!(Target::parse(url).is_err(), "{url} must be refused");
        }
    }

    #[test]
    fn own_listeners_are_reachable_by_name_and_address() {
        for url in [
            "http://127.0.0.1:7879/lab/hello",
            "https://localhost:7880/lab/hello",
        ] {
            let target = Target::parse(url).expect("parses");
            assert!(
                matches!(policy().check(&target), Ok(Destination::Own(..))),
                "{url}"
            );
        }
    }

    #[test]
    fn the_app_listener_is_never_a_target() {
        for url in ["http://127.0.0.1:7878/", "http://localhost:7878/lab/hello"] {
            let target = Target::parse(url).expect("parses");
            assert!(
                matches!(policy().check(&target), Err(InspectorError::ApiTarget)),
                "{url} must be refused"
            );
        }
        let renamed = decide("http://example.test:7878/", "127.0.0.1:7878");
        assert!(matches!(renamed, Err(InspectorError::ApiTarget)));
    }

    #[test]
    fn other_hosts_and_ports_are_refused() {
        for url in [
            "http://127.0.0.1:22/",
            "http://10.0.0.1:7878/lab/hello",
            "http://169.254.169.254/latest/meta-data",
            "https://api.test:443/",
        ] {
            let target = Target::parse(url).expect("parses");
            assert!(
                matches!(
                    policy().check(&target),
                    Err(InspectorError::TargetNotAllowed { .. })
                ),
                "{url} must be refused"
            );
        }
    }

    #[test]
    fn allowed_hosts_match_host_and_optional_port() {
        for url in [
            "https://example.test/",
            "http://example.test:8080/",
            "https://api.test:8443/v1",
        ] {
            let target = Target::parse(url).expect("parses");
            assert_eq!(policy().check(&target).expect(url), Destination::Allowed);
        }
    }

    #[test]
    fn a_resolved_address_is_recognised_as_an_own_listener() {
        let policy = policy();
        let at = |text: &str| policy.own_listener_at(text.parse().expect("addr"));
        assert_eq!(at("127.0.0.1:7879"), Some(ListenerId::Http));
        assert_eq!(at("127.0.0.2:7880"), Some(ListenerId::Https));
        assert_eq!(at("[::1]:7879"), Some(ListenerId::Http));
        assert_eq!(at("192.0.2.1:7878"), None);
        assert_eq!(at("127.0.0.1:8080"), None);
    }

    #[test]
    fn a_learner_listener_is_a_target_while_it_runs_and_not_after() {
        let learner = LearnerListeners::default();
        let policy = policy().with_learner_listeners(learner.clone());
        let target = Target::parse("https://localhost:7890/").expect("parses");
        let refused = policy.check(&target);
        assert!(
            matches!(refused, Err(InspectorError::TargetNotAllowed { .. })),
            "{refused:?}"
        );
        let address: SocketAddr = "127.0.0.1:7890".parse().expect("addr");
        learner.add(&[address]);
        assert_eq!(
            policy.check(&target).expect("running"),
            Destination::Own(ListenerId::Certificate, address)
        );
        assert_eq!(
            policy.admit(&target, address).expect("a lab listener"),
            Some(ListenerId::Certificate)
        );
        let api = Target::parse("https://localhost:7890/api/exchange").expect("parses");
        assert!(matches!(
            policy.admit(&api, address),
            Err(InspectorError::ApiTarget)
        ));
        learner.remove(&[address]);
        assert!(
            policy.check(&target).is_err(),
            "stopped: no longer a target"
        );
    }

    #[test]
    fn bare_ipv6_allow_entries_are_hosts_not_host_and_port() {
        let policy = TargetPolicy::new(
            vec![],
            &["2001:db8::1:5".into(), "[2001:db8::2]:8443".into()],
        );
        let bare = Target::parse("http://[2001:db8::1:5]:80/").expect("parses");
        assert_eq!(policy.check(&bare).expect("allowed"), Destination::Allowed);
        let bracketed = Target::parse("https://[2001:db8::2]:8443/").expect("parses");
        assert_eq!(
            policy.check(&bracketed).expect("allowed"),
            Destination::Allowed
        );
        let other_port = Target::parse("https://[2001:db8::2]:443/").expect("parses");
        assert!(policy.check(&other_port).is_err());
    }

    /// What the inspector decides for `url`, given where it resolves to.
    fn decide(url: &str, resolved: &str) -> Result<Option<ListenerId>, InspectorError> {
        let policy = policy();
        let target = Target::parse(url).expect("parses");
        policy.check(&target)?;
        policy.admit(&target, resolved.parse().expect("addr"))
    }

    #[test]
    fn the_app_api_is_not_a_target_however_it_is_spelt() {
        for path in [
            "/api/exchange",
            "/API/exchange",
            "/lab/../api/exchange",
            "/%61pi/exchange",
            "//api/health",
        ] {
            let refused = decide(&format!("http://127.0.0.1:7879{path}"), "127.0.0.1:7879");
            assert!(
                matches!(refused, Err(InspectorError::ApiTarget)),
                "{path} must be refused"
            );
        }
        let over_tls = decide("https://localhost:7880/api/exchange", "127.0.0.1:7880");
        assert!(matches!(over_tls, Err(InspectorError::ApiTarget)));
        let lab = decide("http://127.0.0.1:7879/lab/api-docs", "127.0.0.1:7879");
        assert_eq!(lab.expect("a lab path"), Some(ListenerId::Http));
    }

    #[test]
    fn an_allowed_name_that_resolves_to_this_machine_is_refused_unless_it_is_the_lab() {
        for resolved in [
            "127.0.0.1:22",
            "[::ffff:127.0.0.1]:8888",
            "169.254.169.254:80",
            "[fe80::1]:80",
        ] {
            let refused = decide("http://example.test:80/", resolved);
            assert!(
                matches!(refused, Err(InspectorError::ResolvesHere { .. })),
                "{resolved}"
            );
        }
        let mapped_app = decide("http://example.test:7878/", "[::ffff:127.0.0.1]:7878");
        assert!(matches!(mapped_app, Err(InspectorError::ApiTarget)));
        let lab = decide("http://example.test:7879/lab/hello", "127.0.0.1:7879");
        assert_eq!(lab.expect("the lab"), Some(ListenerId::Http));
    }

    #[test]
    fn an_allowed_name_that_resolves_to_an_own_listener_gets_its_rules() {
        let api = decide("https://example.test:7880/api/exchange", "127.0.0.1:7880");
        assert!(matches!(api, Err(InspectorError::ApiTarget)));
        let outside = decide("https://example.test/api/exchange", "192.0.2.7:443");
        assert_eq!(outside.expect("not an own listener"), None);
    }
}
