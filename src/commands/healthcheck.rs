//! `bankbox healthcheck`: the container image has no curl, so the binary probes
//! itself, over HTTPS when the server's TLS settings say it serves HTTPS.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use http_body_util::Empty;
use hyper::StatusCode;
use hyper::header::HOST;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::cli::HealthcheckArgs;
use crate::tls::cert::SelfSigned;
use crate::tls::client::Trust;

pub async fn run(data_dir: &Path, args: &HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let server_cert = server_cert(data_dir, args);
    let url = args.url.clone().unwrap_or_else(|| {
        let scheme = if server_cert.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}/ready", args.listen.port())
    });
    let uri: hyper::Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
    let trust = match uri.scheme_str() {
        Some("http") => None,
        Some("https") => Some(trust(&uri, args.ca.as_deref(), server_cert.as_deref())?),
        _ => bail!("{url}: only http:// and https:// URLs are supported"),
    };
    let timeout = Duration::from_secs(args.timeout);
    match tokio::time::timeout(timeout, get(&uri, trust)).await {
        Ok(Ok(status)) if status.is_success() => {
            println!("{url}: {status}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Ok(status)) => {
            eprintln!("{url}: {status}");
            Ok(ExitCode::FAILURE)
        }
        Ok(Err(e)) => bail!("{url}: {e:#}"),
        Err(_) => bail!("{url}: no answer within {} s", args.timeout),
    }
}

/// The certificate the local server serves, when its settings say HTTPS.
fn server_cert(data_dir: &Path, args: &HealthcheckArgs) -> Option<PathBuf> {
    match (&args.tls_cert, args.tls_self_signed) {
        (Some(cert), _) => Some(cert.clone()),
        (None, true) => Some(SelfSigned::in_data_dir(data_dir).cert),
        (None, false) => None,
    }
}

/// --ca if given; else the server's own certificate, for any name when the
/// URL is the local server; else the public authorities.
fn trust(uri: &hyper::Uri, ca: Option<&Path>, server_cert: Option<&Path>) -> anyhow::Result<Trust> {
    Ok(match (ca, server_cert) {
        (Some(ca), _) => Trust::Only(crate::tls::read_certs(ca)?),
        (None, Some(cert)) if is_loopback(host(uri)) => {
            Trust::OwnServer(crate::tls::read_certs(cert)?)
        }
        (None, Some(cert)) => Trust::Only(crate::tls::read_certs(cert)?),
        (None, None) => Trust::Public,
    })
}

fn host(uri: &hyper::Uri) -> &str {
    let host = uri.host().unwrap_or_default();
    host.trim_start_matches('[').trim_end_matches(']')
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One GET on a fresh connection; TLS when `trust` is given.
async fn get(uri: &hyper::Uri, trust: Option<Trust>) -> anyhow::Result<StatusCode> {
    let host = host(uri);
    let port = uri.port_u16().unwrap_or(match trust {
        Some(_) => 443,
        None => 80,
    });
    let tcp = TcpStream::connect((host, port)).await?;
    match trust {
        None => request(tcp, uri).await,
        Some(trust) => {
            let config = Arc::new(crate::tls::client::config(trust)?);
            let name = ServerName::try_from(host.to_string())?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await?;
            request(tls, uri).await
        }
    }
}

async fn request<S>(stream: S, uri: &hyper::Uri) -> anyhow::Result<StatusCode>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or("", |a| a.as_str());
    let req = hyper::Request::get(path)
        .header(HOST, authority)
        .body(Empty::<bytes::Bytes>::new())?;
    Ok(sender.send_request(req).await?.status())
}
