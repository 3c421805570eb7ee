//! Describing a certificate the way a learner reads it.

use rustls::pki_types::CertificateDer;
use safelab_protocol::{CertificateInfo, CertificateSource};
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::GeneralName;
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
    let sha256 = fingerprint(der);
    match X509Certificate::from_der(der) {
        Ok((_, certificate)) => describe_parsed(&certificate, sha256, source, in_path),
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
            sha256,
            source,
            in_path,
        },
    }
}

fn describe_parsed(
    certificate: &X509Certificate<'_>,
    sha256: String,
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
        sha256,
        source,
        in_path,
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

/// SHA-256 of the DER bytes as colon-separated upper-case hex, as browsers show it.
fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
