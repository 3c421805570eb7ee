//! Lesson 6's own-CA flow: the learner makes a certificate authority, a key
//! and certificate signing request, signs it, and starts an HTTPS listener
//! with the result, all from the browser. Private keys never appear here:
//! they stay in safelab's data folder.

use serde::{Deserialize, Serialize};

pub mod equivalents;

/// The most certificate authorities a learner keeps at once.
pub const MAX_CAS: usize = 4;
/// The most keys (with their CSRs) a learner keeps at once.
pub const MAX_KEYS: usize = 16;
/// The most signed certificates a learner keeps at once.
pub const MAX_CERTIFICATES: usize = 16;
/// The most learner listeners running at once.
pub const MAX_LISTENERS: usize = 3;
/// How long a learner listener runs before it stops itself, in minutes.
pub const LISTENER_MINUTES: u32 = 30;
/// The longest a CA may be valid, in days (ten years).
pub const MAX_CA_DAYS: u32 = 3650;
/// The longest a signed certificate may be valid, in days (what browsers
/// once allowed; they now accept less).
pub const MAX_CERTIFICATE_DAYS: u32 = 825;
/// How far in the past or future a certificate's validity may start, in days.
pub const MAX_START_OFFSET_DAYS: i32 = 3650;
/// The longest name (CA name, common name) accepted, in characters: X.509's
/// own upper bound for a common name.
pub const MAX_NAME_CHARS: usize = 64;
/// The most subject alternative names on one request.
pub const MAX_SANS: usize = 8;
/// The largest pasted CSR accepted, in bytes.
pub const MAX_CSR_BYTES: usize = 16 * 1024;

/// A key type rcgen can generate with `ring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// ECDSA on the NIST P-256 curve, with SHA-256: what most sites use.
    #[default]
    EcdsaP256,
    /// ECDSA on the NIST P-384 curve, with SHA-384.
    EcdsaP384,
    /// Ed25519: small and fast; browsers do not accept it for TLS yet.
    Ed25519,
}

impl KeyType {
    /// Every key type, in the order a form offers them.
    pub const ALL: [Self; 3] = [Self::EcdsaP256, Self::EcdsaP384, Self::Ed25519];

    /// The name a person reads (`ECDSA P-256`).
    pub fn label(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ECDSA P-256",
            Self::EcdsaP384 => "ECDSA P-384",
            Self::Ed25519 => "Ed25519",
        }
    }
}

/// A key usage bit a request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsage {
    /// `digitalSignature`: the key signs (a TLS handshake, with ECDSA).
    DigitalSignature,
    /// `keyEncipherment`: the key decrypts a key sent to it (old RSA TLS).
    KeyEncipherment,
    /// `keyCertSign`: the key signs certificates (a CA's).
    KeyCertSign,
}

impl KeyUsage {
    /// Every key usage offered, in order.
    pub const ALL: [Self; 3] = [
        Self::DigitalSignature,
        Self::KeyEncipherment,
        Self::KeyCertSign,
    ];

    /// The name openssl uses (`digitalSignature`).
    pub fn openssl_name(self) -> &'static str {
        match self {
            Self::DigitalSignature => "digitalSignature",
            Self::KeyEncipherment => "keyEncipherment",
            Self::KeyCertSign => "keyCertSign",
        }
    }
}

/// What a certificate may be used for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// `serverAuth`: a TLS server.
    #[default]
    ServerAuth,
    /// `clientAuth` only: a TLS client, which servers may not use.
    ClientAuth,
    /// No extended key usage at all: any purpose.
    None,
}

impl Purpose {
    /// Every purpose offered, in order.
    pub const ALL: [Self; 3] = [Self::ServerAuth, Self::ClientAuth, Self::None];

    /// The name openssl uses, or `None` for no extension.
    pub fn openssl_name(self) -> Option<&'static str> {
        match self {
            Self::ServerAuth => Some("serverAuth"),
            Self::ClientAuth => Some("clientAuth"),
            Self::None => None,
        }
    }
}

/// `POST /api/certificates/own/cas`: make a certificate authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCa {
    /// Its name (the subject's common name), at most [`MAX_NAME_CHARS`].
    pub name: String,
    /// Its key type.
    #[serde(default)]
    pub key_type: KeyType,
    /// How many days from now it is valid, 1 to [`MAX_CA_DAYS`].
    pub valid_days: u32,
}

