//! "Copy as Python requests", "Copy as curl", "Copy as raw HTTP", "Copy as
//! netcat / openssl s_client" and "Copy as Python socket": the current request
//! as code a learner can run outside the lab. HTTPS snippets trust the roots
//! the request was verified against (safelab's CA file, the learner's own CA
//! file, or the client's default roots); they never turn verification off.

use safelab_protocol::{ExchangeRequest, Header, TrustStore};

/// The file name learners save `/ca.pem` under.
pub const CA_FILE: &str = "safelab-ca.pem";
/// The file name the lesson has learners save their own CA under.
pub const OWN_CA_FILE: &str = "myca.pem";
/// The lab's client certificate and its key, as the lesson saves them.
pub const CLIENT_FILES: (&str, &str) = ("client.pem", "client-key.pem");

/// Which roots an HTTPS snippet trusts, after the request's trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Roots {
    /// safelab's CA, from [`CA_FILE`].
    #[default]
    Safelab,
    /// The learner's own CA, from [`OWN_CA_FILE`].
    Own,
    /// The client's own default roots ("this computer's roots" or "none"
    /// in the builder): nothing to pass.
    Default,
}

/// The request being built, as the snippets see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet<'a> {
    /// The method.
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Headers, in order.
    pub headers: &'a [Header],
    /// The body; empty for none.
    pub body: &'a str,
    /// The roots to trust over HTTPS.
    pub roots: Roots,
    /// Whether to present the lab's client certificate ([`CLIENT_FILES`]).
    pub client_certificate: bool,
}

impl<'a> Snippet<'a> {
    /// The snippet of a request as the builder sends it.
    pub fn of(request: &'a ExchangeRequest) -> Self {
        Self {
            method: &request.method,
            url: &request.url,
            headers: &request.headers,
            body: &request.body,
            roots: match request.trust {
                TrustStore::Safelab => Roots::Safelab,
                TrustStore::Pem { .. } => Roots::Own,
                TrustStore::System | TrustStore::Empty => Roots::Default,
            },
            client_certificate: request.client_certificate,
        }
    }
}

