//! The code-review gates and the pipeline that runs what they merged.
//!
//! The pipeline never runs Python: it reads the merged script with the lint
//! to learn whether the script hands the file name to a shell (B602/B605,
//! `# nosec` or not: a comment does not change what code does), and then
//! simulates that shell over the lab's fake files.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use safelab_tools::Level;
use safelab_tools::lint::{Finding, Report};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ACCEPTED, INJECT, LESSON, REFUSED, REPORT};
use crate::AppState;
use crate::lab::error::LabError;
use crate::progress::LOCAL_LEARNER;

pub(super) const INSECURE_SCRIPT: &str = "/lab/insecure/linting/script";
pub(super) const INSECURE_MERGE: &str = "/lab/insecure/linting/merge";
pub(super) const INSECURE_RUN: &str = "/lab/insecure/linting/run";
pub(super) const SECURE_SCRIPT: &str = "/lab/secure/linting/script";
pub(super) const SECURE_MERGE: &str = "/lab/secure/linting/merge";
pub(super) const SECURE_RUN: &str = "/lab/secure/linting/run";

/// The largest script a gate takes.
const MAX_SCRIPT: usize = 64 * 1024;
/// The longest file name the pipeline takes.
const MAX_FILE_NAME: usize = 512;

/// The lab's fake files, as the pipeline's machine holds them.
const FILES: &[(&str, &str)] = &[
    (
        "data.csv",
        "customer,region,churned\n1041,north,0\n1042,south,1\n1043,east,0\n1044,west,0\n",
    ),
    ("regions.csv", "region,manager\nnorth,Ada\nsouth,Grace\n"),
    (
        "credentials.env",
        "# The pipeline's warehouse login (lab fake)\nWAREHOUSE_USER=pipeline\nWAREHOUSE_PASSWORD=lab-fake-Wh7731-not-real\n",
    ),
];

/// Which twin's merged script.
#[derive(Debug, Clone, Copy)]
enum Twin {
    Insecure,
    Secure,
}

impl Twin {
    fn key(self) -> &'static str {
        match self {
            Self::Insecure => "merged-insecure",
            Self::Secure => "merged-secure",
        }
    }
}

/// `GET …/script`: the report script under review.
pub(super) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/x-python; charset=utf-8")],
        REPORT,
    )
        .into_response()
}

/// A request body, or why axum refused to read it (the lab's own body
/// limit is 64 KiB too): said as JSON like every other refusal.
type Body = Result<Bytes, BytesRejection>;

/// The submitted script as text, within the size limit.
fn submission(body: &Body) -> Result<&str, LabError> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(LabError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the script is too large: the gate takes at most {MAX_SCRIPT} bytes"),
            ));
        }
        Err(rejection) => return Err(LabError::new(rejection.status(), rejection.body_text())),
    };
    if body.len() > MAX_SCRIPT {
        return Err(LabError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the script is {} bytes; the gate takes at most {MAX_SCRIPT}",
                body.len()
            ),
        ));
    }
    if body.is_empty() {
        return Err(LabError::new(
            StatusCode::BAD_REQUEST,
            "send the Python script as the request body",
        ));
    }
    std::str::from_utf8(body).map_err(|_| {
        LabError::new(
            StatusCode::BAD_REQUEST,
            "the script is not UTF-8 text: send the .py file's bytes as they are",
        )
    })
}

async fn keep(state: &AppState, twin: Twin, script: &str) -> Result<(), LabError> {
    state
        .progress
        .set_lab_state(
            LOCAL_LEARNER,
            LESSON,
            twin.key(),
            script.as_bytes().to_vec(),
        )
        .await
        .map_err(|error| {
            LabError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the gate could not keep the script: {error}"),
            )
        })
}

/// `POST /lab/insecure/linting/merge`: merges whatever it gets.
pub(super) async fn insecure_merge(State(state): State<AppState>, body: Body) -> Response {
    let result = async {
        let script = submission(&body)?;
        keep(&state, Twin::Insecure, script).await?;
        Ok::<_, LabError>(Json(json!({
            "merged": true,
            "bytes": script.len(),
            "review": "none: merged as sent",
        })))
    };
    match result.await {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    }
}

/// A finding as the gate lists it.
fn listed(finding: &Finding) -> Value {
    json!({
        "check": finding.check,
        "name": finding.name,
        "line": finding.line,
        "severity": finding.severity,
        "confidence": finding.confidence,
        "message": finding.message,
        "fix": finding.fix,
        "code": finding.code,
    })
}

