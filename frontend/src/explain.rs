//! One-line explanations of status codes and headers, for the response view.
//! Plain functions, tested on the host.

/// The five classes of status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 1xx
    Informational,
    /// 2xx
    Success,
    /// 3xx
    Redirection,
    /// 4xx
    ClientError,
    /// 5xx
    ServerError,
    /// Anything else: not a valid status code.
    Invalid,
}

impl StatusClass {
    /// The class of `status`.
    pub fn of(status: u16) -> Self {
        match status {
            100..=199 => Self::Informational,
            200..=299 => Self::Success,
            300..=399 => Self::Redirection,
            400..=499 => Self::ClientError,
            500..=599 => Self::ServerError,
            _ => Self::Invalid,
        }
    }

    /// The label shown beside the colour, so the class never depends on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Self::Informational => "1xx Informational",
            Self::Success => "2xx Success",
            Self::Redirection => "3xx Redirection",
            Self::ClientError => "4xx Client error",
            Self::ServerError => "5xx Server error",
            Self::Invalid => "Not a valid status code",
        }
    }

    /// The CSS class that colours it.
    pub fn css(self) -> &'static str {
        match self {
            Self::Informational => "status-info",
            Self::Success => "status-success",
            Self::Redirection => "status-redirect",
            Self::ClientError => "status-client-error",
            Self::ServerError => "status-server-error",
            Self::Invalid => "status-invalid",
        }
    }
}

/// What a status code means, in one line.
pub fn status_meaning(status: u16) -> &'static str {
    match status {
        100 => "Continue: the server has the headers; send the body.",
        101 => "Switching Protocols: the connection changes protocol (e.g. to WebSocket).",
        200 => "OK: the request worked and the body is the answer.",
        201 => "Created: the request made a new resource; Location says where.",
        202 => "Accepted: the work is queued, not done yet.",
        204 => "No Content: it worked, and there is deliberately no body.",
        301 => "Moved Permanently: use the URL in Location from now on.",
        302 => "Found: look in Location for now; the old URL stays valid.",
        304 => "Not Modified: your cached copy is still good.",
        307 => "Temporary Redirect: repeat the same request at Location.",
        308 => "Permanent Redirect: repeat the same request at Location, from now on.",
        400 => "Bad Request: the server could not understand what you sent.",
        401 => "Unauthorized: you must authenticate first (see WWW-Authenticate).",
        403 => "Forbidden: the server knows who you are and still says no.",
        404 => "Not Found: nothing here (or the server will not admit it exists).",
        405 => "Method Not Allowed: this URL does not accept this method.",
        406 => "Not Acceptable: nothing matches what your Accept header asked for.",
        408 => "Request Timeout: you took too long to send the request.",
        409 => "Conflict: the request clashes with the resource's current state.",
        410 => "Gone: it was here, and it is not coming back.",
        413 => "Content Too Large: the body is bigger than the server accepts.",
        415 => "Unsupported Media Type: the server cannot read the Content-Type you sent.",
        418 => "I'm a teapot: an April Fools' code (RFC 2324), kept for fun.",
        422 => "Unprocessable Content: well-formed, but the values do not make sense.",
        429 => "Too Many Requests: slow down (see Retry-After).",
        500 => "Internal Server Error: the server failed; not your fault.",
        501 => "Not Implemented: the server does not support this at all.",
        502 => "Bad Gateway: a proxy got a bad answer from the server behind it.",
        503 => "Service Unavailable: overloaded or down for maintenance; try later.",
        504 => "Gateway Timeout: a proxy gave up waiting for the server behind it.",
        505 => "HTTP Version Not Supported: the server does not speak that HTTP version.",
        _ => match StatusClass::of(status) {
            StatusClass::Informational => "An interim answer: the final one follows.",
            StatusClass::Success => "The request worked.",
            StatusClass::Redirection => {
                "Look elsewhere: the answer is at another URL or in your cache."
            }
            StatusClass::ClientError => {
                "The request was wrong in some way: fix it before retrying."
            }
            StatusClass::ServerError => {
                "The server failed to answer a request that may have been fine."
            }
            StatusClass::Invalid => "Status codes run from 100 to 599.",
        },
    }
}

