//! The checks the lint knows: the reference linter's (bandit 1.9) ids, names
//! and messages, with a fix in plain words for each, and its lists of
//! dangerous calls and imports ("blacklists").

use crate::Level::{self, High, Low, Medium};

/// One check: the reference linter's id and name, and how to fix what it
/// finds.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Its id (`B602`).
    pub id: &'static str,
    /// Its name (`subprocess_popen_with_shell_equals_true`).
    pub name: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// Every check the lint runs, by id.
pub const CHECKS: &[Check] = &[
    Check {
        id: "B101",
        name: "assert_used",
        fix: "Raise an exception (`if not ok: raise PermissionError(...)`) instead: `python -O` removes every assert.",
    },
    Check {
        id: "B102",
        name: "exec_used",
        fix: "Do not run code built from data: call the function you mean, or look it up in a dict of allowed functions.",
    },
    Check {
        id: "B103",
        name: "set_bad_file_permissions",
        fix: "Give the owner only what is needed (`0o600` for a file, `0o700` for a folder); never let group or others write or run it.",
    },
    Check {
        id: "B104",
        name: "hardcoded_bind_all_interfaces",
        fix: "Listen on `127.0.0.1` unless others on the network must reach the service; then make the address a setting.",
    },
    Check {
        id: "B105",
        name: "hardcoded_password_string",
        fix: "Read the secret from the environment (`os.environ[\"DB_PASSWORD\"]`) or a secrets manager; never write it in code.",
    },
    Check {
        id: "B106",
        name: "hardcoded_password_funcarg",
        fix: "Pass a secret read from the environment or a secrets manager, not a literal in the call.",
    },
    Check {
        id: "B107",
        name: "hardcoded_password_default",
        fix: "Give the parameter no default secret: default to `None` and read the real value from the environment.",
    },
    Check {
        id: "B108",
        name: "hardcoded_tmp_directory",
        fix: "Use `tempfile.mkstemp()` / `tempfile.TemporaryDirectory()`: a fixed name in /tmp can be created first by another user.",
    },
    Check {
        id: "B110",
        name: "try_except_pass",
        fix: "Catch the exception you expect and log or handle it; silently passing hides failures (and attacks).",
    },
    Check {
        id: "B112",
        name: "try_except_continue",
        fix: "Catch the exception you expect and log it before moving on to the next item.",
    },
    Check {
        id: "B113",
        name: "request_without_timeout",
        fix: "Pass `timeout=` (seconds, e.g. `timeout=30`): without it a slow server hangs your job forever.",
    },
    Check {
        id: "B201",
        name: "flask_debug_true",
        fix: "Never run Flask with `debug=True` where others can reach it: its debugger runs any Python a visitor types.",
    },
    Check {
        id: "B202",
        name: "tarfile_unsafe_members",
        fix: "Extract with `tar.extractall(dest, filter=\"data\")` (Python 3.12, and security releases of 3.8 to 3.11): a member named `../../.bashrc` otherwise lands outside `dest`.",
    },
    Check {
        id: "B324",
        name: "hashlib",
        fix: "Use `hashlib.sha256()` (or better for passwords: argon2/bcrypt); if MD5/SHA1 is only a checksum, say so with `usedforsecurity=False`.",
    },
    Check {
        id: "B501",
        name: "request_with_no_cert_validation",
        fix: "Remove `verify=False`; for a private certificate authority pass its file: `verify=\"company-ca.pem\"`.",
    },
    Check {
        id: "B506",
        name: "yaml_load",
        fix: "Use `yaml.safe_load(text)` (or `Loader=yaml.SafeLoader`): a full loader builds any Python object the file names.",
    },
    Check {
        id: "B602",
        name: "subprocess_popen_with_shell_equals_true",
        fix: "Pass a list of arguments without a shell: `subprocess.run([\"wc\", \"-l\", path], check=True)`; never put data into a shell command line.",
    },
    Check {
        id: "B603",
        name: "subprocess_without_shell_equals_true",
        fix: "Fine if every argument is yours; check any argument that comes from a user or a file before running it.",
    },
    Check {
        id: "B604",
        name: "any_other_function_with_shell_equals_true",
        fix: "Check that this function does not hand its arguments to a shell; prefer a list of arguments.",
    },
    Check {
        id: "B605",
        name: "start_process_with_a_shell",
        fix: "Replace `os.system`/`os.popen` with `subprocess.run([...])`, arguments as a list and no shell.",
    },
    Check {
        id: "B606",
        name: "start_process_with_no_shell",
        fix: "Check where the program path and its arguments come from.",
    },
    Check {
        id: "B607",
        name: "start_process_with_partial_path",
        fix: "Name the program by its full path (`/usr/bin/wc`), or `shutil.which()` it once: a partial name runs whatever comes first on PATH.",
    },
    Check {
        id: "B608",
        name: "hardcoded_sql_expressions",
        fix: "Let the database driver insert values: `cur.execute(\"SELECT * FROM t WHERE id = ?\", (user_id,))`, never f-strings, `%`, `+` or `.format`.",
    },
    Check {
        id: "B614",
        name: "pytorch_load",
        fix: "Pass `weights_only=True` to `torch.load`, or store tensors as safetensors: a full load unpickles, and unpickling runs code.",
    },
    Check {
        id: "B701",
        name: "jinja2_autoescape_false",
        fix: "Create the environment with `autoescape=select_autoescape()` (or `True`) so values are HTML-escaped.",
    },
];

