//! Lesson `files`, "Serving files": the insecure file server's traversals work
//! over every way a request can arrive (plain HTTP, HTTPS, raw bytes, the
//! builder) and the secure twin refuses each; a marker file on the real disk
//! is never served by either twin, whatever the payload; uploads are lab
//! state that a reset restores.

use safelab_tests::{Lab, raw_exchange};
use serde_json::json;

/// A GET of `path` as raw bytes to the HTTP lab listener; the whole answer.
async fn raw_get(lab: &Lab, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    raw_exchange(lab.running.http_address, request.as_bytes()).await
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default()
}

const PASSWD: &str = "root:x:0:0";

#[tokio::test]
async fn a_literal_traversal_works_on_the_insecure_twin_only_whoever_sends_it() {
    let lab = Lab::start().await;
    for twin in ["insecure", "secure"] {
        let path = format!("/lab/{twin}/files/../../../etc/passwd");
        let raw = raw_get(&lab, &path).await;
        let (_, over_http) = lab
            .exchange(json!({"method": "GET", "url": lab.http(&path)}))
            .await;
        let (_, over_https) = lab
            .exchange(json!({"method": "GET", "url": lab.https(&path)}))
            .await;
        let bodies = [
            raw.clone(),
            over_http["body"].as_str().unwrap_or_default().to_owned(),
            over_https["body"].as_str().unwrap_or_default().to_owned(),
        ];
        for body in bodies {
            assert_eq!(body.contains(PASSWD), twin == "insecure", "{twin}: {body}");
        }
        assert_eq!(status_of(&raw), if twin == "insecure" { 200 } else { 404 });
    }
    assert_eq!(
        lab.solved("files").await,
        ["read-passwd", "secure-refuses"],
        "a literal .. solves reading passwd, not the encoded challenge"
    );
}

#[tokio::test]
async fn an_encoded_traversal_gets_through_http_clients_that_normalise() {
    let lab = Lab::start().await;
    let client = lab.trusting_client();
    for base in [lab.http(""), lab.https("")] {
        let insecure = client
            .get(format!("{base}/lab/insecure/files/..%2f.env"))
            .send()
            .await
            .expect("answers");
        assert_eq!(insecure.status(), 200);
        assert!(
            insecure
                .text()
                .await
                .expect("text")
                .contains("DATABASE_URL")
        );
        let secure = client
            .get(format!("{base}/lab/secure/files/..%2f.env"))
            .send()
            .await
            .expect("answers");
        assert_eq!(secure.status(), 404);
        let refusal: serde_json::Value = secure.json().await.expect("JSON");
        assert_eq!(refusal, json!({"error": "no such file"}));
    }
    assert_eq!(
        lab.solved("files").await,
        ["encoded-traversal", "secure-refuses"]
    );
}

#[tokio::test]
async fn missing_files_leak_the_folder_on_the_insecure_twin_only() {
    let lab = Lab::start().await;
    let insecure = raw_get(&lab, "/lab/insecure/files/nothing.pdf").await;
    assert_eq!(status_of(&insecure), 404);
    assert!(
        insecure.contains("'/srv/clinic/www/nothing.pdf'"),
        "{insecure}"
    );
    let listing = raw_get(&lab, "/lab/insecure/files/reports/").await;
    assert!(listing.contains("Index of /srv/clinic/www/reports"));
    for path in ["nothing.pdf", "reports/", "reports", "uploads/"] {
        let secure = raw_get(&lab, &format!("/lab/secure/files/{path}")).await;
        assert_eq!(status_of(&secure), 404, "{path}");
        assert!(secure.ends_with("{\"error\":\"no such file\"}"), "{secure}");
        assert!(!secure.contains("/srv/"), "{secure}");
    }
    for twin in ["insecure", "secure"] {
        let served = raw_get(&lab, &format!("/lab/{twin}/files/reports/../motto.txt")).await;
        assert!(served.contains("Care first"), "{twin} serves honest paths");
        let home = raw_get(&lab, &format!("/lab/{twin}/files/")).await;
        assert!(
            home.contains("Northwind Clinic"),
            "{twin} serves its home page"
        );
    }
    assert_eq!(lab.solved("files").await, ["leak-path"]);
}