/// What a well-known response header is for, in one line; `None` for others.
pub fn header_meaning(name: &str) -> Option<&'static str> {
    let meaning = match name.to_ascii_lowercase().as_str() {
        "content-type" => {
            "What kind of data the body is (JSON, HTML, text…), and its character set."
        }
        "content-length" => "How many bytes the body has.",
        "content-encoding" => {
            "How the body was compressed (gzip, br); not what kind of data it is."
        }
        "transfer-encoding" => {
            "How the body is framed on the wire (chunked: in pieces of announced size)."
        }
        "date" => "When the server produced the response.",
        "server" => "Which server software answered (often hidden, as it helps attackers).",
        "connection" => "Whether the connection stays open after this response.",
        "keep-alive" => "How long and how often an open connection may be reused.",
        "cache-control" => "Who may cache the response, and for how long.",
        "expires" => "When a cached copy goes stale (older than Cache-Control).",
        "etag" => "A version tag of the resource, for cheap re-validation.",
        "last-modified" => "When the resource last changed.",
        "age" => "How long the response sat in a cache.",
        "vary" => "Which request headers change the response (matters for caches).",
        "location" => "Where to go next: the target of a redirect or a new resource.",
        "set-cookie" => "Asks the client to store a cookie and send it back later.",
        "www-authenticate" => "How to authenticate to get past a 401.",
        "retry-after" => "How long to wait before trying again.",
        "strict-transport-security" => {
            "Tells browsers to use only HTTPS for this site from now on (HSTS)."
        }
        "content-security-policy" => {
            "Which scripts, styles and sources the page may load (limits XSS)."
        }
        "x-content-type-options" => "nosniff: the browser must trust Content-Type, not guess.",
        "x-frame-options" => "Whether other sites may show this page in a frame (clickjacking).",
        "referrer-policy" => "How much of this URL the browser reveals when following links.",
        "access-control-allow-origin" => {
            "CORS: which other web origins may read this response in a browser."
        }
        "access-control-allow-credentials" => {
            "CORS: whether other origins may read answers to requests made with cookies."
        }
        "access-control-allow-methods" => "CORS: which methods other origins may use.",
        "ratelimit-limit" | "x-ratelimit-limit" => "Rate limit: requests allowed per window.",
        "ratelimit-remaining" | "x-ratelimit-remaining" => {
            "Rate limit: requests left in the current window."
        }
        "ratelimit-reset" | "x-ratelimit-reset" => "Rate limit: when the window starts over.",
        "ratelimit-policy" => "Rate limit: the policy (requests; w= window in seconds).",
        "access-control-allow-headers" => "CORS: which request headers other origins may send.",
        "permissions-policy" => "Which browser features (camera, location…) the page may use.",
        "alt-svc" => "Other ways to reach the same server (e.g. HTTP/3).",
        _ => return None,
    };
    Some(meaning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_have_labels_not_just_colours() {
        assert_eq!(StatusClass::of(404).label(), "4xx Client error");
        assert_eq!(StatusClass::of(503).css(), "status-server-error");
        assert_eq!(StatusClass::of(99), StatusClass::Invalid);
    }

    #[test]
    fn every_code_has_a_meaning() {
        for code in 100..=599 {
            assert!(!status_meaning(code).is_empty(), "{code}");
        }
        assert!(status_meaning(403).contains("Forbidden"));
        assert!(status_meaning(299).contains("worked"));
    }

    #[test]
    fn header_names_match_case_insensitively() {
        assert!(header_meaning("Content-Encoding").is_some_and(|text| text.contains("compressed")));
        assert!(header_meaning("x-made-up").is_none());
    }
}
