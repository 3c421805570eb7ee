//! Which check of certificate verification failed, and on which certificate:
//! webpki's error, named as rustls and webpki name it, then looked at beside
//! the chain the server sent where one error has several causes ("unknown
//! issuer" is a self-signed certificate, a root the store does not hold, or a
//! missing intermediate; "not valid for name" is a wrong name or no SAN at all).

use rustls::pki_types::{CertificateDer, UnixTime};
use safelab_protocol::CertificateCheck;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::verify::TrustAnchors;

/// Which certificate failed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Culprit {
    /// The one the server sent at this index (0 is its own certificate).
    Sent(usize),
    /// A root of the trust store, which the server did not send.
    Store(CertificateDer<'static>),
    /// The chain as a whole, no one certificate.
    Chain,
}

/// A failed verification, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The check that failed.
    pub check: CertificateCheck,
    /// What it means, for a person.
    pub explanation: String,
    /// rustls' (and webpki's) own name for it.
    pub library_name: String,
    /// The certificate that failed.
    pub culprit: Culprit,
}

/// What verification was given: the chain the server sent, in its order, the
/// trust store, the time, and the name asked for.
pub struct Evidence<'a> {
    /// The certificates the server sent, its own first.
    pub sent: &'a [CertificateDer<'a>],
    /// The roots verified against.
    pub store: &'a TrustAnchors,
    /// When verification ran.
    pub now: UnixTime,
    /// The host name asked for.
    pub host: &'a str,
    /// The signature algorithms verification accepts.
    pub algorithms: &'a [&'a dyn rustls::pki_types::SignatureVerificationAlgorithm],
}

/// Explains `error`, webpki's verdict on `evidence`.
pub fn diagnose(error: &webpki::Error, evidence: &Evidence<'_>) -> Diagnosis {
    let sent: Vec<Option<X509Certificate<'_>>> = evidence
        .sent
        .iter()
        .map(|der| {
            X509Certificate::from_der(der)
                .ok()
                .map(|(_, parsed)| parsed)
        })
        .collect();
    let chain = Chain {
        evidence,
        sent: &sent,
        order: issued_order(&sent),
    };
    let (check, explanation, culprit) = chain.explain(error);
    Diagnosis {
        check,
        explanation,
        library_name: library_name(error),
        culprit,
    }
}

/// The chain the server sent, parsed, and the order in which its
/// certificates issue one another from the leaf up.
struct Chain<'a, 'b> {
    evidence: &'a Evidence<'a>,
    sent: &'a [Option<X509Certificate<'b>>],
    /// Indexes into `sent`: the leaf, its issuer if sent, that one's issuer…
    order: Vec<usize>,
}

