//! Bench-only seeding, straight into PostgreSQL: users with a placeholder password hash
//! (nobody can log in with it; no argon2 per user), one session each (a random 256-bit
//! token, base64url, stored as the SHA-256 of the token string as the server does), and
//! group chats with their members, in multi-row `INSERT ... SELECT FROM unnest(...)`
//! batches; and messages for the search figures, in one `INSERT ... SELECT` over
//! `generate_series`. Never part of the server: this writes the tables the migrations
//! created.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Rows per statement.
const BATCH: usize = 5_000;

/// The words of seeded messages, most frequent first: a message's words are drawn with
/// `words[floor(random()^3 * n)]`, so the first few appear in most messages and the last
/// in about 1 %, like the common and the rare words of real chat.
pub const VOCABULARY: &str = concat!(
    "the to and a of is it for on we in that this i you be with can have will are at not so just ",
    "do if but what from by as our deploy build release fix bug test review merge branch meeting ",
    "today tomorrow week friday monday please thanks ok yes no maybe time team update check issue ",
    "ticket server client database query cache redis postgres api endpoint error log metrics ",
    "alert dashboard latency request response timeout retry queue worker job schedule plan design ",
    "doc draft spec feedback question answer idea proposal budget cost invoice customer user ",
    "account login password session token email message chat channel thread reply mention search ",
    "index migration schema table column row backup restore cluster node shard replica failover ",
    "incident outage postmortem oncall pager rollback hotfix patch version tag commit push pull ",
    "rebase conflict lint format compile crash panic stack trace memory cpu disk network dns tls ",
    "certificate domain proxy gateway load balancer container image kubernetes docker helm ",
    "terraform config secret vault permission role admin owner member guest invite onboarding ",
    "offboarding holiday vacation sick lunch coffee standup retro demo sprint roadmap milestone ",
    "deadline estimate priority blocker risk dependency vendor contract legal security audit ",
    "compliance privacy gdpr policy training workshop conference slides recording video call zoom ",
    "calendar room office remote hybrid laptop monitor keyboard printer wifi vpn firewall ssh ",
    "shell script python rust golang javascript typescript react leptos actix tokio diesel serde ",
    "wasm browser chrome firefox safari mobile android ios app store rating support escalation ",
    "sla uptime benchmark profile flamegraph regression performance throughput capacity forecast ",
    "quarter revenue growth churn funnel experiment feature flag rollout canary staging ",
    "production preview sandbox fixture mock seed",
);

/// A seeded user and the token of their session.
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub id: String,
    pub token: String,
}

pub struct Seeder {
    client: tokio_postgres::Client,
    /// Users made so far: usernames stay unique over a run.
    made: usize,
}

