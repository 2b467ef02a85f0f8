//! argon2id password hashing with OWASP's parameters (19 MiB, 2 passes, 1 lane: the
//! crate's defaults). Hashing is CPU- and memory-heavy, so it runs on blocking threads and
//! a semaphore caps how many run at once: a burst of logins cannot exhaust the machine.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use confab_shared::validate::Password;
use tokio::sync::{OnceCell, Semaphore};

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that case costs the same time as
    /// a wrong password and does not reveal which usernames exist.
    dummy_hash: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a random salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let password = password.expose().to_owned();
        self.blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow!("hashing failed: {e}"))
        })
        .await
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown user) a dummy is
    /// checked anyway and the answer is `false`.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let known = stored.is_some();
        let stored = match stored {
            Some(hash) => hash,
            None => self.dummy().await?,
        };
        let password = password.to_owned();
        let matches = self
            .blocking(move || {
                let parsed =
                    PasswordHash::new(&stored).map_err(|e| anyhow!("stored hash unreadable: {e}"))?;
                Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn dummy(&self) -> anyhow::Result<String> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let password = Password::parse("confab-dummy-password").map_err(|e| anyhow!(e))?;
                self.hash(&password).await
            })
            .await
            .cloned()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        tokio::task::spawn_blocking(work).await.context("password hashing task panicked")?
    }
}
