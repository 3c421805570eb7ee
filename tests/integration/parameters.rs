//! Lesson `parameters`, "Query parameters": every attack works on the insecure
//! twin and fails on the secure one, whichever way it is sent (plain HTTP,
//! HTTPS, raw bytes on a socket, the request inspector); a long list of
//! malformed and malicious parameters never gets a 500 or the confidential
//! column from the secure twin, only a 4xx JSON error naming the parameter;
//! no request to either twin panics, hangs or reveals anything of the host;
//! and each challenge is solved exactly when the lab sees it done.

use safelab_tests::{Lab, PATIENCE, get_json, raw_exchange, repo_root};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const INSECURE: &str = "/lab/insecure/dataset";
const SECURE: &str = "/lab/secure/dataset";
const LESSON: &str = "parameters";
/// How many rows the data set has.
const ROWS: u64 = 3000;

/// How a request reaches the lab.
#[derive(Debug, Clone, Copy)]
enum Transport {
    /// reqwest over the plain-HTTP listener.
    Http,
    /// reqwest over HTTPS, trusting the lab's CA.
    Https,
    /// The exact bytes on a TCP socket, as netcat would send them.
    Raw,
    /// The request inspector (`POST /api/exchange`), over HTTPS.
    Inspector,
}

const TRANSPORTS: [Transport; 4] = [
    Transport::Http,
    Transport::Https,
    Transport::Raw,
    Transport::Inspector,
];

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    /// Every header, as `name: value` lines, for the checks on what leaks.
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// Sends `GET path_and_query` (sent exactly as written by the raw socket and
/// the inspector) and returns the answer.
async fn send(lab: &Lab, transport: Transport, path_and_query: &str) -> Answer {
    match transport {
        Transport::Http | Transport::Https => {
            let (client, url) = match transport {
                Transport::Http => (reqwest::Client::new(), lab.http(path_and_query)),
                _ => (lab.trusting_client(), lab.https(path_and_query)),
            };
            let response = client
                .get(&url)
                .send()
                .await
                .unwrap_or_else(|error| panic!("{url}: {error}"));
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or_default()))
                .collect();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.text().await.expect("a body");
            Answer {
                status,
                content_type,
                headers,
                body,
            }
        }
        Transport::Raw => {
            let request =
                format!("GET {path_and_query} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n");
            parse_raw(&raw_exchange(lab.running.http_address, request.as_bytes()).await)
        }
        Transport::Inspector => {
            let url = lab.https(path_and_query);
            let (status, exchange) = lab.exchange(json!({"method": "GET", "url": url})).await;
            assert_eq!(status, 200, "the inspector sent {url}: {exchange}");
            let pairs = exchange["headers"].as_array().expect("headers").clone();
            let header = |wanted: &str| {
                pairs
                    .iter()
                    .find(|pair| {
                        pair[0]
                            .as_str()
                            .is_some_and(|name| name.eq_ignore_ascii_case(wanted))
                    })
                    .and_then(|pair| pair[1].as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(exchange["body_truncated"], false, "{url}");
            Answer {
                status: u16::try_from(exchange["status"].as_u64().expect("a status"))
                    .expect("a status code"),
                content_type: header("content-type"),
                headers: pairs
                    .iter()
                    .map(|pair| format!("{}: {}\n", pair[0], pair[1]))
                    .collect(),
                body: exchange["body"].as_str().unwrap_or_default().to_owned(),
            }
        }
    }
}

/// A raw HTTP/1.1 response, read until the server closed the connection.
fn parse_raw(response: &str) -> Answer {
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head:?}"));
    let content_type = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        headers: head.to_owned(),
        body: body.to_owned(),
    }
}

