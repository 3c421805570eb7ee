//! The security reading of one exchange, for the response view: credentials
//! the request carried (a Basic password is only base64), every cookie the
//! answer set and the attributes it lacks, the security headers graded one by
//! one with what a missing one allows, rate-limit headers, and CORS. Plain
//! functions over the exchange's text, tested on the host.

use safelab_protocol::Header;

/// How one finding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// As it should be.
    Good,
    /// Missing or weak: a risk worth fixing.
    Risk,
    /// Worth knowing, neither good nor bad.
    Note,
}

impl Grade {
    /// The word shown beside the finding, so the grade never depends on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "✓ good",
            Self::Risk => "✗ risk",
            Self::Note => "ℹ note",
        }
    }

    /// The CSS class that colours it.
    pub fn css(self) -> &'static str {
        match self {
            Self::Good => "grade-good",
            Self::Risk => "grade-risk",
            Self::Note => "grade-note",
        }
    }
}

/// One finding: what was seen, and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Good, risk or note.
    pub grade: Grade,
    /// What was seen, in a few words (`Content-Security-Policy: missing`).
    pub subject: String,
    /// One sentence on what it means or allows.
    pub meaning: String,
}

impl Finding {
    fn new(grade: Grade, subject: impl Into<String>, meaning: impl Into<String>) -> Self {
        Self {
            grade,
            subject: subject.into(),
            meaning: meaning.into(),
        }
    }
}

/// Every finding of one exchange, by topic; an empty topic is not shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Insights {
    /// Credentials the request carried, decoded where they are only encoded.
    pub credentials: Vec<Finding>,
    /// One group per cookie the answer set: its name, then its attributes.
    pub cookies: Vec<(String, Vec<Finding>)>,
    /// The security headers, each graded.
    pub security_headers: Vec<Finding>,
    /// Rate-limit headers, explained.
    pub rate_limit: Vec<Finding>,
    /// CORS headers, explained against the request's `Origin`.
    pub cors: Vec<Finding>,
}

impl Insights {
    /// How the security headers scored: `Security headers: 3 of 5`.
    pub fn headers_grade(&self) -> String {
        let passed = self
            .security_headers
            .iter()
            .filter(|finding| finding.grade == Grade::Good)
            .count();
        format!(
            "Security headers: {passed} of {}",
            self.security_headers.len()
        )
    }
}

/// What the request and the answer say about security. `request` is the
/// request as sent (its text), `https` whether it went over TLS, `status` and
/// `headers` the answer's.
pub fn read(request: &str, https: bool, status: u16, headers: &[Header]) -> Insights {
    let request = RequestHead::parse(request);
    Insights {
        credentials: credentials(&request, https),
        cookies: headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| cookie(value, https))
            .collect(),
        security_headers: security_headers(headers, https),
        rate_limit: rate_limit(headers, status),
        cors: cors(&request, headers),
    }
}

/// The parts of a request's head the findings need.
struct RequestHead<'a> {
    target: &'a str,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> RequestHead<'a> {
    fn parse(text: &'a str) -> Self {
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut lines = head.lines();
        let target = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .unwrap_or_default();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim(), value.trim()))
            .collect();
        Self { target, headers }
    }

    fn header(&self, wanted: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| *value)
    }
}

fn header<'h>(headers: &'h [Header], wanted: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        .map(|(_, value)| value.as_str())
}

/// Query parameter names that carry a secret.
const SECRET_PARAMETERS: &[&str] = &[
    "password", "passwd", "pwd", "pass", "secret", "token", "api_key", "apikey", "key",
];

/// Request header names (besides `Authorization`) that carry a secret.
const SECRET_HEADERS: &[&str] = &[
    "x-password",
    "x-api-key",
    "x-auth-token",
    "x-token",
    "api-key",
];

