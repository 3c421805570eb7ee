//! Lesson `authentication`, "Authentication": each attack works on the
//! insecure twin and fails on the secure one, over real sockets, from reqwest,
//! the request inspector and real Python `requests`. A password in the URL
//! lands in the insecure log and is refused by the secure twin; the recorded
//! plain-HTTP exchange gives the colleague away and the HTTPS one does not;
//! the insecure login enumerates users and falls to a scanner's password
//! list, the secure one gives one answer (same status, body and headers)
//! and stops guessing at the limit (per account, across every way to send a
//! password, and per client, every loopback address one client) until the
//! lesson is reset, and limits right passwords too; the secure twin answers
//! over HTTPS only (an unrelated cookie still gets the redirect), refuses a
//! login another origin sent, and logs no user names; tokens survive the
//! insecure logout and not the secure one, and one user's logins never push
//! another's sessions out; cookies carry their flags on the secure twin
//! only. Each challenge is solved exactly when the lab sees it done.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, payloads};
use serde_json::{Value, json};

const LESSON: &str = "authentication";
const NING: (&str, &str) = ("ning", "tea-and-biscuits-42");
/// How many failures one account may have in a minute on the secure twin.
const PER_ACCOUNT: usize = 5;
/// How many failures one client may have in a minute on the secure twin.
const PER_CLIENT: usize = 20;
/// The secure twin's `RateLimit-Policy`: the caller's own limits only.
const POLICY: &str = "5;w=60, 20;w=60, 30;w=60";

/// A plain-HTTP client that shows redirects instead of following them.
fn plain() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client builds")
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn json_of(response: Response) -> Value {
    response.json().await.expect("a JSON answer")
}

/// POSTs a JSON login to `url`.
async fn log_in(client: &Client, url: &str, user: &str, password: &str) -> Response {
    client
        .post(url)
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .expect("the login answers")
}

/// Resets the lesson as the app's button does.
async fn reset(lab: &Lab) {
    let response = Client::new()
        .post(lab.app(&format!("/api/progress/{LESSON}/reset")))
        .send()
        .await
        .expect("the API answers");
    assert!(response.status().is_success());
}