/// Nothing of the machine the lab runs on: not the repository, the home or
/// data folder, the build, or a Rust panic.
fn assert_reveals_nothing_of_the_host(lab: &Lab, what: &str, answer: &Answer) {
    let text = format!("{}\n{}", answer.headers, answer.body);
    let mut forbidden = vec![
        repo_root().display().to_string(),
        lab.data.path().display().to_string(),
        "/home/".to_owned(),
        "CARGO".to_owned(),
        "RUST_".to_owned(),
        "panicked".to_owned(),
        ".rs:".to_owned(),
        "target/debug".to_owned(),
        "backend/src".to_owned(),
    ];
    if let Some(home) = std::env::var_os("HOME").filter(|home| home.len() > 1) {
        forbidden.push(home.to_string_lossy().into_owned());
    }
    for needle in forbidden {
        assert!(
            !text.contains(&needle),
            "{what} reveals {needle:?}:\n{text}"
        );
    }
}

/// The secure twin's refusal of `what`: a 400 (or 414) JSON error naming
/// `parameter`, never the confidential column.
fn assert_refused(what: &str, answer: &Answer, parameter: Option<&str>) {
    let expected_status = if parameter.is_some() { 400 } else { 414 };
    assert_eq!(answer.status, expected_status, "{what}: {}", answer.body);
    assert_eq!(answer.content_type, "application/json", "{what}");
    let error = answer.json();
    assert_eq!(error["parameter"].as_str(), parameter, "{what}: {error}");
    for field in ["error", "expected", "received"] {
        assert!(error[field].is_string(), "{what}: {field} in {error}");
    }
    assert!(!answer.body.contains("FAKE-"), "{what}: {}", answer.body);
}

/// The insecure twin's debug page for `what`.
fn assert_leaks_internals(what: &str, answer: &Answer) {
    assert_eq!(answer.status, 500, "{what}: {}", answer.body);
    assert!(answer.content_type.starts_with("text/plain"), "{what}");
    for shown in [
        "Traceback (most recent call last)",
        "/srv/clinic/stats-api/",
        "DATABASE_URL",
    ] {
        assert!(
            answer.body.contains(shown),
            "{what} lacks {shown:?}: {}",
            answer.body
        );
    }
}

/// Parameters that make the insecure twin crash, and the parameter the secure
/// twin names when it refuses them.
const CRASHES: [(&str, &str); 8] = [
    ("year=abc", "year"),
    ("limit=-5", "limit"),
    ("offset=-1", "offset"),
    ("region=North'", "region"),
    ("region=North%00", "region"),
    ("region=%ff", "region"),
    ("year=%zz", "year"),
    ("columns=year,nope", "columns"),
];

/// Parameters that make the insecure twin serve the confidential column.
const CONFIDENTIAL: [&str; 3] = [
    "columns=record_id,national_id&limit=3",
    "columns=*&limit=3",
    "columns=year%2CNATIONAL_ID&limit=3",
];

/// Parameters that make the insecure twin serve the whole table.
const DUMPS: [&str; 3] = ["limit=100000", "limit=ALL", "limit=3000"];

