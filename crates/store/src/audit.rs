//! The audit log: append-only and hash-chained. Each entry's hash covers the previous
//! entry's hash and every field of the entry, so that any edit, deletion or insertion in
//! the middle breaks the chain at that point.
//!
//! **Invariants:** a write's entry is appended in the write's own transaction. A read's
//! entry waits in the read's snapshot transaction and is appended, with those of other
//! reads (group commit), when that transaction commits — before its answer may leave
//! the server (`Store::audited_read`). `audit_head` holds the chain's tip; updating it
//! first serialises appenders, so the chain stays strict.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use itinera_domain::{Error, Page, PageRequest};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{db_err, on_tx, Store, Tx};

#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub request_id: &'a str,
    pub client_addr: &'a str,
    pub detail: String,
}

/// An entry kept until it is appended (an audited read's).
#[derive(Debug, Clone)]
pub struct OwnedEntry {
    at: DateTime<Utc>,
    actor_user_id: Option<Uuid>,
    actor_organisation_id: Option<Uuid>,
    action: String,
    entity: String,
    entity_id: Option<Uuid>,
    request_id: String,
    client_addr: String,
    detail: String,
}

impl OwnedEntry {
    fn of(e: &NewEntry<'_>) -> Self {
        OwnedEntry {
            at: e.at,
            actor_user_id: e.actor_user_id,
            actor_organisation_id: e.actor_organisation_id,
            action: e.action.to_string(),
            entity: e.entity.to_string(),
            entity_id: e.entity_id,
            request_id: e.request_id.to_string(),
            client_addr: e.client_addr.to_string(),
            detail: e.detail.clone(),
        }
    }

