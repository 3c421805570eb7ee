//! The rules: what each kind of secret looks like, and the line scanner
//! that finds them. Hand-written matchers over bytes, no regular
//! expressions: every rule starts at a boundary it can check in constant
//! time and reads a bounded run from there, so a file is read in linear time
//! (about one pass per line, whatever its content) and the WASM stays small.
//!
//! Precision over noise: documentation example keys (`AKIAIOSFODNN7EXAMPLE`),
//! placeholders (`changeme`, `xxx`, `<your-key>`, `${VAR}`) and references
//! to where a secret lives (`os.environ[...]`, `getenv(...)`) are not
//! findings; hashes in lockfiles (`sha256:…`, `"integrity": "sha512-…"`),
//! UUIDs and long base64 blobs (images) are not high-entropy secrets.
//! Stripe's test keys (`sk_test_…`) are not reported either: they reach test
//! data only. What a rule cannot see is missed: a key mentioned in a
//! sentence, with no name or known shape (the corpus keeps such a case).

use crate::Level;

/// One kind of secret.
#[derive(Debug)]
pub struct Rule {
    /// Its id (`aws-access-key-id`).
    pub id: &'static str,
    /// In words.
    pub title: &'static str,
    /// How to rotate it.
    pub rotate: &'static str,
}

const AFTER: &str = " Then remove it from the code (read it from an environment variable or a secrets manager) and, if it was committed, from the history (git filter-repo), and check the service's logs for use you did not make.";

macro_rules! rules {
    ($($name:ident = $id:literal, $title:literal, $rotate:literal;)*) => {
        $(
            #[doc = $title]
            pub const $name: &Rule = &Rule { id: $id, title: $title, rotate: $rotate };
        )*
        /// Every kind, in the order the report's documentation lists them.
        pub const ALL: &[&Rule] = &[$($name),*];
    };
}

rules! {
    AWS_KEY_ID = "aws-access-key-id", "AWS access key ID",
        "In the AWS console, IAM > Users > Security credentials: create a new access key, switch your programs to it, then deactivate and delete the leaked one (aws iam delete-access-key).";
    AWS_SECRET = "aws-secret-access-key", "AWS secret access key",
        "The secret belongs to an access key: in IAM > Users > Security credentials create a new key pair and delete the old one; a secret key cannot be changed on its own.";
    GITHUB = "github-token", "GitHub token",
        "Revoke it at github.com > Settings > Developer settings > Personal access tokens (or the OAuth/GitHub App that issued it), and create a new one with the fewest scopes and an expiry date.";
    GITLAB = "gitlab-token", "GitLab personal access token",
        "Revoke it in GitLab > Preferences > Access tokens and create a new one with the fewest scopes and an expiry date.";
    SLACK = "slack-token", "Slack token",
        "Revoke it at api.slack.com/apps > your app > OAuth & Permissions (or the workspace's app management), then reinstall the app to get a new token.";
    SLACK_WEBHOOK = "slack-webhook", "Slack incoming webhook URL",
        "Anyone with the URL can post to your channel: at api.slack.com/apps > your app > Incoming Webhooks remove this webhook and add a new one.";
    STRIPE = "stripe-key", "Stripe live secret key",
        "In the Stripe dashboard, Developers > API keys: roll the key (Stripe issues a new one and expires the old), then update your servers.";
    GOOGLE = "google-api-key", "Google API key",
        "In the Google Cloud console, APIs & Services > Credentials: regenerate or delete the key, and restrict the new one to the APIs and sites that need it.";
    OPENAI = "openai-key", "OpenAI-style API key (sk-…)",
        "Revoke it on the provider's API keys page (platform.openai.com/api-keys for OpenAI) and create a new one; check the usage page for spending you did not make.";
    HUGGINGFACE = "huggingface-token", "Hugging Face access token",
        "Invalidate it at huggingface.co > Settings > Access Tokens and create a new one, read-only if you only download.";
    PRIVATE_KEY = "private-key", "Private key",
        "Treat the key pair as lost: make a new one (ssh-keygen, or a new certificate from your CA), install the new public key or certificate, and remove the old public key everywhere it is trusted (authorized_keys, deploy keys, the CA's revocation list).";
    CONNECTION_STRING = "connection-string", "Database password in a connection string",
        "Change the database user's password (ALTER USER … PASSWORD, or the cloud console), update the programs that connect, and check who connected.";
    URL_PASSWORD = "url-password", "Password in a URL",
        "Change the password of that account on that host; URLs end up in logs, browser history and shell history, so pass credentials apart from the URL.";
    ENV_SECRET = "env-secret", "Secret assigned in a config or .env entry",
        "Change it where it was issued (the service or account it unlocks).";
    JWT = "jwt", "JSON Web Token",
        "A token is valid until it expires: revoke the session or the refresh token that made it, and if it never expires rotate the signing key of the service that issued it.";
    HIGH_ENTROPY = "high-entropy", "High-entropy string (possibly a secret)",
        "If it is a secret, change it where it was issued; if it is not (a hash, an id), mark it so or ignore this finding.";
}

