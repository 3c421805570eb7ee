//! The JSON contract between the safelab app (WASM) and its backend.
//!
//! Only serde types live here: no I/O, no tokio, no DOM, so the crate builds for
//! `wasm32-unknown-unknown` and for the host alike. Headers travel as
//! `[name, value]` pairs in wire order, because order and repetition matter when
//! a learner is looking at what really crossed the wire.

use serde::{Deserialize, Serialize};

mod certificates;
pub mod own_ca;
pub mod tools;

pub use certificates::{
    BrokenListener, CertificateCheck, ObservedAlert, ObservedHandshakes, ObservedListener, Refusal,
    TrustStore, VerificationFailure,
};

/// The largest request body the inspector sends, in bytes (256 KiB).
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

/// One header as it appeared on the wire: `[name, value]`.
pub type Header = (String, String);

/// Answer of `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when the program answers at all.
    pub status: String,
    /// The program's version, as `safelab --version` prints it.
    pub version: String,
}

/// Which of safelab's listeners a [`Listener`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerId {
    /// The app listener: the app and `/api/…`, nothing of the lab.
    App,
    /// The lab over plain HTTP, on its own origin.
    Http,
    /// The lab over HTTPS, with a chain from safelab's local certificate authority.
    Https,
    /// A stranger's site on an origin of its own: the pages an attacker would
    /// host, which lessons point a browser at (lesson 7's cross-origin reads).
    Attacker,
    /// One of lesson 6's certificate listeners: a broken one from
    /// [`LabInfo::certificates`], or one the learner started with a certificate
    /// their own CA signed. Never in [`LabInfo::listeners`].
    Certificate,
}

impl ListenerId {
    /// The id as it appears in JSON (`"app"`, `"http"`, `"https"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Http => "http",
            Self::Https => "https",
            Self::Attacker => "attacker",
            Self::Certificate => "certificate",
        }
    }

    /// Whether this listener belongs to the lab (and so may be sent requests
    /// by the inspector and by raw mode); the app listener does not.
    pub fn is_lab(self) -> bool {
        !matches!(self, Self::App)
    }

    /// Whether this listener serves the lab's endpoints (`/lab/…`): the HTTP
    /// and HTTPS listeners, the ones the request builder offers.
    pub fn serves_endpoints(self) -> bool {
        matches!(self, Self::Http | Self::Https)
    }
}

/// One address the lab listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// Which listener this is.
    pub id: ListenerId,
    /// Its base URL, without a trailing slash (`https://localhost:7879`).
    pub url: String,
    /// One line for the learner: what this listener is for.
    pub description: String,
}

/// Answer of `GET /api/lab`: where the lab can be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    /// Every listener of this run of the program.
    pub listeners: Vec<Listener>,
    /// Where the root certificate of the local certificate authority can be downloaded.
    pub ca_url: String,
    /// Lesson 6's HTTPS listeners with broken certificates, one per way a
    /// chain breaks.
    #[serde(default)]
    pub certificates: Vec<BrokenListener>,
}

impl LabInfo {
    /// The listener with the given id, if this run has one.
    pub fn listener(&self, id: ListenerId) -> Option<&Listener> {
        self.listeners.iter().find(|listener| listener.id == id)
    }
}

/// Body of `POST /api/exchange`: a request for the inspector to send.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExchangeRequest {
    /// The method, sent as typed (`GET`, `POST`, …).
    pub method: String,
    /// The absolute URL; its path is sent exactly as written (no `..` removal).
    pub url: String,
    /// Extra request headers, in the order they are to be sent.
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The request body; empty for none.
    #[serde(default)]
    pub body: String,
    /// The roots an HTTPS server's chain is verified against.
    #[serde(default)]
    pub trust: TrustStore,
    /// Whether to present safelab's lab client certificate when a server asks
    /// for one (lesson 6's `client-certificate` listener).
    #[serde(default)]
    pub client_certificate: bool,
}

/// Body of `POST /api/raw`: bytes the learner typed, for the inspector to write
/// to a lab listener exactly as they are, as netcat or `openssl s_client` would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRequest {
    /// The lab listener to write to (never the app listener).
    pub listener: ListenerId,
    /// The request as typed: request line, headers, an empty line, the body.
    pub text: String,
    /// How line breaks in [`Self::text`] go out.
    #[serde(default)]
    pub line_endings: LineEndings,
}