#[tokio::test]
async fn an_upload_outside_its_folder_replaces_the_page_until_the_lesson_is_reset() {
    let lab = Lab::start().await;
    let client = reqwest::Client::new();
    let put = |twin: &str, path: &str| {
        client
            .put(lab.http(&format!("/lab/{twin}/files/{path}")))
            .body("<h1>Defaced</h1>")
            .send()
    };
    assert_eq!(
        put("insecure", "uploads/..%2findex.html")
            .await
            .expect("up")
            .status(),
        201
    );
    let secure = put("secure", "uploads/..%2findex.html").await.expect("up");
    assert_eq!(secure.status(), 400);
    assert_eq!(
        put("secure", "uploads/week-1.csv")
            .await
            .expect("up")
            .status(),
        201
    );
    let home = |twin: &'static str| {
        let url = lab.http(&format!("/lab/{twin}/files/"));
        async move {
            reqwest::get(url)
                .await
                .expect("up")
                .text()
                .await
                .expect("text")
        }
    };
    assert!(home("insecure").await.contains("Defaced"));
    assert!(home("secure").await.contains("Northwind Clinic"));
    assert_eq!(
        lab.solved("files").await,
        ["overwrite-page", "secure-refuses"]
    );

    let reset: serde_json::Value = client
        .post(lab.app("/api/progress/files/reset"))
        .send()
        .await
        .expect("up")
        .json()
        .await
        .expect("JSON");
    assert_eq!(reset["forgotten"], 2);
    assert!(home("insecure").await.contains("Northwind Clinic"));
    let upload = reqwest::get(lab.http("/lab/secure/files/uploads/week-1.csv"))
        .await
        .expect("up");
    assert_eq!(upload.status(), 404, "the reset removed the upload");
    assert!(lab.solved("files").await.is_empty());
}

#[tokio::test]
async fn other_methods_get_a_json_405_naming_the_allowed_ones() {
    let lab = Lab::start().await;
    for twin in ["insecure", "secure"] {
        let response = reqwest::Client::new()
            .delete(lab.http(&format!("/lab/{twin}/files/motto.txt")))
            .send()
            .await
            .expect("up");
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, HEAD, PUT");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert!(body["error"].is_string());
    }
}

/// Ways to write "the folder above" that scanners and payload lists try.
const DOT_DOT_SLASH: &[&str] = &[
    "../",
    "..%2f",
    "..%2F",
    "%2e%2e/",
    "%2e%2e%2f",
    "%2E%2E%2F",
    ".%2e/",
    "%2e./",
    "%252e%252e%252f",
    "..%252f",
    "%252e%252e/",
    "..\\",
    "..%5c",
    "%2e%2e%5c",
    "..%255c",
    "..%c0%af",
    "..%e0%80%af",
    "%c0%ae%c0%ae/",
    "..%u2215",
    "%u002e%u002e/",
    "....//",
    "..;/",
    "..%00/",
    "..//",
    "..\\/",
    "%2e%2e%2f%2e%2e%2f",
    "..%252f..%252f",
];

/// Ways to write "/" before an absolute path.
const ROOT_SLASH: &[&str] = &["/", "%2f", "%2F", "%252f", "\\", "%5c", "//", "file:///"];

/// The marker's real path, spelt the way `slash` spells `/`.
fn spelt(path: &str, slash: &str) -> String {
    path.trim_start_matches('/').replace('/', slash)
}

