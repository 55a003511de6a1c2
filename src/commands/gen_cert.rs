//! `bankbox gen-cert`: a self-signed certificate and key in files, for
//! `serve --tls-cert --tls-key` or to hand to clients that should trust it.

use std::process::ExitCode;

use anyhow::bail;

use crate::cli::GenCertArgs;
use crate::tls::TlsError;
use crate::tls::cert::{generate, hostnames, write_pair};

pub fn run(args: &GenCertArgs) -> anyhow::Result<ExitCode> {
    if args.cert == args.key {
        bail!("--cert and --key must be different files");
    }
    for path in [&args.cert, &args.key] {
        if !args.force && path.exists() {
            return Err(TlsError::Exists(path.clone()).into());
        }
    }
    let names = hostnames(&args.hostnames)?;
    let generated = generate(&names, args.days)?;
    write_pair(&args.cert, &args.key, &generated)?;
    println!(
        "wrote {} and {} for {}, valid {} days",
        args.cert.display(),
        args.key.display(),
        names.join(", "),
        args.days
    );
    println!("SHA-256 fingerprint: {}", generated.fingerprint);
    Ok(ExitCode::SUCCESS)
}
