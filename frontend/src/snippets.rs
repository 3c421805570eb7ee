//! "Copy as Python requests" and "Copy as curl": the current request as code a
//! learner can run outside the lab. HTTPS snippets trust safelab's CA file;
//! they never turn verification off.

use safelab_protocol::Header;

/// The file name learners save `/ca.pem` under.
pub const CA_FILE: &str = "safelab-ca.pem";

/// The request being built, as the snippets see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet<'a> {
    /// The method.
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Headers, in order.
    pub headers: &'a [Header],
    /// The body; empty for none.
    pub body: &'a str,
}

impl Snippet<'_> {
    fn is_https(&self) -> bool {
        self.url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// The request as a Python script using `requests`.
    pub fn python(&self) -> String {
        let method = self.method.trim().to_ascii_uppercase();
        let call = match method.as_str() {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
                format!(
                    "requests.{}(\n    {},\n",
                    method.to_ascii_lowercase(),
                    python_string(self.url)
                )
            }
            _ => format!(
                "requests.request(\n    {},\n    {},\n",
                python_string(&method),
                python_string(self.url)
            ),
        };
        let mut code = String::from("import requests\n\nresponse = ");
        code.push_str(&call);
        let headers: Vec<&Header> = self
            .headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
            .collect();
        if !headers.is_empty() {
            code.push_str("    headers={\n");
            for (name, value) in headers {
                code.push_str(&format!(
                    "        {}: {},\n",
                    python_string(name),
                    python_string(value)
                ));
            }
            code.push_str("    },\n");
        }
        if !self.body.is_empty() {
            code.push_str(&format!("    data={},\n", python_string(self.body)));
        }
        if self.is_https() {
            code.push_str(&format!(
                "    # Trust safelab's CA (download it from /ca.pem); never switch verification off.\n    verify={},\n",
                python_string(CA_FILE)
            ));
        }
        code.push_str("    timeout=10,\n)\n");
        code.push_str("print(response.status_code, response.reason)\n");
        code.push_str(
            "for name, value in response.headers.items():\n    print(f\"{name}: {value}\")\n",
        );
        code.push_str("print()\nprint(response.text)\n");
        code
    }

    /// The request as a curl command line (POSIX shell quoting).
    pub fn curl(&self) -> String {
        let method = self.method.trim().to_ascii_uppercase();
        let mut parts = vec!["curl".to_owned(), "--include".to_owned()];
        match method.as_str() {
            "GET" => {}
            "HEAD" => parts.push("--head".to_owned()),
            other => {
                parts.push("--request".to_owned());
                parts.push(shell_quote(other));
            }
        }
        if self.url.contains("/..") || self.url.contains("/./") {
            // Without it curl removes the dot segments before sending, as browsers do.
            parts.push("--path-as-is".to_owned());
        }
        for (name, value) in self
            .headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
        {
            parts.push("--header".to_owned());
            parts.push(shell_quote(&format!("{name}: {value}")));
        }
        if !self.body.is_empty() {
            parts.push("--data-binary".to_owned());
            parts.push(shell_quote(self.body));
        }
        if self.is_https() {
            parts.push("--cacert".to_owned());
            parts.push(CA_FILE.to_owned());
        }
        parts.push(shell_quote(self.url));
        parts.join(" ")
    }
}

/// A Python string literal. JSON's escapes are all valid in Python.
fn python_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Single-quotes for a POSIX shell, closing and reopening around any `'`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Vec<Header> {
        vec![("X-Learner".into(), "Ning's laptop".into())]
    }

    #[test]
    fn python_uses_the_ca_file_for_https_and_never_disables_verification() {
        let headers = headers();
        let code = Snippet {
            method: "GET",
            url: "https://localhost:7879/lab/hello",
            headers: &headers,
            body: "",
        }
        .python();
        assert!(code.contains("requests.get(\n    \"https://localhost:7879/lab/hello\","));
        assert!(code.contains("\"X-Learner\": \"Ning's laptop\""));
        assert!(code.contains("verify=\"safelab-ca.pem\""));
        assert!(!code.contains("verify=False"));
    }

    #[test]
    fn python_plain_http_has_no_verify_and_odd_methods_use_request() {
        let code = Snippet {
            method: "BREW",
            url: "http://127.0.0.1:7878/lab/status/418",
            headers: &[],
            body: "{\"tea\": \"earl grey\"}",
        }
        .python();
        assert!(code.contains("requests.request(\n    \"BREW\","));
        assert!(code.contains("data=\"{\\\"tea\\\": \\\"earl grey\\\"}\""));
        assert!(!code.contains("verify"));
    }

    #[test]
    fn curl_quotes_for_the_shell_and_keeps_dot_segments() {
        let headers = headers();
        let command = Snippet {
            method: "POST",
            url: "https://localhost:7879/lab/../secret",
            headers: &headers,
            body: "a=1",
        }
        .curl();
        assert_eq!(
            command,
            "curl --include --request 'POST' --path-as-is --header 'X-Learner: Ning'\\''s laptop' \
             --data-binary 'a=1' --cacert safelab-ca.pem 'https://localhost:7879/lab/../secret'"
        );
    }
}
