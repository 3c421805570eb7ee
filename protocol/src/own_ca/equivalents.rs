//! Each step of the own-CA flow as a learner would do it in a terminal: the
//! `openssl` commands, and the same in Python with `cryptography`, with the
//! learner's own choices in them. Plain functions of those choices, so the
//! app shows them beside each step and the tests run them.
//!
//! Files, in the folder the commands run in: `myca.key` and `myca.pem` (the
//! CA), `server.key` and `server.csr` (the key and its request),
//! `server.pem` (the signed certificate). Keys are written readable by their
//! owner only.

use std::net::IpAddr;

use super::{KeyType, KeyUsage, NewCa, NewKey, Purpose, SignRequest};

/// `text` as one shell word, in single quotes.
fn shell(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `text` as a Python string literal.
fn python_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for character in text.chars() {
        match character {
            '\\' => literal.push_str(r"\\"),
            '"' => literal.push_str("\\\""),
            '\n' => literal.push_str(r"\n"),
            character if character.is_control() => {
                literal.push_str(&format!("\\u{:04x}", u32::from(character)));
            }
            character => literal.push(character),
        }
    }
    literal.push('"');
    literal
}

/// `-subj`'s one-name subject: `/CN=…`, with openssl's own escapes.
fn subject(common_name: &str) -> String {
    let escaped: String = common_name
        .trim()
        .chars()
        .flat_map(|character| match character {
            '\\' | '/' | '+' | '=' => vec!['\\', character],
            other => vec![other],
        })
        .collect();
    shell(&format!("/CN={escaped}"))
}

/// `openssl req`'s options that make a key of `key_type`.
fn openssl_new_key(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::EcdsaP256 => "-newkey ec -pkeyopt ec_paramgen_curve:P-256",
        KeyType::EcdsaP384 => "-newkey ec -pkeyopt ec_paramgen_curve:P-384",
        KeyType::Ed25519 => "-newkey ed25519",
    }
}

/// The digest option a key of `key_type` signs with (none for Ed25519).
fn openssl_digest(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::EcdsaP256 => " -sha256",
        KeyType::EcdsaP384 => " -sha384",
        KeyType::Ed25519 => "",
    }
}

fn python_new_key(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::EcdsaP256 => "ec.generate_private_key(ec.SECP256R1())",
        KeyType::EcdsaP384 => "ec.generate_private_key(ec.SECP384R1())",
        KeyType::Ed25519 => "ed25519.Ed25519PrivateKey.generate()",
    }
}

fn python_digest(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::EcdsaP256 => "hashes.SHA256()",
        KeyType::EcdsaP384 => "hashes.SHA384()",
        KeyType::Ed25519 => "None",
    }
}

const PYTHON_IMPORTS: &str = "import datetime\n\
import ipaddress\n\
import os\n\
\n\
from cryptography import x509\n\
from cryptography.hazmat.primitives import hashes, serialization\n\
from cryptography.hazmat.primitives.asymmetric import ec, ed25519\n\
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID\n\
\n\
\n\
def save_key(key, path):\n\
\x20   \"\"\"Writes a private key readable by its owner only.\"\"\"\n\
\x20   pem = key.private_bytes(\n\
\x20       serialization.Encoding.PEM,\n\
\x20       serialization.PrivateFormat.PKCS8,\n\
\x20       serialization.NoEncryption(),\n\
\x20   )\n\
\x20   descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n\
\x20   with os.fdopen(descriptor, \"wb\") as file:\n\
\x20       file.write(pem)\n\
\n\
\n";

/// Step 1 with openssl: a self-signed CA certificate and its key.
pub fn openssl_ca(request: &NewCa) -> String {
    format!(
        "openssl req -x509 -new {key} -nodes{digest} \\\n\
         \x20 -keyout myca.key -out myca.pem -days {days} \\\n\
         \x20 -subj {subject} \\\n\
         \x20 -addext 'basicConstraints=critical,CA:TRUE' \\\n\
         \x20 -addext 'keyUsage=critical,keyCertSign,cRLSign' \\\n\
         \x20 -addext 'nameConstraints=critical,permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0,permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'\n\
         chmod 600 myca.key\n",
        key = openssl_new_key(request.key_type),
        digest = openssl_digest(request.key_type),
        days = request.valid_days,
        subject = subject(&request.name),
    )
}

