//! Lesson `api`, "API security": each attack of the lesson works on the
//! insecure twin and fails on the secure one, over plain HTTP and HTTPS.
//! Records: sequential ids enumerate every account's full record on the
//! insecure twin; the secure twin wants a key, answers 404 for anything not
//! the caller's, minimises, and rate-limits with the standard headers.
//! Profile: `is_admin` sticks on the insecure twin; the secure twin answers
//! 415, 413, 400 and 422 and changes nothing. Preview: a list of SSRF bypasses
//! and wfuzz's attack list reach the fake metadata service only through the
//! insecure twin, and neither twin ever opens a real connection. A reset
//! restores it all; each challenge is solved exactly when the lab sees it.
//! CORS has a module of its own (`api/cors.rs`).

/// Cross-origin reads: the CORS part of the lesson, with the stranger's page in Chromium.
mod cors;

use std::net::TcpListener;

use safelab_tests::{Lab, payloads};
use serde_json::{Value, json};

const LESSON: &str = "api";
const KEY: &str = "lab-sam-7d1f0c9e4a6b2d58e3c1a0f9b7642e5d";
/// Sam's first record, and Ana's, by their unguessable ids (as the lesson
/// names them).
const SAMS_RECORD: &str = "24fa1b4e61884c6df5dac95592f253d4";
const ANAS_RECORD: &str = "a59c3d0f6f206a269b0c2e88f4b5f7c8";
const CONFIDENTIAL: [&str; 4] = ["national_id", "date_of_birth", "address", "clinician_note"];

/// What came back.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

