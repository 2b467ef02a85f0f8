//! Queries on `messages`.

use std::collections::HashMap;

use chrono::{SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{self, Array};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use confab_shared::UserId;
use confab_shared::api::{Message, Reaction};

use super::models::{AttachmentRow, MessageRow, ReactionRow};
use super::schema::{attachments, chat_members, chats, message_mentions, message_reactions, messages};

/// A message about to be stored; `seq` is assigned by [`insert_batch`].
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub sender_id: Uuid,
    pub client_id: Uuid,
    pub body: String,
    pub body_html: String,
    /// Uploads to attach: the sender's own, ready, unattached, of this chat.
    pub attachment_ids: Vec<Uuid>,
    /// The message this one answers: a live, non-system message of the same chat.
    pub reply_to: Option<Uuid>,
    /// The users its body mentions; those who are members when it is stored are kept.
    pub mentions: Vec<Uuid>,
}

/// What became of one message of a batch.
#[derive(Debug, Clone)]
pub enum Inserted {
    Created(MessageRow),
    /// Promise 2: a retry (same sender and `client_id`) finds the original, stored
    /// earlier or earlier in this batch.
    Existing(MessageRow),
    /// The sender is not a member of the chat (or there is no such chat).
    NotMember,
    ChatClosed,
    /// An attachment is not the sender's ready, unattached upload to this chat (or another
    /// message took it first): nothing is stored.
    AttachmentsUnavailable,
    /// The message replied to can't be: nothing is stored.
    ReplyRefused(ReplyRefused),
}

/// Why a reply is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyRefused {
    /// The parent is not a message of this chat that is not deleted.
    Unavailable,
    /// The parent is a system message.
    ToSystem,
}

/// A committed batch: each message's outcome, in the order given, and the members of
/// every chat the batch touched (the fan-out lists, read in the same transaction).
pub struct Batch {
    pub outcomes: Vec<Inserted>,
    pub members: HashMap<Uuid, Vec<Uuid>>,
    /// What every message returned, created or found, carries beyond its row.
    pub extras: Extras,
}

