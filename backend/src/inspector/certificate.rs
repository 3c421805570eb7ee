//! Describing a certificate the way a learner reads it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::CertificateDer;
use safelab_protocol::{CertificateInfo, CertificateSource};
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, GeneralSubtree};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Describes one DER certificate, which came from `source` and is or is not
/// part of the verified path. A certificate that does not parse is still
/// listed, with its fingerprint and the parser's complaint as its subject.
pub fn describe(
    der: &CertificateDer<'_>,
    source: CertificateSource,
    in_path: bool,
) -> CertificateInfo {
    let sha256 = fingerprint(&ring::digest::SHA256, der);
    let sha1 = fingerprint(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    let pem = pem(der);
    match X509Certificate::from_der(der) {
        Ok((_, certificate)) => describe_parsed(
            &certificate,
            Fingerprints { sha256, sha1, pem },
            source,
            in_path,
        ),
        Err(error) => CertificateInfo {
            subject: format!("(unparsable certificate: {error})"),
            issuer: String::new(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            sans: Vec::new(),
            key_algorithm: String::new(),
            signature_algorithm: String::new(),
            is_ca: false,
            path_length: None,
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            name_constraints: Vec::new(),
            sha256,
            sha1,
            pem,
            source,
            in_path,
        },
    }
}

/// The certificate's subject common name, or its whole subject when it has
/// none, to name it in a sentence.
pub fn subject_name(der: &CertificateDer<'_>) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, certificate)) => {
            let subject = certificate.subject();
            subject
                .iter_common_name()
                .next()
                .and_then(|common_name| common_name.as_str().ok())
                .map_or_else(|| subject.to_string(), str::to_owned)
        }
        Err(_) => "(unparsable certificate)".to_owned(),
    }
}

/// What is computed from the DER bytes alone, so also for an unparsable certificate.
struct Fingerprints {
    sha256: String,
    sha1: String,
    pem: String,
}

fn describe_parsed(
    certificate: &X509Certificate<'_>,
    fingerprints: Fingerprints,
    source: CertificateSource,
    in_path: bool,
) -> CertificateInfo {
    let validity = certificate.validity();
    let date = |time: &x509_parser::time::ASN1Time| {
        time.to_datetime()
            .format(&Rfc3339)
            .unwrap_or_else(|_| time.to_string())
    };
    let sans = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|extension| {
            extension
                .value
                .general_names
                .iter()
                .map(describe_name)
                .collect()
        })
        .unwrap_or_default();
    CertificateInfo {
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        serial: certificate.raw_serial_as_string(),
        not_before: date(&validity.not_before),
        not_after: date(&validity.not_after),
        sans,
        key_algorithm: key_algorithm(certificate),
        signature_algorithm: signature_algorithm(
            &certificate.signature_algorithm.algorithm.to_id_string(),
        ),
        is_ca: certificate.is_ca(),
        path_length: certificate
            .basic_constraints()
            .ok()
            .flatten()
            .and_then(|extension| extension.value.path_len_constraint),
        key_usage: key_usage(certificate),
        extended_key_usage: extended_key_usage(certificate),
        name_constraints: name_constraints(certificate),
        sha256: fingerprints.sha256,
        sha1: fingerprints.sha1,
        pem: fingerprints.pem,
        source,
        in_path,
    }
}

