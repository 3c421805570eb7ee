//! Certificate verification that records its verdict instead of aborting the
//! handshake, so the learner sees the chain and the reason even when it fails.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// Wraps rustls' own WebPKI verifier: the verdict is exactly what a strict
/// client (`requests`, a browser with this trust store) would reach.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<Result<(), Error>>>,
}

impl RecordingVerifier {
    /// A verifier trusting exactly `roots`.
    pub fn new(roots: Arc<RootCertStore>) -> Result<Self, rustls::client::VerifierBuilderError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider).build()?;
        Ok(Self {
            inner,
            verdict: Mutex::new(None),
        })
    }

    /// The verdict of the handshake's certificate check, explained for a person;
    /// `None` if the server sent no certificate at all.
    pub fn verdict(&self, host: &str) -> Option<Result<(), String>> {
        let verdict = self.verdict.lock().unwrap_or_else(PoisonError::into_inner);
        verdict.as_ref().map(|result| {
            result
                .as_ref()
                .map(|_| ())
                .map_err(|error| explain(error, host))
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
        let result = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
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
