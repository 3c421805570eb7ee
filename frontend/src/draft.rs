//! The request the learner is building, shared by the builder, the lessons'
//! "Try it" buttons and the snippets; and the checks a draft must pass before
//! it is sent, as plain functions tested on the host.

use leptos::prelude::*;
use safelab_protocol::{
    ExchangeRequest, Header, LessonRequest, MAX_REQUEST_BODY, RawRequest, TrustStore,
};

/// What the learner sent: a request built in the form, or raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "mode", content = "request", rename_all = "snake_case")]
pub enum Sent {
    /// A request from the form.
    Form(ExchangeRequest),
    /// Raw bytes, and the base URL of the listener they went to.
    Raw(RawRequest, String),
}

impl Sent {
    /// The request as the response view needs it (for following a redirect):
    /// for raw bytes, the method and URL of their request line.
    pub fn as_request(&self) -> ExchangeRequest {
        match self {
            Self::Form(request) => request.clone(),
            Self::Raw(raw, base) => {
                let (method, path) = raw.request_line().unwrap_or(("GET", "/"));
                ExchangeRequest {
                    method: method.to_owned(),
                    url: format!("{base}{path}"),
                    ..ExchangeRequest::default()
                }
            }
        }
    }

    /// The same request to the other twin: `/lab/insecure/…` and
    /// `/lab/secure/…` swapped in the URL (or the raw request line); `None`
    /// when the request is for neither twin.
    pub fn other_twin(&self) -> Option<Self> {
        fn swap(path: &str) -> Option<String> {
            if let Some(at) = path.find("/lab/insecure/") {
                Some(format!("{}/lab/secure/{}", &path[..at], &path[at + 14..]))
            } else {
                path.find("/lab/secure/")
                    .map(|at| format!("{}/lab/insecure/{}", &path[..at], &path[at + 12..]))
            }
        }
        match self {
            Self::Form(request) => Some(Self::Form(ExchangeRequest {
                url: swap(&request.url)?,
                ..request.clone()
            })),
            Self::Raw(raw, base) => {
                let (first, rest) = raw.text.split_once('\n').unwrap_or((&raw.text, ""));
                let mut text = swap(first)?;
                if raw.text.contains('\n') {
                    text.push('\n');
                    text.push_str(rest);
                }
                Some(Self::Raw(
                    RawRequest {
                        text,
                        ..raw.clone()
                    },
                    base.clone(),
                ))
            }
        }
    }

    /// Whether this request is for the insecure twin.
    pub fn is_insecure(&self) -> bool {
        match self {
            Self::Form(request) => request.url.contains("/lab/insecure/"),
            Self::Raw(raw, _) => raw
                .text
                .lines()
                .next()
                .is_some_and(|line| line.contains("/lab/insecure/")),
        }
    }

    /// One line saying what was sent.
    pub fn describe(&self) -> String {
        match self {
            Self::Form(request) => format!("{} {}", request.method, request.url),
            Self::Raw(raw, base) => {
                let first = raw.text.lines().next().unwrap_or_default();
                format!("raw bytes to {base}: {first}")
            }
        }
    }
}

/// One editable header row. The id keys the row in the list so editing one
/// row never re-creates the others (and focus stays where it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRow {
    /// Stable key of the row.
    pub id: u32,
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// The largest PEM the inspector takes as a trust store (its own limit).
pub const MAX_TRUST_PEM_BYTES: usize = 64 * 1024;

/// Which roots an HTTPS answer is verified against, as the builder offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustChoice {
    /// safelab's own CA.
    #[default]
    Safelab,
    /// The operating system's roots.
    System,
    /// No root at all.
    Nothing,
    /// The learner's own CA, pasted or uploaded.
    Pem,
}

impl TrustChoice {
    /// Every choice, in the order offered.
    pub const ALL: [Self; 4] = [Self::Safelab, Self::System, Self::Nothing, Self::Pem];

    /// The value of its `<option>`.
    pub fn value(self) -> &'static str {
        match self {
            Self::Safelab => "safelab",
            Self::System => "system",
            Self::Nothing => "none",
            Self::Pem => "pem",
        }
    }

    /// The choice an `<option>` value stands for.
    pub fn from_value(value: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|choice| choice.value() == value)
            .unwrap_or_default()
    }

    /// What the learner reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Safelab => "safelab CA (default)",
            Self::System => "this computer's roots",
            Self::Nothing => "none: trust no root",
            Self::Pem => "your own CA (paste or upload a PEM)",
        }
    }

    /// The choice a request was sent with.
    pub fn of(trust: &TrustStore) -> Self {
        match trust {
            TrustStore::Safelab => Self::Safelab,
            TrustStore::System => Self::System,
            TrustStore::Empty => Self::Nothing,
            TrustStore::Pem { .. } => Self::Pem,
        }
    }
}

