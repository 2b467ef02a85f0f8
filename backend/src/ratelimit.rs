//! Rate limits ("Limits and abuse" in DESIGN.md). Each answers "may this go ahead?" and,
//! when not, how long to wait (`429` with `Retry-After` on REST, an `error` event with
//! `code: rate_limited` on the socket). A refused call has no effect.
//!
//! Two kinds, by where the limit must hold:
//! - **Across nodes** (sends per user, failed logins per account): a fixed-window counter
//!   in Redis, so a user with tabs on several nodes, or an attacker spreading guesses over
//!   them, meets one limit. When Redis is unavailable each node keeps the same windows
//!   itself: the limit then holds per node, never not at all.
//! - **Per node** (registrations per address, socket upgrades per user): `governor`'s
//!   keyed GCRA limiters, in memory. They protect this node's CPU (password hashing,
//!   handshakes), so a per-node budget is the right one.
//!
//! Fixed windows let a client use up to twice the limit across a window boundary; that is
//! the price of one Redis round trip per check, and fine for limits meant to stop floods.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use confab_shared::UserId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::cache::{Cache, Window};
use crate::config::Limits;
use crate::error::{AppError, AppResult};
use crate::metrics;

const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
const REGISTRATION_WINDOW: Duration = Duration::from_secs(60 * 60);
const MESSAGE_WINDOW: Duration = Duration::from_secs(10);
const UPGRADE_WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimits {
    cache: Cache,
    login_failures: SharedWindow,
    messages: SharedWindow,
    registrations: Option<NodeLimiter<IpAddr>>,
    upgrades: Option<NodeLimiter<UserId>>,
}

impl RateLimits {
    pub fn new(limits: &Limits, cache: Cache) -> Self {
        Self {
            cache,
            login_failures: SharedWindow::new("login_failures", limits.login_failures, LOGIN_WINDOW),
            messages: SharedWindow::new("messages", limits.messages_per_user, MESSAGE_WINDOW),
            registrations: NodeLimiter::new(limits.registrations_per_ip, REGISTRATION_WINDOW),
            upgrades: NodeLimiter::new(limits.socket_upgrades_per_user, UPGRADE_WINDOW),
        }
    }

    /// Before checking a password: refused while the account has too many recent failures
    /// (whatever the password, so guessing stops paying). Other accounts are unaffected.
    pub async fn check_login(&self, username: &str) -> AppResult<()> {
        let window = &self.login_failures;
        if window.limit == 0 {
            return Ok(());
        }
        let key = window.key(username);
        let now = match self.cache.window_peek(&key, window.period).await {
            Some(shared) => shared,
            None => window.local.peek(&key),
        };
        window.judge(now, "failed sign-ins for this account")
    }

    /// A wrong password (or unknown user) for `username`.
    pub async fn login_failed(&self, username: &str) {
        let window = &self.login_failures;
        if window.limit > 0 {
            self.hit(window, &window.key(username)).await;
        }
    }

    /// One send by `user` (REST or socket); refused past the limit, before anything is stored.
    pub async fn check_send(&self, user: UserId) -> AppResult<()> {
        let window = &self.messages;
        if window.limit == 0 {
            return Ok(());
        }
        let now = self.hit(window, &window.key(&user.to_string())).await;
        window.judge(Window { count: now.count.saturating_sub(1), ..now }, "messages")
    }

    /// One registration from `address`.
    pub fn check_registration(&self, address: IpAddr) -> AppResult<()> {
        self.registrations
            .as_ref()
            .map_or(Ok(()), |l| l.check(&address, "registrations", "registrations from this address"))
    }

    /// One socket upgrade by `user` on this node.
    pub fn check_socket_upgrade(&self, user: UserId) -> AppResult<()> {
        self.upgrades
            .as_ref()
            .map_or(Ok(()), |l| l.check(&user, "socket_upgrades", "connections; wait before reconnecting"))
    }

    async fn hit(&self, window: &SharedWindow, key: &str) -> Window {
        match self.cache.window_hit(key, window.period).await {
            Some(shared) => shared,
            None => window.local.hit(key, window.period),
        }
    }
}

/// One limit counted in Redis, with this node's own windows as the fallback.
struct SharedWindow {
    name: &'static str,
    limit: u32,
    period: Duration,
    local: LocalWindows,
}

