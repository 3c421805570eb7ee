//! The request inspector (`POST /api/exchange`): the whole exchange with chain
//! and verdict, and the limits that keep it from becoming an open proxy.

use rustls::pki_types::pem::PemObject;
use safelab_tests::Lab;
use serde_json::json;

#[tokio::test]
async fn an_https_exchange_returns_the_chain_and_a_positive_verdict() {
    let lab = Lab::start().await;
    let (status, exchange) = lab
        .exchange(json!({"method": "GET", "url": lab.https("/lab/hello"), "headers": [["X-Learner", "Ning"]]}))
        .await;
    assert_eq!(status, 200, "{exchange}");
    assert_eq!(exchange["status"], 200);
    assert_eq!(exchange["reason"], "OK");
    assert_eq!(exchange["http_version"], "HTTP/1.1");
    let request = exchange["request"].as_str().expect("request text");
    assert!(
        request.starts_with("GET /lab/hello HTTP/1.1\r\nHost: localhost:"),
        "{request}"
    );
    assert!(request.contains("\r\nX-Learner: Ning\r\n"));
    assert!(
        exchange["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Hello")
    );
    assert_eq!(exchange["body_truncated"], false);
    let header_names: Vec<&str> = exchange["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .filter_map(|h| h[0].as_str())
        .collect();
    assert!(header_names.contains(&"content-type"));
    for timing in ["connect_ms", "tls_ms", "first_byte_ms", "total_ms"] {
        assert!(
            exchange["timings"][timing]
                .as_f64()
                .is_some_and(|ms| ms >= 0.0),
            "{timing}"
        );
    }

    let tls = &exchange["tls"];
    assert_eq!(tls["verified"], true, "{tls}");
    assert!(tls["error"].is_null());
    assert!(
        tls["trust_store"]
            .as_str()
            .unwrap_or_default()
            .contains("safelab")
    );
    assert!(["TLS 1.3", "TLS 1.2"].contains(&tls["version"].as_str().unwrap_or_default()));
    assert_eq!(tls["alpn"], "http/1.1");
    // The path the verifier built: the two certificates the server sent, then
    // the root from the trust store, which the server never sends.
    let chain = tls["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 3, "{tls}");
    let (leaf, intermediate, root) = (&chain[0], &chain[1], &chain[2]);
    assert!(
        leaf["sans"]
            .as_array()
            .expect("sans")
            .contains(&json!("DNS:localhost"))
    );
    assert!(
        leaf["sans"]
            .as_array()
            .expect("sans")
            .contains(&json!("IP:127.0.0.1"))
    );
    assert_eq!(leaf["is_ca"], false);
    assert_eq!(leaf["key_algorithm"], "ECDSA P-256");
    assert_eq!(leaf["issuer"], intermediate["subject"]);
    assert_eq!(intermediate["is_ca"], true);
    assert_eq!(intermediate["issuer"], root["subject"]);
    assert!(
        root["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("root")
    );
    assert_eq!(root["subject"], root["issuer"], "a root signs itself");
    for (certificate, source) in [
        (leaf, "server"),
        (intermediate, "server"),
        (root, "trust_store"),
    ] {
        assert_eq!(certificate["source"], source, "{certificate}");
        assert_eq!(certificate["in_path"], true);
    }
    let root_pem = lab.ca_pem();
    let root_der =
        rustls::pki_types::CertificateDer::from_pem_slice(root_pem.as_bytes()).expect("PEM");
    let digest = ring_sha256(root_der.as_ref());
    assert_eq!(root["sha256"], digest, "the anchor is safelab's own root");
    assert_eq!(
        leaf["sha256"].as_str().unwrap_or_default().len(),
        32 * 3 - 1
    );
}

/// SHA-256 as colon-separated upper-case hex, as the inspector shows it.
fn ring_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[tokio::test]
async fn an_https_chain_carries_usages_constraints_and_a_pem_of_each_certificate() {
    let lab = Lab::start().await;
    let (status, exchange) = lab
        .exchange(json!({"method": "GET", "url": lab.https("/lab/hello")}))
        .await;
    assert_eq!(status, 200, "{exchange}");
    let chain = exchange["tls"]["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 3, "{exchange}");
    let (leaf, intermediate, root) = (&chain[0], &chain[1], &chain[2]);
    assert!(
        leaf["extended_key_usage"]
            .as_array()
            .expect("EKU")
            .contains(&json!("TLS Web Server Authentication (serverAuth)")),
        "{leaf}"
    );
    assert_eq!(leaf["key_usage"], json!(["Digital Signature"]));
    assert_eq!(intermediate["path_length"], 0);
    for authority in [intermediate, root] {
        assert!(
            authority["key_usage"]
                .as_array()
                .expect("key usage")
                .contains(&json!("Key Cert Sign")),
            "{authority}"
        );
    }
    assert!(
        root["name_constraints"]
            .as_array()
            .expect("name constraints")
            .contains(&json!("permitted DNS:localhost")),
        "{root}"
    );
    for certificate in chain {
        let pem = certificate["pem"].as_str().expect("PEM");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM");
        assert_eq!(certificate["sha256"], ring_sha256(der.as_ref()));
        assert_eq!(
            certificate["sha1"].as_str().unwrap_or_default().len(),
            20 * 3 - 1
        );
    }
}

#[tokio::test]
async fn a_plain_http_exchange_has_no_tls_and_keeps_the_path_as_written() {
    let lab = Lab::start().await;
    let (status, exchange) = lab
        .exchange(json!({"method": "GET", "url": lab.http("/lab/./status/../status/418")}))
        .await;
    assert_eq!(status, 200, "{exchange}");
    assert!(exchange["tls"].is_null());
    assert!(exchange["timings"]["tls_ms"].is_null());
    assert!(
        exchange["request"]
            .as_str()
            .unwrap_or_default()
            .starts_with("GET /lab/./status/../status/418 HTTP/1.1")
    );
    // The server does not normalise dot segments either, so this matches no route.
    assert_eq!(exchange["status"], 404);
    assert!(
        exchange["body"]
            .as_str()
            .unwrap_or_default()
            .contains("no lab endpoint")
    );
}

#[tokio::test]
async fn a_body_is_sent_with_its_length() {
    let lab = Lab::start().await;
    let (_, exchange) = lab
        .exchange(json!({"method": "POST", "url": lab.http("/lab/headers"), "body": "year=2021"}))
        .await;
    let echo: serde_json::Value =
        serde_json::from_str(exchange["body"].as_str().expect("body")).expect("JSON echo");
    assert_eq!(echo["method"], "POST");
    assert!(
        echo["headers"]
            .as_array()
            .expect("headers")
            .contains(&json!(["Content-Length", "9"])),
        "the echo shows header names as the inspector sent them: {echo}"
    );
}

#[tokio::test]
async fn targets_outside_the_lab_are_refused_with_a_reason() {
    let lab = Lab::start().await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:22/",
        "https://example.com/",
    ] {
        let (status, error) = lab.exchange(json!({"method": "GET", "url": url})).await;
        assert_eq!(status, 403, "{url}: {error}");
        assert_eq!(error["code"], "target_not_allowed");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("--allow-host")
        );
    }
    let (status, error) = lab
        .exchange(json!({"method": "GET", "url": lab.app("/api/exchange")}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("api_not_a_target"))
    );
}

#[tokio::test]
async fn bad_input_gets_a_400_that_says_what_is_wrong() {
    let lab = Lab::start().await;
    let raw = reqwest::Client::new()
        .post(lab.app("/api/exchange"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(raw.status(), 400);
    let error: serde_json::Value = raw.json().await.expect("JSON error");
    assert_eq!(error["code"], "bad_json");

    let cases = [
        (json!({"method": "GET"}), "bad_json"),
        (
            json!({"method": "GET", "url": "ftp://localhost/"}),
            "invalid_url",
        ),
        (json!({"method": "GET", "url": "not a url"}), "invalid_url"),
        (
            json!({"method": "G E T", "url": lab.http("/lab/hello")}),
            "invalid_method",
        ),
        (
            json!({"method": "GET", "url": lab.http("/lab/hello"), "headers": [["X", "a\r\nInjected: 1"]]}),
            "invalid_header",
        ),
    ];
    for (body, code) in cases {
        let (status, error) = lab.exchange(body.clone()).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some(code)),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn a_connection_failure_is_a_json_error_with_the_reason() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let lab = Lab::start_with(|config| config.allow_hosts.push(closed.to_string())).await;
    let (status, error) = lab
        .exchange(json!({"method": "GET", "url": format!("http://{closed}/")}))
        .await;
    assert_eq!(status, 502, "{error}");
    assert_eq!(error["code"], "connect_failed");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Could not connect")
    );
}

#[tokio::test]
async fn plain_http_to_the_https_port_is_explained() {
    let lab = Lab::start().await;
    let url = format!(
        "http://127.0.0.1:{}/lab/hello",
        lab.running.https_address.port()
    );
    let (status, error) = lab.exchange(json!({"method": "GET", "url": url})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (502, Some("malformed_response")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("use an https:// URL"),
        "{error}"
    );
}

#[tokio::test]
async fn a_smuggled_second_request_cannot_reach_the_api() {
    let lab = Lab::start().await;
    let smuggled = "POST /api/exchange HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    // The app listener is no target at all, whatever the path.
    for path in ["/", "/lab/hello", "/index.html"] {
        let (status, error) = lab
            .exchange(json!({"method": "GET", "url": lab.app(path)}))
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (403, Some("api_not_a_target")),
            "{path}: {error}"
        );
    }
    // The lab listeners serve no API, so framing goes out as written there and
    // a smuggled request can only reach the lab.
    for url in [lab.http("/lab/hello"), lab.https("/lab/hello")] {
        let study = json!({
            "method": "POST",
            "url": url,
            "headers": [["Content-Length", "0"], ["Connection", "keep-alive"]],
            "body": smuggled,
        });
        let (status, exchange) = lab.exchange(study).await;
        assert_eq!(status, 200, "{exchange}");
        assert!(
            exchange["request"]
                .as_str()
                .unwrap_or_default()
                .ends_with(smuggled)
        );
    }
}

/// A TLS server outside the lab with a self-signed certificate: it accepts one
/// connection and reports whether any request bytes reached it.
async fn self_signed_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<usize>) {
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .expect("server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let served = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let Ok(mut tls) = acceptor.accept(tcp).await else {
            return 0;
        };
        let mut received = Vec::new();
        let _ = tls.read_to_end(&mut received).await;
        received.len()
    });
    (address, served)
}