impl Rule {
    /// The rotation advice with what to do afterwards.
    pub fn advice(&self) -> String {
        format!("{}{AFTER}", self.rotate)
    }
}

/// The rule with id `id`.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}

/// A secret found on one line.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The rule.
    pub rule: &'static Rule,
    /// Where the secret starts and ends on the line, in bytes.
    pub start: usize,
    /// Where it ends.
    pub end: usize,
    /// How sure the rule is.
    pub confidence: Level,
    /// Whether the preview must hide the span (a private key's marker line
    /// holds no secret itself).
    pub redact: bool,
}

/// What a scan of a file keeps between lines.
#[derive(Debug, Default)]
pub struct Context {
    /// The last line (from 0) that named AWS.
    pub aws_line: Option<usize>,
    /// Whether the file is source code (an unquoted value is then a
    /// variable, not a literal).
    pub code: bool,
}

/// Whether a file called `name` holds code.
pub fn is_code(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".py", ".js", ".ts", ".jsx", ".tsx", ".java", ".go", ".rb", ".rs", ".r", ".jl", ".scala",
        ".kt", ".cs", ".php", ".c", ".cpp", ".h", ".swift", ".ipynb",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// Finds the secrets on line `number` (from 0); `next` is the following
/// line, for rules that span two.
pub fn scan_line(context: &mut Context, number: usize, line: &[u8], next: &[u8]) -> Vec<Hit> {
    let mut hits = Vec::new();
    if contains_ignore_case(line, b"aws") {
        context.aws_line = Some(number);
    }
    private_key(line, next, &mut hits);
    prefixed(line, &mut hits);
    if hits.iter().any(|hit| hit.rule.id == AWS_KEY_ID.id) {
        context.aws_line = Some(number);
    }
    if context.aws_line.is_some_and(|at| number - at <= 3) {
        aws_secret(line, &mut hits);
    }
    urls(line, &mut hits);
    odbc(line, &mut hits);
    assignments(context, line, &mut hits);
    hits.sort_by_key(|hit| hit.start);
    hits
}

fn overlaps(hits: &[Hit], start: usize, end: usize) -> bool {
    hits.iter().any(|hit| hit.start < end && start < hit.end)
}

/// The most secrets one line reports (a line of thousands is a data file,
/// and this keeps the overlap checks cheap).
const LINE_LIMIT: usize = 100;

fn push(hits: &mut Vec<Hit>, rule: &'static Rule, start: usize, end: usize, confidence: Level) {
    if start < end && hits.len() < LINE_LIMIT && !overlaps(hits, start, end) {
        hits.push(Hit {
            rule,
            start,
            end,
            confidence,
            redact: true,
        });
    }
}

/// ASCII case-insensitive `needle in haystack`.
pub fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    find_ignore_case(haystack, needle, 0).is_some()
}

