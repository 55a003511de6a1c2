//! `bankbox healthcheck`: the container image has no curl, so the binary probes
//! itself.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::cli::HealthcheckArgs;

pub async fn run(args: &HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/ready", args.listen.port()));
    let uri: hyper::Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("{url}: only http:// URLs are supported");
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let answer = tokio::time::timeout(Duration::from_secs(args.timeout), client.get(uri)).await;
    match answer {
        Ok(Ok(res)) if res.status().is_success() => {
            println!("{url}: {}", res.status());
            Ok(ExitCode::SUCCESS)
        }
        Ok(Ok(res)) => {
            eprintln!("{url}: {}", res.status());
            Ok(ExitCode::FAILURE)
        }
        Ok(Err(e)) => bail!("{url}: {e}"),
        Err(_) => bail!("{url}: no answer within {} s", args.timeout),
    }
}
