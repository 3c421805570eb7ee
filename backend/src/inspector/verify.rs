//! Certificate verification that records its verdict instead of aborting the
//! handshake, so the learner sees the chain and the reason even when it fails,
//! and the path the verifier built up to its trust anchor.
//!
//! The checks are rustls' own: the same `webpki` calls, with the same
//! arguments, that rustls' `WebPkiServerVerifier` makes (path to a trust
//! anchor for server authentication, then the name). Calling them directly
//! keeps webpki's own error, which says more than the rustls error it is turned
//! into (a CA used as a leaf, a name-constraint violation), builds the path
//! only once per handshake, and works with an empty trust store, which rustls'
//! verifier builder refuses.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};

/// A path from the server's certificate to a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPath {
    /// The certificates the server sent that the path uses, from the leaf's
    /// issuer upwards (the leaf itself is not repeated).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The root the path ends at, from the trust store.
    pub anchor: CertificateDer<'static>,
}

/// A trust store made ready once: its certificates and, parsed from them,
/// the trust anchors webpki verifies against.
#[derive(Debug)]
pub struct TrustAnchors {
    description: String,
    roots: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
}

impl TrustAnchors {
    /// A store of exactly `roots`; fails with the index of the first
    /// certificate that cannot be a trust anchor, and webpki's reason.
    pub fn new(
        description: String,
        roots: Vec<CertificateDer<'static>>,
    ) -> Result<Self, (usize, webpki::Error)> {
        let anchors = roots
            .iter()
            .enumerate()
            .map(|(index, root)| {
                webpki::anchor_from_trusted_cert(root)
                    .map(|anchor| anchor.to_owned())
                    .map_err(|error| (index, error))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            description,
            roots,
            anchors,
        })
    }

    /// A store of those of `roots` that can be trust anchors (an operating
    /// system's bundle may hold a few webpki cannot read; clients skip them).
    pub fn lenient(description: String, roots: Vec<CertificateDer<'static>>) -> Self {
        let (roots, anchors) = roots
            .into_iter()
            .filter_map(|root| {
                let anchor = webpki::anchor_from_trusted_cert(&root).ok()?.to_owned();
                Some((root, anchor))
            })
            .unzip();
        Self {
            description,
            roots,
            anchors,
        }
    }

    /// The same store, described as `description`.
    pub fn described(self, description: String) -> Self {
        Self {
            description,
            ..self
        }
    }

    /// Which roots these are, in words.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// How many roots the store holds.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// The store's certificates.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }
}

/// What the handshake's certificate check found.
#[derive(Debug, Clone)]
pub struct Record {
    /// webpki's verdict: the path's, then the name's.
    pub verdict: Result<(), webpki::Error>,
    /// The path to a trust anchor, if the chain leads to one (whether or not
    /// it names the host that was asked for).
    pub path: Option<TrustPath>,
    /// When the check was made.
    pub now: UnixTime,
}

/// Verifies like rustls' WebPKI verifier and records the verdict: it is
/// exactly what a strict client (`requests`, a browser with this trust store)
/// would reach, yet the handshake goes on so the chain can be shown.
#[derive(Debug)]
pub struct RecordingVerifier {
    store: Arc<TrustAnchors>,
    algorithms: WebPkiSupportedAlgorithms,
    record: Mutex<Option<Record>>,
}

impl RecordingVerifier {
    /// A verifier trusting `store` and checking signatures with `algorithms`.
    pub fn new(store: Arc<TrustAnchors>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self {
            store,
            algorithms,
            record: Mutex::new(None),
        }
    }

    /// The trust store verified against.
    pub fn store(&self) -> &TrustAnchors {
        &self.store
    }

    /// The signature algorithms it verifies with.
    pub fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        &self.algorithms
    }

    /// What the check found; `None` if the server sent no certificate at all.
    pub fn record(&self) -> Option<Record> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The path webpki builds from `leaf` through `intermediates` to one of the
    /// roots, checked as for a TLS server (validity, signatures, key usage).
    fn build_path(
        &self,
        leaf: &webpki::EndEntityCert<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<TrustPath, webpki::Error> {
        let path = leaf.verify_for_usage(
            self.algorithms.all,
            &self.store.anchors,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )?;
        let anchor = self
            .store
            .anchors
            .iter()
            .position(|anchor| *anchor == *path.anchor())
            .map(|index| self.store.roots[index].clone())
            .ok_or(webpki::Error::UnknownIssuer)?;
        Ok(TrustPath {
            intermediates: path
                .intermediate_certificates()
                .map(|certificate| certificate.der().into_owned())
                .collect(),
            anchor,
        })
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let (verdict, path) = match webpki::EndEntityCert::try_from(end_entity) {
            Err(error) => (Err(error), None),
            Ok(leaf) => match self.build_path(&leaf, intermediates, now) {
                Err(error) => (Err(error), None),
                Ok(path) => (
                    leaf.verify_is_valid_for_subject_name(server_name),
                    Some(path),
                ),
            },
        };
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Record { verdict, path, now });
        // The inspector observes: it completes the handshake so the response and
        // chain can be shown, and reports the verdict beside them.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