/// Stores many messages in one transaction: one commit, so one fsync, for all of them.
///
/// - Promise 3: each chat row is locked (in id order, so concurrent batches and other
///   writers never deadlock) and its `last_seq`/`last_change` bumped by the number of
///   messages it takes; a rollback returns the numbers, so seqs stay gap-free.
/// - Promise 2: originals of retries are looked up first and returned instead.
/// - Promise 5: only members may send; membership is read from PostgreSQL, never a cache.
/// - A sender has read their own message, so their read position moves with it.
/// - Attachments are claimed under row locks: each is attached once, by its uploader, in
///   its chat, or the message is not stored.
/// - A reply answers a live, non-system message of its own chat, or is not stored.
///
/// Promise 1: the caller acknowledges only after this returns (committed).
pub async fn insert_batch(conn: &mut AsyncPgConnection, batch: &[NewMessage]) -> QueryResult<Batch> {
    conn.transaction(async |conn| {
        // PostgreSQL keeps microseconds: the rows returned must equal the rows stored.
        let now = Utc::now().trunc_subsecs(6);
        let senders: Vec<Uuid> = batch.iter().map(|m| m.sender_id).collect();
        let client_ids: Vec<Uuid> = batch.iter().map(|m| m.client_id).collect();
        let mut chat_ids: Vec<Uuid> = batch.iter().map(|m| m.chat_id).collect();
        chat_ids.sort_unstable();
        chat_ids.dedup();

        // One index lookup per (sender, client_id) pair: `sender_id = ANY(..) AND client_id
        // = ANY(..)` would scan every message of each sender.
        let mut known: HashMap<(Uuid, Uuid), MessageRow> = diesel::sql_query(
            "SELECT m.* FROM unnest($1::uuid[], $2::uuid[]) AS k(sender_id, client_id) \
             JOIN messages m ON m.sender_id = k.sender_id AND m.client_id = k.client_id",
        )
        .bind::<Array<sql_types::Uuid>, _>(&senders)
        .bind::<Array<sql_types::Uuid>, _>(&client_ids)
        .load::<MessageRow>(conn)
        .await?
        .into_iter()
        .map(|row| ((row.sender_id, row.client_id), row))
        .collect();
        let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (chat_id, user_id) in chat_members::table
            .filter(chat_members::chat_id.eq_any(&chat_ids))
            .select((chat_members::chat_id, chat_members::user_id))
            .load::<(Uuid, Uuid)>(conn)
            .await?
        {
            members.entry(chat_id).or_default().push(user_id);
        }
        let mut numbers: HashMap<Uuid, (i64, i64)> = chats::table
            .filter(chats::id.eq_any(&chat_ids))
            .filter(chats::closed.eq(false))
            .order(chats::id)
            .for_update()
            .select((chats::id, chats::last_seq, chats::last_change))
            .load::<(Uuid, i64, i64)>(conn)
            .await?
            .into_iter()
            .map(|(id, seq, change)| (id, (seq, change)))
            .collect();

        let mut unclaimed = lock_unattached(conn, batch).await?;
        let parents = by_ids(conn, &batch.iter().filter_map(|m| m.reply_to).collect::<Vec<_>>()).await?;
        let mut created = Extras::default();

        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        for new in batch {
            let key = (new.sender_id, new.client_id);
            if let Some(original) = known.get(&key) {
                outcomes.push(Inserted::Existing(original.clone()));
                continue;
            }
            if !is_member(&members, new.chat_id, new.sender_id) {
                outcomes.push(Inserted::NotMember);
                continue;
            }
            let Some((seq, change)) = numbers.get_mut(&new.chat_id) else {
                outcomes.push(Inserted::ChatClosed);
                continue;
            };
            let parent = match reply_parent(&parents, new) {
                Ok(parent) => parent,
                Err(refused) => {
                    outcomes.push(Inserted::ReplyRefused(refused));
                    continue;
                }
            };
            let Some(claimed) = claim(&mut unclaimed, new) else {
                outcomes.push(Inserted::AttachmentsUnavailable);
                continue;
            };
            if !claimed.is_empty() {
                created.attachments.insert(new.id, claimed);
            }
            if let Some(parent) = parent {
                created.parents.insert(parent.id, parent.clone());
            }
            let mentioned: Vec<Uuid> =
                new.mentions.iter().copied().filter(|id| is_member(&members, new.chat_id, *id)).collect();
            if !mentioned.is_empty() {
                created.mentions.insert(new.id, mentioned);
            }
            *seq += 1;
            *change += 1;
            let row = MessageRow {
                id: new.id,
                chat_id: new.chat_id,
                seq: *seq,
                sender_id: new.sender_id,
                client_id: new.client_id,
                body: new.body.clone(),
                created_at: now,
                edited_at: None,
                deleted_at: None,
                change_seq: *change,
                body_html: new.body_html.clone(),
                system: None,
                reply_to: new.reply_to,
            };
            known.insert(key, row.clone());
            outcomes.push(Inserted::Created(row.clone()));
            rows.push(row);
        }
        let existing: Vec<MessageRow> = outcomes
            .iter()
            .filter_map(|o| if let Inserted::Existing(row) = o { Some(row.clone()) } else { None })
            .collect();
        let mut extras = Extras::load(conn, &existing).await?;
        extras.attachments.extend(created.attachments);
        extras.parents.extend(created.parents);
        extras.mentions.extend(created.mentions);
        if rows.is_empty() {
            return Ok(Batch { outcomes, members, extras });
        }

        let touched: Vec<&Uuid> = chat_ids.iter().filter(|id| rows.iter().any(|r| r.chat_id == **id)).collect();
        let (ids, seqs, changes): (Vec<Uuid>, Vec<i64>, Vec<i64>) = touched
            .iter()
            .filter_map(|id| numbers.get(*id).map(|(seq, change)| (**id, *seq, *change)))
            .fold((Vec::new(), Vec::new(), Vec::new()), |(mut a, mut b, mut c), (id, seq, change)| {
                a.push(id);
                b.push(seq);
                c.push(change);
                (a, b, c)
            });
        diesel::sql_query(
            "UPDATE chats AS c SET last_seq = v.last_seq, last_change = v.last_change, last_activity_at = $4 \
             FROM unnest($1::uuid[], $2::int8[], $3::int8[]) AS v(id, last_seq, last_change) WHERE c.id = v.id",
        )
        .bind::<Array<sql_types::Uuid>, _>(&ids)
        .bind::<Array<sql_types::Int8>, _>(&seqs)
        .bind::<Array<sql_types::Int8>, _>(&changes)
        .bind::<sql_types::Timestamptz, _>(now)
        .execute(conn)
        .await?;

        // One statement whatever the batch size (so it is prepared once per connection):
        // each column as an array.
        diesel::sql_query(
            "INSERT INTO messages (id, chat_id, seq, sender_id, client_id, body, body_html, created_at, change_seq, \
             reply_to) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::uuid[], $5::uuid[], $6::text[], \
             $7::text[], $8::timestamptz[], $9::int8[], $10::uuid[])",
        )
        .bind::<Array<sql_types::Uuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind::<Array<sql_types::Uuid>, _>(rows.iter().map(|r| r.chat_id).collect::<Vec<_>>())
        .bind::<Array<sql_types::Int8>, _>(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
        .bind::<Array<sql_types::Uuid>, _>(rows.iter().map(|r| r.sender_id).collect::<Vec<_>>())
        .bind::<Array<sql_types::Uuid>, _>(rows.iter().map(|r| r.client_id).collect::<Vec<_>>())
        .bind::<Array<sql_types::Text>, _>(rows.iter().map(|r| r.body.as_str()).collect::<Vec<_>>())
        .bind::<Array<sql_types::Text>, _>(rows.iter().map(|r| r.body_html.as_str()).collect::<Vec<_>>())
        .bind::<Array<sql_types::Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
        .bind::<Array<sql_types::Int8>, _>(rows.iter().map(|r| r.change_seq).collect::<Vec<_>>())
        .bind::<Array<sql_types::Nullable<sql_types::Uuid>>, _>(rows.iter().map(|r| r.reply_to).collect::<Vec<_>>())
        .execute(conn)
        .await?;

        // Each sender's read position: the highest seq they sent per chat.
        let mut read: HashMap<(Uuid, Uuid), i64> = HashMap::new();
        for row in &rows {
            let seq = read.entry((row.chat_id, row.sender_id)).or_default();
            *seq = (*seq).max(row.seq);
        }
        let (chats_read, users_read, seqs_read): (Vec<Uuid>, Vec<Uuid>, Vec<i64>) = read.into_iter().fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut a, mut b, mut c), ((chat, user), seq)| {
                a.push(chat);
                b.push(user);
                c.push(seq);
                (a, b, c)
            },
        );
        diesel::sql_query(
            "UPDATE chat_members AS m SET last_read_seq = GREATEST(m.last_read_seq, v.seq) \
             FROM unnest($1::uuid[], $2::uuid[], $3::int8[]) AS v(chat_id, user_id, seq) \
             WHERE m.chat_id = v.chat_id AND m.user_id = v.user_id",
        )
        .bind::<Array<sql_types::Uuid>, _>(&chats_read)
        .bind::<Array<sql_types::Uuid>, _>(&users_read)
        .bind::<Array<sql_types::Int8>, _>(&seqs_read)
        .execute(conn)
        .await?;
        attach(conn, &extras.attachments).await?;
        record_mentions(conn, &rows, &extras.mentions).await?;
        Ok(Batch { outcomes, members, extras })
    })
    .await
}

