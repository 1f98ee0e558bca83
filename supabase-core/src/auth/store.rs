//! Where the session (and a pending PKCE code verifier) is kept between calls and runs: the
//! [`SessionStore`] trait, with the key/value shape of auth-js `SupportedStorage`
//! (`getItem`/`setItem`/`removeItem`) and auth-py `SyncSupportedStorage`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;

use super::errors::AuthError;

/// A place to keep the session. Values are JSON text holding tokens: a store must keep them
/// private (the file store writes its file readable by its owner only).
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// The value under `key`, if any.
    async fn get_item(&self, key: &str) -> Result<Option<String>, AuthError>;
    /// Stores `value` under `key`.
    async fn set_item(&self, key: &str, value: String) -> Result<(), AuthError>;
    /// Removes `key` (absent keys are fine).
    async fn remove_item(&self, key: &str) -> Result<(), AuthError>;
}

/// The default store: in memory, gone when the process ends.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, String>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn items(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = self.items();
        let mut keys: Vec<&String> = items.keys().collect();
        keys.sort();
        f.debug_struct("MemoryStore").field("keys", &keys).finish()
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn get_item(&self, key: &str) -> Result<Option<String>, AuthError> {
        Ok(self.items().get(key).cloned())
    }

    async fn set_item(&self, key: &str, value: String) -> Result<(), AuthError> {
        self.items().insert(key.to_owned(), value);
        Ok(())
    }

    async fn remove_item(&self, key: &str) -> Result<(), AuthError> {
        self.items().remove(key);
        Ok(())
    }
}

/// A store in one JSON file (an object of key → value), so a CLI or a server keeps its session
/// across restarts. Written atomically (temporary file, then rename), mode `0600` on Unix.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    /// Serialises read-modify-write cycles of this process.
    lock: tokio::sync::Mutex<()>,
}

impl FileStore {
    /// A store in the file at `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    async fn read(&self) -> Result<HashMap<String, String>, AuthError> {
        match tokio::fs::read(&self.path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                AuthError::Store(format!(
                    "{} is not a session file: {e}",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
            Err(e) => Err(AuthError::Store(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    async fn write(&self, items: &HashMap<String, String>) -> Result<(), AuthError> {
        let fail = |e: std::io::Error| {
            AuthError::Store(format!("cannot write {}: {e}", self.path.display()))
        };
        let bytes = serde_json::to_vec(items).map_err(|e| AuthError::Store(e.to_string()))?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&tmp).await.map_err(fail)?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &bytes)
            .await
            .map_err(fail)?;
        file.sync_all().await.map_err(fail)?;
        drop(file);
        tokio::fs::rename(&tmp, &self.path).await.map_err(fail)
    }
}

#[async_trait::async_trait]
impl SessionStore for FileStore {
    async fn get_item(&self, key: &str) -> Result<Option<String>, AuthError> {
        let _guard = self.lock.lock().await;
        Ok(self.read().await?.remove(key))
    }

    async fn set_item(&self, key: &str, value: String) -> Result<(), AuthError> {
        let _guard = self.lock.lock().await;
        let mut items = self.read().await?;
        items.insert(key.to_owned(), value);
        self.write(&items).await
    }

    async fn remove_item(&self, key: &str) -> Result<(), AuthError> {
        let _guard = self.lock.lock().await;
        let mut items = self.read().await?;
        if items.remove(key).is_some() {
            self.write(&items).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_round_trips_and_hides_values() {
        let s = MemoryStore::new();
        s.set_item("k", "secret-token".into()).await.unwrap();
        assert_eq!(
            s.get_item("k").await.unwrap().as_deref(),
            Some("secret-token")
        );
        assert!(!format!("{s:?}").contains("secret-token"));
        s.remove_item("k").await.unwrap();
        assert_eq!(s.get_item("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn file_store_persists_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        FileStore::new(&path)
            .set_item("a", "1".into())
            .await
            .unwrap();
        let again = FileStore::new(&path);
        assert_eq!(again.get_item("a").await.unwrap().as_deref(), Some("1"));
        again.remove_item("a").await.unwrap();
        assert_eq!(FileStore::new(&path).get_item("a").await.unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(
            FileStore::new(&path).get_item("a").await,
            Err(AuthError::Store(_))
        ));
    }
}
