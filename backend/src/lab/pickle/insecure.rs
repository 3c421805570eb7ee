//! INSECURE BY DESIGN, for lesson `pickle`; its secure twin is `secure.rs`
//! beside this file, under `/lab/secure/models`.
//!
//! A model-upload service as a hurried data team writes it:
//! `model = pickle.loads(request.body)`. Whatever the pickle imports and
//! calls, the service would run, with the service's rights: `os.system`,
//! `subprocess.Popen`, `eval`…
//!
//! SIMULATED: nothing is unpickled, imported or executed. The upload is read
//! by the pickle inspector's symbolic machine, and the answer says what the
//! server would have run, with made-up output from a made-up machine
//! ([`fake_output`]). A pickle that breaks `pickle.loads` gets the bare 500
//! the real service would give.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use safelab_tools::pickle::{Verdict, inspect};
use serde_json::json;

use super::{INSECURE_RUNS_PICKLE, MODEL, result_of};
use crate::AppState;

/// The upload's route.
pub(super) const MODELS: &str = "/lab/insecure/models";

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(MODELS, post(upload))
}

/// "Loads" the uploaded pickle and says what that ran.
async fn upload(State(state): State<AppState>, body: Bytes) -> Response {
    let report = inspect(&body);
    if report.verdict == Verdict::Malformed || (report.error.is_some() && report.calls.is_empty()) {
        let message = report
            .error
            .map_or_else(|| "pickle data was truncated".to_owned(), |e| e.message);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("500 Internal Server Error\n\n_pickle.UnpicklingError: {message}\n"),
        )
            .into_response();
    }
    let ran: Vec<_> = report
        .calls
        .iter()
        .map(|call| {
            json!({
                "call": call.python,
                "output": fake_output(&call.callable, &call.strings),
            })
        })
        .collect();
    let dangerous = report.calls.iter().any(|call| call.dangerous);
    if dangerous {
        state.labs.pickle.ran(&body);
        if body.as_ref() != MODEL {
            state.solved(INSECURE_RUNS_PICKLE).await;
        }
    }
    Json(json!({
        "loaded": true,
        "model": result_of(&report),
        "ran": ran,
        "simulated": "Nothing was unpickled or run: the lab read your pickle without loading it and shows what a real pickle.loads would have run on this server, with made-up output.",
    }))
    .into_response()
}

/// What the made-up model server answers when `callable` runs with these
/// string arguments.
fn fake_output(callable: &str, strings: &[String]) -> String {
    let name = callable.rsplit('.').next().unwrap_or(callable);
    let module = callable.split('.').next().unwrap_or_default();
    let command = strings.join(" ");
    match (module, name) {
        ("os" | "posix" | "nt" | "subprocess" | "pty", _) => shell(&command),
        (_, "eval" | "exec") => {
            format!("evaluated {command:?} as Python, with the server's rights")
        }
        (_, "__import__") => format!("<module '{command}'>"),
        (_, "getattr") => format!(
            "<the attribute {:?}>",
            strings.last().cloned().unwrap_or_default()
        ),
        (_, "open") => format!("<_io.TextIOWrapper name='{command}' mode='r'>"),
        _ if command.is_empty() => format!("called {callable}"),
        _ => format!("called {callable} with {command:?}"),
    }
}

/// The made-up shell of the made-up server.
fn shell(command: &str) -> String {
    let words: Vec<&str> = command
        .split_whitespace()
        .filter(|w| !matches!(*w, "/bin/sh" | "sh" | "-c" | "bash" | "/bin/bash"))
        .collect();
    let first = words.first().copied().unwrap_or_default();
    let first = first.rsplit('/').next().unwrap_or(first);
    match first {
        "id" => "uid=1001(modelsvc) gid=1001(modelsvc) groups=1001(modelsvc),27(sudo)".into(),
        "whoami" => "modelsvc".into(),
        "hostname" => "model-server-01".into(),
        "uname" => "Linux model-server-01 6.1.0-lab #1 SMP x86_64 GNU/Linux".into(),
        "pwd" => "/srv/models".into(),
        "ls" => "churn_model.pkl\nserve.py\nrequirements.txt\n.env".into(),
        "env" | "printenv" => "MODEL_BUCKET=s3://acme-models\nAWS_ACCESS_KEY_ID=AKIALABFAKEEXAMPLE00\nAWS_SECRET_ACCESS_KEY=lab/fake/secret/not/real/0000000000000000\nDATABASE_URL=postgres://modelsvc:lab-fake-pw@db:5432/prod".into(),
        "cat" if command.contains("passwd") => "root:x:0:0:root:/root:/bin/bash\nmodelsvc:x:1001:1001::/srv/models:/bin/bash".into(),
        "cat" if command.contains(".env") => "AWS_SECRET_ACCESS_KEY=lab/fake/secret/not/real/0000000000000000".into(),
        "echo" => words[1..].join(" ").trim_matches(['\'', '"']).to_owned()
            + if command.contains("curl") || command.contains("wget") {
                "\n(and then downloaded a script and ran it: on a real server, anything at all)"
            } else {
                ""
            },
        "curl" | "wget" => "(downloaded a script and ran it: on a real server, anything at all)".into(),
        "" => "(a shell with no command)".into(),
        _ => format!("(ran {command:?} as the user modelsvc: exit status 0)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_machine_answers_common_commands() {
        assert!(fake_output("posix.system", &["id".into()]).starts_with("uid=1001(modelsvc)"));
        assert_eq!(
            fake_output(
                "subprocess.Popen",
                &["/bin/sh".into(), "-c".into(), "whoami".into()]
            ),
            "modelsvc"
        );
        assert!(fake_output("builtins.eval", &["1+1".into()]).contains("evaluated"));
        assert!(fake_output("posix.system", &["rm -rf /".into()]).contains("exit status 0"));
    }
}