/// Stores a system message in the caller's transaction, so it commits with the change it
/// records. Like a sent message it takes the chat's next seq and change number under the
/// chat row's lock (promise 3), and its author (`actor`) has read it.
pub async fn insert_system(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    actor: Uuid,
    event: serde_json::Value,
) -> QueryResult<MessageRow> {
    let now = Utc::now().trunc_subsecs(6);
    let (seq, change): (i64, i64) = diesel::update(chats::table.find(chat_id))
        .set((
            chats::last_seq.eq(chats::last_seq + 1),
            chats::last_change.eq(chats::last_change + 1),
            chats::last_activity_at.eq(now),
        ))
        .returning((chats::last_seq, chats::last_change))
        .get_result(conn)
        .await?;
    let row = MessageRow {
        id: Uuid::new_v4(),
        chat_id,
        seq,
        sender_id: actor,
        client_id: Uuid::new_v4(),
        body: String::new(),
        created_at: now,
        edited_at: None,
        deleted_at: None,
        change_seq: change,
        body_html: String::new(),
        system: Some(event),
        reply_to: None,
    };
    diesel::insert_into(messages::table).values(&row).execute(conn).await?;
    diesel::update(chat_members::table.find((chat_id, actor)).filter(chat_members::last_read_seq.lt(seq)))
        .set(chat_members::last_read_seq.eq(seq))
        .execute(conn)
        .await?;
    Ok(row)
}