impl Chain<'_, '_> {
    fn explain(&self, error: &webpki::Error) -> (CertificateCheck, String, Culprit) {
        use webpki::Error;
        let host = self.evidence.host;
        let leaf = self.name(0);
        #[allow(deprecated)]
        match error {
            Error::CertExpired { .. } | Error::InvalidCertValidity => {
                let culprit = self.out_of_validity(|validity, now| validity.not_after.timestamp() < now);
                let name = self.culprit_name(&culprit);
                let date = self.culprit_date(&culprit, |validity| validity.not_after.to_string());
                (
                    CertificateCheck::Expired,
                    format!(
                        "the certificate {name} has expired: its validity ended on {date}, and a client refuses a certificate past its not-after date"
                    ),
                    culprit,
                )
            }
            Error::CertNotValidYet { .. } => {
                let culprit = self.out_of_validity(|validity, now| validity.not_before.timestamp() > now);
                let name = self.culprit_name(&culprit);
                let date = self.culprit_date(&culprit, |validity| validity.not_before.to_string());
                (
                    CertificateCheck::NotYetValid,
                    format!(
                        "the certificate {name} is not valid yet: its validity starts on {date}, in the future (or this computer's clock is behind)"
                    ),
                    culprit,
                )
            }
            Error::UnknownIssuer => self.unknown_issuer(),
            Error::CertNotValidForName(_) => {
                let has_san = self.sent.first().and_then(Option::as_ref).is_some_and(|leaf| {
                    leaf.subject_alternative_name().ok().flatten().is_some()
                });
                if has_san {
                    (
                        CertificateCheck::WrongHost,
                        format!(
                            "the certificate {leaf} is not valid for {host}, the name you asked for: none of its subject alternative names (SANs) is {host}"
                        ),
                        Culprit::Sent(0),
                    )
                } else {
                    (
                        CertificateCheck::NoSubjectAltName,
                        format!(
                            "the certificate {leaf} has no subject alternative name (SAN): it names its host only in the subject's common name, which clients no longer read, so it is valid for no name at all, not even {host}"
                        ),
                        Culprit::Sent(0),
                    )
                }
            }
            Error::CaUsedAsEndEntity => (
                CertificateCheck::CaAsLeaf,
                format!(
                    "the server's certificate {leaf} is a certificate authority (basic constraints CA:TRUE): a CA's certificate may sign other certificates but may not itself identify a server"
                ),
                Culprit::Sent(0),
            ),
            Error::RequiredEkuNotFound | Error::RequiredEkuNotFoundContext(_) => {
                let index = self.lacking_server_auth().unwrap_or(0);
                let name = self.name(index);
                (
                    CertificateCheck::NotForServerAuth,
                    format!(
                        "the certificate {name} may not be used by a TLS server: its extended key usage does not include serverAuth (TLS Web Server Authentication)"
                    ),
                    Culprit::Sent(index),
                )
            }
            Error::InvalidSignatureForPublicKey => (
                CertificateCheck::BadSignature,
                "a signature in the chain does not verify: a certificate was not signed by the key of the certificate authority that claims to have issued it".to_owned(),
                Culprit::Chain,
            ),
            Error::NameConstraintViolation => {
                let culprit = self.constraining_ca();
                let name = self.culprit_name(&culprit);
                (
                    CertificateCheck::OutsideNameConstraints,
                    format!(
                        "the certificate authority {name} may issue only for the names its name constraints permit, and the server's certificate {leaf} names something outside them"
                    ),
                    culprit,
                )
            }
            other => (
                CertificateCheck::Other,
                format!("the chain does not verify: {other}"),
                Culprit::Chain,
            ),
        }
    }

    /// Unknown issuer: the chain leads to no root of the store. Why depends on
    /// where it stops.
    fn unknown_issuer(&self) -> (CertificateCheck, String, Culprit) {
        let store = self.evidence.store.description();
        let leaf = self.name(0);
        let top = self.order.last().copied().unwrap_or(0);
        let top_certificate = self.sent.get(top).and_then(Option::as_ref);
        let issuer =
            top_certificate.map_or_else(String::new, |top| common_name_or_dn(top.issuer()));
        if top == 0 && top_certificate.is_some_and(self_issued) && self.signs_itself(0) {
            return (
                CertificateCheck::SelfSigned,
                format!(
                    "the server's certificate {leaf} is self-signed (issuer = subject: it signed itself), and the trust store ({store}) does not hold it, so nobody vouches for it"
                ),
                Culprit::Sent(0),
            );
        }
        let top_name = self.name(top);
        if top_certificate.is_some_and(self_issued) {
            return (
                CertificateCheck::UntrustedRoot,
                format!(
                    "the chain the server sent ends at the root {top_name}, which is not in the trust store ({store})"
                ),
                Culprit::Sent(top),
            );
        }
        if top_certificate.is_some_and(|top| top.is_ca()) {
            return (
                CertificateCheck::UntrustedRoot,
                format!(
                    "the chain the server sent leads to the certificate authority {issuer} (the issuer of {top_name}), which is not in the trust store ({store})"
                ),
                Culprit::Sent(top),
            );
        }
        (
            CertificateCheck::IncompleteChain,
            format!(
                "the server sent {top_name} without the intermediate certificate that issued it ({issuer}): no issuer presented, and the trust store ({store}) does not hold it either. A server must send its intermediates"
            ),
            Culprit::Sent(top),
        )
    }

    /// Whether the certificate sent at `index` verifies under its own key.
    fn signs_itself(&self, index: usize) -> bool {
        let Some(der) = self.evidence.sent.get(index) else {
            return false;
        };
        let (Ok(anchor), Ok(leaf)) = (
            webpki::anchor_from_trusted_cert(der),
            webpki::EndEntityCert::try_from(der),
        ) else {
            return false;
        };
        !matches!(
            leaf.verify_for_usage(
                self.evidence.algorithms,
                &[anchor],
                &[],
                self.evidence.now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            ),
            Err(webpki::Error::InvalidSignatureForPublicKey | webpki::Error::UnknownIssuer)
        )
    }

