//! The lab's local certificate authority: a root made on first start and kept in
//! the data folder (so a learner who trusts it keeps trusting it), and a fresh
//! intermediate and server certificate signed under it at every start.
//!
//! All keys are ECDSA P-256. Private keys are written readable by the owner only.

mod broken;

use std::fs;
use std::io;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, PKCS_ECDSA_P256_SHA256, PublicKeyData,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

pub use broken::{Mistake, NO_SAN_COMMON_NAME, WRONG_HOST_NAME};

/// File name of the root certificate inside the CA folder; also served at `/ca.pem`.
pub const ROOT_CERT_FILE: &str = "ca.pem";
const ROOT_KEY_FILE: &str = "ca-key.pem";

/// What can go wrong while loading or creating the certificate authority.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The CA folder or one of its files could not be read or written.
    #[error("cannot write to the data folder {} ({source}): pass --data-dir DIR with a folder you can write to", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The stored CA is unreadable (edited or truncated files).
    #[error("the certificate authority in {} cannot be used ({reason}): move that folder away and safelab makes a new one (learners must then trust the new ca.pem)", path.display())]
    Corrupt {
        /// The CA folder.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Certificate generation failed.
    #[error("could not make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The root CA: its certificate as served to learners, and the means to sign with it.
pub struct CertificateAuthority {
    folder: PathBuf,
    root_pem: String,
    root_der: CertificateDer<'static>,
    root: Issuer<'static, KeyPair>,
    notices: Vec<String>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// What the HTTPS listener presents: its chain (leaf, then intermediate) and the leaf's key.
#[derive(Debug)]
pub struct ServerIdentity {
    /// Leaf first, then the intermediate; the root is not sent, as on the real web.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
}

impl CertificateAuthority {
    /// Loads the root from `folder`, or creates it there if there is none yet.
    pub fn load_or_create(folder: &Path) -> Result<Self, CaError> {
        let cert_path = folder.join(ROOT_CERT_FILE);
        let key_path = folder.join(ROOT_KEY_FILE);
        if cert_path.exists() && key_path.exists() {
            return Self::load(folder, &cert_path, &key_path);
        }
        create_private_folder(folder)?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let params = root_params(&key);
        let cert = params.self_signed(&key)?;
        write_file(&key_path, key.serialize_pem().as_bytes(), true)?;
        write_file(&cert_path, cert.pem().as_bytes(), false)?;
        Ok(Self {
            folder: folder.to_owned(),
            root_pem: cert.pem(),
            root_der: cert.der().clone(),
            root: Issuer::new(params, key),
            notices: Vec::new(),
        })
    }

    fn load(folder: &Path, cert_path: &Path, key_path: &Path) -> Result<Self, CaError> {
        let corrupt = |reason: String| CaError::Corrupt {
            path: folder.to_owned(),
            reason,
        };
        let notices = make_private(folder, key_path)?;
        let root_pem = read_file(cert_path)?;
        let key_pem = read_file(key_path)?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|error| corrupt(format!("{ROOT_KEY_FILE}: {error}")))?;
        let root_der = CertificateDer::pem_slice_iter(root_pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| corrupt(format!("{ROOT_CERT_FILE} holds no certificate")))?;
        let root = Issuer::from_ca_cert_der(&root_der, key)
            .map_err(|error| corrupt(format!("{ROOT_CERT_FILE}: {error}")))?;
        Ok(Self {
            folder: folder.to_owned(),
            root_pem,
            root_der,
            root,
            notices,
        })
    }

    /// What safelab had to repair while loading the CA, for the person running it.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The root certificate, PEM-encoded: what learners download and trust.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The root certificate, DER-encoded: the inspector's trust anchor.
    pub fn root_der(&self) -> &CertificateDer<'static> {
        &self.root_der
    }

    /// Where the root certificate is stored on disk.
    pub fn root_pem_path(&self) -> PathBuf {
        self.folder.join(ROOT_CERT_FILE)
    }

    /// Makes a fresh intermediate and a server certificate for `names`
    /// (host names or IP addresses), chained root → intermediate → leaf.
    pub fn server_identity(&self, names: &[String]) -> Result<ServerIdentity, CaError> {
        let intermediate_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let intermediate_params = intermediate_params();
        let intermediate_cert = intermediate_params.signed_by(&intermediate_key, &self.root)?;
        let intermediate = Issuer::new(intermediate_params, intermediate_key);

        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let leaf_cert = leaf_params(names)?.signed_by(&leaf_key, &intermediate)?;

        Ok(ServerIdentity {
            chain: vec![leaf_cert.der().clone(), intermediate_cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        })
    }
}

/// A client certificate for lesson 6's listener that asks for one: its
/// chain and key as the inspector presents them, and as PEM for a learner to
/// download and pass to `requests` (`cert=(…)`) or curl (`--cert`, `--key`).
#[derive(Debug)]
pub struct ClientIdentity {
    /// The client certificate, then the intermediate that issued it.
    pub chain: Vec<CertificateDer<'static>>,
    /// The client certificate's private key.
    pub key: PrivateKeyDer<'static>,
    /// [`Self::chain`] in PEM.
    pub chain_pem: String,
    /// [`Self::key`] in PEM (PKCS#8).
    pub key_pem: String,
}

impl CertificateAuthority {
    /// Makes a fresh client certificate (`clientAuth`, named `lab learner`)
    /// under a fresh intermediate of this root. A lab credential: it opens
    /// nothing but the lab's client-certificate listener.
    pub fn client_identity(&self) -> Result<ClientIdentity, CaError> {
        let intermediate_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let intermediate_params = intermediate_params();
        let intermediate_cert = intermediate_params.signed_by(&intermediate_key, &self.root)?;
        let intermediate = Issuer::new(intermediate_params, intermediate_key);

        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name("lab learner");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, 90);
        let cert = params.signed_by(&key, &intermediate)?;
        Ok(ClientIdentity {
            chain_pem: format!("{}{}", cert.pem(), intermediate_cert.pem()),
            key_pem: key.serialize_pem(),
            chain: vec![cert.der().clone(), intermediate_cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        })
    }
}

fn validity(params: &mut CertificateParams, days: i64) {
    // A day of slack before "now" keeps a laptop with a slightly wrong clock working.
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(days);
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "safelab");
    name.push(DnType::CommonName, common_name);
    name
}