impl Snippet<'_> {
    fn is_https(&self) -> bool {
        self.url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// The request as a Python script using `requests`.
    pub fn python(&self) -> String {
        let method = self.method.trim().to_ascii_uppercase();
        let call = match method.as_str() {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
                format!(
                    "requests.{}(\n    {},\n",
                    method.to_ascii_lowercase(),
                    python_string(self.url)
                )
            }
            _ => format!(
                "requests.request(\n    {},\n    {},\n",
                python_string(&method),
                python_string(self.url)
            ),
        };
        let mut code = String::from("import requests\n\nresponse = ");
        code.push_str(&call);
        let headers: Vec<&Header> = self
            .headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
            .collect();
        if !headers.is_empty() {
            code.push_str("    headers={\n");
            for (name, value) in headers {
                code.push_str(&format!(
                    "        {}: {},\n",
                    python_string(name),
                    python_string(value)
                ));
            }
            code.push_str("    },\n");
        }
        if !self.body.is_empty() {
            code.push_str(&format!("    data={},\n", python_string(self.body)));
        }
        if self.is_https() {
            match self.roots {
                Roots::Safelab => code.push_str(&format!(
                    "    # Trust safelab's CA (download it from /ca.pem); never switch verification off.\n    verify={},\n",
                    python_string(CA_FILE)
                )),
                Roots::Own => code.push_str(&format!(
                    "    # Trust your own CA (its certificate, saved as {OWN_CA_FILE}).\n    verify={},\n",
                    python_string(OWN_CA_FILE)
                )),
                Roots::Default => code.push_str(
                    "    # requests' own roots (certifi): verification stays on.\n",
                ),
            }
            if self.client_certificate {
                code.push_str(&format!(
                    "    # The lab's client certificate and its key (from /api/certificates/).\n    cert=({}, {}),\n",
                    python_string(CLIENT_FILES.0),
                    python_string(CLIENT_FILES.1)
                ));
            }
        }
        code.push_str("    timeout=10,\n)\n");
        code.push_str("print(response.status_code, response.reason)\n");
        code.push_str(
            "for name, value in response.headers.items():\n    print(f\"{name}: {value}\")\n",
        );
        code.push_str("print()\nprint(response.text)\n");
        code
    }

    /// The request as a curl command line (POSIX shell quoting).
    pub fn curl(&self) -> String {
        let method = self.method.trim().to_ascii_uppercase();
        let mut parts = vec!["curl".to_owned(), "--include".to_owned()];
        match method.as_str() {
            "GET" => {}
            "HEAD" => parts.push("--head".to_owned()),
            other => {
                parts.push("--request".to_owned());
                parts.push(shell_quote(other));
            }
        }
        if self.url.contains("/..") || self.url.contains("/./") {
            // Without it curl removes the dot segments before sending, as browsers do.
            parts.push("--path-as-is".to_owned());
        }
        for (name, value) in self
            .headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
        {
            parts.push("--header".to_owned());
            parts.push(shell_quote(&format!("{name}: {value}")));
        }
        if !self.body.is_empty() {
            parts.push("--data-binary".to_owned());
            parts.push(shell_quote(self.body));
        }
        if self.is_https() {
            match self.roots {
                Roots::Safelab => parts.extend(["--cacert".to_owned(), CA_FILE.to_owned()]),
                Roots::Own => parts.extend(["--cacert".to_owned(), OWN_CA_FILE.to_owned()]),
                Roots::Default => {}
            }
            if self.client_certificate {
                parts.extend([
                    "--cert".to_owned(),
                    CLIENT_FILES.0.to_owned(),
                    "--key".to_owned(),
                    CLIENT_FILES.1.to_owned(),
                ]);
            }
        }
        parts.push(shell_quote(self.url));
        parts.join(" ")
    }
}

impl Snippet<'_> {
    /// The request as it goes on the wire, lines joined with `\n` for
    /// reading and editing (raw mode sends them as CR LF): the request line
    /// with the path exactly as written, `Host`, the headers, and what a
    /// one-shot client adds (`Content-Length`, `Connection: close`).
    pub fn raw(&self) -> String {
        let (authority, path) = split_url(self.url);
        let method = self.method.trim();
        let path = if path.is_empty() { "/" } else { path };
        let has = |wanted: &str| {
            self.headers
                .iter()
                .any(|(name, _)| name.trim().eq_ignore_ascii_case(wanted))
        };
        let mut text = format!("{method} {path} HTTP/1.1\n");
        if !has("host") {
            text.push_str(&format!("Host: {authority}\n"));
        }
        for (name, value) in self
            .headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
        {
            text.push_str(&format!("{}: {value}\n", name.trim()));
        }
        if !self.body.is_empty() && !has("content-length") && !has("transfer-encoding") {
            text.push_str(&format!("Content-Length: {}\n", self.body.len()));
        }
        if !has("connection") {
            text.push_str("Connection: close\n");
        }
        text.push('\n');
        text.push_str(self.body);
        text
    }
}

/// Where raw bytes go: the listener's host and port, and whether over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTarget {
    /// The host name or address (`localhost`, `127.0.0.1`, `::1`).
    pub host: String,
    /// The port.
    pub port: u16,
    /// Whether the bytes go over TLS.
    pub tls: bool,
}

