//! The defects an attack run on the walking skeleton found, each reproduced
//! over a real socket: idle and slow connections that locked the learner out,
//! a Host guard that read only the first `Host` header, HTTP/2 on the app
//! listener, and an oversized API body reported as bad JSON. (The banner's
//! URLs and the CA key's permissions are checked on the real program, in
//! `program.rs`.)

use std::time::Duration;

use safelab::Limits;
use safelab_tests::{Lab, PATIENCE, poll, raw_exchange};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status code of a raw HTTP/1.1 response.
fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

#[tokio::test]
async fn a_silent_connection_is_closed_on_every_listener() {
    // Every other timeout far beyond the test's patience: only the bound on
    // the first byte can close these.
    let lab = Lab::start_with(|config| {
        config.limits = Limits {
            first_byte: Duration::from_secs(1),
            headers: Duration::from_secs(600),
            handshake: Duration::from_secs(600),
            ..Limits::default()
        };
    })
    .await;
    for address in [
        lab.running.app_address,
        lab.running.http_address,
        lab.running.https_address,
    ] {
        let mut tcp = TcpStream::connect(address).await.expect("connects");
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(PATIENCE, tcp.read(&mut byte))
            .await
            .unwrap_or_else(|_| panic!("{address} kept a silent connection open"));
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "{address} closed it: {read:?}"
        );
    }
}

/// A lab whose timeouts are far beyond the test's patience: only making room
/// for new connections can keep it answering.
async fn patient_lab() -> Lab {
    Lab::start_with(|config| {
        config.limits = Limits {
            max_connections: 16,
            first_byte: Duration::from_secs(600),
            headers: Duration::from_secs(600),
            handshake: Duration::from_secs(600),
            ..Limits::default()
        };
    })
    .await
}

#[tokio::test]
async fn a_flood_of_idle_and_slow_connections_does_not_lock_out_the_api() {
    let lab = patient_lab().await;
    let mut held = Vec::new();
    for address in [
        lab.running.app_address,
        lab.running.http_address,
        lab.running.https_address,
    ] {
        for index in 0..48 {
            let mut tcp = TcpStream::connect(address).await.expect("connects");
            if index % 3 == 0 {
                // Slowloris: a request head that never ends.
                tcp.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    .await
                    .expect("writes");
            }
            held.push(tcp);
        }
    }
    let health = tokio::time::timeout(PATIENCE, reqwest::get(lab.app("/api/health")))
        .await
        .expect("the API answers while the flood holds its connections")
        .expect("a response");
    assert_eq!(health.status(), 200);
    let hello = tokio::time::timeout(
        PATIENCE,
        lab.trusting_client().get(lab.https("/lab/hello")).send(),
    )
    .await
    .expect("the HTTPS lab answers too")
    .expect("a response");
    assert_eq!(hello.status(), 200);
    drop(held);
}

#[tokio::test]
async fn requests_that_never_finish_do_not_lock_out_the_api_for_long() {
    let lab = patient_lab().await;
    // Every place taken by a request whose body is dripped in so slowly that
    // it never ends: each keeps a handler busy.
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut tcp = TcpStream::connect(lab.running.app_address)
            .await
            .expect("connects");
        tcp.write_all(
            b"POST /api/exchange HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 1000000\r\n\r\n{",
        )
        .await
        .expect("writes");
        held.push(tcp);
    }
    // While they are within their grace, a new connection is refused; the
    // client tries again, as a browser would, and gets in once the longest
    // busy one has had its time.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let health = poll("the API to answer while the flood holds on", || async {
        client
            .get(lab.app("/api/health"))
            .send()
            .await
            .ok()
            .filter(|response| response.status() == 200)
    })
    .await;
    assert_eq!(health.status(), 200);
    drop(held);
}