/// Each installation's root gets its own name (like mkcert's): clients look
/// trust anchors up by name, and two roots with one name would make a stranger's
/// chain fail as "bad signature" instead of "unknown issuer".
fn root_params(key: &KeyPair) -> CertificateParams {
    let digest = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
    let id: String = digest.as_ref()[..4]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&format!("safelab local root CA {id}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Learners add this root to their trust stores and its key sits on disk: if it
    // ever leaked, name constraints keep it from vouching for any real site.
    params.name_constraints = Some(loopback_only());
    validity(&mut params, 10 * 365);
    params
}

/// Name constraints that let a CA vouch for this machine only: `localhost`
/// (and its subdomains), `127.0.0.0/8` and `::1`. safelab's root has them,
/// and so has every CA a learner makes in the lab: a CA whose key sits in a
/// folder on a laptop must not be able to vouch for a real site if it leaks
/// or is trusted more widely than meant.
pub(crate) fn loopback_only() -> NameConstraints {
    NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".to_owned()),
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
            GeneralSubtree::IpAddress(CidrSubnet::from_v6_prefix(
                Ipv6Addr::LOCALHOST.octets(),
                128,
            )),
        ],
        excluded_subtrees: Vec::new(),
    }
}

fn intermediate_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name("safelab lab intermediate CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, 365);
    params
}

fn leaf_params(names: &[String]) -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::new(names.to_vec())?;
    params.distinguished_name = name(names.first().map_or("localhost", String::as_str));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, 90);
    Ok(params)
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CaError + '_ {
    move |source| CaError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_file(path: &Path) -> Result<String, CaError> {
    fs::read_to_string(path).map_err(io_error(path))
}

pub(crate) fn create_private_folder(folder: &Path) -> Result<(), CaError> {
    fs::create_dir_all(folder).map_err(io_error(folder))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(folder, fs::Permissions::from_mode(0o700)).map_err(io_error(folder))?;
    }
    Ok(())
}

/// Makes the CA folder and its key private to the owner again if someone
/// loosened them (a copy, an unpacked archive, a permissive umask), and says so:
/// anyone who could read the key could have made certificates the learner trusts.
#[cfg(unix)]
fn make_private(folder: &Path, key_path: &Path) -> Result<Vec<String>, CaError> {
    use std::os::unix::fs::PermissionsExt;
    let mut notices = Vec::new();
    for (path, private_mode, what) in [(folder, 0o700, "folder"), (key_path, 0o600, "private key")]
    {
        // Not through a symbolic link: the mode to repair is this file's own,
        // and a link to a key elsewhere is not safelab's to change.
        let metadata = fs::symlink_metadata(path).map_err(io_error(path))?;
        if metadata.file_type().is_symlink() {
            return Err(CaError::Corrupt {
                path: folder.to_owned(),
                reason: format!(
                    "{} is a symbolic link, not the CA's own file",
                    path.display()
                ),
            });
        }
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(private_mode)).map_err(
                |source| CaError::Corrupt {
                    path: folder.to_owned(),
                    reason: format!(
                        "its {what} can be read by other users and safelab cannot make it private ({source})"
                    ),
                },
            )?;
            notices.push(format!(
                "the CA's {what} {} could be read by other users of this machine (mode {mode:o}); \
                 safelab made it private (mode {private_mode:o}). If anyone else uses this machine, \
                 move {} away so safelab makes a new CA, and trust the new ca.pem instead",
                path.display(),
                folder.display()
            ));
        }
    }
    Ok(notices)
}

