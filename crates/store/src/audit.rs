//! The audit log: append-only and hash-chained. Each entry's hash covers the previous
//! entry's hash and every field of the entry, so that any edit, deletion or insertion in
//! the middle breaks the chain at that point.
//!
//! **Invariants:** a write's entry is appended in the write's own transaction. A read's
//! entry waits in the read's snapshot transaction and is appended, with those of other
//! reads (group commit), when that transaction commits — before its answer may leave
//! the server (`Store::audited_read`).
//!
//! The chain is kept in two logs (see `read_audit` for why): `audit_log`, the entries
//! appended in writing transactions, and `audit_read_log`, those of the audited reads'
//! group commits. Entries are numbered across both; each log has its head
//! (`audit_head`, `audit_read_head`), and the chain's tip is the later of the two.
//! Taking the lock of `audit_head` first serialises appenders, so the chain stays
//! strict.

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

/// The hash an empty chain's first entry links to.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which log an append goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Log {
    /// `audit_log`: entries appended in a writing transaction (with the data they tell
    /// of).
    Writes,
    /// `audit_read_log`: the group commit of audited reads' entries.
    Reads,
}

impl Log {
    fn table(self) -> &'static str {
        match self {
            Log::Writes => "audit_log",
            Log::Reads => "audit_read_log",
        }
    }

    fn head(self) -> &'static str {
        match self {
            Log::Writes => "audit_head",
            Log::Reads => "audit_read_head",
        }
    }
}

/// Takes the chain for an append to `log`: locks it (the row of `audit_head`, whichever
/// the log, so that appenders of both logs wait for each other) and returns its tip,
/// the later of the two heads. On SQLite the writer's `BEGIN IMMEDIATE` already holds
/// both files' write locks, and an append of reads must not write the main file (its
/// commit would make every reading connection drop its cache), so there it only reads.
async fn take_tip(tx: &mut Tx, log: Log) -> Result<(i64, String), Error> {
    // For a group commit of reads on SQLite, both heads in one statement (one round
    // trip to the connection's worker fewer per commit).
    let sql = match (log, tx.engine()) {
        // Writing the row takes its lock on PostgreSQL; on SQLite the main file is
        // being written anyway.
        (Log::Writes, _) => {
            let writes: (i64, String) = on_tx!(tx, c => sqlx::query_as(
                "UPDATE audit_head SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash"
            ).fetch_one(c).await.map_err(db_err))?;
            let reads: (i64, String) = on_tx!(tx, c => sqlx::query_as(
                "SELECT last_seq, last_hash FROM audit_read_head WHERE id = 1"
            ).fetch_one(c).await.map_err(db_err))?;
            return Ok(if reads.0 > writes.0 { reads } else { writes });
        }
        // The lock first, then the head of the reads in a statement of its own: under
        // `READ COMMITTED` a statement that waited for the lock reads the locked row
        // again in its newest version, but not the other rows of its join, which it
        // read before it waited — another server's appender may have moved the head of
        // the reads meanwhile (found by the test of two servers at once).
        (Log::Reads, crate::Engine::Postgres) => {
            let writes: (i64, String) = on_tx!(tx, c => sqlx::query_as(
                "SELECT last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE"
            ).fetch_one(c).await.map_err(db_err))?;
            let reads: (i64, String) = on_tx!(tx, c => sqlx::query_as(
                "SELECT last_seq, last_hash FROM audit_read_head WHERE id = 1"
            ).fetch_one(c).await.map_err(db_err))?;
            return Ok(if reads.0 > writes.0 { reads } else { writes });
        }
        (Log::Reads, crate::Engine::Sqlite) => {
            "SELECT w.last_seq, w.last_hash, r.last_seq, r.last_hash \
             FROM audit_head w, audit_read_head r WHERE w.id = 1 AND r.id = 1"
        }
    };
    let (ws, wh, rs, rh): (i64, String, i64, String) =
        on_tx!(tx, c => sqlx::query_as(sql).fetch_one(c).await.map_err(db_err))?;
    Ok(if rs > ws { (rs, rh) } else { (ws, wh) })
}

