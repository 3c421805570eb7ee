//! The TLS session of an exchange: the verdict first, then the certificate
//! path down to the trust anchor, each certificate marked with where the
//! client got it.

use leptos::prelude::*;
use safelab_protocol::{CertificateInfo, CertificateSource, TlsInfo};

/// Shows the verdict, the negotiated parameters and every certificate.
#[component]
pub fn TlsPanel(
    /// The TLS facts of one exchange.
    tls: TlsInfo,
) -> impl IntoView {
    let (verdict_class, verdict_title) = if tls.verified {
        ("verdict verified", "✔ Verified")
    } else {
        ("verdict failed", "✘ Not verified")
    };
    let verdict_text = match &tls.error {
        None => format!(
            "The path leads to a trusted root and the certificate names this host. Trust store: {}.",
            tls.trust_store
        ),
        Some(error) => format!(
            "{error}. A browser or Python requests would refuse this connection. Trust store: {}.",
            tls.trust_store
        ),
    };
    let from_server = tls
        .chain
        .iter()
        .filter(|certificate| certificate.source == CertificateSource::Server)
        .count();
    let from_store = tls.chain.len() - from_server;
    let has_path = tls.chain.iter().any(|certificate| certificate.in_path);
    let heading = if has_path {
        format!(
            "Certificate path ({} certificates: {from_server} sent by the server, {from_store} from the trust store)",
            tls.chain.len()
        )
    } else {
        format!("Certificates the server sent ({from_server}): no path to a trusted root was found")
    };
    let count = tls.chain.len();
    let chain = tls
        .chain
        .into_iter()
        .enumerate()
        .map(|(index, certificate)| view! { <CertificateCard index count certificate /> })
        .collect_view();
    view! {
        <section class="tls" aria-labelledby="tls-title">
            <h3 id="tls-title">"TLS"</h3>
            <div class=verdict_class role="status">
                <strong>{verdict_title}</strong>
                " "
                <span class="verdict-text">{verdict_text}</span>
            </div>
            <dl class="facts">
                <dt>"Version"</dt>
                <dd>{tls.version}</dd>
                <dt>"Cipher suite"</dt>
                <dd>{tls.cipher}</dd>
                <dt>"ALPN"</dt>
                <dd>{tls.alpn.unwrap_or_else(|| "(none)".to_owned())}</dd>
            </dl>
            <h4>{heading}</h4>
            <ol class="chain">{chain}</ol>
        </section>
    }
}

/// One certificate of the path.
#[component]
fn CertificateCard(
    /// Position in the list, from 0 (the leaf).
    index: usize,
    /// Length of the list.
    count: usize,
    /// The certificate.
    certificate: CertificateInfo,
) -> impl IntoView {
    let role = match (index, certificate.source, certificate.in_path) {
        (0, _, _) => "Leaf: the server's own certificate",
        (_, CertificateSource::TrustStore, _) => "Root: the trust anchor the path ends at",
        (_, _, true) => "Intermediate certificate authority",
        (_, _, false) if certificate.is_ca && index + 1 == count => "Certificate authority",
        _ => "Also sent by the server, not part of the path",
    };
    let (source_class, source) = match certificate.source {
        CertificateSource::Server => ("source source-server", "Sent by the server"),
        CertificateSource::TrustStore => (
            "source source-store",
            "From the trust store: the client already had it; the server did not send it",
        ),
    };
    let sans = if certificate.sans.is_empty() {
        "(none)".to_owned()
    } else {
        certificate.sans.join(", ")
    };
    let optional = |label: &'static str, class: &'static str, values: Vec<String>| {
        (!values.is_empty()).then(|| {
            view! {
                <dt>{label}</dt>
                <dd class=class>{values.join(", ")}</dd>
            }
        })
    };
    let path_length = certificate.path_length.map(|length| {
        view! {
            <dt>"Path length"</dt>
            <dd class="path-length">
                {format!("at most {length} intermediate certificate authorities below it")}
            </dd>
        }
    });
    let key_usage = optional("Key usage", "key-usage", certificate.key_usage);
    let extended_key_usage = optional(
        "Extended key usage",
        "extended-key-usage",
        certificate.extended_key_usage,
    );
    let name_constraints = optional(
        "Name constraints",
        "name-constraints",
        certificate.name_constraints,
    );
    let sha1 = (!certificate.sha1.is_empty()).then(|| {
        view! {
            <dt>"SHA-1"</dt>
            <dd class="mono fingerprint">{certificate.sha1}</dd>
        }
    });
    let download = (!certificate.pem.is_empty()).then(|| {
        let file_name = pem_file_name(index, &certificate.subject);
        let href = format!(
            "data:application/x-pem-file;charset=utf-8,{}",
            percent_encode(&certificate.pem)
        );
        view! {
            <p>
                <a class="download-pem" download=file_name href=href>
                    "Download PEM"
                </a>
            </p>
        }
    });
    view! {
        <li class="certificate" data-source=certificate_source_name(certificate.source)>
            <p class="certificate-role">{role}</p>
            <p class=source_class>{source}</p>
            <dl class="facts">
                <dt>"Subject"</dt>
                <dd>{certificate.subject}</dd>
                <dt>"Issuer"</dt>
                <dd>{certificate.issuer}</dd>
                <dt>"Valid"</dt>
                <dd>{format!("{} to {}", certificate.not_before, certificate.not_after)}</dd>
                <dt>"Names (SANs)"</dt>
                <dd>{sans}</dd>
                <dt>"Key"</dt>
                <dd>{certificate.key_algorithm}</dd>
                <dt>"Signature"</dt>
                <dd>{certificate.signature_algorithm}</dd>
                <dt>"CA"</dt>
                <dd>{if certificate.is_ca { "yes (may sign certificates)" } else { "no" }}</dd>
                {path_length}
                {key_usage}
                {extended_key_usage}
                {name_constraints}
                <dt>"Serial"</dt>
                <dd class="mono">{certificate.serial}</dd>
                <dt>"SHA-256"</dt>
                <dd class="mono fingerprint">{certificate.sha256}</dd>
                {sha1}
            </dl>
            {download}
        </li>
    }
}

fn certificate_source_name(source: CertificateSource) -> &'static str {
    match source {
        CertificateSource::Server => "server",
        CertificateSource::TrustStore => "trust_store",
    }
}

/// A file name for the certificate: its position and its common name (or whole
/// subject), with anything but letters, digits, `.` and `-` made a `-`, so the
/// name is safe on every file system.
fn pem_file_name(index: usize, subject: &str) -> String {
    let name = subject
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject);
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches(['-', '.']);
    if slug.is_empty() {
        format!("certificate-{}.pem", index + 1)
    } else {
        format!("{}-{slug}.pem", index + 1)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the PEM
/// fits in a `data:` URL whole (line breaks included).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_use_the_common_name_and_stay_safe() {
        assert_eq!(
            pem_file_name(0, "CN=localhost, O=safelab"),
            "1-localhost.pem"
        );
        assert_eq!(
            pem_file_name(2, "CN=safelab local root CA 0a1b"),
            "3-safelab-local-root-CA-0a1b.pem"
        );
        assert_eq!(pem_file_name(1, "CN=../../etc/passwd"), "2-etc-passwd.pem");
        assert_eq!(pem_file_name(1, ""), "certificate-2.pem");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            percent_encode("-----BEGIN CERTIFICATE-----\nab+/=\n"),
            "-----BEGIN%20CERTIFICATE-----%0Aab%2B%2F%3D%0A"
        );
    }
}