fn credentials(request: &RequestHead<'_>, https: bool) -> Vec<Finding> {
    let mut found = Vec::new();
    if let Some(authorization) = request.header("authorization") {
        let (scheme, value) = authorization.split_once(' ').unwrap_or((authorization, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64_decode(value.trim())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            let shown = decoded.as_deref().unwrap_or("(not valid base64)");
            let (grade, meaning) = if https {
                (
                    Grade::Note,
                    "Encrypted on the way by TLS, but the password itself goes with every request, and base64 is an encoding, not encryption: anything that logs this header has the password.",
                )
            } else {
                (
                    Grade::Risk,
                    "Sent in the clear over plain HTTP: base64 is an encoding, not encryption, so anyone on the network path decodes the password exactly like this.",
                )
            };
            found.push(Finding::new(
                grade,
                format!("Authorization: Basic decodes to {shown}"),
                meaning,
            ));
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let meaning = if https {
                "A bearer token: whoever holds it is you until it expires or is revoked. TLS keeps it off the wire."
            } else {
                "A bearer token over plain HTTP: anyone who sees this request can replay it as you until it expires."
            };
            found.push(Finding::new(
                if https { Grade::Note } else { Grade::Risk },
                "Authorization: Bearer token",
                meaning,
            ));
        }
    }
    for (name, _) in &request.headers {
        if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            found.push(Finding::new(
                if https { Grade::Note } else { Grade::Risk },
                format!("{name}: a secret in a custom header"),
                if https {
                    "Kept off the wire by TLS, but proxies and servers log custom headers freely, and nothing marks this one as secret."
                } else {
                    "Readable by anyone on the network path (plain HTTP), and logged freely by proxies and servers."
                },
            ));
        }
    }
    let query = request
        .target
        .split_once('?')
        .map_or("", |(_, query)| query);
    for pair in query.split('&') {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if SECRET_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()) {
            found.push(Finding::new(
                Grade::Risk,
                format!("{name}= in the URL"),
                "A secret in the URL lands in server and proxy logs, browser history and bookmarks, and in the Referer header of links followed from the page; send it in the body or an Authorization header instead.",
            ));
        }
    }
    found
}

/// Standard base64 (with or without padding) to bytes; `None` when it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |byte: u8| -> Option<u32> {
        Some(
            match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                _ => return None,
            }
            .into(),
        )
    };
    let digits = text.trim_end_matches('=').as_bytes();
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut word = 0;
        for (index, &digit) in chunk.iter().enumerate() {
            word |= value(digit)? << (18 - 6 * index);
        }
        let produced = chunk.len() - 1;
        bytes.extend(word.to_be_bytes()[1..=produced].iter().copied());
    }
    Some(bytes)
}

