//! Cross-origin reads: the insecure portal hands the record to any origin
//! that asks with the visitor's cookie, the secure one to its own origins
//! only; the stranger's page in a real Chromium reads the one and is blocked
//! by the other; each challenge is solved exactly when the lab sees it done.

use reqwest::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY,
};
use safelab_tests::browser::{Driver, text_of};
use safelab_tests::{Lab, poll, repo_root};

const LESSON: &str = "api";

/// A visitor of `twin`'s portal: the cookie its page set (`portal=…`).
async fn signed_in(lab: &Lab, twin: &str) -> Visitor {
    let page = reqwest::get(lab.http(&format!("/lab/{twin}/cors/")))
        .await
        .expect("the portal answers");
    assert_eq!(page.status(), 200);
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("the portal signs the visitor in")
        .to_owned();
    assert!(cookie.starts_with("portal="), "{cookie}");
    Visitor {
        cookie: cookie.split(';').next().unwrap_or_default().to_owned(),
    }
}

/// Someone with (or without) the portal's cookie.
struct Visitor {
    cookie: String,
}

impl Visitor {
    fn anonymous() -> Self {
        Self {
            cookie: String::new(),
        }
    }

    fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        let request = reqwest::Client::new().request(method, url);
        if self.cookie.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, &self.cookie)
        }
    }
}

async fn me(visitor: &Visitor, lab: &Lab, twin: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = visitor.request(
        reqwest::Method::GET,
        lab.http(&format!("/lab/{twin}/cors/me")),
    );
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    request.send().await.expect("the portal answers")
}