/// Key usage bits in the words OpenSSL and browsers use.
fn key_usage(certificate: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(extension)) = certificate.key_usage() else {
        return Vec::new();
    };
    let usage = extension.value;
    [
        (usage.digital_signature(), "Digital Signature"),
        (usage.non_repudiation(), "Non Repudiation"),
        (usage.key_encipherment(), "Key Encipherment"),
        (usage.data_encipherment(), "Data Encipherment"),
        (usage.key_agreement(), "Key Agreement"),
        (usage.key_cert_sign(), "Key Cert Sign"),
        (usage.crl_sign(), "CRL Sign"),
        (usage.encipher_only(), "Encipher Only"),
        (usage.decipher_only(), "Decipher Only"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

/// Extended key usage purposes, each with its RFC 5280 short name in brackets.
fn extended_key_usage(certificate: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(extension)) = certificate.extended_key_usage() else {
        return Vec::new();
    };
    let usage = extension.value;
    let mut purposes: Vec<String> = [
        (usage.any, "Any Extended Key Usage (anyExtendedKeyUsage)"),
        (
            usage.server_auth,
            "TLS Web Server Authentication (serverAuth)",
        ),
        (
            usage.client_auth,
            "TLS Web Client Authentication (clientAuth)",
        ),
        (usage.code_signing, "Code Signing (codeSigning)"),
        (
            usage.email_protection,
            "E-mail Protection (emailProtection)",
        ),
        (usage.time_stamping, "Time Stamping (timeStamping)"),
        (usage.ocsp_signing, "OCSP Signing (OCSPSigning)"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect();
    purposes.extend(usage.other.iter().map(|oid| oid.to_id_string()));
    purposes
}

/// Permitted then excluded subtrees, each prefixed with which it is.
fn name_constraints(certificate: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(extension)) = certificate.name_constraints() else {
        return Vec::new();
    };
    let constraints = extension.value;
    let subtrees = |kind: &'static str, subtrees: &Option<Vec<GeneralSubtree<'_>>>| {
        subtrees
            .iter()
            .flatten()
            .map(move |subtree| format!("{kind} {}", describe_subtree(&subtree.base)))
            .collect::<Vec<_>>()
    };
    let mut described = subtrees("permitted", &constraints.permitted_subtrees);
    described.extend(subtrees("excluded", &constraints.excluded_subtrees));
    described
}

/// A name constraint's base: as a name, except that an IP base is an address
/// and a mask (RFC 5280 §4.2.1.10), shown as a CIDR prefix.
fn describe_subtree(base: &GeneralName<'_>) -> String {
    let GeneralName::IPAddress(bytes) = base else {
        return describe_name(base);
    };
    let (address, mask) = bytes.split_at(bytes.len() / 2);
    let prefix: u32 = mask.iter().map(|byte| byte.count_ones()).sum();
    match (<[u8; 4]>::try_from(address), <[u8; 16]>::try_from(address)) {
        (Ok(v4), _) => format!("IP:{}/{prefix}", std::net::Ipv4Addr::from(v4)),
        (_, Ok(v6)) => format!("IP:{}/{prefix}", std::net::Ipv6Addr::from(v6)),
        _ => format!("IP:(invalid, {} bytes)", bytes.len()),
    }
}

fn describe_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => format!(
                "IP:{}",
                std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).unwrap_or_default())
            ),
            16 => format!(
                "IP:{}",
                std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).unwrap_or_default())
            ),
            _ => format!("IP:(invalid, {} bytes)", bytes.len()),
        },
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        other => format!("{other:?}"),
    }
}

fn key_algorithm(certificate: &X509Certificate<'_>) -> String {
    let info = certificate.public_key();
    match info.parsed() {
        Ok(PublicKey::EC(_)) => {
            let curve = info
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok())
                .map(|oid| oid.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "ECDSA P-256".to_owned(),
                Some("1.3.132.0.34") => "ECDSA P-384".to_owned(),
                Some("1.3.132.0.35") => "ECDSA P-521".to_owned(),
                Some(other) => format!("ECDSA (curve {other})"),
                None => "ECDSA".to_owned(),
            }
        }
        Ok(PublicKey::RSA(rsa)) => format!("RSA {} bits", rsa.key_size()),
        Ok(_) if info.algorithm.algorithm.to_id_string() == "1.3.101.112" => "Ed25519".to_owned(),
        _ => info.algorithm.algorithm.to_id_string(),
    }
}

