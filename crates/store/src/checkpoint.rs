//! SQLite checkpoints, off the writer.
//!
//! In WAL mode a commit appends the pages it changed to the write-ahead log, and a
//! checkpoint copies them back into the database file. By default the connection whose
//! commit takes the log past 1,000 pages runs the checkpoint itself, inside its commit
//! call. On Itinera's one writing connection that is time every other writer waits
//! through: 8 % of the writer's time in the apply of a 100,000-row import (profiled with
//! `perf`), and a pause every 1,000 pages under the group commits of audited reads.
//!
//! So a connection of its own checkpoints every [`EVERY`], in `PASSIVE` mode: it copies
//! what no reader still needs and never waits for, nor blocks, the writer or the
//! readers. The writer keeps an automatic checkpoint only as a backstop, for a log grown
//! past [`BACKSTOP_PAGES`] (were this task ever to stop). Durability does not change: a
//! commit is durable once in the log; the checkpoint only moves it.

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;

/// How often the log is copied back.
pub(crate) const EVERY: Duration = Duration::from_millis(500);

/// The writer checkpoints itself only past this many pages of log (about 200 MB).
pub(crate) const BACKSTOP_PAGES: u32 = 50_000;

/// The running checkpointer; it stops when the last clone of its store is dropped or
/// the store is closed.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    pool: SqlitePool,
    _stop: oneshot::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing with `pool` (one connection that may write).
    pub(crate) fn start(pool: SqlitePool) -> Arc<Checkpointer> {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let p = pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        if p.is_closed() {
                            break;
                        }
                        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                            .execute(&p)
                            .await
                        {
                            if p.is_closed() {
                                break;
                            }
                            tracing::warn!(error = %e, "checkpoint of the write-ahead log");
                        }
                    }
                }
            }
            p.close().await;
        });
        Arc::new(Checkpointer { pool, _stop: stop })
    }

    /// A passive checkpoint of one attached database (`schema`), now.
    pub(crate) async fn passive(&self, schema: &str) -> Result<(), itinera_domain::Error> {
        sqlx::query(&format!("PRAGMA {schema}.wal_checkpoint(PASSIVE)"))
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(crate::db_err)
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}