/// The secure `me` over HTTPS, with the visitor's cookie and `origin`.
async fn me_over_https(visitor: &Visitor, lab: &Lab, origin: &str) -> reqwest::Response {
    lab.trusting_client()
        .get(lab.https("/lab/secure/cors/me"))
        .header(reqwest::header::COOKIE, &visitor.cookie)
        .header(ORIGIN, origin)
        .send()
        .await
        .expect("the HTTPS portal answers")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<&str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn the_insecure_portal_hands_the_record_to_any_origin_with_credentials() {
    let lab = Lab::start().await;
    let attacker = lab.attacker("");
    let stranger = signed_in(&lab, "insecure").await;

    let anonymous = me(&Visitor::anonymous(), &lab, "insecure", Some(&attacker)).await;
    assert_eq!(anonymous.status(), 401, "no cookie, no record");
    assert!(lab.solved(LESSON).await.is_empty());

    let same_origin = me(&stranger, &lab, "insecure", None).await;
    assert_eq!(same_origin.status(), 200);
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "no other origin asked yet"
    );

    for origin in [attacker.as_str(), "https://evil.example", "null"] {
        let read = me(&stranger, &lab, "insecure", Some(origin)).await;
        assert_eq!(read.status(), 200, "{origin}");
        assert_eq!(header(&read, ACCESS_CONTROL_ALLOW_ORIGIN), Some(origin));
        assert_eq!(
            header(&read, ACCESS_CONTROL_ALLOW_CREDENTIALS),
            Some("true")
        );
        let record: serde_json::Value = read.json().await.expect("JSON");
        assert_eq!(record["diagnosis"], "type 2 diabetes");
    }
    assert_eq!(lab.solved(LESSON).await, ["cors-reflect"]);

    let preflight = stranger
        .request(reqwest::Method::OPTIONS, lab.http("/lab/insecure/cors/me"))
        .header(ORIGIN, &attacker)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-steal")
        .send()
        .await
        .expect("a preflight answer");
    assert_eq!(
        header(&preflight, ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(attacker.as_str())
    );
    assert_eq!(
        header(&preflight, reqwest::header::ACCESS_CONTROL_ALLOW_HEADERS),
        Some("x-steal")
    );
}

#[tokio::test]
async fn the_secure_portal_answers_its_own_origins_only() {
    let lab = Lab::start().await;
    let visitor = signed_in(&lab, "secure").await;
    let own = lab.http("");
    let https_own = lab.https("");
    let attacker = lab.attacker("");
    let attacker_port = lab.running.url_of(safelab_protocol::ListenerId::Attacker);
    let attacker_port = attacker_port.rsplit(':').next().unwrap_or_default();

    let read = me(&visitor, &lab, "secure", Some(&own)).await;
    assert_eq!(read.status(), 200, "{own}");
    assert_eq!(
        header(&read, ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(own.as_str())
    );
    assert_eq!(header(&read, VARY), Some("Origin"));
    let over_https = me_over_https(&visitor, &lab, &https_own).await;
    assert_eq!(over_https.status(), 200, "{https_own}");
    assert_eq!(
        header(&over_https, ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(https_own.as_str())
    );
    assert!(lab.solved(LESSON).await.is_empty());

    // The HTTPS listener never trusts a plain-HTTP origin, not even the
    // lab's own HTTP one, nor a look-alike of its own.
    for origin in [
        own.clone(),
        https_own.replace("https://", "http://"),
        format!("{https_own}/"),
        https_own.replace("https://", "HTTPS://"),
        format!("http://localhost:{attacker_port}"),
    ] {
        let refused = me_over_https(&visitor, &lab, &origin).await;
        assert_eq!(refused.status(), 403, "over HTTPS, {origin}");
        assert_eq!(header(&refused, ACCESS_CONTROL_ALLOW_ORIGIN), None);
    }

    let look_alikes = [
        attacker.clone(),
        "https://evil.example".to_owned(),
        "null".to_owned(),
        format!("{own}.evil.example"),
        own.replace("http://", "http://evil."),
        own.replace("http://", "https://"),
        format!("{own}0"),
        format!("{own}/"),
        own.replace("http://", "HTTP://"),
        format!("http://localhost:{attacker_port}"),
        format!("http://127.0.0.1:{attacker_port}"),
        https_own.clone(),
    ];
    for origin in &look_alikes {
        let refused = me(&visitor, &lab, "secure", Some(origin)).await;
        assert_eq!(refused.status(), 403, "{origin}");
        assert_eq!(
            header(&refused, ACCESS_CONTROL_ALLOW_ORIGIN),
            None,
            "{origin}"
        );
        let body = refused.text().await.expect("a body");
        assert!(!body.contains("diabetes"), "{origin}: {body}");
    }
    assert_eq!(lab.solved(LESSON).await, ["cors-allowlist"]);

    let preflight = visitor
        .request(reqwest::Method::OPTIONS, lab.http("/lab/secure/cors/me"))
        .header(ORIGIN, &attacker)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("a preflight answer");
    assert_eq!(header(&preflight, ACCESS_CONTROL_ALLOW_ORIGIN), None);

    let cookie_of = |twin: &'static str| {
        let lab = &lab;
        async move {
            reqwest::get(lab.http(&format!("/lab/{twin}/cors/")))
                .await
                .expect("the portal answers")
                .headers()
                .get("set-cookie")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        }
    };
    let secure = cookie_of("secure").await;
    assert!(
        secure.contains("HttpOnly") && secure.contains("SameSite=Strict"),
        "{secure}"
    );
    let insecure = cookie_of("insecure").await;
    assert!(
        !insecure.contains("HttpOnly") && !insecure.contains("SameSite"),
        "{insecure}"
    );
}

#[tokio::test]
async fn the_strangers_site_serves_its_pages_and_nothing_of_the_lab() {
    let lab = Lab::start().await;
    let page = reqwest::get(lab.attacker("/cors")).await.expect("the page");
    assert_eq!(page.status(), 200);
    let csp = header(&page, reqwest::header::CONTENT_SECURITY_POLICY)
        .expect("a CSP")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    for path in [
        "/lab",
        "/lab/insecure/cors/me",
        "/api/lab",
        "/api/progress/reset",
    ] {
        let answer = reqwest::get(lab.attacker(path)).await.expect("an answer");
        assert_eq!(answer.status(), 404, "{path}");
    }
    for path in ["/cors", "/cors.js"] {
        let answer = reqwest::get(lab.http(path)).await.expect("an answer");
        assert_eq!(
            answer.status(),
            404,
            "the lab listener does not serve {path}"
        );
    }
}

/// The whole demo in a real browser: sign in to both portals, open the
/// stranger's page, see the insecure record read and the secure one blocked.
#[tokio::test]
async fn in_chromium_the_strangers_page_reads_the_insecure_portal_and_is_blocked_by_the_secure_one()
{
    assert!(
        repo_root().join("dist/index.html").exists(),
        "the app is not built: run `bash .ci/test` (it runs trunk build)"
    );
    let lab = Lab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = driver.browser(profile.path(), (1280, 800)).await;
    let settled = |css: &'static str| {
        let browser = &browser;
        poll(css, move || async move {
            text_of(browser, css)
                .await
                .filter(|text| !text.starts_with("asking"))
        })
    };

    // Before the portal: nothing to steal, and the page says so.
    browser
        .goto(&lab.attacker("/cors"))
        .await
        .expect("the stranger's page opens");
    let early = settled("#insecure-result").await;
    assert!(early.starts_with("Not signed in (401)"), "{early}");
    assert!(!early.contains("diabetes"));
    assert!(lab.solved(LESSON).await.is_empty());

    // Sign in to both portals, then follow the portal's own link to the
    // stranger's page, under whichever host name the portal was opened:
    // the address, and `localhost` where safelab answers for it.
    let mut hosts = vec![lab.running.http_address.ip().to_string()];
    if lab.https("").contains("://localhost:") {
        hosts.push("localhost".to_owned());
    }
    for host in hosts {
        let portal = |twin: &str| {
            lab.http(&format!("/lab/{twin}/cors/"))
                .replace(&lab.running.http_address.ip().to_string(), &host)
        };
        browser
            .goto(&portal("secure"))
            .await
            .expect("the portal opens");
        browser
            .goto(&portal("insecure"))
            .await
            .expect("the portal opens");
        let link = browser
            .find(fantoccini::Locator::Css("a#stranger"))
            .await
            .expect("the portal links the stranger's page")
            .attr("href")
            .await
            .expect("an href")
            .expect("a link");
        assert!(
            link.starts_with(&format!("http://{host}:")) && link.ends_with("/cors"),
            "{host}: {link}"
        );
        browser
            .goto(&link)
            .await
            .expect("the stranger's page opens");
        let insecure = settled("#insecure-result").await;
        assert!(
            insecure.starts_with("Read it (200)") && insecure.contains("type 2 diabetes"),
            "{host}: {insecure}"
        );
        let secure = settled("#secure-result").await;
        assert!(secure.starts_with("Blocked"), "{host}: {secure}");
        assert!(!secure.contains("diabetes"));
    }
    assert_eq!(lab.solved(LESSON).await, ["cors-reflect", "cors-allowlist"]);
    browser.close().await.expect("the browser closes");
}

/// The hint's way, from the request builder alone: the portal page's
/// `Set-Cookie` read off one exchange, sent back with a foreign `Origin` in
/// the next, solves both challenges.
#[tokio::test]
async fn both_challenges_are_solved_from_the_request_builder() {
    let lab = Lab::start().await;
    let attacker = lab.attacker("");
    for (twin, status) in [("insecure", 200), ("secure", 403)] {
        let (answered, page) = lab
            .exchange(serde_json::json!({
                "method": "GET",
                "url": lab.http(&format!("/lab/{twin}/cors/")),
            }))
            .await;
        assert_eq!(answered, 200, "{page}");
        let cookie = page["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|header| {
                header[0]
                    .as_str()
                    .is_some_and(|name| name.eq_ignore_ascii_case("set-cookie"))
            })
            .and_then(|header| header[1].as_str())
            .and_then(|value| value.split(';').next())
            .expect("the portal sets its cookie")
            .to_owned();
        let (answered, me) = lab
            .exchange(serde_json::json!({
                "method": "GET",
                "url": lab.http(&format!("/lab/{twin}/cors/me")),
                "headers": [["Cookie", cookie], ["Origin", attacker]],
            }))
            .await;
        assert_eq!(answered, 200, "{me}");
        assert_eq!(me["status"], status, "{twin}: {me}");
    }
    assert_eq!(lab.solved(LESSON).await, ["cors-reflect", "cors-allowlist"]);
}
