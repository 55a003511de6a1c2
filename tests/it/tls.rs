//! HTTPS against the real binary, with real TLS clients that trust only the
//! certificate the server was given or made (never "accept invalid certs").

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST, LOCATION, SET_COOKIE};
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ProtocolVersion, RootCertStore, SupportedProtocolVersion};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::child::*;

const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// A client that trusts the certificates in `pem` and nothing else.
fn trusting(pem: &Path, versions: &[&'static SupportedProtocolVersion]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pem).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    client_config(roots, versions)
}

fn client_config(
    roots: RootCertStore,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// What an HTTPS request got, and from whom.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    version: ProtocolVersion,
    peer: CertificateDer<'static>,
}

/// One request on a fresh TLS connection to `addr`, checked for the name
/// 127.0.0.1 (the address dialled).
async fn https(
    addr: SocketAddr,
    config: &Arc<ClientConfig>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Answer> {
    let exchange = async {
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::IpAddress(addr.ip().into());
        let tls = TlsConnector::from(config.clone())
            .connect(name, tcp)
            .await?;
        let session = tls.get_ref().1;
        let version = session.protocol_version().unwrap();
        let peer = session.peer_certificates().unwrap()[0].clone().into_owned();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(connection);
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, addr.to_string());
        let body = match body {
            Some(v) => {
                req = req.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(serde_json::to_vec(&v)?))
            }
            None => Full::new(Bytes::new()),
        };
        let (parts, body) = sender.send_request(req.body(body)?).await?.into_parts();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await?.to_bytes(),
            version,
            peer,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), exchange).await?
}

async fn get(addr: SocketAddr, config: &Arc<ClientConfig>, path: &str) -> anyhow::Result<Answer> {
    https(addr, config, Method::GET, path, None).await
}

/// Starts `bankbox serve ARGS` and waits until /ready answers 200 over HTTPS
/// to a client trusting `cert` (which the server may still have to write).
async fn start(data: &Path, args: &[&str], cert: &Path) -> Server {
    let env = [("LOG_LEVEL", "bankbox=info,warn")];
    let mut server = Server::spawn(data, free_addr(), &env, args);
    let started = Instant::now();
    while started.elapsed() < START_DEADLINE {
        if let Some(status) = server.child.0.try_wait().unwrap() {
            panic!("exited with {status:?}\n{}", server.stderr());
        }
        if cert.exists() {
            let answer = get(server.addr, &trusting(cert, BOTH), "/ready").await;
            if answer.is_ok_and(|a| a.status == StatusCode::OK) {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no 200 from /ready over HTTPS\n{}", server.stderr());
}

/// The fingerprint the server logged for its certificate.
fn logged_fingerprint(server: &Server) -> String {
    let log = server.stderr();
    let line = log
        .lines()
        .find(|l| l.contains("\"fingerprint\""))
        .unwrap_or_else(|| panic!("no fingerprint logged:\n{log}"));
    let line: Value = serde_json::from_str(line).unwrap();
    line["fingerprint"].as_str().unwrap().to_string()
}

fn sha256_colons(der: &[u8]) -> String {
    let hex = hex::encode_upper(Sha256::digest(der));
    let pairs: Vec<String> = hex
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).into())
        .collect();
    pairs.join(":")
}

fn pem_der(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

/// What a plain-HTTP client gets from `addr` (until it closes, or 5 s).
fn plain_http(addr: SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn self_signed_serves_https_and_keeps_its_certificate() {
    let data = tempfile::tempdir().unwrap();
    let cert = data.path().join("tls/cert.pem");
    let mut server = start(data.path(), &["--tls-self-signed"], &cert).await;
    let fingerprint = logged_fingerprint(&server);
    assert_eq!(fingerprint, sha256_colons(&pem_der(&cert)));
    let trusted = trusting(&cert, BOTH);

    // The session cookie is Secure over HTTPS.
    let login = json!({ "username": "admin", "password": ADMIN_PASSWORD, "session": "cookie" });
    let r = https(
        server.addr,
        &trusted,
        Method::POST,
        "/api/auth/login",
        Some(login),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.peer, pem_der(&cert));
    let cookies: Vec<&str> = r
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .collect();
    assert!(!cookies.is_empty());
    for c in &cookies {
        assert!(c.contains("; Secure"), "{c}");
    }

    // A client that trusts only the public authorities refuses it.
    let public = client_config(
        RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
        BOTH,
    );
    let err = get(server.addr, &public, "/ready").await.err().unwrap();
    assert!(format!("{err:#}").contains("UnknownIssuer"), "{err:#}");

    // Plain HTTP on the HTTPS port gets no app data.
    let got = plain_http(server.addr, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        !got.contains("HTTP/1.1 200") && !got.contains("ready"),
        "{got:?}"
    );

    // healthcheck reads the same settings, and trusts the kept certificate.
    let mut cmd = bankbox();
    cmd.env("BANKBOX_TLS_SELF_SIGNED", "true")
        .arg("healthcheck")
        .arg("--data-dir")
        .arg(data.path())
        .arg("--listen")
        .arg(server.addr.to_string());
    let run = run(cmd, None);
    run.assert_success();
    assert!(
        run.stdout.contains("https://127.0.0.1"),
        "{}",
        run.describe()
    );

    server.stop().await;
    let server = start(data.path(), &["--tls-self-signed"], &cert).await;
    assert_eq!(
        logged_fingerprint(&server),
        fingerprint,
        "not kept across a restart"
    );
}

#[tokio::test]
async fn gen_cert_files_serve_https_to_tls12_and_tls13_clients() {
    let data = tempfile::tempdir().unwrap();
    let (cert, key) = (data.path().join("cert.pem"), data.path().join("key.pem"));
    let mut cmd = bankbox();
    cmd.arg("gen-cert")
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .args(["--hostname", "127.0.0.1,bank.example", "--days", "30"]);
    let made = run(cmd, None);
    made.assert_success();
    let printed = made
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("SHA-256 fingerprint: "))
        .unwrap_or_else(|| panic!("{}", made.describe()))
        .to_string();

    let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let mut server = start(data.path(), &["--tls-cert", c, "--tls-key", k], &cert).await;
    for (versions, want) in [
        (&[&rustls::version::TLS12][..], ProtocolVersion::TLSv1_2),
        (&[&rustls::version::TLS13][..], ProtocolVersion::TLSv1_3),
    ] {
        let r = get(server.addr, &trusting(&cert, versions), "/ready")
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.version, want);
        assert_eq!(sha256_colons(&r.peer), printed);
    }

    // A client that opens a connection and says nothing holds up no one.
    let idle = TcpStream::connect(server.addr).await.unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        get(server.addr, &trusting(&cert, BOTH), "/ready"),
    )
    .await
    .expect("a silent client held up the handshake of another")
    .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    drop(idle);

    // healthcheck with the serve variables of a container.
    let mut cmd = bankbox();
    cmd.env("BANKBOX_TLS_CERT", &cert)
        .env("BANKBOX_TLS_KEY", &key)
        .env("BANKBOX_LISTEN", server.addr.to_string())
        .arg("healthcheck");
    run(cmd, None).assert_success();
    // --ca checks the name as usual: 127.0.0.1 is one of the certificate's.
    let mut cmd = bankbox();
    cmd.arg("healthcheck")
        .arg("--ca")
        .arg(&cert)
        .arg(format!("https://{}/ready", server.addr));
    run(cmd, None).assert_success();

    server.stop().await;
}

