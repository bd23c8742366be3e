//! [`SessionStore`]: where a client keeps its session state between connections and, with a
//! durable store, between processes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::ClientError;
use crate::proto::SessionState;

/// Keeps [`SessionState`] per client id.
///
/// The tokio client loads the state when it is created and saves it whenever a connection
/// ends and when it shuts down, so a new client with the same store and client id resumes
/// unfinished QoS 1/2 flows, buffered messages and subscriptions.
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// The saved state of `client_id`, if any.
    ///
    /// # Errors
    /// A store that cannot read reports why.
    fn load(&self, client_id: &str) -> Result<Option<SessionState>, ClientError>;

    /// Saves (replaces) the state of `client_id`.
    ///
    /// # Errors
    /// A store that cannot write reports why.
    fn save(&self, client_id: &str, state: &SessionState) -> Result<(), ClientError>;

    /// Forgets the state of `client_id`.
    ///
    /// # Errors
    /// A store that cannot write reports why.
    fn clear(&self, client_id: &str) -> Result<(), ClientError>;
}

/// A [`SessionStore`] in memory: survives reconnects and client instances in one process
/// (clone it to share), not a restart.
///
/// # Examples
/// ```
/// use flowsdk_client::{MemoryStore, SessionStore};
/// use flowsdk_client::proto::SessionState;
///
/// let store = MemoryStore::new();
/// let state = SessionState { client_id: "c1".into(), ..Default::default() };
/// store.save("c1", &state)?;
/// assert_eq!(store.load("c1")?, Some(state));
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    sessions: Arc<Mutex<HashMap<String, SessionState>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionState>> {
        // A panic while holding the lock leaves a map that is still consistent (every
        // operation is a single insert, get or remove), so poisoning is ignored.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SessionStore for MemoryStore {
    fn load(&self, client_id: &str) -> Result<Option<SessionState>, ClientError> {
        Ok(self.lock().get(client_id).cloned())
    }

    fn save(&self, client_id: &str, state: &SessionState) -> Result<(), ClientError> {
        self.lock().insert(client_id.to_string(), state.clone());
        Ok(())
    }

    fn clear(&self, client_id: &str) -> Result<(), ClientError> {
        self.lock().remove(client_id);
        Ok(())
    }
}