/// How the line breaks of a raw request go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEndings {
    /// Every line break becomes CR LF, as HTTP/1.1 requires (netcat's `-C`).
    #[default]
    Crlf,
    /// Line breaks go out as typed (a text box gives LF alone).
    AsTyped,
}

impl RawRequest {
    /// The bytes that go on the wire.
    pub fn wire_text(&self) -> String {
        match self.line_endings {
            LineEndings::AsTyped => self.text.clone(),
            LineEndings::Crlf => {
                let mut wire = String::with_capacity(self.text.len() + 16);
                let mut previous = '\0';
                for character in self.text.chars() {
                    if character == '\n' && previous != '\r' {
                        wire.push('\r');
                    }
                    wire.push(character);
                    previous = character;
                }
                wire
            }
        }
    }

    /// The method and path of the request line, when it has them.
    pub fn request_line(&self) -> Option<(&str, &str)> {
        let mut words = self.text.lines().next()?.split_whitespace();
        Some((words.next()?, words.next()?))
    }
}

/// Answer of `POST /api/exchange`: everything that crossed the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The exact bytes the inspector sent, as text.
    pub request: String,
    /// The status code of the response (`200`).
    pub status: u16,
    /// The reason phrase the server sent (`OK`); may be empty.
    pub reason: String,
    /// The protocol version of the status line (`HTTP/1.1`).
    pub http_version: String,
    /// Every response header in wire order.
    pub headers: Vec<Header>,
    /// The response body (decoded from chunked transfer, and decompressed when
    /// [`Self::decompressed`] says so), as UTF-8 text; bytes that are not UTF-8
    /// are shown as U+FFFD.
    pub body: String,
    /// How many body bytes crossed the wire (at most the cap).
    pub body_bytes: u64,
    /// Whether the body was cut at the inspector's size cap.
    pub body_truncated: bool,
    /// When the server compressed the body (`Content-Encoding`), how the
    /// inspector unpacked it for reading; `None` when it arrived as it is.
    #[serde(default)]
    pub decompressed: Option<Decompressed>,
    /// How long each phase took.
    pub timings: Timings,
    /// The TLS session and the peer's certificate chain; `None` for plain HTTP.
    pub tls: Option<TlsInfo>,
}

impl Exchange {
    /// The first response header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A compressed body the inspector unpacked so it can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decompressed {
    /// The content coding (`gzip`).
    pub encoding: String,
    /// How many bytes the body has once unpacked (at most the inspector's cap).
    pub bytes: u64,
    /// Whether unpacking stopped early: at the cap, or at a damaged or cut stream.
    pub truncated: bool,
}

/// Time spent in each phase of an exchange, in milliseconds since it began.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// The TCP connection was established.
    pub connect_ms: f64,
    /// Duration of the TLS handshake; `None` for plain HTTP.
    pub tls_ms: Option<f64>,
    /// The first byte of the response arrived.
    pub first_byte_ms: f64,
    /// The whole response was read.
    pub total_ms: f64,
}

/// What the TLS handshake negotiated and what the server proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// The negotiated cipher suite (`TLS13_AES_256_GCM_SHA384`).
    pub cipher: String,
    /// The negotiated application protocol, if any (`http/1.1`).
    pub alpn: Option<String>,
    /// The certificates to show, leaf first: the path the verifier built up to
    /// its trust anchor when it found one (the anchor comes from the trust
    /// store, not from the server), then anything else the server sent; when no
    /// path was found, the certificates the server sent, in its order, and
    /// last the trust store's root that [`Self::failure`] blames, if it
    /// blames one the server did not send (an expired root, a root whose name
    /// constraints the server's name breaks).
    pub chain: Vec<CertificateInfo>,
    /// Whether the chain verified for the requested host against [`Self::trust_store`].
    pub verified: bool,
    /// Which roots the verdict was reached against.
    pub trust_store: String,
    /// Why verification failed, in words; `None` when it succeeded.
    pub error: Option<String>,
    /// Which check failed and on which certificate; `None` when it succeeded.
    #[serde(default)]
    pub failure: Option<VerificationFailure>,
}