#[cfg(not(unix))]
fn make_private(_folder: &Path, _key_path: &Path) -> Result<Vec<String>, CaError> {
    Ok(Vec::new())
}

/// Writes through a temporary file and a rename, so a crash never leaves half a key.
pub(crate) fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), CaError> {
    let temporary = path.with_extension("tmp");
    // A temporary file left by a crash keeps its old mode when reopened: start
    // afresh, so the key file is created with the mode asked for.
    match fs::remove_file(&temporary) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            return Err(io_error(&temporary)(error));
        }
        _ => {}
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let write = || -> io::Result<()> {
        use std::io::Write;
        let mut file = options.open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    };
    write().map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_created_once_and_reused() {
        let folder = tempfile::tempdir().expect("temp dir");
        let first = CertificateAuthority::load_or_create(folder.path()).expect("created");
        let second = CertificateAuthority::load_or_create(folder.path()).expect("loaded");
        assert_eq!(first.root_pem(), second.root_pem());
        assert_eq!(first.root_der(), second.root_der());
    }

    #[cfg(unix)]
    #[test]
    fn private_key_is_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().expect("temp dir");
        CertificateAuthority::load_or_create(folder.path()).expect("created");
        let mode = fs::metadata(folder.path().join(ROOT_KEY_FILE))
            .expect("key written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_readable_by_others_is_made_private_and_reported() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().expect("temp dir");
        CertificateAuthority::load_or_create(folder.path()).expect("created");
        let key = folder.path().join(ROOT_KEY_FILE);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("loosen");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("loaded");
        let mode = fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(ca.notices().len(), 1, "{:?}", ca.notices());
        assert!(ca.notices()[0].contains("private key"));
        let again = CertificateAuthority::load_or_create(folder.path()).expect("loaded");
        assert!(again.notices().is_empty());
    }

    #[test]
    fn a_damaged_root_is_reported_not_replaced() {
        let folder = tempfile::tempdir().expect("temp dir");
        CertificateAuthority::load_or_create(folder.path()).expect("created");
        fs::write(folder.path().join(ROOT_KEY_FILE), "not a key").expect("overwrite");
        let error = CertificateAuthority::load_or_create(folder.path()).expect_err("must fail");
        assert!(matches!(error, CaError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("move that folder away"));
    }

    fn verify(
        ca: &CertificateAuthority,
        identity: &ServerIdentity,
        name: &str,
    ) -> Result<(), rustls::Error> {
        use rustls::client::danger::ServerCertVerifier;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.root_der().clone()).expect("root");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("verifier");
        let name = rustls::pki_types::ServerName::try_from(name.to_owned()).expect("name");
        verifier
            .verify_server_cert(
                &identity.chain[0],
                &identity.chain[1..],
                &name,
                &[],
                rustls::pki_types::UnixTime::now(),
            )
            .map(|_| ())
    }

    #[test]
    fn the_root_vouches_for_loopback_names_only() {
        let folder = tempfile::tempdir().expect("temp dir");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("created");
        let local = ca
            .server_identity(&["localhost".into(), "127.0.0.1".into()])
            .expect("issued");
        verify(&ca, &local, "localhost").expect("localhost verifies");
        verify(&ca, &local, "127.0.0.1").expect("127.0.0.1 verifies");
        let bank = ca
            .server_identity(&["bank.example".into()])
            .expect("issued anyway");
        let error = verify(&ca, &bank, "bank.example").expect_err("outside the name constraints");
        assert!(format!("{error:?}").contains("NameConstraint"), "{error:?}");
    }

    #[test]
    fn server_identity_presents_leaf_then_intermediate() {
        let folder = tempfile::tempdir().expect("temp dir");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("created");
        let identity = ca
            .server_identity(&["localhost".into(), "127.0.0.1".into()])
            .expect("issued");
        assert_eq!(identity.chain.len(), 2);
    }
}
