//! Itinera's storage: one schema and one code path for SQLite and PostgreSQL.
//!
//! Every query is written once, in SQL that both engines accept (numbered `$n`
//! placeholders, `RETURNING`, partial indexes), and run through [`on_tx!`], which
//! compiles the same statement for the two sqlx drivers. Repositories take a [`Tx`]: all
//! work of a request, and its audit rows, happen in one transaction.

pub mod access;
pub mod admin;
pub mod assessments;
pub mod audit;
pub mod benefits;
pub mod boards;
pub mod bulk;
pub mod caseload;
pub mod cases;
mod checkpoint;
pub mod compliance;
pub mod consents;
mod group;
pub mod holidays;
pub mod households;
pub mod read_audit;
pub use group::GroupStats;
pub mod contacts;
pub mod coordination;
pub mod coordination_report;
pub mod dashboard;
pub mod deployment;
pub mod esf;
pub mod failover;
pub mod imports;
pub mod incidents;
pub mod itineraries;
pub mod linkage;
pub mod mail;
pub mod objectives;
pub mod participants;
pub mod placements;
pub mod privacy;
pub mod protocols;
pub mod referrals;
pub mod resources;
pub mod schema;
pub mod second_factor;
pub mod secrets;
pub mod sessions;
pub mod subject_rights;
pub mod training;
pub mod worklist;

use std::str::FromStr;
use std::time::Duration;

use itinera_domain::Error;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, Postgres, Sqlite, SqlitePool};

/// Runs `$body` with `$c` bound to the transaction's connection, whichever the engine.
/// The body is compiled once per driver, so it must be engine-neutral SQL.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => match t.conn() {
                Ok($c) => $body,
                Err(e) => Err(e),
            },
            $crate::Tx::Postgres(t) | $crate::Tx::PostgresRead(t, _) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::PostgresSingle(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// How many ids one statement's `IN (…)` list carries.
pub(crate) const IDS_PER_STATEMENT: usize = 200;

/// The placeholders `$first, …` of an `IN (…)` list of `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The rows a statement whose only parameters are ids returns for `ids`, a statement
/// per [`IDS_PER_STATEMENT`] of them: `sql` makes it from its `IN (…)` list.
pub(crate) async fn rows_for_ids<T>(
    tx: &mut Tx,
    ids: &[uuid::Uuid],
    sql: impl Fn(&str) -> String,
) -> Result<Vec<T>, Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = sql(&placeholders(1, chunk.len()));
        let rows: Vec<T> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await.map_err(db_err)
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// The page cache of each reading SQLite connection (MB).
const READER_CACHE_MB: u64 = 16;

/// A PostgreSQL connection idle this long is pinged before it is handed out again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How much of the database file each reading SQLite connection maps (SQLite's
/// compiled-in limit: a larger value is taken as this).
const READER_MMAP_BYTES: u64 = 0x7fff_0000;

/// The engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pools {
    /// SQLite: the one connection that writes (data writes and the group transactions
    /// of audited reads), and the connections that only read.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// Copies the write-ahead log back into the database file, off the writer.
        checkpointer: std::sync::Arc<checkpoint::Checkpointer>,
    },
    Postgres(PgPool),
}

/// The database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
    /// SQLite's one writer: the queue of this process's writers (see `group`).
    writer: group::Writer,
    /// The group commit of audited reads' entries, on either engine (see `group`).
    appender: group::Appender,
}

/// One transaction on either engine.
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// An audited read on PostgreSQL: a read-only snapshot whose audit entries wait to
    /// be appended when it ends (see `Store::audited_read`).
    PostgresRead(sqlx::Transaction<'static, Postgres>, Box<Pending>),
    /// A pooled connection for one read statement (`Store::single`): no `BEGIN`, no
    /// `ROLLBACK`, the statement is its own transaction.
    PostgresSingle(sqlx::pool::PoolConnection<Postgres>),
}

