//! Users by id, kept in memory: every authenticated request reads its caller,
//! and a redb read transaction, lookup and decode cost more than the rest of
//! the authentication together. The embedded store is the only writer of its
//! file (redb locks it), so this process sees every change: the writer thread
//! reports each changed user after its commit and before it answers, whether
//! or not the caller is still waiting.

use std::sync::Mutex;

use crate::domain::{User, UserId};
use crate::store::StoreError;

/// A user is a few hundred bytes; this holds every caller of a busy bank.
const CAPACITY: u64 = 10_000;

pub struct UserCache {
    users: moka::sync::Cache<UserId, User>,
    /// Counts changes. A miss is cached only if no change came while it was
    /// read: one that read the old value cannot land after the change.
    changes: Mutex<u64>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self {
            users: moka::sync::Cache::new(CAPACITY),
            changes: Mutex::new(0),
        }
    }
}

impl UserCache {
    pub fn get(
        &self,
        id: UserId,
        load: impl FnOnce() -> Result<Option<User>, StoreError>,
    ) -> Result<Option<User>, StoreError> {
        if let Some(user) = self.users.get(&id) {
            return Ok(Some(user));
        }
        let before = *self.lock();
        let user = load()?;
        if let Some(u) = &user {
            let changes = self.lock();
            if *changes == before {
                self.users.insert(id, u.clone());
            }
        }
        Ok(user)
    }

    /// Forgets user `id`; call once its change is committed.
    pub fn changed(&self, id: UserId) {
        let mut changes = self.lock();
        *changes += 1;
        self.users.invalidate(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // The counter is valid whatever a panicking holder was doing.
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
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

    #[test]
    fn a_change_replaces_what_was_cached() {
        let (cache, stored) = (UserCache::default(), Mutex::new(user(false)));
        let id = user(false).id;
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(!cache.get(id, load).unwrap().unwrap().disabled);
        stored.lock().unwrap().disabled = true;
        cache.changed(id);
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(cache.get(id, load).unwrap().unwrap().disabled);
    }

    /// A miss that read the old value must not be cached after a change
    /// committed while it was being read.
    #[test]
    fn a_fill_that_read_before_a_change_does_not_outlive_it() {
        let cache = Arc::new(UserCache::default());
        let stored = Arc::new(Mutex::new(user(false)));
        let id = user(false).id;
        let (read, was_read) = mpsc::channel();
        let (changed, was_changed) = mpsc::channel();
        let fill = std::thread::spawn({
            let (cache, stored) = (cache.clone(), stored.clone());
            move || {
                let load = || {
                    let old = stored.lock().unwrap().clone();
                    read.send(()).unwrap();
                    was_changed.recv_timeout(Duration::from_secs(5)).unwrap();
                    Ok(Some(old))
                };
                cache.get(id, load)
            }
        });
        was_read.recv().unwrap();
        stored.lock().unwrap().disabled = true;
        cache.changed(id);
        changed.send(()).unwrap();
        assert!(!fill.join().unwrap().unwrap().unwrap().disabled);
        let load = || Ok(Some(stored.lock().unwrap().clone()));
        assert!(cache.get(id, load).unwrap().unwrap().disabled);
    }
}