#[tokio::test]
async fn an_allowed_host_with_an_unverifiable_chain_gets_no_request() {
    let (address, served) = self_signed_server().await;
    let lab = Lab::start_with(|config| config.allow_hosts.push(address.to_string())).await;
    let (status, error) = lab
        .exchange(json!({"method": "GET", "url": format!("https://{address}/"), "headers": [["Authorization", "Bearer secret"]]}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (502, Some("untrusted_certificate")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not verify")
    );
    drop(lab);
    assert_eq!(
        served.await.expect("server task"),
        0,
        "no request bytes were sent"
    );
}

/// Raw mode: the bytes as typed, CR LF added unless asked otherwise, to the
/// lab's listeners only.
#[tokio::test]
async fn raw_requests_go_to_lab_listeners_exactly_as_typed() {
    let lab = Lab::start().await;
    let raw = |body: serde_json::Value| {
        let lab = &lab;
        async move {
            let response = reqwest::Client::new()
                .post(lab.app("/api/raw"))
                .json(&body)
                .send()
                .await
                .expect("the API answers");
            let status = response.status().as_u16();
            (
                status,
                response.json::<serde_json::Value>().await.expect("JSON"),
            )
        }
    };
    let traversal =
        "GET /lab/insecure/files/../../../etc/passwd HTTP/1.1\nHost: x\nConnection: close\n\n";
    for listener in ["http", "https"] {
        let (status, exchange) = raw(json!({"listener": listener, "text": traversal})).await;
        assert_eq!(status, 200, "{exchange}");
        assert_eq!(exchange["status"], 200);
        assert!(
            exchange["body"]
                .as_str()
                .unwrap_or_default()
                .contains("root:x:0:0")
        );
        assert_eq!(
            exchange["request"],
            "GET /lab/insecure/files/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(exchange["tls"].is_object(), listener == "https");
    }
    let (_, as_typed) = raw(json!({"listener": "http", "text": "GET /lab/hello HTTP/1.1\nHost: x\nConnection: close\n\n", "line_endings": "as_typed"})).await;
    assert_eq!(
        as_typed["request"],
        "GET /lab/hello HTTP/1.1\nHost: x\nConnection: close\n\n"
    );

    let (status, error) =
        raw(json!({"listener": "app", "text": "GET /api/health HTTP/1.1\r\n\r\n"})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("not_a_lab_listener")),
        "{error}"
    );
    let (status, error) = raw(json!({"listener": "mainframe", "text": ""})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("bad_json")),
        "{error}"
    );
    // A head that never ends: the server waits, and the learner is told why.
    let (status, error) =
        raw(json!({"listener": "http", "text": "GET /lab/hello HTTP/1.1\r\nHost: x\r\n"})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (504, Some("raw_unanswered")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("empty line")
    );
}
