//! The log of audited reads, in a file of its own on SQLite.
//!
//! Every read of a person's data appends an audit entry before its answer leaves the
//! server (the group commit of `group`). In WAL mode, a connection that begins a read
//! transaction after *any* commit to the database file drops its whole page cache and
//! unmaps the file: with the reads' entries in the main file, every page view made
//! every reading connection read its B-tree pages again. At 1,000 course pages a second
//! that was most of the server's time (profiled: unmapping and faulting the file back
//! in alone were 29 % of the CPU), and the page's p99 was 80–110 ms.
//!
//! So on SQLite the entries of audited reads go to `audit_read_log` in a second file,
//! `<database>-read-audit`, attached to every connection as `reads`. Its commits leave
//! the main file's log untouched, and the reading connections keep their caches until
//! a data write commits. Nothing else changes:
//!
//! - **One chain.** Entries are numbered across both logs (`audit_log`, whose entries
//!   are appended in the writing transactions, and `audit_read_log`), each linked to the
//!   entry before it whichever log holds that one; each log has its head
//!   (`audit_head`, `audit_read_head`) and the chain's tip is the later of the two.
//!   `audit::verify` walks both in order of number.
//! - **Atomic, durable.** Each transaction writes one file only (a data write and its
//!   entries the main file; a group of reads' entries this one), so each is atomic on
//!   its own. The writing connection's `BEGIN IMMEDIATE` takes the write lock of both
//!   files, so appenders are serialised across processes as before. The file is in WAL
//!   mode with `synchronous = FULL`: a group's commit is flushed to disk before its
//!   answers leave.
//! - **One schema.** On PostgreSQL the two tables are in the one database (a commit
//!   there invalidates no one's cache); the migration names them with the dialect token
//!   `{reads}` (`reads.` on SQLite). The same statements run on both engines.
//! - **Backups** copy both files (`Store::backup_sqlite`), and `itinera restore` puts
//!   both in place.

use sqlx::SqliteConnection;

use crate::{db_err, on_tx, Store};
use itinera_domain::Error;

/// The file that holds the log of audited reads of the SQLite database at `path`.
pub fn path_of(path: &str) -> String {
    format!("{path}-read-audit")
}