fn find_ignore_case(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len())
        .find(|&at| haystack[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

fn is_alnum(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// How many bytes from `from` satisfy `class`, reading at most `max + 1`.
fn run(line: &[u8], from: usize, max: usize, class: impl Fn(u8) -> bool) -> usize {
    line.get(from..)
        .unwrap_or_default()
        .iter()
        .take(max + 1)
        .take_while(|&&b| class(b))
        .count()
}

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0_u32; 256];
    for &byte in bytes {
        counts[usize::from(byte)] += 1;
    }
    let total = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / total;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value is a placeholder, an example or a reference to where
/// the secret really lives, rather than a secret.
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"changeme",
        b"change_me",
        b"change-me",
        b"xxxx",
        b"your",
        b"example",
        b"placeholder",
        b"dummy",
        b"redacted",
        b"<",
        b">",
        b"${",
        b"{{",
        b"$(",
        b"***",
        b"...",
        "…".as_bytes(),
        b"replace",
        b"insert",
        b"os.environ",
        b"getenv",
        b"process.env",
        b"secretsmanager",
        b"vault:",
        b"0000000000",
        b"1234567890",
    ];
    if WORDS.iter().any(|word| contains(&lower, word)) {
        return true;
    }
    if matches!(
        lower.as_slice(),
        b"password" | b"secret" | b"token" | b"none" | b"null" | b"true" | b"false" | b"test"
    ) {
        return true;
    }
    let mut distinct = [false; 256];
    for &byte in value {
        distinct[usize::from(byte)] = true;
    }
    distinct.iter().filter(|&&seen| seen).count() < 4
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Whether `token` mixes letters and digits (random strings do; words and
/// identifiers mostly do not).
fn mixed(token: &[u8]) -> bool {
    token.iter().any(u8::is_ascii_digit) && token.iter().any(u8::is_ascii_alphabetic)
}

/// Tokens recognised by their prefix.
fn prefixed(line: &[u8], hits: &mut Vec<Hit>) {
    struct Prefix {
        text: &'static [u8],
        rule: &'static Rule,
        class: fn(u8) -> bool,
        min: usize,
        max: usize,
    }
    fn alnum_under(b: u8) -> bool {
        is_alnum(b) || b == b'_'
    }
    fn alnum_dash(b: u8) -> bool {
        is_alnum(b) || b == b'-'
    }
    fn webhook(b: u8) -> bool {
        is_alnum(b) || b == b'/' || b == b'_'
    }
    fn upper_digit(b: u8) -> bool {
        b.is_ascii_uppercase() || b.is_ascii_digit()
    }
    const PREFIXES: &[Prefix] = &[
        Prefix {
            text: b"AKIA",
            rule: AWS_KEY_ID,
            class: upper_digit,
            min: 16,
            max: 16,
        },
        Prefix {
            text: b"ASIA",
            rule: AWS_KEY_ID,
            class: upper_digit,
            min: 16,
            max: 16,
        },
        Prefix {
            text: b"AIza",
            rule: GOOGLE,
            class: is_base64url,
            min: 35,
            max: 35,
        },
        Prefix {
            text: b"ghp_",
            rule: GITHUB,
            class: is_alnum,
            min: 36,
            max: 36,
        },
        Prefix {
            text: b"gho_",
            rule: GITHUB,
            class: is_alnum,
            min: 36,
            max: 36,
        },
        Prefix {
            text: b"ghu_",
            rule: GITHUB,
            class: is_alnum,
            min: 36,
            max: 36,
        },
        Prefix {
            text: b"ghs_",
            rule: GITHUB,
            class: is_alnum,
            min: 36,
            max: 36,
        },
        Prefix {
            text: b"ghr_",
            rule: GITHUB,
            class: is_alnum,
            min: 36,
            max: 36,
        },
        Prefix {
            text: b"github_pat_",
            rule: GITHUB,
            class: alnum_under,
            min: 70,
            max: 100,
        },
        Prefix {
            text: b"glpat-",
            rule: GITLAB,
            class: is_base64url,
            min: 20,
            max: 64,
        },
        Prefix {
            text: b"xoxb-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"xoxp-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"xoxa-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"xoxo-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"xoxs-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"xoxr-",
            rule: SLACK,
            class: alnum_dash,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"https://hooks.slack.com/services/",
            rule: SLACK_WEBHOOK,
            class: webhook,
            min: 20,
            max: 120,
        },
        Prefix {
            text: b"sk_live_",
            rule: STRIPE,
            class: is_alnum,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"rk_live_",
            rule: STRIPE,
            class: is_alnum,
            min: 20,
            max: 255,
        },
        Prefix {
            text: b"sk-",
            rule: OPENAI,
            class: is_base64url,
            min: 32,
            max: 200,
        },
        Prefix {
            text: b"hf_",
            rule: HUGGINGFACE,
            class: is_alnum,
            min: 30,
            max: 40,
        },
    ];
    let mut at = 0;
    while at < line.len() {
        let boundary = at == 0 || !(is_alnum(line[at - 1]) || matches!(line[at - 1], b'_' | b'-'));
        if !boundary || !is_alnum(line[at]) {
            at += 1;
            continue;
        }
        if line[at..].starts_with(b"eyJ")
            && let Some(end) = jwt(line, at, hits)
        {
            at = end;
            continue;
        }
        let mut matched = None;
        for prefix in PREFIXES {
            if !line[at..].starts_with(prefix.text) {
                continue;
            }
            let body = at + prefix.text.len();
            let length = run(line, body, prefix.max, prefix.class);
            if length < prefix.min || length > prefix.max {
                continue;
            }
            let end = body + length;
            let token = &line[body..end];
            if is_placeholder(token) {
                matched = Some(end);
                break;
            }
            let confidence = match prefix.rule.id {
                "openai-key" => {
                    if !mixed(token) {
                        continue;
                    }
                    if contains(token, b"T3BlbkFJ")
                        || token.starts_with(b"proj-")
                        || token.starts_with(b"svcacct-")
                        || token.starts_with(b"ant-")
                    {
                        Level::High
                    } else {
                        Level::Medium
                    }
                }
                "huggingface-token" | "slack-token" if !mixed(token) => continue,
                _ => Level::High,
            };
            push(hits, prefix.rule, at, end, confidence);
            matched = Some(end);
            break;
        }
        at = matched.unwrap_or(at + 1);
    }
}

/// A JWT at `at` (`eyJ…` header, payload, signature); where it ends.
fn jwt(line: &[u8], at: usize, hits: &mut Vec<Hit>) -> Option<usize> {
    const MAX: usize = 8192;
    let header = run(line, at, MAX, is_base64url);
    let mut end = at + header;
    if line.get(end) != Some(&b'.') || !line[end + 1..].starts_with(b"eyJ") {
        return None;
    }
    let payload = run(line, end + 1, MAX, is_base64url);
    end += 1 + payload;
    if line.get(end) != Some(&b'.') {
        return None;
    }
    let signature = run(line, end + 1, MAX, is_base64url);
    end += 1 + signature;
    if header > MAX || payload > MAX || signature > MAX || payload < 8 {
        return None;
    }
    let decoded = base64url_decode(&line[at..at + header]);
    let confidence = if contains(&decoded, b"\"alg\"") && signature >= 16 {
        Level::High
    } else if contains(&decoded, b"\"alg\"") {
        // alg none, or cut: still a bearer token while valid.
        Level::Medium
    } else {
        return None;
    };
    push(hits, JWT, at, end, confidence);
    Some(end)
}

/// Decodes base64url (padding optional), skipping what is not.
pub fn base64url_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0_u32;
    let mut bits = 0;
    for &byte in text {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => continue,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).unwrap_or_default());
        }
    }
    out
}