/// Whether `user_id` is among the members read for `chat_id`.
fn is_member(members: &HashMap<Uuid, Vec<Uuid>>, chat_id: Uuid, user_id: Uuid) -> bool {
    members.get(&chat_id).is_some_and(|m| m.contains(&user_id))
}

/// The batch's wanted attachments that are ready and unattached, locked until the commit:
/// a concurrent batch (another node's) waits, then no longer finds them unattached.
async fn lock_unattached(
    conn: &mut AsyncPgConnection,
    batch: &[NewMessage],
) -> QueryResult<HashMap<Uuid, AttachmentRow>> {
    let wanted: Vec<Uuid> = batch.iter().flat_map(|m| m.attachment_ids.iter().copied()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(attachments::table
        .filter(attachments::id.eq_any(&wanted))
        .filter(attachments::status.eq(AttachmentRow::READY))
        .filter(attachments::message_id.is_null())
        .for_update()
        .select(AttachmentRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The message `new` replies to, if any; refused unless it is a live, non-system message
/// of the same chat.
fn reply_parent<'a>(
    parents: &'a HashMap<Uuid, MessageRow>,
    new: &NewMessage,
) -> Result<Option<&'a MessageRow>, ReplyRefused> {
    let Some(parent_id) = new.reply_to else { return Ok(None) };
    match parents.get(&parent_id) {
        Some(parent) if parent.chat_id == new.chat_id && parent.is_system() => Err(ReplyRefused::ToSystem),
        Some(parent) if parent.chat_id == new.chat_id && parent.deleted_at.is_none() => Ok(Some(parent)),
        _ => Err(ReplyRefused::Unavailable),
    }
}

/// These messages by id (none asked: no query).
async fn by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, MessageRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(messages::table
        .filter(messages::id.eq_any(ids))
        .select(MessageRow::as_select())
        .load::<MessageRow>(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// Takes `new`'s attachments out of `unclaimed`, all or none, when every one is the
/// sender's upload to this chat; in upload order, marked as attached to `new`.
fn claim(unclaimed: &mut HashMap<Uuid, AttachmentRow>, new: &NewMessage) -> Option<Vec<AttachmentRow>> {
    let usable = new.attachment_ids.iter().all(|id| {
        unclaimed.get(id).is_some_and(|a| a.chat_id == new.chat_id && a.uploader_id == new.sender_id)
    });
    if !usable {
        return None;
    }
    let mut claimed: Vec<AttachmentRow> = new
        .attachment_ids
        .iter()
        .filter_map(|id| unclaimed.remove(id))
        .map(|row| AttachmentRow { message_id: Some(new.id), ..row })
        .collect();
    claimed.sort_by_key(|a| (a.created_at, a.id));
    Some(claimed)
}

/// Records the claimed attachments' messages, in one statement.
async fn attach(
    conn: &mut AsyncPgConnection,
    claimed: &HashMap<Uuid, Vec<AttachmentRow>>,
) -> QueryResult<()> {
    let (ids, message_ids): (Vec<Uuid>, Vec<Uuid>) =
        claimed.values().flatten().filter_map(|a| a.message_id.map(|message_id| (a.id, message_id))).unzip();
    if ids.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE attachments AS a SET message_id = v.message_id \
         FROM unnest($1::uuid[], $2::uuid[]) AS v(id, message_id) WHERE a.id = v.id",
    )
    .bind::<Array<sql_types::Uuid>, _>(&ids)
    .bind::<Array<sql_types::Uuid>, _>(&message_ids)
    .execute(conn)
    .await
    .map(drop)
}

/// Stores who each of `rows` mentions, in one statement.
async fn record_mentions(
    conn: &mut AsyncPgConnection,
    rows: &[MessageRow],
    mentions: &HashMap<Uuid, Vec<Uuid>>,
) -> QueryResult<()> {
    let mut columns: (Vec<Uuid>, Vec<Uuid>, Vec<Uuid>, Vec<i64>) = Default::default();
    for row in rows {
        for user_id in mentions.get(&row.id).into_iter().flatten() {
            columns.0.push(row.id);
            columns.1.push(*user_id);
            columns.2.push(row.chat_id);
            columns.3.push(row.seq);
        }
    }
    if columns.0.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO message_mentions (message_id, user_id, chat_id, seq) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int8[])",
    )
    .bind::<Array<sql_types::Uuid>, _>(&columns.0)
    .bind::<Array<sql_types::Uuid>, _>(&columns.1)
    .bind::<Array<sql_types::Uuid>, _>(&columns.2)
    .bind::<Array<sql_types::Int8>, _>(&columns.3)
    .execute(conn)
    .await
    .map(drop)
}

/// Replaces who a message mentions with those of `mentions` who are members of its chat.
async fn replace_mentions(
    conn: &mut AsyncPgConnection,
    row: &MessageRow,
    mentions: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(message_mentions::table.filter(message_mentions::message_id.eq(row.id)))
        .execute(conn)
        .await?;
    if mentions.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO message_mentions (message_id, user_id, chat_id, seq) \
         SELECT $1, user_id, chat_id, $3 FROM chat_members WHERE chat_id = $2 AND user_id = ANY($4)",
    )
    .bind::<sql_types::Uuid, _>(row.id)
    .bind::<sql_types::Uuid, _>(row.chat_id)
    .bind::<sql_types::Int8, _>(row.seq)
    .bind::<Array<sql_types::Uuid>, _>(mentions)
    .execute(conn)
    .await
    .map(drop)
}

