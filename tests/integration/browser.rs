//! The app in a real headless Chromium, as a learner and an instructor use it:
//! the newcomer's path from "Try it" to a verified HTTPS answer, an answer that
//! is marked once the request changes, the builder that stays in view, a phone
//! that jumps between lesson and builder, mistakes marked in the builder, and
//! the projection setting.

use fantoccini::Client;
use safelab_tests::browser::{
    Driver, click, in_view, screenshot, script, text_of, value_of, wait_for, wait_for_text,
};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, poll, repo_root};

/// A lab, a driver and a browser of the given size with the app open on lesson 1.
struct Session {
    lab: Lab,
    browser: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Session {
    async fn open(size: (u32, u32)) -> Self {
        assert!(
            repo_root().join("dist/index.html").exists(),
            "the app is not built: run `bash .ci/test` (it runs trunk build)"
        );
        let lab = Lab::start().await;
        let driver = Driver::start().await;
        let profile = tempfile::tempdir().expect("profile folder");
        let browser = driver.browser(profile.path(), size).await;
        browser.goto(&lab.app("/")).await.expect("the app opens");
        wait_for(&browser, "#try-1").await;
        Self {
            lab,
            browser,
            _driver: driver,
            _profile: profile,
        }
    }

    async fn active_id(&self) -> String {
        script(
            &self.browser,
            "return document.activeElement && document.activeElement.id;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }
}

#[tokio::test]
async fn try_it_then_https_shows_the_whole_path_and_a_changed_request_marks_the_answer() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    assert_eq!(
        text_of(browser, "#lesson-title").await.unwrap_or_default(),
        "How the web works"
    );
    // The app has taken over from the page's shell: one lesson, the app's.
    let taken_over = script(
        browser,
        "return [!!document.getElementById('shell'), document.getElementById('app').hidden, document.querySelectorAll('#lesson-title').length];",
    )
    .await;
    assert_eq!(taken_over, serde_json::json!([false, false, 1]));
    click(browser, "#try-1").await;
    assert_eq!(value_of(browser, "#url").await, lab.http("/lab/hello"));
    click(browser, "#listener-https").await;
    assert_eq!(value_of(browser, "#url").await, lab.https("/lab/hello"));
    click(browser, "#send").await;

    wait_for_text(browser, ".status-code", "200").await;
    assert_eq!(
        text_of(browser, ".status-class").await.unwrap_or_default(),
        "2xx Success"
    );
    let verdict = text_of(browser, ".verdict").await.unwrap_or_default();
    assert!(verdict.contains("Verified"), "{verdict}");
    // The whole path: leaf and intermediate from the server, the root from the
    // trust store, marked as such.
    let sources = script(
        browser,
        "return [...document.querySelectorAll('.chain > li.certificate')].map((li) => li.dataset.source);",
    )
    .await;
    assert_eq!(
        sources,
        serde_json::json!(["server", "server", "trust_store"])
    );
    let root = text_of(browser, ".chain > li.certificate:last-child")
        .await
        .unwrap_or_default();
    assert!(
        root.contains("Root") && root.contains("From the trust store"),
        "{root}"
    );
    // Each certificate's usages, as inspection tools show them, and its PEM to download.
    let leaf = text_of(browser, ".chain > li.certificate:first-child")
        .await
        .unwrap_or_default();
    assert!(
        leaf.contains("Key usage") && leaf.contains("Digital Signature"),
        "{leaf}"
    );
    assert!(
        leaf.contains("Extended key usage") && leaf.contains("(serverAuth)"),
        "{leaf}"
    );
    assert!(
        root.contains("Key Cert Sign") && root.contains("permitted DNS:localhost"),
        "{root}"
    );
    let downloads = script(
        browser,
        "return [...document.querySelectorAll('.chain > li.certificate a.download-pem')].map((a) => [a.download, a.href.startsWith('data:application/x-pem-file;charset=utf-8,'), decodeURIComponent(a.href.slice(a.href.indexOf(',') + 1))]);",
    )
    .await;
    let downloads = downloads.as_array().expect("download links");
    assert_eq!(downloads.len(), 3, "{downloads:?}");
    for download in downloads {
        assert!(
            download[0].as_str().unwrap_or_default().ends_with(".pem"),
            "{download}"
        );
        assert_eq!(download[1], true, "{download}");
        let pem = download[2].as_str().unwrap_or_default();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(
            pem.trim_end().ends_with("-----END CERTIFICATE-----"),
            "{pem}"
        );
    }
    assert_eq!(session.active_id().await, "send", "focus stays on Send");
    poll("the answer's status to be in view", || async {
        in_view(browser, "#answer-status").await.then_some(())
    })
    .await;
    assert!(
        in_view(browser, "#send").await,
        "the builder stays in view beside its answer"
    );
    screenshot(browser, "desktop-https-answer").await;

    // A different request in the builder: the answer on screen is marked as
    // belonging to the request that was sent.
    assert!(text_of(browser, ".stale-note").await.is_none());
    click(browser, "#try-2").await;
    wait_for(browser, ".answer.stale").await;
    let answered = text_of(browser, ".answered-request")
        .await
        .unwrap_or_default();
    assert_eq!(answered, format!("GET {}", lab.https("/lab/hello")));
    let note = text_of(browser, ".stale-note").await.unwrap_or_default();
    assert!(note.contains("Press Send"), "{note}");
    screenshot(browser, "desktop-stale-answer").await;
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "404").await;
    assert!(text_of(browser, ".stale-note").await.is_none());
}

#[tokio::test]
async fn the_builder_stays_in_view_when_the_lesson_is_read_to_its_end() {
    let session = Session::open((1280, 800)).await;
    let browser = &session.browser;
    assert!(in_view(browser, "#send").await);
    // Read to the end, as a mouse wheel would: the last paragraph of the lesson.
    script(
        browser,
        "document.querySelector('.lesson > :last-child').scrollIntoView({block: 'end'}); return null;",
    )
    .await;
    poll("the lesson's end to be in view", || async {
        in_view(browser, ".lesson > :last-child")
            .await
            .then_some(())
    })
    .await;
    let scrolled = script(
        browser,
        "return document.querySelector('.lesson-pane').scrollTop + window.scrollY;",
    )
    .await;
    assert!(
        scrolled.as_f64().unwrap_or_default() > 1000.0,
        "the lesson really scrolled: {scrolled}"
    );
    assert!(in_view(browser, "#send").await, "Send is still on screen");
    assert!(in_view(browser, "#url").await, "the URL is still on screen");
    screenshot(browser, "desktop-lesson-end").await;
}

#[tokio::test]
async fn on_a_phone_try_it_jumps_to_the_builder_and_back() {
    let session = Session::open((390, 844)).await;
    let browser = &session.browser;
    script(
        browser,
        "document.getElementById('try-3').scrollIntoView({block: 'center'}); return null;",
    )
    .await;
    click(browser, "#try-3").await;
    poll("the builder to come into view", || async {
        in_view(browser, "#builder-title").await.then_some(())
    })
    .await;
    assert!(!in_view(browser, "#try-3").await);
    screenshot(browser, "phone-builder").await;
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "403").await;
    poll("the answer to come into view", || async {
        in_view(browser, ".status").await.then_some(())
    })
    .await;

