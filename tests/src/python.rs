//! Python as a learner runs it: the project's venv with `requests`, in a folder
//! of the learner's own that holds `safelab-ca.pem` as the lessons say, and
//! nothing trusted from the environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

use crate::{Lab, repo_root, tool};

/// A learner's working folder with the lab's CA saved in it.
pub struct Learner {
    python: PathBuf,
    folder: TempDir,
}

impl Learner {
    /// A folder with `safelab-ca.pem` downloaded from `lab`'s `ca_url`.
    pub async fn new(lab: &Lab) -> Self {
        let python = tool(
            "SAFELAB_PYTHON",
            repo_root().join(".local/venv/bin/python"),
            "the project's Python venv",
        );
        let folder = tempfile::tempdir().expect("a working folder");
        let ca = reqwest::get(&lab.running.lab.ca_url)
            .await
            .expect("the CA downloads")
            .text()
            .await
            .expect("PEM");
        std::fs::write(folder.path().join("safelab-ca.pem"), ca).expect("save the CA");
        Self { python, folder }
    }

    /// The working folder.
    pub fn folder(&self) -> &Path {
        self.folder.path()
    }

    /// Runs `code` as `python -c` would.
    pub async fn run_code(&self, code: &str) -> Output {
        self.run(vec!["-c".to_owned(), code.to_owned()]).await
    }

    /// Saves `script` as `name` in the folder and runs it.
    pub async fn run_script(&self, name: &str, script: &str) -> Output {
        std::fs::write(self.folder().join(name), script).expect("save the script");
        self.run(vec![name.to_owned()]).await
    }

    async fn run(&self, arguments: Vec<String>) -> Output {
        let (python, folder) = (self.python.clone(), self.folder().to_owned());
        tokio::task::spawn_blocking(move || {
            Command::new(python)
                .args(arguments)
                .current_dir(folder)
                .env_remove("REQUESTS_CA_BUNDLE")
                .env_remove("CURL_CA_BUNDLE")
                .env_remove("SSL_CERT_FILE")
                .env_remove("PYTHONPATH")
                .output()
                .expect("python runs")
        })
        .await
        .expect("joined")
    }
}

/// What a run printed, for failure messages.
pub fn printed(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