/// The audit entries of an audited read, appended (group commit) when it commits.
pub struct Pending {
    pub(crate) entries: Vec<audit::OwnedEntry>,
    store: Store,
    /// Counted among the reads under way until it hands in its entries.
    flight: group::Flight,
}

/// A SQLite transaction: one of its own (a data write holds the writer's turn until it
/// ends; a plain read needs none), or an audited read (a snapshot on a reading
/// connection whose audit entries wait to be appended when it ends).
pub enum SqliteTx {
    Own(sqlx::Transaction<'static, Sqlite>, Option<group::Turn>),
    Read(sqlx::Transaction<'static, Sqlite>, Box<Pending>),
    /// A pooled connection for one read statement: no `BEGIN`, no `ROLLBACK`.
    Single(sqlx::pool::PoolConnection<Sqlite>),
}

impl SqliteTx {
    pub fn conn(&mut self) -> Result<&mut sqlx::SqliteConnection, Error> {
        match self {
            SqliteTx::Own(t, _) => Ok(&mut **t),
            SqliteTx::Read(t, _) => Ok(&mut **t),
            SqliteTx::Single(c) => Ok(&mut **c),
        }
    }
}

/// Maps a database error to the domain's: unique violations become conflicts (named by
/// the constraint where the engine names it); a database that cannot be reached or
/// cannot write just now (a lost connection, a server shutting down or starting, a
/// standby reached during a failover) is `Unavailable` (503: nothing was kept, try
/// again); everything else is internal.
pub fn db_err(e: sqlx::Error) -> Error {
    if is_unavailable(&e) {
        return Error::Unavailable(e.to_string());
    }
    if let sqlx::Error::Database(d) = &e {
        if matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation) {
            return Error::Conflict(match d.constraint() {
                // (The second name: the key before migration 32.)
                Some(
                    "participant_documents_number_key" | "participant_documents_org_kind_number",
                ) => "participant.document.exists",
                Some("cases_one_live_per_programme") => "case.already_open",
                Some("referrals_one_open") => "referral.already_open",
                Some("users_username") => "user.username.exists",
                Some("public_holidays_national_day" | "public_holidays_territory_day") => {
                    "holiday.duplicate"
                }
                _ => "error.conflict",
            });
        }
    }
    Error::Internal(e.to_string())
}

/// Whether `e` says the database is away rather than that the statement is wrong.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 08: connection exception; 57P01–57P03: the server is shutting down,
            // crashed or starting; 25006: a read-only transaction (a standby).
            c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing; WAL, foreign keys,
    /// `synchronous=FULL`) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, Error> {
        Self::connect_with_cache(url, 128).await
    }

    /// Like `connect`, with a page cache of `cache_mb` on SQLite's writing connection
    /// (128 MB by default): bulk loads into a large database go faster with a cache that
    /// holds the indexes.
    pub async fn connect_with_cache(url: &str, cache_mb: u32) -> Result<Store, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10));
            let pool = if let Some(hosts) = failover::parse(url) {
                // Several hosts (a pg_auto_failover formation): the pool follows the
                // primary (see `failover`).
                let opts = failover::options(&hosts)?;
                let Some((i, primary, probe)) =
                    failover::find_primary(&opts, hosts.connect_timeout).await
                else {
                    return Err(Error::Unavailable(format!(
                        "no primary among the {} hosts of the database address",
                        opts.len()
                    )));
                };
                // Each connection is pinged before it is handed out (sqlx's default),
                // under `acquire_timeout`: a primary lost without its connections being
                // reset (a partition, a power cut) is then found within that time.
                let pool = options
                    .after_connect(|c, _| Box::pin(failover::refuse_standby(c)))
                    .connect_with(primary)
                    .await
                    .map_err(db_err)?;
                failover::watch(
                    pool.clone(),
                    opts,
                    hosts.connect_timeout,
                    std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(i)),
                    Some(probe),
                );
                pool
            } else {
                // Statement logs would print every query at INFO; request logs suffice
                // (unless `ITINERA_SLOW_SQL_US` asks for the slow ones).
                let opts = slow_statement_log(PgConnectOptions::from_str(url).map_err(db_err)?);
                // sqlx pings a connection when it comes back to the pool (a round trip
                // that also finds a broken one) and, by default, once more before
                // handing it out. With one host, the second ping is kept only for a
                // connection idle long enough for the server to have gone away
                // meanwhile (a restart): on a busy server a connection comes back and
                // goes out again within milliseconds, and that ping was one more round
                // trip per transaction. (With several hosts every connection is pinged:
                // see above.)
                options
                    .test_before_acquire(false)
                    .before_acquire(|c, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_AFTER_IDLE {
                                sqlx::Connection::ping(c).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(opts)
                    .await
                    .map_err(db_err)?
            };
            Ok(Store {
                pools: Pools::Postgres(pool),
                writer: group::Writer::default(),
                appender: group::Appender::default(),
            })
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory");
            let opts = slow_statement_log(opts);
            // One connection writes: data writes and the group transactions of audited
            // reads. It is the only one that commits, so its page cache stays valid
            // from one transaction to the next (in WAL mode a connection drops its
            // whole cache when another one has committed since its last transaction),
            // and it gets the large cache. The reading connections' caches are dropped
            // at every commit of the writer, so a small one serves them as well.
            // The audited reads' entries have a file of their own (see `read_audit`),
            // attached to every connection as `reads`.
            let reads = read_audit::path_of(path);
            // No ping before each acquire (sqlx's default): the connections are in
            // this process and cannot have been hung up on, and each ping is a round trip
            // to the connection's thread — three more per page view.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect({
                    let reads = reads.clone();
                    move |c, _| {
                        let reads = reads.clone();
                        Box::pin(async move { read_audit::attach(c, &reads, true).await })
                    }
                })
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", format!("-{}", u64::from(cache_mb) * 1024))
                        // Checkpoints are the checkpointer's (below); this is a backstop.
                        .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string()),
                )
                .await
                .map_err(db_err)?;
            let checkpointer = checkpoint::Checkpointer::start(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect({
                        let reads = reads.clone();
                        move |c, _| {
                            let reads = reads.clone();
                            Box::pin(async move { read_audit::attach(c, &reads, false).await })
                        }
                    })
                    .connect_lazy_with(opts.clone()),
            );
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |c, _| {
                    let reads = reads.clone();
                    Box::pin(async move { read_audit::attach(c, &reads, false).await })
                })
                // Reading connections cannot write (`query_only`): a write that strays into
                // a read fails loudly instead of being rolled back unseen.
                // They map the file (`mmap_size`, up to SQLite's own limit of 2 GB): a
                // page they read again after a commit dropped their cache, or that a
                // whole-programme report walks, comes from the kernel's page cache
                // without a copy into the connection's.
                .connect_with(
                    opts.pragma("cache_size", format!("-{}", READER_CACHE_MB * 1024))
                        .pragma("mmap_size", READER_MMAP_BYTES.to_string())
                        .pragma("query_only", "ON"),
                )
                .await
                .map_err(db_err)?;
            Ok(Store {
                pools: Pools::Sqlite {
                    write,
                    read,
                    checkpointer,
                },
                writer: group::Writer::default(),
                appender: group::Appender::default(),
            })
        } else {
            Err(Error::Internal(format!(
                "unsupported database URL (use sqlite://PATH or postgres://…): {}",
                url.split('@').next_back().unwrap_or("")
            )))
        }
    }

    /// SQLite: the longest time one transaction held the writer so far (from its
    /// turn to the end of its commit): the longest any other writer waited behind
    /// one. None on PostgreSQL (no one writer there).
    pub fn longest_writer_turn(&self) -> Option<Duration> {
        match self.pools {
            Pools::Sqlite { .. } => Some(self.writer.longest_turn()),
            Pools::Postgres(_) => None,
        }
    }

    /// Audited reads and the group commits that appended their entries.
    /// (See `slow_statement_log` for the statement log.)
    pub fn group_stats(&self) -> &GroupStats {
        self.appender.stats()
    }

    pub fn engine(&self) -> Engine {
        match self.pools {
            Pools::Sqlite { .. } => Engine::Sqlite,
            Pools::Postgres(_) => Engine::Postgres,
        }
    }

    /// A transaction that will write data. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that concurrent writers queue instead of failing, and its
    /// commit is flushed to disk (`synchronous = FULL`): durable against power loss.
    pub async fn write(&self) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { write: p, .. } => {
                let turn = self.writer.exclusive().await;
                Ok(Tx::Sqlite(SqliteTx::Own(
                    p.begin_with(
                        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; BEGIN IMMEDIATE",
                    )
                    .await
                    .map_err(db_err)?,
                    Some(turn),
                )))
            }
            Pools::Postgres(p) => Ok(Tx::Postgres(p.begin().await.map_err(db_err)?)),
        }
    }

    /// A write transaction for a bulk load that its writer guarantees consistent (the
    /// demo and benchmark seeding): on SQLite, without row-by-row foreign-key checks
    /// and without a flush per commit. Every other transaction turns the checks back on
    /// when it begins (a pooled connection keeps its pragmas), and the tests check the
    /// seeded database with `PRAGMA foreign_key_check`.
    pub async fn bulk_write(&self) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { write: p, .. } => {
                let turn = self.writer.exclusive().await;
                Ok(Tx::Sqlite(SqliteTx::Own(
                    p.begin_with(
                        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE",
                    )
                    .await
                    .map_err(db_err)?,
                    Some(turn),
                )))
            }
            Pools::Postgres(p) => Ok(Tx::Postgres(p.begin().await.map_err(db_err)?)),
        }
    }

    /// A transaction that reads a person's data: a read-only snapshot on a reading
    /// connection (SQLite: a deferred transaction on a reading connection; PostgreSQL:
    /// `REPEATABLE READ READ ONLY`), never the writer. Its audit entries wait in the
    /// transaction; `commit` appends them to the chain with those of the reads that
    /// end meanwhile (group commit) and returns only once they are committed — on
    /// SQLite written to the WAL (a killed process loses none), on PostgreSQL committed
    /// and flushed. So an answer built from the read leaves the server only after its
    /// audit entry is durable, and a failed append makes the answer an error.
    pub async fn audited_read(&self) -> Result<Tx, Error> {
        self.begin_snapshot(Some(Box::new(Pending {
            entries: Vec::new(),
            store: self.clone(),
            flight: self.appender.take_off(),
        })))
        .await
    }

    /// SQLite: copies the log of reads' write-ahead log back into its file — most of it
    /// beside the writer, the pages committed meanwhile in the writer's turn — so that
    /// the next commit starts the log again (see `group`). Nothing on PostgreSQL.
    pub(crate) async fn checkpoint_read_log(&self) -> Result<(), Error> {
        match &self.pools {
            Pools::Sqlite {
                write: p,
                checkpointer,
                ..
            } => {
                checkpointer.passive("reads").await?;
                let _turn = self.writer.exclusive().await;
                sqlx::query("PRAGMA reads.wal_checkpoint(PASSIVE)")
                    .execute(p)
                    .await
                    .map(|_| ())
                    .map_err(db_err)
            }
            Pools::Postgres(_) => Ok(()),
        }
    }

    /// The pool of a PostgreSQL store.
    pub(crate) fn postgres_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.pools {
            Pools::Postgres(p) => Some(p),
            Pools::Sqlite { .. } => None,
        }
    }

    /// The transaction that appends a group of audited reads' entries: on SQLite the
    /// writer's turn, committed and flushed to disk (`synchronous = FULL`: durable
    /// against a power loss, as a data write is; one flush serves the whole group); on
    /// PostgreSQL a plain transaction, committed and flushed.
    pub(crate) async fn append_tx(&self) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { write: p, .. } => {
                let turn = self.writer.exclusive().await;
                Ok(Tx::Sqlite(SqliteTx::Own(
                    p.begin_with(
                        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; BEGIN IMMEDIATE",
                    )
                    .await
                    .map_err(db_err)?,
                    Some(turn),
                )))
            }
            Pools::Postgres(p) => Ok(Tx::Postgres(p.begin().await.map_err(db_err)?)),
        }
    }

    /// One read statement that needs no snapshot (no audit row: never for person data).
    /// A pooled connection without a transaction, on either engine: the statement is
    /// its own.
    pub async fn single(&self) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { read: p, .. } => Ok(Tx::Sqlite(SqliteTx::Single(
                p.acquire().await.map_err(db_err)?,
            ))),
            // Two round trips fewer on every request than a transaction (the session's
            // lookup is one of these).
            Pools::Postgres(p) => Ok(Tx::PostgresSingle(p.acquire().await.map_err(db_err)?)),
        }
    }

    /// A transaction that only reads (no audit row: never for person data).
    pub async fn read(&self) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { read: p, .. } => Ok(Tx::Sqlite(SqliteTx::Own(
                p.begin().await.map_err(db_err)?,
                None,
            ))),
            Pools::Postgres(p) => Ok(Tx::Postgres(p.begin().await.map_err(db_err)?)),
        }
    }

    /// A read-only transaction that sees one consistent snapshot of the database from
    /// its first statement to its end (SQLite: a deferred transaction on a reading
    /// connection; PostgreSQL: `REPEATABLE READ READ ONLY`). For long reads that must
    /// not hold the writer, such as planning an import.
    pub async fn snapshot(&self) -> Result<Tx, Error> {
        self.begin_snapshot(None).await
    }

    /// A snapshot transaction; with `pending`, an audited read (see `audited_read`).
    async fn begin_snapshot(&self, pending: Option<Box<Pending>>) -> Result<Tx, Error> {
        match &self.pools {
            Pools::Sqlite { read: p, .. } => {
                let t = p.begin().await.map_err(db_err)?;
                Ok(Tx::Sqlite(match pending {
                    Some(pending) => SqliteTx::Read(t, pending),
                    None => SqliteTx::Own(t, None),
                }))
            }
            Pools::Postgres(p) => {
                let t = p
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(db_err)?;
                Ok(match pending {
                    Some(pending) => Tx::PostgresRead(t, pending),
                    None => Tx::Postgres(t),
                })
            }
        }
    }

    /// Runs the migrations that have not run yet; `now` (the caller's clock) is when.
    pub async fn migrate(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, Error> {
        schema::migrate(self, now).await
    }

    /// The database's own integrity check (SQLite `integrity_check`; on PostgreSQL a
    /// query over every table, which fails on a damaged heap).
    pub async fn integrity_check(&self) -> Result<bool, Error> {
        let mut tx = self.read().await?;
        let ok = match &mut tx {
            Tx::Sqlite(t) => {
                let t = t.conn()?;
                let r: String = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(&mut *t)
                    .await
                    .map_err(db_err)?;
                let fk: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
                    .fetch_all(&mut *t)
                    .await
                    .map_err(db_err)?;
                r == "ok" && fk.is_empty()
            }
            pg => {
                for table in schema::TABLES {
                    let sql = format!("SELECT count(*) FROM {table}");
                    on_tx!(pg, c => sqlx::query(&sql).execute(c).await.map(|_| ()).map_err(db_err))?;
                }
                true
            }
        };
        tx.rollback().await?;
        Ok(ok)
    }

    /// SQLite: whether the log of audited reads is there (or the database is older than
    /// it). A copy of the main file without its `-read-audit` file has it empty. Always
    /// true on PostgreSQL (one database).
    pub async fn read_audit_present(&self) -> Result<bool, Error> {
        match &self.pools {
            Pools::Sqlite { read: p, .. } => {
                let mut c = p.acquire().await.map_err(db_err)?;
                let needed: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'schema_migrations'",
                )
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                let needed = needed > 0
                    && sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM schema_migrations WHERE version = 41",
                    )
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?
                        > 0;
                let present: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM reads.sqlite_master WHERE name = 'audit_read_log'",
                )
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(!needed || present > 0)
            }
            Pools::Postgres(_) => Ok(true),
        }
    }

    /// Online backup of a SQLite database into a new file (`VACUUM INTO`), its log of
    /// audited reads into the file beside it (`read_audit::path_of`).
    pub async fn backup_sqlite(&self, dest: &str) -> Result<(), Error> {
        match &self.pools {
            Pools::Sqlite { read: p, .. } => {
                // A reading connection (the copy is a read of this database), allowed to
                // write the new file for the time of the copy.
                let mut c = p.acquire().await.map_err(db_err)?;
                sqlx::query("PRAGMA query_only = OFF")
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                // The main file first, then the log of reads (see `read_audit`).
                let reads_dest = read_audit::path_of(dest);
                let mut copied = sqlx::query("VACUUM INTO $1")
                    .bind(dest)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err);
                if copied.is_ok() {
                    copied = sqlx::query("VACUUM reads INTO $1")
                        .bind(&reads_dest)
                        .execute(&mut *c)
                        .await
                        .map_err(db_err);
                }
                let back = sqlx::query("PRAGMA query_only = ON")
                    .execute(&mut *c)
                    .await
                    .map_err(db_err);
                if back.is_err() {
                    // Never hand a writable reading connection back to the pool.
                    c.detach();
                } else {
                    drop(c);
                }
                copied?;
                // The copy of the reads may hold entries appended after the main
                // file's copy: the pair is made one chain again.
                let copy = Store::connect(&format!("sqlite://{dest}")).await?;
                let trimmed = read_audit::trim_copy(&copy).await;
                copy.close().await;
                trimmed.map(|_| ())
            }
            Pools::Postgres(_) => Err(Error::Rule("backup.use_pg_dump")),
        }
    }

    /// After a bulk load on PostgreSQL: gathers the planner's statistics at once
    /// (`ANALYZE`) instead of waiting for autovacuum, which would otherwise plan the
    /// first queries on tables it believes empty. Nothing on SQLite, whose plans the
    /// queries steer themselves (see `CROSS JOIN` and `COALESCE` in the store).
    pub async fn analyze(&self) -> Result<(), Error> {
        match &self.pools {
            Pools::Postgres(p) => sqlx::query("ANALYZE")
                .execute(p)
                .await
                .map(|_| ())
                .map_err(db_err),
            Pools::Sqlite { .. } => Ok(()),
        }
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite {
                write,
                read,
                checkpointer,
            } => {
                checkpointer.close().await;
                write.close().await;
                read.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Whether this transaction may write data (not a read, not an audited read).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Tx::Postgres(_) | Tx::Sqlite(SqliteTx::Own(_, Some(_)))
        )
    }

    pub async fn commit(self) -> Result<(), Error> {
        match self {
            // The writer's turn is released after the commit, when `_turn` drops.
            Tx::Sqlite(SqliteTx::Own(t, _turn)) => t.commit().await.map_err(db_err),
            Tx::Sqlite(SqliteTx::Read(t, pending)) => {
                t.rollback().await.map_err(db_err)?;
                pending.append().await
            }
            Tx::Sqlite(SqliteTx::Single(_)) => Ok(()),
            Tx::Postgres(t) => t.commit().await.map_err(db_err),
            Tx::PostgresSingle(_) => Ok(()),
            Tx::PostgresRead(t, pending) => {
                t.rollback().await.map_err(db_err)?;
                pending.append().await
            }
        }
    }

    pub async fn rollback(self) -> Result<(), Error> {
        match self {
            Tx::Sqlite(SqliteTx::Own(t, _turn)) => t.rollback().await.map_err(db_err),
            Tx::Sqlite(SqliteTx::Read(t, _)) => t.rollback().await.map_err(db_err),
            Tx::Sqlite(SqliteTx::Single(_)) => Ok(()),
            Tx::Postgres(t) | Tx::PostgresRead(t, _) => t.rollback().await.map_err(db_err),
            Tx::PostgresSingle(_) => Ok(()),
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(..) => Engine::Sqlite,
            Tx::Postgres(_) | Tx::PostgresRead(..) | Tx::PostgresSingle(_) => Engine::Postgres,
        }
    }

    /// The audit entries waiting in an audited read, if this is one.
    pub(crate) fn pending(&mut self) -> Option<&mut Pending> {
        match self {
            Tx::Sqlite(SqliteTx::Read(_, p)) | Tx::PostgresRead(_, p) => Some(p),
            _ => None,
        }
    }
}

