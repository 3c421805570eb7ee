//! The `safelab` program as a learner runs it: the release binary in its own
//! process, its banner read for the URLs it prints.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::{repo_root, tool};

/// The release build of safelab (`SAFELAB_BIN`, else `target/release/safelab`).
pub fn release_binary() -> PathBuf {
    tool(
        "SAFELAB_BIN",
        repo_root().join("target/release/safelab"),
        "the release build of safelab",
    )
}

/// A running safelab process, killed when dropped.
pub struct Program {
    child: Child,
    /// Every line of the banner, up to and including "Press Ctrl+C".
    pub banner: Vec<String>,
    /// The app's URL as printed (`http://127.0.0.1:PORT/`).
    pub app_url: String,
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Program {
    /// Starts `binary` with `arguments` in `folder` and reads its banner.
    pub fn start(binary: &Path, arguments: &[&str], folder: &Path) -> Self {
        let mut child = Command::new(binary)
            .args(arguments)
            .current_dir(folder)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("safelab starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut banner = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("banner line");
            let done = line.contains("Press Ctrl+C");
            banner.push(line);
            if done {
                break;
            }
        }
        let app_url = last_word(&banner, "Open the app:")
            .unwrap_or_else(|| panic!("the banner names the app URL: {banner:?}"));
        Self {
            child,
            banner,
            app_url,
        }
    }

    /// Kills the process at once, as `kill -9` does (SIGKILL on Unix): no
    /// chance to flush or close anything.
    pub fn kill_hard(mut self) {
        self.child.kill().expect("the process can be killed");
        self.child.wait().expect("the process ends");
    }

    /// The address of the lab's plain-HTTP listener, as the banner prints it.
    pub fn http_lab_address(&self) -> std::net::SocketAddr {
        self.printed("Lab over HTTP:")
            .and_then(|url| {
                url.trim_start_matches("http://")
                    .trim_end_matches("/lab/")
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("the banner names the HTTP lab: {:?}", self.banner))
    }

    /// The process id, to read its CPU time in `/proc`.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The last word of the banner line that contains `label`.
    pub fn printed(&self, label: &str) -> Option<String> {
        last_word(&self.banner, label)
    }
}

fn last_word(lines: &[String], label: &str) -> Option<String> {
    lines
        .iter()
        .find(|line| line.contains(label))
        .and_then(|line| line.split_whitespace().last())
        .map(str::to_owned)
}

/// Runs `binary` with `arguments` to its end.
pub fn run_to_end(binary: &Path, arguments: &[&str]) -> Output {
    Command::new(binary)
        .args(arguments)
        .output()
        .expect("safelab runs")
}
