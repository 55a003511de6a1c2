//! The command line: every flag has an environment variable; the seeds' names
//! (DATABASE_URL, REDIS_URL, JWT_SECRET, LOG_LEVEL, ENVIRONMENT) work as they are.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "bankbox",
    version,
    about = "A bank in a box: accounts, transfers and history in one binary",
    long_about = "A bank in a box: accounts, double-entry transfers and history, with its \
                  web UI, database (redb) and cache (moka) inside one binary.\n\n\
                  Without a command, `bankbox` runs `serve`."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// `serve`'s options, so plain `bankbox --listen ...` works too.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Directory of the embedded database (created if missing).
    #[arg(
        long,
        env = "BANKBOX_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// External database URL (postgres://...). Unset: the embedded store in the data dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// File holding the database URL (as Kubernetes mounts secrets).
    #[arg(long, env = "DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<PathBuf>,
    /// External cache URL (redis:// or rediss://). Unset: the embedded cache.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,
    /// File holding the cache URL.
    #[arg(long, env = "REDIS_URL_FILE", global = true)]
    pub redis_url_file: Option<PathBuf>,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive list.
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,
    /// development seeds demo users and opens registration; production does not.
    /// Default: production inside Kubernetes (and in the container image), development elsewhere.
    #[arg(long, env = "ENVIRONMENT", global = true)]
    pub environment: Option<Environment>,
    /// Page cache of the embedded database, in MiB.
    #[arg(long, env = "BANKBOX_DB_CACHE_MB", default_value_t = 32, global = true)]
    pub db_cache_mb: usize,
    /// Connections to the external database, per process.
    #[arg(
        long,
        env = "BANKBOX_DATABASE_POOL_SIZE",
        default_value_t = 16,
        global = true
    )]
    pub database_pool_size: usize,
    /// Prefix of every key bankbox writes to the external cache.
    #[arg(
        long,
        env = "BANKBOX_REDIS_PREFIX",
        default_value = "bankbox:",
        global = true
    )]
    pub redis_prefix: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app and the JSON API (the default).
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Recompute every balance from the journal and check the ledger's invariants.
    /// Exits non-zero, naming each problem, if anything is wrong.
    Verify,
    /// Exit 0 when the server's /ready answers 200 (for container health checks).
    Healthcheck(HealthcheckArgs),
    /// Apply the embedded database migrations and exit (the server also applies
    /// them at start).
    Migrate,
    /// Write the whole bank (users, accounts, journal; not sessions) as
    /// versioned JSON lines.
    Export {
        /// File to write, or - for standard output.
        #[arg(long, short)]
        output: std::path::PathBuf,
    },
    /// Load an export into an empty store of either kind, then verify it.
    Import {
        /// File to read, or - for standard input.
        #[arg(long, short)]
        input: std::path::PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "BANKBOX_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Secret that signs session tokens. Unset: generated once and kept in the store.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// File holding the JWT secret.
    #[arg(long, env = "JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Let anyone register. Default: open in development, closed in production.
    #[arg(long, env = "BANKBOX_OPEN_REGISTRATION")]
    pub open_registration: Option<bool>,
    /// Password of the `admin` user created on the first production start.
    /// Unset: one is generated and printed once to the log.
    #[arg(long, env = "BANKBOX_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// File holding the admin password.
    #[arg(long, env = "BANKBOX_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "BANKBOX_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Hours after login at which a session ends, however active.
    #[arg(long, env = "BANKBOX_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u64,
    /// Memory for cached API responses, in MiB.
    #[arg(long, env = "BANKBOX_CACHE_MB", default_value_t = 32)]
    pub cache_mb: u64,
    /// Currency of the checking account every new user gets.
    #[arg(long, env = "BANKBOX_DEFAULT_CURRENCY", default_value = "EUR")]
    pub default_currency: String,
    /// Password hashes computed at once (each takes ~19 MiB and tens of ms).
    #[arg(long, env = "BANKBOX_HASH_THREADS", default_value_t = 2)]
    pub hash_threads: usize,
    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(long, env = "BANKBOX_SHUTDOWN_TIMEOUT", default_value_t = 20)]
    pub shutdown_timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user with a checking account. The password is read from
    /// BANKBOX_USER_PASSWORD or, if unset, from the first line of standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Give the user the admin role.
        #[arg(long)]
        admin: bool,
        /// Currency of the checking account.
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
    /// List users.
    List,
    /// Set a user's password (from BANKBOX_USER_PASSWORD or standard input).
    SetPassword { username: String },
    /// Disable a user: their sessions end and they can no longer log in.
    Disable {
        username: String,
        /// Enable the user again instead.
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// URL to probe. Default: /ready on the local port of --listen.
    pub url: Option<String>,
    /// The server's listen address, to derive the default URL.
    #[arg(long, env = "BANKBOX_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}
