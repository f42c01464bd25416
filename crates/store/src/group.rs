//! SQLite's one writer, shared well, and the group commit of audit entries.
//!
//! - **The writer queue is in the process, in order** (a fair async mutex), not in
//!   SQLite's busy handler, which polls with sleeps of up to 100 ms and leaves the lock
//!   idle while requests wait.
//! - **Audited reads append their entries together (group commit).** A read of a
//!   person's data runs in a snapshot on a reading connection; its audit entries wait
//!   in the read's transaction and, when it ends, are handed to the `Appender`. One
//!   appender at a time writes every entry waiting at that moment in one transaction
//!   (the chain stays strict: one transaction orders them) and commits; only then does
//!   each read's `commit` return, and only then may its answer leave the server. One
//!   commit serves many page views.
//! - **The appender waits for its siblings.** Before it takes what waits, the appender
//!   waits for the audited reads that were under way when it got the turn to hand in
//!   their entries (at most [`GATHER_WAIT`]). Without it, at 1,000 page views a second
//!   (one every millisecond, each ~1.4 ms long) a commit carried 1.1 reads on average:
//!   each read paid for a commit of its own — five statements, a flush and six pages
//!   of the log (its entry and four indexes, the head). A read alone on the server
//!   waits for no one.
//! - **A read whose entries the turn's holder wrote leaves when told**, without taking
//!   the turn in its order only to find nothing left.
//! - **On PostgreSQL a group commit is one statement** while the chain still ends at
//!   the entry this appender wrote last (`audit::append_reads_after`: one round trip
//!   instead of five); after a write, or another server's reads, it goes the long way
//!   and the appender learns the new end.
//! - **The log of reads is started again** (SQLite) every [`CHECKPOINT_EVERY`] group
//!   commits. Commits follow each other too closely for the checkpointer's passive
//!   checkpoints (`checkpoint`) ever to find the write-ahead log wholly copied at the
//!   start of a commit, which is when SQLite starts it again from its beginning: it
//!   grew to the writer's backstop (200 MB) and the backstop's checkpoint paused every
//!   read behind it (55–150 ms). So a task copies the log back beside the writer, then
//!   copies the few pages committed meanwhile in the writer's turn, and the next commit
//!   starts the log again (`Store::checkpoint_read_log`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use itinera_domain::Error;
use tokio::sync::{oneshot, Mutex, Notify, OwnedMutexGuard};

use crate::audit::{OwnedEntry, Tip};

/// The writer queue of one SQLite database.
#[derive(Clone, Default)]
pub(crate) struct Writer {
    state: Arc<Mutex<WriterState>>,
    queued: Arc<AtomicUsize>,
    /// The longest turn so far (µs), commit included: how long another writer may
    /// have waited behind one.
    longest: Arc<AtomicU64>,
}

/// A writer's turn: the lock, held from before `BEGIN IMMEDIATE` until the transaction
/// has ended (the commit included). Its end records its length.
pub struct Turn {
    _guard: OwnedMutexGuard<WriterState>,
    since: itinera_clock::Stopwatch,
    longest: Arc<AtomicU64>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let us = u64::try_from(self.since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.longest.fetch_max(us, Ordering::Relaxed);
    }
}

/// What the writer lock guards (nothing but the turn itself).
#[derive(Default)]
pub struct WriterState;

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

impl Writer {
    /// The lock for a write, in order of arrival.
    pub(crate) async fn exclusive(&self) -> Turn {
        let _q = Queued::new(&self.queued);
        let guard = self.state.clone().lock_owned().await;
        Turn {
            _guard: guard,
            since: itinera_clock::Stopwatch::start(),
            longest: self.longest.clone(),
        }
    }

    /// The longest turn so far.
    pub(crate) fn longest_turn(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.longest.load(Ordering::Relaxed))
    }
}

/// How well the group commit works: audited reads and the commits that appended their
/// entries.
#[derive(Debug, Default)]
pub struct GroupStats {
    pub members: AtomicU64,
    pub commits: AtomicU64,
    /// Of the commits, those made in one statement after this appender's own last
    /// entry (PostgreSQL).
    pub one_statement: AtomicU64,
}

