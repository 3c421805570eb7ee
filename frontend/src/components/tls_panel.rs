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
                <dt>"Serial"</dt>
                <dd class="mono">{certificate.serial}</dd>
                <dt>"SHA-256"</dt>
                <dd class="mono fingerprint">{certificate.sha256}</dd>
            </dl>
        </li>
    }
}

fn certificate_source_name(source: CertificateSource) -> &'static str {
    match source {
        CertificateSource::Server => "server",
        CertificateSource::TrustStore => "trust_store",
    }
}