/// `-----BEGIN … PRIVATE KEY-----` followed by a body (on the next line,
/// or on the same line in a string with `\n` escapes).
fn private_key(line: &[u8], next: &[u8], hits: &mut Vec<Hit>) {
    let Some(begin) = find_ignore_case(line, b"-----BEGIN ", 0) else {
        return;
    };
    let Some(marker) = find_ignore_case(line, b"PRIVATE KEY-----", begin) else {
        return;
    };
    let end = marker + b"PRIVATE KEY-----".len();
    let mut rest = &line[end..];
    rest = rest.strip_prefix(b"\\n").unwrap_or(rest);
    let body_here = run(rest, 0, 64, is_base64);
    let next = next.trim_ascii();
    let body_next = run(next, 0, 64, is_base64);
    let encrypted_header = next.starts_with(b"Proc-Type:");
    if body_here >= 40 || body_next >= 40 || encrypted_header {
        let body = if body_here >= 40 { rest } else { next };
        if is_placeholder(&body[..body.len().min(64)]) {
            return;
        }
        if hits.len() >= LINE_LIMIT {
            return;
        }
        hits.push(Hit {
            rule: PRIVATE_KEY,
            start: begin,
            end,
            confidence: Level::High,
            redact: false,
        });
    }
}

/// A 40-character base64 run near a line naming AWS.
fn aws_secret(line: &[u8], hits: &mut Vec<Hit>) {
    let mut at = 0;
    while at < line.len() {
        if !is_base64(line[at]) {
            at += 1;
            continue;
        }
        let length = run(line, at, usize::MAX - 1, is_base64);
        let end = at + length;
        let before_ok = at == 0 || !matches!(line[at - 1], b'=' | b'-' | b'_' | b'.');
        if length == 40 && before_ok {
            let token = &line[at..end];
            let hex = token.iter().all(u8::is_ascii_hexdigit);
            if !hex && mixed(token) && entropy(token) >= 4.0 && !is_placeholder(token) {
                let confidence = if contains_ignore_case(line, b"secret") {
                    Level::High
                } else {
                    Level::Medium
                };
                push(hits, AWS_SECRET, at, end, confidence);
            }
        }
        at = end.max(at + 1);
    }
}