/// One `Set-Cookie`: its name, then a finding per attribute that matters.
fn cookie(value: &str, https: bool) -> (String, Vec<Finding>) {
    let mut parts = value.split(';').map(str::trim);
    let name = parts
        .next()
        .and_then(|pair| pair.split_once('='))
        .map_or("(unnamed)", |(name, _)| name)
        .to_owned();
    let attributes: Vec<(String, String)> = parts
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (key.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let has = |wanted: &str| attributes.iter().any(|(key, _)| key == wanted);
    let get = |wanted: &str| {
        attributes
            .iter()
            .find(|(key, _)| key == wanted)
            .map(|(_, value)| value.as_str())
    };
    let mut findings = Vec::new();
    findings.push(if has("secure") {
        Finding::new(
            Grade::Good,
            "Secure",
            "The browser sends it over HTTPS only, never over plain HTTP where anyone on the network could read it.",
        )
    } else {
        Finding::new(
            Grade::Risk,
            "Secure: missing",
            "The browser also sends it over plain http://, where anyone on the network can read it and log in as this user.",
        )
    });
    findings.push(if has("httponly") {
        Finding::new(
            Grade::Good,
            "HttpOnly",
            "Page scripts cannot read it, so an injected script (XSS) cannot steal it.",
        )
    } else {
        Finding::new(
            Grade::Risk,
            "HttpOnly: missing",
            "Any script on the page can read it with document.cookie: one injected script (XSS) steals the session.",
        )
    });
    findings.push(match get("samesite").map(str::to_ascii_lowercase).as_deref() {
        Some("strict") => Finding::new(
            Grade::Good,
            "SameSite=Strict",
            "Never sent on requests that start on another site: no cross-site request forgery with it.",
        ),
        Some("lax") => Finding::new(
            Grade::Good,
            "SameSite=Lax",
            "Sent on top-level links from other sites, not on their forms, frames or scripts: blocks most cross-site request forgery.",
        ),
        Some("none") if !has("secure") => Finding::new(
            Grade::Risk,
            "SameSite=None without Secure",
            "Browsers reject this cookie outright: SameSite=None requires Secure.",
        ),
        Some("none") => Finding::new(
            Grade::Risk,
            "SameSite=None",
            "Sent on every request from any site, including forged ones: only for cookies that must work across sites.",
        ),
        _ => Finding::new(
            Grade::Risk,
            "SameSite: missing",
            "Left to the browser's default (Lax in Chromium, none in older browsers): say SameSite=Strict or Lax explicitly.",
        ),
    });
    if name.starts_with("__Host-") {
        findings.push(Finding::new(
            Grade::Good,
            "__Host- prefix",
            "Browsers accept it only with Secure, Path=/ and no Domain, from HTTPS: no other host or subdomain can overwrite it.",
        ));
    }
    if let Some(domain) = get("domain") {
        findings.push(Finding::new(
            Grade::Note,
            format!("Domain={domain}"),
            "Also sent to every subdomain of that domain.",
        ));
    }
    match (get("max-age"), get("expires")) {
        (None, None) => findings.push(Finding::new(
            Grade::Note,
            "No Max-Age or Expires",
            "A session cookie: the browser forgets it when it closes.",
        )),
        (Some(age), _) => findings.push(Finding::new(
            Grade::Note,
            format!("Max-Age={age}"),
            "Kept for that many seconds, across browser restarts.",
        )),
        (None, Some(date)) => findings.push(Finding::new(
            Grade::Note,
            format!("Expires={date}"),
            "Kept until that date, across browser restarts.",
        )),
    }
    if !https && has("secure") {
        findings.push(Finding::new(
            Grade::Note,
            "Set over plain HTTP",
            "Browsers ignore a Secure cookie set by a plain-HTTP answer.",
        ));
    }
    (name, findings)
}

fn security_headers(headers: &[Header], https: bool) -> Vec<Finding> {
    let csp = header(headers, "content-security-policy");
    let mut found = vec![match csp {
        Some(policy) => Finding::new(
            Grade::Good,
            format!("Content-Security-Policy: {policy}"),
            "Limits where scripts, styles, frames and requests may come from: an injected script has much less it can do.",
        ),
        None => Finding::new(
            Grade::Risk,
            "Content-Security-Policy: missing",
            "Nothing limits what a page from this answer may load or run: one injected <script> runs with the site's full powers.",
        ),
    }];
    found.push(match (https, header(headers, "strict-transport-security")) {
        (true, Some(value)) => Finding::new(
            Grade::Good,
            format!("Strict-Transport-Security: {value}"),
            "Browsers will use only HTTPS for this host from now on, even when someone types or links http://.",
        ),
        (true, None) => Finding::new(
            Grade::Risk,
            "Strict-Transport-Security: missing",
            "A browser still tries plain http:// for this host first, where an attacker on the network can answer instead (SSL stripping).",
        ),
        (false, _) => Finding::new(
            Grade::Risk,
            "Plain HTTP: no HSTS possible",
            "Everything in this exchange crossed the network readable and changeable; HSTS only counts when sent over HTTPS.",
        ),
    });
    found.push(
        match header(headers, "x-content-type-options").map(str::trim) {
            Some(value) if value.eq_ignore_ascii_case("nosniff") => Finding::new(
                Grade::Good,
                "X-Content-Type-Options: nosniff",
                "Browsers trust Content-Type instead of guessing.",
            ),
            _ => Finding::new(
                Grade::Risk,
                "X-Content-Type-Options: missing",
                "Browsers may guess the type, and run an uploaded text or JSON answer as HTML or script.",
            ),
        },
    );
    found.push(match header(headers, "referrer-policy") {
        Some(value) => Finding::new(
            Grade::Good,
            format!("Referrer-Policy: {value}"),
            "Controls how much of this page's URL other sites see when the page links to them.",
        ),
        None => Finding::new(
            Grade::Risk,
            "Referrer-Policy: missing",
            "Links from the page tell other sites where the visitor came from (the browser's default sends at least the origin); a token in the URL could travel with it.",
        ),
    });
    let frame_ancestors = csp.is_some_and(|policy| policy.contains("frame-ancestors"));
    found.push(
        match (frame_ancestors, header(headers, "x-frame-options")) {
            (true, _) => Finding::new(
                Grade::Good,
                "Framing: CSP frame-ancestors",
                "Only the listed sites may show this page in a frame: no clickjacking.",
            ),
            (false, Some(value)) => Finding::new(
                Grade::Good,
                format!("X-Frame-Options: {value}"),
                "Other sites may not show this page in a frame: no clickjacking.",
            ),
            (false, None) => Finding::new(
                Grade::Risk,
                "Framing: no frame-ancestors or X-Frame-Options",
                "Any site can show this page in an invisible frame and trick the visitor into clicking on it (clickjacking).",
            ),
        },
    );
    found
}

fn rate_limit(headers: &[Header], status: u16) -> Vec<Finding> {
    let meaning = |name: &str| -> Option<&'static str> {
        Some(match name {
            "ratelimit-limit" | "x-ratelimit-limit" => "How many requests the window allows.",
            "ratelimit-remaining" | "x-ratelimit-remaining" => {
                "How many requests are left in this window."
            }
            "ratelimit-reset" | "x-ratelimit-reset" => {
                "When the window starts over (seconds from now; X-RateLimit-Reset is often a Unix time)."
            }
            "ratelimit-policy" => "The policy: requests per window (w= is the window in seconds).",
            "ratelimit" => "The current state of the limit (the newer single-header form).",
            "retry-after" => "How long to wait before trying again (seconds, or a date).",
            _ => return None,
        })
    };
    let mut found: Vec<Finding> = headers
        .iter()
        .filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            meaning(&lower)
                .map(|meaning| Finding::new(Grade::Note, format!("{name}: {value}"), meaning))
        })
        .collect();
    if status == 429 {
        found.insert(
            0,
            Finding::new(
                Grade::Good,
                "429 Too Many Requests",
                "The server is limiting this client: guessing and scraping get slow and expensive.",
            ),
        );
    }
    found
}