type Outcome = Result<(), String>;

/// Entries of one read, waiting to be appended.
struct Waiting {
    entries: Vec<OwnedEntry>,
    done: oneshot::Sender<Outcome>,
}

/// The group commit of audited reads' entries (see the module's documentation).
#[derive(Clone, Default)]
pub(crate) struct Appender {
    queue: Arc<std::sync::Mutex<Vec<Waiting>>>,
    /// The turn, and with it the chain's tip as this appender left it (PostgreSQL:
    /// the next group goes in one statement while the chain still ends there).
    turn: Arc<Mutex<Option<Tip>>>,
    stats: Arc<GroupStats>,
    /// A checkpoint of the log of reads is under way.
    checkpointing: Arc<std::sync::atomic::AtomicBool>,
    /// Audited reads under way: begun, their entries not yet handed in.
    flights: Arc<Flights>,
    /// The wait, when set other than by [`gather_wait`] (tests).
    wait: Arc<std::sync::OnceLock<std::time::Duration>>,
}

/// The audited reads under way, for the appender that waits for them.
#[derive(Default)]
struct Flights {
    /// Begun and not yet settled.
    under_way: AtomicU64,
    /// Settled so far (their entries handed in, or ended without any).
    settled: AtomicU64,
    /// Told at each settling.
    settles: Notify,
}

/// An audited read under way, from its start until it hands in its entries or ends
/// without (dropped).
pub(crate) struct Flight(Arc<Flights>);

impl Drop for Flight {
    fn drop(&mut self) {
        self.0.settled.fetch_add(1, Ordering::SeqCst);
        self.0.under_way.fetch_sub(1, Ordering::SeqCst);
        self.0.settles.notify_waiters();
    }
}

/// How long at most an appender waits for the reads under way when it got the turn
/// (`ITINERA_GROUP_COMMIT_WAIT_US` overrides it; 0: no wait). A page view's own
/// database work is about a millisecond; this bounds the wait behind a long read.
pub(crate) const GATHER_WAIT: std::time::Duration = std::time::Duration::from_millis(2);

fn gather_wait() -> std::time::Duration {
    static WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *WAIT.get_or_init(|| {
        std::env::var("ITINERA_GROUP_COMMIT_WAIT_US")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(std::time::Duration::from_micros)
            .unwrap_or(GATHER_WAIT)
    })
}

/// How many group commits the writer makes between two checkpoints of the log of reads
/// (`ITINERA_READ_LOG_CHECKPOINT_COMMITS` overrides it; 0: none but the checkpointer's
/// and the backstop's).
pub(crate) const CHECKPOINT_EVERY: u64 = 200;

fn checkpoint_every() -> u64 {
    static EVERY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *EVERY.get_or_init(|| {
        std::env::var("ITINERA_READ_LOG_CHECKPOINT_COMMITS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(CHECKPOINT_EVERY)
    })
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Appender")
    }
}

impl Appender {
    pub(crate) fn stats(&self) -> &GroupStats {
        &self.stats
    }

    /// Sets how long an appender waits for the reads under way (tests).
    #[cfg(test)]
    pub(crate) fn set_wait(&self, wait: std::time::Duration) {
        let _ = self.wait.set(wait);
    }

    /// An audited read begins (it settles when the returned `Flight` is handed to
    /// `append` or dropped).
    pub(crate) fn take_off(&self) -> Flight {
        self.flights.under_way.fetch_add(1, Ordering::SeqCst);
        Flight(self.flights.clone())
    }

    /// Waits until the reads under way now have settled, or [`GATHER_WAIT`] has passed.
    async fn gather(&self) {
        let wait = self.wait.get().copied().unwrap_or_else(gather_wait);
        let f = &self.flights;
        if wait.is_zero() || f.under_way.load(Ordering::SeqCst) == 0 {
            return;
        }
        let target = f.settled.load(Ordering::SeqCst) + f.under_way.load(Ordering::SeqCst);
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        loop {
            let settles = f.settles.notified();
            tokio::pin!(settles);
            // Registered before the counters are read: no settling is missed.
            settles.as_mut().enable();
            if f.under_way.load(Ordering::SeqCst) == 0 || f.settled.load(Ordering::SeqCst) >= target
            {
                return;
            }
            tokio::select! {
                _ = &mut deadline => return,
                _ = settles => {}
            }
        }
    }