/// `POST /api/certificates/own/keys`: make a key and a certificate signing
/// request for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    /// The subject's common name (`localhost`).
    pub common_name: String,
    /// Subject alternative names: DNS names and IP addresses, at most
    /// [`MAX_SANS`]. None is allowed, to see what clients say.
    #[serde(default)]
    pub names: Vec<String>,
    /// Whether to ask for `CA:TRUE` (wrong for a server).
    #[serde(default)]
    pub is_ca: bool,
    /// Key usage bits to ask for; none leaves the extension out.
    #[serde(default)]
    pub key_usage: Vec<KeyUsage>,
    /// The extended key usage to ask for.
    #[serde(default)]
    pub purpose: Purpose,
    /// The key's type.
    #[serde(default)]
    pub key_type: KeyType,
}

/// `POST /api/certificates/own/certificates`: sign a CSR with one of the
/// learner's CAs. The certificate gets what the CSR asks for (names, CA or
/// not, key usage, extended key usage), as `openssl x509 -req
/// -copy_extensions copyall` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRequest {
    /// The id of the CA that signs.
    pub ca: String,
    /// The CSR, PEM (`-----BEGIN CERTIFICATE REQUEST-----`): one made here
    /// or one made with openssl, at most [`MAX_CSR_BYTES`].
    pub csr_pem: String,
    /// When validity starts, in days from now: negative starts it in the
    /// past (with `valid_days` small enough, it has expired already).
    #[serde(default)]
    pub starts_in_days: i32,
    /// How many days it is valid from its start, 1 to [`MAX_CERTIFICATE_DAYS`].
    pub valid_days: u32,
}

/// `POST /api/certificates/own/listeners`: start an HTTPS listener with one
/// of the learner's certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartListener {
    /// The id of a certificate whose key safelab made (so holds).
    pub certificate: String,
}

/// One of the learner's certificate authorities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnCa {
    /// Its id (`ca-1`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its key type.
    pub key_type: KeyType,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Its certificate, PEM: what a client trusts (`myca.pem`).
    pub pem: String,
    /// Where to download the PEM (`/api/certificates/own/cas/ca-1/pem`).
    pub download: String,
}

/// A key safelab made for the learner, and the CSR that asks for a
/// certificate for it. The key itself stays on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnKey {
    /// Its id (`key-1`).
    pub id: String,
    /// What the CSR asked for.
    pub request: NewKey,
    /// The CSR, PEM.
    pub csr_pem: String,
}

/// A certificate one of the learner's CAs signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnCertificate {
    /// Its id (`cert-1`).
    pub id: String,
    /// The subject's common name, if any.
    pub common_name: String,
    /// Its subject alternative names.
    pub names: Vec<String>,
    /// Whether it is `CA:TRUE`.
    pub is_ca: bool,
    /// Its extended key usages (`serverAuth`), empty when it has none.
    pub purposes: Vec<String>,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The id of the CA that signed it.
    pub signed_by: String,
    /// That CA's name.
    pub signed_by_name: String,
    /// The id of the key safelab holds for it; `None` for a pasted CSR,
    /// whose key only its maker has (no listener can use it).
    pub key: Option<String>,
    /// What rustls says of it for `localhost`, now, trusting only the CA
    /// that signed it: `None` when it accepts it, else its error.
    pub rustls_verdict: Option<String>,
    /// The certificate, PEM.
    pub pem: String,
    /// Where to download the PEM.
    pub download: String,
}

/// A running learner listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnListener {
    /// Its id (`listener-1`).
    pub id: String,
    /// Its base URL (`https://localhost:41234`).
    pub url: String,
    /// The certificate it presents.
    pub certificate: String,
    /// The CA that signed that certificate.
    pub signed_by: String,
    /// When it stops itself, RFC 3339.
    pub stops_at: String,
}

/// `GET /api/certificates/own`: everything the learner made.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OwnCaLab {
    /// Certificate authorities, oldest first.
    pub cas: Vec<OwnCa>,
    /// Keys and their CSRs, oldest first.
    pub keys: Vec<OwnKey>,
    /// Signed certificates, oldest first.
    pub certificates: Vec<OwnCertificate>,
    /// Running listeners, oldest first.
    pub listeners: Vec<OwnListener>,
}
