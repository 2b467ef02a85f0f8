//! Bench-only seeding, straight into PostgreSQL: users with a placeholder password hash
//! (nobody can log in with it; no argon2 per user), one session each (a random 256-bit
//! token, base64url, stored as the SHA-256 of the token string as the server does), and
//! group chats with their members, in multi-row `INSERT ... SELECT FROM unnest(...)`
//! batches. Never part of the server: this writes the tables the migrations created.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Rows per statement.
const BATCH: usize = 5_000;

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
