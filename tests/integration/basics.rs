//! Lesson `basics`, "How the web works": every lab endpoint answers the same
//! over the lab's HTTP and HTTPS listeners, and its challenges are solved by
//! what the lab sees.

use safelab_tests::{Lab, get_json, raw_exchange};

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
    let health = get_json(&lab.app("/api/health")).await;
    assert_eq!(health["status"], "ok");
    let info = get_json(&lab.app("/api/lab")).await;
    let ids: Vec<&str> = info["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, ["app", "http", "https", "attacker"]);
    assert_eq!(info["listeners"][0]["url"], lab.app(""));
    assert_eq!(info["listeners"][1]["url"], lab.http(""));
    assert_eq!(info["listeners"][2]["url"], lab.https(""));
    assert_eq!(info["listeners"][3]["url"], lab.attacker(""));
    let pem = reqwest::get(lab.app("/ca.pem"))
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    assert_eq!(pem, lab.ca_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let missing = reqwest::get(lab.app("/api/nope")).await.expect("up");
    assert_eq!(missing.status(), 404);
    let error: serde_json::Value = missing.json().await.expect("JSON error");
    assert_eq!(error["code"], "no_such_endpoint");
}

#[tokio::test]
async fn lessons_are_served_with_try_it_requests() {
    let lab = Lab::start().await;
    let list = get_json(&lab.app("/api/lessons")).await;
    assert_eq!(list[0]["id"], "basics");
    let lesson = get_json(&lab.app("/api/lessons/basics")).await;
    assert_eq!(lesson["title"], "How the web works");
    let blocks = lesson["blocks"].as_array().expect("blocks");
    assert!(
        blocks
            .iter()
            .any(|block| block["kind"] == "request" && block["path"] == "/lab/hello")
    );
    let missing = reqwest::get(lab.app("/api/lessons/nope"))
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
        .get(lab.app("/api/health"))
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
            .get(lab.app("/api/health"))
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

#[tokio::test]
async fn redirects_say_where_to_go_and_the_target_says_which_method_arrived() {
    let lab = Lab::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for code in [300, 301, 302, 303, 307, 308] {
        let response = client
            .post(lab.http(&format!("/lab/status/{code}")))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), code);
        assert_eq!(response.headers()["location"], "/lab/redirected", "{code}");
    }
    let not_modified = client
        .get(lab.http("/lab/status/304"))
        .send()
        .await
        .expect("answers");
    assert!(not_modified.headers().get("location").is_none());
    let landed: serde_json::Value = client
        .put(lab.http("/lab/redirected"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(landed["arrived_with"], "PUT");
}

#[tokio::test]
async fn a_code_without_a_reason_phrase_has_none_on_the_wire() {
    let lab = Lab::start().await;
    let response = raw_exchange(
        lab.running.http_address,
        b"GET /lab/status/599 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 599 \r\n"), "{response}");
    assert!(!response.contains("<none>"));
    let (_, exchange) = lab
        .exchange(serde_json::json!({"method": "GET", "url": lab.https("/lab/status/599")}))
        .await;
    assert_eq!(
        (exchange["status"].as_u64(), exchange["reason"].as_str()),
        (Some(599), Some(""))
    );
}

#[tokio::test]
async fn data_travels_gzip_compressed_when_the_client_asks() {
    use std::io::Read;
    let lab = Lab::start().await;
    let client = reqwest::Client::new();
    let plain = client
        .get(lab.http("/lab/data.json"))
        .send()
        .await
        .expect("answers");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.expect("body");
    let packed = client
        .get(lab.http("/lab/data.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    assert_eq!(packed.headers()["content-type"], "application/json");
    assert!(
        packed.headers()["vary"]
            .to_str()
            .unwrap_or_default()
            .contains("Accept-Encoding")
    );
    let packed = packed.bytes().await.expect("body");
    assert!(packed.len() < plain.len());
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .expect("real gzip");
    assert_eq!(unpacked, plain);

    // The inspector shows it unpacked, and says so.
    let (_, exchange) = lab
        .exchange(serde_json::json!({
            "method": "GET", "url": lab.http("/lab/data.json"), "headers": [["Accept-Encoding", "gzip"]]
        }))
        .await;
    assert_eq!(exchange["decompressed"]["encoding"], "gzip");
    assert_eq!(exchange["body_bytes"].as_u64(), Some(packed.len() as u64));
    let body: serde_json::Value =
        serde_json::from_str(exchange["body"].as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(body["columns"][0], "year");
}

#[tokio::test]
async fn admissions_answer_in_the_form_accept_asks_for() {
    let lab = Lab::start().await;
    let client = lab.trusting_client();
    for url in [lab.http("/lab/admissions"), lab.https("/lab/admissions")] {
        let ask = |accept: Option<&'static str>| {
            let mut request = client.get(&url);
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            request.send()
        };
        let page = ask(None).await.expect("answers");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/html")
        );
        let any = ask(Some("*/*")).await.expect("answers");
        assert!(
            any.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/html")
        );
        let json = ask(Some("application/json")).await.expect("answers");
        assert_eq!(json.headers()["content-type"], "application/json");
        let rows: serde_json::Value = json.json().await.expect("JSON");
        assert_eq!(rows["rows"].as_array().map(Vec::len), Some(6));
        let csv = ask(Some("text/csv")).await.expect("answers");
        assert!(
            csv.headers()["vary"]
                .to_str()
                .unwrap_or_default()
                .contains("Accept")
        );
        let text = csv.text().await.expect("CSV");
        assert!(
            text.starts_with("year,region,admissions,median_stay_days\n2021,North,1204,3.5\n"),
            "{text}"
        );
        let refused = ask(Some("application/xml")).await.expect("answers");
        assert_eq!(refused.status(), 406);
        let error: serde_json::Value = refused.json().await.expect("JSON");
        assert_eq!(error["available"][1], "application/json");
    }
}

#[tokio::test]
async fn the_echo_shows_header_names_as_the_client_spelt_them() {
    let lab = Lab::start().await;
    // Two requests on one connection: each echo shows its own head.
    let response = raw_exchange(
        lab.running.http_address,
        b"POST /lab/headers HTTP/1.1\r\nHost: x\r\nX-Learner: Ning\r\nContent-Length: 4\r\n\r\nbody\
          GET /lab/headers HTTP/1.1\r\nHOST: y\r\nx-lower: case\r\nConnection: close\r\n\r\n",
    )
    .await;
    let echoes: Vec<serde_json::Value> = response
        .match_indices("{\"headers\"")
        .filter_map(|(start, _)| {
            serde_json::Deserializer::from_str(&response[start..])
                .into_iter::<serde_json::Value>()
                .next()
                .and_then(Result::ok)
        })
        .collect();
    assert_eq!(echoes.len(), 2, "{response}");
    assert_eq!(echoes[0]["method"], "POST");
    assert_eq!(echoes[0]["names_as_sent"], true);
    assert!(
        echoes[0]["headers"]
            .as_array()
            .expect("headers")
            .contains(&serde_json::json!(["X-Learner", "Ning"]))
    );
    assert_eq!(echoes[1]["headers"][0], serde_json::json!(["HOST", "y"]));
    assert_eq!(
        echoes[1]["headers"][1],
        serde_json::json!(["x-lower", "case"])
    );
}

#[tokio::test]
async fn the_app_listener_serves_nothing_of_the_lab() {
    let lab = Lab::start().await;
    for path in ["/lab", "/lab/hello", "/lab/status/418?x=1"] {
        let response = reqwest::get(lab.app(path)).await.expect("answers");
        assert_eq!(response.status(), 404, "{path}");
        let error: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(error["code"], "lab_elsewhere");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(&lab.http(path)), "{message}");
    }
    for path in ["/api/health", "/"] {
        let outside = reqwest::get(lab.http(path)).await.expect("answers");
        assert_eq!(outside.status(), 404, "the lab listener serves no {path}");
    }
}

/// The lesson's challenges are solved by what the lab sees, whichever client
/// sent it: the builder, a raw socket, any HTTP library.
#[tokio::test]
async fn each_challenge_is_solved_by_what_the_lab_sees_from_any_client() {
    let lab = Lab::start().await;
    assert!(lab.solved("basics").await.is_empty());
    // Asking for nothing in particular solves nothing.
    for path in [
        "/lab/headers",
        "/lab/admissions",
        "/lab/data.json",
        "/lab/hello",
    ] {
        reqwest::get(lab.http(path)).await.expect("answers");
    }
    let python_over_http = reqwest::Client::builder()
        .user_agent("python-requests/2.34.2")
        .build()
        .expect("client");
    python_over_http
        .get(lab.http("/lab/hello"))
        .send()
        .await
        .expect("answers");
    assert!(lab.solved("basics").await.is_empty());

    // The builder, a raw socket, and another HTTP client.
    let (status, _) = lab
        .exchange(serde_json::json!({
            "method": "GET", "url": lab.https("/lab/headers"), "headers": [["X-Project", "admissions"]],
        }))
        .await;
    assert_eq!(status, 200);
    raw_exchange(
        lab.running.http_address,
        b"GET /lab/admissions HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
    )
    .await;
    reqwest::Client::new()
        .get(lab.http("/lab/data.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        lab.solved("basics").await,
        ["compressed", "ask-for-json", "custom-header"]
    );
    lab.trusting_client()
        .get(lab.https("/lab/hello"))
        .header("User-Agent", "python-requests/2.34.2")
        .send()
        .await
        .expect("answers");
    assert_eq!(lab.solved("basics").await.len(), 4);
}

/// The echo never shows cookies: the browser sends the lab those of every
/// service on this machine's name.
#[tokio::test]
async fn the_echo_hides_cookies() {
    let lab = Lab::start().await;
    let echo: serde_json::Value = reqwest::Client::new()
        .get(lab.http("/lab/headers"))
        .header("Cookie", "notebook-session=secret-token")
        .send()
        .await
        .expect("up")
        .json()
        .await
        .expect("JSON");
    let text = echo.to_string();
    assert!(!text.contains("secret-token"), "{text}");
    assert!(text.contains("hidden"), "{text}");
}