/// The request being built. `Copy`: every field is a signal.
#[derive(Debug, Clone, Copy)]
pub struct Draft {
    /// The method.
    pub method: RwSignal<String>,
    /// The absolute URL.
    pub url: RwSignal<String>,
    /// Header rows, in order.
    pub headers: RwSignal<Vec<HeaderRow>>,
    /// The body.
    pub body: RwSignal<String>,
    /// The trust store an HTTPS answer is verified against.
    pub trust: RwSignal<TrustChoice>,
    /// The learner's CA, when [`TrustChoice::Pem`] is chosen.
    pub trust_pem: RwSignal<String>,
    /// Whether to present the lab's client certificate when a server asks.
    pub client_certificate: RwSignal<bool>,
    next_id: StoredValue<u32>,
}

impl Draft {
    /// A draft for `GET url`.
    pub fn new(url: String) -> Self {
        Self {
            method: RwSignal::new("GET".to_owned()),
            url: RwSignal::new(url),
            headers: RwSignal::new(Vec::new()),
            body: RwSignal::new(String::new()),
            trust: RwSignal::new(TrustChoice::default()),
            trust_pem: RwSignal::new(String::new()),
            client_certificate: RwSignal::new(false),
            next_id: StoredValue::new(0),
        }
    }

    fn new_id(&self) -> u32 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    /// Adds an empty header row.
    pub fn add_header(&self) {
        let id = self.new_id();
        self.headers.update(|rows| {
            rows.push(HeaderRow {
                id,
                name: String::new(),
                value: String::new(),
            })
        });
    }

    /// Removes the row with this id.
    pub fn remove_header(&self, id: u32) {
        self.headers.update(|rows| rows.retain(|row| row.id != id));
    }

    /// Edits the row with this id.
    pub fn edit_header(&self, id: u32, edit: impl FnOnce(&mut HeaderRow)) {
        self.headers.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == id) {
                edit(row);
            }
        });
    }

    /// Replaces the draft with a lesson's request, sent to `base` (a listener URL).
    pub fn fill(&self, request: &LessonRequest, base: &str) {
        let url = format!("{}{}", base.trim_end_matches('/'), request.path);
        self.replace(&request.method, url, &request.headers, &request.body);
    }

    /// Replaces the draft with a request sent before, its trust store and
    /// client-certificate choice included.
    pub fn load(&self, request: &ExchangeRequest) {
        self.replace(
            &request.method,
            request.url.clone(),
            &request.headers,
            &request.body,
        );
        self.trust.set(TrustChoice::of(&request.trust));
        if let TrustStore::Pem { pem } = &request.trust {
            self.trust_pem.set(pem.clone());
        }
        self.client_certificate.set(request.client_certificate);
    }

    fn replace(&self, method: &str, url: String, headers: &[Header], body: &str) {
        self.method.set(method.to_owned());
        self.url.set(url);
        let rows = headers
            .iter()
            .map(|(name, value)| HeaderRow {
                id: self.new_id(),
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        self.headers.set(rows);
        self.body.set(body.to_owned());
    }

    /// Sends the same path to another listener.
    pub fn rebase(&self, base: &str) {
        self.url.update(|url| *url = rebase(url, base));
    }

    /// What the draft says now, tracked: a view or memo that reads it updates
    /// when any field changes.
    pub fn values(&self) -> DraftValues {
        DraftValues {
            method: self.method.get(),
            url: self.url.get(),
            headers: self.headers.get(),
            body: self.body.get(),
            trust: self.trust.get(),
            trust_pem: self.trust_pem.get(),
            client_certificate: self.client_certificate.get(),
        }
    }

    /// What the draft says now, without tracking (for event handlers).
    pub fn values_untracked(&self) -> DraftValues {
        DraftValues {
            method: self.method.get_untracked(),
            url: self.url.get_untracked(),
            headers: self.headers.get_untracked(),
            body: self.body.get_untracked(),
            trust: self.trust.get_untracked(),
            trust_pem: self.trust_pem.get_untracked(),
            client_certificate: self.client_certificate.get_untracked(),
        }
    }
}

/// A snapshot of a draft's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DraftValues {
    /// The method as typed.
    pub method: String,
    /// The URL as typed.
    pub url: String,
    /// Header rows, in order.
    pub headers: Vec<HeaderRow>,
    /// The body.
    pub body: String,
    /// The trust store chosen.
    pub trust: TrustChoice,
    /// The learner's CA, used when [`TrustChoice::Pem`] is chosen.
    pub trust_pem: String,
    /// Whether to present the lab's client certificate.
    pub client_certificate: bool,
}