impl RawTarget {
    /// The target of a base URL (`https://localhost:7880`).
    pub fn of(base: &str) -> Option<Self> {
        let (scheme, rest) = base.split_once("://")?;
        let tls = scheme.eq_ignore_ascii_case("https");
        let authority = rest.split('/').next()?;
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => (host, port.parse().ok()?),
            _ => (authority, if tls { 443 } else { 80 }),
        };
        Some(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            tls,
        })
    }

    /// `wire` (the exact bytes) piped into netcat, or for TLS into
    /// `openssl s_client` trusting safelab's CA.
    pub fn netcat(&self, wire: &str) -> String {
        let bytes = printf_quote(wire);
        if self.tls {
            format!(
                "printf {bytes} | openssl s_client -quiet -connect {}:{} -servername {} -CAfile {CA_FILE}",
                bracketed(&self.host),
                self.port,
                self.host
            )
        } else {
            format!("printf {bytes} | nc {} {}", self.host, self.port)
        }
    }

    /// A Python script that writes `wire` to a socket (TLS-wrapped, verified
    /// against safelab's CA, for HTTPS) and prints the whole answer.
    pub fn python_socket(&self, wire: &str) -> String {
        let mut code = String::from("import socket\n");
        if self.tls {
            code.push_str("import ssl\n");
        }
        code.push_str("\nrequest = (\n");
        for line in wire.split_inclusive('\n') {
            code.push_str(&format!("    {}\n", python_string(line)));
        }
        if wire.is_empty() {
            code.push_str("    \"\"\n");
        }
        code.push_str(").encode()\n\n");
        let address = format!("({}, {})", python_string(&self.host), self.port);
        if self.tls {
            code.push_str(&format!(
                "# Trust safelab's CA (download it from /ca.pem); never switch verification off.\n\
                 context = ssl.create_default_context(cafile={})\n\
                 with socket.create_connection({address}, timeout=10) as tcp:\n    \
                 with context.wrap_socket(tcp, server_hostname={}) as connection:\n        \
                 connection.sendall(request)\n        \
                 answer = b\"\"\n        \
                 while chunk := connection.recv(65536):\n            \
                 answer += chunk\n",
                python_string(CA_FILE),
                python_string(&self.host)
            ));
        } else {
            code.push_str(&format!(
                "with socket.create_connection({address}, timeout=10) as connection:\n    \
                 connection.sendall(request)\n    \
                 answer = b\"\"\n    \
                 while chunk := connection.recv(65536):\n        \
                 answer += chunk\n"
            ));
        }
        code.push_str("print(answer.decode(errors=\"replace\"))\n");
        code
    }
}

/// `[::1]` for an IPv6 address, the name itself otherwise.
fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The authority and the path-and-query of an absolute URL, unparsed.
fn split_url(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    }
}

/// `text` as one single-quoted `printf` format: CR, LF and tab as escapes,
/// `%` and `\` doubled so printf prints them as they are.
fn printf_quote(text: &str) -> String {
    let mut format = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '\r' => format.push_str("\\r"),
            '\n' => format.push_str("\\n"),
            '\t' => format.push_str("\\t"),
            '\\' => format.push_str("\\\\"),
            '%' => format.push_str("%%"),
            other => format.push(other),
        }
    }
    shell_quote(&format)
}

