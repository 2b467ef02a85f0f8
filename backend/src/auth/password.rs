//! argon2id password hashing with OWASP's parameters (19 MiB, 2 passes, 1 lane: the
//! crate's defaults). Hashing is CPU- and memory-heavy, so it runs on blocking threads and
//! a semaphore caps how many run at once: a burst of logins cannot exhaust the machine.
//!
//! Memory is bounded too: each of the `max_concurrent` permits owns a *slot*, a 19 MiB
//! block buffer allocated once and reused by every hash that holds it
//! (`hash_password_into_with_memory`). Letting the crate allocate per hash instead leaves
//! glibc holding freed 19 MiB blocks in per-thread arenas across tokio's many blocking
//! threads: about 1.5 GiB of RSS after a thousand logins.

use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow, bail};
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use confab_shared::validate::Password;
use rand::RngCore;
use tokio::sync::{OnceCell, Semaphore};

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// One block buffer per permit, taken while hashing and put back after.
    slots: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Verified against when the username is unknown, so that case costs the same time as
    /// a wrong password and does not reveal which usernames exist.
    dummy_hash: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            // Allocated lazily, on first use: idle servers and tests don't pay for them.
            slots: Arc::new(Mutex::new(Vec::with_capacity(max_concurrent))),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a random salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let password = password.expose().to_owned();
        self.blocking(move |memory| {
            let params = Params::default();
            let mut salt = [0u8; SALT_LEN];
            rand::rng().fill_bytes(&mut salt);
            let hash = compute(&params, password.as_bytes(), &salt, HASH_LEN, memory)?;
            Ok(format!(
                "$argon2id$v=19$m={},t={},p={}${}${}",
                params.m_cost(),
                params.t_cost(),
                params.p_cost(),
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(hash)
            ))
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
            .blocking(move |memory| {
                let parsed =
                    PasswordHash::new(&stored).map_err(|e| anyhow!("stored hash unreadable: {e}"))?;
                if parsed.algorithm.as_str() != "argon2id" {
                    bail!("stored hash is not argon2id");
                }
                let params = Params::try_from(&parsed).map_err(|e| anyhow!("stored hash parameters: {e}"))?;
                let salt = parsed.salt.context("stored hash has no salt")?;
                let expected = parsed.hash.context("stored hash has no output")?;
                let actual = compute(&params, password.as_bytes(), &salt, expected.len(), memory)?;
                Ok(constant_time_eq(&actual, expected.as_bytes()))
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

    /// Runs `work` on a blocking thread with a permit and its slot's memory.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        let slots = self.slots.clone();
        tokio::task::spawn_blocking(move || {
            let mut memory = lock(&slots).pop().unwrap_or_default();
            let result = work(&mut memory);
            lock(&slots).push(memory);
            result
        })
        .await
        .context("password hashing task panicked")?
    }
}

/// argon2id over `memory`, grown (once, for good) if these parameters need more blocks.
fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    len: usize,
    memory: &mut Vec<Block>,
) -> anyhow::Result<Vec<u8>> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0u8; len];
    argon2
        .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
        .map_err(|e| anyhow!("hashing failed: {e}"))?;
    Ok(out)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    #[tokio::test]
    async fn hashes_verify_both_ways_with_the_crate_s_own_format() {
        let hasher = PasswordHasher::new(1);
        let password = Password::parse("correct horse battery staple").unwrap();
        let ours = hasher.hash(&password).await.unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        assert!(hasher.verify("correct horse battery staple", Some(ours.clone())).await.unwrap());
        assert!(!hasher.verify("wrong horse battery staple", Some(ours.clone())).await.unwrap());
        // The crate reads ours, and we read the crate's (hashes stored before slots).
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse battery staple", &parsed).is_ok());
        let theirs = Argon2::default().hash_password(b"correct horse battery staple").unwrap().to_string();
        assert!(hasher.verify("correct horse battery staple", Some(theirs.clone())).await.unwrap());
        assert!(!hasher.verify("nope, wrong", Some(theirs)).await.unwrap());
        assert!(!hasher.verify("correct horse battery staple", None).await.unwrap(), "unknown user");
    }

    #[tokio::test]
    async fn the_slots_are_reused_not_reallocated() {
        let hasher = PasswordHasher::new(2);
        let password = Password::parse("correct horse battery staple").unwrap();
        for _ in 0..4 {
            hasher.hash(&password).await.unwrap();
        }
        let slots = lock(&hasher.slots);
        assert_eq!(slots.len(), 1, "sequential hashes share one slot");
        assert_eq!(slots[0].len(), Params::default().block_count());
    }
}