/// The lines whose `# nosec` names no check or gives no reason.
fn unjustified_nosec(script: &str) -> Vec<usize> {
    script
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (_, after) = line.split_once('#')?;
            let rest = after.trim_start().strip_prefix("nosec")?;
            let words: Vec<&str> = rest
                .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
                .filter(|word| !word.is_empty())
                .collect();
            let names_check = words.iter().any(|word| {
                word.len() > 1
                    && word.starts_with('B')
                    && word[1..].bytes().all(|b| b.is_ascii_digit())
            });
            let reason = words
                .iter()
                .filter(|word| {
                    !(word.starts_with('B') && word[1..].bytes().all(|b| b.is_ascii_digit()))
                })
                .filter(|word| word.chars().any(char::is_alphabetic))
                .count();
            (!names_check || reason < 2).then_some(index + 1)
        })
        .collect()
}

/// `POST /lab/secure/linting/merge`: lints, refuses what is medium or high.
pub(super) async fn secure_merge(State(state): State<AppState>, body: Body) -> Response {
    let result = async {
        let script = submission(&body)?;
        let report = safelab_tools::lint::lint("submission.py", script);
        if let Some(error) = &report.syntax_error {
            return Err(LabError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the script does not parse (line {}, column {}: {}): fix the syntax and send it again",
                    error.line, error.column, error.message
                ),
            )
            .with("syntax_error", json!(error)));
        }
        let (blocking, notes): (Vec<&Finding>, Vec<&Finding>) = report
            .findings
            .iter()
            .partition(|finding| finding.severity >= Level::Medium);
        let notes: Vec<Value> = notes.into_iter().map(listed).collect();
        if !blocking.is_empty() {
            if blocking
                .iter()
                .any(|finding| matches!(finding.check.as_str(), "B602" | "B605" | "B608"))
            {
                state.solved(REFUSED).await;
            }
            return Err(LabError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the review gate refused the script: {} finding{} of medium or high severity. Fix each (see `fix`), or, if it is a false positive, justify it on its line with `# nosec <id> <reason>`, and send it again",
                    blocking.len(),
                    if blocking.len() == 1 { "" } else { "s" }
                ),
            )
            .with("findings", blocking.into_iter().map(listed).collect::<Vec<_>>())
            .with("notes", notes));
        }
        let unjustified = unjustified_nosec(script);
        if !unjustified.is_empty() {
            return Err(LabError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "every `# nosec` must name the check it silences and say why (`# nosec B603 our own fixed command`)",
            )
            .with("lines", unjustified));
        }
        if !script.contains("def count_lines(") {
            return Err(LabError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the script no longer does its job: the pipeline calls count_lines(path), so keep that function",
            ));
        }
        keep(&state, Twin::Secure, script).await?;
        state.solved(ACCEPTED).await;
        Ok(Json(json!({
            "merged": true,
            "review": "passed: no medium or high findings",
            "notes": notes,
            "suppressed": report.suppressed,
        })))
    };
    match result.await {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    }
}

/// `?file=`: the data file the pipeline's run counts.
#[derive(Debug, Deserialize)]
pub(super) struct RunQuery {
    file: Option<String>,
}

/// `POST /lab/insecure/linting/run?file=`.
pub(super) async fn insecure_run(state: State<AppState>, query: Query<RunQuery>) -> Response {
    run(state, query, Twin::Insecure).await
}

/// `POST /lab/secure/linting/run?file=`.
pub(super) async fn secure_run(state: State<AppState>, query: Query<RunQuery>) -> Response {
    run(state, query, Twin::Secure).await
}