/// One certificate of a chain, as a learner would read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Subject distinguished name (`CN=localhost, O=safelab`).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number in colon-separated hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Subject alternative names (`DNS:localhost`, `IP:127.0.0.1`).
    pub sans: Vec<String>,
    /// The public key's algorithm (`ECDSA P-256`).
    pub key_algorithm: String,
    /// The algorithm the issuer signed with (`ECDSA with SHA-256`).
    pub signature_algorithm: String,
    /// Whether basic constraints mark it as a certificate authority.
    pub is_ca: bool,
    /// Basic constraints' path length: how many intermediates may follow this
    /// certificate authority; `None` when unlimited or not a certificate authority.
    #[serde(default)]
    pub path_length: Option<u32>,
    /// What the key may be used for (`Digital Signature`, `Key Cert Sign`); empty
    /// when the certificate has no key usage extension.
    #[serde(default)]
    pub key_usage: Vec<String>,
    /// Extended key usage (`TLS Web Server Authentication (serverAuth)`); empty
    /// when the certificate has no such extension.
    #[serde(default)]
    pub extended_key_usage: Vec<String>,
    /// Name constraints of a certificate authority, one subtree each
    /// (`permitted DNS:localhost`, `excluded IP:10.0.0.0/8`).
    #[serde(default)]
    pub name_constraints: Vec<String>,
    /// SHA-256 fingerprint of the DER bytes, colon-separated upper-case hex.
    pub sha256: String,
    /// SHA-1 fingerprint of the DER bytes, colon-separated upper-case hex: older
    /// tools still show it, though it no longer identifies a certificate safely.
    #[serde(default)]
    pub sha1: String,
    /// The certificate in PEM, for the learner to download and open elsewhere.
    #[serde(default)]
    pub pem: String,
    /// Where the client got this certificate.
    pub source: CertificateSource,
    /// Whether it is part of the path the verifier built to a trust anchor.
    pub in_path: bool,
}

/// Where a certificate of a chain came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateSource {
    /// The server sent it during the handshake.
    Server,
    /// The client's trust store holds it (a root is never needed from the server).
    TrustStore,
}

/// Answer of `GET /api/progress`, and of each `progress` event of
/// `GET /api/progress/events`: every lesson with its exercises.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Every lesson, in curriculum order.
    pub lessons: Vec<LessonProgress>,
}

impl Progress {
    /// One lesson's progress by id.
    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.iter().find(|lesson| lesson.id == id)
    }
}

/// One lesson's exercises and which of them are solved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The lesson's id.
    pub id: String,
    /// How many of its exercises are solved.
    pub solved: u32,
    /// Its exercises, in reading order.
    pub exercises: Vec<ExerciseProgress>,
}

/// One exercise and whether it is solved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    /// The exercise's id within its lesson.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When the lab saw it done (RFC 3339, UTC); `None` while unsolved.
    pub solved_at: Option<String>,
}

impl ExerciseProgress {
    /// Whether the lab has seen this exercise done.
    pub fn is_solved(&self) -> bool {
        self.solved_at.is_some()
    }
}

/// Answer of `POST /api/progress/reset` and `POST /api/progress/{lesson}/reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetDone {
    /// The lessons whose progress and lab state were restored.
    pub lessons: Vec<String>,
    /// How many solved exercises were forgotten.
    pub forgotten: u32,
}

/// Which side of an insecure/secure pair a lab endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Twin {
    /// Vulnerable on purpose, under `/lab/insecure/…`.
    Insecure,
    /// The fixed version with the same routes, under `/lab/secure/…`.
    Secure,
}

/// One endpoint of the lab, as `GET /lab` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabEndpoint {
    /// The lesson it belongs to.
    pub lesson: String,
    /// The method it answers (`GET`), or `ANY`.
    pub method: String,
    /// The route, with `{name}` for one path segment and `{*name}` for the rest
    /// of the path (`/lab/insecure/files/{*path}`).
    pub path: String,
    /// Which twin it is; `None` for an endpoint that is neither.
    pub twin: Option<Twin>,
    /// One line: what it answers.
    pub summary: String,
}

