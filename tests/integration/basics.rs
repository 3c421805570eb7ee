//! Lesson 1, "How the web works": every lab endpoint answers the same over the
//! app listener (HTTP) and the lab's HTTPS listener.

use safelab_tests::{Lab, get_json};

async fn both(lab: &Lab, path: &str) -> Vec<reqwest::Response> {
    let client = lab.trusting_client();
    let mut responses = Vec::new();
    for url in [lab.http(path), lab.https(path)] {
        responses.push(
            client
                .get(&url)
                .send()
                .await
                .unwrap_or_else(|error| panic!("{url}: {error}")),
        );
    }
    responses
}

#[tokio::test]
async fn hello_is_plain_text_on_both_listeners() {
    let lab = Lab::start().await;
    for response in both(&lab, "/lab/hello").await {
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/plain")
        );
        assert!(
            response
                .text()
                .await
                .unwrap_or_default()
                .contains("Hello from the safelab lab")
        );
    }
}

#[tokio::test]
async fn data_is_json_with_columns_and_rows() {
    let lab = Lab::start().await;
    for response in both(&lab, "/lab/data.json").await {
        assert_eq!(response.headers()["content-type"], "application/json");
        let data: serde_json::Value = response.json().await.expect("JSON body");
        let columns = data["columns"].as_array().expect("columns").len();
        let rows = data["rows"].as_array().expect("rows");
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|row| row.as_array().map(Vec::len) == Some(columns))
        );
    }
}

#[tokio::test]
async fn page_is_html() {
    let lab = Lab::start().await;
    for response in both(&lab, "/lab/page.html").await {
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/html")
        );
        assert!(response.text().await.unwrap_or_default().contains("<h1>"));
    }
}

#[tokio::test]
async fn status_answers_any_final_code_with_its_reason() {
    let lab = Lab::start().await;
    for (code, reason) in [
        (200, "OK"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (418, "I'm a teapot"),
        (505, "HTTP Version Not Supported"),
        (599, ""),
    ] {
        for response in both(&lab, &format!("/lab/status/{code}")).await {
            assert_eq!(response.status().as_u16(), code);
            let body: serde_json::Value = response.json().await.expect("JSON body");
            if !reason.is_empty() {
                assert_eq!(body["reason"], reason);
            }
        }
    }
    for response in both(&lab, "/lab/status/204").await {
        assert_eq!(response.status().as_u16(), 204);
        assert!(response.bytes().await.expect("empty body").is_empty());
    }
}

#[tokio::test]
async fn status_explains_interim_codes_and_refuses_nonsense() {
    let lab = Lab::start().await;
    for response in both(&lab, "/lab/status/103").await {
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["reason"], "Early Hints");
        assert!(
            body["note"]
                .as_str()
                .unwrap_or_default()
                .contains("interim")
        );
    }
    for path in ["/lab/status/600", "/lab/status/99", "/lab/status/teapot"] {
        for response in both(&lab, path).await {
            assert_eq!(response.status(), 400, "{path}");
            let body: serde_json::Value = response.json().await.expect("JSON error");
            assert!(
                body["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("100 to 599")
            );
        }
    }
}

#[tokio::test]
async fn headers_echoes_a_custom_header() {
    let lab = Lab::start().await;
    let client = lab.trusting_client();
    for url in [lab.http("/lab/headers"), lab.https("/lab/headers")] {
        let echo: serde_json::Value = client
            .get(&url)
            .header("X-Learner", "Ning")
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON body");
        assert_eq!(echo["method"], "GET");
        let headers = echo["headers"].as_array().expect("headers");
        assert!(
            headers.contains(&serde_json::json!(["x-learner", "Ning"])),
            "{echo}"
        );
    }
}

#[tokio::test]
async fn api_health_lab_and_ca() {
    let lab = Lab::start().await;
    let health = get_json(&lab.http("/api/health")).await;
    assert_eq!(health["status"], "ok");
    let info = get_json(&lab.http("/api/lab")).await;
    let ids: Vec<&str> = info["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, ["http", "https"]);
    assert_eq!(info["listeners"][1]["url"], lab.https(""));
    let pem = reqwest::get(lab.http("/ca.pem"))
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    assert_eq!(pem, lab.ca_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let missing = reqwest::get(lab.http("/api/nope")).await.expect("up");
    assert_eq!(missing.status(), 404);
    let error: serde_json::Value = missing.json().await.expect("JSON error");
    assert_eq!(error["code"], "no_such_endpoint");
}

#[tokio::test]
async fn lessons_are_served_with_try_it_requests() {
    let lab = Lab::start().await;
    let list = get_json(&lab.http("/api/lessons")).await;
    assert_eq!(list[0]["id"], "http-basics");
    let lesson = get_json(&lab.http("/api/lessons/http-basics")).await;
    assert_eq!(lesson["title"], "How the web works");
    let blocks = lesson["blocks"].as_array().expect("blocks");
    assert!(
        blocks
            .iter()
            .any(|block| block["kind"] == "request" && block["path"] == "/lab/hello")
    );
    let missing = reqwest::get(lab.http("/api/lessons/nope"))
        .await
        .expect("up");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_https_listener_serves_the_lab_only() {
    let lab = Lab::start().await;
    let client = lab.trusting_client();
    for path in ["/", "/api/health", "/api/exchange", "/ca.pem"] {
        let response = client.get(lab.https(path)).send().await.expect("answers");
        assert_eq!(response.status(), 404, "{path}");
        let error: serde_json::Value = response.json().await.expect("JSON error");
        assert!(
            error["error"]
                .as_str()
                .unwrap_or_default()
                .contains("lab only"),
            "{path}: {error}"
        );
    }
}

#[tokio::test]
async fn the_app_answers_only_to_loopback_host_names() {
    let lab = Lab::start().await;
    let client = reqwest::Client::new();
    let rebound = client
        .get(lab.http("/api/health"))
        .header("Host", "attacker.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(rebound.status(), 421);
    let error: serde_json::Value = rebound.json().await.expect("JSON error");
    assert_eq!(error["code"], "foreign_host");
    for host in ["localhost", "127.0.0.1"] {
        let port = lab.running.app_address.port();
        let fine = client
            .get(lab.http("/api/health"))
            .header("Host", format!("{host}:{port}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(fine.status(), 200, "{host}");
    }
    // The lab itself is for experiments, Host header included.
    let lab_page = client
        .get(lab.http("/lab/headers"))
        .header("Host", "attacker.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(lab_page.status(), 200);
}
