//! The inspector's verdict on every broken listener: the check `GET /api/lab`
//! says fails is the one the inspector names, on the certificate that fails it,
//! and the listener is still shown (the inspector observes, it completes the
//! handshake); the client-certificate listener verifies and answers only when
//! the lab's client certificate is presented.

use safelab_protocol::{BrokenListener, CertificateCheck, LabInfo, TlsInfo};
use safelab_tests::{Lab, get_json};

async fn broken_listeners(lab: &Lab) -> Vec<BrokenListener> {
    let info: LabInfo =
        serde_json::from_value(get_json(&lab.app("/api/lab")).await).expect("the lab's listeners");
    info.certificates
}

/// The certificate of the chain a check concerns: the server's own (index 0)
/// for everything but a root nobody trusts, which is the top of what was sent.
fn expected_index(check: CertificateCheck, tls: &TlsInfo) -> Option<usize> {
    match check {
        CertificateCheck::UntrustedRoot => Some(tls.chain.len() - 1),
        _ => Some(0),
    }
}

#[tokio::test]
async fn the_inspector_names_the_failed_check_of_every_broken_listener_and_marks_its_certificate() {
    let lab = Lab::start().await;
    let listeners = broken_listeners(&lab).await;
    assert!(
        listeners.len() >= 9,
        "every way a chain breaks: {listeners:?}"
    );
    for listener in listeners.iter().filter(|listener| listener.check.is_some()) {
        let check = listener.check.expect("filtered");
        let (status, exchange) = lab
            .exchange(serde_json::json!({ "method": "GET", "url": format!("{}/", listener.url) }))
            .await;
        assert_eq!(status, 200, "{}: {exchange}", listener.id);
        assert_eq!(
            exchange["status"], 200,
            "{}: the page is still shown",
            listener.id
        );
        let tls: TlsInfo =
            serde_json::from_value(exchange["tls"].clone()).expect("a TLS description");
        assert!(!tls.verified, "{} must not verify", listener.id);
        let failure = tls
            .failure
            .clone()
            .unwrap_or_else(|| panic!("{}: the failed check is named: {tls:?}", listener.id));
        assert_eq!(failure.check, check, "{}: {failure:?}", listener.id);
        assert_eq!(
            failure.certificate,
            expected_index(check, &tls),
            "{}: the certificate that failed is marked ({failure:?})",
            listener.id
        );
        assert!(!failure.explanation.is_empty() && !failure.library_name.is_empty());
        assert_eq!(failure.requested_name, "localhost", "{}", listener.id);
        assert!(
            listener.refusals.len() >= 3,
            "{}: Python, curl and Chromium each have their refusal recorded",
            listener.id
        );
    }
}

#[tokio::test]
async fn the_client_certificate_listener_answers_the_inspector_only_with_the_lab_certificate() {
    let lab = Lab::start().await;
    let listener = broken_listeners(&lab)
        .await
        .into_iter()
        .find(|listener| listener.check.is_none())
        .expect("the client-certificate listener");
    let url = format!("{}/", listener.url);
    let (status, refused) = lab
        .exchange(serde_json::json!({ "method": "GET", "url": url }))
        .await;
    assert_eq!(status, 502, "{refused}");
    assert_eq!(refused["code"], "client_certificate_required", "{refused}");
    let (status, exchange) = lab
        .exchange(serde_json::json!({ "method": "GET", "url": url, "client_certificate": true }))
        .await;
    assert_eq!(status, 200, "{exchange}");
    assert_eq!(exchange["status"], 200, "{exchange}");
    assert_eq!(exchange["tls"]["verified"], true, "{exchange}");
}