#[tokio::test]
async fn a_password_in_the_url_lands_in_the_insecure_log_and_the_secure_twin_refuses_it() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let (user, password) = NING;

    let report = plain()
        .get(lab.http("/lab/insecure/auth/report"))
        .query(&[("user", user), ("password", password)])
        .send()
        .await
        .expect("up");
    assert_eq!(report.status(), 200);
    assert_eq!(json_of(report).await["user"], user);
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "not until the log is read"
    );
    let by_header = plain()
        .get(lab.http("/lab/insecure/auth/report"))
        .header("X-User", user)
        .header("X-Password", "a-header-password")
        .send()
        .await
        .expect("up");
    assert_eq!(by_header.status(), 401, "a wrong password in a header");

    let log = json_of(
        reqwest::get(lab.http("/lab/insecure/auth/access-log"))
            .await
            .expect("up"),
    )
    .await;
    let lines: Vec<&str> = log["log"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        lines.iter().any(|line| line.contains(&format!(
            "\"GET /lab/insecure/auth/report?user={user}&password={password} HTTP/1.1\" 200"
        ))),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("X-Password: a-header-password")),
        "{lines:?}"
    );
    let referer = log["referer"].as_str().expect("a Referer");
    assert!(
        referer.contains(&format!("password={password}")),
        "{referer}"
    );
    lab.wait_until_solved(LESSON, "password-in-log").await;

    for (query, code) in [
        (
            vec![("user", user), ("password", password)],
            "credentials_in_url",
        ),
        (vec![("token", "anything")], "credentials_in_url"),
        (vec![("access_token", "anything")], "credentials_in_url"),
        (vec![("api_key", "anything")], "credentials_in_url"),
        (vec![("apikey", "anything")], "credentials_in_url"),
        (vec![("key", "anything")], "credentials_in_url"),
        (vec![("secret", "anything")], "credentials_in_url"),
    ] {
        let refused = https
            .get(lab.https("/lab/secure/auth/report"))
            .query(&query)
            .send()
            .await
            .expect("up");
        assert_eq!(refused.status(), 400);
        assert_eq!(json_of(refused).await["error"], code);
    }
    let by_header = https
        .get(lab.https("/lab/secure/auth/report"))
        .header("X-User", user)
        .header("X-Password", password)
        .send()
        .await
        .expect("up");
    assert_eq!(by_header.status(), 400);
    assert_eq!(
        json_of(by_header).await["error"],
        "use_authorization_header"
    );
    let secure_log = https
        .get(lab.https("/lab/secure/auth/access-log"))
        .send()
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    assert!(
        secure_log.contains("/lab/secure/auth/report?user=…&password=…"),
        "{secure_log}"
    );
    assert!(!secure_log.contains(password), "{secure_log}");

    let login = log_in(&https, &lab.https("/lab/secure/auth/login"), user, password).await;
    assert_eq!(login.status(), 200);
    let secure_log = json_of(
        https
            .get(lab.https("/lab/secure/auth/access-log"))
            .send()
            .await
            .expect("up"),
    )
    .await;
    let lines = secure_log["log"].as_array().expect("lines");
    let login_line = lines
        .iter()
        .filter_map(Value::as_str)
        .find(|line| line.contains("POST /lab/secure/auth/login"))
        .expect("the login is logged");
    assert!(
        login_line.starts_with("127.0.0.1 - - ["),
        "no user name for anyone to read: {login_line}"
    );
    assert!(
        lines
            .iter()
            .filter_map(Value::as_str)
            .all(|line| !line.contains(user)),
        "{lines:?}"
    );
}