/// Database URL schemes: a password in one is a connection string's.
const DATABASE_SCHEMES: &[&[u8]] = &[
    b"postgres",
    b"postgresql",
    b"mysql",
    b"mariadb",
    b"mongodb",
    b"mongodb+srv",
    b"redis",
    b"rediss",
    b"mssql",
    b"sqlserver",
    b"oracle",
    b"amqp",
    b"amqps",
    b"clickhouse",
    b"snowflake",
];

/// `scheme://user:password@host`.
fn urls(line: &[u8], hits: &mut Vec<Hit>) {
    let mut from = 0;
    while let Some(found) = line[from..].windows(3).position(|w| w == b"://") {
        let at = from + found;
        from = at + 3;
        let scheme_length = line[..at]
            .iter()
            .rev()
            .take(21)
            .take_while(|&&b| is_alnum(b) || b"+.-".contains(&b))
            .count();
        if scheme_length == 0 || scheme_length > 20 {
            continue;
        }
        let scheme = line[at - scheme_length..at].to_ascii_lowercase();
        let userinfo = run(line, from, 256, |b| {
            !b" \t\"'`<>/?#@,;()[]{}\\".contains(&b)
        });
        let end = from + userinfo;
        if userinfo > 256 || line.get(end) != Some(&b'@') {
            continue;
        }
        let Some(colon) = line[from..end].iter().position(|&b| b == b':') else {
            continue;
        };
        let password = (from + colon + 1, end);
        let value = &line[password.0..password.1];
        let host = run(line, end + 1, 1, |b| is_alnum(b) || b == b'[');
        if value.is_empty() || host == 0 || is_placeholder(value) || value.starts_with(b"$") {
            continue;
        }
        let (rule, confidence) = if DATABASE_SCHEMES.contains(&scheme.as_slice()) {
            (CONNECTION_STRING, Level::High)
        } else if value.len() >= 6 {
            (URL_PASSWORD, Level::High)
        } else {
            (URL_PASSWORD, Level::Medium)
        };
        push(hits, rule, password.0, password.1, confidence);
        from = end;
    }
}

/// ODBC and ADO.NET connection strings: `…;Password=…;` (or `Pwd=`).
fn odbc(line: &[u8], hits: &mut Vec<Hit>) {
    if !line.contains(&b';') {
        return;
    }
    for key in [&b"password="[..], b"pwd="] {
        let mut from = 0;
        while let Some(at) = find_ignore_case(line, key, from) {
            from = at + key.len();
            let before_ok = at == 0 || b"; \t\"'".contains(&line[at - 1]);
            if !before_ok {
                continue;
            }
            let length = run(line, from, 256, |b| !b";\"'\r".contains(&b));
            let value = &line[from..from + length.min(256)];
            if value.is_empty() || is_placeholder(value) || value.starts_with(b"$") {
                continue;
            }
            let server = [&b"server="[..], b"data source=", b"driver=", b"host="]
                .iter()
                .any(|word| contains_ignore_case(line, word));
            let confidence = if server { Level::High } else { Level::Medium };
            push(
                hits,
                CONNECTION_STRING,
                from,
                from + value.len(),
                confidence,
            );
        }
    }
}