/// A Python string literal. JSON's escapes are all valid in Python.
fn python_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Single-quotes for a POSIX shell, closing and reopening around any `'`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Vec<Header> {
        vec![("X-Learner".into(), "Ning's laptop".into())]
    }

    #[test]
    fn python_uses_the_ca_file_for_https_and_never_disables_verification() {
        let headers = headers();
        let code = Snippet {
            method: "GET",
            url: "https://localhost:7879/lab/hello",
            headers: &headers,
            body: "",
            ..Snippet::default()
        }
        .python();
        assert!(code.contains("requests.get(\n    \"https://localhost:7879/lab/hello\","));
        assert!(code.contains("\"X-Learner\": \"Ning's laptop\""));
        assert!(code.contains("verify=\"safelab-ca.pem\""));
        assert!(!code.contains("verify=False"));
    }

    #[test]
    fn the_snippets_trust_what_the_request_trusted_and_show_the_client_certificate() {
        let mut request = ExchangeRequest {
            method: "GET".into(),
            url: "https://localhost:7890/".into(),
            trust: TrustStore::Pem {
                pem: "-----BEGIN CERTIFICATE-----".into(),
            },
            client_certificate: true,
            ..ExchangeRequest::default()
        };
        let own = Snippet::of(&request);
        assert!(
            own.python().contains("verify=\"myca.pem\""),
            "{}",
            own.python()
        );
        assert!(
            own.python()
                .contains("cert=(\"client.pem\", \"client-key.pem\")")
        );
        assert!(
            own.curl()
                .contains("--cacert myca.pem --cert client.pem --key client-key.pem")
        );
        request.trust = TrustStore::System;
        request.client_certificate = false;
        let system = Snippet::of(&request);
        assert!(!system.python().contains("verify="), "{}", system.python());
        assert!(!system.curl().contains("--cacert") && !system.curl().contains("--cert"));
        request.trust = TrustStore::Safelab;
        assert!(
            Snippet::of(&request)
                .curl()
                .contains("--cacert safelab-ca.pem")
        );
    }

    #[test]
    fn python_plain_http_has_no_verify_and_odd_methods_use_request() {
        let code = Snippet {
            method: "BREW",
            url: "http://127.0.0.1:7878/lab/status/418",
            headers: &[],
            body: "{\"tea\": \"earl grey\"}",
            ..Snippet::default()
        }
        .python();
        assert!(code.contains("requests.request(\n    \"BREW\","));
        assert!(code.contains("data=\"{\\\"tea\\\": \\\"earl grey\\\"}\""));
        assert!(!code.contains("verify"));
    }

    #[test]
    fn raw_keeps_the_path_and_adds_what_a_one_shot_client_adds() {
        let headers = headers();
        let raw = Snippet {
            method: "POST",
            url: "http://127.0.0.1:7879/lab/../x?y=1",
            headers: &headers,
            body: "a=1",
            ..Snippet::default()
        }
        .raw();
        assert_eq!(
            raw,
            "POST /lab/../x?y=1 HTTP/1.1\nHost: 127.0.0.1:7879\nX-Learner: Ning's laptop\n\
             Content-Length: 3\nConnection: close\n\na=1"
        );
    }

    #[test]
    fn netcat_and_openssl_get_the_exact_bytes() {
        let wire = "GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\n";
        let plain = RawTarget::of("http://127.0.0.1:7879").expect("a base");
        assert_eq!(
            plain.netcat(wire),
            "printf 'GET /a%%20b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | nc 127.0.0.1 7879"
        );
        let tls = RawTarget::of("https://localhost:7880").expect("a base");
        assert!(tls.netcat(wire).ends_with(
            "| openssl s_client -quiet -connect localhost:7880 -servername localhost -CAfile safelab-ca.pem"
        ));
    }

    #[test]
    fn the_python_socket_verifies_tls_with_the_ca_file() {
        let wire = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let tls = RawTarget::of("https://localhost:7880").expect("a base");
        let code = tls.python_socket(wire);
        assert!(code.contains("ssl.create_default_context(cafile=\"safelab-ca.pem\")"));
        assert!(code.contains("server_hostname=\"localhost\""));
        assert!(code.contains("    \"GET / HTTP/1.1\\r\\n\"\n"));
        assert!(!code.contains("CERT_NONE"));
        let plain = RawTarget::of("http://127.0.0.1:7879").expect("a base");
        assert!(plain.python_socket(wire).contains("(\"127.0.0.1\", 7879)"));
    }

    #[test]
    fn curl_quotes_for_the_shell_and_keeps_dot_segments() {
        let headers = headers();
        let command = Snippet {
            method: "POST",
            url: "https://localhost:7879/lab/../secret",
            headers: &headers,
            body: "a=1",
            ..Snippet::default()
        }
        .curl();
        assert_eq!(
            command,
            "curl --include --request 'POST' --path-as-is --header 'X-Learner: Ning'\\''s laptop' \
             --data-binary 'a=1' --cacert safelab-ca.pem 'https://localhost:7879/lab/../secret'"
        );
    }
}