/// Attaches the log of reads at `path` as `reads` to a new connection. The writing
/// connection creates the file if missing and keeps it in WAL mode, flushed at every
/// commit; the others (created after it) only attach it.
pub(crate) async fn attach(
    c: &mut SqliteConnection,
    path: &str,
    writer: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("ATTACH DATABASE $1 AS reads")
        .bind(path)
        .execute(&mut *c)
        .await?;
    if writer {
        sqlx::query("PRAGMA reads.journal_mode = WAL")
            .execute(&mut *c)
            .await?;
    }
    sqlx::query("PRAGMA reads.synchronous = FULL")
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Makes a fresh copy of both files one chain again. The main file is copied first and
/// the log of reads after it, so the copy of the reads may hold entries appended after
/// the main file's copy was taken — some of them numbered after writes that copy does
/// not have. Keeps the reads' entries up to the first number neither copy holds, and
/// sets the reads' head to the last one kept. Returns how many were dropped.
pub(crate) async fn trim_copy(store: &Store) -> Result<u64, Error> {
    let mut tx = store.write().await?;
    let (writes_last,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT last_seq FROM audit_head WHERE id = 1"
    ).fetch_one(c).await.map_err(db_err))?;
    let later: Vec<(i64,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT seq FROM audit_read_log WHERE seq > $1 ORDER BY seq"
    ).bind(writes_last).fetch_all(c).await.map_err(db_err))?;
    let mut next = writes_last + 1;
    for (seq,) in &later {
        if *seq != next {
            break;
        }
        next += 1;
    }
    let dropped = on_tx!(&mut tx, c => sqlx::query("DELETE FROM audit_read_log WHERE seq >= $1")
        .bind(next).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    let last: Option<(i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT seq, hash FROM audit_read_log ORDER BY seq DESC LIMIT 1"
    ).fetch_optional(c).await.map_err(db_err))?;
    let (seq, hash) = last.unwrap_or((0, crate::audit::GENESIS.to_string()));
    on_tx!(&mut tx, c => sqlx::query("UPDATE audit_read_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(seq).bind(&hash).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    tx.commit().await?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{self, NewEntry};

    fn entry(action: &str) -> NewEntry<'_> {
        NewEntry {
            at: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
            actor_user_id: None,
            actor_organisation_id: None,
            action,
            entity: "participant",
            entity_id: None,
            request_id: "r",
            client_addr: "127.0.0.1",
            detail: "{}".into(),
        }
    }

    async fn write(store: &Store) {
        let mut tx = store.write().await.expect("tx");
        audit::append(&mut tx, &entry("participant.update"))
            .await
            .expect("append");
        tx.commit().await.expect("commit");
    }

    async fn read(store: &Store) {
        let mut tx = store.audited_read().await.expect("tx");
        audit::append(&mut tx, &entry("participant.read"))
            .await
            .expect("append");
        tx.commit().await.expect("commit");
    }

    async fn count(store: &Store, sql: &str) -> i64 {
        let mut tx = store.read().await.expect("tx");
        let n = on_tx!(&mut tx, c => sqlx::query_scalar(sql).fetch_one(c).await.map_err(db_err))
            .expect("count");
        tx.rollback().await.expect("rollback");
        n
    }

    /// A migrated database in a directory of its own: (directory, file, store).
    async fn fresh(name: &str) -> (std::path::PathBuf, std::path::PathBuf, Store) {
        let dir = std::env::temp_dir().join(format!("itinera-reads-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(format!("{name}.db"));
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("store");
        store
            .migrate(chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default())
            .await
            .expect("migrate");
        (dir, path, store)
    }

    #[tokio::test]
    async fn an_appender_waits_for_the_reads_under_way() {
        let (dir, _path, store) = fresh("gather").await;
        // A wait no test run reaches: what follows does not depend on timing.
        store.appender.set_wait(std::time::Duration::from_secs(600));
        let stats = || {
            let s = store.group_stats();
            (
                s.members.load(std::sync::atomic::Ordering::SeqCst),
                s.commits.load(std::sync::atomic::Ordering::SeqCst),
            )
        };
        let within = std::time::Duration::from_secs(60);
        // A read alone waits for no one.
        tokio::time::timeout(within, read(&store))
            .await
            .expect("a read alone does not wait");
        // Two under way: the first to end waits for the second, and one commit
        // carries both.
        let (m0, c0) = stats();
        let begin = || async {
            let mut tx = store.audited_read().await.expect("tx");
            audit::append(&mut tx, &entry("participant.read"))
                .await
                .expect("append");
            tx
        };
        let a = begin().await;
        let b = begin().await;
        let first = tokio::spawn(async move { a.commit().await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!first.is_finished(), "the first waits for the second");
        tokio::time::timeout(within, b.commit())
            .await
            .expect("the second ends")
            .expect("commit");
        tokio::time::timeout(within, first)
            .await
            .expect("the first ends")
            .expect("task")
            .expect("commit");
        assert_eq!(stats(), (m0 + 2, c0 + 1), "one commit for both reads");
        // A read under way that ends without an entry (dropped) is waited for no more.
        let gone = store.audited_read().await.expect("tx");
        let c = begin().await;
        let waiting = tokio::spawn(async move { c.commit().await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "it waits for the read under way");
        drop(gone);
        tokio::time::timeout(within, waiting)
            .await
            .expect("it ends once the other is gone")
            .expect("task")
            .expect("commit");
        assert_eq!(
            count(&store, "SELECT count(*) FROM audit_read_log").await,
            4,
            "every entry appended"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_log_of_reads_starts_again_instead_of_growing() {
        let (dir, path, store) = fresh("grow").await;
        let wal_path = format!("{}-wal", path_of(&path.display().to_string()));
        let wal = || std::fs::metadata(&wal_path).map(|m| m.len()).unwrap_or(0);
        // What a group commit adds to the log (the entry, its indexes, the head).
        let first = 20;
        let before = wal();
        for _ in 0..first {
            read(&store).await;
        }
        let per_commit = (wal() - before) / first;
        assert!(per_commit > 0);
        let commits = 3 * crate::group::CHECKPOINT_EVERY;
        for _ in first..commits {
            read(&store).await;
        }
        // A log never started again would hold every commit; this one holds at most
        // those since the writer's last checkpoint (and the file keeps its size).
        assert!(
            wal() < per_commit * crate::group::CHECKPOINT_EVERY * 3 / 2,
            "{} bytes of log after {commits} commits of {per_commit}",
            wal()
        );
        assert!(audit::verify(&store).await.expect("verify").intact);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_copy_taken_in_two_steps_is_cut_back_to_one_chain() {
        let (dir, _, store) = fresh("copy").await;
        let base = count(&store, "SELECT COUNT(*) FROM audit_log").await;
        // W R W R R: the main file copied after the first read, the reads' file at
        // the end — the copy of the main file lacks the second write.
        write(&store).await;
        read(&store).await;
        write(&store).await;
        read(&store).await;
        read(&store).await;
        assert!(audit::verify(&store).await.expect("verify").intact);
        let mut tx = store.write().await.expect("tx");
        on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"
        ).execute(c).await.map(|_| ()).map_err(db_err))
        .expect("delete");
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE audit_head SET last_seq = (SELECT MAX(seq) FROM audit_log), \
             last_hash = (SELECT hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)) WHERE id = 1"
        ).execute(c).await.map(|_| ()).map_err(db_err)).expect("head");
        tx.commit().await.expect("commit");
        let v = audit::verify(&store).await.expect("verify");
        assert_eq!(v.problem.as_deref(), Some("missing"));

        assert_eq!(trim_copy(&store).await.expect("trim"), 2);
        let v = audit::verify(&store).await.expect("verify");
        assert!(v.intact, "{v:?}");
        assert_eq!(v.entries, base + 2);
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM audit_read_log").await,
            1
        );
        // The chain goes on from there.
        read(&store).await;
        write(&store).await;
        assert!(audit::verify(&store).await.expect("verify").intact);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