fn cors(request: &RequestHead<'_>, headers: &[Header]) -> Vec<Finding> {
    let Some(allowed) = header(headers, "access-control-allow-origin") else {
        return Vec::new();
    };
    let credentials = header(headers, "access-control-allow-credentials")
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    let origin = request.header("origin");
    let finding = match (allowed.trim(), credentials) {
        ("*", true) => Finding::new(
            Grade::Note,
            "Access-Control-Allow-Origin: * with credentials",
            "Browsers refuse this combination: a wildcard never covers requests that carry cookies.",
        ),
        ("*", false) => Finding::new(
            Grade::Note,
            "Access-Control-Allow-Origin: *",
            "Any site may read this answer in a browser, but without the visitor's cookies: fine for public data only.",
        ),
        (value, true) if origin == Some(value) => Finding::new(
            Grade::Risk,
            format!("Access-Control-Allow-Origin: {value} (your Origin) with credentials"),
            "The answer repeats the Origin it was sent, with Allow-Credentials: if it does that for any origin, every site the visitor opens can read this answer with their cookies.",
        ),
        (value, true) => Finding::new(
            Grade::Good,
            format!("Access-Control-Allow-Origin: {value} with credentials"),
            "Only that origin may read answers made with the visitor's cookies.",
        ),
        (value, false) => Finding::new(
            Grade::Note,
            format!("Access-Control-Allow-Origin: {value}"),
            "Only that origin may read this answer in a browser.",
        ),
    };
    let mut found = vec![finding];
    if origin.is_some_and(|origin| origin != allowed.trim()) && allowed.trim() != "*" {
        found.push(Finding::new(
            Grade::Good,
            format!("Your Origin {} is not allowed", origin.unwrap_or_default()),
            "A browser page on that origin would be refused this answer.",
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn basic_credentials_are_decoded_and_flagged_over_plain_http() {
        let request = "GET /lab/insecure/auth/basic HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n\r\n";
        let plain = read(request, false, 200, &[]);
        assert_eq!(plain.credentials[0].grade, Grade::Risk);
        assert!(plain.credentials[0].subject.contains("alice:s3cret"));
        let tls = read(request, true, 200, &[]);
        assert_eq!(tls.credentials[0].grade, Grade::Note);
    }

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64_decode("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(base64_decode("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base64_decode("not base64!"), None);
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn secrets_in_the_url_and_custom_headers_are_flagged() {
        let request = "GET /lab/insecure/auth/report?user=ana&password=hunter2 HTTP/1.1\r\nX-Password: hunter2\r\n\r\n";
        let found = read(request, false, 200, &[]).credentials;
        assert!(
            found
                .iter()
                .any(|finding| finding.subject == "password= in the URL")
        );
        assert!(
            found
                .iter()
                .any(|finding| finding.subject.starts_with("X-Password"))
        );
    }

    #[test]
    fn a_bare_cookie_lacks_every_flag_and_a_careful_one_has_them() {
        let insights = read(
            "GET / HTTP/1.1\r\n\r\n",
            true,
            200,
            &headers(&[
                ("Set-Cookie", "session=abc"),
                (
                    "set-cookie",
                    "__Host-session=xyz; Secure; HttpOnly; SameSite=Strict; Path=/",
                ),
            ]),
        );
        let (name, bare) = &insights.cookies[0];
        assert_eq!(name, "session");
        assert_eq!(
            bare.iter()
                .filter(|finding| finding.grade == Grade::Risk)
                .count(),
            3
        );
        let (name, careful) = &insights.cookies[1];
        assert_eq!(name, "__Host-session");
        assert!(careful.iter().all(|finding| finding.grade != Grade::Risk));
    }

    #[test]
    fn security_headers_are_graded_one_by_one() {
        let bare = read("GET / HTTP/1.1\r\n\r\n", true, 200, &[]).security_headers;
        assert_eq!(bare.len(), 5);
        assert!(bare.iter().all(|finding| finding.grade == Grade::Risk));
        let careful = read(
            "GET / HTTP/1.1\r\n\r\n",
            true,
            200,
            &headers(&[
                (
                    "Content-Security-Policy",
                    "default-src 'none'; frame-ancestors 'none'",
                ),
                ("Strict-Transport-Security", "max-age=31536000"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
            ]),
        )
        .security_headers;
        assert!(careful.iter().all(|finding| finding.grade == Grade::Good));
        let graded = read("GET / HTTP/1.1\r\n\r\n", true, 200, &[]);
        assert_eq!(graded.headers_grade(), "Security headers: 0 of 5");
        let plain = read("GET / HTTP/1.1\r\n\r\n", false, 200, &[]).security_headers;
        assert!(plain[1].subject.contains("Plain HTTP"));
    }

    #[test]
    fn rate_limits_and_a_429_are_explained() {
        let found = read(
            "GET / HTTP/1.1\r\n\r\n",
            true,
            429,
            &headers(&[
                ("RateLimit-Limit", "10"),
                ("RateLimit-Remaining", "0"),
                ("Retry-After", "30"),
                ("Content-Type", "application/json"),
            ]),
        )
        .rate_limit;
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].subject, "429 Too Many Requests");
        assert!(found[3].meaning.contains("wait"));
    }

    #[test]
    fn a_reflected_origin_with_credentials_is_a_risk() {
        let request = "GET /lab/insecure/cors HTTP/1.1\r\nOrigin: http://localhost:7881\r\n\r\n";
        let reflected = read(
            request,
            false,
            200,
            &headers(&[
                ("Access-Control-Allow-Origin", "http://localhost:7881"),
                ("Access-Control-Allow-Credentials", "true"),
            ]),
        )
        .cors;
        assert_eq!(reflected[0].grade, Grade::Risk);
        let allowlisted = read(
            request,
            false,
            200,
            &headers(&[
                ("Access-Control-Allow-Origin", "http://localhost:7879"),
                ("Access-Control-Allow-Credentials", "true"),
            ]),
        )
        .cors;
        assert_eq!(allowlisted[0].grade, Grade::Good);
        assert!(allowlisted[1].subject.contains("not allowed"));
        assert!(read(request, false, 200, &[]).cors.is_empty());
    }
}
