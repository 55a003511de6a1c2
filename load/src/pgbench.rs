//! The external-mode yardstick: PostgreSQL's own pgbench, simple-update script
//! (`-N`), prepared statements, over TCP, same server and client count.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// pgbench on PATH, or in Debian's versioned PostgreSQL directory.
fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pgbench"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin/pgbench")))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

fn pgbench(bin: &PathBuf, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "pgbench {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Transactions per second of `pgbench -M prepared -N`, on scratch tables it
/// creates in `url`'s database and drops afterwards.
pub fn tps(url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let bin = binary().context("pgbench not found (Debian: apt-get install postgresql-client)")?;
    // Scale 10: 1,000,000 accounts rows; ten branches keep -N's contention low.
    pgbench(&bin, &["-i", "-q", "-s", "10", url])?;
    let clients = clients.to_string();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = threads.min(clients.parse().unwrap_or(1)).to_string();
    let seconds = seconds.to_string();
    let run = pgbench(
        &bin,
        &[
            "-M", "prepared", "-N", "-c", &clients, "-j", &threads, "-T", &seconds, url,
        ],
    );
    let _ = pgbench(&bin, &["-i", "-I", "d", url]);
    let report = run?;
    report
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no tps line in pgbench's report:\n{report}"))
}