/// The `user:password` in the `Authorization: Basic` line of a capture.
fn sniffed(capture: &str) -> Option<(String, String)> {
    let line = capture
        .lines()
        .find_map(|line| line.strip_prefix("Authorization: Basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(line.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[tokio::test]
async fn the_plain_http_capture_gives_the_colleague_away_and_the_https_one_does_not() {
    let lab = Lab::start().await;
    let capture = reqwest::get(lab.http("/lab/insecure/auth/capture"))
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    let (user, password) = sniffed(&capture).expect("the capture holds Basic credentials");
    assert_eq!(user, "amara");
    let wrong = plain()
        .get(lab.http("/lab/insecure/auth/basic"))
        .basic_auth(&user, Some("not-her-password"))
        .send()
        .await
        .expect("up");
    assert_eq!(wrong.status(), 401);
    assert!(lab.solved(LESSON).await.is_empty());
    let answer = plain()
        .get(lab.http("/lab/insecure/auth/basic"))
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .expect("up");
    assert_eq!(answer.status(), 200);
    assert_eq!(json_of(answer).await["user"], "amara");
    lab.wait_until_solved(LESSON, "sniff-basic").await;

    let https = lab.trusting_client();
    let encrypted = https
        .get(lab.https("/lab/secure/auth/capture"))
        .send()
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    assert!(sniffed(&encrypted).is_none(), "{encrypted}");
    assert!(!encrypted.contains(&password));
}

#[tokio::test]
async fn the_secure_twin_answers_over_https_only() {
    let lab = Lab::start().await;
    let (user, password) = NING;
    let redirected = plain()
        .get(lab.http("/lab/secure/auth/report"))
        .send()
        .await
        .expect("up");
    assert_eq!(redirected.status(), 308);
    assert_eq!(
        header(&redirected, "location"),
        lab.https("/lab/secure/auth/report")
    );
    let with_password = plain()
        .get(lab.http("/lab/secure/auth/basic"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("up");
    assert_eq!(
        with_password.status(),
        403,
        "a redirect would send it again"
    );
    assert_eq!(json_of(with_password).await["error"], "use_https");
    let login = log_in(
        &plain(),
        &lab.http("/lab/secure/auth/login"),
        user,
        password,
    )
    .await;
    assert_eq!(login.status(), 403);
    assert!(header(&login, "set-cookie").is_empty());

    let https = lab.trusting_client();
    let basic = https
        .get(lab.https("/lab/secure/auth/basic"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("up");
    assert_eq!(basic.status(), 200);
    assert_eq!(
        header(&basic, "strict-transport-security"),
        "max-age=300",
        "HSTS covers every port of the host: minutes, not a year"
    );
    assert_eq!(header(&basic, "x-content-type-options"), "nosniff");
    let insecure = plain()
        .get(lab.http("/lab/insecure/auth/basic"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("up");
    assert_eq!(
        insecure.status(),
        200,
        "the insecure twin takes Basic over HTTP"
    );
    assert!(header(&insecure, "content-security-policy").is_empty());

    let unrelated_cookie = plain()
        .get(lab.http("/lab/secure/auth/report"))
        .header("cookie", "theme=dark; _ga=GA1.1.123")
        .send()
        .await
        .expect("up");
    assert_eq!(
        unrelated_cookie.status(),
        308,
        "another site's cookie is no credential of this twin"
    );
    let session_cookie = plain()
        .get(lab.http("/lab/secure/auth/report"))
        .header("cookie", "theme=dark; __Host-session=abc")
        .send()
        .await
        .expect("up");
    assert_eq!(session_cookie.status(), 403);
}

#[tokio::test]
async fn a_scanners_password_list_enumerates_and_breaks_the_insecure_login_only() {
    let lab = Lab::start().await;
    let insecure = lab.http("/lab/insecure/auth/login");
    let unknown = log_in(&plain(), &insecure, "nobody", "x").await;
    let wrong = log_in(&plain(), &insecure, "ning", "x").await;
    assert_eq!(
        (unknown.status().as_u16(), wrong.status().as_u16()),
        (404, 401),
        "two answers"
    );
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "only the hidden account counts"
    );

    let wordlist = payloads("others/common_pass.txt");
    let mut found = None;
    for guess in &wordlist {
        let answer = log_in(&plain(), &insecure, "reports", guess).await;
        if answer.status() == 200 {
            found = Some(guess.clone());
            break;
        }
        assert_eq!(answer.status(), 401, "{guess}: never slowed down");
    }
    let found = found.expect("the weak password is on the list");
    assert_eq!(found, "changeme");
    lab.wait_until_solved(LESSON, "guess-password").await;
    assert_eq!(
        lab.solved(LESSON).await,
        ["enumerate-user", "guess-password"]
    );

    let https = lab.trusting_client();
    let secure = lab.https("/lab/secure/auth/login");
    let mut answers = Vec::new();
    for guess in &wordlist {
        let answer = log_in(&https, &secure, "reports", guess).await;
        let status = answer.status().as_u16();
        answers.push(status);
        if status == 429 {
            assert!(
                header(&answer, "retry-after")
                    .parse::<u64>()
                    .is_ok_and(|s| (1..=60).contains(&s))
            );
            assert_eq!(header(&answer, "ratelimit-remaining"), "0");
            assert_eq!(header(&answer, "ratelimit-limit"), PER_ACCOUNT.to_string());
            assert_eq!(header(&answer, "ratelimit-policy"), POLICY);
            break;
        }
    }
    assert_eq!(
        answers,
        [401, 401, 401, 401, 401, 429],
        "guessing stops at the limit"
    );
    let right = log_in(&https, &secure, "reports", "changeme").await;
    assert_eq!(right.status(), 429, "even the right password waits");
    lab.wait_until_solved(LESSON, "meet-the-limit").await;

    reset(&lab).await;
    assert!(lab.solved(LESSON).await.is_empty());
    let right = log_in(&https, &secure, "reports", "changeme").await;
    assert_eq!(right.status(), 200, "the reset forgot the failures");
}

#[tokio::test]
async fn the_secure_login_gives_one_answer_for_an_unknown_user_and_a_wrong_password() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let secure = lab.https("/lab/secure/auth/login");
    let unknown = log_in(&https, &secure, "nobody", "tea-and-biscuits-42").await;
    let wrong = log_in(&https, &secure, "ning", "wrong").await;
    for answer in [&unknown, &wrong] {
        assert_eq!(answer.status(), 401);
        assert!(header(answer, "www-authenticate").starts_with("Basic realm="));
    }
    let headers = |answer: &Response| {
        let mut headers: Vec<(String, String)> = answer
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or_default().to_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(headers(&unknown), headers(&wrong), "the same headers");
    assert!(
        headers(&unknown)
            .iter()
            .any(|(name, _)| name == "ratelimit-remaining")
    );
    assert_eq!(json_of(unknown).await, json_of(wrong).await);
    let form = https
        .post(&secure)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ning&password=tea-and-biscuits-42")
        .send()
        .await
        .expect("up");
    assert_eq!(form.status(), 200, "a form works as well as JSON");
    let bad = https.post(&secure).body("{").send().await.expect("up");
    assert_eq!(bad.status(), 400);
    assert_eq!(json_of(bad).await["error"], "bad_login");
}

#[tokio::test]
async fn one_client_guessing_across_accounts_meets_the_per_client_limit() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let secure = lab.https("/lab/secure/auth/login");
    for n in 0..PER_CLIENT {
        let answer = log_in(&https, &secure, &format!("user{n}"), "password").await;
        assert_eq!(answer.status(), 401, "user{n}");
    }
    let blocked = log_in(&https, &secure, "ning", "tea-and-biscuits-42").await;
    assert_eq!(blocked.status(), 429, "one client, many accounts");
    assert_eq!(header(&blocked, "ratelimit-limit"), PER_CLIENT.to_string());

    // Every loopback address is the same machine: another one is no new client.
    let port: u16 = lab
        .https("")
        .rsplit(':')
        .next()
        .and_then(|port| port.trim_end_matches('/').parse().ok())
        .expect("the HTTPS port");
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().ok())
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(lab.ca_pem().as_bytes()).expect("ca.pem parses"),
        )
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .expect("client builds");
    let still = log_in(&elsewhere, &secure, "amara", "guess").await;
    assert_eq!(still.status(), 429, "127.0.0.2 shares 127.0.0.1's bucket");
}

#[tokio::test]
async fn one_account_is_limited_across_every_way_to_send_a_password() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let (user, _) = NING;
    let mut statuses = Vec::new();
    let login = lab.https("/lab/secure/auth/login");
    let tries = [
        https
            .post(&login)
            .json(&json!({ "username": user, "password": "a" })),
        https
            .post(&login)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={user}&password=b")),
        https
            .get(lab.https("/lab/secure/auth/basic"))
            .basic_auth(user, Some("c")),
        https
            .get(lab.https("/lab/secure/auth/report"))
            .basic_auth(user, Some("d")),
        https.post(&login).basic_auth(user, Some("e")),
        https
            .get(lab.https("/lab/secure/auth/report"))
            .basic_auth(user, Some("f")),
    ];
    for request in tries {
        statuses.push(request.send().await.expect("up").status().as_u16());
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429],
        "one limit per account"
    );
}

#[tokio::test]
async fn right_passwords_are_limited_too_and_sessions_stay_per_user() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let secure = lab.https("/lab/secure/auth/login");
    let (user, password) = NING;
    let amara = log_in(&https, &secure, "amara", "Kilimanjaro-2019").await;
    let amara_token = json_of(amara).await["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let mut tokens = Vec::new();
    let blocked = loop {
        let answer = log_in(&https, &secure, user, password).await;
        if answer.status() != 200 {
            break answer;
        }
        tokens.push(
            json_of(answer).await["token"]
                .as_str()
                .expect("a token")
                .to_owned(),
        );
        assert!(tokens.len() < 30, "right passwords are limited too");
    };
    assert_eq!(blocked.status(), 429);
    assert_eq!(header(&blocked, "ratelimit-limit"), "30");
    let works = |token: String| {
        let https = https.clone();
        let url = lab.https("/lab/secure/auth/report");
        async move {
            https
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("up")
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        works(amara_token).await,
        200,
        "another user's session stays"
    );
    assert_eq!(
        works(tokens[0].clone()).await,
        401,
        "the oldest of ning's went"
    );
    assert_eq!(works(tokens[tokens.len() - 1].clone()).await, 200);
}

#[tokio::test]
async fn a_login_sent_by_another_origin_is_refused() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let secure = lab.https("/lab/secure/auth/login");
    let (user, password) = NING;
    let form = format!("username={user}&password={password}");
    let send = |origin: Option<String>, site: Option<&'static str>| {
        let mut request = https
            .post(&secure)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let stranger = send(
        Some(lab.attacker("").trim_end_matches('/').to_owned()),
        Some("same-site"),
    )
    .await
    .expect("up");
    assert_eq!(stranger.status(), 403, "another port is another origin");
    assert!(header(&stranger, "set-cookie").is_empty());
    assert_eq!(json_of(stranger).await["error"], "cross_site_login");
    let cross = send(None, Some("cross-site")).await.expect("up");
    assert_eq!(cross.status(), 403);
    let own = send(
        Some(lab.https("").trim_end_matches('/').to_owned()),
        Some("same-origin"),
    )
    .await
    .expect("up");
    assert_eq!(own.status(), 200, "the lab's own page");
    let program = send(None, None).await.expect("up");
    assert_eq!(
        program.status(),
        200,
        "requests and curl send neither header"
    );
}

#[tokio::test]
async fn tokens_outlive_the_insecure_logout_and_not_the_secure_one() {
    let lab = Lab::start().await;
    let (user, password) = NING;

    let login = log_in(
        &plain(),
        &lab.http("/lab/insecure/auth/login"),
        user,
        password,
    )
    .await;
    assert_eq!(header(&login, "set-cookie"), "session=session-1001");
    let token = json_of(login).await["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let next = log_in(
        &plain(),
        &lab.http("/lab/insecure/auth/login"),
        user,
        password,
    )
    .await;
    assert_eq!(json_of(next).await["token"], "session-1002", "a counter");
    let logout = plain()
        .post(lab.http("/lab/insecure/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("up");
    assert_eq!(logout.status(), 200);
    assert!(lab.solved(LESSON).await.is_empty());
    let cookie = plain()
        .get(lab.http("/lab/insecure/auth/report"))
        .header("cookie", format!("session={token}"))
        .send()
        .await
        .expect("up");
    assert_eq!(cookie.status(), 200, "the logged-out token still works");
    lab.wait_until_solved(LESSON, "reuse-token").await;

    let https = lab.trusting_client();
    let login = log_in(&https, &lab.https("/lab/secure/auth/login"), user, password).await;
    assert_eq!(login.status(), 200);
    let cookie = header(&login, "set-cookie");
    for flag in [
        "__Host-session=",
        "; Secure",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Path=/",
    ] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    let answer = json_of(login).await;
    assert_eq!(answer["expires_in"], 300);
    let token = answer["token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    let report = |token: String| {
        let https = https.clone();
        let url = lab.https("/lab/secure/auth/report");
        async move { https.get(url).bearer_auth(token).send().await.expect("up") }
    };
    assert_eq!(report(token.clone()).await.status(), 200);
    let by_cookie = https
        .get(lab.https("/lab/secure/auth/report"))
        .header("cookie", format!("__Host-session={token}"))
        .send()
        .await
        .expect("up");
    assert_eq!(by_cookie.status(), 200);
    let logout = https
        .post(lab.https("/lab/secure/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("up");
    assert_eq!(logout.status(), 200);
    let revoked = report(token).await;
    assert_eq!(revoked.status(), 401);
    assert!(
        header(&revoked, "www-authenticate").contains("error=\"invalid_token\""),
        "{}",
        header(&revoked, "www-authenticate")
    );
    let guessed = report("session-1001".to_owned()).await;
    assert_eq!(guessed.status(), 401, "a counter token means nothing here");
}

#[tokio::test]
async fn the_same_attacks_from_python_work_on_the_insecure_twin_and_fail_on_the_secure_one() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    let code = format!(
        r#"
import base64
import requests

HTTP, HTTPS, CA = "{http}", "{https}", "safelab-ca.pem"
capture = requests.get(HTTP + "/lab/insecure/auth/capture", timeout=10).text
line = next(l for l in capture.splitlines() if l.startswith("Authorization: Basic "))
user, password = base64.b64decode(line.split()[-1]).decode().split(":", 1)
assert requests.get(HTTP + "/lab/insecure/auth/basic", auth=(user, password), timeout=10).status_code == 200
secure_capture = requests.get(HTTPS + "/lab/secure/auth/capture", verify=CA, timeout=10).text
assert "Authorization" not in secure_capture

statuses = []
for guess in ["123456", "password", "admin", "qwerty", "letmein", "welcome", "changeme"]:
    answer = requests.post(HTTP + "/lab/insecure/auth/login", json={{"username": "reports", "password": guess}}, timeout=10)
    statuses.append(answer.status_code)
assert statuses[-1] == 200, statuses
statuses = []
for guess in ["123456", "password", "admin", "qwerty", "letmein", "welcome", "changeme"]:
    answer = requests.post(HTTPS + "/lab/secure/auth/login", json={{"username": "reports", "password": guess}}, verify=CA, timeout=10)
    statuses.append(answer.status_code)
assert statuses == [401, 401, 401, 401, 401, 429, 429], statuses
print("ok")
"#,
        http = lab.http(""),
        https = lab.https(""),
    );
    let output = learner.run_code(&code).await;
    assert!(output.status.success(), "{}", printed(&output));
    assert_eq!(
        lab.solved(LESSON).await,
        [
            "sniff-basic",
            "enumerate-user",
            "guess-password",
            "meet-the-limit"
        ]
    );
}

/// Sends one request through the request inspector, as the builder does;
/// returns the lab's status and body.
async fn from_builder(
    lab: &Lab,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u64, String) {
    let (status, exchange) = lab
        .exchange(json!({ "method": method, "url": url, "headers": headers, "body": body }))
        .await;
    assert_eq!(status, 200, "the inspector sent {url}: {exchange}");
    (
        exchange["status"].as_u64().expect("a status"),
        exchange["body"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn every_challenge_is_solved_from_the_request_builder() {
    let lab = Lab::start().await;
    let json_type = [("Content-Type", "application/json")];
    let login =
        |user: &str, password: &str| json!({ "username": user, "password": password }).to_string();

    let url = lab.http("/lab/insecure/auth/report?user=ning&password=tea-and-biscuits-42");
    assert_eq!(from_builder(&lab, "GET", &url, &[], "").await.0, 200);
    let (_, log) = from_builder(
        &lab,
        "GET",
        &lab.http("/lab/insecure/auth/access-log"),
        &[],
        "",
    )
    .await;
    assert!(log.contains("tea-and-biscuits-42"));

    let (_, capture) = from_builder(
        &lab,
        "GET",
        &lab.http("/lab/insecure/auth/capture"),
        &[],
        "",
    )
    .await;
    let basic = capture
        .lines()
        .find_map(|line| line.strip_prefix("Authorization: "))
        .expect("the header");
    let url = lab.http("/lab/insecure/auth/basic");
    assert_eq!(
        from_builder(&lab, "GET", &url, &[("Authorization", basic)], "")
            .await
            .0,
        200
    );

    let url = lab.http("/lab/insecure/auth/login");
    for (user, password, status) in [
        ("backup", "x", 404),
        ("reports", "x", 401),
        ("reports", "changeme", 200),
    ] {
        let answer = from_builder(&lab, "POST", &url, &json_type, &login(user, password)).await;
        assert_eq!(answer.0, status, "{user}: {}", answer.1);
    }

    let url = lab.https("/lab/secure/auth/login");
    let mut statuses = Vec::new();
    for _ in 0..=PER_ACCOUNT {
        statuses.push(
            from_builder(&lab, "POST", &url, &json_type, &login("reports", "x"))
                .await
                .0,
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);

    let (_, answer) = from_builder(
        &lab,
        "POST",
        &lab.http("/lab/insecure/auth/login"),
        &json_type,
        &login(NING.0, NING.1),
    )
    .await;
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    let bearer = format!("Bearer {}", answer["token"].as_str().expect("a token"));
    let bearer = [("Authorization", bearer.as_str())];
    let url = lab.http("/lab/insecure/auth/logout");
    assert_eq!(from_builder(&lab, "POST", &url, &bearer, "").await.0, 200);
    let url = lab.http("/lab/insecure/auth/report");
    assert_eq!(from_builder(&lab, "GET", &url, &bearer, "").await.0, 200);

    lab.wait_until_solved(LESSON, "reuse-token").await;
    assert_eq!(
        lab.solved(LESSON).await,
        [
            "password-in-log",
            "sniff-basic",
            "enumerate-user",
            "guess-password",
            "meet-the-limit",
            "reuse-token"
        ]
    );
}

#[tokio::test]
async fn malformed_credentials_get_a_clear_json_error_from_both_twins() {
    let lab = Lab::start().await;
    let https = lab.trusting_client();
    let long = "x".repeat(5000);
    let bad_logins: [(&str, &str, String); 6] = [
        ("content-type", "application/json", "{".to_owned()),
        (
            "content-type",
            "application/json",
            r#"{"username": 1, "password": []}"#.to_owned(),
        ),
        ("content-type", "text/plain", "just a password".to_owned()),
        (
            "content-type",
            "application/x-www-form-urlencoded",
            "username=ning".to_owned(),
        ),
        (
            "content-type",
            "application/json",
            format!(r#"{{"username": "ning", "password": "{long}"}}"#),
        ),
        ("authorization", "Basic !!!not-base64", String::new()),
    ];
    for twin in ["insecure", "secure"] {
        let url = lab.https(&format!("/lab/{twin}/auth/login"));
        for (name, value, body) in &bad_logins {
            let answer = https
                .post(&url)
                .header(*name, *value)
                .body(body.clone())
                .send()
                .await
                .expect("up");
            assert_eq!(answer.status(), 400, "{twin}: {value} {body:.40}");
            assert_eq!(header(&answer, "content-type"), "application/json");
            let error = json_of(answer).await;
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{error}"
            );
        }
        for (name, value) in [
            ("authorization", "Basic /w=="),
            ("authorization", "Basic bm9jb2xvbg=="),
            ("authorization", "Bearer"),
            ("authorization", "Digest abc"),
            ("cookie", "session; __Host-session=; =x"),
        ] {
            for endpoint in ["report", "basic"] {
                let url = lab.https(&format!("/lab/{twin}/auth/{endpoint}"));
                let answer = https
                    .get(&url)
                    .header(name, value)
                    .send()
                    .await
                    .expect("up");
                let status = answer.status().as_u16();
                assert!(
                    matches!(status, 400 | 401),
                    "{twin} {endpoint} {value}: {status}"
                );
                assert_eq!(header(&answer, "content-type"), "application/json");
            }
        }
    }
}
