//! Application state, start-up (adapters, secrets, first-start seeding) and the
//! one `serve` entry both `main` and the tests use.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::serve::Listener;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::api::error::problem;
use crate::auth::{Auth, Hasher, Tokens};
use crate::bank::{Bank, BankError, seed};
use crate::cache::moka::MokaCache;
use crate::cache::redis::RedisCache;
use crate::cache::{Cache, CacheError};
use crate::cli::Environment;
use crate::config::{CacheConfig, ServeSettings, StoreConfig};
use crate::domain::Role;
use crate::store::postgres::PgStore;
use crate::store::redb::RedbStore;
use crate::store::{Store, StoreError};

/// Idempotency keys are kept at least this long (Stripe keeps them 24 h).
const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(25 * 3600);

#[derive(Clone)]
pub struct AppState {
    pub bank: Arc<Bank>,
    pub auth: Arc<Auth>,
    pub settings: Arc<ServeSettings>,
    pub lifecycle: Arc<Lifecycle>,
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// Whether the server should receive traffic: not before start-up completes,
/// not once draining has begun.
#[derive(Default)]
pub struct Lifecycle {
    ready: AtomicBool,
}

impl Lifecycle {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

/// Opens the configured store; for PostgreSQL this connects and migrates.
pub async fn open_store(config: &StoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    match config {
        StoreConfig::Embedded { dir, options } => Ok(Arc::new(RedbStore::open(dir, options)?)),
        StoreConfig::Postgres { url, pool_size } => {
            let store = PgStore::new(url, *pool_size)?;
            store.migrate().await?;
            Ok(Arc::new(store))
        }
    }
}

pub fn open_cache(
    config: &CacheConfig,
    session_idle: Duration,
) -> Result<Arc<dyn Cache>, CacheError> {
    Ok(match config {
        CacheConfig::Embedded { max_bytes } => Arc::new(MokaCache::new(session_idle, *max_bytes)),
        CacheConfig::Redis { url, prefix } => Arc::new(RedisCache::new(url, prefix, session_idle)?),
    })
}

/// Assembles the state over opened adapters and seeds an empty bank.
pub async fn build(
    store: Arc<dyn Store>,
    cache: Arc<dyn Cache>,
    settings: ServeSettings,
) -> Result<AppState, BankError> {
    let hasher = Arc::new(Hasher::new(settings.hash_threads));
    let secret = match &settings.jwt_secret {
        Some(s) => s.as_bytes().to_vec(),
        None => {
            store
                .secret_or_init("jwt_secret", rand::random::<[u8; 32]>().to_vec())
                .await?
        }
    };
    let bank = Arc::new(Bank::new(store.clone(), cache.clone(), hasher.clone()));
    let auth = Arc::new(Auth {
        store,
        cache,
        tokens: Tokens::new(&secret),
        hasher: hasher.clone(),
        session_max: settings.session_max,
    });
    first_start(&bank, &settings).await?;
    Ok(AppState {
        bank,
        auth,
        settings: Arc::new(settings),
        lifecycle: Arc::default(),
    })
}

/// Development seeds an empty bank with demo users; production makes sure an
/// admin exists, even if users were created with the CLI before the first start.
async fn first_start(bank: &Bank, settings: &ServeSettings) -> Result<(), BankError> {
    let users = bank.store.users().await?;
    match settings.environment {
        Environment::Development if !users.is_empty() => {}
        Environment::Production if users.iter().any(|u| u.role == Role::Admin) => {
            if settings.admin_password.is_some() {
                tracing::info!("an admin exists already; BANKBOX_ADMIN_PASSWORD is not used");
            }
        }
        Environment::Development => {
            seed::demo(bank, settings.default_currency).await?;
            let logins: Vec<String> = seed::DEMO_LOGINS
                .iter()
                .map(|(u, p)| format!("{u} / {p}"))
                .collect();
            tracing::info!(
                logins = logins.join(", "),
                "development mode: seeded demo users; log in with"
            );
        }
        Environment::Production => {
            let password = settings.admin_password.as_deref();
            match seed::admin(bank, password, settings.default_currency).await? {
                Some(generated) => tracing::warn!(
                    username = "admin",
                    password = generated,
                    "created the admin user with a generated password; it is shown only this once"
                ),
                None => tracing::info!(username = "admin", "created the admin user"),
            }
        }
    }
    Ok(())
}

/// Serves a ready state until `shutdown` resolves (what tests use).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let drain = state.settings.shutdown_timeout;
    serve_starting(listener, async { Ok(state) }, drain, shutdown).await
}

/// What the dispatcher routes to once start-up is done.
struct Started {
    lifecycle: Arc<Lifecycle>,
    router: Router,
}

/// Serves at once, on plain TCP or TLS: probes answer while `startup` (opening
/// the store, perhaps waiting for a database) runs, /ready is 503 until it
/// yields the state, then the app takes over. After `shutdown`, /ready turns 503, the listener stops
/// accepting, and in-flight requests get `drain` to finish.
pub async fn serve_starting<L>(
    listener: L,
    startup: impl Future<Output = anyhow::Result<AppState>> + Send,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    let slot: Arc<OnceLock<Started>> = Arc::default();
    let draining = Arc::new(Notify::new());
    let signal = {
        let (slot, draining) = (slot.clone(), draining.clone());
        async move {
            shutdown.await;
            if let Some(started) = slot.get() {
                started.lifecycle.set_ready(false);
            }
            tracing::info!("shutting down: draining in-flight requests");
            draining.notify_one();
        }
    };
    let server = axum::serve(listener, dispatcher(slot.clone())).with_graceful_shutdown(signal);
    let mut server = std::pin::pin!(server.into_future());
    let state = tokio::select! {
        stopped = &mut server => return Ok(stopped?),
        state = startup => state?,
    };
    let purge = tokio::spawn(purge_idempotency(state.bank.store.clone()));
    let lifecycle = state.lifecycle.clone();
    let _ = slot.set(Started {
        lifecycle: lifecycle.clone(),
        router: crate::api::router(state),
    });
    lifecycle.set_ready(true);
    let result = tokio::select! {
        stopped = &mut server => stopped.map_err(Into::into),
        () = async { draining.notified().await; tokio::time::sleep(drain).await } => {
            tracing::warn!("drain timeout reached; closing the remaining connections");
            Ok(())
        }
    };
    // Wait for the task to be gone, so its handle on the store is released
    // before the caller closes it.
    purge.abort();
    let _ = purge.await;
    result
}

/// Hands requests to the app once it exists; until then only liveness answers.
fn dispatcher(slot: Arc<OnceLock<Started>>) -> Router {
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let slot = slot.clone();
        async move {
            let res = match slot.get() {
                Some(started) => match started.router.clone().oneshot(req).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                },
                None if matches!(req.uri().path(), "/ping" | "/livez") => {
                    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
                }
                None => problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "starting",
                    "bankbox is starting: waiting for its store",
                ),
            };
            Ok::<_, Infallible>(res)
        }
    }))
}

async fn purge_idempotency(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = crate::clock::now_millis() - IDEMPOTENCY_RETENTION.as_millis() as i64;
        match store.purge_idempotency(before).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "forgot expired idempotency keys"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
    }
}
