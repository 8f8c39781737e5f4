//! HTTPS: `verify` against an https:// server with a self-signed
//! certificate (made here with rcgen), trusted with `--ca-cert` or not
//! checked with `--insecure`; `serve --tls-cert/--tls-key` answered over
//! HTTPS.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use apib_mock::{ServeConfig, TlsIdentity};

use crate::support::{TestServer, root, stderr, stdout, verify};

/// A self-signed certificate for localhost and 127.0.0.1, and its key,
/// written as PEM into `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test]
async fn verify_checks_an_https_server_trusted_by_ca_cert_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let mut config = ServeConfig::default();
    config.tls = Some(TlsIdentity::new(&cert, &key));
    let server = TestServer::with_config("specs/retailers.apib", config);
    let url = server.url("");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let spec = "specs/retailers.apib".to_string();

    let trusted = verify(vec![
        spec.clone(),
        "--server".into(),
        url.clone(),
        "--ca-cert".into(),
        path(&cert),
    ])
    .await;
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&trusted),
        stderr(&trusted)
    );
    assert!(
        stdout(&trusted).contains("20 passed, 0 failed"),
        "{}",
        stdout(&trusted)
    );

    let insecure = verify(vec![
        spec.clone(),
        "--server".into(),
        url.clone(),
        "--insecure".into(),
    ])
    .await;
    assert_eq!(insecure.status.code(), Some(0), "{}", stderr(&insecure));
    assert!(stderr(&insecure).contains("--insecure: the server's certificate is not checked"));

    // Unknown to the system's roots: one clear error, exit 2.
    let untrusted = verify(vec![spec.clone(), "--server".into(), url.clone()]).await;
    assert_eq!(untrusted.status.code(), Some(2), "{}", stdout(&untrusted));
    let err = stderr(&untrusted);
    assert!(
        err.contains("cannot reach https://127.0.0.1:") && err.contains("certificate"),
        "{err}"
    );

    // A client certificate is loaded and offered (this server asks for none).
    let mtls = verify(vec![
        spec,
        "--server".into(),
        url,
        "--ca-cert".into(),
        path(&cert),
        "--client-cert".into(),
        path(&cert),
        "--client-key".into(),
        path(&key),
    ])
    .await;
    assert_eq!(mtls.status.code(), Some(0), "{}", stderr(&mtls));
}

#[tokio::test]
async fn serve_answers_over_https_with_tls_cert_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(["serve", "specs/retailers.apib", "--port", "0", "--no-watch"])
        .args(["--tls-cert", &path(&cert), "--tls-key", &path(&key)])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("apib-mock: listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    assert!(url.starts_with("https://"), "{url}");
    let out = verify(vec![
        "specs/retailers.apib".into(),
        "--server".into(),
        url,
        "--ca-cert".into(),
        path(&cert),
    ])
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("20 passed, 0 failed"));

    // A key that is not PEM: an error naming the file, before any banner.
    std::fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(["serve", "specs/retailers.apib", "--port", "0", "--no-watch"])
        .args([
            "--tls-cert",
            &path(&cert),
            "--tls-key",
            &path(&dir.path().join("bad.pem")),
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--tls-key"), "{}", stderr(&bad));
    assert!(!stdout(&bad).contains("listening"), "{}", stdout(&bad));
}