/// Promise 2: the message a sender already stored under this `client_id`, if any.
pub async fn by_client_id(
    conn: &mut AsyncPgConnection,
    sender_id: Uuid,
    client_id: Uuid,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::sender_id.eq(sender_id))
        .filter(messages::client_id.eq(client_id))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The newest message of each of the given chats.
pub async fn latest_for_chats(
    conn: &mut AsyncPgConnection,
    chat_ids: &[Uuid],
) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::chat_id.eq_any(chat_ids))
        .distinct_on(messages::chat_id)
        .order((messages::chat_id, messages::seq.desc()))
        .select(MessageRow::as_select())
        .load(conn)
        .await
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The newest messages.
    Latest,
    /// Messages with `seq` below this one (scrolling back).
    Before(i64),
    /// Messages with `seq` above this one (catching up).
    After(i64),
}

/// Up to `limit` messages from `cursor`, ascending by seq, and whether more lie beyond.
pub async fn page(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<(Vec<MessageRow>, bool)> {
    let query = messages::table.filter(messages::chat_id.eq(chat_id)).select(MessageRow::as_select());
    let fetch = limit + 1;
    let mut rows: Vec<MessageRow> = match cursor {
        Cursor::Latest => query.order(messages::seq.desc()).limit(fetch).load(conn).await?,
        Cursor::Before(seq) => {
            query.filter(messages::seq.lt(seq)).order(messages::seq.desc()).limit(fetch).load(conn).await?
        }
        Cursor::After(seq) => {
            query.filter(messages::seq.gt(seq)).order(messages::seq.asc()).limit(fetch).load(conn).await?
        }
    };
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    if !matches!(cursor, Cursor::After(_)) {
        rows.reverse();
    }
    Ok((rows, has_more))
}

/// The messages around one seq, ascending, and whether more lie on either side.
pub struct Around {
    pub rows: Vec<MessageRow>,
    pub has_older: bool,
    pub has_newer: bool,
}

/// Up to `limit / 2` messages before `seq`, then the rest of `limit` from `seq` on.
pub async fn around(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    seq: i64,
    limit: i64,
) -> QueryResult<Around> {
    let older_wanted = limit / 2;
    let newer_wanted = limit - older_wanted;
    let query = messages::table.filter(messages::chat_id.eq(chat_id)).select(MessageRow::as_select());
    let mut older: Vec<MessageRow> = query
        .filter(messages::seq.lt(seq))
        .order(messages::seq.desc())
        .limit(older_wanted + 1)
        .load(conn)
        .await?;
    let mut newer: Vec<MessageRow> = query
        .filter(messages::seq.ge(seq))
        .order(messages::seq.asc())
        .limit(newer_wanted + 1)
        .load(conn)
        .await?;
    let has_older = older.len() as i64 > older_wanted;
    let has_newer = newer.len() as i64 > newer_wanted;
    older.truncate(usize::try_from(older_wanted).unwrap_or(0));
    newer.truncate(usize::try_from(newer_wanted).unwrap_or(0));
    older.reverse();
    older.append(&mut newer);
    Ok(Around { rows: older, has_older, has_newer })
}

/// One message of a chat.
pub async fn in_chat(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::id.eq(message_id))
        .filter(messages::chat_id.eq(chat_id))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Messages changed after change number `since`, in change order, and whether more follow.
pub async fn changes_since(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    since: i64,
    limit: i64,
) -> QueryResult<(Vec<MessageRow>, bool)> {
    let mut rows: Vec<MessageRow> = messages::table
        .filter(messages::chat_id.eq(chat_id))
        .filter(messages::change_seq.gt(since))
        .order(messages::change_seq.asc())
        .limit(limit + 1)
        .select(MessageRow::as_select())
        .load(conn)
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, has_more))
}

