//! The recorded exchanges the lesson has the learner sniff: the colleague's
//! request to the insecure twin's Basic endpoint, once over plain HTTP (every
//! byte readable, the password a base64 decode away) and once over HTTPS
//! (nothing but encrypted records). Made up and the same on every run, but
//! addressed to this run's listeners so the request can be replayed.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};

use super::{AMARA, report};

/// Where the colleague's laptop sat on the (made-up) clinic network.
const COLLEAGUE: &str = "10.20.4.17";
/// The header that opens each capture.
const RECORDED: &str = "recorded Tue 17 Nov 2026 08:14:03 UTC on the clinic's guest Wi-Fi";

/// The plain-HTTP capture, "follow TCP stream" style, of the colleague's
/// request to `path` on `host` (`127.0.0.1:7879`).
pub(super) fn plain(host: &str, path: &str) -> String {
    let credentials = STANDARD.encode(format!("{}:{}", AMARA.name, AMARA.password));
    let body = report(&AMARA, "basic").to_string();
    format!(
        "== Follow TCP stream: {COLLEAGUE}:51544 -> {host} (plain HTTP), {RECORDED} ==\n\
         \n\
         GET {path} HTTP/1.1\r\n\
         Host: {host}\r\n\
         User-Agent: python-requests/2.32.3\r\n\
         Accept-Encoding: gzip, deflate\r\n\
         Accept: */*\r\n\
         Connection: keep-alive\r\n\
         Authorization: Basic {credentials}\r\n\
         \r\n\
         HTTP/1.1 200 OK\r\n\
         content-type: application/json\r\n\
         content-length: {length}\r\n\
         \r\n\
         {body}\n",
        length = body.len(),
    )
}

/// The same exchange recorded over HTTPS with `host` (`localhost:7880`):
/// the name of the server in the ClientHello, and then encrypted records.
pub(super) fn tls(host: &str) -> String {
    let server_name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let mut text = format!(
        "== Follow TCP stream: {COLLEAGUE}:51571 -> {host} (HTTPS, TLS 1.3), {RECORDED} ==\n\n\
         [client] TLS handshake: ClientHello, server name \"{server_name}\", ALPN http/1.1\n\
         [server] TLS handshake: ServerHello; from here on every byte is encrypted\n\n"
    );
    for (who, record, length) in [
        ("server", 1, 2118),
        ("client", 2, 64),
        ("client", 3, 211),
        ("server", 4, 402),
    ] {
        let _ = writeln!(
            text,
            "[{who}] TLS application data, {length} bytes:\n{}",
            hex_dump(&noise(record, length))
        );
    }
    text
}

/// `length` bytes that look like ciphertext: SHA-256 in counter mode over a
/// fixed seed, so the capture is the same on every run.
fn noise(record: u32, length: usize) -> Vec<u8> {
    let mut bytes = vec![0x17, 0x03, 0x03];
    bytes.extend_from_slice(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
    let mut block = 0u32;
    while bytes.len() < length + 5 {
        let seed = format!("safelab capture {record} {block}");
        bytes.extend_from_slice(digest(&SHA256, seed.as_bytes()).as_ref());
        block += 1;
    }
    bytes.truncate(length + 5);
    bytes
}

/// Bytes as hex, 16 to a line.
fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_capture_gives_the_password_away_and_the_tls_one_does_not() {
        let plain = plain("127.0.0.1:7879", "/lab/insecure/auth/basic");
        let line = plain
            .lines()
            .find_map(|line| line.strip_prefix("Authorization: Basic "))
            .expect("the header is in the capture");
        let decoded = STANDARD.decode(line.trim()).expect("base64");
        assert_eq!(decoded, b"amara:Kilimanjaro-2019");
        let tls = tls("localhost:7880");
        assert!(!tls.contains("Authorization") && !tls.contains("amara"));
        assert_eq!(tls, super::tls("localhost:7880"), "the same every run");
    }
}