/// A dangerous call or import of the reference linter's lists.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    /// Its id (`B301`).
    pub id: &'static str,
    /// Its name (`pickle`).
    pub name: &'static str,
    /// Its severity (the confidence is always high).
    pub severity: Level,
    /// The qualified names it matches: a call's exactly, an import's as a
    /// prefix.
    pub names: &'static [&'static str],
    /// What is wrong; `{name}` is the name found.
    pub message: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// The reference linter's message for the XML parsers.
const XML_CALL: &str = "Using {name} to parse untrusted XML data is known to be vulnerable to XML attacks. Replace {name} with its defusedxml equivalent function or make sure defusedxml.defuse_stdlib() is called";
/// The reference linter's message for the XML modules.
const XML_IMPORT: &str = "Using {name} to parse untrusted XML data is known to be vulnerable to XML attacks. Replace {name} with the equivalent defusedxml package, or make sure defusedxml.defuse_stdlib() is called.";
/// How to fix an XML finding.
const XML_FIX: &str = "Parse XML from others with `defusedxml` (same functions, safe defaults).";
/// How to fix a pickle finding.
const PICKLE_FIX: &str = "Never unpickle a file you did not make: use JSON, CSV, Parquet or safetensors for data from others.";

/// Dangerous calls, matched on the call's qualified name (imports and their
/// aliases resolved), in the reference linter's order.
pub const CALLS: &[Listed] = &[
    Listed {
        id: "B301",
        name: "pickle",
        severity: Medium,
        names: &[
            "pickle.loads",
            "pickle.load",
            "pickle.Unpickler",
            "dill.loads",
            "dill.load",
            "dill.Unpickler",
            "shelve.open",
            "shelve.DbfilenameShelf",
            "jsonpickle.decode",
            "jsonpickle.unpickler.decode",
            "jsonpickle.unpickler.Unpickler",
            "pandas.read_pickle",
        ],
        message: "Pickle and modules that wrap it can be unsafe when used to deserialize untrusted data, possible security issue.",
        fix: PICKLE_FIX,
    },
    Listed {
        id: "B302",
        name: "marshal",
        severity: Medium,
        names: &["marshal.load", "marshal.loads"],
        message: "Deserialization with the marshal module is possibly dangerous.",
        fix: "Use JSON for data from others.",
    },
    Listed {
        id: "B303",
        name: "md5",
        severity: Medium,
        names: &[
            "Crypto.Hash.MD2.new",
            "Crypto.Hash.MD4.new",
            "Crypto.Hash.MD5.new",
            "Crypto.Hash.SHA.new",
            "Cryptodome.Hash.MD2.new",
            "Cryptodome.Hash.MD4.new",
            "Cryptodome.Hash.MD5.new",
            "Cryptodome.Hash.SHA.new",
            "cryptography.hazmat.primitives.hashes.MD5",
            "cryptography.hazmat.primitives.hashes.SHA1",
        ],
        message: "Use of insecure MD2, MD4, MD5, or SHA1 hash function.",
        fix: "Use SHA-256 or better (`hashes.SHA256()`).",
    },
    Listed {
        id: "B304",
        name: "ciphers",
        severity: High,
        names: &[
            "Crypto.Cipher.ARC2.new",
            "Crypto.Cipher.ARC4.new",
            "Crypto.Cipher.Blowfish.new",
            "Crypto.Cipher.DES.new",
            "Crypto.Cipher.XOR.new",
            "Cryptodome.Cipher.ARC2.new",
            "Cryptodome.Cipher.ARC4.new",
            "Cryptodome.Cipher.Blowfish.new",
            "Cryptodome.Cipher.DES.new",
            "Cryptodome.Cipher.XOR.new",
            "cryptography.hazmat.primitives.ciphers.algorithms.ARC4",
            "cryptography.hazmat.primitives.ciphers.algorithms.Blowfish",
            "cryptography.hazmat.primitives.ciphers.algorithms.CAST5",
            "cryptography.hazmat.primitives.ciphers.algorithms.IDEA",
            "cryptography.hazmat.primitives.ciphers.algorithms.SEED",
            "cryptography.hazmat.primitives.ciphers.algorithms.TripleDES",
        ],
        message: "Use of insecure cipher {name}. Replace with a known secure cipher such as AES.",
        fix: "Use AES-GCM (`cryptography`'s `AESGCM`) or, simpler, `Fernet`.",
    },
    Listed {
        id: "B305",
        name: "cipher_modes",
        severity: Medium,
        names: &["cryptography.hazmat.primitives.ciphers.modes.ECB"],
        message: "Use of insecure cipher mode {name}.",
        fix: "Use GCM (authenticated) instead of ECB, which shows patterns in the data.",
    },
    Listed {
        id: "B306",
        name: "mktemp_q",
        severity: Medium,
        names: &["tempfile.mktemp"],
        message: "Use of insecure and deprecated function (mktemp).",
        fix: "Use `tempfile.mkstemp()` or `tempfile.NamedTemporaryFile()`, which create the file safely.",
    },
    Listed {
        id: "B307",
        name: "eval",
        severity: Medium,
        names: &["eval"],
        message: "Use of possibly insecure function - consider using safer ast.literal_eval.",
        fix: "Use `ast.literal_eval` for literals or `json.loads` for data; never `eval` text from a file or a user.",
    },
    Listed {
        id: "B308",
        name: "mark_safe",
        severity: Medium,
        names: &["django.utils.safestring.mark_safe"],
        message: "Use of mark_safe() may expose cross-site scripting vulnerabilities and should be reviewed.",
        fix: "Escape values with `format_html` instead of marking them safe.",
    },
    Listed {
        id: "B310",
        name: "urllib_urlopen",
        severity: Medium,
        names: &[
            "urllib.request.urlopen",
            "urllib.request.urlretrieve",
            "urllib.request.URLopener",
            "urllib.request.FancyURLopener",
            "six.moves.urllib.request.urlopen",
            "six.moves.urllib.request.urlretrieve",
            "six.moves.urllib.request.URLopener",
            "six.moves.urllib.request.FancyURLopener",
        ],
        message: "Audit url open for permitted schemes. Allowing use of file:/ or custom schemes is often unexpected.",
        fix: "Check the URL starts with `https://` before opening it (urlopen also opens `file:` URLs), or use `requests`.",
    },
    Listed {
        id: "B311",
        name: "random",
        severity: Low,
        names: &[
            "random.Random",
            "random.random",
            "random.randrange",
            "random.randint",
            "random.choice",
            "random.choices",
            "random.uniform",
            "random.triangular",
            "random.randbytes",
            "random.sample",
            "random.getrandbits",
        ],
        message: "Standard pseudo-random generators are not suitable for security/cryptographic purposes.",
        fix: "Fine for sampling and simulations; for tokens, passwords and keys use `secrets.token_urlsafe()` / `secrets.choice()`.",
    },
    Listed {
        id: "B312",
        name: "telnetlib",
        severity: High,
        names: &["telnetlib.Telnet"],
        message: "Telnet-related functions are being called. Telnet is considered insecure. Use SSH or some other encrypted protocol.",
        fix: "Use SSH (paramiko, fabric).",
    },
    Listed {
        id: "B313",
        name: "xml_bad_cElementTree",
        severity: Medium,
        names: &[
            "xml.etree.cElementTree.parse",
            "xml.etree.cElementTree.iterparse",
            "xml.etree.cElementTree.fromstring",
            "xml.etree.cElementTree.XMLParser",
        ],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B314",
        name: "xml_bad_ElementTree",
        severity: Medium,
        names: &[
            "xml.etree.ElementTree.parse",
            "xml.etree.ElementTree.iterparse",
            "xml.etree.ElementTree.fromstring",
            "xml.etree.ElementTree.XMLParser",
        ],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B315",
        name: "xml_bad_expatreader",
        severity: Medium,
        names: &["xml.sax.expatreader.create_parser"],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B316",
        name: "xml_bad_expatbuilder",
        severity: Medium,
        names: &[
            "xml.dom.expatbuilder.parse",
            "xml.dom.expatbuilder.parseString",
        ],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B317",
        name: "xml_bad_sax",
        severity: Medium,
        names: &[
            "xml.sax.parse",
            "xml.sax.parseString",
            "xml.sax.make_parser",
        ],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B318",
        name: "xml_bad_minidom",
        severity: Medium,
        names: &["xml.dom.minidom.parse", "xml.dom.minidom.parseString"],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B319",
        name: "xml_bad_pulldom",
        severity: Medium,
        names: &["xml.dom.pulldom.parse", "xml.dom.pulldom.parseString"],
        message: XML_CALL,
        fix: XML_FIX,
    },
    Listed {
        id: "B321",
        name: "ftplib",
        severity: High,
        names: &["ftplib.FTP"],
        message: "FTP-related functions are being called. FTP is considered insecure. Use SSH/SFTP/SCP or some other encrypted protocol.",
        fix: "Use SFTP or HTTPS.",
    },
    Listed {
        id: "B323",
        name: "unverified_context",
        severity: Medium,
        names: &["ssl._create_unverified_context"],
        message: "By default, Python will create a secure, verified ssl context for use in such classes as HTTPSConnection. However, it still allows using an insecure context via the _create_unverified_context that reverts to the previous behavior that does not validate certificates or perform hostname checks.",
        fix: "Use `ssl.create_default_context()` (with `cafile=` for a private CA).",
    },
];

