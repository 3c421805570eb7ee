//! The placeholders that put this run's real addresses into lessons.

use safelab_protocol::LabInfo;

/// The values `{{name}}` placeholders in a lesson stand for: this run's real
/// addresses, so every sample a learner copies works as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addresses {
    values: Vec<(String, String)>,
}

impl Addresses {
    /// For every listener `X`: `{{X}}` is its base URL (`https://localhost:7880`),
    /// `{{X_host}}` its `host:port` (what a client puts in `Host`), and
    /// `{{X_hostname}}` and `{{X_port}}` the two apart (what a socket connects
    /// to: `localhost`, `7880`); `{{ca_url}}` is where the root certificate is
    /// downloaded. Each of lesson 6's broken listeners `Y` gives `{{Y}}` and
    /// `{{Y_port}}` (`{{expired}}`, `{{expired_port}}`).
    pub fn of(lab: &LabInfo) -> Self {
        let mut values = Vec::new();
        for listener in &lab.listeners {
            let id = listener.id.as_str();
            let authority = listener
                .url
                .split_once("://")
                .map_or(listener.url.as_str(), |(_, rest)| rest);
            values.push((id.to_owned(), listener.url.clone()));
            values.push((format!("{id}_host"), authority.to_owned()));
            if let Some((hostname, port)) = authority.rsplit_once(':') {
                let hostname = hostname.trim_start_matches('[').trim_end_matches(']');
                values.push((format!("{id}_hostname"), hostname.to_owned()));
                values.push((format!("{id}_port"), port.to_owned()));
            }
        }
        // Lesson 6's broken listeners: `{{expired}}`, `{{expired_port}}`, ….
        for broken in &lab.certificates {
            values.push((broken.id.clone(), broken.url.clone()));
            if let Some((_, port)) = broken.url.rsplit_once(':') {
                values.push((format!("{}_port", broken.id), port.to_owned()));
            }
        }
        values.push(("ca_url".to_owned(), lab.ca_url.clone()));
        Self { values }
    }

    /// Replaces every `{{name}}` in `text`; an unknown name is an error that
    /// lists the known ones.
    pub(super) fn fill(&self, text: &str) -> Result<String, String> {
        let mut filled = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            filled.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                format!(
                    "a placeholder opened by {{{{ is not closed: {:?}",
                    excerpt(after)
                )
            })?;
            let name = after[..end].trim();
            let value = self
                .values
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| value)
                .ok_or_else(|| {
                    let known: Vec<&str> = self
                        .values
                        .iter()
                        .map(|(known, _)| known.as_str())
                        .collect();
                    format!(
                        "unknown placeholder {{{{{name}}}}} (known: {})",
                        known.join(", ")
                    )
                })?;
            filled.push_str(value);
            rest = &after[end + 2..];
        }
        filled.push_str(rest);
        Ok(filled)
    }
}

fn excerpt(text: &str) -> &str {
    text.char_indices()
        .nth(30)
        .map_or(text, |(index, _)| &text[..index])
}

#[cfg(test)]
pub(super) mod tests {
    use safelab_protocol::{Listener, ListenerId};

    use super::*;

    /// A run's addresses as tests use them.
    pub fn addresses() -> Addresses {
        let listener = |id, url: &str| Listener {
            id,
            url: url.to_owned(),
            description: String::new(),
        };
        Addresses::of(&LabInfo {
            listeners: vec![
                listener(ListenerId::App, "http://127.0.0.1:40000"),
                listener(ListenerId::Http, "http://127.0.0.1:40001"),
                listener(ListenerId::Https, "https://localhost:40002"),
                listener(ListenerId::Attacker, "http://127.0.0.1:40003"),
            ],
            ca_url: "http://127.0.0.1:40000/ca.pem".to_owned(),
            // Lesson 6's broken listeners, on the ten ports after the lab's.
            certificates: (40004..)
                .zip(crate::lab::certificates::broken::LISTENERS.iter())
                .map(|(port, spec)| safelab_protocol::BrokenListener {
                    id: spec.id.to_owned(),
                    title: spec.title.to_owned(),
                    url: format!("https://localhost:{port}"),
                    problem: spec.problem.to_owned(),
                    check: spec.check,
                    refusals: Vec::new(),
                })
                .collect(),
        })
    }

    #[test]
    fn placeholders_become_this_runs_addresses() {
        let filled = addresses()
            .fill("{{http}} {{ https_host }} {{ca_url}} {{app}} {{https_hostname}} {{http_port}}")
            .expect("known names");
        assert_eq!(
            filled,
            "http://127.0.0.1:40001 localhost:40002 http://127.0.0.1:40000/ca.pem http://127.0.0.1:40000 localhost 40001"
        );
        let unknown = addresses().fill("{{lab}}").unwrap_err();
        assert!(
            unknown.contains("{{lab}}") && unknown.contains("https_host"),
            "{unknown}"
        );
        assert!(
            addresses()
                .fill("{{http")
                .unwrap_err()
                .contains("not closed")
        );
    }
}
