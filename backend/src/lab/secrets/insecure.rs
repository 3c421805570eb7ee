//! INSECURE BY DESIGN, for lesson `secrets` ("Secrets in version control");
//! its secure twin is `secure.rs` beside this file, under
//! `/lab/secure/secrets`.
//!
//! The survey dashboard deployed the quick way: the web server serves the
//! project folder as it is, dotfiles and `.git/` included. `.git/` holds
//! the whole history, so `git clone <site>/.git` (git's dumb HTTP protocol:
//! `info/refs`, `HEAD`, loose objects) or any ".git dumper" gets every
//! version of every file, the key "removed" in a later commit too. Nothing
//! is read from the host: the repository is built in memory ([`super::repo`]).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use safelab_tools::secrets::git::Oid;

use super::repo::{BRANCH, REPOSITORY};
use super::{CLONE_HISTORY, not_found, requested, site_file};
use crate::AppState;

/// The site's root.
const PREFIX: &str = "/lab/insecure/secrets";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            PREFIX,
            get(|| async { Redirect::permanent("/lab/insecure/secrets/") }),
        )
        .route(&format!("{PREFIX}/"), get(serve))
        .route(&format!("{PREFIX}/{{*path}}"), get(serve))
}

/// Any file of the project folder, `.git/` included.
async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let Some(path) = requested(uri.path(), PREFIX) else {
        return not_found();
    };
    if let Some(inside) = path.strip_prefix(".git/") {
        return git_file(&state, inside).await;
    }
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path
    };
    match REPOSITORY.files.get(path.as_str()) {
        Some(text) => site_file(&path, text),
        None => not_found(),
    }
}

/// A file of `.git/`, as the folder on disk would hold it.
async fn git_file(state: &AppState, path: &str) -> Response {
    let repository = &*REPOSITORY;
    let head = repository.head();
    let text = |body: String| {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            body,
        )
            .into_response()
    };
    match path {
        "HEAD" => text(format!("ref: {BRANCH}\n")),
        "config" => text(
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n[remote \"origin\"]\n\turl = https://git.example.org/ning/survey-dashboard.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n"
                .to_owned(),
        ),
        "description" => text(
            "Unnamed repository; edit this file 'description' to name the repository.\n"
                .to_owned(),
        ),
        "refs/heads/main" => text(format!("{head}\n")),
        "info/refs" => text(format!("{head}\t{BRANCH}\n")),
        "objects/info/packs" => text("\n".to_owned()),
        "index" => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            repository.index(),
        )
            .into_response(),
        "logs/HEAD" | "logs/refs/heads/main" => text(repository.reflog()),
        "COMMIT_EDITMSG" => text(
            repository
                .commits
                .last()
                .map_or(String::new(), |(_, summary)| format!("{summary}\n")),
        ),
        _ => {
            let Some(id) = path
                .strip_prefix("objects/")
                .and_then(|rest| rest.split_once('/'))
                .filter(|(folder, _)| folder.len() == 2)
                .and_then(|(folder, rest)| Oid::from_hex(&format!("{folder}{rest}")))
            else {
                return not_found();
            };
            let Some(bytes) = repository.loose(&id) else {
                return not_found();
            };
            if id == repository.leaky_blob {
                state.solved(CLONE_HISTORY).await;
            }
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-git-loose-object"),
                )],
                bytes,
            )
                .into_response()
        }
    }
}