    click(browser, "#back-to-lesson").await;
    poll("the pressed Try it to come back into view", || async {
        in_view(browser, "#try-3").await.then_some(())
    })
    .await;
    assert_eq!(session.active_id().await, "try-3");
    screenshot(browser, "phone-back-in-lesson").await;
}

#[tokio::test]
async fn mistakes_are_marked_on_their_fields_and_redirects_can_be_followed() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    // A URL without a scheme, and a header row with a value but no name.
    let url = wait_for(browser, "#url").await;
    url.clear().await.expect("clear");
    url.send_keys("localhost/lab/hello").await.expect("type");
    click(browser, ".add-header").await;
    wait_for(browser, ".header-value")
        .await
        .send_keys("application/json")
        .await
        .expect("type");
    click(browser, "#send").await;
    wait_for(browser, "#url[aria-invalid='true']").await;
    let described = script(
        browser,
        "return document.getElementById('url').getAttribute('aria-describedby');",
    )
    .await;
    assert_eq!(described, "url-problem");
    let message = text_of(browser, "#url-problem").await.unwrap_or_default();
    assert!(message.contains("http://"), "{message}");
    let header_problem = text_of(browser, ".header-row .field-problem")
        .await
        .unwrap_or_default();
    assert!(header_problem.contains("no name"), "{header_problem}");
    assert_eq!(
        session.active_id().await,
        "url",
        "focus goes to the first mistake"
    );
    assert!(
        text_of(browser, ".status-code").await.is_none(),
        "nothing was sent"
    );
    screenshot(browser, "desktop-mistakes").await;

    // A redirect: the builder shows it and follows it on request.
    click(browser, ".remove-header").await;
    url.clear().await.expect("clear");
    url.send_keys(&lab.http("/lab/status/302"))
        .await
        .expect("type");
    wait_for(browser, "#url[aria-invalid='false']").await;
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "302").await;
    click(browser, ".follow").await;
    assert_eq!(value_of(browser, "#url").await, lab.http("/lab/redirected"));
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "200").await;
    let body = text_of(browser, ".response-body").await.unwrap_or_default();
    assert!(body.contains("\"arrived_with\": \"GET\""), "{body}");
}

