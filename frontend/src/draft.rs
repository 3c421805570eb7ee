//! The request the learner is building, shared by the builder, the lessons'
//! "Try it" buttons and the snippets.

use leptos::prelude::*;
use safelab_protocol::{ExchangeRequest, LessonRequest};

/// One editable header row. The id keys the row in the list so editing one
/// row never re-creates the others (and focus stays where it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRow {
    /// Stable key of the row.
    pub id: u32,
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// The request being built. `Copy`: every field is a signal.
#[derive(Debug, Clone, Copy)]
pub struct Draft {
    /// The method.
    pub method: RwSignal<String>,
    /// The absolute URL.
    pub url: RwSignal<String>,
    /// Header rows, in order.
    pub headers: RwSignal<Vec<HeaderRow>>,
    /// The body.
    pub body: RwSignal<String>,
    next_id: StoredValue<u32>,
}

impl Draft {
    /// A draft for `GET url`.
    pub fn new(url: String) -> Self {
        Self {
            method: RwSignal::new("GET".to_owned()),
            url: RwSignal::new(url),
            headers: RwSignal::new(Vec::new()),
            body: RwSignal::new(String::new()),
            next_id: StoredValue::new(0),
        }
    }

    fn new_id(&self) -> u32 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    /// Adds an empty header row.
    pub fn add_header(&self) {
        let id = self.new_id();
        self.headers.update(|rows| {
            rows.push(HeaderRow {
                id,
                name: String::new(),
                value: String::new(),
            })
        });
    }

    /// Removes the row with this id.
    pub fn remove_header(&self, id: u32) {
        self.headers.update(|rows| rows.retain(|row| row.id != id));
    }

    /// Edits the row with this id.
    pub fn edit_header(&self, id: u32, edit: impl FnOnce(&mut HeaderRow)) {
        self.headers.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == id) {
                edit(row);
            }
        });
    }

    /// Replaces the draft with a lesson's request, sent to `base` (a listener URL).
    pub fn fill(&self, request: &LessonRequest, base: &str) {
        self.method.set(request.method.clone());
        self.url
            .set(format!("{}{}", base.trim_end_matches('/'), request.path));
        let rows = request
            .headers
            .iter()
            .map(|(name, value)| HeaderRow {
                id: self.new_id(),
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        self.headers.set(rows);
        self.body.set(request.body.clone());
    }

    /// Sends the same path to another listener.
    pub fn rebase(&self, base: &str) {
        self.url.update(|url| *url = rebase(url, base));
    }

    /// The draft as the inspector's request (empty header names are left out).
    pub fn to_request(self) -> ExchangeRequest {
        ExchangeRequest {
            method: self.method.get_untracked().trim().to_owned(),
            url: self.url.get_untracked().trim().to_owned(),
            headers: self
                .headers
                .get_untracked()
                .into_iter()
                .filter(|row| !row.name.trim().is_empty())
                .map(|row| (row.name.trim().to_owned(), row.value))
                .collect(),
            body: self.body.get_untracked(),
        }
    }
}

/// `url` with its scheme and authority replaced by `base`, keeping path and query.
pub fn rebase(url: &str, base: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or("/", |index| &url[after_scheme + index..]);
    let path = if url.contains("://") { path } else { url };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    format!("{}{path}", base.trim_end_matches('/'))
}

/// The listener base (`scheme://authority`) of a URL, if it has one.
pub fn base_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    Some(
        url[after_scheme..]
            .find('/')
            .map_or(url, |index| &url[..after_scheme + index]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebase_keeps_path_and_query() {
        assert_eq!(
            rebase(
                "http://127.0.0.1:7878/lab/status/404?x=1",
                "https://localhost:7879"
            ),
            "https://localhost:7879/lab/status/404?x=1"
        );
        assert_eq!(
            rebase("http://127.0.0.1:7878", "https://localhost:7879/"),
            "https://localhost:7879/"
        );
        assert_eq!(
            rebase("lab/hello", "https://localhost:7879"),
            "https://localhost:7879/lab/hello"
        );
    }

    #[test]
    fn base_of_finds_scheme_and_authority() {
        assert_eq!(
            base_of("https://localhost:7879/lab/hello"),
            Some("https://localhost:7879")
        );
        assert_eq!(
            base_of("http://127.0.0.1:7878"),
            Some("http://127.0.0.1:7878")
        );
        assert_eq!(base_of("/lab/hello"), None);
    }
}