#[tokio::test]
async fn plain_http_only_redirects() {
    let data = tempfile::tempdir().unwrap();
    let cert = data.path().join("tls/cert.pem");
    let plain = free_addr();
    let redirect = plain.to_string();
    let args = ["--tls-self-signed", "--redirect-http", &redirect];
    let mut server = start(data.path(), &args, &cert).await;
    let host = format!("127.0.0.1:{}", plain.port());
    let got = plain_http(
        plain,
        &format!("GET /api/accounts?x=1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    let (head, body) = got.split_once("\r\n\r\n").unwrap_or((&got, ""));
    assert!(head.starts_with("HTTP/1.1 308"), "{got:?}");
    let location = format!(
        "{LOCATION}: https://127.0.0.1:{}/api/accounts?x=1",
        server.addr.port()
    );
    assert!(head.to_lowercase().contains(&location), "{got:?}");
    assert!(body.is_empty(), "{got:?}");

    // Not even the probes answer in plain text.
    let got = plain_http(
        plain,
        &format!("GET /ready HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert!(got.starts_with("HTTP/1.1 308"), "{got:?}");
    server.stop().await;
}

#[test]
fn unusable_key_file_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let mut cmd = bankbox();
    cmd.arg("gen-cert")
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key);
    run(cmd, None).assert_success();
    std::fs::write(&key, "not a key\n").unwrap();

    let mut cmd = server_command(&dir.path().join("data"), free_addr());
    cmd.arg("--tls-cert").arg(&cert).arg("--tls-key").arg(&key);
    let run = run(cmd, None);
    run.assert_clean_failure();
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(
        lines[0].contains(&*key.to_string_lossy()),
        "{}",
        run.describe()
    );
}

/// Environment, arguments, and what the usage error must name.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);

#[test]
fn conflicting_tls_settings_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[Case] = &[
        (&[], &["--tls-cert", "c.pem"], "--tls-key"),
        (&[], &["--tls-key", "k.pem"], "--tls-cert"),
        (
            &[("BANKBOX_TLS_SELF_SIGNED", "true")],
            &["--tls-cert", "c.pem", "--tls-key", "k.pem"],
            "--tls-self-signed",
        ),
        // false through the variable is off, not "given".
        (
            &[("BANKBOX_TLS_SELF_SIGNED", "false")],
            &["--redirect-http", "127.0.0.1:0"],
            "--redirect-http",
        ),
        (&[], &["--tls-hostname", "bank.example"], "--tls-hostname"),
    ];
    for (env, args, named) in cases {
        let mut cmd = bankbox();
        cmd.envs(env.iter().copied())
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .args(*args);
        let run = run(cmd, None);
        run.assert_clean_failure();
        assert_eq!(run.status.code(), Some(2), "{}", run.describe());
        assert!(run.stderr.starts_with("error: "), "{}", run.describe());
        assert!(run.stderr.contains(named), "{}", run.describe());
    }
}
