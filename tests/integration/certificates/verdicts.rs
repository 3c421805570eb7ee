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

/// What the app calls each check (`.failure-check`).
fn check_title(check: CertificateCheck) -> &'static str {
    match check {
        CertificateCheck::Expired => "Expired certificate",
        CertificateCheck::NotYetValid => "Certificate not valid yet",
        CertificateCheck::WrongHost => "Wrong host: the certificate does not name it",
        CertificateCheck::NoSubjectAltName => "No subject alternative name (common name only)",
        CertificateCheck::SelfSigned => "Self-signed certificate",
        CertificateCheck::IncompleteChain => "Incomplete chain: the intermediate was not sent",
        CertificateCheck::CaAsLeaf => "A certificate authority used as the server's certificate",
        CertificateCheck::NotForServerAuth => "Not for TLS servers (no serverAuth)",
        // The untrusted root's title names the root: checked by prefix.
        _ => "",
    }
}

/// As a new learner would, with no terminal: every broken listener picked
/// from the request builder's group and sent; the verdict names the check,
/// one certificate is highlighted (the one the API blames), and the other
/// clients' refusals are beside it. The client-certificate listener verifies
/// once the lab's certificate is presented.
#[tokio::test]
async fn in_the_app_every_broken_listener_sent_from_the_builder_is_named_and_highlighted() {
    use safelab_tests::browser::{
        AppWindow, click, script, text_of, value_of, wait_for, wait_for_text,
    };
    let lab = Lab::start().await;
    let listeners = broken_listeners(&lab).await;
    let window = AppWindow::open(&lab.app("/")).await;
    let browser = &window.browser;
    wait_for(browser, "#url").await;
    click(browser, "#broken-listeners > summary").await;

    for listener in listeners.iter().filter(|listener| listener.check.is_some()) {
        let check = listener.check.expect("filtered");
        click(browser, &format!("#broken-{}", listener.id)).await;
        assert_eq!(
            value_of(browser, "#url").await,
            format!("{}/", listener.url),
            "picking a broken listener points the builder at its page"
        );
        click(browser, "#send").await;
        let title = check_title(check);
        let shown = safelab_tests::poll(&format!("{}'s verdict", listener.id), || async {
            let shown = text_of(browser, ".failure-check").await?;
            let refusals = text_of(browser, ".refusals").await.unwrap_or_default();
            // The verdict and the refusals of this listener, not the last one's.
            let ours = listener
                .refusals
                .iter()
                .all(|refusal| refusals.contains(&refusal.text));
            let expected = if title.is_empty() {
                shown.starts_with("Untrusted root")
            } else {
                shown == title
            };
            (ours && expected).then_some(shown)
        })
        .await;
        assert!(!shown.is_empty(), "{}", listener.id);
        wait_for_text(browser, ".verdict strong", "✘ Not verified").await;
        let (_, exchange) = lab
            .exchange(serde_json::json!({ "method": "GET", "url": format!("{}/", listener.url) }))
            .await;
        let blamed = exchange["tls"]["failure"]["certificate"].clone();
        let highlighted = script(
            browser,
            "const cards = [...document.querySelectorAll('.chain > li.certificate')];\
             return [cards.findIndex((li) => li.classList.contains('failed')),\
                     cards.filter((li) => li.classList.contains('failed')).length];",
        )
        .await;
        assert_eq!(
            highlighted,
            serde_json::json!([blamed, 1]),
            "{}: one certificate, the one the verdict blames, is highlighted",
            listener.id
        );
    }

    let mutual = listeners
        .iter()
        .find(|listener| listener.check.is_none())
        .expect("the client-certificate listener");
    click(browser, &format!("#broken-{}", mutual.id)).await;
    click(browser, "#client-certificate").await;
    click(browser, "#send").await;
    wait_for_text(browser, ".verdict strong", "✔ Verified").await;
    lab.wait_until_solved("certificates", "client-certificate")
        .await;
    lab.wait_until_solved("certificates", "inspect-broken")
        .await;
}

/// The lesson's table of OpenSSL's words quotes them as Python and curl
/// really print them: each phrase (up to an ellipsis) is part of a refusal
/// the tests recorded from the real clients.
#[tokio::test]
async fn the_lessons_table_of_error_texts_quotes_the_real_clients() {
    let lab = Lab::start().await;
    let recorded: Vec<String> = broken_listeners(&lab)
        .await
        .into_iter()
        .flat_map(|listener| listener.refusals)
        .map(|refusal| refusal.text)
        .collect();
    let lesson =
        std::fs::read_to_string(safelab_tests::repo_root().join("lessons/certificates.md"))
            .expect("the lesson");
    let table = lesson
        .split_once("| OpenSSL says |")
        .expect("the lesson's table of error texts")
        .1;
    let phrases: Vec<&str> = table
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .flat_map(|row| row.split('|').nth(1).unwrap_or_default().split(" / "))
        .filter_map(|cell| cell.trim().strip_prefix('`')?.split('`').next())
        .map(|phrase| {
            phrase
                .split('…')
                .next()
                .unwrap_or(phrase)
                .trim_end_matches('\'')
        })
        .collect();
    assert!(phrases.len() >= 6, "{phrases:?}");
    for phrase in phrases {
        assert!(
            recorded.iter().any(|text| text.contains(phrase)),
            "the lesson quotes {phrase:?}, which no recorded refusal says"
        );
    }
}