/// GETs `path` on the plain-HTTP listener (`https` false) or HTTPS, with
/// Sam's key if `key`.
async fn get(lab: &Lab, https: bool, path: &str, key: Option<&str>) -> Answer {
    let (client, url) = if https {
        (lab.trusting_client(), lab.https(path))
    } else {
        (reqwest::Client::new(), lab.http(path))
    };
    let mut request = client.get(&url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    answer(
        request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{url}: {error}")),
    )
    .await
}

async fn post(
    lab: &Lab,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Answer {
    let mut request = reqwest::Client::new().post(lab.http(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    answer(request.send().await.expect("the lab answers")).await
}

async fn reset(lab: &Lab) {
    let response = reqwest::Client::new()
        .post(lab.app("/api/progress/api/reset"))
        .send()
        .await
        .expect("up");
    assert!(response.status().is_success(), "{}", response.status());
}

// ---- Records: enumeration, over-sharing, authorisation, minimising ----

#[tokio::test]
async fn sequential_ids_enumerate_every_full_record_on_the_insecure_twin_only() {
    let lab = Lab::start().await;
    let mut owners = std::collections::HashSet::new();
    for number in 1..=60 {
        let https = number % 2 == 0;
        let record = get(
            &lab,
            https,
            &format!("/lab/insecure/records/{number}"),
            None,
        )
        .await;
        assert_eq!(record.status, 200, "{number}");
        assert!(
            record.header("ratelimit-limit").is_none(),
            "the insecure twin has no limit"
        );
        for field in CONFIDENTIAL {
            assert!(record.body.get(field).is_some(), "{number} lacks {field}");
        }
        assert!(
            record.body["national_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("FAKE-"))
        );
        owners.insert(record.body["owner"].as_str().expect("owner").to_owned());
        if number == 1 {
            assert_eq!(
                lab.solved(LESSON).await,
                ["over-sharing"],
                "Sam's own record over-shares"
            );
        }
    }
    assert_eq!(owners.len(), 12);
    assert_eq!(
        get(&lab, false, "/lab/insecure/records/61", None)
            .await
            .status,
        404
    );
    assert_eq!(
        lab.solved(LESSON).await,
        ["over-sharing", "enumerate-records"]
    );

    // The same enumeration against the secure twin, with Sam's key and even
    // knowing every other account's real unguessable id: each is a 404 with
    // the very body of an id that does not exist. Sequential ids too. (A
    // reset before each nine restores the rate limit's budget of ten.)
    let others: Vec<String> = (1..=60)
        .filter(|number| number % 12 != 1)
        .map(secret_id)
        .collect();
    assert_eq!(others.len(), 55);
    let attempts: Vec<String> = others
        .iter()
        .cloned()
        .chain((1..=60).map(|number: u32| number.to_string()))
        .collect();
    for batch in attempts.chunks(8) {
        reset(&lab).await;
        let missing = get(
            &lab,
            true,
            "/lab/secure/records/ffffffffffffffffffffffffffffffff",
            Some(KEY),
        )
        .await;
        assert_eq!(missing.status, 404);
        for id in batch {
            let refused = get(&lab, true, &format!("/lab/secure/records/{id}"), Some(KEY)).await;
            assert_eq!(
                (refused.status, &refused.body),
                (missing.status, &missing.body),
                "{id}"
            );
            assert_eq!(refused.header("ratelimit-limit"), Some("10"));
        }
    }
    let own = get(
        &lab,
        true,
        &format!("/lab/secure/records/{}", secret_id(13)),
        Some(KEY),
    )
    .await;
    assert_eq!(
        own.status, 200,
        "Sam's second record, by the same derivation"
    );
}

/// Record `number`'s unguessable id, derived as the lab derives it.
fn secret_id(number: u32) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("safelab lesson api, lab result {number}").as_bytes(),
    );
    digest.as_ref()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[tokio::test]
async fn the_enumeration_counts_other_peoples_records_until_twenty() {
    let lab = Lab::start().await;
    // Sam's own records, many times over, are not an enumeration.
    for _ in 0..5 {
        for number in [1, 13, 25, 37, 49] {
            get(
                &lab,
                false,
                &format!("/lab/insecure/records/{number}"),
                None,
            )
            .await;
        }
    }
    for number in 2..=20 {
        get(
            &lab,
            false,
            &format!("/lab/insecure/records/{number}"),
            None,
        )
        .await;
    }
    // 2..=20 holds Sam's 13: eighteen other people's records so far.
    assert_eq!(lab.solved(LESSON).await, ["over-sharing"]);
    get(&lab, false, "/lab/insecure/records/21", None).await;
    assert_eq!(lab.solved(LESSON).await, ["over-sharing"]);
    get(&lab, false, "/lab/insecure/records/22", None).await;
    assert_eq!(
        lab.solved(LESSON).await,
        ["over-sharing", "enumerate-records"]
    );
}

#[tokio::test]
async fn the_secure_twin_serves_the_callers_own_records_minimised_and_nothing_else() {
    let lab = Lab::start().await;
    {
        let https = true;
        // Ten requests: the rate limit's budget.
        reset(&lab).await;
        let list = get(&lab, https, "/lab/secure/records?user=ana", Some(KEY)).await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body["user"], "sam", "the query cannot choose the user");
        let ids: Vec<&str> = list.body["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|entry| entry["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids.len(), 5);
        assert_eq!(ids[0], SAMS_RECORD);
        assert!(!ids.contains(&ANAS_RECORD));

        let own = get(
            &lab,
            https,
            &format!("/lab/secure/records/{SAMS_RECORD}"),
            Some(KEY),
        )
        .await;
        assert_eq!(own.status, 200);
        let fields: Vec<&String> = own.body.as_object().expect("object").keys().collect();
        assert_eq!(fields, ["id", "result", "test"], "minimised by default");
        assert_eq!(own.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(own.header("x-frame-options"), Some("DENY"));

        let more = get(
            &lab,
            https,
            &format!("/lab/secure/records/{SAMS_RECORD}?fields=visit,unit"),
            Some(KEY),
        )
        .await;
        assert_eq!(more.body.as_object().map(|object| object.len()), Some(2));
        for asked in ["national_id", "clinician_note", "*", "test,address"] {
            let refused = get(
                &lab,
                https,
                &format!("/lab/secure/records/{SAMS_RECORD}?fields={asked}"),
                Some(KEY),
            )
            .await;
            assert_eq!(refused.status, 400, "{asked}");
            assert!(
                refused.body["error"]
                    .as_str()
                    .is_some_and(|error| error.contains("fields="))
            );
        }

        // Someone else's record and no record at all: the same answer.
        let others = get(
            &lab,
            https,
            &format!("/lab/secure/records/{ANAS_RECORD}"),
            Some(KEY),
        )
        .await;
        let missing = get(
            &lab,
            https,
            "/lab/secure/records/00000000000000000000000000000000",
            Some(KEY),
        )
        .await;
        assert_eq!((others.status, missing.status), (404, 404));
        assert_eq!(others.body, missing.body, "word for word");
        assert!(!others.body.to_string().contains(ANAS_RECORD));

        for key in [None, Some("lab-ana-guess"), Some("")] {
            let refused = get(
                &lab,
                https,
                &format!("/lab/secure/records/{ANAS_RECORD}"),
                key,
            )
            .await;
            assert_eq!(refused.status, 401, "{key:?}");
            assert!(
                refused
                    .header("www-authenticate")
                    .is_some_and(|value| value.starts_with("Bearer"))
            );
            assert!(refused.body.get("national_id").is_none());
        }
    }

    // A key over plain HTTP is refused before it is even looked at, with the
    // HTTPS address to use; without a key, plain HTTP gets the usual 401.
    reset(&lab).await;
    for path in [
        "/lab/secure/records".to_owned(),
        format!("/lab/secure/records/{SAMS_RECORD}?fields=test"),
    ] {
        for key in [KEY, "lab-sam-wrong"] {
            let refused = get(&lab, false, &path, Some(key)).await;
            assert_eq!(refused.status, 403, "{path} {key}");
            assert_eq!(
                refused.body["https"].as_str(),
                Some(lab.https(&path).as_str())
            );
            assert!(
                refused.body["error"].as_str().is_some_and(
                    |error| error.contains("HTTPS") && error.contains(&lab.https(&path))
                ),
                "{:?}",
                refused.body
            );
            assert!(refused.body.get("records").is_none() && refused.body.get("result").is_none());
        }
    }
    assert_eq!(
        get(&lab, false, "/lab/secure/records", None).await.status,
        401
    );
    assert_eq!(
        get(&lab, true, "/lab/secure/records", Some(KEY))
            .await
            .header("ratelimit-remaining"),
        Some("9"),
        "the refused plain-HTTP requests did not count"
    );
    assert!(lab.solved(LESSON).await.is_empty());
}

// ---- Rate limits ----

#[tokio::test]
async fn the_secure_twin_limits_each_key_with_the_standard_headers_and_the_insecure_never_does() {
    let lab = Lab::start().await;
    for number in 0..100 {
        let insecure = get(
            &lab,
            false,
            &format!("/lab/insecure/records/{}", 1 + number % 60),
            None,
        )
        .await;
        assert_eq!(insecure.status, 200);
    }
    // A fresh window right before the steps that count on it.
    reset(&lab).await;
    let mut remaining = Vec::new();
    for _ in 0..10 {
        let allowed = get(&lab, true, "/lab/secure/records", Some(KEY)).await;
        assert_eq!(allowed.status, 200);
        assert_eq!(allowed.header("ratelimit-limit"), Some("10"));
        assert_eq!(allowed.header("ratelimit-policy"), Some("10;w=60"));
        let reset: u64 = allowed
            .header("ratelimit-reset")
            .and_then(|value| value.parse().ok())
            .expect("RateLimit-Reset");
        assert!((1..=60).contains(&reset));
        remaining.push(
            allowed
                .header("ratelimit-remaining")
                .expect("remaining")
                .to_owned(),
        );
    }
    let expected: Vec<String> = (0..10).rev().map(|left: u32| left.to_string()).collect();
    assert_eq!(remaining, expected);
    assert!(lab.solved(LESSON).await.is_empty());

    for path in [
        "/lab/secure/records".to_owned(),
        format!("/lab/secure/records/{SAMS_RECORD}"),
    ] {
        let limited = get(&lab, true, &path, Some(KEY)).await;
        assert_eq!(limited.status, 429);
        let retry: u64 = limited
            .header("retry-after")
            .and_then(|value| value.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&retry));
        assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
        assert!(
            limited.body["error"]
                .as_str()
                .is_some_and(|error| error.contains("try again"))
        );
        assert!(limited.body.get("records").is_none() && limited.body.get("result").is_none());
    }
    assert_eq!(lab.solved(LESSON).await, ["rate-limited"]);

    // A wrong key does not spend the account's budget: after a reset, wrong
    // keys, then the real key still has nine of ten left.
    reset(&lab).await;
    for wrong in ["lab-sam-other", "lab-ana-guess", ""] {
        let refused = get(&lab, true, "/lab/secure/records", Some(wrong)).await;
        assert_eq!(refused.status, 401, "{wrong:?}");
    }
    let real = get(&lab, true, "/lab/secure/records", Some(KEY)).await;
    assert_eq!(real.status, 200);
    assert_eq!(real.header("ratelimit-remaining"), Some("9"));
    assert!(lab.solved(LESSON).await.is_empty());

    // Guessing keys is rate-limited in a bucket of its own: five wrong keys
    // a minute, each 401 saying how many are left, then a 429 for any key,
    // the right one included (or a guesser would learn which guess was
    // right).
    reset(&lab).await;
    let mut left = Vec::new();
    for guess in 0..5 {
        let refused = get(
            &lab,
            true,
            "/lab/secure/records",
            Some(&format!("lab-ana-guess{guess}")),
        )
        .await;
        assert_eq!(refused.status, 401);
        assert_eq!(refused.header("ratelimit-policy"), Some("5;w=60"));
        left.push(
            refused
                .header("ratelimit-remaining")
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(left, ["4", "3", "2", "1", "0"]);
    for key in ["lab-ana-guess5", KEY] {
        let limited = get(&lab, true, "/lab/secure/records", Some(key)).await;
        assert_eq!(limited.status, 429, "{key}");
        assert!(
            limited
                .header("retry-after")
                .and_then(|value| value.parse::<u64>().ok())
                .is_some_and(|retry| (1..=60).contains(&retry))
        );
        assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
        assert!(
            limited.body["error"]
                .as_str()
                .is_some_and(|error| error.contains("wrong API key")),
            "{:?}",
            limited.body
        );
    }
    assert_eq!(lab.solved(LESSON).await, ["rate-limited"]);

    reset(&lab).await;
    assert_eq!(
        get(&lab, true, "/lab/secure/records", Some(KEY))
            .await
            .status,
        200,
        "a reset forgets the windows"
    );
}

// ---- Input validation: mass assignment and the secure answers ----

#[tokio::test]
async fn is_admin_sticks_on_the_insecure_profile_and_every_bad_body_gets_its_status_from_the_secure_one()
 {
    let lab = Lab::start().await;
    let insecure = "/lab/insecure/profile";
    let secure = "/lab/secure/profile";

    // Types, sizes and extra fields: all kept, and no Content-Type needed.
    let long = "x".repeat(60_000);
    let stored = post(
        &lab,
        insecure,
        None,
        json!({"display_name": 42, "bio": long}).to_string(),
    )
    .await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body["profile"]["display_name"], 42);
    assert_eq!(
        stored.body["profile"]["bio"].as_str().map(str::len),
        Some(60_000)
    );
    assert!(lab.solved(LESSON).await.is_empty());
    assert_eq!(
        post(&lab, insecure, Some("application/json"), "[1, 2]")
            .await
            .status,
        500
    );
    assert_eq!(
        post(&lab, insecure, Some("application/json"), "{")
            .await
            .status,
        500
    );

    // The same refusal before and after: secure-refuses-admin needs the
    // insecure twin to have been fooled first.
    let early = post(
        &lab,
        secure,
        Some("application/json"),
        r#"{"is_admin": true}"#,
    )
    .await;
    assert_eq!(early.status, 422);
    assert!(lab.solved(LESSON).await.is_empty());

    let admin = post(
        &lab,
        insecure,
        Some("text/plain"),
        r#"{"is_admin": true, "role": "owner"}"#,
    )
    .await;
    assert!(
        admin.body["powers"]
            .as_array()
            .expect("powers")
            .iter()
            .any(|power| power
                .as_str()
                .is_some_and(|power| power.starts_with("ADMIN")))
    );
    let shown = get(&lab, false, insecure, None).await;
    assert_eq!(shown.body["profile"]["is_admin"], true);
    assert_eq!(shown.body["profile"]["role"], "owner");
    assert_eq!(lab.solved(LESSON).await, ["mass-assignment"]);

    let json_type = Some("application/json");
    let cases: [(Option<&str>, String, u16); 9] = [
        (None, r#"{"bio": "hi"}"#.to_owned(), 415),
        (Some("text/plain"), r#"{"bio": "hi"}"#.to_owned(), 415),
        (
            Some("application/x-www-form-urlencoded"),
            "bio=hi".to_owned(),
            415,
        ),
        (json_type, json!({"bio": "x".repeat(5000)}).to_string(), 413),
        (
            json_type,
            format!(r#"{{"bio": "{}"}}"#, "x".repeat(70_000)),
            413,
        ),
        (json_type, "{\n  \"bio\": \"x\",\n}".to_owned(), 400),
        (
            json_type,
            r#"{"display_name": 42, "is_admin": true, "email": "nope"}"#.to_owned(),
            422,
        ),
        (json_type, r#"{"display_name": ""}"#.to_owned(), 422),
        (
            Some("Application/JSON; charset=utf-8"),
            r#"{"display_name": "Sam D.", "newsletter": true}"#.to_owned(),
            200,
        ),
    ];
    for (content_type, body, status) in cases {
        let response = post(&lab, secure, content_type, body.clone()).await;
        assert_eq!(
            response.status,
            status,
            "{content_type:?} {}",
            &body[..body.len().min(80)]
        );
        assert!(
            response.body.is_object(),
            "always JSON: {:?}",
            response.body
        );
        if status != 200 {
            assert!(
                response.body["error"]
                    .as_str()
                    .is_some_and(|error| !error.is_empty())
            );
        }
        match status {
            413 => assert_eq!(response.body["limit"], 4096),
            400 => assert_eq!(
                (
                    response.body["line"].as_u64(),
                    response.body["column"].as_u64()
                ),
                (Some(3), Some(1))
            ),
            422 if body.contains("is_admin") => {
                let fields: Vec<&str> = response.body["problems"]
                    .as_array()
                    .expect("problems")
                    .iter()
                    .map(|problem| problem["field"].as_str().expect("field"))
                    .collect();
                assert_eq!(
                    fields,
                    ["display_name", "email", "is_admin"],
                    "every field refused, by name"
                );
            }
            _ => {}
        }
    }
    let profile = get(&lab, false, secure, None).await;
    assert_eq!(profile.body["profile"]["is_admin"], false);
    assert_eq!(profile.body["profile"]["display_name"], "Sam D.");
    assert!(
        profile.body["powers"]
            .as_array()
            .expect("powers")
            .iter()
            .all(|power| !power.as_str().unwrap_or_default().starts_with("ADMIN"))
    );
    assert_eq!(
        lab.solved(LESSON).await,
        ["mass-assignment", "secure-refuses-admin"]
    );

    reset(&lab).await;
    assert_eq!(
        get(&lab, false, insecure, None).await.body["profile"]["is_admin"],
        false,
        "a reset restores the profile"
    );
}

#[tokio::test]
async fn the_secure_profile_refuses_what_a_schema_check_alone_would_miss() {
    let lab = Lab::start().await;
    let secure = "/lab/secure/profile";
    let json_type = Some("application/json");

    // A key sent twice: refused, named, never one of its values picked.
    let twice = post(
        &lab,
        secure,
        json_type,
        r#"{"display_name": "Sam", "display_name": "Admin"}"#,
    )
    .await;
    assert_eq!(twice.status, 422, "{:?}", twice.body);
    assert_eq!(twice.body["problems"][0]["field"], "display_name");
    assert!(
        twice.body["error"]
            .as_str()
            .is_some_and(|error| error.contains("more than once"))
    );

    // Invisible format characters in text.
    for text in ["Sam\u{202E}nimda", "Sa\u{200B}m", "\u{FEFF}Sam"] {
        let refused = post(
            &lab,
            secure,
            json_type,
            json!({ "display_name": text }).to_string(),
        )
        .await;
        assert_eq!(refused.status, 422, "{text:?}");
        assert!(
            refused.body["problems"][0]["problem"]
                .as_str()
                .is_some_and(|problem| problem.contains("format character")),
            "{:?}",
            refused.body
        );
    }
    let profile = get(&lab, false, secure, None).await;
    assert_eq!(profile.body["profile"]["display_name"], "Sam Demo");

    // A body cut short is a 400 that says so, not a 413: a chunked body
    // whose second chunk's size is not a number.
    let mut stream = tokio::net::TcpStream::connect(lab.running.http_address)
        .await
        .expect("the lab listens");
    let request = format!(
        "POST {secure} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{{\"bio\r\nzz\r\n",
        lab.running.http_address
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .expect("sent");
    let mut answer = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("could not be read"), "{answer}");
}

#[tokio::test]
async fn the_insecure_twins_form_body_sent_to_the_secure_one_counts_as_refused() {
    let lab = Lab::start().await;
    let form = Some("application/x-www-form-urlencoded");
    let early = post(&lab, "/lab/secure/profile", form, "is_admin=True").await;
    assert_eq!(early.status, 415);
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "not before the insecure twin fell for it"
    );
    let stuck = post(&lab, "/lab/insecure/profile", None, r#"{"is_admin": true}"#).await;
    assert_eq!(stuck.status, 200);
    for (content_type, body) in [
        (form, "display_name=Sam"),
        (Some("text/plain"), r#"{"bio": "is_admin"}"#),
    ] {
        let refused = post(&lab, "/lab/secure/profile", content_type, body).await;
        assert_eq!(refused.status, 415);
        assert_eq!(lab.solved(LESSON).await, ["mass-assignment"], "{body}");
    }
    for (content_type, body) in [
        (form, "display_name=Sam&is_admin=True"),
        (Some("text/plain"), r#"{"is_admin": true}"#),
    ] {
        let refused = post(&lab, "/lab/secure/profile", content_type, body).await;
        assert_eq!(refused.status, 415);
        assert_eq!(
            refused.body["expected"], "application/json",
            "the refusal says what to send"
        );
    }
    assert_eq!(
        lab.solved(LESSON).await,
        ["mass-assignment", "secure-refuses-admin"]
    );
}

#[tokio::test]
async fn the_secure_profile_answers_every_attack_string_with_a_400_family_json_or_a_clean_update() {
    let lab = Lab::start().await;
    let mut lists = payloads("Injections/All_attack.txt");
    lists.extend(payloads("Injections/bad_chars.txt"));
    for payload in lists {
        for field in ["display_name", "email", "bio", "is_admin", &payload] {
            let body = json!({ field: payload }).to_string();
            let response = post(&lab, "/lab/secure/profile", Some("application/json"), body).await;
            assert!(
                matches!(response.status, 200 | 422),
                "{field}={payload}: {}",
                response.status
            );
            assert!(response.body.is_object());
            assert_ne!(response.body["profile"]["is_admin"], true);
        }
    }
    let profile = get(&lab, false, "/lab/secure/profile", None).await;
    assert_eq!(profile.body["profile"]["is_admin"], false);
    assert_eq!(
        profile.body["profile"]
            .as_object()
            .map(|fields| fields.len()),
        Some(6),
        "no field was added"
    );
}

// ---- SSRF ----

/// Where a preview's fetch ended: the address in its answer, if it fetched.
fn reached(answer: &Answer) -> Option<String> {
    answer.body["address"].as_str().map(str::to_owned)
}

const METADATA: &str = "169.254.169.254";
const CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/safelab-web-role";

/// SSRF bypasses: (URL, the address the insecure twin reaches with it, or
/// `None` when its string tests stop it or it leads nowhere).
fn bypasses() -> Vec<(String, Option<&'static str>)> {
    let path = "/latest/meta-data/";
    let mut list = vec![
        (format!("http://{METADATA}{path}"), None),
        (format!("http://metadata.internal{path}"), None),
        ("http://localhost/".to_owned(), None),
        ("http://127.0.0.1/".to_owned(), None),
        (
            format!("http://news.example@{METADATA}{path}"),
            Some(METADATA),
        ),
        (
            format!("http://news.example:x@{METADATA}{path}"),
            Some(METADATA),
        ),
        (
            format!("https://news.example@{METADATA}{path}"),
            Some(METADATA),
        ),
        (format!("http://2852039166{path}"), Some(METADATA)),
        (format!("http://0xA9FEA9FE{path}"), Some(METADATA)),
        (format!("http://0xa9.0xfe.0xa9.0xfe{path}"), Some(METADATA)),
        (format!("http://0251.0376.0251.0376{path}"), Some(METADATA)),
        (format!("http://169.254.43518{path}"), Some(METADATA)),
        (format!("http://[::ffff:a9fe:a9fe]{path}"), Some(METADATA)),
        (format!("http://[::ffff:169.254.169.254]{path}"), None),
        (format!("http://{METADATA}.{path}"), None),
        (format!("http://METADATA.INTERNAL{path}"), Some(METADATA)),
        (format!("http://metadata.internal.{path}"), None),
        (
            format!("http://Metadata.Google.Internal{path}"),
            Some(METADATA),
        ),
        (
            format!("http://news.example/redirect?to=http://{METADATA}{CREDENTIALS}"),
            Some(METADATA),
        ),
        (
            format!("http://news.example/redirect?to=http%3A%2F%2F2852039166{path}"),
            Some(METADATA),
        ),
        (
            "http://news.example/redirect?to=/redirect?to=http://0/".to_owned(),
            Some("0.0.0.0"),
        ),
        ("http://0/".to_owned(), Some("0.0.0.0")),
        ("http://[::]/".to_owned(), Some("::")),
        ("http://[::1]/".to_owned(), Some("::1")),
        ("http://127.1/".to_owned(), Some("127.0.0.1")),
        ("http://2130706433/".to_owned(), Some("127.0.0.1")),
        ("http://LOCALHOST/".to_owned(), Some("127.0.0.1")),
        ("http://localhost./".to_owned(), None),
        (
            "http://news.example@localhost/admin/users".to_owned(),
            Some("127.0.0.1"),
        ),
        ("http://news.example.attacker.example/".to_owned(), None),
        ("file:///etc/passwd".to_owned(), None),
        ("gopher://news.example/".to_owned(), None),
        ("http://news.example:22/".to_owned(), None),
        // Addresses that are not globally routable, and IPv6 forms that
        // carry an internal IPv4 address: the insecure twin's fake network
        // has nothing there, the secure one refuses them outright.
        (format!("http://[64:ff9b::a9fe:a9fe]{path}"), None),
        (format!("http://[64:ff9b:1::a9fe:a9fe]{path}"), None),
        (format!("http://[2002:a9fe:a9fe::]{path}"), None),
        (format!("http://[2001:0:a9fe:a9fe::5601:5601]{path}"), None),
        ("http://[::127.0.0.1]/".to_owned(), None),
        ("http://[::ffff:7f00:1]/".to_owned(), Some("127.0.0.1")),
        ("http://[fec0::1]/".to_owned(), None),
        ("http://[fd00::1]/".to_owned(), None),
        ("http://198.18.0.1/".to_owned(), None),
        ("http://192.88.99.1/".to_owned(), None),
        ("http://100.64.0.1/".to_owned(), None),
        ("http://192.0.0.170/".to_owned(), None),
    ];
    // Every later form of the credentials path too.
    list.push((
        format!("http://news.example@{METADATA}{CREDENTIALS}"),
        Some(METADATA),
    ));
    list
}

#[tokio::test]
async fn ssrf_bypasses_reach_the_fake_metadata_through_the_insecure_twin_and_nothing_through_the_secure_one()
 {
    let lab = Lab::start().await;
    let public = get(
        &lab,
        false,
        "/lab/insecure/preview?url=http://news.example/",
        None,
    )
    .await;
    assert_eq!(public.status, 200);
    assert_eq!(reached(&public).as_deref(), Some("203.0.113.10"));
    for https in [false, true] {
        let public = get(
            &lab,
            https,
            "/lab/secure/preview?url=http://news.example/redirect?to=/articles/1",
            None,
        )
        .await;
        assert_eq!(public.status, 200, "{:?}", public.body);
        assert_eq!(
            public.body["title"],
            "Every sample was synthetic, lab finds"
        );
    }

    for (url, expected) in bypasses() {
        let query = format!(
            "?url={}",
            url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
        );
        let insecure = get(&lab, false, &format!("/lab/insecure/preview{query}"), None).await;
        assert_eq!(
            reached(&insecure).as_deref(),
            expected,
            "insecure, {url}: {:?}",
            insecure.body
        );
        if expected.is_some() {
            assert_eq!(insecure.status, 200, "{url}");
        } else {
            assert!(
                matches!(insecure.status, 400 | 403 | 502),
                "{url}: {}",
                insecure.status
            );
        }
        for https in [false, true] {
            let secure = get(&lab, https, &format!("/lab/secure/preview{query}"), None).await;
            assert!(
                matches!(secure.status, 400 | 403 | 502),
                "secure, {url}: {} {:?}",
                secure.status,
                secure.body
            );
            assert_eq!(reached(&secure), None, "secure, {url}");
            assert!(
                secure.body["error"]
                    .as_str()
                    .is_some_and(|error| error.len() > 10),
                "{url}: says why"
            );
        }
    }
    let leaked = get(
        &lab,
        false,
        &format!("/lab/insecure/preview?url=http://news.example@{METADATA}{CREDENTIALS}"),
        None,
    )
    .await;
    assert!(
        leaked.body["excerpt"]
            .as_str()
            .is_some_and(|excerpt| excerpt.contains("SecretAccessKey"))
    );
    assert_eq!(
        lab.solved(LESSON).await,
        ["ssrf-metadata", "secure-refuses-ssrf"]
    );
}

#[tokio::test]
async fn wfuzz_attack_strings_never_reach_inside_through_the_secure_twin_nor_crash_either() {
    let lab = Lab::start().await;
    let mut insecure_inside = 0;
    for payload in payloads("Injections/All_attack.txt") {
        for url in [
            payload.clone(),
            format!("http://news.example@{METADATA}/{payload}"),
            format!("http://2852039166/{payload}"),
        ] {
            let query = format!(
                "?url={}",
                url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
            );
            let insecure = get(&lab, false, &format!("/lab/insecure/preview{query}"), None).await;
            assert!(
                insecure.status < 500 || insecure.status == 502,
                "insecure, {url}: {}",
                insecure.status
            );
            if reached(&insecure).as_deref() == Some(METADATA) {
                insecure_inside += 1;
            }
            let secure = get(&lab, false, &format!("/lab/secure/preview{query}"), None).await;
            assert!(
                secure.status < 500 || secure.status == 502,
                "secure, {url}: {}",
                secure.status
            );
            assert!(
                reached(&secure).is_none_or(|address| address == "203.0.113.10"),
                "secure, {url}: {:?}",
                secure.body
            );
        }
    }
    assert!(
        insecure_inside > 400,
        "the insecure twin reached the metadata service {insecure_inside} times"
    );
}

#[tokio::test]
async fn neither_twin_ever_connects_to_a_real_address_even_given_one_that_listens() {
    let lab = Lab::start().await;
    let planted = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    planted.set_nonblocking(true).expect("nonblocking");
    let port = planted.local_addr().expect("address").port();
    let lab_port = lab.running.http_address.port();
    let targets = [
        format!("http://news.example@127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://news.example/redirect?to=http://2130706433:{port}/"),
        format!("http://news.example@127.0.0.1:{lab_port}/lab/insecure/records/2"),
        format!("http://news.example@127.0.0.1:{lab_port}/lab"),
    ];
    for url in &targets {
        let query = format!(
            "?url={}",
            url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
        );
        for twin in ["insecure", "secure"] {
            let answer = get(&lab, false, &format!("/lab/{twin}/preview{query}"), None).await;
            assert!(
                matches!(answer.status, 400 | 403 | 502),
                "{twin}, {url}: {} {:?}",
                answer.status,
                answer.body
            );
            assert_eq!(reached(&answer), None, "{twin}, {url}");
        }
    }
    // A connection would be waiting in the accept queue by now: the
    // handshake completes before the client's request, long before the
    // answers above.
    match planted.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a twin connected to the planted listener: {other:?}"),
    }
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "nothing reached a service"
    );
}

#[tokio::test]
async fn the_ssrf_refusal_counts_for_any_spelling_that_parses_to_the_url_that_reached_inside() {
    let lab = Lab::start().await;
    let reached_inside = format!("http://news.example@{METADATA}/latest/meta-data/");
    let query = |url: &str| {
        format!(
            "?url={}",
            url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
        )
    };
    let insecure = get(
        &lab,
        false,
        &format!("/lab/insecure/preview{}", query(&reached_inside)),
        None,
    )
    .await;
    assert_eq!(insecure.status, 200);
    let unrelated = get(
        &lab,
        false,
        &format!("/lab/secure/preview{}", query("http://127.0.0.1/")),
        None,
    )
    .await;
    assert_eq!(unrelated.status, 403);
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "that URL never reached inside"
    );
    let edited = format!("HTTP://news.example@{METADATA}:80/latest/./meta-data/");
    let secure = get(
        &lab,
        true,
        &format!("/lab/secure/preview{}", query(&edited)),
        None,
    )
    .await;
    assert_eq!(secure.status, 400, "userinfo is refused: {:?}", secure.body);
    assert_eq!(lab.solved(LESSON).await, ["secure-refuses-ssrf"]);
}

// ---- Reset ----

#[tokio::test]
async fn a_reset_forgets_what_the_learner_enumerated_and_reached() {
    let lab = Lab::start().await;
    for number in 2..=12 {
        get(
            &lab,
            false,
            &format!("/lab/insecure/records/{number}"),
            None,
        )
        .await;
    }
    get(
        &lab,
        false,
        &format!("/lab/insecure/preview?url=http://news.example@{METADATA}/"),
        None,
    )
    .await;
    reset(&lab).await;
    for number in 14..=24 {
        get(
            &lab,
            false,
            &format!("/lab/insecure/records/{number}"),
            None,
        )
        .await;
    }
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "eleven after the reset is not twenty"
    );
    let refused = get(
        &lab,
        false,
        &format!("/lab/secure/preview?url=http://news.example@{METADATA}/"),
        None,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "the reset forgot what reached inside"
    );
}

// ---- The request builder ----

/// Sends one request through the request inspector, as the builder does;
/// the exchange's status and body.
async fn builder(
    lab: &Lab,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u64, String) {
    let headers: Vec<Value> = headers
        .iter()
        .map(|(name, value)| json!([name, value]))
        .collect();
    let (status, exchange) = lab
        .exchange(
            json!({"method": method, "url": lab.https(path), "headers": headers, "body": body}),
        )
        .await;
    assert_eq!(status, 200, "{path}: {exchange}");
    (
        exchange["status"].as_u64().expect("a status"),
        exchange["body"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn every_challenge_can_be_solved_from_the_request_builder_alone() {
    let lab = Lab::start().await;
    let key = format!("Bearer {KEY}");
    let json_type = [("Content-Type", "application/json")];

    let (status, body) = builder(&lab, "GET", "/lab/insecure/records/1", &[], "").await;
    assert_eq!(status, 200);
    assert!(body.contains("national_id"));
    for number in 2..=22 {
        builder(
            &lab,
            "GET",
            &format!("/lab/insecure/records/{number}"),
            &[],
            "",
        )
        .await;
    }

    // Until the 429: eleven requests, or a few more should a window close on
    // the way (the limit is per minute).
    let mut statuses = Vec::new();
    while statuses.last() != Some(&429) && statuses.len() < 30 {
        let (status, _) = builder(
            &lab,
            "GET",
            "/lab/secure/records",
            &[("Authorization", &key)],
            "",
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(statuses.len() >= 11, "{statuses:?}");
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|status| *status == 200)
    );

    let admin = r#"{"display_name": 42, "is_admin": true}"#;
    let (status, body) = builder(&lab, "POST", "/lab/insecure/profile", &json_type, admin).await;
    assert_eq!(status, 200);
    assert!(body.contains("ADMIN"));
    let (status, body) = builder(&lab, "POST", "/lab/secure/profile", &json_type, admin).await;
    assert_eq!(status, 422);
    assert!(body.contains("is_admin"));

    let steal = format!("/lab/insecure/preview?url=http://2852039166{CREDENTIALS}");
    let (status, body) = builder(&lab, "GET", &steal, &[], "").await;
    assert_eq!(status, 200);
    assert!(body.contains("SecretAccessKey"));
    let (status, _) = builder(&lab, "GET", &steal.replace("insecure", "secure"), &[], "").await;
    assert_eq!(status, 403);

    assert_eq!(
        lab.solved(LESSON).await,
        [
            "over-sharing",
            "enumerate-records",
            "rate-limited",
            "mass-assignment",
            "secure-refuses-admin",
            "ssrf-metadata",
            "secure-refuses-ssrf"
        ]
    );
}