    /// Appends `entries` to the chain and returns once they are committed (with the
    /// entries of every read that waited meanwhile).
    pub(crate) async fn append(
        &self,
        store: &crate::Store,
        entries: Vec<OwnedEntry>,
        flight: Flight,
    ) -> Result<(), Error> {
        self.stats.members.fetch_add(1, Ordering::Relaxed);
        if entries.is_empty() {
            return Ok(());
        }
        let (done, mut rx) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| Error::Internal("audit queue poisoned".into()))?
            .push(Waiting { entries, done });
        drop(flight);
        {
            // One appender at a time: whoever holds the turn writes all that waits,
            // once the reads under way have handed theirs in. A read whose entries
            // the holder wrote leaves as soon as it is told, without waiting for the
            // turn: otherwise every read of a group took the turn in its order only to
            // find nothing left, one wake-up after another, while the reads that came
            // next waited behind them (under load, tens of milliseconds).
            let mut tip = tokio::select! {
                biased;
                told = &mut rx => return outcome(told),
                turn = self.turn.lock() => turn,
            };
            // Only if something still waits: a read whose entries an earlier turn
            // wrote must not make the next ones wait again.
            if !self
                .queue
                .lock()
                .map_err(|_| Error::Internal("audit queue poisoned".into()))?
                .is_empty()
            {
                self.gather().await;
            }
            let batch = std::mem::take(
                &mut *self
                    .queue
                    .lock()
                    .map_err(|_| Error::Internal("audit queue poisoned".into()))?,
            );
            if !batch.is_empty() {
                let n = self.stats.commits.fetch_add(1, Ordering::Relaxed);
                let outcome = write(store, &batch, &mut tip, &self.stats)
                    .await
                    .map_err(|e| e.to_string());
                for w in batch {
                    let _ = w.done.send(outcome.clone());
                }
                let every = checkpoint_every();
                if every > 0
                    && n % every == every - 1
                    && !self.checkpointing.swap(true, Ordering::SeqCst)
                {
                    // Beside the reads: only its last step holds the writer.
                    let store = store.clone();
                    let flag = self.checkpointing.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store.checkpoint_read_log().await {
                            tracing::warn!(error = %e, "checkpoint of the log of reads");
                        }
                        flag.store(false, Ordering::SeqCst);
                    });
                }
            }
        }
        outcome(rx.await)
    }
}

/// What a read is told of the commit of its entries.
fn outcome(told: Result<Outcome, oneshot::error::RecvError>) -> Result<(), Error> {
    match told {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Error::Internal(e)),
        Err(_) => Err(Error::Internal("audit append abandoned".into())),
    }
}

/// Writes a batch in one transaction (boxed: a commit may append, which writes). On
/// PostgreSQL, while the chain still ends at `tip`, in one statement
/// (`audit::append_reads_after`); otherwise the long way. `tip` is left where the
/// chain ends after the batch, or unknown after a failure.
fn write<'a>(
    store: &'a crate::Store,
    batch: &'a [Waiting],
    tip: &'a mut Option<Tip>,
    stats: &'a GroupStats,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send + 'a>> {
    Box::pin(async move {
        let entries = || -> Vec<crate::audit::NewEntry<'_>> {
            batch
                .iter()
                .flat_map(|w| w.entries.iter().map(OwnedEntry::as_new))
                .collect()
        };
        let last = tip.take();
        if let (Some(last), Some(pool)) = (last, store.postgres_pool()) {
            let mut c = pool.acquire().await.map_err(crate::db_err)?;
            if let Some(new) = crate::audit::append_reads_after(&mut c, &last, entries()).await? {
                *tip = Some(new);
                stats.one_statement.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        let mut tx = store.append_tx().await?;
        let new = crate::audit::append_reads(&mut tx, entries()).await?;
        tx.commit().await?;
        *tip = new;
        Ok(())
    })
}