/// The outcome of a change to an existing message.
#[derive(Debug)]
pub enum Changed<T> {
    Done(T),
    /// The chat is closed (read-only).
    ChatClosed,
    /// The message is gone or already a tombstone.
    Missing,
}

/// Takes the chat's next change number, unless the chat is closed.
async fn next_change(conn: &mut AsyncPgConnection, chat_id: Uuid) -> QueryResult<Option<i64>> {
    diesel::update(chats::table.find(chat_id).filter(chats::closed.eq(false)))
        .set(chats::last_change.eq(chats::last_change + 1))
        .returning(chats::last_change)
        .get_result(conn)
        .await
        .optional()
}

/// Replaces a live message's body (and so whom it mentions) and marks it edited, with the
/// next change number.
pub async fn edit(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
    body: &str,
    body_html: &str,
    mentions: &[Uuid],
) -> QueryResult<Changed<MessageRow>> {
    conn.transaction(async |conn| {
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        let row = diesel::update(
            messages::table
                .filter(messages::id.eq(message_id))
                .filter(messages::chat_id.eq(chat_id))
                .filter(messages::deleted_at.is_null()),
        )
        .set((
            messages::body.eq(body),
            messages::body_html.eq(body_html),
            messages::edited_at.eq(Utc::now()),
            messages::change_seq.eq(change),
        ))
        .returning(MessageRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
        // Nothing changed: roll the change number back with the transaction.
        let Some(row) = row else { return Err(diesel::result::Error::RollbackTransaction) };
        replace_mentions(conn, &row, mentions).await?;
        Ok(Changed::Done(row))
    })
    .await
    .or_else(missing_on_rollback)
}

/// Turns a message into a tombstone: its body, reactions and attachments are erased, the
/// row (and so its seq) stays. Returns the attachments' rows, whose objects the caller
/// deletes from storage.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
) -> QueryResult<Changed<(MessageRow, Vec<AttachmentRow>)>> {
    conn.transaction(async |conn| {
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        let row = diesel::update(
            messages::table
                .filter(messages::id.eq(message_id))
                .filter(messages::chat_id.eq(chat_id))
                .filter(messages::deleted_at.is_null()),
        )
        .set((
            messages::body.eq(""),
            messages::body_html.eq(""),
            messages::deleted_at.eq(Utc::now()),
            messages::change_seq.eq(change),
        ))
        .returning(MessageRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
        let Some(row) = row else { return Err(diesel::result::Error::RollbackTransaction) };
        diesel::delete(message_reactions::table.filter(message_reactions::message_id.eq(message_id)))
            .execute(conn)
            .await?;
        replace_mentions(conn, &row, &[]).await?;
        let files = super::attachments::delete_for_message(conn, message_id).await?;
        Ok(Changed::Done((row, files)))
    })
    .await
    .or_else(missing_on_rollback)
}

/// What toggling a reaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    Added,
    Removed,
    /// The message already has the most different emoji allowed.
    TooMany,
}

