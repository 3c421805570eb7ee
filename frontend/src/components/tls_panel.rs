//! The TLS session of an exchange: the verdict first, then the chain.

use leptos::prelude::*;
use safelab_protocol::{CertificateInfo, TlsInfo};

/// Shows the verdict, the negotiated parameters and every certificate of the chain.
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
            "The chain leads to a trusted root and names this host. Trust store: {}.",
            tls.trust_store
        ),
        Some(error) => format!(
            "{error}. A browser or Python requests would refuse this connection. Trust store: {}.",
            tls.trust_store
        ),
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
            <h4>{format!("Certificate chain ({count} sent by the server, leaf first)")}</h4>
            <ol class="chain">{chain}</ol>
        </section>
    }
}

/// One certificate of the chain.
#[component]
fn CertificateCard(
    /// Position in the chain, from 0 (the leaf).
    index: usize,
    /// Length of the chain.
    count: usize,
    /// The certificate.
    certificate: CertificateInfo,
) -> impl IntoView {
    let role = match (index, certificate.is_ca) {
        (0, _) => "Leaf: the server's own certificate",
        (_, true) if index + 1 == count => "Issuer: a certificate authority",
        (_, true) => "Intermediate certificate authority",
        _ => "Certificate",
    };
    let sans = if certificate.sans.is_empty() {
        "(none)".to_owned()
    } else {
        certificate.sans.join(", ")
    };
    view! {
        <li class="certificate">
            <p class="certificate-role">{role}</p>
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