/// Whether a key names a secret (`DB_PASSWORD`, `api_key`, `clientSecret`).
fn secret_key(key: &[u8]) -> bool {
    let lower: Vec<u8> = key
        .iter()
        .map(|b| {
            if *b == b'-' {
                b'_'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect();
    const NOT: &[&[u8]] = &[
        b"_file",
        b"_path",
        b"_url",
        b"_uri",
        b"_name",
        b"_length",
        b"_len",
        b"_min",
        b"_max",
        b"_env",
        b"_var",
        b"_header",
        b"_type",
        b"_expires",
        b"expiry",
        b"_ttl",
        b"_prefix",
        b"_field",
        b"_policy",
        b"required",
        b"reset",
        b"_endpoint",
        b"_dir",
        b"author",
        b"_id",
        b"_count",
        b"_hash",
        b"_rounds",
        b"_regex",
        b"_pattern",
        b"_label",
        b"_prompt",
        b"tokenizer",
        b"tokens",
        b"_limit",
    ];
    if NOT.iter().any(|word| contains(&lower, word)) {
        return false;
    }
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"passphrase",
        b"secret",
        b"token",
        b"api_key",
        b"apikey",
        b"access_key",
        b"accesskey",
        b"private_key",
        b"credential",
        b"auth_key",
    ];
    WORDS.iter().any(|word| contains(&lower, word))
        || matches!(
            lower.as_slice(),
            b"pwd" | b"pass" | b"authorization" | b"db_pass" | b"x_api_key"
        )
        || lower.ends_with(b"_pwd")
        || lower.ends_with(b"_pass")
}

/// Whether a value is itself a name (`"aws-secret-access-key"`,
/// `"db_password"`): lowercase words that say "secret", "key" or the like,
/// as in a table of setting names, not a secret.
fn names_a_secret(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
        && [
            &b"secret"[..],
            b"password",
            b"passwd",
            b"token",
            b"key",
            b"credential",
        ]
        .iter()
        .any(|word| contains(value, word))
}

/// Whether what follows a secret's name is something else than its value:
/// code or prose caught between two quotes (`print("token:", x)`), a regular
/// expression, a path, Markdown, or a keyword (`credentials: "include"`).
fn not_a_literal(value: &[u8]) -> bool {
    let first = value[0];
    let last = value[value.len() - 1];
    let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    first.is_ascii_whitespace()
        || last.is_ascii_whitespace()
        || b",)];*".contains(&first)
        || (first == b'/' && value[1..].contains(&b'/'))
        || [&b"\\w"[..], b"\\d", b"\\s", b"(?", b"[^"]
            .iter()
            .any(|marker| contains(value, marker))
        || alnum * 2 < value.len()
        || matches!(
            value.to_ascii_lowercase().as_slice(),
            b"include" | b"omit" | b"same-origin" | b"required" | b"optional"
        )
}

/// Whether a key names something hash-like (whose value is random but not
/// a secret).
fn hash_key(key: &[u8]) -> bool {
    let lower = key.to_ascii_lowercase();
    [
        &b"sha"[..],
        b"hash",
        b"md5",
        b"checksum",
        b"digest",
        b"integrity",
        b"commit",
        b"rev",
        b"etag",
        b"uuid",
        b"guid",
        b"fingerprint",
        b"version",
        b"_id",
    ]
    .iter()
    .any(|word| contains(&lower, word))
        || lower == b"id"
}

/// `KEY=value`, `key: value`, `"key": "value"`, `key := value`,
/// `key => value`: a secret if the key names one, or a high-entropy value.
fn assignments(context: &Context, line: &[u8], hits: &mut Vec<Hit>) {
    // Each byte is read as part of at most one value: the scan goes on
    // after the value it took, so a line is read in linear time.
    let mut next = 0;
    while next < line.len() {
        let separator = next;
        next += 1;
        let byte = line[separator];
        if byte != b'=' && byte != b':' {
            continue;
        }
        // Not `==`, `!=`, `<=`, `>=`, `://`, `::`.
        let previous = separator.checked_sub(1).map(|i| line[i]);
        let following = line.get(separator + 1).copied();
        if matches!(previous, Some(b'=' | b'!' | b'<' | b'>' | b':'))
            || following == Some(b'=')
            || (byte == b':' && matches!(following, Some(b'/' | b':')))
        {
            continue;
        }
        // The key: back over spaces, a closing quote, the name.
        let mut key_end = separator;
        while key_end > 0 && line[key_end - 1] == b' ' && separator - key_end < 8 {
            key_end -= 1;
        }
        if key_end > 0 && matches!(line[key_end - 1], b'"' | b'\'') {
            key_end -= 1;
        }
        let key_length = line[..key_end]
            .iter()
            .rev()
            .take(65)
            .take_while(|&&b| is_alnum(b) || b"_-.".contains(&b))
            .count();
        if key_length == 0 || key_length > 64 {
            continue;
        }
        let key = &line[key_end - key_length..key_end];
        // The value: after `=`, `:`, `:=` or `=>`, spaces, an optional quote.
        let mut at = separator + 1;
        if byte == b':' && following == Some(b'=') || byte == b'=' && following == Some(b'>') {
            at += 1;
        }
        while at < line.len() && line[at] == b' ' && at - separator < 16 {
            at += 1;
        }
        if line.get(at) == Some(&b'\\') && matches!(line.get(at + 1), Some(b'"' | b'\'')) {
            at += 1;
        }
        let quote = line
            .get(at)
            .copied()
            .filter(|b| matches!(b, b'"' | b'\'' | b'`'));
        let (start, end) = match quote {
            Some(quote) => {
                let start = at + 1;
                let length = run(line, start, 1024, |b| b != quote);
                let mut end = start + length;
                if length > 1024 || line.get(end) != Some(&quote) {
                    continue;
                }
                if end > start && line[end - 1] == b'\\' {
                    end -= 1;
                }
                (start, end)
            }
            None => {
                let length = run(line, at, 1024, |b| !b" \t\r,;&)}]\"'=".contains(&b));
                if length > 1024 {
                    next = at + length;
                    continue;
                }
                let mut end = at + length;
                // Base64 padding, where the value ends.
                let padding = run(line, end, 2, |b| b == b'=');
                if padding <= 2
                    && line
                        .get(end + padding)
                        .is_none_or(|b| b" \t\r,;&)}]\"'".contains(b))
                {
                    end += padding;
                }
                (at, end)
            }
        };
        next = next.max(end);
        let mut value = &line[start..end];
        let mut start = start;
        for scheme in [&b"Bearer "[..], b"Basic ", b"token ", b"Token "] {
            if let Some(rest) = value.strip_prefix(scheme) {
                start += scheme.len();
                value = rest;
            }
        }
        let end = start + value.len();
        if value.is_empty() || overlaps(hits, start, end) {
            continue;
        }
        if quote.is_none() {
            let reference = value.iter().any(|b| b"([{$%".contains(b));
            let identifier = value[0].is_ascii_alphabetic()
                && value
                    .iter()
                    .all(|&b| is_alnum(b) || b == b'_' || b == b'.' || b == b':');
            if reference || (identifier && (context.code || value.contains(&b'.'))) {
                continue;
            }
        }
        if secret_key(key) {
            if value.len() < 6
                || is_placeholder(value)
                || names_a_secret(value)
                || not_a_literal(value)
            {
                continue;
            }
            let confidence = if value.len() >= 16 && entropy(value) >= 3.5 {
                Level::High
            } else {
                Level::Medium
            };
            push(hits, ENV_SECRET, start, end, confidence);
        } else if !hash_key(key) && high_entropy(value) {
            push(hits, HIGH_ENTROPY, start, end, Level::Low);
        }
    }
}

/// Whether a value looks random enough to be a key: a base64 token of 24
/// to 200 characters mixing cases and digits with at least 4.2 bits of
/// entropy a character, or a hex one of 32 to 128 with at least 3.5 (but not
/// a UUID, a prefixed hash or a path).
fn high_entropy(value: &[u8]) -> bool {
    if value.len() < 24 || value.len() > 200 || is_placeholder(value) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    for prefix in [&b"sha1"[..], b"sha256", b"sha384", b"sha512", b"md5"] {
        if lower.starts_with(prefix) {
            return false;
        }
    }
    let token = value.trim_ascii_end();
    let token = token
        .strip_suffix(b"==")
        .or(token.strip_suffix(b"="))
        .unwrap_or(token);
    if !token.iter().all(|&b| is_alnum(b) || b"+/_-".contains(&b)) {
        return false;
    }
    if token.iter().all(u8::is_ascii_hexdigit) {
        return token.len() >= 32 && token.len() <= 128 && entropy(token) >= 3.5;
    }
    let hexish_uuid = token.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    if hexish_uuid {
        return false;
    }
    let upper = token.iter().any(u8::is_ascii_uppercase);
    let lower = token.iter().any(u8::is_ascii_lowercase);
    let digit = token.iter().any(u8::is_ascii_digit);
    let slashes = token.iter().filter(|&&b| b == b'/').count();
    upper && lower && digit && slashes < 3 && entropy(token) >= 4.2
}