#[tokio::test]
async fn projection_is_one_click_away_and_remembered() {
    let session = Session::open((1024, 768)).await;
    let browser = &session.browser;
    let font_size = || async {
        script(
            browser,
            "return parseFloat(getComputedStyle(document.documentElement).fontSize);",
        )
        .await
        .as_f64()
        .unwrap_or_default()
    };
    let normal = font_size().await;
    click(browser, "#projection").await;
    assert_eq!(
        script(
            browser,
            "return document.documentElement.getAttribute('data-projection');"
        )
        .await,
        "on"
    );
    let projected = font_size().await;
    assert!(projected >= normal * 1.2, "{normal} → {projected}");
    browser.refresh().await.expect("reload");
    wait_for(browser, "#try-1").await;
    assert_eq!(font_size().await, projected, "remembered after a reload");
    let pressed = script(
        browser,
        "return document.getElementById('projection').getAttribute('aria-pressed');",
    )
    .await;
    assert_eq!(pressed, "true");
    screenshot(browser, "projector").await;
}

/// Types `text` into the text field matching `css` as the app sees typing.
async fn type_into(browser: &Client, css: &str, text: &str) {
    wait_for(browser, css).await;
    let set = format!(
        "const field = document.querySelector({css:?}); field.value = {text}; \
         field.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        text = serde_json::to_string(text).expect("JSON")
    );
    script(browser, &set).await;
}

/// The newcomer's path through lesson `files`: a traversal typed in Raw mode
/// is solved and marked at once, a solve from Python appears in the open page
/// without a reload, the secure twin refuses the same bytes, and a link to a
/// challenge survives a reload and the back button.
#[tokio::test]
async fn raw_mode_and_python_solve_the_traversal_and_the_page_shows_it_live() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    click(browser, "a.lesson-link[href='/lessons/files']").await;
    wait_for_text(
        browser,
        "#lesson-title",
        "Serving files, and leaving the web root",
    )
    .await;
    assert_eq!(
        text_of(browser, "#challenge-read-passwd .solved-mark")
            .await
            .unwrap_or_default(),
        "Not solved yet"
    );

    click(browser, "#mode-raw").await;
    let traversal =
        "GET /lab/insecure/files/../../../etc/passwd HTTP/1.1\nHost: x\nConnection: close\n\n";
    type_into(browser, "#raw-request", traversal).await;
    click(browser, "#raw-send").await;
    wait_for_text(browser, ".status-code", "200").await;
    let body = text_of(browser, ".response-body").await.unwrap_or_default();
    assert!(body.contains("root:x:0:0"), "{body}");
    click(browser, "#show-line-endings").await;
    let as_sent = text_of(browser, ".raw-request").await.unwrap_or_default();
    assert!(as_sent.contains("HTTP/1.1\\r\\n"), "{as_sent}");
    wait_for_text(browser, "#challenge-read-passwd .solved-mark", "✓ Solved").await;
    let banner = text_of(browser, "#solved-banner").await.unwrap_or_default();
    assert!(banner.contains("Read the server's /etc/passwd"), "{banner}");
    screenshot(browser, "files-raw-solved").await;

    // The same bytes to the secure twin are refused.
    type_into(
        browser,
        "#raw-request",
        &traversal.replace("insecure", "secure"),
    )
    .await;
    click(browser, "#raw-send").await;
    wait_for_text(browser, ".status-code", "404").await;
    wait_for_text(
        browser,
        "#challenge-secure-refuses .solved-mark",
        "✓ Solved",
    )
    .await;

    // The lesson's own Python script, downloaded as a learner would, solves
    // the rest from outside the browser: the page shows it without a reload.
    let learner = Learner::new(lab).await;
    let downloaded = reqwest::get(lab.app("/api/lessons/files/python/traversal.py"))
        .await
        .expect("downloads")
        .text()
        .await
        .expect("text");
    let output = learner.run_script("traversal.py", &downloaded).await;
    assert!(output.status.success(), "{}", printed(&output));
    for challenge in ["leak-path", "encoded-traversal", "overwrite-page"] {
        wait_for_text(
            browser,
            &format!("#challenge-{challenge} .solved-mark"),
            "✓ Solved",
        )
        .await;
    }
    let count = text_of(
        browser,
        "a.lesson-link[href='/lessons/files'] .lesson-count",
    )
    .await
    .unwrap_or_default();
    assert_eq!(count, "5/5");

    // A deep link to a challenge, reloaded, opens there; back returns.
    browser
        .goto(&lab.app("/lessons/files/overwrite-page"))
        .await
        .expect("the link opens");
    wait_for_text(
        browser,
        "#lesson-title",
        "Serving files, and leaving the web root",
    )
    .await;
    poll("the challenge to be in view and focused", || async {
        let active = script(
            browser,
            "return document.activeElement && document.activeElement.id;",
        )
        .await;
        (active == "challenge-overwrite-page"
            && in_view(browser, "#challenge-overwrite-page h3").await)
            .then_some(())
    })
    .await;
    browser.refresh().await.expect("reloads");
    wait_for_text(
        browser,
        "#challenge-encoded-traversal .solved-mark",
        "✓ Solved",
    )
    .await;
    click(browser, "a.lesson-link[href='/lessons/basics']").await;
    wait_for_text(browser, "#lesson-title", "How the web works").await;
    browser.back().await.expect("goes back");
    wait_for_text(
        browser,
        "#lesson-title",
        "Serving files, and leaving the web root",
    )
    .await;
    assert!(
        browser
            .current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("/lessons/files/overwrite-page")
    );

    // Resetting the lesson from the app forgets its solves, live.
    click(browser, "#reset-lesson").await;
    click(browser, "#confirm-reset").await;
    wait_for_text(
        browser,
        "#challenge-read-passwd .solved-mark",
        "Not solved yet",
    )
    .await;
    assert!(lab.solved("files").await.is_empty());
}

