//! What each kind of page asks of the database: a server of its own, started with every
//! statement logged with its execution time (`ITINERA_SLOW_SQL_US=0`), is sent the pages
//! of one kind after another by one client, one page at a time, while nothing else runs;
//! the statements logged during a kind's views (its session lookup and its audit appends
//! included) are that kind's. Prints, per kind, the statements and the database time
//! per view, and the statements that take most of it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Mutex;

use crate::{BenchError, Client, Result};

/// What one kind of page asks of the database, per view.
pub(crate) struct PerView {
    pub name: &'static str,
    pub views: usize,
    pub statements: f64,
    pub db_ms: f64,
    /// The statements that take most of the time: (its first words, times per view, ms
    /// per view).
    pub top: Vec<(String, f64, f64)>,
}

/// One logged statement: its text (placeholders, never values) and its seconds.
type Logged = (String, f64);

/// Reads the server's log lines and keeps those of statements.
fn collect<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    from: R,
    into: Arc<Mutex<Vec<Logged>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(from).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let field = |k: &str| v.get("fields").and_then(|f| f.get(k));
            // Short statements (`COMMIT`) are logged by their summary only.
            let text = |k: &str| field(k).and_then(|s| s.as_str()).filter(|s| !s.is_empty());
            let (Some(sql), Some(secs)) = (
                text("db.statement").or_else(|| text("summary")),
                field("elapsed_secs").and_then(|s| s.as_f64()),
            ) else {
                continue;
            };
            // The checkpointer's own statements (`store::checkpoint`) are no page's.
            if sql.starts_with("PRAGMA wal_checkpoint") {
                continue;
            }
            into.lock().await.push((sql.to_string(), secs));
        }
    })
}

/// The statement's first words, its whitespace folded: enough to tell statements apart.
fn shape(sql: &str) -> String {
    let folded = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(90) {
        Some((i, _)) => format!("{}…", folded.get(..i).unwrap_or_default()),
        None => folded,
    }
}

/// Waits until no statement has been logged for a while (the audit appends of the last
/// view included), up to two seconds.
async fn settle(log: &Arc<Mutex<Vec<Logged>>>) {
    let mut seen = usize::MAX;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = log.lock().await.len();
        if n == seen {
            return;
        }
        seen = n;
    }
}

/// Starts the logging server on `listen`, sends `views` pages of each kind, one at a
/// time, and stops it.
pub(crate) async fn measure(
    url: &str,
    listen: &str,
    kinds: &[(&'static str, Arc<Vec<Client>>)],
    views: usize,
) -> Result<Vec<PerView>> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--insecure-http", "--db", url, "--listen", listen])
        .env("ITINERA_LOG", "warn")
        .env("ITINERA_SLOW_SQL_US", "0")
        .env("ITINERA_AGGREGATE_PREPARE_SECONDS", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        child.stdout.take().map(|o| collect(o, log.clone())),
        child.stderr.take().map(|e| collect(e, log.clone())),
    ];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = format!("http://{listen}");
    crate::wait_up(&http, &base).await?;
    // The pages of each kind, from the clients in turn (each their own desk and cases).
    let pages = |clients: &[Client], n: usize| -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        let mut round = 0;
        while out.len() < n && !clients.is_empty() {
            let before = out.len();
            for c in clients {
                if let Some(u) = c.urls.get(round) {
                    out.push((c.cookie.clone(), u.clone()));
                    if out.len() == n {
                        break;
                    }
                }
            }
            if out.len() == before {
                round = 0;
                if out.is_empty() {
                    break;
                }
            } else {
                round += 1;
            }
        }
        out
    };
    let get = |cookie: &Option<String>, u: &str| {
        let mut req = http.get(u);
        if let Some(c) = cookie {
            req = req.header("cookie", c.as_str());
        }
        req
    };
    // Warm: every kind ten times, so that the pool is open, the statements prepared and,
    // on PostgreSQL, past the five executions it plans one by one (custom plans) before
    // it settles on a generic plan for a prepared statement — the steady state of a
    // server that has been running.
    for (_, clients) in kinds {
        for (cookie, u) in pages(clients, 10) {
            let _ = get(&cookie, &u).send().await?.bytes().await;
        }
    }
    settle(&log).await;
    let mut out = Vec::new();
    for (name, clients) in kinds {
        log.lock().await.clear();
        let mut answered = 0;
        for (cookie, u) in pages(clients, views) {
            let r = get(&cookie, &u).send().await?;
            if r.status().is_success() {
                answered += 1;
            }
            let _ = r.bytes().await;
        }
        settle(&log).await;
        let logged = std::mem::take(&mut *log.lock().await);
        if answered == 0 {
            return Err(BenchError::Failed("a page kind answered no view"));
        }
        let n = answered as f64;
        let mut by: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        let mut total = 0.0;
        for (sql, secs) in &logged {
            let e = by.entry(shape(sql)).or_default();
            e.0 += 1;
            e.1 += secs;
            total += secs;
        }
        let mut top: Vec<(String, f64, f64)> = by
            .into_iter()
            .map(|(s, (k, secs))| (s, k as f64 / n, secs * 1000.0 / n))
            .collect();
        top.sort_by(|a, b| b.2.total_cmp(&a.2));
        top.truncate(3);
        out.push(PerView {
            name,
            views: answered,
            statements: logged.len() as f64 / n,
            db_ms: total * 1000.0 / n,
            top,
        });
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    for r in readers.into_iter().flatten() {
        r.abort();
    }
    Ok(out)
}

/// Prints what [`measure`] found.
pub(crate) fn report(found: &[PerView]) {
    println!(
        "statements per view (one page at a time on an idle server; session lookup and audit appends included):"
    );
    for k in found {
        println!(
            "  {}: {:.1} statements, database {:.2} ms per view ({} views)",
            k.name, k.statements, k.db_ms, k.views
        );
        for (sql, times, ms) in &k.top {
            println!("      {ms:.3} ms in {times:.1} × {sql}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn a_statement_is_told_by_its_first_words_with_whitespace_folded() {
        assert_eq!(
            shape("\n\n  SELECT a,\n   b FROM t WHERE x = $1\n"),
            "SELECT a, b FROM t WHERE x = $1"
        );
        let long = format!("SELECT {} FROM t", "col, ".repeat(40));
        let s = shape(&long);
        assert!(s.ends_with('…'));
        assert_eq!(s.chars().count(), 91);
    }
}
