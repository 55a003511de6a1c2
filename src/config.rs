//! Settings resolved from flags, environment and `*_FILE` secrets, and the
//! choice of storage adapters they imply. Anything unclear is an error with one
//! clear line; nothing is guessed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::cli::{Environment, GlobalArgs, ServeArgs};
use crate::domain::Currency;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{name}: cannot read {path}: {reason}")]
    SecretFile {
        name: &'static str,
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{name} is set both directly and through a file; set only one")]
    Ambiguous { name: &'static str },
    #[error("DATABASE_URL {0}: expected postgres://user:password@host:port/database")]
    DatabaseUrl(String),
    #[error("REDIS_URL {0}: expected redis://host:port or rediss://host:port")]
    RedisUrl(String),
    #[error("data dir {path}: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub enum StoreConfig {
    Embedded {
        dir: PathBuf,
        options: crate::store::redb::RedbOptions,
    },
    Postgres {
        url: String,
        pool_size: usize,
    },
}

#[derive(Debug, Clone)]
pub enum CacheConfig {
    Embedded { max_bytes: u64 },
    Redis { url: String, prefix: String },
}

impl StoreConfig {
    /// What the log may show: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded { dir, .. } => format!("embedded redb in {}", dir.display()),
            Self::Postgres { url, .. } => format!("PostgreSQL at {}", redact(url)),
        }
    }
}

impl CacheConfig {
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded { .. } => "embedded moka (this process only)".into(),
            Self::Redis { url, .. } => format!("Redis at {}", redact(url)),
        }
    }
}

/// Hides the password in a URL for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn secret(
    name: &'static str,
    direct: Option<&String>,
    file: Option<&PathBuf>,
) -> Result<Option<String>, ConfigError> {
    match (direct, file) {
        (Some(_), Some(_)) => Err(ConfigError::Ambiguous { name }),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
            .map_err(|reason| ConfigError::SecretFile {
                name,
                path: path.clone(),
                reason,
            }),
        (None, None) => Ok(None),
    }
}

/// The environment to run as: explicit, else production inside Kubernetes and
/// development elsewhere. The container image sets ENVIRONMENT=production
/// itself; a `/.dockerenv` check would misfire in development containers.
pub fn environment(global: &GlobalArgs) -> Environment {
    global.environment.unwrap_or_else(|| {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            Environment::Production
        } else {
            Environment::Development
        }
    })
}

pub fn store_config(global: &GlobalArgs) -> Result<StoreConfig, ConfigError> {
    let url = secret(
        "DATABASE_URL",
        global.database_url.as_ref(),
        global.database_url_file.as_ref(),
    )?;
    match url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(StoreConfig::Embedded {
            dir: prepare_data_dir(&global.data_dir)?,
            options: crate::store::redb::RedbOptions {
                cache_bytes: global.db_cache_mb.max(1) * 1024 * 1024,
                checkpoint_every: Duration::from_millis(global.db_checkpoint_ms.max(1)),
            },
        }),
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            u.parse::<tokio_postgres::Config>()
                .map_err(|e| ConfigError::DatabaseUrl(format!("{}: {e}", redact(u))))?;
            Ok(StoreConfig::Postgres {
                url: u.to_string(),
                pool_size: global.database_pool_size.max(1),
            })
        }
        Some(u) => Err(ConfigError::DatabaseUrl(redact(u))),
    }
}

pub fn cache_config(global: &GlobalArgs, max_bytes: u64) -> Result<CacheConfig, ConfigError> {
    let url = secret(
        "REDIS_URL",
        global.redis_url.as_ref(),
        global.redis_url_file.as_ref(),
    )?;
    match url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(CacheConfig::Embedded { max_bytes }),
        Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {
            redis::Client::open(u)
                .map_err(|e| ConfigError::RedisUrl(format!("{}: {e}", redact(u))))?;
            Ok(CacheConfig::Redis {
                url: u.to_string(),
                prefix: global.redis_prefix.clone(),
            })
        }
        Some(u) => Err(ConfigError::RedisUrl(redact(u))),
    }
}

/// Creates the data dir if missing and proves it is writable now, not at the
/// first transfer.
fn prepare_data_dir(dir: &Path) -> Result<PathBuf, ConfigError> {
    let fail = |reason: String| ConfigError::DataDir {
        path: dir.to_path_buf(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it: {e}")))?;
    let probe = dir.join(".bankbox-write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(dir.to_path_buf())
}

/// Everything `serve` needs beyond the storage choice.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub environment: Environment,
    pub jwt_secret: Option<String>,
    pub open_registration: bool,
    pub admin_password: Option<String>,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub default_currency: Currency,
    pub hash_threads: usize,
    pub shutdown_timeout: Duration,
    pub cache_bytes: u64,
    /// Mark cookies `Secure`: on when serving HTTPS.
    pub secure_cookies: bool,
}

impl ServeSettings {
    pub fn resolve(global: &GlobalArgs, args: &ServeArgs) -> Result<Self, ConfigError> {
        let environment = environment(global);
        let jwt_secret = secret(
            "JWT_SECRET",
            args.jwt_secret.as_ref(),
            args.jwt_secret_file.as_ref(),
        )?;
        if jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(ConfigError::Invalid(
                "JWT_SECRET must be at least 32 characters".into(),
            ));
        }
        let admin_password = secret(
            "BANKBOX_ADMIN_PASSWORD",
            args.admin_password.as_ref(),
            args.admin_password_file.as_ref(),
        )?;
        if let Some(p) = &admin_password {
            crate::domain::Password::parse(p)
                .map_err(|e| ConfigError::Invalid(format!("BANKBOX_ADMIN_PASSWORD: {e}")))?;
        }
        if args.session_idle_minutes == 0 || args.session_max_hours == 0 {
            return Err(ConfigError::Invalid(
                "session lifetimes must be at least 1".into(),
            ));
        }
        Ok(Self {
            environment,
            jwt_secret,
            open_registration: args
                .open_registration
                .unwrap_or(environment == Environment::Development),
            admin_password,
            session_idle: Duration::from_secs(args.session_idle_minutes * 60),
            session_max: Duration::from_secs(args.session_max_hours * 3600),
            default_currency: Currency::parse(&args.default_currency)
                .map_err(|e| ConfigError::Invalid(format!("BANKBOX_DEFAULT_CURRENCY: {e}")))?,
            hash_threads: args.hash_threads.max(1),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            cache_bytes: args.cache_mb.max(1) * 1024 * 1024,
            secure_cookies: args.tls_enabled(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://bank:s3cret@db:5432/bank"),
            "postgres://bank:***@db:5432/bank"
        );
        assert_eq!(redact("redis://cache:6379"), "redis://cache:6379");
    }

    #[test]
    fn secret_from_file_trims_newline() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s");
        std::fs::write(&f, "abc\n").unwrap();
        assert_eq!(secret("X", None, Some(&f)).unwrap().as_deref(), Some("abc"));
        assert!(matches!(
            secret("X", Some(&"a".into()), Some(&f)),
            Err(ConfigError::Ambiguous { .. })
        ));
        assert!(secret("X", None, Some(&dir.path().join("missing"))).is_err());
    }
}
