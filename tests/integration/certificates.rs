//! The HTTPS lab's chain (root → intermediate → leaf, ECDSA P-256), checked by a
//! real rustls client: trusted when the client trusts safelab's CA, refused when
//! it does not or when the name is wrong.

/// The broken listeners: every client refuses each, with its recorded text; the exercises they solve.
mod broken;
/// A real Chromium with safelab's CA in a throwaway trust store, and without.
mod browser_trust;
/// The inspector names what failed, against each trust store, in the API and in Chromium.
mod inspector;
/// The learner's own CA, made from the browser's API, and its listeners.
mod own_ca;
/// The inspector's verdict on every broken listener, as `/api/lab` names it.
mod verdicts;

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use safelab::CertificateAuthority;
use safelab_tests::Lab;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn roots_from(pem: &str) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots
            .add(certificate.expect("PEM certificate"))
            .expect("usable root");
    }
    roots
}

async fn handshake(
    lab: &Lab,
    roots: RootCertStore,
    name: &str,
    version: &'static SupportedProtocolVersion,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, std::io::Error> {
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[version])
            .expect("protocol version")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let tcp = TcpStream::connect(lab.running.https_address)
        .await
        .expect("connects");
    TlsConnector::from(Arc::new(config))
        .connect(
            ServerName::try_from(name.to_owned()).expect("server name"),
            tcp,
        )
        .await
}

#[tokio::test]
async fn a_client_trusting_the_lab_ca_verifies_the_chain_over_tls_1_2_and_1_3() {
    let lab = Lab::start().await;
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        for name in ["localhost", "127.0.0.1"] {
            let stream = handshake(&lab, roots_from(&lab.ca_pem()), name, version)
                .await
                .unwrap_or_else(|error| panic!("{name} over {version:?}: {error}"));
            let (_, connection) = stream.get_ref();
            assert_eq!(connection.protocol_version(), Some(version.version));
            let chain = connection.peer_certificates().expect("a chain");
            assert_eq!(chain.len(), 2, "the server presents leaf and intermediate");
        }
    }
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_lab_ca_refuses_it() {
    let lab = Lab::start().await;
    let stranger = tempfile::tempdir().expect("temp dir");
    let other_ca = CertificateAuthority::load_or_create(stranger.path()).expect("another CA");
    let error = handshake(
        &lab,
        roots_from(other_ca.root_pem()),
        "localhost",
        &rustls::version::TLS13,
    )
    .await
    .expect_err("an untrusted chain must be refused");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_name_the_certificate_does_not_carry_is_refused() {
    let lab = Lab::start().await;
    let error = handshake(
        &lab,
        roots_from(&lab.ca_pem()),
        "example.com",
        &rustls::version::TLS13,
    )
    .await
    .expect_err("a wrong name must be refused");
    assert!(error.to_string().contains("not valid for name"), "{error}");
}

#[tokio::test]
async fn the_root_survives_a_restart() {
    let first = Lab::start().await;
    let folder = first.data.path().to_owned();
    let pem = first.ca_pem();
    drop(first.running);
    let second = safelab::serve(&safelab::Config::ephemeral(&folder))
        .await
        .expect("restarts");
    assert_eq!(
        std::fs::read_to_string(&second.ca_path).expect("ca.pem"),
        pem
    );
    drop(first.data);
}