/// Answer of `GET /lab` on every lab listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabIndex {
    /// Every lab endpoint.
    pub endpoints: Vec<LabEndpoint>,
}

/// Every error the API returns has this body, with a fitting status code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable machine-readable code (`target_not_allowed`, `bad_json`).
    pub code: String,
    /// What went wrong and what to do next, for a person.
    pub message: String,
}

/// A lesson as listed in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonSummary {
    /// Stable id used in URLs (`http-basics`).
    pub id: String,
    /// Position in the curriculum, from 1.
    pub number: u32,
    /// Title shown to the learner.
    pub title: String,
    /// One sentence: what the learner will be able to do afterwards.
    pub summary: String,
}

/// A whole lesson, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// The lesson's entry in the table of contents.
    #[serde(flatten)]
    pub summary: LessonSummary,
    /// The lesson's content, in reading order: objectives first, key points last.
    pub blocks: Vec<LessonBlock>,
    /// The lesson's Python exercise scripts, by file name (`traversal.py`),
    /// downloadable from `GET /api/lessons/{id}/python/{name}`.
    #[serde(default)]
    pub scripts: Vec<String>,
}

impl Lesson {
    /// Every challenge of the lesson, in reading order.
    pub fn challenges(&self) -> Vec<&LessonChallenge> {
        self.all_blocks()
            .into_iter()
            .filter_map(|block| match block {
                LessonBlock::Challenge(challenge) => Some(challenge),
                _ => None,
            })
            .collect()
    }

    /// Every block of the lesson in reading order, with the blocks inside
    /// asides and challenges (task, hint, solution) right after their box.
    pub fn all_blocks(&self) -> Vec<&LessonBlock> {
        let mut found = Vec::new();
        collect_blocks(&self.blocks, &mut found);
        found
    }
}

fn collect_blocks<'a>(blocks: &'a [LessonBlock], found: &mut Vec<&'a LessonBlock>) {
    for block in blocks {
        found.push(block);
        match block {
            LessonBlock::Aside(aside) => collect_blocks(&aside.blocks, found),
            LessonBlock::Challenge(challenge) => {
                collect_blocks(&challenge.task, found);
                if let Some(hint) = &challenge.hint {
                    collect_blocks(hint, found);
                }
                collect_blocks(&challenge.solution, found);
            }
            _ => {}
        }
    }
}

/// A piece of a lesson: prose, a code sample, a request the learner can try, a
/// box set apart, or a challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LessonBlock {
    /// Rendered Markdown (HTML made by the backend from the lesson's own text).
    Prose {
        /// The HTML to show.
        html: String,
    },
    /// A code sample to read and copy, with this run's real addresses in it.
    Code(LessonCode),
    /// A request with a "Try it" control that fills the request builder.
    Request(LessonRequest),
    /// Objectives, key points or a callout: blocks set apart in a box.
    Aside(LessonAside),
    /// An exercise the lab checks: solved when the server sees it done.
    Challenge(LessonChallenge),
    /// An interactive tool drawn by the app in the lesson's flow
    /// (`::: widget {#own-ca}`): one of [`WIDGETS`].
    Widget {
        /// Which tool (`own-ca`).
        id: String,
    },
}

/// The ids a `::: widget {#…}` block may name, each drawn by the app:
/// `own-ca` is lesson 6's guided flow (a CA, a key and CSR, a signature, a
/// listener, a verification); the others are the analysis tools
/// ([`tools::Tool::widget`]), drawn in the lesson as on the Tools page.
pub const WIDGETS: &[&str] = &[
    "own-ca",
    "pickle-inspector",
    "secret-scanner",
    "dependency-check",
    "python-lint",
];

/// Which kind of box an [`LessonAside`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsideKind {
    /// What the learner will be able to do (the lesson's first block).
    Objectives,
    /// What to remember (the lesson's last block).
    Keypoints,
    /// A note beside the main line of the lesson.
    Callout,
}

impl AsideKind {
    /// The box's heading.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Objectives => "In this lesson you will",
            Self::Keypoints => "Key points",
            Self::Callout => "Note",
        }
    }
}

/// A box of blocks set apart from the lesson's main line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonAside {
    /// Objectives, key points or a callout.
    pub aside: AsideKind,
    /// What the box holds.
    pub blocks: Vec<LessonBlock>,
}

