//! What each subcommand does. All read the same configuration as the server.

mod gen_cert;
mod healthcheck;
mod portable;
mod user;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::app;
use crate::cli::{Cli, Command, GlobalArgs, ServeArgs};
use crate::config::{self, CacheConfig, ServeSettings, StoreConfig};
use crate::store::Store;
use crate::tls::cert::{SelfSigned, hostnames};
use crate::tls::{Identity, ServerTls, TlsListener};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(&cli.global, &args).await,
        Command::User(cmd) => user::run(&cli.global, cmd).await,
        Command::Verify => verify(&cli.global).await,
        Command::Healthcheck(args) => healthcheck::run(&cli.global.data_dir, &args).await,
        Command::GenCert(args) => gen_cert::run(&args),
        Command::Migrate => migrate(&cli.global).await,
        Command::Export { output } => {
            portable::export(open_store(&cli.global).await?, &output).await
        }
        Command::Import { input } => portable::import(open_store(&cli.global).await?, &input).await,
    }
}

/// Opens the configured store for a one-off command: no waiting, no retries.
pub async fn open_store(global: &GlobalArgs) -> anyhow::Result<Arc<dyn Store>> {
    let config = config::store_config(global)?;
    Ok(app::open_store(&config).await?)
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal()?;
    let settings = ServeSettings::resolve(global, args)?;
    let tls = server_tls(global, args)?;
    let store_config = config::store_config(global)?;
    let cache_config = config::cache_config(global, settings.cache_bytes)?;
    if matches!(store_config, StoreConfig::Postgres { .. })
        && matches!(cache_config, CacheConfig::Embedded { .. })
    {
        tracing::warn!(
            "PostgreSQL without REDIS_URL: run exactly one bankbox process. A per-process cache \
             cannot end a session or invalidate a cached response on another replica."
        );
    }
    let cache = app::open_cache(&cache_config, settings.session_idle)?;
    let listener = bind(args.listen).await?;
    let redirect = match args.redirect_http {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    // The embedded store opens now: failing to open a local file is a
    // configuration error, not an outage to wait out.
    let embedded = match store_config {
        StoreConfig::Embedded { .. } => Some(app::open_store(&store_config).await?),
        StoreConfig::Postgres { .. } => None,
    };
    tracing::info!(
        environment = ?settings.environment,
        store = store_config.describe(),
        cache = cache_config.describe(),
        "listening on {}://{}",
        if tls.is_some() { "https" } else { "http" },
        listener.local_addr()?
    );
    let redirect = match redirect {
        Some(plain) => Some(redirect_http(plain, listener.local_addr()?.port())?),
        None => None,
    };
    let drain = settings.shutdown_timeout;
    let startup = async move {
        let state = match embedded {
            Some(store) => app::build(store, cache, settings)
                .await
                .context("start-up failed")?,
            None => start_external(&store_config, cache, settings).await?,
        };
        tracing::info!("bankbox is ready");
        Ok(state)
    };
    let served = match tls {
        Some(tls) => {
            let listener = TlsListener::new(listener, tls.config)?;
            app::serve_starting(listener, startup, drain, shutdown).await
        }
        None => app::serve_starting(listener, startup, drain, shutdown).await,
    };
    if let Some(redirect) = redirect {
        redirect.abort();
    }
    served?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Loads or makes the certificate before anything listens, so a bad file is a
/// configuration error at once.
fn server_tls(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<Option<ServerTls>> {
    let (tls, cert) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => (
            Identity::load(cert, key)?.into_server(cert, key)?,
            cert.clone(),
        ),
        _ if args.tls_self_signed => {
            let kept = SelfSigned::in_data_dir(&global.data_dir);
            (
                kept.load_or_make(&hostnames(&args.tls_hostnames)?)?,
                kept.cert,
            )
        }
        _ => return Ok(None),
    };
    tracing::info!(
        certificate = %cert.display(),
        fingerprint = tls.fingerprint,
        "serving HTTPS; the fingerprint is the certificate's SHA-256"
    );
    Ok(Some(tls))
}

/// Serves the plain-HTTP redirect until aborted; it holds no state worth a
/// graceful stop.
fn redirect_http(listener: TcpListener, https_port: u16) -> anyhow::Result<JoinHandle<()>> {
    tracing::info!("redirecting http://{} to HTTPS", listener.local_addr()?);
    let router = crate::tls::redirect::router(https_port);
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the HTTP redirect stopped");
        }
    }))
}

/// Waits for an external database with backoff (the seeds used an init
/// container for this); /ready stays 503 meanwhile. Only outages are retried.
async fn start_external(
    config: &StoreConfig,
    cache: Arc<dyn crate::cache::Cache>,
    settings: ServeSettings,
) -> anyhow::Result<app::AppState> {
    let mut delay = Duration::from_millis(250);
    loop {
        let attempt = async {
            let store = app::open_store(config).await?;
            app::build(store, cache.clone(), settings.clone()).await
        };
        match attempt.await {
            Ok(state) => return Ok(state),
            Err(e) if e.is_outage() => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "store not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(anyhow::Error::new(e).context("start-up failed")),
        }
    }
}

/// Registers the SIGTERM/SIGINT handlers now, so a signal during start-up is
/// not lost: the server then stops cleanly as soon as it is up.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

async fn migrate(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match config::store_config(global)? {
        StoreConfig::Postgres { url, pool_size } => {
            let applied = crate::store::postgres::PgStore::new(&url, pool_size)?
                .migrate()
                .await?;
            match applied.as_slice() {
                [] => println!("the database schema is up to date"),
                versions => println!("applied migrations {versions:?}"),
            }
        }
        // Opening the embedded store is its migration.
        embedded @ StoreConfig::Embedded { .. } => {
            app::open_store(&embedded).await?;
            println!("the embedded store is up to date");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    verify_report(open_store(global).await?.as_ref()).await
}

/// Prints the ledger audit; fails when it finds anything wrong.
pub async fn verify_report(store: &dyn Store) -> anyhow::Result<ExitCode> {
    let report = store.verify().await?;
    println!("accounts: {}", report.accounts);
    println!("journal entries: {}", report.entries);
    for (currency, sum) in &report.sums {
        println!("sum of {currency} balances: {sum}");
    }
    if report.is_ok() {
        println!("ledger OK");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            println!("PROBLEM: {p}");
        }
        println!("ledger has {} problem(s)", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}
