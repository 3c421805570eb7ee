//! The lesson validator: every lesson is one name across the repository, every
//! "Try it" request reaches a real lab endpoint, every challenge has a detector
//! (the program refuses to start otherwise, see `backend/src/lessons`), every
//! Python sample runs as pasted, and every lesson's Python scripts run against a
//! live safelab and solve each of the lesson's challenges.

use safelab_protocol::{LabIndex, Lesson, LessonBlock, LessonSummary};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, get_json, repo_root};

async fn lessons(lab: &Lab) -> Vec<Lesson> {
    let summaries: Vec<LessonSummary> =
        serde_json::from_value(get_json(&lab.app("/api/lessons")).await).expect("lesson list");
    let mut lessons = Vec::new();
    for summary in summaries {
        let lesson = get_json(&lab.app(&format!("/api/lessons/{}", summary.id))).await;
        lessons.push(serde_json::from_value(lesson).expect("a lesson"));
    }
    lessons
}

#[tokio::test]
async fn a_lesson_id_names_its_markdown_lab_tests_and_python() {
    let lab = Lab::start().await;
    let root = repo_root();
    for lesson in lessons(&lab).await {
        let id = &lesson.summary.id;
        for path in [
            format!("lessons/{id}.md"),
            format!("backend/src/lab/{id}/mod.rs"),
            format!("tests/integration/{id}.rs"),
        ] {
            assert!(root.join(&path).is_file(), "lesson {id} lacks {path}");
        }
        let main =
            std::fs::read_to_string(root.join("tests/integration/main.rs")).expect("main.rs");
        assert!(
            main.contains(&format!("mod {id};")),
            "tests/integration/main.rs lacks mod {id}"
        );
        assert!(
            !lesson.scripts.is_empty() && lesson.scripts.iter().all(|name| name.ends_with(".py")),
            "lesson {id} offers its Python scripts from lessons/{id}/"
        );
        assert!(
            !lesson.challenges().is_empty(),
            "lesson {id} has challenges"
        );
    }
}

/// Whether `path` (no query) matches a `GET /lab` route: `{name}` is one
/// segment, `{*name}` the rest.
fn matches_route(route: &str, path: &str) -> bool {
    let (mut route_parts, mut path_parts) = (route.split('/'), path.split('/'));
    loop {
        match (route_parts.next(), path_parts.next()) {
            (None, None) => return true,
            (Some(part), Some(_)) if part.starts_with("{*") => return true,
            (Some(part), Some(segment)) if part.starts_with('{') => {
                if segment.is_empty() {
                    return false;
                }
            }
            (Some(part), Some(segment)) if part == segment => {}
            _ => return false,
        }
    }
}

#[tokio::test]
async fn every_try_it_request_reaches_a_listed_lab_endpoint() {
    let lab = Lab::start().await;
    let index: LabIndex = serde_json::from_value(get_json(&lab.http("/lab")).await).expect("/lab");
    let https_index: LabIndex = lab
        .trusting_client()
        .get(lab.https("/lab"))
        .send()
        .await
        .expect("/lab over HTTPS")
        .json()
        .await
        .expect("the same index");
    assert_eq!(index, https_index, "every lab listener lists the same lab");
    let mut tried = 0;
    for lesson in lessons(&lab).await {
        for block in lesson.all_blocks() {
            let LessonBlock::Request(request) = block else {
                continue;
            };
            tried += 1;
            let path = request.path.split('?').next().unwrap_or_default();
            assert!(
                index
                    .endpoints
                    .iter()
                    .any(|endpoint| matches_route(&endpoint.path, path)
                        && (endpoint.method == "ANY" || endpoint.method == request.method)),
                "lesson {}: {} {} is no endpoint GET /lab lists",
                lesson.summary.id,
                request.method,
                request.path
            );
            for base in [lab.http(""), lab.https("")] {
                let url = format!("{base}{}", request.path);
                let (status, exchange) = lab
                    .exchange(serde_json::json!({
                        "method": request.method, "url": url,
                        "headers": request.headers, "body": request.body,
                    }))
                    .await;
                assert_eq!(status, 200, "{url}: {exchange}");
                let body = exchange["body"].as_str().unwrap_or_default();
                assert!(
                    !body.contains("GET /lab lists them"),
                    "{url} is not a lab endpoint"
                );
            }
        }
    }
    assert!(tried >= 10, "the lessons have their Try it requests");
}

#[tokio::test]
async fn every_python_sample_runs_as_pasted() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    for lesson in lessons(&lab).await {
        let text = serde_json::to_string(&lesson).expect("JSON");
        for default in ["7878", "7879", "7880"] {
            assert!(
                !text.contains(default),
                "lesson {} names port {default}, not this run's",
                lesson.summary.id
            );
        }
        for block in lesson.all_blocks() {
            let LessonBlock::Code(sample) = block else {
                continue;
            };
            if sample.language != "python" {
                continue;
            }
            let output = learner.run_code(&sample.code).await;
            let stderr = String::from_utf8_lossy(&output.stderr);
            match &sample.fails_with {
                None => assert!(
                    output.status.success(),
                    "lesson {}: this sample fails:\n{}\n{stderr}",
                    lesson.summary.id,
                    sample.code
                ),
                Some(error) => {
                    assert!(
                        !output.status.success(),
                        "this sample should fail:\n{}",
                        sample.code
                    );
                    let last = stderr.trim().lines().last().unwrap_or_default();
                    assert!(
                        last.contains(error.as_str()),
                        "it should end with {error}, not {last:?}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn unknown_lessons_and_scripts_get_a_json_404() {
    let lab = Lab::start().await;
    for (path, code) in [
        ("/api/lessons/files/python/nope.py", "script_not_found"),
        ("/api/lessons/nope/python/challenges.py", "lesson_not_found"),
        (
            "/api/lessons/files/python/..%2f..%2fbasics.md",
            "script_not_found",
        ),
    ] {
        let response = reqwest::get(lab.app(path)).await.expect("up");
        assert_eq!(response.status(), 404, "{path}");
        let error: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(error["code"], code, "{path}");
    }
}

/// Each lesson's scripts, downloaded from the app as a learner would, run
/// against a safelab of their own and solve every challenge of the lesson.
#[tokio::test]
async fn every_lessons_python_scripts_solve_its_challenges() {
    for lesson in lessons(&Lab::start().await).await {
        let lab = Lab::start().await;
        let learner = Learner::new(&lab).await;
        let id = &lesson.summary.id;
        for name in &lesson.scripts {
            let url = lab.app(&format!("/api/lessons/{id}/python/{name}"));
            let script = reqwest::get(&url)
                .await
                .expect("downloads")
                .text()
                .await
                .expect("text");
            assert!(!script.contains("{{"), "{url} has a placeholder left");
            let output = learner.run_script(name, &script).await;
            assert!(
                output.status.success(),
                "lessons/{id}/{name} failed:\n{}",
                printed(&output)
            );
        }
        let declared: Vec<String> = lesson.challenges().iter().map(|c| c.id.clone()).collect();
        assert_eq!(
            lab.solved(id).await,
            declared,
            "lesson {id}: its scripts solve every challenge"
        );
    }
}
