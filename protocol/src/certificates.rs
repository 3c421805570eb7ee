//! Lesson 6's part of the contract: the broken HTTPS listeners, which trust
//! store the inspector verifies against, and which check of verification
//! failed.

use serde::{Deserialize, Serialize};

/// The roots the inspector verifies an HTTPS server's chain against.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrustStore {
    /// safelab's local root CA only (the one served at `/ca.pem`).
    #[default]
    Safelab,
    /// The operating system's roots, as Python `requests` with
    /// `truststore` or curl would use them.
    System,
    /// No root at all: every chain fails as "unknown issuer".
    #[serde(rename = "none")]
    Empty,
    /// The certificates of a PEM the learner pasted or uploaded (their own CA).
    Pem {
        /// One or more `-----BEGIN CERTIFICATE-----` blocks.
        pem: String,
    },
}

/// The check of certificate verification that failed, named the way a
/// learner meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateCheck {
    /// `not_after` is in the past.
    Expired,
    /// `not_before` is in the future.
    NotYetValid,
    /// The certificate's names (SANs) do not include the host asked for.
    WrongHost,
    /// The certificate names its host only in the subject's common name, which
    /// clients stopped reading: it has no subject alternative name.
    NoSubjectAltName,
    /// The server's certificate signed itself and is not in the trust store.
    SelfSigned,
    /// The chain is complete but ends at a root the trust store does not hold.
    UntrustedRoot,
    /// The server did not send the intermediate its certificate was issued by.
    IncompleteChain,
    /// The server's certificate is a certificate authority (`CA:TRUE`).
    CaAsLeaf,
    /// The server's certificate may not be used by a TLS server (its
    /// extended key usage lacks `serverAuth`).
    NotForServerAuth,
    /// A signature in the chain does not verify.
    BadSignature,
    /// A certificate authority's name constraints forbid the server's name.
    OutsideNameConstraints,
    /// Anything else: [`VerificationFailure::library_name`] says what.
    Other,
}

/// Why verification failed: the check, in plain words and in the library's
/// own terms, and which certificate of [`crate::TlsInfo::chain`] it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationFailure {
    /// The check that failed.
    pub check: CertificateCheck,
    /// What it means, for a person.
    pub explanation: String,
    /// The verifying library's own name for it, to look up
    /// (`rustls: InvalidCertificate(Expired)`).
    pub library_name: String,
    /// Index in [`crate::TlsInfo::chain`] of the certificate that failed the
    /// check; `None` when the failure is about the chain as a whole.
    pub certificate: Option<usize>,
    /// The host name the client asked for (SNI), to mark in the SAN list.
    pub requested_name: String,
}

/// One of the lab's HTTPS listeners whose certificate is broken on purpose
/// (or that asks for a client certificate), as `GET /api/lab` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenListener {
    /// Stable id (`expired`, `wrong-host`, `client-certificate`).
    pub id: String,
    /// A short title (`Expired`).
    pub title: String,
    /// Its base URL (`https://localhost:7882`), on a port that stays the same
    /// from run to run (`--port` plus a fixed offset).
    pub url: String,
    /// What is wrong with it, in one or two sentences.
    pub problem: String,
    /// The check a strict client fails on it; `None` for the listener whose
    /// certificate is good but which asks the client for one.
    pub check: Option<CertificateCheck>,
    /// What real clients say when they refuse it, recorded by safelab's tests.
    pub refusals: Vec<Refusal>,
}

/// What one real client printed when it refused a listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The client (`Python requests`, `curl`, `Chromium`).
    pub client: String,
    /// Its error text, verbatim (the part that does not change between runs).
    pub text: String,
}

/// What the broken listeners' TLS servers saw, as
/// `GET /api/certificates/observed` answers: the lesson's "what the server
/// saw" beside what the client printed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObservedHandshakes {
    /// Every broken listener, in [`crate::LabInfo::certificates`]' order.
    pub listeners: Vec<ObservedListener>,
}

/// What one broken listener saw since start or the lesson's last reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedListener {
    /// The listener's id (`self-signed`).
    pub id: String,
    /// The last few alerts clients sent to refuse its certificate, oldest first.
    pub alerts: Vec<ObservedAlert>,
    /// How many requests it served after a completed handshake: clients that
    /// accepted its certificate.
    pub requests: u64,
}

/// A TLS alert a client sent to end the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedAlert {
    /// The alert's name in the TLS specification (`unknown_ca`,
    /// `certificate_expired`, `bad_certificate`).
    pub alert: String,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Whether safelab's own inspector sent it (rather than another client).
    pub inspector: bool,
}
