//! Lesson `api`: the fake network both preview twins fetch from. It lives
//! entirely inside the program: a resolver that knows a handful of names and
//! handlers that play the services at a few addresses. Nothing here opens a
//! socket, so no URL, however crafted, makes either twin touch a real
//! address, the host's own included.
//!
//! | name | address | service |
//! | --- | --- | --- |
//! | `news.example` | 203.0.113.10 | a public news site, with an open redirect at `/redirect?to=` |
//! | `metadata.internal`, `metadata.google.internal` | 169.254.169.254 | a cloud metadata service, fake credentials at [`CREDENTIALS_PATH`] |
//! | `localhost` | 127.0.0.1 | the server's own admin console (every 127.x, 0.0.0.0, `::1` and `::` reach it) |
//!
//! Every service listens on ports 80 and 443 only; any other name "does not
//! resolve", any other address or port "refuses the connection".

use std::net::{IpAddr, Ipv4Addr};

use url::{Host, Url};

/// news.example's address: in 203.0.113.0/24, a range set aside for
/// documentation, so it is nobody's real server.
pub(super) const NEWS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
/// The metadata service's address, as on the big clouds.
pub(super) const METADATA: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// Where the metadata service hands out the server's credentials.
pub(super) const CREDENTIALS_PATH: &str =
    "/latest/meta-data/iam/security-credentials/safelab-web-role";
/// A fake key id the credentials hold: its presence in an answer means the
/// credentials leaked.
pub(super) const FAKE_ACCESS_KEY: &str = "ASIAFAKESAFELAB00001";

/// A service of the fake network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    /// news.example, public.
    News,
    /// The cloud metadata service, internal.
    Metadata,
    /// The server's own admin console, internal.
    Admin,
}

impl Service {
    /// Whether the service is meant for the server's own eyes only.
    pub(super) fn internal(self) -> bool {
        self != Self::News
    }
}

/// What a service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Page {
    /// The status code.
    pub(super) status: u16,
    /// The `Content-Type`.
    pub(super) content_type: &'static str,
    /// The body.
    pub(super) body: String,
    /// The `Location` of a redirect.
    pub(super) location: Option<String>,
}

/// What the fake resolver says `name` is (lowercase, a trailing dot
/// allowed as in DNS).
pub(super) fn resolve(name: &str) -> Option<IpAddr> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    match name.as_str() {
        "news.example" | "www.news.example" => Some(NEWS.into()),
        "metadata.internal" | "metadata.google.internal" => Some(METADATA.into()),
        "localhost" => Some(Ipv4Addr::LOCALHOST.into()),
        _ => None,
    }
}

/// The address a URL's host leads to: a name through [`resolve`], an
/// address as itself, an IPv4 address written as IPv6
/// (`::ffff:169.254.169.254`) as the IPv4 address, as the system does.
pub(super) fn address_of(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Domain(name) => resolve(name),
        Host::Ipv4(address) => Some(IpAddr::V4(*address)),
        Host::Ipv6(address) => Some(
            address
                .to_ipv4_mapped()
                .map_or(IpAddr::V6(*address), IpAddr::V4),
        ),
    }
}

/// The service listening at `address` on `port`, if any.
pub(super) fn service_at(address: IpAddr, port: u16) -> Option<Service> {
    if port != 80 && port != 443 {
        return None;
    }
    match address {
        IpAddr::V4(v4) if v4 == NEWS => Some(Service::News),
        IpAddr::V4(v4) if v4 == METADATA => Some(Service::Metadata),
        // Connecting to 0.0.0.0 or :: reaches the machine itself.
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Some(Service::Admin),
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Some(Service::Admin),
        _ => None,
    }
}

/// What `service` answers to a GET of `url`.
pub(super) fn fetch(service: Service, url: &Url) -> Page {
    match service {
        Service::News => news(url),
        Service::Metadata => metadata(url.path()),
        Service::Admin => admin(url.path()),
    }
}

fn page(status: u16, content_type: &'static str, body: impl Into<String>) -> Page {
    Page {
        status,
        content_type,
        body: body.into(),
        location: None,
    }
}