/// Step 1 in Python: the same CA.
pub fn python_ca(request: &NewCa) -> String {
    format!(
        "{PYTHON_IMPORTS}\
         key = {new_key}\n\
         name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, {name})])\n\
         now = datetime.datetime.now(datetime.timezone.utc)\n\
         ca = (\n\
         \x20   x509.CertificateBuilder()\n\
         \x20   .subject_name(name)\n\
         \x20   .issuer_name(name)\n\
         \x20   .public_key(key.public_key())\n\
         \x20   .serial_number(x509.random_serial_number())\n\
         \x20   .not_valid_before(now - datetime.timedelta(hours=1))\n\
         \x20   .not_valid_after(now + datetime.timedelta(days={days}))\n\
         \x20   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)\n\
         \x20   .add_extension(\n\
         \x20       x509.KeyUsage(\n\
         \x20           digital_signature=False, content_commitment=False, key_encipherment=False,\n\
         \x20           data_encipherment=False, key_agreement=False, key_cert_sign=True,\n\
         \x20           crl_sign=True, encipher_only=False, decipher_only=False,\n\
         \x20       ),\n\
         \x20       critical=True,\n\
         \x20   )\n\
         \x20   .add_extension(\n\
         \x20       x509.NameConstraints(\n\
         \x20           permitted_subtrees=[\n\
         \x20               x509.DNSName(\"localhost\"),\n\
         \x20               x509.IPAddress(ipaddress.ip_network(\"127.0.0.0/8\")),\n\
         \x20               x509.IPAddress(ipaddress.ip_network(\"::1/128\")),\n\
         \x20           ],\n\
         \x20           excluded_subtrees=None,\n\
         \x20       ),\n\
         \x20       critical=True,\n\
         \x20   )\n\
         \x20   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)\n\
         \x20   .sign(key, {digest})\n\
         )\n\
         save_key(key, \"myca.key\")\n\
         with open(\"myca.pem\", \"wb\") as file:\n\
         \x20   file.write(ca.public_bytes(serialization.Encoding.PEM))\n",
        new_key = python_new_key(request.key_type),
        name = python_string(request.name.trim()),
        days = request.valid_days,
        digest = python_digest(request.key_type),
    )
}