impl DraftValues {
    /// The draft as the inspector's request: trimmed, and without rows that
    /// are entirely empty (a row with a value but no name is a [`Problem`]).
    pub fn to_request(&self) -> ExchangeRequest {
        ExchangeRequest {
            method: self.method.trim().to_owned(),
            url: self.url.trim().to_owned(),
            headers: self
                .headers
                .iter()
                .filter(|row| !row.name.trim().is_empty())
                .map(|row| (row.name.trim().to_owned(), row.value.clone()))
                .collect(),
            body: self.body.clone(),
            trust: match self.trust {
                TrustChoice::Safelab => TrustStore::Safelab,
                TrustChoice::System => TrustStore::System,
                TrustChoice::Nothing => TrustStore::Empty,
                TrustChoice::Pem => TrustStore::Pem {
                    pem: self.trust_pem.trim().to_owned(),
                },
            },
            client_certificate: self.client_certificate,
        }
    }

    /// Everything that keeps this draft from being sent, in the order of the
    /// fields on screen; empty when it can go.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(Problem { field, message });
        let method = self.method.trim();
        if method.is_empty() {
            problem(
                Field::Method,
                "Type a method, such as GET or POST.".to_owned(),
            );
        } else if !method.bytes().all(is_token_byte) {
            problem(
                Field::Method,
                format!(
                    "{method:?} is not a method: a method is one word of letters, such as GET or POST."
                ),
            );
        }
        let url = self.url.trim();
        let lower = url.to_ascii_lowercase();
        let after_scheme = ["http://", "https://"]
            .iter()
            .find_map(|scheme| lower.strip_prefix(scheme));
        match after_scheme {
            None => problem(
                Field::Url,
                "Start the URL with http:// or https://, as in the lab buttons above.".to_owned(),
            ),
            Some(rest) if rest.is_empty() || rest.starts_with('/') => problem(
                Field::Url,
                "Put a host after the scheme, such as 127.0.0.1:7878.".to_owned(),
            ),
            Some(_) if url.chars().any(char::is_whitespace) => problem(
                Field::Url,
                "The URL contains a space: write it as %20.".to_owned(),
            ),
            Some(_) => {}
        }
        for row in &self.headers {
            let name = row.name.trim();
            if name.is_empty() {
                if !row.value.trim().is_empty() {
                    problem(
                        Field::HeaderName(row.id),
                        "This header has a value but no name: give it a name, or remove the row."
                            .to_owned(),
                    );
                }
            } else if !name.bytes().all(is_token_byte) {
                problem(
                    Field::HeaderName(row.id),
                    format!(
                        "{name:?} cannot be a header name: use letters, digits and hyphens, with no spaces or colons."
                    ),
                );
            }
        }
        if self.body.len() > MAX_REQUEST_BODY {
            problem(
                Field::Body,
                format!(
                    "The body is larger than the {} KB the inspector sends (it has {} KB).",
                    MAX_REQUEST_BODY / 1024,
                    self.body.len().div_ceil(1024)
                ),
            );
        }
        if self.trust == TrustChoice::Pem {
            if !self.trust_pem.contains("-----BEGIN CERTIFICATE-----") {
                problem(
                    Field::TrustPem,
                    "Paste or upload your CA's certificate: the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. Or choose another trust store.".to_owned(),
                );
            } else if self.trust_pem.len() > MAX_TRUST_PEM_BYTES {
                problem(
                    Field::TrustPem,
                    format!(
                        "A trust store may have at most {} KB (this one has {} KB): give only your CA's certificate.",
                        MAX_TRUST_PEM_BYTES / 1024,
                        self.trust_pem.len().div_ceil(1024)
                    ),
                );
            }
        }
        problems
    }
}

/// A field of the builder that can hold a mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The method input.
    Method,
    /// The URL input.
    Url,
    /// The name input of the header row with this id.
    HeaderName(u32),
    /// The body.
    Body,
    /// The learner's CA, as a trust store.
    TrustPem,
}