impl Pending {
    async fn append(self: Box<Self>) -> Result<(), Error> {
        let Pending {
            entries,
            store,
            flight,
        } = *self;
        store.appender.append(&store, entries, flight).await
    }
}

/// Statements are not logged (they may name persons) unless `ITINERA_SLOW_SQL_US` asks
/// for those slower than that many microseconds, at warn level, for diagnosis on a
/// test or benchmark database.
pub(crate) fn slow_statement_log<O: ConnectOptions>(opts: O) -> O {
    let opts = opts.disable_statement_logging();
    match std::env::var("ITINERA_SLOW_SQL_US")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(us) => {
            opts.log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_micros(us))
        }
        None => opts,
    }
}

#[cfg(test)]
mod db_err_tests {
    use super::*;

    #[test]
    fn a_database_that_is_away_is_unavailable_not_internal() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
            sqlx::Error::Protocol("connected to a standby, not the primary".into()),
        ] {
            assert!(matches!(db_err(e), Error::Unavailable(_)));
        }
        assert!(matches!(
            db_err(sqlx::Error::RowNotFound),
            Error::Internal(_)
        ));
        assert_eq!(
            Error::Unavailable(String::new()).status(),
            503,
            "a failover is a 503: try again"
        );
    }

    #[tokio::test]
    async fn a_unique_violation_stays_a_conflict() {
        // Told apart from a database that is away: the statement was wrong, not the
        // connection.
        let dir = std::env::temp_dir().join(format!("itinera-dberr-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(&format!("sqlite://{}", dir.display()))
            .await
            .expect("store");
        let mut tx = store.write().await.expect("tx");
        let r = on_tx!(&mut tx, c => sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)")
            .execute(c).await.map(|_| ()).map_err(db_err));
        assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
        drop(tx);
        store.close().await;
        let _ = std::fs::remove_file(&dir);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;

    #[tokio::test]
    async fn the_log_is_copied_back_by_the_checkpointer_not_by_the_writer() {
        let path = std::env::temp_dir().join(format!("itinera-ckpt-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("store");
        let mut tx = store.write().await.expect("tx");
        // The writer checkpoints only as a backstop, far past SQLite's 1,000 pages.
        let auto: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(c).await.map_err(db_err))
        .expect("pragma");
        assert_eq!(auto, i64::from(checkpoint::BACKSTOP_PAGES));
        // About 12 MB of log, three times what the writer would have checkpointed.
        on_tx!(&mut tx, c => sqlx::query(
            "CREATE TABLE t (a BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t SELECT zeroblob(4000) FROM n")
            .execute(c).await.map(|_| ()).map_err(db_err))
        .expect("insert");
        tx.commit().await.expect("commit");
        // The checkpointer copies it into the database file within a few of its ticks.
        let mut size = 0;
        for _ in 0..100 {
            size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size >= 12_000_000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            size >= 12_000_000,
            "database file {size} bytes: the log was not copied back"
        );
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