/// An exercise declared in a lesson: a task the lab's own handlers recognise as
/// done, whichever client sent the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonChallenge {
    /// Stable id within the lesson, used in URLs and in `/api/progress`
    /// (`read-passwd`).
    pub id: String,
    /// Position among the lesson's challenges, from 1 ("challenge 3").
    pub number: u32,
    /// The challenge's title.
    pub title: String,
    /// What to do.
    pub task: Vec<LessonBlock>,
    /// A nudge, shown collapsed; `None` when the lesson gives none.
    pub hint: Option<Vec<LessonBlock>>,
    /// One way to do it, shown collapsed.
    pub solution: Vec<LessonBlock>,
}

/// A code sample in a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonCode {
    /// The language (`python`, `sh`, `text`); empty when the lesson names none.
    pub language: String,
    /// The code, exactly as it is to be copied.
    pub code: String,
    /// For a sample that shows the wrong way: the error it ends with
    /// (`SSLError`). `None` for a sample that runs cleanly.
    #[serde(default)]
    pub fails_with: Option<String>,
}

/// A request written in a lesson; its path is relative to a lab listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonRequest {
    /// The method (`GET`).
    pub method: String,
    /// The path and query (`/lab/status/418`).
    pub path: String,
    /// Headers to send, in order.
    pub headers: Vec<Header>,
    /// The body; empty for none.
    pub body: String,
}

impl LessonRequest {
    /// The request as a lesson shows it: `METHOD /path`, the headers, and the body
    /// after an empty line.
    pub fn as_text(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        for (name, value) in &self.headers {
            text.push_str(&format!("\n{name}: {value}"));
        }
        if !self.body.is_empty() {
            text.push_str("\n\n");
            text.push_str(&self.body);
        }
        text
    }
}

impl LessonCode {
    /// The line above the sample: its language in words, and for a wrong-way
    /// sample the error it ends with.
    pub fn caption(&self) -> String {
        let language = match self.language.as_str() {
            "python" => "Python",
            "sh" | "bash" | "shell" => "Shell",
            "text" | "http" => "As sent on the wire",
            "" => "Code",
            other => other,
        };
        match &self.fails_with {
            Some(error) => format!("{language}: the wrong way, ends with {error}"),
            None => language.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_request_defaults_headers_and_body() {
        let request: ExchangeRequest =
            serde_json::from_str(r#"{"method":"GET","url":"http://127.0.0.1:1/lab/hello"}"#)
                .expect("minimal request parses");
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
    }

    #[test]
    fn headers_travel_as_pairs() {
        let request = ExchangeRequest {
            method: "GET".into(),
            url: "http://x/".into(),
            headers: vec![("Accept".into(), "application/json".into())],
            ..ExchangeRequest::default()
        };
        let json = serde_json::to_value(&request).expect("serialises");
        assert_eq!(
            json["headers"][0],
            serde_json::json!(["Accept", "application/json"])
        );
    }

    #[test]
    fn lesson_blocks_are_tagged_by_kind() {
        let block = LessonBlock::Request(LessonRequest {
            method: "GET".into(),
            path: "/lab/hello".into(),
            headers: vec![],
            body: String::new(),
        });
        let json = serde_json::to_value(&block).expect("serialises");
        assert_eq!(json["kind"], "request");
        assert_eq!(json["path"], "/lab/hello");
        let back: LessonBlock = serde_json::from_value(json).expect("round-trips");
        assert_eq!(back, block);
    }

    #[test]
    fn raw_requests_get_crlf_unless_asked_otherwise() {
        let mut raw = RawRequest {
            listener: ListenerId::Http,
            text: "GET / HTTP/1.1\nHost: x\r\n\n".into(),
            line_endings: LineEndings::default(),
        };
        assert_eq!(raw.wire_text(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(raw.request_line(), Some(("GET", "/")));
        raw.line_endings = LineEndings::AsTyped;
        assert_eq!(raw.wire_text(), raw.text);
    }

    #[test]
    fn listener_ids_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&ListenerId::Https).expect("ok"),
            r#""https""#
        );
        assert_eq!(ListenerId::Http.as_str(), "http");
    }
}