/// A file with a unique marker planted on the real disk beside the data
/// folder is never served by either twin, however the path to it is spelt,
/// and no payload gets a 5xx from the secure twin, panics or hangs.
#[tokio::test]
async fn no_payload_reaches_a_file_on_the_real_disk() {
    let outer = tempfile::tempdir().expect("a folder");
    let marker = format!("safelab-marker-{}", std::process::id());
    let marker_path = outer.path().join("marker.txt");
    std::fs::write(&marker_path, &marker).expect("plant the marker");
    let data = outer.path().join("data");
    let lab = Lab::start_with(|config| config.data_dir = Some(data.clone())).await;
    let real = marker_path.to_string_lossy().into_owned();

    let mut payloads = Vec::new();
    for up in DOT_DOT_SLASH {
        for depth in [1, 3, 6, 12] {
            let climb = up.repeat(depth);
            for slash in ["/", "%2f", "%5c"] {
                payloads.push(format!("{climb}{}", spelt(&real, slash)));
            }
            payloads.push(format!("{climb}data/../marker.txt"));
            payloads.push(format!("{climb}etc/passwd"));
        }
    }
    for slash in ROOT_SLASH {
        payloads.push(format!("{slash}{}", spelt(&real, slash)));
    }
    assert!(payloads.len() > 500, "{} payloads", payloads.len());

    let mut insecure_escapes = 0;
    for payload in &payloads {
        for twin in ["insecure", "secure"] {
            let answer = raw_get(&lab, &format!("/lab/{twin}/files/{payload}")).await;
            let status = status_of(&answer);
            assert!(status >= 200, "{twin} {payload}: no answer: {answer:?}");
            assert!(
                !answer.contains(&marker),
                "{twin} served the real file for {payload}"
            );
            if twin == "secure" {
                // The insecure twin echoes the path it was given; the secure
                // one names none.
                assert!(!answer.contains(&real), "secure named a path for {payload}");
                assert!(
                    (400..500).contains(&status),
                    "secure {payload}: {status}\n{answer}"
                );
                assert!(!answer.contains("SAFELAB-FAKE") && !answer.contains("/srv/"));
            } else if answer.contains(PASSWD) {
                insecure_escapes += 1;
            }
        }
    }
    // 19 of the spellings mean "../" to the naive server (the others are
    // other servers' bugs: overlong UTF-8, IIS's %u, stripping "../" once),
    // at the 3 depths that reach /etc/passwd from its root.
    assert_eq!(
        insecure_escapes, 57,
        "the insecure twin escapes for each encoding it mishandles"
    );
}

/// Files are sandboxed on both twins, and the secure twin serves an uploaded
/// page as a download, never as a page of the lab's origin.
#[tokio::test]
async fn uploaded_pages_never_run_as_the_lab() {
    let lab = Lab::start().await;
    let client = reqwest::Client::new();
    for twin in ["insecure", "secure"] {
        let put = client
            .put(lab.http(&format!("/lab/{twin}/files/uploads/page.html")))
            .body("<script>alert(document.cookie)</script>")
            .send()
            .await
            .expect("up");
        assert_eq!(put.status(), 201);
        let served = reqwest::get(lab.http(&format!("/lab/{twin}/files/uploads/page.html")))
            .await
            .expect("up");
        assert_eq!(served.headers()["content-security-policy"], "sandbox");
        if twin == "secure" {
            assert_eq!(served.headers()["content-type"], "application/octet-stream");
            assert_eq!(served.headers()["content-disposition"], "attachment");
            assert_eq!(served.headers()["x-content-type-options"], "nosniff");
        }
    }
}

/// The traversal lists scanners use (wfuzz's, from dotdotpwn's family): the
/// insecure twin gives up a fake secret (passwd, shadow, hosts) for many of
/// them, the secure twin for none, and never a 5xx.
#[tokio::test]
async fn scanners_payload_lists_find_the_insecure_twin_and_not_the_secure_one() {
    let lab = Lab::start().await;
    for list in [
        "vulns/dirTraversal-nix.txt",
        "vulns/dirTraversal.txt",
        "Injections/Traversal.txt",
    ] {
        // dirTraversal.txt writes the file to reach as {FILE}, as dotdotpwn does.
        let payloads: Vec<String> = safelab_tests::payloads(list)
            .into_iter()
            .map(|payload| payload.replace("{FILE}", "etc/passwd"))
            .collect();
        assert!(payloads.len() > 50, "{list}");
        let mut escaped = 0;
        for payload in &payloads {
            let slash = if payload.starts_with('/') { "" } else { "/" };
            let insecure = raw_get(&lab, &format!("/lab/insecure/files{slash}{payload}")).await;
            if insecure.contains("SAFELAB-FAKE") {
                escaped += 1;
            }
            let secure = raw_get(&lab, &format!("/lab/secure/files{slash}{payload}")).await;
            let status = status_of(&secure);
            assert!((200..500).contains(&status), "{list}: {payload}: {secure}");
            assert!(
                !secure.contains("SAFELAB-FAKE") && !secure.contains("/srv/"),
                "{payload}"
            );
        }
        assert!(
            escaped > payloads.len() / 10,
            "{list}: only {escaped} escapes"
        );
    }
}