    /// The first certificate, leaf upwards and then the store's issuer of the
    /// top, whose validity `outside` says `now` is out of.
    fn out_of_validity(
        &self,
        outside: impl Fn(&x509_parser::certificate::Validity, i64) -> bool,
    ) -> Culprit {
        let now = i64::try_from(self.evidence.now.as_secs()).unwrap_or(i64::MAX);
        let sent = self.order.iter().copied().chain(0..self.sent.len());
        for index in sent {
            if let Some(Some(certificate)) = self.sent.get(index)
                && outside(certificate.validity(), now)
            {
                return Culprit::Sent(index);
            }
        }
        self.store_issuer(|root| outside(root.validity(), now))
            .unwrap_or(Culprit::Sent(0))
    }

    /// The store's root that issued the top of the chain, if `wanted`.
    fn store_issuer(&self, wanted: impl Fn(&X509Certificate<'_>) -> bool) -> Option<Culprit> {
        let top = self.sent.get(*self.order.last()?)?.as_ref()?;
        self.evidence.store.roots().iter().find_map(|der| {
            let (_, root) = X509Certificate::from_der(der).ok()?;
            (root.subject().as_raw() == top.issuer().as_raw() && wanted(&root))
                .then(|| Culprit::Store(der.clone()))
        })
    }

    /// The first certificate, leaf upwards, whose extended key usage lacks
    /// serverAuth.
    fn lacking_server_auth(&self) -> Option<usize> {
        self.order.iter().copied().find(|&index| {
            self.sent[index].as_ref().is_some_and(|certificate| {
                certificate
                    .extended_key_usage()
                    .ok()
                    .flatten()
                    .is_some_and(|usage| !usage.value.server_auth && !usage.value.any)
            })
        })
    }

    /// The certificate authority whose name constraints the leaf breaks: the
    /// highest one sent that has some, else the store's root above the chain.
    fn constraining_ca(&self) -> Culprit {
        let has_constraints = |certificate: &X509Certificate<'_>| {
            certificate.name_constraints().ok().flatten().is_some()
        };
        self.order
            .iter()
            .rev()
            .copied()
            .find(|&index| self.sent[index].as_ref().is_some_and(has_constraints))
            .map(Culprit::Sent)
            .or_else(|| self.store_issuer(has_constraints))
            .unwrap_or(Culprit::Chain)
    }

    fn name(&self, index: usize) -> String {
        self.sent.get(index).and_then(Option::as_ref).map_or_else(
            || "(unparsable)".to_owned(),
            |certificate| format!("\"{}\"", common_name_or_dn(certificate.subject())),
        )
    }

    fn culprit_name(&self, culprit: &Culprit) -> String {
        match culprit {
            Culprit::Sent(index) => self.name(*index),
            Culprit::Store(der) => X509Certificate::from_der(der).map_or_else(
                |_| "(unparsable)".to_owned(),
                |(_, root)| {
                    format!(
                        "\"{}\" (from the trust store)",
                        common_name_or_dn(root.subject())
                    )
                },
            ),
            Culprit::Chain => "in the chain".to_owned(),
        }
    }

    fn culprit_date(
        &self,
        culprit: &Culprit,
        date: impl Fn(&x509_parser::certificate::Validity) -> String,
    ) -> String {
        match culprit {
            Culprit::Sent(index) => self
                .sent
                .get(*index)
                .and_then(Option::as_ref)
                .map(|certificate| date(certificate.validity())),
            Culprit::Store(der) => X509Certificate::from_der(der)
                .ok()
                .map(|(_, root)| date(root.validity())),
            Culprit::Chain => None,
        }
        .unwrap_or_else(|| "an unreadable date".to_owned())
    }
}

/// Indexes of `sent`, from the leaf up through each certificate's issuer as
/// long as the server sent it.
fn issued_order(sent: &[Option<X509Certificate<'_>>]) -> Vec<usize> {
    let mut order = Vec::new();
    let Some(Some(first)) = sent.first() else {
        return order;
    };
    let mut current = first;
    order.push(0);
    while !self_issued(current) {
        let issuer = sent.iter().enumerate().find(|(index, candidate)| {
            !order.contains(index)
                && candidate.as_ref().is_some_and(|candidate| {
                    candidate.subject().as_raw() == current.issuer().as_raw()
                })
        });
        let Some((index, Some(next))) = issuer else {
            break;
        };
        order.push(index);
        current = next;
    }
    order
}

fn self_issued(certificate: &X509Certificate<'_>) -> bool {
    certificate.subject().as_raw() == certificate.issuer().as_raw()
}

fn common_name_or_dn(name: &x509_parser::x509::X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|common_name| common_name.as_str().ok())
        .map_or_else(|| name.to_string(), str::to_owned)
}

