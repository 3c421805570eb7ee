//! Certificate verification that records its verdict instead of aborting the
//! handshake, so the learner sees the chain and the reason even when it fails,
//! and the path the verifier built up to its trust anchor.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// A path from the server's certificate to a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPath {
    /// The certificates the server sent that the path uses, from the leaf's
    /// issuer upwards (the leaf itself is not repeated).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The root the path ends at, from the trust store.
    pub anchor: CertificateDer<'static>,
}

/// What the handshake's certificate check found.
#[derive(Debug)]
struct Record {
    verdict: Result<(), Error>,
    path: Option<TrustPath>,
}

/// Wraps rustls' own WebPKI verifier: the verdict is exactly what a strict
/// client (`requests`, a browser with this trust store) would reach.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Vec<(CertificateDer<'static>, TrustAnchor<'static>)>,
    algorithms: WebPkiSupportedAlgorithms,
    record: Mutex<Option<Record>>,
}

impl RecordingVerifier {
    /// A verifier trusting exactly `roots`.
    pub fn new(roots: &[CertificateDer<'static>]) -> Result<Self, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut store = RootCertStore::empty();
        let mut anchors = Vec::new();
        for root in roots {
            store.add(root.clone())?;
            let anchor = webpki::anchor_from_trusted_cert(root)
                .map_err(|error| Error::General(format!("a root cannot be trusted: {error}")))?
                .to_owned();
            anchors.push((root.clone(), anchor));
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|error| Error::General(error.to_string()))?;
        Ok(Self {
            inner,
            roots: anchors,
            algorithms: provider.signature_verification_algorithms,
            record: Mutex::new(None),
        })
    }

    /// The verdict of the handshake's certificate check, explained for a person;
    /// `None` if the server sent no certificate at all.
    pub fn verdict(&self, host: &str) -> Option<Result<(), String>> {
        let record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        record.as_ref().map(|record| {
            record
                .verdict
                .as_ref()
                .map(|_| ())
                .map_err(|error| explain(error, host))
        })
    }

    /// The path to a trust anchor, if the chain leads to one (whether or not it
    /// names the host that was asked for).
    pub fn path(&self) -> Option<TrustPath> {
        let record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        record.as_ref().and_then(|record| record.path.clone())
    }

    /// The path webpki builds from `end_entity` through `intermediates` to one of
    /// the roots, checked as for a TLS server (validity, signatures, key usage).
    fn build_path(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Option<TrustPath> {
        let leaf = webpki::EndEntityCert::try_from(end_entity).ok()?;
        let anchors: Vec<TrustAnchor<'_>> = self
            .roots
            .iter()
            .map(|(_, anchor)| anchor.clone())
            .collect();
        let path = leaf
            .verify_for_usage(
                self.algorithms.all,
                &anchors,
                intermediates,
                now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .ok()?;
        let anchor = self
            .roots
            .iter()
            .find(|(_, anchor)| anchor.subject == path.anchor().subject)
            .map(|(der, _)| der.clone())?;
        Some(TrustPath {
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
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let path = self.build_path(end_entity, intermediates, now);
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Record { verdict, path });
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
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
/// The reason a strict client would give, in the learner's words, with rustls'
/// own name for it so it can be looked up.
fn explain(error: &Error, host: &str) -> String {
    let Error::InvalidCertificate(certificate_error) = error else {
        return error.to_string();
    };
    let meaning = match certificate_error {
        CertificateError::UnknownIssuer => {
            "the chain does not lead to a root in the trust store: the certificate is self-signed, \
             signed by a CA you have not trusted, or the server did not send its intermediate"
                .to_owned()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("the certificate is not valid for the host you asked for ({host}): its names (SANs) do not include it")
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the certificate has expired: its not_after date is in the past".to_owned()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the certificate is not valid yet: its not_before date is in the future".to_owned()
        }
        CertificateError::BadSignature => {
            "a signature in the chain does not verify: the certificate was not issued by the key that claims to have issued it"
                .to_owned()
        }
        CertificateError::Revoked => "the certificate has been revoked by its issuer".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate may not be used by a TLS server (its extendedKeyUsage lacks serverAuth)".to_owned()
        }
        other => return format!("invalid certificate: {other:?}"),
    };
    format!("{meaning} ({error})")
}