/// Moves `log`'s head to entry `seq` with `hash`.
async fn set_head(tx: &mut Tx, log: Log, seq: i64, hash: &str) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {} SET last_seq = $1, last_hash = $2 WHERE id = 1",
        log.head()
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(seq).bind(hash)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Appends one entry to the chain, inside `tx` (in an audited read: when it commits;
/// the number is then 0).
pub async fn append(tx: &mut Tx, e: &NewEntry<'_>) -> Result<i64, Error> {
    if let Some(p) = tx.pending() {
        p.entries.push(OwnedEntry::of(e));
        return Ok(0);
    }
    let (last, prev) = take_tip(tx, Log::Writes).await?;
    let seq = last + 1;
    let hash = insert_entry(tx, e, seq, &prev).await?;
    set_head(tx, Log::Writes, seq, &hash).await?;
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
    append_to(tx, Log::Writes, entries).await.map(|_| ())
}

/// Appends a group of audited reads' entries to the log of reads, inside `tx` (the
/// group commit's own transaction); returns the chain's new tip.
pub(crate) async fn append_reads(
    tx: &mut Tx,
    entries: Vec<NewEntry<'_>>,
) -> Result<Option<Tip>, Error> {
    if entries.is_empty() {
        return Ok(None);
    }
    append_to(tx, Log::Reads, entries).await.map(Some)
}

/// The most entries `append_reads_after` writes in its one statement (12 parameters
/// each, well under PostgreSQL's 65,535).
const ONE_STATEMENT_ROWS: usize = 1000;

/// The last entry of the chain: its number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tip {
    pub seq: i64,
    pub hash: String,
}

/// The columns of both logs, in the order `chain` makes the rows' values.
const COLUMNS: [&str; 12] = [
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
];

async fn append_to(tx: &mut Tx, log: Log, entries: Vec<NewEntry<'_>>) -> Result<Tip, Error> {
    let (seq, prev) = take_tip(tx, log).await?;
    let (rows, tip) = chain(Tip { seq, hash: prev }, entries);
    // Prepared, so that the rows' texts move into the statements instead of being
    // copied again by the driver.
    crate::bulk::Prepared::new(tx.engine(), log.table(), &COLUMNS, rows, None)?
        .run(tx)
        .await?;
    set_head(tx, log, tip.seq, &tip.hash).await?;
    Ok(tip)
}

/// The rows of `entries` chained after `tip` (values in the order of [`COLUMNS`]), and
/// the new tip.
fn chain(tip: Tip, entries: Vec<NewEntry<'_>>) -> (Vec<Vec<crate::bulk::V>>, Tip) {
    use crate::bulk::V;
    let Tip {
        mut seq,
        hash: mut prev,
    } = tip;
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
    (rows, Tip { seq, hash: prev })
}

