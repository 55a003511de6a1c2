//! The client side, for `healthcheck`: which certificates to trust, and when
//! the name in the certificate may differ from the one dialled.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

pub enum Trust {
    /// The public certificate authorities, for the name dialled.
    Public,
    /// Only these certificates, for the name dialled.
    Only(Vec<CertificateDer<'static>>),
    /// Only the local server's own certificates, whatever names they are for:
    /// a probe dials 127.0.0.1, which a certificate made for the server's
    /// public name does not cover, and the name adds nothing when the only
    /// certificate trusted is the server's own.
    OwnServer(Vec<CertificateDer<'static>>),
}

pub fn config(trust: Trust) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut config = match trust {
        Trust::Public => {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots)
        }
        Trust::Only(certs) => builder.with_root_certificates(roots(certs)?),
        Trust::OwnServer(certs) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyName::new(certs, provider)?)),
    }
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn roots(certs: Vec<CertificateDer<'static>>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert)?;
    }
    Ok(roots)
}

/// The usual checks (chain, validity, signatures) except the name.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl AnyName {
    fn new(
        certs: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> anyhow::Result<Self> {
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(certs)?), provider)
                .build()?;
        Ok(Self(verifier))
    }
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is checked last, after the chain: a name error means
        // everything else passed.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::pem::PemObject;

    use super::*;
    use crate::tls::Identity;
    use crate::tls::cert::{Generated, generate, write_pair};

    /// A handshake over an in-memory pipe with a server serving `served`,
    /// dialled as 127.0.0.1.
    async fn handshake(served: &Generated, trust: Trust) -> Result<(), std::io::Error> {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        write_pair(&c, &k, served).unwrap();
        let server = Identity::load(&c, &k).unwrap().into_server(&c, &k).unwrap();
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let acceptor = tokio_rustls::TlsAcceptor::from(server.config);
        let server_side = tokio::spawn(async move { acceptor.accept(server_io).await.map(drop) });
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config(trust).unwrap()));
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let connected = connector.connect(name, client_io).await.map(drop);
        let _ = server_side.await;
        connected
    }

    fn certs(generated: &Generated) -> Vec<CertificateDer<'static>> {
        vec![CertificateDer::from_pem_slice(generated.cert_pem.as_bytes()).unwrap()]
    }

    #[tokio::test]
    async fn the_own_server_certificate_is_trusted_whatever_its_names() {
        let served = generate(&["bank.example".into()], 30).unwrap();
        handshake(&served, Trust::OwnServer(certs(&served)))
            .await
            .unwrap();
        let err = handshake(&served, Trust::Only(certs(&served)))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not valid for name"), "{err}");
    }

    #[tokio::test]
    async fn other_certificates_are_refused() {
        let served = generate(&["bank.example".into()], 30).unwrap();
        let stranger = generate(&["bank.example".into()], 30).unwrap();
        // Same subject, other key: the signature does not verify.
        let err = handshake(&served, Trust::OwnServer(certs(&stranger)))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("invalid peer certificate"),
            "{err}"
        );
        let err = handshake(&served, Trust::Public).await.unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }
}