/// Dangerous imports, matched as prefixes of the imported name; a call of
/// `__import__`/`importlib.import_module` with the name counts too.
pub const IMPORTS: &[Listed] = &[
    Listed {
        id: "B401",
        name: "import_telnetlib",
        severity: High,
        names: &["telnetlib"],
        message: "A telnet-related module is being imported.  Telnet is considered insecure. Use SSH or some other encrypted protocol.",
        fix: "Use SSH (paramiko, fabric).",
    },
    Listed {
        id: "B402",
        name: "import_ftplib",
        severity: High,
        names: &["ftplib"],
        message: "A FTP-related module is being imported.  FTP is considered insecure. Use SSH/SFTP/SCP or some other encrypted protocol.",
        fix: "Use SFTP or HTTPS.",
    },
    Listed {
        id: "B403",
        name: "import_pickle",
        severity: Low,
        names: &["pickle", "cPickle", "dill", "shelve"],
        message: "Consider possible security implications associated with {name} module.",
        fix: PICKLE_FIX,
    },
    Listed {
        id: "B404",
        name: "import_subprocess",
        severity: Low,
        names: &["subprocess"],
        message: "Consider possible security implications associated with the subprocess module.",
        fix: "Fine when the commands are yours: pass arguments as a list, never `shell=True` with data in it.",
    },
    Listed {
        id: "B405",
        name: "import_xml_etree",
        severity: Low,
        names: &["xml.etree.cElementTree", "xml.etree.ElementTree"],
        message: XML_IMPORT,
        fix: XML_FIX,
    },
    Listed {
        id: "B406",
        name: "import_xml_sax",
        severity: Low,
        names: &["xml.sax"],
        message: XML_IMPORT,
        fix: XML_FIX,
    },
    Listed {
        id: "B407",
        name: "import_xml_expat",
        severity: Low,
        names: &["xml.dom.expatbuilder"],
        message: XML_IMPORT,
        fix: XML_FIX,
    },
    Listed {
        id: "B408",
        name: "import_xml_minidom",
        severity: Low,
        names: &["xml.dom.minidom"],
        message: XML_IMPORT,
        fix: XML_FIX,
    },
    Listed {
        id: "B409",
        name: "import_xml_pulldom",
        severity: Low,
        names: &["xml.dom.pulldom"],
        message: XML_IMPORT,
        fix: XML_FIX,
    },
    Listed {
        id: "B411",
        name: "import_xmlrpclib",
        severity: High,
        names: &["xmlrpc"],
        message: "Using {name} to parse untrusted XML data is known to be vulnerable to XML attacks. Use defusedxml.xmlrpc.monkey_patch() function to monkey-patch xmlrpclib and mitigate XML vulnerabilities.",
        fix: "Call `defusedxml.xmlrpc.monkey_patch()` first.",
    },
    Listed {
        id: "B412",
        name: "import_httpoxy",
        severity: High,
        names: &[
            "wsgiref.handlers.CGIHandler",
            "twisted.web.twcgi.CGIScript",
            "twisted.web.twcgi.CGIDirectory",
        ],
        message: "Consider possible security implications associated with {name} module.",
        fix: "Do not run CGI handlers; serve with a WSGI server.",
    },
    Listed {
        id: "B413",
        name: "import_pycrypto",
        severity: High,
        names: &[
            "Crypto.Cipher",
            "Crypto.Hash",
            "Crypto.IO",
            "Crypto.Protocol",
            "Crypto.PublicKey",
            "Crypto.Random",
            "Crypto.Signature",
            "Crypto.Util",
        ],
        message: "The pyCrypto library and its module {name} are no longer actively maintained and have been deprecated. Consider using pyca/cryptography library.",
        fix: "Use the `cryptography` package.",
    },
    Listed {
        id: "B415",
        name: "import_pyghmi",
        severity: High,
        names: &["pyghmi"],
        message: "An IPMI-related module is being imported. IPMI is considered insecure. Use an encrypted protocol.",
        fix: "Use an encrypted management protocol.",
    },
];

/// The check with the id `id`.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|check| check.id == id)
}

/// The id of the check named `name` (a test name or a list entry's name),
/// as a `# nosec` comment may name it.
pub fn id_of_name(name: &str) -> Option<&'static str> {
    CHECKS
        .iter()
        .map(|check| (check.id, check.name))
        .chain(CALLS.iter().chain(IMPORTS).map(|item| (item.id, item.name)))
        .find(|(_, known)| *known == name)
        .map(|(id, _)| id)
}
