//! Presence across nodes (promise 10), kept in Redis with TTLs:
//!
//! - `confab:presence:{user}`: a sorted set of the nodes where the user has a connection
//!   (or is within the grace window), each scored by when that claim expires. A node
//!   refreshes its claims every heartbeat; a user is online while any claim is unexpired.
//! - `confab:nodes`: every node scored by its last heartbeat, and `confab:node_users:{node}`
//!   the users it claims, so a live node can clear a dead node's claims (reaping).
//! - `confab:last_seen:{user}`: when the user was last connected anywhere.
//!
//! Every call is best-effort like the rest of the cache: `None` means Redis did not
//! answer, and the caller falls back to this node's own view.

use chrono::{DateTime, Utc};
use confab_shared::UserId;
use deadpool_redis::redis::{self, AsyncCommands};

use super::Cache;

fn claims(user: UserId) -> String {
    format!("confab:presence:{user}")
}

fn last_seen_key(user: UserId) -> String {
    format!("confab:last_seen:{user}")
}

fn node_users(node: &str) -> String {
    format!("confab:node_users:{node}")
}

const NODES: &str = "confab:nodes";
/// Presence keys outlive every claim in them; a day covers any clock trouble.
const KEY_TTL_SECS: i64 = 24 * 60 * 60;

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Cache {
    /// Claims `user` for `node` until `ttl_ms` from now. Returns whether another node had
    /// an unexpired claim (the user was already online elsewhere).
    pub async fn presence_claim(&self, user: UserId, node: &str, ttl_ms: i64) -> Option<bool> {
        let key = claims(user);
        let now = now_ms();
        let (others,): (i64,) = self
            .run(async |conn| {
                redis::pipe()
                    .zcount(&key, now, "+inf")
                    .zadd(&key, node, now + ttl_ms)
                    .ignore()
                    .expire(&key, KEY_TTL_SECS)
                    .ignore()
                    .sadd(node_users(node), user.to_string())
                    .ignore()
                    .query_async(conn)
                    .await
            })
            .await?;
        // The count was taken before our own claim; a claim of ours still pending from the
        // grace window counts as "elsewhere" too, which is right: no new announcement.
        Some(others > 0)
    }

    /// Drops `node`'s claim on `user` and records `last_seen`. Returns whether another
    /// node still claims the user (then they are still online).
    pub async fn presence_release(&self, user: UserId, node: &str, last_seen: DateTime<Utc>) -> Option<bool> {
        let key = claims(user);
        let now = now_ms();
        let (remaining,): (i64,) = self
            .run(async |conn| {
                redis::pipe()
                    .zrem(&key, node)
                    .ignore()
                    .srem(node_users(node), user.to_string())
                    .ignore()
                    .zcount(&key, now, "+inf")
                    .query_async(conn)
                    .await
            })
            .await?;
        if remaining == 0 {
            let _: Option<()> = self
                .run(async |conn| {
                    conn.set_ex(last_seen_key(user), last_seen.to_rfc3339(), KEY_TTL_SECS as u64).await
                })
                .await;
        }
        Some(remaining > 0)
    }

    /// Renews this node's claims on `users` and its own heartbeat.
    pub async fn presence_heartbeat(&self, node: &str, users: &[UserId], ttl_ms: i64) -> bool {
        let now = now_ms();
        self.run(async |conn| {
            let mut pipe = redis::pipe();
            for user in users {
                let key = claims(*user);
                pipe.zadd(&key, node, now + ttl_ms).ignore().expire(&key, KEY_TTL_SECS).ignore();
            }
            if !users.is_empty() {
                let members: Vec<String> = users.iter().map(ToString::to_string).collect();
                pipe.sadd(node_users(node), members).ignore();
            }
            pipe.expire(node_users(node), KEY_TTL_SECS).ignore();
            pipe.zadd(NODES, node, now).ignore();
            pipe.query_async::<()>(conn).await
        })
        .await
        .is_some()
    }

    /// Nodes whose last heartbeat is older than `silent_ms`, each claimed for reaping by
    /// exactly one caller (the first to ask). Returns those this caller won, with the
    /// users each of them claimed.
    pub async fn presence_take_dead_nodes(
        &self,
        silent_ms: i64,
    ) -> Vec<(String, DateTime<Utc>, Vec<UserId>)> {
        let cutoff = now_ms() - silent_ms;
        let Some(dead): Option<Vec<(String, i64)>> =
            self.run(async |conn| conn.zrangebyscore_withscores(NODES, "-inf", cutoff).await).await
        else {
            return Vec::new();
        };
        let mut won = Vec::new();
        for (node, last_beat) in dead {
            let removed: Option<i64> = self.run(async |conn| conn.zrem(NODES, &node).await).await;
            // Only the caller whose ZREM removed it reaps it.
            if removed != Some(1) {
                continue;
            }
            let users: Vec<String> =
                self.run(async |conn| conn.smembers(node_users(&node)).await).await.unwrap_or_default();
            let _: Option<()> = self.run(async |conn| conn.del(node_users(&node)).await).await;
            let users = users.iter().filter_map(|u| u.parse().ok()).map(UserId).collect();
            won.push((node, DateTime::from_timestamp_millis(last_beat).unwrap_or_else(Utc::now), users));
        }
        won
    }

    /// For each user: online anywhere (an unexpired claim), and when last seen.
    pub async fn presence_of(&self, users: &[UserId]) -> Option<Vec<(bool, Option<DateTime<Utc>>)>> {
        if users.is_empty() {
            return Some(Vec::new());
        }
        let now = now_ms();
        let (counts, seen): (Vec<i64>, Vec<Option<String>>) = self
            .run(async |conn| {
                let mut pipe = redis::pipe();
                for user in users {
                    pipe.zcount(claims(*user), now, "+inf");
                }
                let counts: Vec<i64> = pipe.query_async(conn).await?;
                let keys: Vec<String> = users.iter().map(|u| last_seen_key(*u)).collect();
                let seen: Vec<Option<String>> = conn.mget(&keys).await?;
                Ok((counts, seen))
            })
            .await?;
        Some(
            counts
                .into_iter()
                .zip(seen)
                .map(|(count, seen)| {
                    let seen = seen
                        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                        .map(|d| d.with_timezone(&Utc));
                    (count > 0, seen)
                })
                .collect(),
        )
    }
}