/// rustls' name for webpki's `error` and webpki's own, to search for.
fn library_name(error: &webpki::Error) -> String {
    use webpki::Error;
    let debug = format!("{error:?}");
    let webpki_name = debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or(debug.as_str());
    #[allow(deprecated)]
    let rustls_name = match error {
        Error::CertExpired { .. } | Error::InvalidCertValidity => "Expired",
        Error::CertNotValidYet { .. } => "NotValidYet",
        Error::UnknownIssuer => "UnknownIssuer",
        Error::CertNotValidForName(_) => "NotValidForName",
        Error::InvalidSignatureForPublicKey => "BadSignature",
        Error::RequiredEkuNotFound | Error::RequiredEkuNotFoundContext(_) => "InvalidPurpose",
        Error::CertRevoked => "Revoked",
        Error::BadDer | Error::BadDerTime | Error::TrailingData(_) => "BadEncoding",
        _ => "Other",
    };
    format!("rustls CertificateError::{rustls_name} (webpki Error::{webpki_name})")
}

#[cfg(test)]
mod tests {
    //! Each check, on chains made here with rcgen, verified by the inspector's
    //! own recording verifier: the check named and the certificate blamed.

    use std::sync::Arc;

    use rcgen::{
        BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose,
        GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
    };
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use safelab_protocol::CertificateCheck;
    use time::{Duration, OffsetDateTime};

    use super::{Culprit, Evidence, diagnose};
    use crate::inspector::verify::{RecordingVerifier, TrustAnchors};

    /// A certificate and the issuer it can sign with.
    struct Made {
        der: CertificateDer<'static>,
        issuer: Issuer<'static, KeyPair>,
    }

