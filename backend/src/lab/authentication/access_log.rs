//! An access log like a web server's, one per twin, for the lesson to show
//! where a password in a URL ends up. Lines are in the combined log format
//! (`127.0.0.1 - user [date] "GET /path?query HTTP/1.1" 200 - "referer"
//! "agent"`); what goes in the request line is the twin's call. Only the
//! latest [`KEPT`] lines are kept.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::request::Parts;
use axum::http::{StatusCode, header};

/// How many lines a log keeps.
const KEPT: usize = 50;

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The log line(s).
    pub lines: Vec<String>,
    /// Whether a password is written in them.
    pub password: bool,
    /// The URL the request asked for, as a browser would put it in
    /// `Referer`, when a password is part of it.
    pub url_with_password: Option<String>,
}

/// A twin's access log, latest last.
#[derive(Debug, Default)]
pub(super) struct AccessLog {
    entries: Mutex<VecDeque<Entry>>,
}

impl AccessLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        super::super::lock(&self.entries)
    }

    /// Keeps `entry`, dropping the oldest past [`KEPT`].
    pub fn record(&self, entry: Entry) {
        let mut entries = self.lock();
        entries.push_back(entry);
        while entries.len() > KEPT {
            entries.pop_front();
        }
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().iter().cloned().collect()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// A combined-log-format line for `request`, answered `status`, from
/// `client`, as `user` (`-` when none), with `target` as the request line's
/// target.
pub(super) fn combined(
    request: &Parts,
    client: IpAddr,
    user: Option<&str>,
    target: &str,
    status: StatusCode,
) -> String {
    let quoted = |name: header::HeaderName| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map_or_else(|| "-".to_owned(), |value| value.replace('"', "\\\""))
    };
    format!(
        "{client} - {user} [{date}] \"{method} {target} {version:?}\" {status} - \"{referer}\" \"{agent}\"",
        user = user
            .filter(|user| !user.is_empty())
            .map_or_else(|| "-".to_owned(), printable),
        date = now(),
        method = request.method,
        target = printable(target),
        version = request.version,
        status = status.as_u16(),
        referer = quoted(header::REFERER),
        agent = quoted(header::USER_AGENT),
    )
}

/// `text` with control characters escaped, so a request cannot forge lines.
pub(super) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Now, as web servers write it: `24/Nov/2026:00:43:31 +0000`.
fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let month = now.month().to_string();
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
        now.day(),
        &month[..3],
        now.year(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    #[test]
    fn a_line_is_in_the_combined_format_and_cannot_be_split() {
        let (parts, ()) = Request::get("/lab/x?password=a")
            .header("user-agent", "python-requests/2.32.3")
            .body(())
            .expect("a request")
            .into_parts();
        let line = combined(
            &parts,
            IpAddr::from([127, 0, 0, 1]),
            Some("ning\nforged"),
            "/lab/x?password=a",
            StatusCode::OK,
        );
        assert!(line.starts_with("127.0.0.1 - ning\\nforged ["), "{line}");
        assert!(
            line.ends_with(
                "] \"GET /lab/x?password=a HTTP/1.1\" 200 - \"-\" \"python-requests/2.32.3\""
            ),
            "{line}"
        );
    }

    #[test]
    fn only_the_latest_lines_are_kept() {
        let log = AccessLog::default();
        for n in 0..KEPT + 5 {
            log.record(Entry {
                lines: vec![n.to_string()],
                password: false,
                url_with_password: None,
            });
        }
        let entries = log.entries();
        assert_eq!(entries.len(), KEPT);
        assert_eq!(entries[0].lines, ["5"]);
        log.clear();
        assert!(log.entries().is_empty());
    }
}