    pub(crate) fn as_new(&self) -> NewEntry<'_> {
        NewEntry {
            at: self.at,
            actor_user_id: self.actor_user_id,
            actor_organisation_id: self.actor_organisation_id,
            action: &self.action,
            entity: &self.entity,
            entity_id: self.entity_id,
            request_id: &self.request_id,
            client_addr: &self.client_addr,
            detail: self.detail.clone(),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub request_id: String,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
fn chain_hash(
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    org: Option<Uuid>,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    request_id: &str,
    client_addr: &str,
    detail: &str,
) -> String {
    chain_hash_of(
        prev,
        seq,
        &Texts::of(at, actor, org),
        action,
        entity,
        entity_id,
        request_id,
        client_addr,
        detail,
    )
}

/// The texts an entry's hash takes of its time and actor: the same for every entry of
/// one request, so `append_many` makes them once.
struct Texts {
    of: (DateTime<Utc>, Option<Uuid>, Option<Uuid>),
    at: String,
    actor: String,
    org: String,
}

impl Texts {
    fn of(at: DateTime<Utc>, actor: Option<Uuid>, org: Option<Uuid>) -> Texts {
        let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
        Texts {
            of: (at, actor, org),
            at: at.to_rfc3339_opts(SecondsFormat::Micros, true),
            actor: opt(actor),
            org: opt(org),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn chain_hash_of(
    prev: &str,
    seq: i64,
    texts: &Texts,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    request_id: &str,
    client_addr: &str,
    detail: &str,
) -> String {
    let mut id = Uuid::encode_buffer();
    let entity_id = entity_id.map_or("", |u| u.hyphenated().encode_lower(&mut id));
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &texts.at,
        &texts.actor,
        &texts.org,
        action,
        entity,
        entity_id,
        request_id,
        client_addr,
        detail,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends one entry to the chain, inside `tx` (in an audited read: when it commits;
/// the number is then 0).
pub async fn append(tx: &mut Tx, e: &NewEntry<'_>) -> Result<i64, Error> {
    if let Some(p) = tx.pending() {
        p.entries.push(OwnedEntry::of(e));
        return Ok(0);
    }
    // The head row is locked first, which serialises appenders.
    let (seq, prev): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash"
    ).fetch_one(c).await.map_err(db_err))?;
    let hash = insert_entry(tx, e, seq, &prev).await?;
    on_tx!(tx, c => sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&hash).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(seq)
}

/// Appends entries to the chain in order, inside `tx`, in as few statements as the
/// bulk path allows (an import's thousands of entries).
pub async fn append_many(tx: &mut Tx, entries: Vec<NewEntry<'_>>) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    if let Some(p) = tx.pending() {
        p.entries.extend(entries.iter().map(OwnedEntry::of));
        return Ok(());
    }
    let n = i64::try_from(entries.len()).map_err(|e| Error::Internal(e.to_string()))?;
    // Takes the numbers of all entries at once (the head row stays locked).
    let (last, prev): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq, last_hash"
    ).bind(n).fetch_one(c).await.map_err(db_err))?;
    let mut seq = last - n;
    let mut prev = prev;
    let mut rows = Vec::with_capacity(entries.len());
    let mut texts: Option<Texts> = None;
    for e in entries {
        seq += 1;
        let key = (e.at, e.actor_user_id, e.actor_organisation_id);
        let t = match texts {
            Some(ref t) if t.of == key => t,
            _ => texts.insert(Texts::of(key.0, key.1, key.2)),
        };
        let hash = chain_hash_of(
            &prev,
            seq,
            t,
            e.action,
            e.entity,
            e.entity_id,
            e.request_id,
            e.client_addr,
            &e.detail,
        );
        use crate::bulk::V;
        rows.push(vec![
            V::I64(seq),
            V::Ts(e.at),
            V::OptUuid(e.actor_user_id),
            V::OptUuid(e.actor_organisation_id),
            V::Text(e.action.to_string()),
            V::Text(e.entity.to_string()),
            V::OptUuid(e.entity_id),
            V::Text(e.request_id.to_string()),
            V::Text(e.client_addr.to_string()),
            V::Text(e.detail),
            V::Text(std::mem::replace(&mut prev, hash.clone())),
            V::Text(hash),
        ]);
    }
    // Prepared, so that the rows' texts move into the statements instead of being
    // copied again by the driver.
    crate::bulk::Prepared::new(
        tx.engine(),
        "audit_log",
        &[
            "seq",
            "at",
            "actor_user_id",
            "actor_organisation_id",
            "action",
            "entity",
            "entity_id",
            "request_id",
            "client_addr",
            "detail",
            "prev_hash",
            "hash",
        ],
        rows,
        None,
    )?
    .run(tx)
    .await?;
    on_tx!(tx, c => sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// The number of the chain's last entry as `tx` sees it (0 for an empty log). Every
/// write of person data appends an entry in its own transaction, so entries after
/// this number are exactly the writes `tx` does not see.
pub async fn tip(tx: &mut Tx) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
        .fetch_one(c).await.map_err(db_err))
}

/// The entries after `seq` with one of `actions`: (action, entity id).
pub async fn since(
    tx: &mut Tx,
    seq: i64,
    actions: &[&str],
) -> Result<Vec<(String, Option<Uuid>)>, Error> {
    let list = (0..actions.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT action, entity_id FROM audit_log WHERE seq > $1 AND action IN ({list}) ORDER BY seq"
    );
    on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql).bind(seq);
        for a in actions {
            q = q.bind(*a);
        }
        q.fetch_all(c).await.map_err(db_err)
    })
}

