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
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::audit::OwnedEntry;

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
    turn: Arc<Mutex<()>>,
    stats: Arc<GroupStats>,
    /// A checkpoint of the log of reads is under way.
    checkpointing: Arc<std::sync::atomic::AtomicBool>,
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

    /// Appends `entries` to the chain and returns once they are committed (with the
    /// entries of every read that waited meanwhile).
    pub(crate) async fn append(
        &self,
        store: &crate::Store,
        entries: Vec<OwnedEntry>,
    ) -> Result<(), Error> {
        self.stats.members.fetch_add(1, Ordering::Relaxed);
        if entries.is_empty() {
            return Ok(());
        }
        let (done, rx) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| Error::Internal("audit queue poisoned".into()))?
            .push(Waiting { entries, done });
        {
            // One appender at a time: whoever holds the turn writes all that waits.
            let _turn = self.turn.lock().await;
            let batch = std::mem::take(
                &mut *self
                    .queue
                    .lock()
                    .map_err(|_| Error::Internal("audit queue poisoned".into()))?,
            );
            if !batch.is_empty() {
                let n = self.stats.commits.fetch_add(1, Ordering::Relaxed);
                let outcome = write(store, &batch).await.map_err(|e| e.to_string());
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
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Internal(e)),
            Err(_) => Err(Error::Internal("audit append abandoned".into())),
        }
    }
}

/// Writes a batch in one transaction (boxed: a commit may append, which writes).
fn write<'a>(
    store: &'a crate::Store,
    batch: &'a [Waiting],
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send + 'a>> {
    Box::pin(async move {
        let entries: Vec<crate::audit::NewEntry<'_>> = batch
            .iter()
            .flat_map(|w| w.entries.iter().map(OwnedEntry::as_new))
            .collect();
        let mut tx = store.append_tx().await?;
        crate::audit::append_reads(&mut tx, entries).await?;
        tx.commit().await
    })
}
