//! SQLite's one writer, shared well: the writer queue and the group commit of audited
//! reads.
//!
//! SQLite lets one transaction write at a time. Every audited read writes (its audit
//! row), so page views queue for the write lock like data writes do. Two things keep
//! that queue short:
//!
//! - **The queue is in the process, in order** (a fair async mutex), not in SQLite's
//!   busy handler, which polls with sleeps of up to 100 ms and leaves the lock idle
//!   while requests wait.
//! - **Audited reads share transactions (group commit).** A read joins the open group
//!   transaction if there is one, inside a savepoint of its own: its reads and its audit
//!   row are in that transaction, and a failure rolls back to its savepoint, leaving the
//!   others' work intact. When it is done it leaves the group open for whoever waits
//!   next; the last in line commits, and only then does any member's answer leave the
//!   server. So each read and its audit row still commit together, and one commit (one
//!   WAL write of the audit pages) serves many requests. A data write first commits the
//!   open group, then runs alone with its own durable commit.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use itinera_clock::Stopwatch;

use itinera_domain::Error;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::db_err;

/// The most members of one group, and the oldest a group may get before it commits.
const MAX_MEMBERS: usize = 64;
const MAX_AGE: Duration = Duration::from_millis(25);

type Outcome = Result<(), String>;

/// Runs one statement (`sqlx::query`, boxed with a named lifetime: a `raw_sql` future
/// held through these async layers cannot be proven `Send` for every lifetime).
fn write_head<'a>(
    conn: &'a mut SqliteConnection,
    seq: i64,
    hash: String,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'a>> {
    Box::pin(async move {
        sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

fn exec<'a>(
    conn: &'a mut SqliteConnection,
    sql: &'static str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'a>> {
    Box::pin(async move { sqlx::query(sql).execute(conn).await.map(|_| ()) })
}

/// A group transaction of audited reads, open between members.
struct Group {
    tx: sqlx::Transaction<'static, Sqlite>,
    /// The audit chain's tip as the group's members leave it: kept here and written to
    /// `audit_head` once, when the group commits (the group holds the write lock).
    head: Option<(i64, String)>,
    head_dirty: bool,
    /// The members that finished, waiting for the commit.
    waiting: Vec<oneshot::Sender<Outcome>>,
    started: Stopwatch,
    generation: u64,
}

/// What the writer lock guards: the open group, if any.
#[derive(Default)]
pub struct WriterState {
    open: Option<Group>,
}

/// The writer queue of one SQLite database.
#[derive(Clone, Default)]
pub(crate) struct Writer {
    state: Arc<Mutex<WriterState>>,
    queued: Arc<AtomicUsize>,
    generations: Arc<AtomicU64>,
    stats: Arc<GroupStats>,
}

/// How well the group commit works: members (audited reads) and the commits that
/// served them.
#[derive(Debug, Default)]
pub struct GroupStats {
    pub members: AtomicU64,
    pub commits: AtomicU64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

/// Counts a task in the queue while it waits for the lock (also when it gives up).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn commit_group(mut g: Group, stats: &GroupStats) {
    stats.commits.fetch_add(1, Ordering::Relaxed);
    let head = match (&g.head, g.head_dirty) {
        (Some((seq, hash)), true) => write_head(&mut g.tx, *seq, hash.clone())
            .await
            .map_err(|e| e.to_string()),
        _ => Ok(()),
    };
    let outcome = match head {
        Ok(()) => g.tx.commit().await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    for w in g.waiting {
        let _ = w.send(outcome.clone());
    }
}

impl Writer {
    pub(crate) fn stats(&self) -> &GroupStats {
        &self.stats
    }

    async fn turn(&self) -> OwnedMutexGuard<WriterState> {
        let _q = Queued::new(&self.queued);
        self.state.clone().lock_owned().await
    }

    /// The lock for a data write: the open group is committed first.
    pub(crate) async fn exclusive(&self) -> OwnedMutexGuard<WriterState> {
        let mut turn = self.turn().await;
        if let Some(g) = turn.open.take() {
            commit_group(g, &self.stats).await;
        }
        turn
    }

    /// A place in a group for an audited read: the open group, or a new one.
    pub(crate) async fn join(&self, pool: &SqlitePool) -> Result<Member, Error> {
        let mut turn = self.turn().await;
        let mut group = match turn.open.take() {
            Some(g) => g,
            None => Group {
                tx: pool
                    .begin_with(
                        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; BEGIN IMMEDIATE",
                    )
                    .await
                    .map_err(db_err)?,
                head: None,
                head_dirty: false,
                waiting: Vec::new(),
                started: Stopwatch::start(),
                generation: self.generations.fetch_add(1, Ordering::SeqCst),
            },
        };
        if let Err(e) = exec(&mut group.tx, "SAVEPOINT member").await {
            self.settle(group, turn).await;
            return Err(db_err(e));
        }
        self.stats.members.fetch_add(1, Ordering::Relaxed);
        let head_at_start = (group.head.clone(), group.head_dirty);
        Ok(Member {
            head_at_start,
            group: Some(group),
            turn: Some(turn),
            writer: self.clone(),
        })
    }

    /// After a member: leave the group open for the next in line, or commit it.
    async fn settle(&self, group: Group, mut turn: OwnedMutexGuard<WriterState>) {
        let others = self.queued.load(Ordering::SeqCst) > 0;
        if others && group.waiting.len() < MAX_MEMBERS && group.started.elapsed() < MAX_AGE {
            let generation = group.generation;
            turn.open = Some(group);
            drop(turn);
            // Whoever is next continues the group; should they give up waiting, this
            // closer, queued behind them, commits it.
            let writer = self.clone();
            tokio::spawn(async move {
                let mut turn = writer.turn().await;
                if turn
                    .open
                    .as_ref()
                    .is_some_and(|g| g.generation == generation)
                {
                    if let Some(g) = turn.open.take() {
                        commit_group(g, &writer.stats).await;
                    }
                }
            });
        } else {
            commit_group(group, &self.stats).await;
            drop(turn);
        }
    }
}

/// One audited read inside a group transaction.
pub struct Member {
    /// The group's audit tip when this member began, restored if it is undone.
    head_at_start: (Option<(i64, String)>, bool),
    group: Option<Group>,
    turn: Option<OwnedMutexGuard<WriterState>>,
    writer: Writer,
}

impl Member {
    pub(crate) fn conn(&mut self) -> Result<&mut SqliteConnection, Error> {
        self.group
            .as_mut()
            .map(|g| &mut *g.tx)
            .ok_or_else(|| Error::Internal("transaction already ended".into()))
    }

    /// The audit chain's tip, if the group knows it.
    pub(crate) fn audit_head(&self) -> Option<(i64, String)> {
        self.group.as_ref().and_then(|g| g.head.clone())
    }

    /// The chain's new tip, to be written when the group commits.
    pub(crate) fn set_audit_head(&mut self, seq: i64, hash: String) {
        if let Some(g) = self.group.as_mut() {
            g.head = Some((seq, hash));
            g.head_dirty = true;
        }
    }

    fn parts(&mut self) -> Result<(Group, OwnedMutexGuard<WriterState>), Error> {
        match (self.group.take(), self.turn.take()) {
            (Some(g), Some(t)) => Ok((g, t)),
            _ => Err(Error::Internal("transaction already ended".into())),
        }
    }

    /// Keeps the member's work and returns once the group has committed it.
    pub(crate) async fn commit(mut self) -> Result<(), Error> {
        let (mut group, turn) = self.parts()?;
        if let Err(e) = exec(&mut group.tx, "RELEASE member").await {
            undo(&mut group, self.head_at_start.clone()).await;
            self.writer.settle(group, turn).await;
            return Err(db_err(e));
        }
        let (tx, rx) = oneshot::channel();
        group.waiting.push(tx);
        self.writer.settle(group, turn).await;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Internal(e)),
            Err(_) => Err(Error::Internal("group commit abandoned".into())),
        }
    }

    /// Undoes the member's work; the group goes on.
    pub(crate) async fn rollback(mut self) -> Result<(), Error> {
        let (mut group, turn) = self.parts()?;
        undo(&mut group, self.head_at_start.clone()).await;
        self.writer.settle(group, turn).await;
        Ok(())
    }
}

/// Rolls back to the member's savepoint. Should even that fail, the group cannot be
/// trusted: it is rolled back as a whole and its members told so.
async fn undo(group: &mut Group, head_at_start: (Option<(i64, String)>, bool)) {
    (group.head, group.head_dirty) = head_at_start;
    let undone = match exec(&mut group.tx, "ROLLBACK TO member").await {
        Ok(()) => exec(&mut group.tx, "RELEASE member").await.is_ok(),
        Err(_) => false,
    };
    if !undone {
        for w in group.waiting.drain(..) {
            let _ = w.send(Err("group rolled back".into()));
        }
        if exec(&mut group.tx, "ROLLBACK").await.is_ok() {
            let _ = exec(&mut group.tx, "BEGIN IMMEDIATE").await;
        }
        (group.head, group.head_dirty) = (None, false);
    }
}

fn cleanup(
    writer: Writer,
    mut group: Group,
    turn: OwnedMutexGuard<WriterState>,
    head_at_start: (Option<(i64, String)>, bool),
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        undo(&mut group, head_at_start).await;
        writer.settle(group, turn).await;
    })
}

/// A member dropped without commit or rollback (an early return on an error) is
/// undone in the background, so that the group and its queue go on.
impl Drop for Member {
    fn drop(&mut self) {
        if let (Some(group), Some(turn)) = (self.group.take(), self.turn.take()) {
            let writer = self.writer.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(cleanup(writer, group, turn, self.head_at_start.clone()));
            }
        }
    }
}