/// Adds my reaction with `emoji`, or removes it if I had it; the message takes the next
/// change number. Returns the new change number with the outcome.
pub async fn toggle_reaction(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
    user_id: Uuid,
    emoji: &str,
    max_distinct: usize,
) -> QueryResult<Changed<(Toggle, i64)>> {
    conn.transaction(async |conn| {
        // Lock the chat first, so the count of distinct emoji below can't race another
        // toggle; the change number is taken only once something will change (every number
        // taken is announced, or the sequencer would wait for it: promise 11).
        let open: Option<Uuid> = chats::table
            .find(chat_id)
            .filter(chats::closed.eq(false))
            .for_update()
            .select(chats::id)
            .first(conn)
            .await
            .optional()?;
        if open.is_none() {
            return Ok(Changed::ChatClosed);
        }
        if in_chat(conn, chat_id, message_id).await?.is_none_or(|m| m.deleted_at.is_some()) {
            return Ok(Changed::Missing);
        }
        let removed =
            diesel::delete(message_reactions::table.find((message_id, user_id, emoji))).execute(conn).await?;
        let toggle = if removed > 0 {
            Toggle::Removed
        } else {
            let emoji_in_use: Vec<String> = message_reactions::table
                .filter(message_reactions::message_id.eq(message_id))
                .select(message_reactions::emoji)
                .distinct()
                .load(conn)
                .await?;
            if emoji_in_use.len() >= max_distinct && !emoji_in_use.iter().any(|e| e == emoji) {
                return Ok(Changed::Done((Toggle::TooMany, 0)));
            }
            let row = ReactionRow { message_id, user_id, emoji: emoji.to_owned(), created_at: Utc::now() };
            diesel::insert_into(message_reactions::table).values(&row).execute(conn).await?;
            Toggle::Added
        };
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        diesel::update(messages::table.find(message_id))
            .set(messages::change_seq.eq(change))
            .execute(conn)
            .await?;
        Ok(Changed::Done((toggle, change)))
    })
    .await
}

fn missing_on_rollback<T>(e: diesel::result::Error) -> QueryResult<Changed<T>> {
    match e {
        diesel::result::Error::RollbackTransaction => Ok(Changed::Missing),
        other => Err(other),
    }
}

/// The reactions on one message, each emoji with its users, in order of first use.
pub async fn reactions(conn: &mut AsyncPgConnection, message_id: Uuid) -> QueryResult<Vec<Reaction>> {
    let rows = reaction_rows(conn, &[message_id]).await?;
    Ok(group_reactions(rows.iter()))
}