/// PostgreSQL: appends a group of audited reads' entries after `tip` — the entry this
/// server's appender wrote last — in one statement, its own transaction (one round trip
/// to the server instead of five: `BEGIN`, the heads, the rows, the head, `COMMIT`).
/// The statement takes the chain's lock (the row of `audit_head`, as `take_tip`), then
/// moves the head of the log of reads only if the chain still ends at `tip`, and
/// inserts the rows only if it moved it. Returns the new tip, or `None` when the chain
/// has grown meanwhile (a write, or another server's reads): nothing is written then,
/// and the caller takes the chain the long way (`append_reads`).
///
/// Under `READ COMMITTED` a row locked or updated by a transaction that committed while
/// the statement waited is read again in its newest version (the lock on
/// `audit_head`; the update of `audit_read_head` checks its conditions again on the
/// newest row), so a tip that moved while it waited is seen.
pub(crate) async fn append_reads_after(
    c: &mut sqlx::PgConnection,
    tip: &Tip,
    entries: Vec<NewEntry<'_>>,
) -> Result<Option<Tip>, Error> {
    if entries.is_empty() {
        return Ok(Some(tip.clone()));
    }
    // A group too large for one statement's parameters goes the long way.
    if entries.len() > ONE_STATEMENT_ROWS {
        return Ok(None);
    }
    let (rows, new) = chain(tip.clone(), entries);
    let width = COLUMNS.len();
    let mut sql = format!(
        "WITH w AS (SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE), \
         h AS (UPDATE audit_read_head SET last_seq = $1, last_hash = $2 \
           WHERE id = 1 AND last_seq = $3 AND last_hash = $4 AND (SELECT last_seq FROM w) < $3 RETURNING 1) \
         INSERT INTO {} ({}) SELECT * FROM (VALUES ",
        Log::Reads.table(),
        COLUMNS.join(", ")
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for j in 0..width {
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", 5 + i * width + j));
        }
        sql.push(')');
    }
    sql.push_str(&format!(
        ") AS v ({}) WHERE EXISTS (SELECT 1 FROM h)",
        COLUMNS.join(", ")
    ));
    let q = sqlx::query(&sql)
        .bind(new.seq)
        .bind(new.hash.as_str())
        .bind(tip.seq)
        .bind(tip.hash.as_str());
    let q = crate::bulk::bind_all!(q, &rows);
    let n = q
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        .map_err(db_err)?;
    Ok((n > 0).then_some(new))
}

/// The number of the last entry of the log of writes as `tx` sees it (0 for an empty
/// log). Every write of person data appends an entry there in its own transaction, so
/// entries of that log after this number are exactly the writes `tx` does not see.
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
    let list = crate::placeholders(2, actions.len());
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
    // Both logs, each cut at the page's last row before they are merged (each is read
    // newest first on its own index).
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let branch = |table: &str| {
        format!(
            "SELECT * FROM (SELECT {ENTRY_COLUMNS} FROM {table} {filter} ORDER BY seq DESC LIMIT ${}) {table}",
            n + 3
        )
    };
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM ({} UNION ALL {}) entries ORDER BY seq DESC LIMIT ${} OFFSET ${}",
        branch("audit_log"),
        branch("audit_read_log"),
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
        q.bind(page.limit() + 1).bind(page.offset()).bind(page.offset() + page.limit() + 1)
            .fetch_all(c).await.map_err(db_err)
    })?;
    Ok(Page::from_overfetch(rows, page))
}

/// At most this many ids are looked for in one statement of [`mentioning`].
const MENTIONS_PER_STATEMENT: usize = 40;

/// Entries of both logs at or after `since` whose detail names one of `ids` (a list
/// read records whose people it showed there: the cases of a course's candidates, a
/// search's results), newest first, at most `limit`. It reads every entry since
/// `since`: for the rare questions that need it (a person's subject access), not for
/// pages.
pub async fn mentioning(
    tx: &mut Tx,
    ids: &[Uuid],
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    for chunk in ids.chunks(MENTIONS_PER_STATEMENT) {
        let likes = (0..chunk.len())
            .map(|i| format!("detail LIKE ${}", i + 3))
            .collect::<Vec<_>>()
            .join(" OR ");
        let branch = |table: &str| {
            format!(
                "SELECT * FROM (SELECT {ENTRY_COLUMNS} FROM {table} WHERE at >= $1 AND ({likes}) ORDER BY seq DESC LIMIT $2) {table}"
            )
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ({} UNION ALL {}) entries ORDER BY seq DESC LIMIT $2",
            branch("audit_log"),
            branch("audit_read_log"),
        );
        let rows: Vec<Entry> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(&sql).bind(since).bind(limit);
            for id in chunk {
                // A uuid's text has no `%` or `_`: the pattern is the id itself.
                q = q.bind(format!("%{id}%"));
            }
            q.fetch_all(c).await.map_err(db_err)
        })?;
        out.extend(rows);
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.seq));
    out.dedup_by_key(|e| e.seq);
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
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