/// One press sends the same request to both twins and shows the answers side
/// by side with what differs marked; every exchange lands in the history,
/// which survives a reload and reopens an answer.
#[tokio::test]
async fn both_twins_side_by_side_and_a_history_that_survives_a_reload() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    type_into(browser, "#url", &lab.http("/lab/insecure/files/..%2f.env")).await;
    click(browser, "#send-both").await;
    wait_for(browser, "#twins").await;
    let summary = text_of(browser, "#twins-summary").await.unwrap_or_default();
    assert!(summary.contains("status 200 against 404"), "{summary}");
    let insecure = text_of(browser, ".twin.insecure .twin-body")
        .await
        .unwrap_or_default();
    assert!(insecure.contains("DATABASE_URL"), "{insecure}");
    let secure = text_of(browser, ".twin.secure .twin-body")
        .await
        .unwrap_or_default();
    assert!(secure.contains("no such file"), "{secure}");
    let grade = |side: &'static str| async move {
        text_of(browser, &format!(".twin.{side} .twin-grade"))
            .await
            .unwrap_or_default()
    };
    assert_eq!(grade("secure").await, "Security headers: 4 of 5");
    let insecure_grade = grade("insecure").await;
    assert!(
        ["0", "1", "2", "3"]
            .iter()
            .any(|passed| insecure_grade == format!("Security headers: {passed} of 5")),
        "{insecure_grade}"
    );
    assert!(
        script(
            browser,
            "return document.querySelectorAll('.twin .differs').length;"
        )
        .await
        .as_u64()
            > Some(2)
    );
    screenshot(browser, "twins").await;

    click(browser, "#listener-https").await;
    click(browser, "#send").await;
    // The status already read 200 (the insecure twin's): wait for the HTTPS
    // exchange itself to reach the history before reloading.
    poll("the HTTPS exchange in the history", || async {
        let https = script(
            browser,
            "return [...document.querySelectorAll('.history-label')].some(e => e.textContent.includes('GET https://'));",
        )
        .await;
        (https == serde_json::Value::Bool(true)).then_some(())
    })
    .await;
    wait_for_text(browser, ".status-code", "200").await;
    browser.refresh().await.expect("reloads");
    wait_for(browser, "#history").await;
    let entries = script(
        browser,
        "return [...document.querySelectorAll('.history-label')].map(e => e.textContent);",
    )
    .await;
    let entries: Vec<String> = serde_json::from_value(entries).expect("labels");
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(entries[0].starts_with("200 · GET https://"), "{entries:?}");
    assert!(
        entries[1].starts_with("404 · GET http://") && entries[1].contains("/lab/secure/"),
        "{entries:?}"
    );
    click(browser, "#history summary").await;
    click(browser, "#history-reopen-2").await;
    wait_for_text(browser, ".status-code", "200").await;
    assert_eq!(
        value_of(browser, "#url").await,
        lab.http("/lab/insecure/files/..%2f.env")
    );
    let body = text_of(browser, ".response-body").await.unwrap_or_default();
    assert!(body.contains("DATABASE_URL"), "{body}");
}