impl SharedWindow {
    fn new(name: &'static str, limit: u32, period: Duration) -> Self {
        Self { name, limit, period, local: LocalWindows::default() }
    }

    fn key(&self, subject: &str) -> String {
        format!("confab:rate:{}:{}", self.name, subject.to_lowercase())
    }

    /// `Ok` while fewer than `limit` hits were counted before this one.
    fn judge(&self, before: Window, what: &str) -> AppResult<()> {
        if before.count < u64::from(self.limit) {
            return Ok(());
        }
        metrics::rate_limited(self.name);
        Err(AppError::RateLimited { what: what.to_owned(), retry_after: before.resets_in })
    }
}

/// Fixed windows kept in memory: the same algorithm as the Redis counters, for when Redis
/// is unavailable.
#[derive(Default)]
struct LocalWindows {
    windows: Mutex<HashMap<String, (u64, Instant)>>,
}

/// Past this many keys, expired windows are swept on the next hit.
const LOCAL_SWEEP_AT: usize = 10_000;

impl LocalWindows {
    fn hit(&self, key: &str, period: Duration) -> Window {
        let now = Instant::now();
        let mut windows = self.lock();
        if windows.len() >= LOCAL_SWEEP_AT {
            windows.retain(|_, (_, ends)| *ends > now);
        }
        let entry = windows.entry(key.to_owned()).or_insert((0, now + period));
        if entry.1 <= now {
            *entry = (0, now + period);
        }
        entry.0 += 1;
        Window { count: entry.0, resets_in: entry.1 - now }
    }

    fn peek(&self, key: &str) -> Window {
        let now = Instant::now();
        match self.lock().get(key) {
            Some(&(count, ends)) if ends > now => Window { count, resets_in: ends - now },
            _ => Window { count: 0, resets_in: Duration::ZERO },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Instant)>> {
        // Counters only: a panic elsewhere cannot leave the map inconsistent.
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `limit` per `period` per key on this node (GCRA: a burst of `limit`, then one more
/// every `period / limit`).
struct NodeLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: std::sync::atomic::AtomicU64,
}

/// Forget keys that are back to a full burst every this many checks (memory bound).
const NODE_SWEEP_EVERY: u64 = 4096;

impl<K: Hash + Eq + Clone> NodeLimiter<K> {
    fn new(limit: u32, period: Duration) -> Option<Self> {
        let burst = NonZeroU32::new(limit)?;
        let quota = Quota::with_period(period / limit)?.allow_burst(burst);
        Some(Self { limiter: DefaultKeyedRateLimiter::keyed(quota), checks: Default::default() })
    }

    fn check(&self, key: &K, name: &'static str, what: &str) -> AppResult<()> {
        if self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed).is_multiple_of(NODE_SWEEP_EVERY) {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            metrics::rate_limited(name);
            AppError::RateLimited {
                what: what.to_owned(),
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_windows_count_then_reset_after_the_period() {
        let windows = LocalWindows::default();
        assert_eq!(windows.hit("a", Duration::from_secs(60)).count, 1);
        assert_eq!(windows.hit("a", Duration::from_secs(60)).count, 2);
        assert_eq!(windows.peek("a").count, 2);
        assert_eq!(windows.peek("b").count, 0);
        assert_eq!(windows.hit("c", Duration::ZERO).count, 1);
        assert_eq!(windows.hit("c", Duration::ZERO).count, 1, "an elapsed window starts again");
    }

    #[test]
    fn node_limiter_allows_the_burst_then_says_how_long_to_wait() {
        let limiter = NodeLimiter::new(3, Duration::from_secs(60)).expect("a limit");
        for _ in 0..3 {
            assert!(limiter.check(&1, "test", "tests").is_ok());
        }
        match limiter.check(&1, "test", "tests") {
            Err(AppError::RateLimited { retry_after, .. }) => {
                assert!(retry_after > Duration::from_secs(15) && retry_after <= Duration::from_secs(20));
            }
            other => panic!("expected rate_limited, got {other:?}"),
        }
        assert!(limiter.check(&2, "test", "tests").is_ok(), "other keys are unaffected");
        assert!(NodeLimiter::<u8>::new(0, Duration::from_secs(1)).is_none(), "0 turns it off");
    }
}