async fn run(State(state): State<AppState>, Query(query): Query<RunQuery>, twin: Twin) -> Response {
    let result = async {
        let file = query.file.unwrap_or_default();
        if file.is_empty() || file.len() > MAX_FILE_NAME {
            return Err(LabError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "name the data file to count in ?file= (at most {MAX_FILE_NAME} bytes), e.g. ?file=data.csv"
                ),
            ));
        }
        let merged = state
            .progress
            .lab_state(LOCAL_LEARNER, LESSON, twin.key())
            .await
            .map_err(|error| LabError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
        let Some(merged) = merged else {
            let merge = match twin {
                Twin::Insecure => INSECURE_MERGE,
                Twin::Secure => SECURE_MERGE,
            };
            return Err(LabError::new(
                StatusCode::CONFLICT,
                format!("nothing merged yet: POST a report script to {merge} first"),
            ));
        };
        let merged = String::from_utf8_lossy(&merged);
        let shell = uses_shell(&safelab_tools::lint::lint(
            "merged.py",
            &merged.replace("nosec", "n0sec"),
        ));
        let (output, injected) = simulate(&file, shell);
        if injected && matches!(twin, Twin::Insecure) {
            state.solved(INJECT).await;
        }
        Ok(Json(json!({
            "file": file,
            "command": if shell { format!("sh -c 'wc -l {file}'") } else { format!("count_lines({file:?})") },
            "shell": shell,
            "output": output,
            "simulated": "the lab never runs the script: it reads it and simulates the shell over its fake files",
        })))
    };
    match result.await {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    }
}

/// Whether a script hands data to a shell: a high-severity B602 or B605.
fn uses_shell(report: &Report) -> bool {
    report.findings.iter().any(|finding| {
        matches!(finding.check.as_str(), "B602" | "B605") && finding.severity == Level::High
    })
}

/// The output of counting `file`'s lines: through a shell (`wc -l FILE`,
/// where `;`, `|`, `&`, `$(` and backticks start more commands), or as a
/// plain path. Also whether more commands ran.
fn simulate(file: &str, shell: bool) -> (String, bool) {
    let count = |name: &str| match FILES.iter().find(|(known, _)| *known == name) {
        Some((known, content)) => format!("{} {known}", content.lines().count()),
        None => format!("wc: {name}: No such file or directory"),
    };
    if !shell {
        return (
            match FILES.iter().find(|(known, _)| *known == file) {
                Some((known, content)) => format!("{} rows in {known}", content.lines().count()),
                None => format!("FileNotFoundError: [Errno 2] No such file or directory: {file:?}"),
            },
            false,
        );
    }
    let parts: Vec<&str> = file
        .split([';', '|', '&', '\n', '`', '$', '(', ')'])
        .map(str::trim)
        .collect();
    let mut output = vec![count(parts.first().copied().unwrap_or_default())];
    let mut injected = false;
    for command in parts.iter().skip(1).filter(|part| !part.is_empty()) {
        injected = true;
        let mut words = command.split_whitespace();
        let program = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        output.push(match program {
            "cat" | "head" | "tail" => args
                .iter()
                .filter(|arg| !arg.starts_with('-'))
                .map(|arg| match FILES.iter().find(|(known, _)| known == arg) {
                    Some((_, content)) => content.trim_end().to_owned(),
                    None => format!("{program}: {arg}: No such file or directory"),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            "ls" => FILES
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join("\n"),
            "id" => "uid=1001(pipeline) gid=1001(pipeline) groups=1001(pipeline)".to_owned(),
            "whoami" => "pipeline".to_owned(),
            "echo" => args.join(" "),
            "pwd" => "/srv/pipeline".to_owned(),
            other => format!("sh: 1: {other}: not found"),
        });
    }
    (output.join("\n"), injected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_runs_injected_commands_only_through_a_shell() {
        let (output, injected) = simulate("data.csv; cat credentials.env", true);
        assert!(injected);
        assert!(output.contains("WAREHOUSE_PASSWORD=lab-fake"), "{output}");
        assert!(output.starts_with("5 data.csv"), "{output}");
        let (output, injected) = simulate("data.csv; cat credentials.env", false);
        assert!(!injected);
        assert!(output.contains("No such file"), "{output}");
        assert_eq!(simulate("data.csv", true), ("5 data.csv".into(), false));
    }

    #[test]
    fn the_report_script_uses_a_shell_and_the_fixed_one_does_not() {
        assert!(uses_shell(&safelab_tools::lint::lint("r.py", REPORT)));
        assert!(!uses_shell(&safelab_tools::lint::lint(
            "r.py",
            super::super::REPORT_FIXED
        )));
    }

    #[test]
    fn a_nosec_needs_a_check_and_a_reason() {
        assert_eq!(
            unjustified_nosec(
                "a()  # nosec\nb()  # nosec B603\nc()  # nosec B603 our own fixed command\n"
            ),
            vec![1, 2]
        );
    }
}