#[tokio::test]
async fn good_slices_are_the_same_on_both_twins_and_both_listeners() {
    let lab = Lab::start().await;
    let query = "?year=2021&region=North&columns=record_id,diagnosis,length_of_stay&limit=5";
    let mut answers = Vec::new();
    for transport in TRANSPORTS {
        for twin in [INSECURE, SECURE] {
            let answer = send(&lab, transport, &format!("{twin}{query}")).await;
            assert_eq!(answer.status, 200, "{transport:?} {twin}: {}", answer.body);
            assert_eq!(answer.content_type, "application/json");
            answers.push(answer.json());
        }
    }
    let first = &answers[0];
    assert!(answers.iter().all(|answer| answer == first), "{answers:?}");
    assert_eq!(
        first["columns"],
        json!(["record_id", "diagnosis", "length_of_stay"])
    );
    assert_eq!(first["returned"], 5);
    let matched = first["matched"].as_u64().expect("matched");
    assert!((50..500).contains(&matched), "{first}");

    // Paging with offset walks every matching row once, on the secure twin.
    let mut seen = Vec::new();
    let mut offset = 0;
    while offset < matched {
        let page = get_json(&lab.http(&format!(
            "{SECURE}?year=2021&region=North&columns=record_id&limit=40&offset={offset}"
        )))
        .await;
        let rows = page["rows"].as_array().expect("rows").clone();
        assert!(!rows.is_empty() && rows.len() <= 40);
        offset += rows.len() as u64;
        seen.extend(rows);
    }
    assert_eq!(seen.len() as u64, matched);
    let defaults = get_json(&lab.http(SECURE)).await;
    assert_eq!(
        (defaults["returned"].as_u64(), defaults["matched"].as_u64()),
        (Some(50), Some(ROWS))
    );

    // Only the insecure twin's description names the confidential column.
    let insecure = get_json(&lab.http(&format!("{INSECURE}/columns"))).await;
    let secure = get_json(&lab.http(&format!("{SECURE}/columns"))).await;
    assert!(insecure.to_string().contains("national_id"));
    assert!(!secure.to_string().contains("national_id"));
    assert_eq!(secure["columns"].as_array().map(Vec::len), Some(10));
}

#[tokio::test]
async fn a_bad_value_crashes_the_insecure_twin_and_gets_a_400_from_the_secure_one() {
    let lab = Lab::start().await;
    for transport in TRANSPORTS {
        for (query, parameter) in CRASHES {
            let what = format!("{transport:?} {query}");
            let insecure = send(&lab, transport, &format!("{INSECURE}?{query}")).await;
            assert_leaks_internals(&what, &insecure);
            assert_reveals_nothing_of_the_host(&lab, &what, &insecure);
            let secure = send(&lab, transport, &format!("{SECURE}?{query}")).await;
            assert_refused(&what, &secure, Some(parameter));
            assert_reveals_nothing_of_the_host(&lab, &what, &secure);
        }
    }
    // The debug page shows the query the app built by pasting the value in.
    let page = send(&lab, Transport::Http, &format!("{INSECURE}?year=abc")).await;
    assert!(
        page.body.contains("WHERE year = abc ORDER BY"),
        "{}",
        page.body
    );
    assert!(page.body.contains("column \"abc\" does not exist"));
    let unicode = send(&lab, Transport::Raw, &format!("{INSECURE}?region=%ff")).await;
    assert!(
        unicode.body.contains("UnicodeDecodeError"),
        "{}",
        unicode.body
    );
}