impl Field {
    /// The id of the field's input element.
    pub fn input_id(self) -> String {
        match self {
            Self::Method => "method".to_owned(),
            Self::Url => "url".to_owned(),
            Self::HeaderName(row) => format!("header-{row}-name"),
            Self::Body => "body".to_owned(),
            Self::TrustPem => "trust-pem".to_owned(),
        }
    }

    /// The id of the element that explains the field's mistake.
    pub fn message_id(self) -> String {
        format!("{}-problem", self.input_id())
    }

    /// The field an error code of the API is about, if it is about one.
    pub fn of_api_error(code: &str) -> Option<Self> {
        match code {
            "invalid_url" | "target_not_allowed" | "api_not_a_target" => Some(Self::Url),
            "invalid_method" => Some(Self::Method),
            "body_too_large" => Some(Self::Body),
            "invalid_trust_store" => Some(Self::TrustPem),
            _ => None,
        }
    }
}

/// Why a field keeps the draft from being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field.
    pub field: Field,
    /// What is wrong and how to fix it, as a sentence.
    pub message: String,
}

/// `tchar` of RFC 9110: what may appear in a method or a header name.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// The request a client makes when it follows a redirect: the `Location`
/// resolved against the URL that answered, and the method kept for 307 and
/// 308 but changed to GET (without the body) for the others, as browsers and
/// Python `requests` do. `None` if the location is not something to follow.
pub fn follow(url: &str, method: &str, status: u16, location: &str) -> Option<(String, String)> {
    let location = location.trim();
    let target = if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{}//{rest}", url.split_once("//")?.0)
    } else if location.starts_with('/') {
        format!("{}{location}", base_of(url)?)
    } else {
        let without_query = url.split(['?', '#']).next().unwrap_or(url);
        let directory = &without_query[..without_query.rfind('/')? + 1];
        if directory.len() <= base_of(url)?.len() {
            format!("{}/{location}", base_of(url)?)
        } else {
            format!("{directory}{location}")
        }
    };
    let method = match status {
        307 | 308 => method.to_owned(),
        303 => "GET".to_owned(),
        _ if method.eq_ignore_ascii_case("HEAD") => method.to_owned(),
        _ => "GET".to_owned(),
    };
    Some((method, target))
}

/// `url` with its scheme and authority replaced by `base`, keeping path and query.
pub fn rebase(url: &str, base: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or("/", |index| &url[after_scheme + index..]);
    let path = if url.contains("://") { path } else { url };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    format!("{}{path}", base.trim_end_matches('/'))
}