    fn named(common_name: &str, names: &[&str]) -> CertificateParams {
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>(),
        )
        .expect("names");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(30);
        params
    }

    fn ca_params(common_name: &str) -> CertificateParams {
        let mut params = named(common_name, &[]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params
    }

    fn leaf_params(names: &[&str]) -> CertificateParams {
        let mut params = named(names.first().copied().unwrap_or("leaf"), names);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params
    }

    fn root(params: CertificateParams) -> Made {
        let key = KeyPair::generate().expect("key");
        let der = params.self_signed(&key).expect("self-signed").der().clone();
        Made {
            der,
            issuer: Issuer::new(params, key),
        }
    }

    fn signed(params: CertificateParams, by: &Made) -> Made {
        let key = KeyPair::generate().expect("key");
        let der = params
            .signed_by(&key, &by.issuer)
            .expect("signed")
            .der()
            .clone();
        Made {
            der,
            issuer: Issuer::new(params, key),
        }
    }

    /// The lab's usual shape: root → intermediate → leaf for localhost.
    fn lab_chain(leaf: CertificateParams) -> (Made, Made, Made) {
        let root = root(ca_params("test root"));
        let intermediate = signed(ca_params("test intermediate"), &root);
        let leaf = signed(leaf, &intermediate);
        (root, intermediate, leaf)
    }

    /// Verifies `sent` for `host` against `store` as the inspector does and
    /// diagnoses the failure: the check and the certificate blamed.
    fn diagnosed(
        sent: &[&CertificateDer<'static>],
        store: &[&CertificateDer<'static>],
        host: &str,
    ) -> (CertificateCheck, Culprit) {
        let provider = rustls::crypto::ring::default_provider();
        let store = Arc::new(
            TrustAnchors::new(
                "test store".to_owned(),
                store.iter().map(|der| (*der).clone()).collect(),
            )
            .expect("anchors"),
        );
        let verifier = RecordingVerifier::new(store, provider.signature_verification_algorithms);
        let sent: Vec<CertificateDer<'static>> = sent.iter().map(|der| (*der).clone()).collect();
        verifier
            .verify_server_cert(
                &sent[0],
                &sent[1..],
                &ServerName::try_from(host.to_owned()).expect("name"),
                &[],
                UnixTime::now(),
            )
            .expect("the inspector always completes the handshake");
        let record = verifier.record().expect("a record");
        let error = record.verdict.expect_err("verification fails");
        let diagnosis = diagnose(
            &error,
            &Evidence {
                sent: &sent,
                store: verifier.store(),
                now: record.now,
                host,
                algorithms: provider.signature_verification_algorithms.all,
            },
        );
        assert!(
            diagnosis
                .library_name
                .starts_with("rustls CertificateError::"),
            "{diagnosis:?}"
        );
        assert!(!diagnosis.explanation.is_empty());
        (diagnosis.check, diagnosis.culprit)
    }

    #[test]
    fn a_good_chain_verifies() {
        let (root, intermediate, leaf) = lab_chain(leaf_params(&["localhost"]));
        let store = Arc::new(
            TrustAnchors::new("test".to_owned(), vec![root.der.clone()]).expect("anchors"),
        );
        let verifier = RecordingVerifier::new(
            store,
            rustls::crypto::ring::default_provider().signature_verification_algorithms,
        );
        verifier
            .verify_server_cert(
                &leaf.der,
                std::slice::from_ref(&intermediate.der),
                &ServerName::try_from("localhost").expect("name"),
                &[],
                UnixTime::now(),
            )
            .expect("completes");
        let record = verifier.record().expect("record");
        assert!(record.verdict.is_ok(), "{:?}", record.verdict);
        let path = record.path.expect("a path");
        assert_eq!(path.intermediates, vec![intermediate.der]);
        assert_eq!(path.anchor, root.der);
    }

    #[test]
    fn a_certificate_that_signed_itself_is_self_signed() {
        let stranger = root(ca_params("someone else"));
        let alone = root(leaf_params(&["localhost"]));
        assert_eq!(
            diagnosed(&[&alone.der], &[&stranger.der], "localhost"),
            (CertificateCheck::SelfSigned, Culprit::Sent(0))
        );
    }

    #[test]
    fn a_leaf_sent_without_its_intermediate_is_an_incomplete_chain() {
        let (root, _, leaf) = lab_chain(leaf_params(&["localhost"]));
        assert_eq!(
            diagnosed(&[&leaf.der], &[&root.der], "localhost"),
            (CertificateCheck::IncompleteChain, Culprit::Sent(0))
        );
    }

    #[test]
    fn a_chain_to_a_ca_the_store_lacks_is_an_untrusted_root_on_the_top_certificate() {
        let (root, intermediate, leaf) = lab_chain(leaf_params(&["localhost"]));
        let stranger = root_of("someone else");
        assert_eq!(
            diagnosed(
                &[&leaf.der, &intermediate.der],
                &[&stranger.der],
                "localhost"
            ),
            (CertificateCheck::UntrustedRoot, Culprit::Sent(1))
        );
        // The server sends its root too: the root it sent is the one blamed.
        assert_eq!(
            diagnosed(
                &[&leaf.der, &intermediate.der, &root.der],
                &[&stranger.der],
                "localhost"
            ),
            (CertificateCheck::UntrustedRoot, Culprit::Sent(2))
        );
        // Sent in a shuffled order, the intermediate is still found.
        assert_eq!(
            diagnosed(
                &[&leaf.der, &root.der, &intermediate.der],
                &[&stranger.der],
                "localhost"
            ),
            (CertificateCheck::UntrustedRoot, Culprit::Sent(1))
        );
    }

    fn root_of(name: &str) -> Made {
        root(ca_params(name))
    }

    #[test]
    fn another_name_is_a_wrong_host_and_no_san_is_named_as_such() {
        let (root, intermediate, leaf) = lab_chain(leaf_params(&["localhost"]));
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "127.0.0.2"),
            (CertificateCheck::WrongHost, Culprit::Sent(0))
        );
        let mut common_name_only = leaf_params(&[]);
        common_name_only.distinguished_name = rcgen::DistinguishedName::new();
        common_name_only
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let (root, intermediate, leaf) = lab_chain(common_name_only);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::NoSubjectAltName, Culprit::Sent(0))
        );
    }

    #[test]
    fn a_ca_as_leaf_and_a_leaf_without_server_auth_are_named() {
        let mut ca_leaf = leaf_params(&["localhost"]);
        ca_leaf.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let (root, intermediate, leaf) = lab_chain(ca_leaf);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::CaAsLeaf, Culprit::Sent(0))
        );
        let mut client_only = leaf_params(&["localhost"]);
        client_only.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let (root, intermediate, leaf) = lab_chain(client_only);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::NotForServerAuth, Culprit::Sent(0))
        );
    }

    #[test]
    fn validity_names_the_certificate_out_of_it_even_an_intermediate() {
        let now = OffsetDateTime::now_utc();
        let mut expired = leaf_params(&["localhost"]);
        expired.not_before = now - Duration::days(60);
        expired.not_after = now - Duration::days(30);
        let (root, intermediate, leaf) = lab_chain(expired);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::Expired, Culprit::Sent(0))
        );

        let mut future = leaf_params(&["localhost"]);
        future.not_before = now + Duration::days(30);
        future.not_after = now + Duration::days(60);
        let (root, intermediate, leaf) = lab_chain(future);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::NotYetValid, Culprit::Sent(0))
        );

        let root = root_of("test root");
        let mut old = ca_params("expired intermediate");
        old.not_before = now - Duration::days(60);
        old.not_after = now - Duration::days(1);
        let intermediate = signed(old, &root);
        let leaf = signed(leaf_params(&["localhost"]), &intermediate);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost"),
            (CertificateCheck::Expired, Culprit::Sent(1))
        );
    }

    #[test]
    fn a_name_outside_a_root_s_constraints_blames_that_root() {
        let mut constrained = ca_params("constrained root");
        constrained.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![
                GeneralSubtree::DnsName("localhost".to_owned()),
                GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
            ],
            excluded_subtrees: Vec::new(),
        });
        let root = root(constrained);
        let intermediate = signed(ca_params("test intermediate"), &root);
        let leaf = signed(leaf_params(&["example.com"]), &intermediate);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "example.com"),
            (
                CertificateCheck::OutsideNameConstraints,
                Culprit::Store(root.der.clone())
            )
        );
    }

    #[test]
    fn a_blamed_root_the_server_did_not_send_is_shown_last_and_pointed_at() {
        let mut constrained = ca_params("constrained root");
        constrained.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("localhost".to_owned())],
            excluded_subtrees: Vec::new(),
        });
        let root = root(constrained);
        let intermediate = signed(ca_params("test intermediate"), &root);
        let leaf = signed(leaf_params(&["example.com"]), &intermediate);
        let store = Arc::new(
            TrustAnchors::new("test".to_owned(), vec![root.der.clone()]).expect("anchors"),
        );
        let verifier = RecordingVerifier::new(
            store,
            rustls::crypto::ring::default_provider().signature_verification_algorithms,
        );
        let sent = vec![leaf.der.clone(), intermediate.der.clone()];
        verifier
            .verify_server_cert(
                &sent[0],
                &sent[1..],
                &ServerName::try_from("example.com").expect("name"),
                &[],
                UnixTime::now(),
            )
            .expect("completes");
        let judgement = crate::inspector::judge(&sent, &verifier, "example.com");
        let failure = judgement.failure.expect("a failure");
        assert_eq!(failure.check, CertificateCheck::OutsideNameConstraints);
        assert_eq!(failure.certificate, Some(2));
        assert_eq!(failure.requested_name, "example.com");
        assert_eq!(judgement.shown.len(), 3);
        assert_eq!(judgement.shown[2].0, root.der);
        assert_eq!(
            judgement.shown[2].1,
            safelab_protocol::CertificateSource::TrustStore
        );
        let error = judgement.error.expect("a sentence");
        assert!(error.contains(&failure.explanation) && error.contains(&failure.library_name));
    }

    #[test]
    fn a_leaf_signed_by_another_key_under_its_issuer_s_name_has_a_bad_signature() {
        let (root, intermediate, _) = lab_chain(leaf_params(&["localhost"]));
        // An impostor CA with the intermediate's very name but its own key.
        let impostor = signed(ca_params("test intermediate"), &root_of("elsewhere"));
        let leaf = signed(leaf_params(&["localhost"]), &impostor);
        assert_eq!(
            diagnosed(&[&leaf.der, &intermediate.der], &[&root.der], "localhost").0,
            CertificateCheck::BadSignature
        );
    }

    #[test]
    fn rustls_and_webpki_names_are_both_given() {
        assert_eq!(
            super::library_name(&webpki::Error::UnknownIssuer),
            "rustls CertificateError::UnknownIssuer (webpki Error::UnknownIssuer)"
        );
        assert_eq!(
            super::library_name(&webpki::Error::CaUsedAsEndEntity),
            "rustls CertificateError::Other (webpki Error::CaUsedAsEndEntity)"
        );
    }
}