/// The columns of an entry, in `Entry`'s order.
const ENTRY_COLUMNS: &str = "seq, at, actor_user_id, actor_organisation_id, action, entity, entity_id, request_id, client_addr, detail, prev_hash, hash";

/// One log's entries in order of number, read in batches.
struct Cursor {
    table: &'static str,
    buffered: std::collections::VecDeque<Entry>,
    next: i64,
    done: bool,
}

impl Cursor {
    fn of(log: Log) -> Cursor {
        Cursor {
            table: log.table(),
            buffered: std::collections::VecDeque::new(),
            next: 1,
            done: false,
        }
    }

    /// The number of the next entry (None at the end of the log).
    async fn peek(&mut self, tx: &mut Tx) -> Result<Option<i64>, Error> {
        if self.buffered.is_empty() && !self.done {
            const BATCH: usize = 5000;
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM {} WHERE seq >= $1 ORDER BY seq LIMIT {BATCH}",
                self.table
            );
            let batch: Vec<Entry> = on_tx!(tx, c => sqlx::query_as(&sql)
                .bind(self.next).fetch_all(c).await.map_err(db_err))?;
            self.done = batch.len() < BATCH;
            if let Some(last) = batch.last() {
                self.next = last.seq + 1;
            }
            self.buffered.extend(batch);
        }
        Ok(self.buffered.front().map(|e| e.seq))
    }
}

/// Recomputes the whole chain, in batches, and says where it first breaks: both logs,
/// merged in order of number.
pub async fn verify(store: &Store) -> Result<Verification, Error> {
    // One snapshot: the heads and every batch as they stood together (on PostgreSQL a
    // plain transaction would see the entries appended meanwhile, past the heads read).
    // On SQLite each file's snapshot begins at its first read: both are taken in the
    // writer's turn, so that no append falls between them (a write seen without the
    // read entry it follows would look like a gap).
    let mut tx = store.snapshot().await?;
    let turn = match tx.engine() {
        crate::Engine::Sqlite => Some(store.writer.exclusive().await),
        crate::Engine::Postgres => None,
    };
    let writes: (i64, String) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1"
    ).fetch_one(c).await.map_err(db_err))?;
    let reads: (i64, String) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT last_seq, last_hash FROM audit_read_head WHERE id = 1"
    ).fetch_one(c).await.map_err(db_err))?;
    drop(turn);
    let head = if reads.0 > writes.0 { reads } else { writes };
    let mut logs = [Cursor::of(Log::Writes), Cursor::of(Log::Reads)];
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut count = 0i64;
    let broken = |seq: i64, count: i64, why: &str| Verification {
        entries: count,
        intact: false,
        broken_at: Some(seq),
        problem: Some(why.to_string()),
    };
    loop {
        // The log whose next entry has the lower number.
        let mut pick: Option<(usize, i64)> = None;
        for (i, log) in logs.iter_mut().enumerate() {
            if let Some(seq) = log.peek(&mut tx).await? {
                if seq <= head.0 && pick.is_none_or(|(_, s)| seq < s) {
                    pick = Some((i, seq));
                }
            }
        }
        let Some(e) = pick.and_then(|(i, _)| logs.get_mut(i)?.buffered.pop_front()) else {
            break;
        };
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
        "SELECT (SELECT COUNT(*) FROM audit_log WHERE actor_user_id = $1 AND action = $2 AND at >= $3) \
              + (SELECT COUNT(*) FROM audit_read_log WHERE actor_user_id = $1 AND action = $2 AND at >= $3)"
    ).bind(user).bind(action).bind(since).fetch_one(c).await.map_err(db_err))
}
