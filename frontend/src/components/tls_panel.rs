//! The TLS session of an exchange: the verdict first (with the check that
//! failed, and what other clients say about a broken listener), then the
//! certificate path down to the trust anchor, each certificate marked with
//! where the client got it, the one that failed highlighted.

use leptos::prelude::*;
use safelab_protocol::{
    BrokenListener, CertificateCheck, CertificateInfo, CertificateSource, TlsInfo,
};

use crate::certificates::{
    ValidityBar, broken_listener_for, check_title, failed_label, validity_bar,
};

/// Lesson 6's broken listeners, for the panel to find the one an exchange
/// went to. Provided by the workbench.
#[derive(Debug, Clone, Copy)]
pub struct BrokenListeners(pub Signal<Vec<BrokenListener>>);

/// How the failing certificate's card is marked.
#[derive(Debug, Clone)]
struct Failed {
    check: CertificateCheck,
    requested_name: String,
}

/// Shows the verdict, the negotiated parameters and every certificate.
#[component]
pub fn TlsPanel(
    /// The TLS facts of one exchange.
    tls: TlsInfo,
    /// The URL the exchange went to, to find its broken listener.
    #[prop(optional, into)]
    url: String,
) -> impl IntoView {
    let (verdict_class, verdict_title) = if tls.verified {
        ("verdict verified", "✔ Verified")
    } else {
        ("verdict failed", "✘ Not verified")
    };
    let verdict_text = match (&tls.error, &tls.failure) {
        (None, _) => format!(
            "The path leads to a trusted root and the certificate names this host. Trust store: {}.",
            tls.trust_store
        ),
        (Some(_), Some(_)) => format!(
            "A browser or Python requests would refuse this connection. Trust store: {}.",
            tls.trust_store
        ),
        (Some(error), None) => format!(
            "{error}. A browser or Python requests would refuse this connection. Trust store: {}.",
            tls.trust_store
        ),
    };
    let failure = tls.failure.clone().map(|failure| {
        view! {
            <p class="failure">
                <strong class="failure-check">{check_title(failure.check)}</strong>
                ": "
                <span class="failure-explanation">{failure.explanation}</span>
                " "
                <span class="failure-library">"In the library's words: "<code>{failure.library_name}</code></span>
            </p>
        }
    });
    let broken = use_context::<BrokenListeners>()
        .and_then(|listeners| {
            listeners
                .0
                .with_untracked(|listeners| broken_listener_for(&url, listeners).cloned())
        })
        .map(|listener| view! { <OtherClients listener /> });
    let failed_index = tls.failure.as_ref().and_then(|failure| failure.certificate);
    let failed = tls.failure.as_ref().map(|failure| Failed {
        check: failure.check,
        requested_name: failure.requested_name.clone(),
    });
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
        .map(|(index, certificate)| {
            let failed = failed.clone().filter(|_| failed_index == Some(index));
            view! { <CertificateCard index count certificate failed /> }
        })
        .collect_view();
    view! {
        <section class="tls" aria-labelledby="tls-title">
            <h3 id="tls-title">"TLS"</h3>
            <div class=verdict_class role="status">
                <strong>{verdict_title}</strong>
                " "
                <span class="verdict-text">{verdict_text}</span>
                {failure}
            </div>
            {broken}
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
    /// The check it failed, if it is the one that failed.
    failed: Option<Failed>,
) -> impl IntoView {
    let check = failed.as_ref().map(|failed| failed.check);
    let marked = |wanted: &[CertificateCheck]| check.is_some_and(|check| wanted.contains(&check));
    let self_issued = certificate.subject == certificate.issuer;
    let failed_label = failed.as_ref().map(|failed| {
        let label = failed_label(failed.check, self_issued, &failed.requested_name);
        view! { <p class="failed-label" role="note">"✘ "{label}</p> }
    });
    let validity = marked(&[CertificateCheck::Expired, CertificateCheck::NotYetValid])
        .then(|| {
            let now = (web_sys::js_sys::Date::now() / 1000.0) as i64;
            validity_bar(&certificate.not_before, &certificate.not_after, now)
        })
        .flatten()
        .map(|bar| view! { <ValidityBarView bar /> });
    let requested = failed.as_ref().and_then(|failed| {
        match failed.check {
        CertificateCheck::WrongHost => Some(view! {
            <p class="requested-name">
                "Asked for "<mark>{failed.requested_name.clone()}</mark>": not among these names."
            </p>
        }.into_any()),
        CertificateCheck::NoSubjectAltName => Some(view! {
            <p class="requested-name no-san">
                "No SAN: only the common name, which clients ignore. Asked for "
                <mark>{failed.requested_name.clone()}</mark>"."
            </p>
        }.into_any()),
        _ => None,
    }
    });
    let no_issuer = marked(&[CertificateCheck::IncompleteChain]).then(|| {
        view! {
            <p class="no-issuer">
                {format!("↑ No issuer presented: the server did not send the certificate that issued this one ({}).", certificate.issuer)}
            </p>
        }
    });
    let card_class = if failed.is_some() {
        "certificate failed"
    } else {
        "certificate"
    };
    let ca_class = if marked(&[CertificateCheck::CaAsLeaf]) {
        "marked"
    } else {
        ""
    };
    let eku_marked = marked(&[CertificateCheck::NotForServerAuth]);
    let constraints_marked = marked(&[CertificateCheck::OutsideNameConstraints]);
    let sans_marked = marked(&[
        CertificateCheck::WrongHost,
        CertificateCheck::NoSubjectAltName,
    ]);
    let role = match (index, certificate.source, certificate.in_path) {
        (0, _, _) => "Leaf: the server's own certificate",
        (_, CertificateSource::TrustStore, true) => "Root: the trust anchor the path ends at",
        (_, CertificateSource::TrustStore, false) => "Root from your trust store, above the chain",
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
    let no_eku = (eku_marked && certificate.extended_key_usage.is_empty()).then(|| {
        view! {
            <dt>"Extended key usage"</dt>
            <dd class="extended-key-usage marked">"(none)"</dd>
        }
    });
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
        if eku_marked {
            "extended-key-usage marked"
        } else {
            "extended-key-usage"
        },
        certificate.extended_key_usage,
    );
    let name_constraints = optional(
        "Name constraints",
        if constraints_marked {
            "name-constraints marked"
        } else {
            "name-constraints"
        },
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
        <li class=card_class data-source=certificate_source_name(certificate.source)>
            {failed_label}
            <p class="certificate-role">{role}</p>
            <p class=source_class>{source}</p>
            <dl class="facts">
                <dt>"Subject"</dt>
                <dd>{certificate.subject}</dd>
                <dt>"Issuer"</dt>
                <dd>{certificate.issuer}</dd>
                <dt>"Valid"</dt>
                <dd class="validity">{format!("{} to {}", certificate.not_before, certificate.not_after)}{validity}</dd>
                <dt>"Names (SANs)"</dt>
                <dd class=if sans_marked { "sans marked" } else { "sans" }>{sans}{requested}</dd>
                <dt>"Key"</dt>
                <dd>{certificate.key_algorithm}</dd>
                <dt>"Signature"</dt>
                <dd>{certificate.signature_algorithm}</dd>
                <dt>"CA"</dt>
                <dd class=ca_class>{if certificate.is_ca { "yes (may sign certificates)" } else { "no" }}</dd>
                {path_length}
                {key_usage}
                {extended_key_usage}
                {no_eku}
                {name_constraints}
                <dt>"Serial"</dt>
                <dd class="mono">{certificate.serial}</dd>
                <dt>"SHA-256"</dt>
                <dd class="mono fingerprint">{certificate.sha256}</dd>
                {sha1}
            </dl>
            {download}
            {no_issuer}
        </li>
    }
}

/// Where now falls against a certificate's validity.
#[component]
fn ValidityBarView(
    /// The positions and the sentence.
    bar: ValidityBar,
) -> impl IntoView {
    let span = format!(
        "left: {:.1}%; width: {:.1}%;",
        bar.start,
        (bar.end - bar.start).max(0.5)
    );
    let now = format!("left: {:.1}%;", bar.now);
    view! {
        <span class="validity-bar" role="img" aria-label=bar.note.clone()>
            <span class="validity-span" style=span></span>
            <span class="validity-now" style=now title="now"></span>
        </span>
        <span class="validity-note">{bar.note}</span>
    }
}

/// What other clients print when they refuse this broken listener, recorded
/// by safelab's tests, so a learner can match the message they meet.
#[component]
fn OtherClients(
    /// The broken listener the exchange went to.
    listener: BrokenListener,
) -> impl IntoView {
    let refusals = listener
        .refusals
        .into_iter()
        .map(|refusal| {
            view! {
                <li class="refusal">
                    <span class="refusal-client">{refusal.client}</span>
                    ": "
                    <code>{refusal.text}</code>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="other-clients" aria-labelledby="other-clients-title">
            <h4 id="other-clients-title">"What other clients say"</h4>
            <p class="broken-problem">
                <strong>{listener.title}</strong>": "{listener.problem}
            </p>
            <ul class="refusals">{refusals}</ul>
        </section>
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
