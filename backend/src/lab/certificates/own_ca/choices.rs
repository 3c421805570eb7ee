//! The learner's choices, checked and turned into rcgen's terms, and what
//! rustls says of the result.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    CertificateSigningRequestParams, ExtendedKeyUsagePurpose, KeyUsagePurpose, SanType,
    SignatureAlgorithm,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use safelab_protocol::own_ca::{KeyType, KeyUsage, MAX_NAME_CHARS};

use super::OwnCaError;

/// The name clients ask for: a certificate is "good" when it verifies for it.
const HOST_NAME: &str = "localhost";

/// What rustls says of `leaf` for `localhost`, now, as a TLS server's
/// certificate, trusting `ca` alone: `None` when it accepts it.
pub(super) fn rustls_verdict(
    leaf: &CertificateDer<'_>,
    ca: &CertificateDer<'static>,
) -> Option<String> {
    let mut roots = RootCertStore::empty();
    if let Err(error) = roots.add(ca.clone()) {
        return Some(format!("the CA cannot be a trust anchor: {error}"));
    }
    let verifier = match WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    {
        Ok(verifier) => verifier,
        Err(error) => return Some(error.to_string()),
    };
    let name = ServerName::try_from(HOST_NAME).ok()?;
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .err()
        .map(|error| error.to_string())
}

pub(super) fn parse_csr(pem: &str) -> Result<CertificateSigningRequestParams, OwnCaError> {
    if !pem.contains("-----BEGIN CERTIFICATE REQUEST-----") {
        return Err(OwnCaError::BadCsr(
            "it has no -----BEGIN CERTIFICATE REQUEST----- line: paste the whole PEM block that openssl req or step 2 printed".to_owned(),
        ));
    }
    CertificateSigningRequestParams::from_pem(pem).map_err(|error| {
        OwnCaError::BadCsr(match error {
            rcgen::Error::CouldNotParseCertificationRequest => {
                "its PEM does not decode to a PKCS#10 request: paste it again, whole".to_owned()
            }
            rcgen::Error::InvalidCertificationRequestSignature => {
                "its signature cannot be checked: it was changed after its key signed it, or its key is of a type safelab does not read (use an ECDSA P-256 or P-384, or an Ed25519 key)".to_owned()
            }
            rcgen::Error::UnsupportedExtension => "it asks for an extension safelab does not sign: use only subjectAltName, basicConstraints, keyUsage and extendedKeyUsage".to_owned(),
            other => other.to_string(),
        })
    })
}

pub(super) fn algorithm(key_type: KeyType) -> &'static SignatureAlgorithm {
    match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

pub(super) fn key_usage(usage: KeyUsage) -> KeyUsagePurpose {
    match usage {
        KeyUsage::DigitalSignature => KeyUsagePurpose::DigitalSignature,
        KeyUsage::KeyEncipherment => KeyUsagePurpose::KeyEncipherment,
        KeyUsage::KeyCertSign => KeyUsagePurpose::KeyCertSign,
    }
}

pub(super) fn purpose_name(purpose: &ExtendedKeyUsagePurpose) -> &'static str {
    match purpose {
        ExtendedKeyUsagePurpose::ServerAuth => "serverAuth",
        ExtendedKeyUsagePurpose::ClientAuth => "clientAuth",
        ExtendedKeyUsagePurpose::Any => "anyExtendedKeyUsage",
        ExtendedKeyUsagePurpose::CodeSigning => "codeSigning",
        ExtendedKeyUsagePurpose::EmailProtection => "emailProtection",
        ExtendedKeyUsagePurpose::TimeStamping => "timeStamping",
        ExtendedKeyUsagePurpose::OcspSigning => "OCSPSigning",
        _ => "other",
    }
}

pub(super) fn san_text(san: &SanType) -> String {
    match san {
        SanType::DnsName(name) => format!("DNS:{}", name.as_str()),
        SanType::IpAddress(ip) => format!("IP:{ip}"),
        SanType::Rfc822Name(name) => format!("email:{}", name.as_str()),
        SanType::URI(uri) => format!("URI:{}", uri.as_str()),
        _ => "other name".to_owned(),
    }
}

pub(super) fn dn_text(value: &rcgen::DnValue) -> String {
    match value {
        rcgen::DnValue::Utf8String(text) => text.clone(),
        rcgen::DnValue::PrintableString(text) => text.as_str().to_owned(),
        rcgen::DnValue::Ia5String(text) => text.as_str().to_owned(),
        _ => "(a name in an unusual encoding)".to_owned(),
    }
}