/// API messages with all they carry (see [`Extras`]).
pub async fn to_api(conn: &mut AsyncPgConnection, rows: &[MessageRow]) -> QueryResult<Vec<Message>> {
    let extras = Extras::load(conn, rows).await?;
    Ok(rows.iter().map(|row| extras.message(row)).collect())
}

/// What messages carry beyond their own rows: reactions, files, mentions, and the quote
/// of the message each reply answers. Tombstones carry none of it.
#[derive(Default)]
pub struct Extras {
    reactions: Vec<ReactionRow>,
    attachments: HashMap<Uuid, Vec<AttachmentRow>>,
    parents: HashMap<Uuid, MessageRow>,
    /// Sorted by user id.
    mentions: HashMap<Uuid, Vec<Uuid>>,
}

impl Extras {
    /// Those of `rows`: a query per kind whatever the count, none when nothing needs it.
    pub async fn load(conn: &mut AsyncPgConnection, rows: &[MessageRow]) -> QueryResult<Self> {
        let live: Vec<&MessageRow> = rows.iter().filter(|m| m.deleted_at.is_none()).collect();
        if live.is_empty() {
            return Ok(Self::default());
        }
        let ids: Vec<Uuid> = live.iter().map(|m| m.id).collect();
        let reactions = reaction_rows(conn, &ids).await?;
        let mut attachments: HashMap<Uuid, Vec<AttachmentRow>> = HashMap::new();
        for row in super::attachments::for_messages(conn, &ids).await? {
            if let Some(message_id) = row.message_id {
                attachments.entry(message_id).or_default().push(row);
            }
        }
        let parent_ids: Vec<Uuid> = live.iter().filter_map(|m| m.reply_to).collect();
        let parents = by_ids(conn, &parent_ids).await?;
        let mut mentions: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (message_id, user_id) in message_mentions::table
            .filter(message_mentions::message_id.eq_any(&ids))
            .order((message_mentions::message_id, message_mentions::user_id))
            .select((message_mentions::message_id, message_mentions::user_id))
            .load::<(Uuid, Uuid)>(conn)
            .await?
        {
            mentions.entry(message_id).or_default().push(user_id);
        }
        Ok(Self { reactions, attachments, parents, mentions })
    }

    /// `row` as clients see it.
    pub fn message(&self, row: &MessageRow) -> Message {
        let mut message = row.to_api();
        if message.deleted {
            return message;
        }
        message.reactions = group_reactions(self.reactions.iter().filter(|r| r.message_id == row.id));
        message.attachments = self
            .attachments
            .get(&row.id)
            .map_or_else(Vec::new, |a| a.iter().map(AttachmentRow::to_api).collect());
        message.reply_to = row.reply_to.and_then(|id| self.parents.get(&id)).map(MessageRow::preview);
        message.mentions =
            self.mentions.get(&row.id).map_or_else(Vec::new, |ids| ids.iter().copied().map(UserId).collect());
        message
    }
}

async fn reaction_rows(conn: &mut AsyncPgConnection, message_ids: &[Uuid]) -> QueryResult<Vec<ReactionRow>> {
    message_reactions::table
        .filter(message_reactions::message_id.eq_any(message_ids))
        .order((message_reactions::created_at.asc(), message_reactions::user_id))
        .select(ReactionRow::as_select())
        .load(conn)
        .await
}

fn group_reactions<'a>(rows: impl Iterator<Item = &'a ReactionRow>) -> Vec<Reaction> {
    let mut grouped: Vec<Reaction> = Vec::new();
    for row in rows {
        match grouped.iter_mut().find(|r| r.emoji == row.emoji) {
            Some(reaction) => reaction.user_ids.push(UserId(row.user_id)),
            None => grouped.push(Reaction { emoji: row.emoji.clone(), user_ids: vec![UserId(row.user_id)] }),
        }
    }
    grouped
}
