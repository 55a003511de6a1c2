//! The server under test: a child `bankbox serve` on a fresh data dir.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::client::{Call, Conn};

pub const ADMIN_PASSWORD: &str = "load-admin-password";

pub struct Server {
    child: Child,
    pub addr: String,
    /// Time from spawn to the first 200 from /ready.
    pub startup: Duration,
}

pub struct Config<'a> {
    pub bin: &'a Path,
    pub data_dir: &'a Path,
    pub database_url: Option<&'a str>,
    pub redis_url: Option<&'a str>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    pub async fn start(cfg: &Config<'_>) -> anyhow::Result<Server> {
        let addr = format!("127.0.0.1:{}", free_port()?);
        let mut cmd = Command::new(cfg.bin);
        cmd.args(["serve", "--listen", &addr, "--data-dir"])
            .arg(cfg.data_dir)
            .env("ENVIRONMENT", "production")
            .env("BANKBOX_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("BANKBOX_OPEN_REGISTRATION", "true")
            .env("LOG_LEVEL", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some(u) = cfg.database_url {
            cmd.env("DATABASE_URL", u);
        }
        if let Some(u) = cfg.redis_url {
            cmd.env("REDIS_URL", u);
        }
        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", cfg.bin.display()))?;
        let mut server = Server {
            child,
            addr,
            startup: Duration::ZERO,
        };
        let mut conn = Conn::new(&server.addr);
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = server.child.try_wait()? {
                bail!("bankbox exited during start-up: {status}");
            }
            if conn.send(&Call::get("/ready")).await.map(|a| a.status).ok() == Some(200) {
                server.startup = started.elapsed();
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        bail!("bankbox did not become ready within 60 s")
    }

    /// (current RSS, peak RSS) in KiB, from /proc.
    pub fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("could not signal bankbox");
        }
        let exit = self.child.wait()?;
        if !exit.success() {
            bail!("bankbox exited with {exit} after SIGTERM");
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
