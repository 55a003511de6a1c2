//! Group commit for postings. Postings made at the same time in this process
//! go to PostgreSQL together: one transaction and one commit for all of them
//! (`posting.rs`). A batch is formed whenever a lane is free, from everything
//! queued by then, so a lone posting waits for nobody and batches grow with
//! the load.

use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::pool_error;
use super::posting::{self, Failure, Request};
use crate::store::{Posted, StoreError};

/// Batches in flight at once. A batch holds its accounts' locks until it
/// commits and busy accounts overlap, so more lanes mostly queue on each
/// other's locks; two let one batch run while the other commits.
pub const LANES: usize = 2;
/// The most postings in one batch, which bounds how long one holds its locks.
const MAX_BATCH: usize = 64;
/// Postings waiting for a lane; posting waits when it is full.
const QUEUE: usize = 1024;

type Reply = oneshot::Sender<Result<Posted, StoreError>>;

pub struct Batcher {
    queue: mpsc::Sender<(Request, Reply)>,
}

impl Batcher {
    /// Starts the dispatcher on the current Tokio runtime. It stops when the
    /// batcher is dropped and the queue is empty.
    pub fn start(pool: Pool) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(dispatch(pool, waiting));
        Self { queue }
    }

    pub async fn post(&self, request: Request) -> Result<Posted, StoreError> {
        let stopped = || StoreError::Unavailable("the posting queue has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((request, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn dispatch(pool: Pool, mut waiting: mpsc::Receiver<(Request, Reply)>) {
    let lanes = Arc::new(Semaphore::new(LANES));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // A lane first, then the queue: while no lane is free, the next batch grows.
    while let Ok(lane) = lanes.clone().acquire_owned().await {
        if waiting.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (requests, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let pool = pool.clone();
        // Its own task, so a requester that goes away cannot cancel the others'.
        tokio::spawn(async move {
            let outcomes = post_all(&pool, &requests).await;
            drop(lane);
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // A requester that went away (a client hung up) still posted.
                let _ = reply.send(outcome);
            }
        });
    }
}

/// One outcome per request, in order.
async fn post_all(pool: &Pool, requests: &[Request]) -> Vec<Result<Posted, StoreError>> {
    let every = |e: StoreError| requests.iter().map(|_| Err(e.clone())).collect();
    let mut client = match Connection::get(pool).await {
        Ok(client) => client,
        Err(e) => return every(e),
    };
    let mut result = posting::post_batch(&client, requests).await;
    if let Err(Failure::Disconnected(_)) = result {
        // A pooled connection the database dropped (it restarted): nothing
        // was committed, so once more on a fresh one.
        client = match Connection::get(pool).await {
            Ok(client) => client,
            Err(e) => return every(e),
        };
        result = posting::post_batch(&client, requests).await;
    }
    match result {
        Ok(outcomes) => outcomes,
        // The server rolled the whole batch back for one posting's sake: a
        // lost race for a key's first use, a write a constraint refused, a
        // deadlock. Posted one by one, each gets its own outcome.
        Err(refused @ (Failure::Refused(_) | Failure::LostKeyRace)) => {
            tracing::warn!(reason = ?refused, postings = requests.len(), "batch refused; posting one by one");
            let mut outcomes = Vec::with_capacity(requests.len());
            for request in requests {
                outcomes.push(posting::post(&client, request).await);
            }
            outcomes
        }
        // Either the connection was lost twice before anything committed, or
        // it failed once the write was sent and the batch may have committed,
        // so retrying could post twice. Each requester learns the store is
        // unavailable.
        Err(failure) => every(failure.into()),
    }
}

/// A pooled connection that goes back to the pool only if its batch did not
/// panic: a batch that panicked may have left it inside its transaction,
/// holding account locks, so it is closed instead and the server rolls back.
struct Connection(Option<Object>);

impl Connection {
    async fn get(pool: &Pool) -> Result<Self, StoreError> {
        pool.get().await.map(|c| Self(Some(c))).map_err(pool_error)
    }
}

impl std::ops::Deref for Connection {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.0.as_ref().expect("a connection is held until dropped")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(client) = self.0.take() {
                drop(Object::take(client));
            }
        }
    }
}
