//! The command line: every flag has an environment variable; the seeds' names
//! (DATABASE_URL, REDIS_URL, JWT_SECRET, LOG_LEVEL, ENVIRONMENT) work as they are.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

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

impl Cli {
    /// Parses the command line and checks what clap cannot; exits with a
    /// usage error (status 2) like clap's own.
    pub fn parse_checked() -> Self {
        let cli = Self::parse();
        let serve = match &cli.command {
            None => &cli.serve,
            Some(Command::Serve(args)) => args,
            Some(_) => return cli,
        };
        if let Err(msg) = serve.check_tls() {
            Self::command()
                .error(ErrorKind::ArgumentConflict, msg)
                .exit();
        }
        cli
    }
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
    /// How often the embedded database makes its state durable by itself, in
    /// milliseconds. Between checkpoints each write is made durable by the redo
    /// log; a restart after a crash replays at most this much of it.
    #[arg(
        long,
        env = "BANKBOX_DB_CHECKPOINT_MS",
        default_value_t = 1000,
        global = true
    )]
    pub db_checkpoint_ms: u64,
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
    /// Write a self-signed certificate and its key for --tls-cert and --tls-key,
    /// and print its SHA-256 fingerprint.
    GenCert(GenCertArgs),
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
    /// Serve HTTPS with this PEM certificate chain (leaf first). Needs --tls-key.
    #[arg(
        long,
        env = "BANKBOX_TLS_CERT",
        requires = "tls_key",
        help_heading = "HTTPS"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    #[arg(
        long,
        env = "BANKBOX_TLS_KEY",
        requires = "tls_cert",
        help_heading = "HTTPS"
    )]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate kept in <data-dir>/tls/: made
    /// on the first start, made anew when the host names change or it expires
    /// within 30 days. Its SHA-256 fingerprint is logged.
    #[arg(long, env = "BANKBOX_TLS_SELF_SIGNED", help_heading = "HTTPS")]
    pub tls_self_signed: bool,
    /// Host name or IP address the self-signed certificate is for; repeat the
    /// flag, or separate with commas. Default: localhost, 127.0.0.1, ::1 and
    /// this machine's host name.
    #[arg(
        long = "tls-hostname",
        env = "BANKBOX_TLS_HOSTNAMES",
        value_delimiter = ',',
        help_heading = "HTTPS"
    )]
    pub tls_hostnames: Vec<String>,
    /// Also listen for plain HTTP on this address (e.g. 0.0.0.0:8081), only to
    /// redirect every request to HTTPS (308). Needs HTTPS on.
    #[arg(long, env = "BANKBOX_REDIRECT_HTTP", help_heading = "HTTPS")]
    pub redirect_http: Option<SocketAddr>,
}

impl ServeArgs {
    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some() || self.tls_self_signed
    }

    /// The combinations clap's own `conflicts_with` and `requires` would get
    /// wrong: for them BANKBOX_TLS_SELF_SIGNED=false counts as given.
    fn check_tls(&self) -> Result<(), &'static str> {
        if self.tls_self_signed && self.tls_cert.is_some() {
            return Err(
                "--tls-self-signed (BANKBOX_TLS_SELF_SIGNED) cannot be used with \
                        --tls-cert (BANKBOX_TLS_CERT): choose one",
            );
        }
        if !self.tls_self_signed && !self.tls_hostnames.is_empty() {
            return Err("--tls-hostname (BANKBOX_TLS_HOSTNAMES) is only for --tls-self-signed");
        }
        if self.redirect_http.is_some() && !self.tls_enabled() {
            return Err("--redirect-http (BANKBOX_REDIRECT_HTTP) needs HTTPS: \
                        --tls-cert with --tls-key, or --tls-self-signed");
        }
        Ok(())
    }
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
    /// PEM certificates to trust for an https:// URL, instead of the server's
    /// own certificate or the public certificate authorities.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The server's certificate, as for `serve`: the default URL becomes
    /// https:// and this certificate is trusted for 127.0.0.1 and localhost.
    #[arg(long, env = "BANKBOX_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The server uses its self-signed certificate, as for `serve`: the default
    /// URL becomes https:// and <data-dir>/tls/cert.pem is trusted.
    #[arg(long, env = "BANKBOX_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
}

#[derive(Args, Debug)]
pub struct GenCertArgs {
    /// Certificate file to write (PEM).
    #[arg(long, env = "BANKBOX_TLS_CERT", value_name = "FILE")]
    pub cert: PathBuf,
    /// Private key file to write (PEM, PKCS#8, readable by its owner only).
    #[arg(long, env = "BANKBOX_TLS_KEY", value_name = "FILE")]
    pub key: PathBuf,
    /// Host name or IP address the certificate is for; repeat the flag, or
    /// separate with commas. Default: localhost, 127.0.0.1, ::1 and this
    /// machine's host name.
    #[arg(
        long = "hostname",
        env = "BANKBOX_TLS_HOSTNAMES",
        value_delimiter = ','
    )]
    pub hostnames: Vec<String>,
    /// Days the certificate is valid.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Replace the files if they exist.
    #[arg(long)]
    pub force: bool,
}
