//! Certificates broken on purpose, one mistake each, for lesson 6's broken
//! listeners. Each is made afresh at every start (ECDSA P-256, like the rest
//! of the CA) and differs from the HTTPS lab's good chain in one way only, so
//! the check a client fails on it is the lesson's point and nothing else.
//!
//! They stay inside the root's name constraints (`localhost`, `*.localhost`,
//! 127.0.0.0/8, ::1): a certificate outside them would fail that check first.

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::{
    CaError, CertificateAuthority, ServerIdentity, intermediate_params, leaf_params, name,
};

/// The one thing wrong with a broken listener's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// safelab's chain, but the leaf's `not_after` is a month ago.
    Expired,
    /// safelab's chain, but the leaf's `not_before` is a month from now.
    NotYetValid,
    /// safelab's chain, but the leaf names only [`WRONG_HOST_NAME`].
    WrongHost,
    /// The leaf signed itself.
    SelfSigned,
    /// A complete chain (leaf, intermediate and root) from a root nobody trusts.
    UntrustedRoot,
    /// A leaf under safelab's intermediate, sent without the intermediate.
    IncompleteChain,
    /// A leaf with no subject alternative name extension at all, naming its
    /// server in the common name only, and there as the URL people type
    /// into `openssl req`'s prompt ([`NO_SAN_COMMON_NAME`]).
    NoSubjectAltName,
    /// A leaf that is itself a CA (`CA:TRUE`, key usage `keyCertSign` and
    /// `cRLSign`), as `openssl req -x509` makes with the default config.
    CaAsLeaf,
    /// A leaf whose extended key usage allows `clientAuth` only.
    NoServerAuth,
}

/// The only name the wrong-host certificate carries: inside the root's name
/// constraints (so the name is the only failure), and never what a learner
/// types to reach the listener.
pub const WRONG_HOST_NAME: &str = "intranet.localhost";

/// The no-SAN certificate's common name. Not plain `localhost`: curl (7.88,
/// OpenSSL backend) still falls back to the common name when a certificate
/// has no SAN, and would accept that; every verifying client refuses this
/// one, curl saying so in terms of the subject name. It is no DNS name, so
/// OpenSSL does not hold it against the root's name constraints either.
pub const NO_SAN_COMMON_NAME: &str = "https://localhost";

impl CertificateAuthority {
    /// A server identity with `mistake`, for a listener reached by `names`
    /// (host names or IP addresses).
    pub fn broken_identity(
        &self,
        mistake: Mistake,
        names: &[String],
    ) -> Result<ServerIdentity, CaError> {
        let now = OffsetDateTime::now_utc();
        match mistake {
            Mistake::Expired => {
                let mut params = leaf_params(names)?;
                params.not_before = now - Duration::days(120);
                params.not_after = now - Duration::days(30);
                self.under_intermediate(&params, true)
            }
            Mistake::NotYetValid => {
                let mut params = leaf_params(names)?;
                params.not_before = now + Duration::days(30);
                params.not_after = now + Duration::days(120);
                self.under_intermediate(&params, true)
            }
            Mistake::WrongHost => {
                self.under_intermediate(&leaf_params(&[WRONG_HOST_NAME.to_owned()])?, true)
            }
            Mistake::IncompleteChain => self.under_intermediate(&leaf_params(names)?, false),
            Mistake::NoSubjectAltName => {
                let mut params = leaf_params(names)?;
                params.subject_alt_names.clear();
                params.distinguished_name = name(NO_SAN_COMMON_NAME);
                self.under_intermediate(&params, true)
            }
            Mistake::CaAsLeaf => {
                let mut params = leaf_params(names)?;
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
                params.extended_key_usages.clear();
                self.under_intermediate(&params, true)
            }
            Mistake::NoServerAuth => {
                let mut params = leaf_params(names)?;
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
                self.under_intermediate(&params, true)
            }
            Mistake::SelfSigned => {
                let mut params = leaf_params(names)?;
                params.use_authority_key_identifier_extension = false;
                let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
                let cert = params.self_signed(&key)?;
                Ok(identity(vec![cert.der().clone()], &key))
            }
            Mistake::UntrustedRoot => untrusted_chain(names),
        }
    }