impl Seeder {
    pub async fn connect(database_url: &str) -> anyhow::Result<Self> {
        let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { client, made: 0 })
    }

    /// `n` new users, each with a session valid for 30 days.
    pub async fn users(&mut self, n: usize) -> anyhow::Result<Vec<SeedUser>> {
        let mut rng = rand::rng();
        let mut users = Vec::with_capacity(n);
        for _ in 0..n {
            let mut bytes = [0_u8; 32];
            rng.fill_bytes(&mut bytes);
            users.push(SeedUser {
                id: uuid::Uuid::new_v4().to_string(),
                token: URL_SAFE_NO_PAD.encode(bytes),
            });
        }
        for chunk in users.chunks(BATCH) {
            let ids: Vec<String> = chunk.iter().map(|u| u.id.clone()).collect();
            let names: Vec<String> = (0..chunk.len()).map(|i| format!("bench_{}", self.made + i)).collect();
            let displays: Vec<String> =
                (0..chunk.len()).map(|i| format!("Bench {}", self.made + i)).collect();
            self.made += chunk.len();
            self.client
                .execute(
                    "INSERT INTO users (id, username, display_name, password_hash) \
                     SELECT i::uuid, u, d, 'bench-only: no password' \
                     FROM unnest($1::text[], $2::text[], $3::text[]) AS t(i, u, d)",
                    &[&ids, &names, &displays],
                )
                .await?;
            let hashes: Vec<String> =
                chunk.iter().map(|u| hex(&Sha256::digest(u.token.as_bytes()))).collect();
            self.client
                .execute(
                    "INSERT INTO sessions (token_hash, user_id, expires_at) \
                     SELECT decode(h, 'hex'), u::uuid, now() + interval '30 days' \
                     FROM unnest($1::text[], $2::text[]) AS t(h, u)",
                    &[&hashes, &ids],
                )
                .await?;
        }
        Ok(users)
    }

    /// One group per member list (the first member owns it); returns the chat ids.
    pub async fn groups(&mut self, groups: &[Vec<&SeedUser>]) -> anyhow::Result<Vec<String>> {
        let ids: Vec<String> = groups.iter().map(|_| uuid::Uuid::new_v4().to_string()).collect();
        let titles: Vec<String> = (0..groups.len()).map(|i| format!("bench room {i}")).collect();
        let owners: Vec<String> =
            groups.iter().map(|members| members.first().map(|u| u.id.clone()).unwrap_or_default()).collect();
        self.client
            .execute(
                "INSERT INTO chats (id, kind, title, owner_id) \
                 SELECT i::uuid, 'group', t, o::uuid FROM unnest($1::text[], $2::text[], $3::text[]) AS x(i, t, o)",
                &[&ids, &titles, &owners],
            )
            .await?;
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for (chat, members) in ids.iter().zip(groups) {
            for (i, user) in members.iter().enumerate() {
                let role = if i == 0 { "owner" } else { "member" };
                rows.push((chat.clone(), user.id.clone(), role.to_owned()));
            }
        }
        for chunk in rows.chunks(BATCH) {
            let chats: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
            let users: Vec<&str> = chunk.iter().map(|r| r.1.as_str()).collect();
            let roles: Vec<&str> = chunk.iter().map(|r| r.2.as_str()).collect();
            self.client
                .execute(
                    "INSERT INTO chat_members (chat_id, user_id, role) \
                     SELECT c::uuid, u::uuid, r FROM unnest($1::text[], $2::text[], $3::text[]) AS x(c, u, r)",
                    &[&chats, &users, &roles],
                )
                .await?;
        }
        Ok(ids)
    }

    /// `n` messages spread evenly over `chats` (each chat's gap-free seqs from 1, sent by
    /// its members in turn, a second apart up to now), 6 to 17 words of [`VOCABULARY`]
    /// each; then the chats' positions, and VACUUM ANALYZE as autovacuum would after such
    /// a load (statistics, and the search index's pending entries merged).
    pub async fn messages(&mut self, chats: &[String], n: usize) -> anyhow::Result<()> {
        let n = i64::try_from(n)?;
        self.client
            .execute(
                "WITH chat AS ( \
                     SELECT id::uuid, k - 1 AS k, count(*) OVER () AS chats \
                     FROM unnest($1::text[]) WITH ORDINALITY AS t(id, k) \
                 ), member AS ( \
                     SELECT chat_id, user_id, row_number() OVER (PARTITION BY chat_id ORDER BY user_id) - 1 AS k, \
                            count(*) OVER (PARTITION BY chat_id) AS members \
                     FROM chat_members WHERE chat_id IN (SELECT id FROM chat) \
                 ), numbered AS ( \
                     SELECT i, chat.id AS chat_id, i / chat.chats + 1 AS seq \
                     FROM generate_series(0, $3::bigint - 1) AS i JOIN chat ON chat.k = i % chat.chats \
                 ) \
                 INSERT INTO messages (id, chat_id, seq, sender_id, client_id, body, body_html, created_at, change_seq) \
                 SELECT gen_random_uuid(), n.chat_id, n.seq, m.user_id, gen_random_uuid(), b.body, \
                        '<p>' || html_escape(b.body) || '</p>', now() - ($3 - n.i) * interval '1 second', n.seq \
                 FROM numbered n \
                 JOIN member m ON m.chat_id = n.chat_id AND m.k = n.seq % m.members \
                 CROSS JOIN LATERAL ( \
                     SELECT string_agg(w.words[1 + floor(random() ^ 3 * cardinality(w.words))::int], ' ') AS body \
                     FROM (SELECT string_to_array($2, ' ') AS words) w, generate_series(1, 6 + n.i % 12) \
                 ) b",
                &[&chats, &VOCABULARY, &n],
            )
            .await?;
        self.client
            .execute(
                "UPDATE chats SET last_seq = m.seq, last_change = m.seq, last_activity_at = now() \
                 FROM (SELECT chat_id, max(seq) AS seq FROM messages WHERE chat_id = ANY($1::text[]::uuid[]) GROUP BY chat_id) m \
                 WHERE chats.id = m.chat_id",
                &[&chats],
            )
            .await?;
        self.client.batch_execute("VACUUM (ANALYZE) messages").await?;
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_of_the_token_string() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
