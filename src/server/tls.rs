//! HTTPS for `serve`: a certificate chain and its key (PEM files), rustls
//! with ring. HTTP/1.1 only (offered by ALPN), the same service as plain
//! HTTP behind the handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsIdentity {
    /// The certificate chain (leaf first).
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsIdentity {
    /// The identity in `cert` and `key`.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self {
            cert: cert.into(),
            key: key.into(),
        }
    }
}

fn invalid(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what)
}

/// Whether `identity` makes a TLS server: errors name the file and what
/// is wrong.
#[cfg(feature = "cli")]
pub(crate) fn check(identity: &TlsIdentity) -> std::io::Result<()> {
    acceptor(identity).map(drop)
}

/// The acceptor for `identity`: errors name the file and what is wrong.
pub(crate) fn acceptor(identity: &TlsIdentity) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    let certs = read_certs(&identity.cert, "--tls-cert").map_err(invalid)?;
    let key = PrivateKeyDer::from_pem_file(&identity.key)
        .map_err(|e| invalid(format!("--tls-key {}: {e}", identity.key.display())))?;
    let provider = Arc::new(ring_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("--tls-cert/--tls-key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The client side, for `--proxy https://...`: HTTP/1.1 over rustls,
/// trusting the system's roots and, with `ca_cert`, that PEM file's
/// certificates (a staging server's own CA, or a self-signed one).
pub(crate) fn connector(
    ca_cert: Option<&Path>,
) -> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, String>
{
    let mut roots = trusted(ca_cert)?;
    // A store that cannot be read leaves only `ca_cert`.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build())
}

/// The roots `--proxy-ca-cert` adds (none without it): what the start-up
/// check reads, without the system's store that [`connector`] adds.
pub(crate) fn trusted(ca_cert: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = ca_cert {
        for cert in read_certs(path, "--proxy-ca-cert")? {
            roots
                .add(cert)
                .map_err(|e| format!("--proxy-ca-cert {}: {e}", path.display()))?;
        }
    }
    Ok(roots)
}

/// The PEM certificates in `path` (at least one), errors naming `flag`
/// and the file.
fn read_certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{flag} {shown}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{flag} {shown}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{flag} {shown}: no PEM certificate in it"));
    }
    Ok(certs)
}

/// rustls with ring: no OpenSSL, and no cmake (which aws-lc-rs needs) on
/// a machine that has only the Rust toolchain and a C compiler. rustls
/// deprecates it for lacking post-quantum key exchange, which a local
/// mock and a staging check can do without.
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