    /// `params` signed by a fresh intermediate of safelab's root; the chain
    /// holds the intermediate only `with_intermediate`.
    fn under_intermediate(
        &self,
        params: &CertificateParams,
        with_intermediate: bool,
    ) -> Result<ServerIdentity, CaError> {
        let intermediate_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let intermediate_params = intermediate_params();
        let intermediate_cert = intermediate_params.signed_by(&intermediate_key, &self.root)?;
        let intermediate = Issuer::new(intermediate_params, intermediate_key);
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let leaf = params.signed_by(&key, &intermediate)?;
        let mut chain = vec![leaf.der().clone()];
        if with_intermediate {
            chain.push(intermediate_cert.der().clone());
        }
        Ok(identity(chain, &key))
    }
}

/// Leaf, intermediate and root of a second CA that no client trusts. The root
/// goes out too, as servers of a private CA often send it: the client then
/// sees a whole chain and still no anchor it knows ("self-signed certificate
/// in certificate chain"), which tells it apart from an incomplete chain.
fn untrusted_chain(names: &[String]) -> Result<ServerIdentity, CaError> {
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut root_params = CertificateParams::default();
    root_params.distinguished_name = name("untrusted root CA (nobody trusts it)");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    super::validity(&mut root_params, 365);
    let root_cert = root_params.self_signed(&root_key)?;
    let root = Issuer::new(root_params, root_key);

    let intermediate_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut intermediate_params = intermediate_params();
    intermediate_params.distinguished_name = name("untrusted intermediate CA");
    let intermediate_cert = intermediate_params.signed_by(&intermediate_key, &root)?;
    let intermediate = Issuer::new(intermediate_params, intermediate_key);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let leaf = leaf_params(names)?.signed_by(&key, &intermediate)?;
    Ok(identity(
        vec![
            leaf.der().clone(),
            intermediate_cert.der().clone(),
            root_cert.der().clone(),
        ],
        &key,
    ))
}

fn identity(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> ServerIdentity {
    ServerIdentity {
        chain,
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::{CertificateError, Error};

    use super::*;

    fn verify(ca: &CertificateAuthority, mistake: Mistake) -> Result<(), Error> {
        let identity = ca
            .broken_identity(mistake, &["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("made");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.root_der().clone()).expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("verifier");
        verifier
            .verify_server_cert(
                &identity.chain[0],
                &identity.chain[1..],
                &ServerName::try_from("localhost").expect("name"),
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
    }

    #[test]
    fn each_mistake_fails_the_check_it_is_named_for() {
        let folder = tempfile::tempdir().expect("temp dir");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("created");
        let expect = |mistake, matches: fn(&CertificateError) -> bool| {
            let error = verify(&ca, mistake).expect_err("refused");
            let Error::InvalidCertificate(certificate) = &error else {
                panic!("{mistake:?}: {error:?}");
            };
            assert!(matches(certificate), "{mistake:?}: {error:?}");
        };
        expect(Mistake::Expired, |error| {
            matches!(error, CertificateError::ExpiredContext { .. })
        });
        expect(Mistake::NotYetValid, |error| {
            matches!(error, CertificateError::NotValidYetContext { .. })
        });
        expect(Mistake::WrongHost, |error| {
            matches!(error, CertificateError::NotValidForNameContext { .. })
        });
        expect(Mistake::NoSubjectAltName, |error| {
            matches!(error, CertificateError::NotValidForNameContext { .. })
        });
        for mistake in [
            Mistake::SelfSigned,
            Mistake::UntrustedRoot,
            Mistake::IncompleteChain,
        ] {
            expect(mistake, |error| {
                matches!(error, CertificateError::UnknownIssuer)
            });
        }
        expect(
            Mistake::CaAsLeaf,
            |error| matches!(error, CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity")),
        );
        expect(Mistake::NoServerAuth, |error| {
            matches!(error, CertificateError::InvalidPurposeContext { .. })
        });
    }
}