fn signature_algorithm(oid: &str) -> String {
    match oid {
        "1.2.840.10045.4.3.2" => "ECDSA with SHA-256",
        "1.2.840.10045.4.3.3" => "ECDSA with SHA-384",
        "1.2.840.10045.4.3.4" => "ECDSA with SHA-512",
        "1.2.840.113549.1.1.11" => "RSA PKCS#1 v1.5 with SHA-256",
        "1.2.840.113549.1.1.12" => "RSA PKCS#1 v1.5 with SHA-384",
        "1.2.840.113549.1.1.13" => "RSA PKCS#1 v1.5 with SHA-512",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.113549.1.1.5" => "RSA with SHA-1 (obsolete)",
        "1.3.101.112" => "Ed25519",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// The DER bytes as PEM: base64 in lines of 64 characters (RFC 7468).
fn pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    // Base64 is ASCII, so every 64-byte chunk is valid UTF-8.
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// A digest of the DER bytes as colon-separated upper-case hex, as browsers show it.
fn fingerprint(algorithm: &'static ring::digest::Algorithm, der: &[u8]) -> String {
    let digest = ring::digest::digest(algorithm, der);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::CertificateAuthority;
    use rcgen::{
        BasicConstraints, CertificateParams, CidrSubnet, ExtendedKeyUsagePurpose, GeneralSubtree,
        IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
    };
    use rustls::pki_types::pem::PemObject;

    /// safelab's own root, intermediate and leaf for `localhost`.
    fn lab_chain() -> (CertificateAuthority, Vec<CertificateInfo>) {
        let folder = tempfile::tempdir().expect("temp dir");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("CA");
        let identity = ca
            .server_identity(&["localhost".to_owned()])
            .expect("identity");
        let mut chain: Vec<_> = identity
            .chain
            .iter()
            .map(|der| describe(der, CertificateSource::Server, true))
            .collect();
        chain.push(describe(ca.root_der(), CertificateSource::TrustStore, true));
        (ca, chain)
    }

    #[test]
    fn the_lab_leaf_is_for_server_authentication_only() {
        let (_, chain) = lab_chain();
        let leaf = &chain[0];
        assert_eq!(leaf.key_usage, ["Digital Signature"]);
        assert_eq!(
            leaf.extended_key_usage,
            ["TLS Web Server Authentication (serverAuth)"]
        );
        assert!(leaf.name_constraints.is_empty());
        assert_eq!(leaf.path_length, None);
    }

    #[test]
    fn the_lab_intermediate_may_sign_leaves_only() {
        let (_, chain) = lab_chain();
        let intermediate = &chain[1];
        assert_eq!(intermediate.path_length, Some(0));
        assert_eq!(intermediate.key_usage, ["Key Cert Sign", "CRL Sign"]);
        assert!(intermediate.extended_key_usage.is_empty());
    }

    #[test]
    fn the_lab_root_is_constrained_to_loopback_names() {
        let (_, chain) = lab_chain();
        let root = &chain[2];
        assert_eq!(root.path_length, None);
        assert_eq!(root.key_usage, ["Key Cert Sign", "CRL Sign"]);
        assert_eq!(
            root.name_constraints,
            [
                "permitted DNS:localhost",
                "permitted IP:127.0.0.0/8",
                "permitted IP:::1/128",
            ]
        );
    }

    #[test]
    fn pem_and_fingerprints_are_those_of_the_der_bytes() {
        let (ca, chain) = lab_chain();
        let root = &chain[2];
        assert_eq!(
            root.pem.replace("\r\n", "\n"),
            ca.root_pem().replace("\r\n", "\n")
        );
        assert!(root.pem.lines().all(|line| line.len() <= 64));
        let der = CertificateDer::from_pem_slice(root.pem.as_bytes()).expect("PEM parses");
        assert_eq!(&der, ca.root_der());
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        let hex: Vec<String> = sha1.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(root.sha1, hex.join(":"));
        assert_eq!(root.sha1.len(), 20 * 3 - 1);
        assert_eq!(root.sha256.len(), 32 * 3 - 1);
    }

    #[test]
    fn other_usages_path_lengths_and_excluded_subtrees_are_named() {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(2));
        params.key_usages = vec![
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::CodeSigning,
        ];
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: Vec::new(),
            excluded_subtrees: vec![
                GeneralSubtree::DnsName("example.com".to_owned()),
                GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([10, 0, 0, 0], 8)),
            ],
        });
        let certificate = params.self_signed(&key).expect("certificate");
        let info = describe(certificate.der(), CertificateSource::Server, false);
        assert_eq!(info.path_length, Some(2));
        assert_eq!(info.key_usage, ["Key Encipherment", "Key Agreement"]);
        assert_eq!(
            info.extended_key_usage,
            [
                "TLS Web Client Authentication (clientAuth)",
                "Code Signing (codeSigning)",
            ]
        );
        assert_eq!(
            info.name_constraints,
            ["excluded DNS:example.com", "excluded IP:10.0.0.0/8"]
        );
    }

    #[test]
    fn an_unparsable_certificate_still_has_its_fingerprints_and_pem() {
        let der = CertificateDer::from(b"not a certificate".to_vec());
        let info = describe(&der, CertificateSource::Server, false);
        assert!(info.subject.starts_with("(unparsable"));
        assert_eq!(info.sha1.len(), 20 * 3 - 1);
        assert!(info.pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(info.key_usage.is_empty());
    }
}
