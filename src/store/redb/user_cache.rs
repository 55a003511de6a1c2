//! Users by id, kept in memory: every authenticated request reads its caller,
//! and a redb read transaction, lookup and decode cost more than the rest of
//! the authentication together. The embedded store is the only writer of its
//! file (redb locks it), so this process sees every change and the cache is
//! exact: a change and the filling of a miss never interleave.

use std::future::Future;

use tokio::sync::RwLock;

use crate::domain::{User, UserId};
use crate::store::StoreError;

/// A user is a few hundred bytes; this holds every caller of a busy bank.
const CAPACITY: u64 = 10_000;

pub struct UserCache {
    users: moka::sync::Cache<UserId, User>,
    /// Held shared while a miss is read and filled, exclusively while a user
    /// changes: a fill that read the old value cannot land after the change.
    changes: RwLock<()>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self {
            users: moka::sync::Cache::new(CAPACITY),
            changes: RwLock::new(()),
        }
    }
}

impl UserCache {
    pub async fn get(
        &self,
        id: UserId,
        load: impl FnOnce() -> Result<Option<User>, StoreError>,
    ) -> Result<Option<User>, StoreError> {
        if let Some(user) = self.users.get(&id) {
            return Ok(Some(user));
        }
        let _filling = self.changes.read().await;
        let user = load()?;
        if let Some(u) = &user {
            self.users.insert(id, u.clone());
        }
        Ok(user)
    }

    /// Runs `change` to user `id`, then forgets the old value.
    pub async fn change<T>(
        &self,
        id: UserId,
        change: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let _changing = self.changes.write().await;
        let result = change.await;
        self.users.invalidate(&id);
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::Duration;

    use super::*;
    use crate::domain::{Email, Role, Username};

    fn user(disabled: bool) -> User {
        User {
            id: UserId(uuid::Uuid::from_u128(7)),
            username: Username::parse("carol").unwrap(),
            email: Email::parse("carol@example.com").unwrap(),
            password_hash: String::new(),
            role: Role::User,
            created_at: 0,
            disabled,
        }
    }

    #[tokio::test]
    async fn a_change_replaces_what_was_cached() {
        let (cache, stored) = (UserCache::default(), Mutex::new(user(false)));
        let id = user(false).id;
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(!cache.get(id, load).await.unwrap().unwrap().disabled);
        let disable = async {
            stored.lock().unwrap().disabled = true;
            Ok(())
        };
        cache.change(id, disable).await.unwrap();
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(cache.get(id, load).await.unwrap().unwrap().disabled);
    }

    /// A miss that read the old value must not be cached after a change that
    /// began while it was being read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fill_that_read_before_a_change_does_not_outlive_it() {
        let cache = Arc::new(UserCache::default());
        let stored = Arc::new(Mutex::new(user(false)));
        let id = user(false).id;
        let (read, was_read) = mpsc::channel();
        let fill = tokio::spawn({
            let (cache, stored) = (cache.clone(), stored.clone());
            async move {
                let load = || {
                    let old = stored.lock().unwrap().clone();
                    read.send(()).unwrap();
                    // Time for the change to run, were it not held back.
                    std::thread::sleep(Duration::from_millis(100));
                    Ok(Some(old))
                };
                cache.get(id, load).await
            }
        });
        was_read.recv().unwrap();
        let disable = async {
            stored.lock().unwrap().disabled = true;
            Ok(())
        };
        cache.change(id, disable).await.unwrap();
        assert!(!fill.await.unwrap().unwrap().unwrap().disabled);
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(cache.get(id, load).await.unwrap().unwrap().disabled);
    }
}