/// The listener base (`scheme://authority`) of a URL, if it has one.
pub fn base_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    Some(
        url[after_scheme..]
            .find('/')
            .map_or(url, |index| &url[..after_scheme + index]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twins_swap_in_the_url_and_in_the_raw_request_line() {
        let form = Sent::Form(ExchangeRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:7879/lab/insecure/files/..%2f.env".into(),
            ..ExchangeRequest::default()
        });
        let Some(Sent::Form(secure)) = form.other_twin() else {
            panic!("a twin");
        };
        assert_eq!(
            secure.url,
            "http://127.0.0.1:7879/lab/secure/files/..%2f.env"
        );
        assert!(form.is_insecure());
        let raw = Sent::Raw(
            RawRequest {
                listener: safelab_protocol::ListenerId::Http,
                text: "GET /lab/secure/files/x HTTP/1.1\nHost: /lab/secure/\n\n".into(),
                line_endings: safelab_protocol::LineEndings::Crlf,
            },
            "http://127.0.0.1:7879".into(),
        );
        let Some(Sent::Raw(insecure, _)) = raw.other_twin() else {
            panic!("a twin");
        };
        assert_eq!(
            insecure.text,
            "GET /lab/insecure/files/x HTTP/1.1\nHost: /lab/secure/\n\n"
        );
        let neither = Sent::Form(ExchangeRequest {
            url: "http://x/lab/hello".into(),
            ..ExchangeRequest::default()
        });
        assert_eq!(neither.other_twin(), None);
    }

    #[test]
    fn rebase_keeps_path_and_query() {
        assert_eq!(
            rebase(
                "http://127.0.0.1:7878/lab/status/404?x=1",
                "https://localhost:7879"
            ),
            "https://localhost:7879/lab/status/404?x=1"
        );
        assert_eq!(
            rebase("http://127.0.0.1:7878", "https://localhost:7879/"),
            "https://localhost:7879/"
        );
        assert_eq!(
            rebase("lab/hello", "https://localhost:7879"),
            "https://localhost:7879/lab/hello"
        );
    }

    fn draft(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> DraftValues {
        DraftValues {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers
                .iter()
                .zip(0..)
                .map(|((name, value), id)| HeaderRow {
                    id,
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect(),
            body: body.to_owned(),
            ..DraftValues::default()
        }
    }

    #[test]
    fn the_trust_store_and_client_certificate_travel_with_the_request() {
        let mut values = draft("GET", "https://localhost:7879/lab/hello", &[], "");
        assert_eq!(values.to_request().trust, TrustStore::Safelab);
        values.trust = TrustChoice::Nothing;
        values.client_certificate = true;
        let request = values.to_request();
        assert_eq!(request.trust, TrustStore::Empty);
        assert!(request.client_certificate);
        assert_eq!(TrustChoice::of(&request.trust), TrustChoice::Nothing);
        assert_eq!(TrustChoice::from_value("none"), TrustChoice::Nothing);

        values.trust = TrustChoice::Pem;
        let problems = values.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, Field::TrustPem);
        values.trust_pem =
            "\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_owned();
        assert!(values.problems().is_empty());
        assert_eq!(
            values.to_request().trust,
            TrustStore::Pem {
                pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".to_owned()
            }
        );
        values.trust_pem.push_str(&"A".repeat(MAX_TRUST_PEM_BYTES));
        assert!(values.problems()[0].message.contains("64 KB"));
    }

    #[test]
    fn a_good_draft_has_no_problems_and_drops_empty_rows() {
        let values = draft(
            "GET",
            " http://127.0.0.1:7878/lab/hello ",
            &[("Accept", "text/csv"), ("", "")],
            "",
        );
        assert!(values.problems().is_empty());
        let request = values.to_request();
        assert_eq!(request.url, "http://127.0.0.1:7878/lab/hello");
        assert_eq!(
            request.headers,
            vec![("Accept".to_owned(), "text/csv".to_owned())]
        );
    }

    #[test]
    fn each_mistake_names_its_field_in_a_sentence() {
        let values = draft(
            "GE T",
            "127.0.0.1:7878/lab",
            &[("", "orphan value"), ("Bad Name", "x")],
            &"x".repeat(MAX_REQUEST_BODY + 1),
        );
        let problems = values.problems();
        let fields: Vec<Field> = problems.iter().map(|problem| problem.field).collect();
        assert_eq!(
            fields,
            [
                Field::Method,
                Field::Url,
                Field::HeaderName(0),
                Field::HeaderName(1),
                Field::Body
            ]
        );
        for problem in &problems {
            assert!(
                problem
                    .message
                    .starts_with(|c: char| c.is_uppercase() || c == '"'),
                "{problem:?}"
            );
            assert!(problem.message.ends_with('.'), "{problem:?}");
        }
        assert!(problems[2].message.contains("value but no name"));
        assert!(problems[4].message.contains("256 KB"));
        assert_eq!(
            draft("GET", "https://", &[], "").problems()[0].field,
            Field::Url
        );
        assert_eq!(
            draft("GET", "http://a b/", &[], "").problems()[0].field,
            Field::Url
        );
    }

    #[test]
    fn following_a_redirect_resolves_the_location_and_picks_the_method() {
        let from = "http://127.0.0.1:7878/lab/status/302?x=1";
        assert_eq!(
            follow(from, "POST", 302, "/lab/redirected"),
            Some((
                "GET".to_owned(),
                "http://127.0.0.1:7878/lab/redirected".to_owned()
            ))
        );
        assert_eq!(
            follow(from, "POST", 307, "redirected"),
            Some((
                "POST".to_owned(),
                "http://127.0.0.1:7878/lab/status/redirected".to_owned()
            ))
        );
        assert_eq!(
            follow(from, "GET", 301, "https://localhost:7879/lab/hello"),
            Some((
                "GET".to_owned(),
                "https://localhost:7879/lab/hello".to_owned()
            ))
        );
        assert_eq!(
            follow("http://127.0.0.1:7878/x", "GET", 308, "y"),
            Some(("GET".to_owned(), "http://127.0.0.1:7878/y".to_owned()))
        );
    }

    #[test]
    fn base_of_finds_scheme_and_authority() {
        assert_eq!(
            base_of("https://localhost:7879/lab/hello"),
            Some("https://localhost:7879")
        );
        assert_eq!(
            base_of("http://127.0.0.1:7878"),
            Some("http://127.0.0.1:7878")
        );
        assert_eq!(base_of("/lab/hello"), None);
    }
}