/// The names of a request as openssl writes them (`DNS:localhost,IP:127.0.0.1`).
fn openssl_names(names: &[String]) -> String {
    names
        .iter()
        .map(|name| match name.trim().parse::<IpAddr>() {
            Ok(ip) => format!("IP:{ip}"),
            Err(_) => format!("DNS:{}", name.trim()),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Step 2 with openssl: a key and a CSR asking for the learner's choices.
pub fn openssl_key(request: &NewKey) -> String {
    let mut extensions = Vec::new();
    if !request.names.is_empty() {
        extensions.push(format!("subjectAltName={}", openssl_names(&request.names)));
    }
    extensions.push(format!(
        "basicConstraints=critical,CA:{}",
        if request.is_ca { "TRUE" } else { "FALSE" }
    ));
    if !request.key_usage.is_empty() {
        let usages: Vec<&str> = request
            .key_usage
            .iter()
            .map(|usage| usage.openssl_name())
            .collect();
        extensions.push(format!("keyUsage=critical,{}", usages.join(",")));
    }
    if let Some(purpose) = request.purpose.openssl_name() {
        extensions.push(format!("extendedKeyUsage={purpose}"));
    }
    let addext: String = extensions
        .iter()
        .map(|extension| format!(" \\\n  -addext {}", shell(extension)))
        .collect();
    format!(
        "openssl req -new {key} -nodes{digest} \\\n\
         \x20 -keyout server.key -out server.csr \\\n\
         \x20 -subj {subject}{addext}\n\
         chmod 600 server.key\n",
        key = openssl_new_key(request.key_type),
        digest = openssl_digest(request.key_type),
        subject = subject(&request.common_name),
    )
}

/// Step 2 in Python: the same key and CSR.
pub fn python_key(request: &NewKey) -> String {
    let mut extensions = String::new();
    if !request.names.is_empty() {
        let names: Vec<String> = request
            .names
            .iter()
            .map(|name| match name.trim().parse::<IpAddr>() {
                Ok(ip) => format!(
                    "x509.IPAddress(ipaddress.ip_address({}))",
                    python_string(&ip.to_string())
                ),
                Err(_) => format!("x509.DNSName({})", python_string(name.trim())),
            })
            .collect();
        extensions.push_str(&format!(
            "    .add_extension(x509.SubjectAlternativeName([{}]), critical=False)\n",
            names.join(", ")
        ));
    }
    extensions.push_str(&format!(
        "    .add_extension(x509.BasicConstraints(ca={}, path_length=None), critical=True)\n",
        if request.is_ca { "True" } else { "False" }
    ));
    if !request.key_usage.is_empty() {
        let has = |usage| {
            if request.key_usage.contains(&usage) {
                "True"
            } else {
                "False"
            }
        };
        extensions.push_str(&format!(
            "    .add_extension(\n\
             \x20       x509.KeyUsage(\n\
             \x20           digital_signature={}, content_commitment=False, key_encipherment={},\n\
             \x20           data_encipherment=False, key_agreement=False, key_cert_sign={},\n\
             \x20           crl_sign=False, encipher_only=False, decipher_only=False,\n\
             \x20       ),\n\
             \x20       critical=True,\n\
             \x20   )\n",
            has(KeyUsage::DigitalSignature),
            has(KeyUsage::KeyEncipherment),
            has(KeyUsage::KeyCertSign),
        ));
    }
    let purpose = match request.purpose {
        Purpose::ServerAuth => Some("SERVER_AUTH"),
        Purpose::ClientAuth => Some("CLIENT_AUTH"),
        Purpose::None => None,
    };
    if let Some(purpose) = purpose {
        extensions.push_str(&format!(
            "    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.{purpose}]), critical=False)\n"
        ));
    }
    format!(
        "{PYTHON_IMPORTS}\
         key = {new_key}\n\
         csr = (\n\
         \x20   x509.CertificateSigningRequestBuilder()\n\
         \x20   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, {name})]))\n\
         {extensions}\
         \x20   .sign(key, {digest})\n\
         )\n\
         save_key(key, \"server.key\")\n\
         with open(\"server.csr\", \"wb\") as file:\n\
         \x20   file.write(csr.public_bytes(serialization.Encoding.PEM))\n",
        new_key = python_new_key(request.key_type),
        name = python_string(request.common_name.trim()),
        digest = python_digest(request.key_type),
    )
}

/// `date`'s words for `days` from now (`+0 days`, `-10 days`).
fn days_from_now(days: i64) -> String {
    format!("{days:+} days")
}

/// Step 3 with openssl: the CA signs the CSR, keeping what it asks for.
/// A start other than now needs `-not_before`/`-not_after` (OpenSSL 3.4 or
/// later) and GNU `date`.
pub fn openssl_sign(request: &SignRequest, ca_key_type: KeyType) -> String {
    let validity = if request.starts_in_days == 0 {
        format!(" -days {}", request.valid_days)
    } else {
        let start = i64::from(request.starts_in_days);
        let end = start + i64::from(request.valid_days);
        format!(
            " \\\n  -not_before \"$(date -u -d '{}' +%Y%m%d%H%M%SZ)\" \\\n  -not_after \"$(date -u -d '{}' +%Y%m%d%H%M%SZ)\"",
            days_from_now(start),
            days_from_now(end)
        )
    };
    let note = if request.starts_in_days == 0 {
        ""
    } else {
        "# -not_before and -not_after need OpenSSL 3.4 or later (openssl version)\n"
    };
    format!(
        "{note}openssl x509 -req -in server.csr -CA myca.pem -CAkey myca.key -CAcreateserial{digest} \\\n\
         \x20 -copy_extensions copyall -out server.pem{validity}\n",
        digest = openssl_digest(ca_key_type),
    )
}

/// Step 3 in Python: the same signature.
pub fn python_sign(request: &SignRequest, ca_key_type: KeyType) -> String {
    format!(
        "{PYTHON_IMPORTS}\
         with open(\"server.csr\", \"rb\") as file:\n\
         \x20   csr = x509.load_pem_x509_csr(file.read())\n\
         with open(\"myca.pem\", \"rb\") as file:\n\
         \x20   ca = x509.load_pem_x509_certificate(file.read())\n\
         with open(\"myca.key\", \"rb\") as file:\n\
         \x20   ca_key = serialization.load_pem_private_key(file.read(), password=None)\n\
         start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days={start})\n\
         builder = (\n\
         \x20   x509.CertificateBuilder()\n\
         \x20   .subject_name(csr.subject)\n\
         \x20   .issuer_name(ca.subject)\n\
         \x20   .public_key(csr.public_key())\n\
         \x20   .serial_number(x509.random_serial_number())\n\
         \x20   .not_valid_before(start)\n\
         \x20   .not_valid_after(start + datetime.timedelta(days={days}))\n\
         \x20   .add_extension(\n\
         \x20       x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),\n\
         \x20       critical=False,\n\
         \x20   )\n\
         )\n\
         # What the CSR asks for, as openssl's -copy_extensions copyall does.\n\
         for extension in csr.extensions:\n\
         \x20   builder = builder.add_extension(extension.value, critical=extension.critical)\n\
         certificate = builder.sign(ca_key, {digest})\n\
         with open(\"server.pem\", \"wb\") as file:\n\
         \x20   file.write(certificate.public_bytes(serialization.Encoding.PEM))\n",
        start = request.starts_in_days,
        days = request.valid_days,
        digest = python_digest(ca_key_type),
    )
}

/// Step 4 with openssl: a test HTTPS server with the certificate.
pub fn openssl_serve() -> String {
    "openssl s_server -accept 127.0.0.1:8443 -cert server.pem -key server.key -www\n".to_owned()
}

/// Step 4 in Python: the same server, with the standard library.
pub fn python_serve() -> String {
    "import http.server\n\
     import ssl\n\
     \n\
     context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
     context.load_cert_chain(\"server.pem\", \"server.key\")\n\
     server = http.server.HTTPServer((\"127.0.0.1\", 8443), http.server.SimpleHTTPRequestHandler)\n\
     server.socket = context.wrap_socket(server.socket, server_side=True)\n\
     server.serve_forever()\n"
        .to_owned()
}

/// Step 5 with openssl and curl: check the certificate, then the listener at
/// `url`, trusting `myca.pem`.
pub fn openssl_verify(url: &str) -> String {
    format!(
        "openssl verify -CAfile myca.pem -purpose sslserver -verify_hostname localhost server.pem\n\
         curl --cacert myca.pem {}\n",
        shell(url)
    )
}

/// Step 5 in Python: `requests` trusting `myca.pem`, the lesson's line.
pub fn python_verify(url: &str) -> String {
    format!(
        "import requests\n\nrequests.get({}, verify=\"myca.pem\")\n",
        python_string(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_for_the_shell_and_for_python() {
        let ca = NewCa {
            name: "Ning's CA / lab".into(),
            key_type: KeyType::Ed25519,
            valid_days: 30,
        };
        let openssl = openssl_ca(&ca);
        assert!(
            openssl.contains(r"-subj '/CN=Ning'\''s CA \/ lab'"),
            "{openssl}"
        );
        assert!(openssl.contains("-newkey ed25519 -nodes \\"), "{openssl}");
        let python = python_ca(&ca);
        assert!(python.contains(r#"NameOID.COMMON_NAME, "Ning's CA / lab")"#));
        assert!(
            python.contains(".sign(key, None)"),
            "Ed25519 takes no digest"
        );
        assert_eq!(python_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
    }

    #[test]
    fn a_request_asks_for_exactly_the_choices_made() {
        let good = NewKey {
            common_name: "localhost".into(),
            names: vec!["localhost".into(), "127.0.0.1".into()],
            is_ca: false,
            key_usage: vec![KeyUsage::DigitalSignature],
            purpose: Purpose::ServerAuth,
            key_type: KeyType::EcdsaP256,
        };
        let openssl = openssl_key(&good);
        assert!(openssl.contains("-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'"));
        assert!(openssl.contains("-addext 'basicConstraints=critical,CA:FALSE'"));
        assert!(openssl.contains("-addext 'keyUsage=critical,digitalSignature'"));
        assert!(openssl.contains("-addext 'extendedKeyUsage=serverAuth'"));
        let wrong = NewKey {
            names: Vec::new(),
            is_ca: true,
            key_usage: Vec::new(),
            purpose: Purpose::None,
            ..good
        };
        let openssl = openssl_key(&wrong);
        assert!(!openssl.contains("subjectAltName"), "{openssl}");
        assert!(!openssl.contains("keyUsage="), "{openssl}");
        assert!(openssl.contains("CA:TRUE"), "{openssl}");
        let python = python_key(&wrong);
        assert!(!python.contains("SubjectAlternativeName"));
        assert!(python.contains("BasicConstraints(ca=True"));
        assert!(!python.contains("ExtendedKeyUsage("));
    }

    #[test]
    fn a_start_in_the_past_is_dated_from_now() {
        let request = SignRequest {
            ca: "ca-1".into(),
            csr_pem: String::new(),
            starts_in_days: -10,
            valid_days: 5,
        };
        let openssl = openssl_sign(&request, KeyType::EcdsaP384);
        assert!(openssl.contains("date -u -d '-10 days'"), "{openssl}");
        assert!(openssl.contains("date -u -d '-5 days'"), "{openssl}");
        assert!(openssl.contains("-sha384"));
        let now = openssl_sign(
            &SignRequest {
                starts_in_days: 0,
                ..request.clone()
            },
            KeyType::EcdsaP256,
        );
        assert!(
            now.contains("-days 5") && !now.contains("not_before"),
            "{now}"
        );
        assert!(python_sign(&request, KeyType::EcdsaP256).contains("timedelta(days=-10)"));
    }
}
