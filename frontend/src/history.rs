//! The learner's recent exchanges, the last [`MAX_ENTRIES`], kept in the
//! browser's local storage so a reload keeps them. Bodies are stored cut to
//! [`MAX_STORED_BODY`] bytes so fifty answers fit in the space a browser gives.

use safelab_protocol::Exchange;
use serde::{Deserialize, Serialize};

use crate::draft::Sent;

/// How many exchanges the history keeps.
pub const MAX_ENTRIES: usize = 50;
/// The most of a body the history keeps, in bytes.
pub const MAX_STORED_BODY: usize = 16 * 1024;
const STORAGE_KEY: &str = "safelab.history";

/// One exchange in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// What was sent.
    pub sent: Sent,
    /// What came back, when something did.
    pub exchange: Option<Exchange>,
    /// Why nothing came back, when nothing did.
    pub error: Option<String>,
}

impl Entry {
    /// An entry for one send, its body cut to what the history keeps.
    pub fn new(sent: Sent, result: Result<Exchange, String>) -> Self {
        match result {
            Ok(mut exchange) => {
                if cut(&mut exchange.body) {
                    exchange.body_truncated = true;
                }
                cut(&mut exchange.request);
                exchange.headers.truncate(100);
                Self {
                    sent,
                    exchange: Some(exchange),
                    error: None,
                }
            }
            Err(error) => Self {
                sent,
                exchange: None,
                error: Some(error),
            },
        }
    }

    /// One line for the list: the status (or "failed") and what was sent.
    pub fn label(&self) -> String {
        let status = self.exchange.as_ref().map_or_else(
            || "failed".to_owned(),
            |exchange| exchange.status.to_string(),
        );
        format!("{status} · {}", self.sent.describe())
    }
}

/// Cuts `text` to [`MAX_STORED_BODY`] bytes on a character boundary; `true`
/// when it was longer.
fn cut(text: &mut String) -> bool {
    if text.len() <= MAX_STORED_BODY {
        return false;
    }
    let mut end = MAX_STORED_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// `entry` first, then the older ones, at most [`MAX_ENTRIES`].
pub fn with_newest(entries: &[Entry], entry: Entry) -> Vec<Entry> {
    std::iter::once(entry)
        .chain(entries.iter().cloned())
        .take(MAX_ENTRIES)
        .collect()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The history as the browser kept it; empty when there is none or it cannot
/// be read (an older format is dropped, not an error).
pub fn load() -> Vec<Entry> {
    storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps `entries`; when the browser's space runs out, the oldest go first.
pub fn save(entries: &[Entry]) {
    let Some(storage) = storage() else {
        return;
    };
    let mut kept = entries.len();
    while kept > 0 {
        let Ok(text) = serde_json::to_string(&entries[..kept]) else {
            return;
        };
        if storage.set_item(STORAGE_KEY, &text).is_ok() {
            return;
        }
        kept /= 2;
    }
    let _ = storage.remove_item(STORAGE_KEY);
}

#[cfg(test)]
mod tests {
    use safelab_protocol::{ExchangeRequest, Timings};

    use super::*;

    fn exchange(body: String) -> Exchange {
        Exchange {
            request: String::new(),
            status: 200,
            reason: "OK".into(),
            http_version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body,
            body_bytes: 0,
            body_truncated: false,
            decompressed: None,
            timings: Timings::default(),
            tls: None,
        }
    }

    fn sent(url: &str) -> Sent {
        Sent::Form(ExchangeRequest {
            method: "GET".into(),
            url: url.into(),
            ..ExchangeRequest::default()
        })
    }

    #[test]
    fn the_newest_comes_first_and_only_fifty_are_kept() {
        let mut entries = Vec::new();
        for index in 0..60 {
            let entry = Entry::new(sent(&format!("http://x/{index}")), Err("down".into()));
            entries = with_newest(&entries, entry);
        }
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(entries[0].label(), "failed · GET http://x/59");
        assert_eq!(entries[49].label(), "failed · GET http://x/10");
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary_and_say_so() {
        let body = "é".repeat(MAX_STORED_BODY);
        let entry = Entry::new(sent("http://x/"), Ok(exchange(body)));
        let kept = entry.exchange.expect("an exchange");
        assert!(kept.body.len() <= MAX_STORED_BODY && kept.body_truncated);
        let json = serde_json::to_string(&with_newest(
            &[],
            Entry::new(sent("http://x/"), Ok(exchange("ok".into()))),
        ))
        .expect("JSON");
        let back: Vec<Entry> = serde_json::from_str(&json).expect("round-trips");
        assert_eq!(back[0].label(), "200 · GET http://x/");
    }
}