/// Writes entry `seq` after `prev`; returns its hash.
async fn insert_entry(
    tx: &mut Tx,
    e: &NewEntry<'_>,
    seq: i64,
    prev: &str,
) -> Result<String, Error> {
    let hash = chain_hash(
        prev,
        seq,
        e.at,
        e.actor_user_id,
        e.actor_organisation_id,
        e.action,
        e.entity,
        e.entity_id,
        e.request_id,
        e.client_addr,
        &e.detail,
    );
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor_organisation_id, action, entity, entity_id, request_id, client_addr, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(seq).bind(e.at).bind(e.actor_user_id).bind(e.actor_organisation_id)
    .bind(e.action).bind(e.entity).bind(e.entity_id).bind(e.request_id)
    .bind(e.client_addr).bind(&e.detail).bind(prev).bind(&hash)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(hash)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_user_id: Option<Uuid>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Entries matching `f`, newest first.
pub async fn list(tx: &mut Tx, f: &Filter, page: PageRequest) -> Result<Page<Entry>, Error> {
    let from = f
        .from
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let to =
        f.to.and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
    // Only the filters given are in the statement (a `($n IS NULL OR …)` form keeps
    // either engine from using the indexes on the log's columns).
    let mut conds: Vec<String> = Vec::new();
    let mut n = 0;
    let mut next = |cond: &str| {
        n += 1;
        conds.push(cond.replace('?', &format!("${n}")));
    };
    if f.actor_user_id.is_some() {
        next("actor_user_id = ?");
    }
    if f.action.is_some() {
        next("action = ?");
    }
    if f.entity.is_some() {
        next("entity = ?");
    }
    if f.entity_id.is_some() {
        next("entity_id = ?");
    }
    if from.is_some() {
        next("at >= ?");
    }
    if to.is_some() {
        next("at < ?");
    }
    let sql = format!(
        "SELECT seq, at, actor_user_id, actor_organisation_id, action, entity, entity_id, request_id, client_addr, detail, prev_hash, hash \
         FROM audit_log {} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
        if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        },
        n + 1,
        n + 2
    );
    let rows: Vec<Entry> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql);
        if let Some(v) = f.actor_user_id { q = q.bind(v); }
        if let Some(v) = f.action.as_deref() { q = q.bind(v); }
        if let Some(v) = f.entity.as_deref() { q = q.bind(v); }
        if let Some(v) = f.entity_id { q = q.bind(v); }
        if let Some(v) = from { q = q.bind(v); }
        if let Some(v) = to { q = q.bind(v); }
        q.bind(page.limit() + 1).bind(page.offset()).fetch_all(c).await.map_err(db_err)
    })?;
    Ok(Page::from_overfetch(rows, page))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: i64,
    pub intact: bool,
    /// The first entry whose hash or link does not hold.
    pub broken_at: Option<i64>,
    /// What is wrong there: `missing` (an entry is gone), `link` (an entry does not
    /// name the hash of the one before), `altered` (an entry's hash is not of its
    /// contents) or `truncated` (entries were removed from the end).
    pub problem: Option<String>,
}

/// Recomputes the whole chain, in batches, and says where it first breaks.
pub async fn verify(store: &Store) -> Result<Verification, Error> {
    // One snapshot: the head and every batch as they stood together (on PostgreSQL a
    // plain transaction would see the entries appended meanwhile, past the head read).
    let mut tx = store.snapshot().await?;
    let head: (i64, String) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1"
    ).fetch_one(c).await.map_err(db_err))?;
    let mut prev_hash = "0".repeat(64);
    let mut expected_seq = 1i64;
    let mut count = 0i64;
    let broken = |seq: i64, count: i64, why: &str| Verification {
        entries: count,
        intact: false,
        broken_at: Some(seq),
        problem: Some(why.to_string()),
    };
    loop {
        let batch: Vec<Entry> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT seq, at, actor_user_id, actor_organisation_id, action, entity, entity_id, request_id, client_addr, detail, prev_hash, hash \
             FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 5000"
        ).bind(expected_seq).fetch_all(c).await.map_err(db_err))?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            count += 1;
            if e.seq != expected_seq {
                tx.rollback().await?;
                return Ok(broken(expected_seq, count, "missing"));
            }
            if e.prev_hash != prev_hash {
                tx.rollback().await?;
                return Ok(broken(e.seq, count, "link"));
            }
            let h = chain_hash(
                &e.prev_hash,
                e.seq,
                e.at,
                e.actor_user_id,
                e.actor_organisation_id,
                &e.action,
                &e.entity,
                e.entity_id,
                &e.request_id,
                &e.client_addr,
                &e.detail,
            );
            if h != e.hash {
                tx.rollback().await?;
                return Ok(broken(e.seq, count, "altered"));
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
    }
    tx.rollback().await?;
    if head.0 != expected_seq - 1 || head.1 != prev_hash {
        return Ok(broken(expected_seq, count, "truncated"));
    }
    Ok(Verification {
        entries: count,
        intact: true,
        broken_at: None,
        problem: None,
    })
}

/// How many entries of `action` `user` made since `since`.
pub async fn count_by(
    tx: &mut Tx,
    user: Uuid,
    action: &str,
    since: DateTime<Utc>,
) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE actor_user_id = $1 AND action = $2 AND at >= $3"
    ).bind(user).bind(action).bind(since).fetch_one(c).await.map_err(db_err))
}
