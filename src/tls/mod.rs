//! HTTPS: the server's certificate and key, its rustls configuration, the
//! listener that does the handshakes, the plain-HTTP redirect, and the client
//! side `healthcheck` uses.

pub mod cert;
pub mod client;
pub mod listener;
pub mod redirect;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use listener::TlsListener;

#[derive(Debug, Error)]
pub enum TlsError {
    #[error("TLS {what} {path}: cannot read it: {reason}")]
    Read {
        what: &'static str,
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("TLS {what} {path}: {reason}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("TLS certificate {cert} and key {key} do not go together: {reason}")]
    Rejected {
        cert: PathBuf,
        key: PathBuf,
        reason: rustls::Error,
    },
    #[error("TLS host name {name:?}: {reason}")]
    Hostname { name: String, reason: String },
    #[error("cannot make a certificate: {0}")]
    Generate(rcgen::Error),
    #[error("{path}: cannot write it: {reason}")]
    Write {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{0} exists already; pass --force to replace it")]
    Exists(PathBuf),
}

/// What the server needs to speak TLS, and what to tell its operator.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// Of the leaf certificate, to compare with what a browser shows.
    pub fingerprint: String,
}

/// A certificate chain (leaf first) with the private key of its leaf.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Reads PEM files; the key may be PKCS#8, PKCS#1 or SEC1.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let chain = read_certs(cert)?;
        let bytes = read("key", key)?;
        let key_der = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::Pem {
            what: "key",
            path: key.to_path_buf(),
            reason: match e {
                rustls::pki_types::pem::Error::NoItemsFound => {
                    "no PEM private key in it (PKCS#8, PKCS#1 or SEC1)".into()
                }
                e => format!("not a valid PEM file: {e}"),
            },
        })?;
        Ok(Self {
            chain,
            key: key_der,
        })
    }

    /// The server side: TLS 1.3 and 1.2 with the ring provider, HTTP/1.1 only
    /// (the server speaks nothing else). Fails if the key is not the leaf's;
    /// `cert` and `key` name the files in that error.
    pub fn into_server(self, cert: &Path, key: &Path) -> Result<ServerTls, TlsError> {
        let rejected = |reason| TlsError::Rejected {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            reason,
        };
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .map_err(rejected)?
                .with_no_client_auth();
        let fingerprint = fingerprint(&self.chain[0]);
        let mut config = config
            .with_single_cert(self.chain, self.key)
            .map_err(rejected)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
            fingerprint,
        })
    }
}

/// Colon-separated upper-case hex of the SHA-256 of a certificate's DER.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(cert.as_ref());
    let hex = hex::encode_upper(digest);
    let pairs: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    pairs.join(":")
}

/// Every certificate in a PEM file, in order; at least one.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read("certificate", path)?;
    let invalid = |reason: String| TlsError::Pem {
        what: "certificate",
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not a valid PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(invalid("no PEM certificate in it".into()));
    }
    Ok(certs)
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|reason| TlsError::Read {
        what,
        path: path.to_path_buf(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn fingerprint_is_colon_separated_sha256() {
        let der = CertificateDer::from(b"abc".to_vec());
        // sha256("abc") = ba7816bf...
        let fp = fingerprint(&der);
        assert!(fp.starts_with("BA:78:16:BF:"), "{fp}");
        assert_eq!(fp.len(), 32 * 3 - 1);
    }

    #[test]
    fn loads_a_generated_pair_and_builds_a_server_config() {
        let dir = tempfile::tempdir().unwrap();
        let pair = cert::generate(&["localhost".into()], 30).unwrap();
        let c = write(dir.path(), "c.pem", &pair.cert_pem);
        let k = write(dir.path(), "k.pem", &pair.key_pem);
        let identity = Identity::load(&c, &k).unwrap();
        assert!(matches!(identity.key, PrivateKeyDer::Pkcs8(_)));
        let server = identity.into_server(&c, &k).unwrap();
        assert_eq!(server.fingerprint, pair.fingerprint);
        assert_eq!(server.config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn accepts_a_sec1_key() {
        let dir = tempfile::tempdir().unwrap();
        let pair = cert::generate(&["localhost".into()], 30).unwrap();
        // PKCS#8 wraps the SEC1 ECPrivateKey as its third element's octets.
        let pkcs8 = PrivateKeyDer::from_pem_slice(pair.key_pem.as_bytes()).unwrap();
        let (_, info) = x509_parser::der_parser::parse_der(pkcs8.secret_der()).unwrap();
        let sec1 = info.as_sequence().unwrap()[2].as_slice().unwrap().to_vec();
        let sec1 = PrivateKeyDer::Sec1(sec1.into());
        let pem = pem_of("EC PRIVATE KEY", sec1.secret_der());
        let c = write(dir.path(), "c.pem", &pair.cert_pem);
        let k = write(dir.path(), "k.pem", &pem);
        let identity = Identity::load(&c, &k).unwrap();
        assert!(matches!(identity.key, PrivateKeyDer::Sec1(_)));
        identity.into_server(&c, &k).unwrap();
    }

    fn pem_of(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
    }

    #[test]
    fn bad_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let pair = cert::generate(&["localhost".into()], 30).unwrap();
        let other = cert::generate(&["localhost".into()], 30).unwrap();
        let c = write(dir.path(), "c.pem", &pair.cert_pem);
        let garbage = write(dir.path(), "garbage.pem", "not a key\n");
        let err = Identity::load(&c, &garbage).err().unwrap().to_string();
        assert!(
            err.contains("garbage.pem") && err.contains("no PEM private key"),
            "{err}"
        );
        let err = Identity::load(&garbage, &c).err().unwrap().to_string();
        assert!(
            err.contains("garbage.pem") && err.contains("no PEM certificate"),
            "{err}"
        );
        let missing = dir.path().join("missing.pem");
        let err = Identity::load(&missing, &c).err().unwrap().to_string();
        assert!(
            err.contains("missing.pem") && err.contains("cannot read"),
            "{err}"
        );
        // A key that is not the certificate's.
        let k = write(dir.path(), "other.pem", &other.key_pem);
        let identity = Identity::load(&c, &k).unwrap();
        let err = identity.into_server(&c, &k).err().unwrap().to_string();
        assert!(err.contains("do not go together"), "{err}");
    }
}