#[tokio::test]
async fn the_confidential_column_leaks_from_the_insecure_twin_only() {
    let lab = Lab::start().await;
    for transport in TRANSPORTS {
        for query in CONFIDENTIAL {
            let what = format!("{transport:?} {query}");
            let insecure = send(&lab, transport, &format!("{INSECURE}?{query}")).await;
            assert_eq!(insecure.status, 200, "{what}");
            let slice = insecure.json();
            let column = slice["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .position(|name| name == "national_id")
                .unwrap_or_else(|| panic!("{what}: {slice}"));
            let rows = slice["rows"].as_array().expect("rows");
            assert_eq!(rows.len(), 3, "{what}");
            assert!(rows.iter().all(|row| {
                row[column]
                    .as_str()
                    .is_some_and(|id| id.starts_with("FAKE-"))
            }));
            let secure = send(&lab, transport, &format!("{SECURE}?{query}")).await;
            assert_refused(&what, &secure, Some("columns"));
        }
    }
}

#[tokio::test]
async fn an_unbounded_limit_dumps_the_insecure_table_and_the_secure_twin_caps_it() {
    let lab = Lab::start().await;
    for transport in TRANSPORTS {
        for query in DUMPS {
            let what = format!("{transport:?} {query}");
            let insecure = send(&lab, transport, &format!("{INSECURE}?{query}")).await;
            assert_eq!(insecure.status, 200, "{what}");
            let slice = insecure.json();
            assert_eq!(slice["returned"].as_u64(), Some(ROWS), "{what}");
            let secure = send(&lab, transport, &format!("{SECURE}?{query}")).await;
            assert_refused(&what, &secure, Some("limit"));
        }
    }
    let capped = get_json(&lab.http(&format!("{SECURE}?limit=500"))).await;
    assert_eq!(capped["returned"], 500);
}

/// Malformed and malicious query strings, and the parameter the secure twin
/// must name when it refuses each (`None`: too long, 414).
fn hostile_queries() -> Vec<(String, Option<&'static str>)> {
    let named = [
        // Not a year.
        ("year=abc", "year"),
        ("year=", "year"),
        ("year", "year"),
        ("year=2021.0", "year"),
        ("year=1e3", "year"),
        ("year=0x7e5", "year"),
        ("year=%202021", "year"),
        ("year=2021%20", "year"),
        ("year=-2021", "year"),
        ("year=+2021", "year"),
        ("year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%91", "year"),
        ("year=%C2%B2", "year"),
        ("year=2018", "year"),
        ("year=2025", "year"),
        ("year=99999999999999999999999999999999999999999", "year"),
        ("year=2021%20OR%201%3D1", "year"),
        ("year=2021;DROP%20TABLE%20admissions", "year"),
        ("year=2021'--", "year"),
        // Not a region.
        ("region=North'", "region"),
        ("region=North%27%20OR%20%271%27%3D%271", "region"),
        ("region=%27%3B--", "region"),
        ("region=North%00", "region"),
        ("region=%00", "region"),
        ("region=North%0d%0aSet-Cookie:%20x=1", "region"),
        ("region=North%0A", "region"),
        ("region=North%09", "region"),
        ("region=north", "region"),
        ("region=NORTH", "region"),
        ("region=N%C3%B6rth", "region"),
        ("region=%E2%80%AENorth", "region"),
        ("region=%ff", "region"),
        ("region=%C3", "region"),
        ("region=%ED%A0%80", "region"),
        ("region=%C0%AF", "region"),
        ("region=%zz", "region"),
        ("region=%", "region"),
        ("region=%4", "region"),
        ("region=%%34%31", "region"),
        ("region=%3Cscript%3Ealert(1)%3C/script%3E", "region"),
        ("region=..%2F..%2Fetc%2Fpasswd", "region"),
        ("region=$%7Bjndi:ldap://x%7D", "region"),
        ("region={{7*7}}", "region"),
        // Not columns anyone may see.
        ("columns=*", "columns"),
        ("columns=national_id", "columns"),
        ("columns=NATIONAL_ID", "columns"),
        ("columns=year,national_id", "columns"),
        ("columns=year%2Cnational_id", "columns"),
        ("columns=national_id%00", "columns"),
        ("columns=year,year", "columns"),
        ("columns=", "columns"),
        ("columns=,", "columns"),
        ("columns=year,,region", "columns"),
        ("columns=count(*)", "columns"),
        ("columns=year%20FROM%20admissions--", "columns"),
        ("columns=pg_sleep(10)", "columns"),
        ("columns=year;national_id", "columns"),
        // Not a sensible limit or offset.
        ("limit=-5", "limit"),
        ("limit=-0", "limit"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=100000", "limit"),
        ("limit=ALL", "limit"),
        ("limit=18446744073709551616", "limit"),
        ("limit=9223372036854775808", "limit"),
        ("limit=5.5", "limit"),
        ("limit=1e9", "limit"),
        ("limit=NaN", "limit"),
        ("limit=%zz", "limit"),
        ("offset=-1", "offset"),
        ("offset=3001", "offset"),
        ("offset=abc", "offset"),
        // Repeated names.
        ("year=2021&year=2022", "year"),
        ("limit=5&limit=5", "limit"),
        ("columns=year&columns=national_id", "columns"),
        ("region=North&region=North'", "region"),
        // Names the endpoint does not know.
        ("yaer=2021", "yaer"),
        ("debug=true", "debug"),
        ("format=csv", "format"),
        ("year[]=2021", "year[]"),
        ("__proto__=1", "__proto__"),
        ("=2021", ""),
        ("%zz=1", "%zz"),
        ("%ff=1", "%ff"),
        ("year%00=2021", "year\u{0}"),
        ("Year=2021", "Year"),
    ];
    let mut queries: Vec<(String, Option<&'static str>)> = named
        .iter()
        .map(|(query, parameter)| ((*query).to_owned(), Some(*parameter)))
        .collect();
    queries.push((format!("region={}", "A".repeat(1500)), Some("region")));
    queries.push((format!("region={}", "x".repeat(3000)), None));
    queries.push(("year=2021&".repeat(300), None));
    queries.push((format!("columns={}", "year,".repeat(500)), None));
    queries
}

#[tokio::test]
async fn malformed_and_malicious_parameters_never_break_the_secure_twin() {
    let lab = Lab::start().await;
    for (query, parameter) in hostile_queries() {
        for transport in [Transport::Raw, Transport::Https] {
            let what = format!("{transport:?} {query}");
            let secure = send(&lab, transport, &format!("{SECURE}?{query}")).await;
            assert_refused(&what, &secure, parameter);
            assert_reveals_nothing_of_the_host(&lab, &what, &secure);
            // The insecure twin answers too: a slice or its debug page, and
            // never anything of the real machine.
            let insecure = send(&lab, transport, &format!("{INSECURE}?{query}")).await;
            assert!(
                insecure.status == 200 || insecure.status == 500,
                "{what}: {} {}",
                insecure.status,
                insecure.body
            );
            if insecure.status == 500 {
                assert_leaks_internals(&what, &insecure);
            } else {
                insecure.json();
            }
            assert_reveals_nothing_of_the_host(&lab, &what, &insecure);
        }
    }
    // Nothing above broke the lab.
    let after = get_json(&lab.http(&format!("{SECURE}?limit=1"))).await;
    assert_eq!(after["returned"], 1);
}

/// Writes `request` on a fresh connection and reads the answer, tolerating a
/// server that stops reading and closes before the whole request is sent.
async fn oversized_exchange(address: std::net::SocketAddr, request: &[u8]) -> String {
    let mut tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    let _ = tcp.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut response))
        .await
        .expect("the server answers and closes");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn long_query_strings_get_414_from_the_secure_twin_and_huge_heads_are_refused_by_the_lab() {
    let lab = Lab::start().await;
    let query_of = |length: usize| format!("region={}", "x".repeat(length - "region=".len()));
    let at_the_cap = send(
        &lab,
        Transport::Raw,
        &format!("{SECURE}?{}", query_of(2048)),
    )
    .await;
    assert_refused("2048 bytes", &at_the_cap, Some("region"));
    let over = send(
        &lab,
        Transport::Raw,
        &format!("{SECURE}?{}", query_of(2049)),
    )
    .await;
    assert_refused("2049 bytes", &over, None);
    assert_eq!(over.json()["received"], "2049 bytes");
    let insecure = send(
        &lab,
        Transport::Raw,
        &format!("{INSECURE}?{}", query_of(20_000)),
    )
    .await;
    assert_eq!(insecure.status, 200, "the insecure twin reads any length");
    // Far beyond the 64 KiB safelab reads of a request head, the server
    // answers before the endpoint is reached: 414 when it could read the
    // whole URL, 431 otherwise, with no body of the endpoint's. (Just over
    // 64 KiB is not enough: hyper checks its limit between reads, so a head
    // up to about twice that size that arrives at once still gets through.)
    for twin in [INSECURE, SECURE] {
        let huge_url = format!(
            "GET {twin}?{} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n",
            query_of(1024 * 1024)
        );
        let huge_header = format!(
            "GET {twin}?year=2021 HTTP/1.1\r\nHost: lab\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
            "x".repeat(1024 * 1024)
        );
        for (request, statuses) in [
            (huge_url, ["HTTP/1.1 414 ", "HTTP/1.1 431 "]),
            (huge_header, ["HTTP/1.1 431 ", "HTTP/1.1 431 "]),
        ] {
            let response = oversized_exchange(lab.running.http_address, request.as_bytes()).await;
            assert!(
                statuses.iter().any(|status| response.starts_with(status)),
                "{twin}: {}",
                response.lines().next().unwrap_or_default()
            );
            assert!(!response.contains("Traceback") && !response.contains("\"parameter\""));
        }
    }
}

/// The four challenges, done with the lesson's own examples.
async fn leak(lab: &Lab, transport: Transport) {
    assert_eq!(
        send(lab, transport, &format!("{INSECURE}?year=abc"))
            .await
            .status,
        500
    );
}

#[tokio::test]
async fn detectors_fire_only_where_they_should() {
    let lab = Lab::start().await;
    // Good requests to both twins, and every attack on the secure twin alone,
    // solve nothing.
    for twin in [INSECURE, SECURE] {
        for query in [
            "",
            "?year=2021&region=North",
            "?limit=500",
            "?columns=year,region&limit=1",
        ] {
            assert_eq!(
                send(&lab, Transport::Http, &format!("{twin}{query}"))
                    .await
                    .status,
                200
            );
        }
        send(&lab, Transport::Http, &format!("{twin}/columns")).await;
    }
    let attacks: Vec<&str> = CRASHES
        .iter()
        .map(|(query, _)| *query)
        .chain(CONFIDENTIAL)
        .chain(DUMPS)
        .collect();
    for query in &attacks {
        assert_eq!(
            send(&lab, Transport::Http, &format!("{SECURE}?{query}"))
                .await
                .status,
            400
        );
    }
    // Near misses on the insecure twin: a confidential column with no rows, a
    // limit one short of the table, a parameter that is refused by the secure
    // twin but harmless here.
    for query in [
        "columns=national_id&year=1999",
        "limit=2999",
        "offset=1&limit=3000",
        "region=Nowhere",
        "yaer=2021",
    ] {
        assert_eq!(
            send(&lab, Transport::Http, &format!("{INSECURE}?{query}"))
                .await
                .status,
            200
        );
    }
    for query in ["region=Nowhere", "yaer=2021"] {
        assert_eq!(
            send(&lab, Transport::Http, &format!("{SECURE}?{query}"))
                .await
                .status,
            400
        );
    }
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "{:?}",
        lab.solved(LESSON).await
    );

    // Each attack on the insecure twin solves its own challenge only.
    leak(&lab, Transport::Http).await;
    assert_eq!(lab.solved(LESSON).await, ["leak-internals"]);
    send(
        &lab,
        Transport::Http,
        &format!("{INSECURE}?{}", CONFIDENTIAL[0]),
    )
    .await;
    assert_eq!(
        lab.solved(LESSON).await,
        ["leak-internals", "confidential-column"]
    );
    send(&lab, Transport::Http, &format!("{INSECURE}?{}", DUMPS[0])).await;
    assert_eq!(lab.solved(LESSON).await.len(), 3);
    // A 400 for a parameter that never hurt the insecure twin is not it...
    send(&lab, Transport::Http, &format!("{SECURE}?region=Nowhere")).await;
    assert_eq!(lab.solved(LESSON).await.len(), 3);
    // ...the same parameter that broke it is, however it is encoded.
    send(
        &lab,
        Transport::Http,
        &format!("{SECURE}?limit=100000&region=Nowhere"),
    )
    .await;
    assert_eq!(
        lab.solved(LESSON).await,
        [
            "leak-internals",
            "confidential-column",
            "dump-table",
            "secure-refuses"
        ]
    );

    // A lesson reset forgets which parameters hurt the insecure twin.
    let reset = reqwest::Client::new()
        .post(lab.app(&format!("/api/progress/{LESSON}/reset")))
        .send()
        .await
        .expect("answers");
    assert!(reset.status().is_success(), "{}", reset.status());
    send(&lab, Transport::Http, &format!("{SECURE}?year=abc")).await;
    assert!(lab.solved(LESSON).await.is_empty());
}

/// The lesson's challenges are solved by what the lab sees, whichever client
/// sent it: a raw socket, the builder, any HTTP library, over HTTP or HTTPS.
#[tokio::test]
async fn each_challenge_is_solved_by_what_the_lab_sees_from_any_client() {
    let lab = Lab::start().await;
    leak(&lab, Transport::Raw).await;
    lab.wait_until_solved(LESSON, "leak-internals").await;
    send(
        &lab,
        Transport::Inspector,
        &format!("{INSECURE}?columns=*&limit=1"),
    )
    .await;
    lab.wait_until_solved(LESSON, "confidential-column").await;
    send(&lab, Transport::Https, &format!("{INSECURE}?limit=ALL")).await;
    lab.wait_until_solved(LESSON, "dump-table").await;
    // `*` to the insecure twin, `%2A` to the secure one: the same parameter.
    let refused = send(&lab, Transport::Inspector, &format!("{SECURE}?columns=%2A")).await;
    assert_eq!(refused.status, 400);
    lab.wait_until_solved(LESSON, "secure-refuses").await;
    assert_eq!(lab.solved(LESSON).await.len(), 4);
}

/// Asking the insecure twin for a huge answer gets the imaginary app's own
/// limits (PostgreSQL's 1664 columns, then memory), never the host's memory.
#[tokio::test]
async fn a_huge_select_list_hits_the_imaginary_apps_limits_not_the_hosts() {
    let lab = Lab::start().await;
    let stars = vec!["*"; 20_000].join(",");
    let answer = send(&lab, Transport::Raw, &format!("{INSECURE}?columns={stars}")).await;
    assert_leaks_internals("20,000 stars", &answer);
    assert!(
        answer
            .body
            .contains("target lists can have at most 1664 entries")
    );
    let wide = vec!["*"; 100].join(",");
    let answer = send(
        &lab,
        Transport::Raw,
        &format!("{INSECURE}?columns={wide}&limit=ALL"),
    )
    .await;
    assert_leaks_internals("1,100 columns of every row", &answer);
    assert!(answer.body.contains("MemoryError"), "{}", answer.body);
    let refused = send(&lab, Transport::Raw, &format!("{SECURE}?columns={wide}")).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
}

/// wfuzz's list of injection payloads in every parameter: the insecure twin
/// crashes into its debug page for many, the secure twin answers each with a
/// 4xx (or a 200 for a value that is simply fine), never a 500.
#[tokio::test]
async fn a_scanners_injection_list_breaks_the_insecure_twin_and_not_the_secure_one() {
    let lab = Lab::start().await;
    let payloads = safelab_tests::payloads("Injections/All_attack.txt");
    assert!(payloads.len() > 400);
    for parameter in ["year", "region", "columns", "limit", "offset"] {
        let mut crashes = 0;
        for payload in &payloads {
            let query = format!("{parameter}={payload}");
            let insecure = send(&lab, Transport::Raw, &format!("{INSECURE}?{query}")).await;
            if insecure.status == 500 {
                crashes += 1;
            }
            let secure = send(&lab, Transport::Raw, &format!("{SECURE}?{query}")).await;
            assert!(
                secure.status < 500 && secure.status != 0,
                "{query}: {} {}",
                secure.status,
                secure.body
            );
            assert!(
                !secure.body.contains("FAKE-"),
                "{query} leaked the confidential column"
            );
        }
        assert!(crashes > 10, "{parameter}: only {crashes} crashes");
    }
}
