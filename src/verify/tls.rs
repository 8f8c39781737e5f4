//! HTTPS for `verify`: rustls (ring), the system's root certificates plus
//! `--ca-cert`, `--insecure` for a self-signed staging server, and a
//! client certificate for mTLS. HTTP/1.1 only: hyper's HTTP/2 feature cost the
//! server ~2.5% of its throughput in the load benchmark (it is one feature
//! for the whole crate), and every HTTP/2 server speaks HTTP/1.1 too.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// How `verify` trusts an https:// server and shows itself to it.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// Trust this CA (PEM) as well as the system's roots.
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate (a self-signed staging server).
    pub insecure: bool,
    /// A client certificate chain and its key (PEM), for mTLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// The rustls client configuration `tls` asks for.
pub(crate) fn client_config(tls: &ClientTls) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(ring_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        // The system's roots; a store that cannot be read leaves only
        // --ca-cert.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if let Some(path) = &tls.ca_cert {
            for cert in read_certs(path, "--ca-cert")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match &tls.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = read_certs(cert, "--client-cert")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("--client-key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("--client-cert/--client-key: {e}"))
        }
    }
}

/// rustls with ring, as `serve` uses it (see `server/tls.rs` for why
/// ring).
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn read_certs(path: &PathBuf, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// `--insecure`: any certificate chain is accepted, but the handshake's
/// signatures are still checked (the server holds the key of the
/// certificate it shows).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