#[tokio::test]
async fn the_host_guard_judges_the_authority_a_server_would_act_on() {
    let lab = Lab::start().await;
    let app = lab.running.app_address;
    let port = app.port();
    let refused = [
        (
            "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n".to_owned(),
            400,
            "bad_host",
        ),
        (
            "GET http://evil.example/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_owned(),
            421,
            "foreign_host",
        ),
        (
            "GET https://evil.example/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_owned(),
            421,
            "foreign_host",
        ),
        (
            format!(
                "GET http://127.0.0.1:{port}@evil.example/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            ),
            400,
            "",
        ),
        (
            "GET /api/health HTTP/1.1\r\nHost: [::1]evil\r\n".to_owned(),
            400,
            "bad_host",
        ),
        (
            format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}.evil.example\r\n"),
            400,
            "bad_host",
        ),
        (
            "GET /api/health HTTP/1.1\r\nHost: localhost:http\r\n".to_owned(),
            400,
            "bad_host",
        ),
        (
            "GET /api/health HTTP/1.1\r\nHost: localhost:99999\r\n".to_owned(),
            400,
            "bad_host",
        ),
        ("GET /api/health HTTP/1.0\r\n".to_owned(), 400, "bad_host"),
    ];
    for (head, status, code) in refused {
        let response =
            raw_exchange(app, format!("{head}Connection: close\r\n\r\n").as_bytes()).await;
        assert_eq!(status_of(&response), status, "{head:?}\n{response}");
        assert!(
            !response.contains("\"status\":\"ok\""),
            "{head:?} reached the API"
        );
        assert!(response.contains(code), "{head:?}: {response}");
    }
    let allowed = [
        format!("GET http://127.0.0.1:{port}/api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"),
        format!("GET /api/health HTTP/1.1\r\nHost: localhost:{port}\r\n"),
        format!("GET /api/health HTTP/1.1\r\nHost: [::1]:{port}\r\n"),
    ];
    for head in allowed {
        let response =
            raw_exchange(app, format!("{head}Connection: close\r\n\r\n").as_bytes()).await;
        assert_eq!(status_of(&response), 200, "{head:?}\n{response}");
    }
    // The lab itself takes any Host: it is there to be experimented on.
    let lab_page = raw_exchange(
        lab.running.http_address,
        b"GET /lab/hello HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&lab_page), 200);
}

#[tokio::test]
async fn the_app_listener_speaks_http_1_1_only() {
    let lab = Lab::start().await;
    let app = lab.running.app_address;
    // HTTP/2 with prior knowledge: the preface and an empty SETTINGS frame.
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let answer = raw_exchange(app, &preface).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "no HTTP/2 frames come back: {answer:?}"
    );
    // An h2c upgrade is answered in HTTP/1.1, not switched.
    let upgrade = raw_exchange(
        app,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings, close\r\n\
          Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&upgrade), 200, "{upgrade}");
    assert!(upgrade.starts_with("HTTP/1.1 "));
}

#[tokio::test]
async fn an_oversized_body_is_a_413_with_the_limit_in_words() {
    let lab = Lab::start().await;
    // Too large for the API to read at all.
    let huge =
        json!({"method": "POST", "url": lab.http("/lab/headers"), "body": "x".repeat(1700 * 1024)});
    let (status, error) = lab.exchange(huge).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (413, Some("body_too_large")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1600 KB"),
        "{error}"
    );
    // Readable, but more than the inspector sends.
    let large =
        json!({"method": "POST", "url": lab.http("/lab/headers"), "body": "x".repeat(300 * 1024)});
    let (status, error) = lab.exchange(large).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (413, Some("body_too_large")),
        "{error}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("The body is larger than the 256 KB the inspector sends"),
        "{message}"
    );
}

#[tokio::test]
async fn every_api_error_reads_as_a_sentence() {
    let lab = Lab::start().await;
    let errors = [
        lab.exchange(json!({"method": "GET", "url": "ftp://x/"}))
            .await
            .1,
        lab.exchange(json!({"method": "GET", "url": "http://10.0.0.1/"}))
            .await
            .1,
        lab.exchange(json!({"method": "GET"})).await.1,
        reqwest::get(lab.app("/api/nope"))
            .await
            .expect("up")
            .json()
            .await
            .expect("JSON"),
        reqwest::get(lab.app("/api/lessons/nope"))
            .await
            .expect("up")
            .json()
            .await
            .expect("JSON"),
    ];
    for error in errors {
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(char::is_uppercase), "{message}");
        assert!(message.ends_with(['.', '?']), "{message}");
    }
}

/// A page elsewhere, a lab page included, cannot change anything through the
/// API: a browser says where a request came from, and only the app's own page
/// passes. Clients that say nothing (curl, Python) are the person at the keyboard.
#[tokio::test]
async fn changes_through_the_api_come_only_from_the_apps_own_page() {
    let lab = Lab::start().await;
    let client = reqwest::Client::new();
    for (origin, site) in [
        (lab.http(""), "same-site"),
        ("https://evil.example".to_owned(), "cross-site"),
    ] {
        let refused = client
            .post(lab.app("/api/progress/reset"))
            .header("Origin", &origin)
            .header("Sec-Fetch-Site", site)
            .send()
            .await
            .expect("up");
        assert_eq!(refused.status(), 403, "{origin}");
        let error: serde_json::Value = refused.json().await.expect("JSON");
        assert_eq!(error["code"], "cross_origin");
    }
    let own = client
        .post(lab.app("/api/progress/reset"))
        .header("Origin", lab.app("").trim_end_matches('/'))
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .expect("up");
    assert_eq!(own.status(), 200);
    let curl = client
        .post(lab.app("/api/progress/reset"))
        .send()
        .await
        .expect("up");
    assert_eq!(curl.status(), 200);
}
