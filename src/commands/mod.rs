//! What each subcommand does. All read the same configuration as the server.

mod healthcheck;
mod user;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::app;
use crate::cli::{Cli, Command, GlobalArgs, ServeArgs};
use crate::config::{self, ServeSettings};
use crate::store::Store;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(&cli.global, &args).await,
        Command::User(cmd) => user::run(&cli.global, cmd).await,
        Command::Verify => verify(&cli.global).await,
        Command::Healthcheck(args) => healthcheck::run(&args).await,
    }
}

pub fn open_store(global: &GlobalArgs) -> anyhow::Result<Arc<dyn Store>> {
    let config = config::store_config(global)?;
    Ok(app::open_store(&config)?)
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal()?;
    let settings = ServeSettings::resolve(global, args)?;
    let cache_config = config::cache_config(global, settings.cache_bytes)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let store = open_store(global)?;
    let cache = app::open_cache(&cache_config, settings.session_idle);
    let environment = settings.environment;
    let state = app::build(store, cache, settings)
        .await
        .context("start-up failed")?;
    tracing::info!(
        address = %listener.local_addr()?,
        environment = ?environment,
        data_dir = %global.data_dir.display(),
        "bankbox is ready on http://{}",
        listener.local_addr()?
    );
    app::serve(listener, state, shutdown).await?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
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

async fn verify(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(global)?;
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