/// A name typed into the form: trimmed, not empty, short, no control characters.
pub(super) fn checked_name(what: &str, name: &str) -> Result<String, OwnCaError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OwnCaError::Invalid(format!("{what} is empty: type one")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(OwnCaError::Invalid(format!(
            "{what} is {} characters long, and X.509 allows at most {MAX_NAME_CHARS}: shorten it",
            name.chars().count()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(OwnCaError::Invalid(format!(
            "{what} holds a control character: use letters, digits, spaces and punctuation"
        )));
    }
    Ok(name.to_owned())
}

pub(super) fn days(field: &str, days: u32, max: u32) -> Result<(), OwnCaError> {
    if (1..=max).contains(&days) {
        Ok(())
    } else {
        Err(OwnCaError::Invalid(format!(
            "{field} must be between 1 and {max} days, not {days}: a certificate valid for 0 days is never valid"
        )))
    }
}

/// One subject alternative name: an IP address, or a DNS name (`*.` allowed
/// first).
pub(super) fn subject_alt_name(name: &str) -> Result<SanType, OwnCaError> {
    let name = name.trim();
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let invalid = |why: &str| {
        OwnCaError::Invalid(format!(
            "{:?} is not a DNS name or an IP address ({why}): write names like localhost, app.localhost or 127.0.0.1",
            name.chars().take(80).collect::<String>()
        ))
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > 253 {
        return Err(invalid("a DNS name has at most 253 characters"));
    }
    let labels = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    };
    if !labels.split('.').all(label_ok) {
        return Err(invalid(
            "each dot-separated label is 1 to 63 letters, digits or hyphens",
        ));
    }
    let name = rcgen::string::Ia5String::try_from(name.to_ascii_lowercase())
        .map_err(|_| invalid("it is not ASCII"))?;
    Ok(SanType::DnsName(name))
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use time::{Duration, OffsetDateTime};

    use super::super::common_name;
    use super::*;

    #[test]
    fn names_are_dns_names_or_ip_addresses() {
        assert!(matches!(
            subject_alt_name("127.0.0.1"),
            Ok(SanType::IpAddress(_))
        ));
        assert!(matches!(subject_alt_name("::1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(
            subject_alt_name("*.App.localhost"),
            Ok(SanType::DnsName(name)) if name.as_str() == "*.app.localhost"
        ));
        for bad in [
            "",
            "a b",
            "-x.localhost",
            "x..localhost",
            "é.localhost",
            &"a".repeat(64),
        ] {
            assert!(subject_alt_name(bad).is_err(), "{bad:?}");
        }
    }

    /// A CA and a certificate it signed for `names`, valid from
    /// `starts_in_days` for `days`, as `is_ca` and with `purpose`.
    fn signed(
        names: &[&str],
        is_ca: bool,
        purpose: ExtendedKeyUsagePurpose,
        starts_in_days: i64,
        days: i64,
    ) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let mut ca_params = CertificateParams::default();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = common_name("test CA");
        let ca = ca_params.self_signed(&ca_key).expect("a CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>(),
        )
        .expect("names");
        params.is_ca = if is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        params.extended_key_usages = vec![purpose];
        params.not_before = OffsetDateTime::now_utc() + Duration::days(starts_in_days);
        params.not_after = params.not_before + Duration::days(days);
        let leaf = params.signed_by(&key, &issuer).expect("signed");
        (leaf.der().clone(), ca.der().clone())
    }

    #[test]
    fn rustls_judges_a_certificate_for_localhost_now_as_a_servers() {
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let verdict = |(leaf, ca): (CertificateDer<'static>, CertificateDer<'static>)| {
            rustls_verdict(&leaf, &ca)
        };
        assert_eq!(
            verdict(signed(&["localhost"], false, server.clone(), 0, 30)),
            None
        );
        let cases = [
            (
                signed(&["example.test"], false, server.clone(), 0, 30),
                "not valid for name",
            ),
            (
                signed(&["localhost"], true, server.clone(), 0, 30),
                "CaUsedAsEndEntity",
            ),
            (
                signed(
                    &["localhost"],
                    false,
                    ExtendedKeyUsagePurpose::ClientAuth,
                    0,
                    30,
                ),
                "server authentication",
            ),
            (signed(&["localhost"], false, server, -10, 5), "expired"),
        ];
        for (certificate, error) in cases {
            let said = verdict(certificate).expect("refused");
            assert!(said.contains(error), "{said}");
        }
    }
}
