//! The app's live progress stream (`GET /api/progress/events`), read event by
//! event as the browser's `EventSource` would.

use safelab_protocol::Progress;

use crate::PATIENCE;

/// An open progress stream.
pub struct ProgressEvents {
    response: reqwest::Response,
    text: String,
}

impl ProgressEvents {
    /// Opens the stream of the app at `app_url` (`http://127.0.0.1:PORT/`).
    pub async fn open(app_url: &str) -> Self {
        let url = format!("{}/api/progress/events", app_url.trim_end_matches('/'));
        let response = reqwest::get(&url).await.expect("the stream opens");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            text: String::new(),
        }
    }

    /// The next `progress` event, failing the test after [`PATIENCE`].
    pub async fn next(&mut self) -> Progress {
        loop {
            if let Some(end) = self.text.find("\n\n") {
                let event: String = self.text.drain(..end + 2).collect();
                let data = event
                    .lines()
                    .find_map(|line| line.strip_prefix("data:"))
                    .map(str::trim);
                if event.contains("event: progress")
                    && let Some(progress) = data.and_then(|data| serde_json::from_str(data).ok())
                {
                    return progress;
                }
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("an event in time")
                .expect("bytes")
                .expect("the stream stays open");
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event for which `wanted` holds.
    pub async fn until(&mut self, wanted: impl Fn(&Progress) -> bool) -> Progress {
        loop {
            let progress = self.next().await;
            if wanted(&progress) {
                return progress;
            }
        }
    }
}