fn html(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

fn news(url: &Url) -> Page {
    match url.path() {
        "/" => page(
            200,
            "text/html; charset=utf-8",
            html(
                "news.example: today's (made-up) headlines",
                "Local lab finds that every sample was synthetic. Read more at /articles/1.",
            ),
        ),
        "/articles/1" => page(
            200,
            "text/html; charset=utf-8",
            html(
                "Every sample was synthetic, lab finds",
                "A made-up article for safelab's preview lesson.",
            ),
        ),
        // An open redirect: wherever ?to= says, a common convenience of
        // news sites ("you are leaving news.example").
        "/redirect" => {
            let target = url
                .query_pairs()
                .find(|(name, _)| name == "to")
                .map(|(_, value)| value.into_owned());
            match target {
                Some(target) => Page {
                    location: Some(target),
                    ..page(302, "text/plain; charset=utf-8", "Redirecting")
                },
                None => page(400, "text/plain; charset=utf-8", "redirect where? ?to=URL"),
            }
        }
        _ => page(
            404,
            "text/html; charset=utf-8",
            html("Not found", "No such page."),
        ),
    }
}

fn metadata(path: &str) -> Page {
    let text = |body: &str| page(200, "text/plain", body);
    match path {
        "/" => text("latest\n"),
        "/latest" | "/latest/" => text("meta-data/\n"),
        "/latest/meta-data" | "/latest/meta-data/" => {
            text("hostname\ninstance-id\niam/\nlocal-ipv4\n")
        }
        "/latest/meta-data/hostname" => text("web-1.internal.example\n"),
        "/latest/meta-data/instance-id" => text("i-0fake0safelab0001\n"),
        "/latest/meta-data/local-ipv4" => text("10.0.3.17\n"),
        "/latest/meta-data/iam" | "/latest/meta-data/iam/" => text("security-credentials/\n"),
        "/latest/meta-data/iam/security-credentials"
        | "/latest/meta-data/iam/security-credentials/" => text("safelab-web-role\n"),
        CREDENTIALS_PATH => text(&format!(
            concat!(
                "{{\n",
                "  \"Code\": \"Success\",\n",
                "  \"Type\": \"AWS-HMAC\",\n",
                "  \"AccessKeyId\": \"{}\",\n",
                "  \"SecretAccessKey\": \"FAKE/safelab/this-is-not-a-real-secret/0000\",\n",
                "  \"Token\": \"FAKE-session-token-made-up-for-the-safelab-lesson\",\n",
                "  \"Expiration\": \"2099-01-01T00:00:00Z\"\n",
                "}}\n"
            ),
            FAKE_ACCESS_KEY
        )),
        _ => page(404, "text/plain", "Not Found\n"),
    }
}

fn admin(path: &str) -> Page {
    match path {
        "/" | "/admin" | "/admin/" => page(
            200,
            "text/html; charset=utf-8",
            html(
                "Internal admin console (made up)",
                "Reachable from this server only, so no login. Users: /admin/users. Database: postgres://admin:FAKE-db-password@db.internal/clinic",
            ),
        ),
        "/admin/users" => page(
            200,
            "application/json",
            r#"[{"user":"sam","role":"user"},{"user":"root","role":"admin","password_hash":"FAKE$2b$12$notarealhash"}]"#,
        ),
        _ => page(
            404,
            "text/html; charset=utf-8",
            html("Not found", "No such page."),
        ),
    }
}

/// The `<title>` of an HTML page, if it has one.
pub(super) fn title_of(body: &str) -> Option<String> {
    let start = body.find("<title>")? + "<title>".len();
    let length = body[start..].find("</title>")?;
    Some(body[start..start + length].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reached(url: &str) -> Option<Service> {
        let url = Url::parse(url).ok()?;
        let address = address_of(&url.host()?)?;
        service_at(address, url.port_or_known_default()?)
    }

    #[test]
    fn every_spelling_of_an_address_reaches_the_same_service() {
        for url in [
            "http://169.254.169.254/",
            "http://2852039166/",
            "http://0xA9FEA9FE/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://METADATA.internal./",
            "https://metadata.google.internal/",
        ] {
            assert_eq!(reached(url), Some(Service::Metadata), "{url}");
        }
        for url in [
            "http://localhost/",
            "http://127.1/",
            "http://0/",
            "http://[::]/",
            "http://[::1]/",
            "http://2130706433/",
        ] {
            assert_eq!(reached(url), Some(Service::Admin), "{url}");
        }
        assert_eq!(reached("http://news.example/"), Some(Service::News));
        assert_eq!(reached("http://nowhere.example/"), None);
        assert_eq!(reached("http://10.0.0.1/"), None);
        assert_eq!(reached("http://127.0.0.1:8080/"), None);
    }

    #[test]
    fn the_news_site_redirects_anywhere() {
        let url = Url::parse("http://news.example/redirect?to=http%3A%2F%2F169.254.169.254%2F")
            .expect("URL");
        let page = fetch(Service::News, &url);
        assert_eq!(page.status, 302);
        assert_eq!(page.location.as_deref(), Some("http://169.254.169.254/"));
        let title = title_of(
            &fetch(
                Service::News,
                &Url::parse("http://news.example/").expect("URL"),
            )
            .body,
        );
        assert!(title.is_some_and(|title| title.starts_with("news.example")));
    }
}