/// The response view's security check, as a learner reads it: a Basic
/// password decoded and flagged over plain HTTP, a reflected Origin with
/// credentials, no security headers on the insecure twin; every header and
/// the cookie's flags on the secure twin over HTTPS.
#[tokio::test]
async fn the_security_check_decodes_credentials_and_grades_headers_and_cookies() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    let attacker = lab.attacker("");
    type_into(browser, "#url", &lab.http("/lab/insecure/cors/me")).await;
    for (index, (name, value)) in [
        ("Authorization", "Basic YWxpY2U6czNjcmV0"),
        ("Origin", attacker.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        click(browser, ".add-header").await;
        let row = index + 1;
        type_into(
            browser,
            &format!(".header-row:nth-of-type({row}) .header-name"),
            name,
        )
        .await;
        type_into(
            browser,
            &format!(".header-row:nth-of-type({row}) .header-value"),
            value,
        )
        .await;
    }
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "401").await;
    let credentials = text_of(browser, "#insight-credentials")
        .await
        .unwrap_or_default();
    assert!(
        credentials.contains("alice:s3cret") && credentials.contains("✗ risk"),
        "{credentials}"
    );
    let cors = text_of(browser, "#insight-cors").await.unwrap_or_default();
    assert!(cors.contains("(your Origin) with credentials"), "{cors}");
    wait_for_text(browser, "#insight-grade", "Security headers: 0 of 5").await;
    screenshot(browser, "security-check-insecure").await;

    for row in (1..=2).rev() {
        click(
            browser,
            &format!(".header-row:nth-of-type({row}) .remove-header"),
        )
        .await;
    }
    type_into(browser, "#url", &lab.https("/lab/secure/cors/")).await;
    click(browser, "#send").await;
    wait_for_text(browser, ".status-code", "200").await;
    wait_for_text(browser, "#insight-grade", "Security headers: 5 of 5").await;
    let cookies = text_of(browser, "#insight-cookies")
        .await
        .unwrap_or_default();
    assert!(cookies.contains("Set-Cookie: portal"), "{cookies}");
    assert!(cookies.contains("✓ good HttpOnly"), "{cookies}");
    assert!(cookies.contains("✓ good SameSite=Strict"), "{cookies}");
    assert!(cookies.contains("✗ risk Secure: missing"), "{cookies}");
    assert!(text_of(browser, "#insight-credentials").await.is_none());
}

/// Lessons 4, 5 and 7 as a newcomer meets them: an attack sent from the
/// request builder on each lesson's page is marked solved there at once.
#[tokio::test]
async fn an_attack_from_the_builder_is_marked_solved_in_lessons_4_5_and_7() {
    let session = Session::open((1280, 800)).await;
    let (browser, lab) = (&session.browser, &session.lab);
    let attacks = [
        (
            "injection",
            "/lab/insecure/patients?name=O'Brien",
            None,
            "500",
            "leak-error",
        ),
        (
            "authentication",
            "/lab/insecure/auth/basic",
            Some(("Authorization", "Basic YW1hcmE6S2lsaW1hbmphcm8tMjAxOQ==")),
            "200",
            "sniff-basic",
        ),
        (
            "api",
            "/lab/insecure/records/1",
            None,
            "200",
            "over-sharing",
        ),
    ];
    for (lesson, path, header, status, challenge) in attacks {
        click(browser, &format!("a.lesson-link[href='/lessons/{lesson}']")).await;
        let mark = format!("#challenge-{challenge} .solved-mark");
        wait_for_text(browser, &mark, "Not solved yet").await;
        type_into(browser, "#url", &lab.http(path)).await;
        if let Some((name, value)) = header {
            click(browser, ".add-header").await;
            type_into(browser, ".header-row .header-name", name).await;
            type_into(browser, ".header-row .header-value", value).await;
        }
        click(browser, "#send").await;
        wait_for_text(browser, ".status-code", status).await;
        wait_for_text(browser, &mark, "✓ Solved").await;
        if header.is_some() {
            let credentials = text_of(browser, "#insight-credentials")
                .await
                .unwrap_or_default();
            assert!(
                credentials.contains("amara:Kilimanjaro-2019"),
                "{credentials}"
            );
            click(browser, ".remove-header").await;
        }
        screenshot(browser, &format!("{lesson}-solved-from-the-builder")).await;
    }
}
