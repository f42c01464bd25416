#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Failover with nothing acknowledged lost: two `itinera serve` processes on a
//! pg_auto_failover formation (a monitor, a primary and its synchronous standby on
//! loopback, `scripts/ha-cluster.sh`), under a stream of writes (registrations and
//! contacts) spread over both servers. Each write carries an idempotency key; a write
//! whose answer is lost or refused with 503 is sent again with the same key, to either
//! server, until it is answered. Five times the primary PostgreSQL node is killed
//! (SIGKILL of all its processes) at a random moment once the round has its writes; the
//! formation fails over, the servers follow the new primary by themselves, and the
//! killed node rejoins as the standby. Then one Itinera server is killed and the other
//! carries the stream alone. At the end: every write acknowledged with 2xx is on the
//! primary, no write was made twice, the audit chain verifies, and writes were answered
//! again within 20 s of every kill.
//!
//! Needs root or sudo and the Debian packages of pg_auto_failover (the script installs
//! them): the README's test command runs it (`cargo test --test ha -- --ignored`).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use itinera_clock::Stopwatch;

use common::{free_port, setup_casework, start_server, Casework};
use itinera_domain::documents::dni_letter;
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::Mutex;

const ROUNDS: usize = 5;
/// Writes acknowledged in each round before its kill, at least.
const MIN_WRITES: usize = 10;
/// The longest a kill may keep writes from being answered.
const BACK_WITHIN: Duration = Duration::from_secs(20);
/// A write not answered for this long is a failure (reported at the end), not a wait.
const GIVE_UP: Duration = Duration::from_secs(90);

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ha-cluster.sh")
}

/// Runs a command of the formation's script, never for longer than its bound (the first
/// start may install packages): a step that hangs fails the test with its output instead
/// of holding the test command until CI's own limit.
fn sh(args: &[&str]) -> String {
    match try_sh(args) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    }
}

fn try_sh(args: &[&str]) -> Result<String, String> {
    let bound = if args.first() == Some(&"start") {
        "600"
    } else {
        "200"
    };
    let out = std::process::Command::new("timeout")
        .args(["-k", "10", bound, "bash", script()])
        .args(args)
        .output()
        .expect("ha-cluster.sh");
    if !out.status.success() {
        return Err(format!(
            "ha-cluster.sh {args:?} ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The last lines of the formation's logs (its creation, the monitor, the nodes).
fn print_logs(dir: &str) {
    for log in ["create", "monitor", "node1", "node2"] {
        let path = format!("{dir}/logs/{log}.log");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let tail: Vec<&str> = text.lines().rev().take(25).collect();
            eprintln!("--- {path}");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Starts a formation in a fresh directory; a start that fails (the standby's base
/// backup on a slow machine) is reported and tried once more from nothing, since what
/// is tested is the failover, not the set-up.
fn start_formation(port: &str) -> (String, String) {
    let mut failures = Vec::new();
    for _ in 0..2 {
        let dir = std::env::temp_dir()
            .join(format!("itinera-ha-{}", uuid::Uuid::new_v4().simple()))
            .to_string_lossy()
            .to_string();
        match try_sh(&["start", &dir, port]) {
            Ok(url) => {
                for f in &failures {
                    println!("failover test: a first start failed: {f}");
                }
                return (dir, url);
            }
            Err(e) => {
                print_logs(&dir);
                let _ = try_sh(&["stop", &dir]);
                failures.push(e);
            }
        }
    }
    panic!("the formation did not start: {failures:?}");
}

/// Stops the formation however the test ends.
struct Formation(String);

impl Drop for Formation {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the nodes and the monitor said last, before their files go.
            print_logs(&self.0);
            if let Ok(out) = std::process::Command::new("bash")
                .arg(script())
                .args(["state", &self.0])
                .output()
            {
                eprintln!(
                    "--- formation state\n{}",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
        }
        if std::env::var_os("ITINERA_TEST_HA_KEEP").is_some() {
            return;
        }
        let _ = std::process::Command::new("bash")
            .arg(script())
            .args(["stop", &self.0])
            .output();
    }
}

/// What the clients were told.
#[derive(Default)]
struct Told {
    /// Writes acknowledged with 2xx: (table, id).
    acked: Vec<(&'static str, String)>,
    /// Writes whose retry found their key claimed without an answer
    /// (`idempotency.in_progress`): made once, answer lost. (table, marker).
    applied_unanswered: Vec<(&'static str, String)>,
    /// When the attempt that was answered was sent, and when it was answered (since the
    /// test began).
    answered: Vec<(Duration, Duration)>,
    /// Answers of 503 or no answer at all, retried.
    retried: usize,
    /// Retries answered with the first answer (`Idempotent-Replayed`).
    replayed: usize,
    /// Writes still unanswered after `GIVE_UP`: (key, what the last attempt got).
    stuck: Vec<(String, String)>,
}

/// One writer: registrations (`kind` 0) or contacts (1), each sent with its own key to
/// the servers in turn, and sent again with the same key until it is answered.
#[allow(clippy::too_many_arguments)]
fn writer(
    kind: usize,
    ports: Arc<Vec<u16>>,
    alive: Arc<Vec<AtomicBool>>,
    s: Arc<Casework>,
    told: Arc<Mutex<Told>>,
    counter: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    clock: Arc<Stopwatch>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("client");
        while !stop.load(Ordering::Relaxed) {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let key = format!("ha-{kind}-{n}");
            let marker = format!("HA {n}");
            let (table, path, body) = if kind == 0 {
                let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
                    + chrono::Duration::days(i64::from(n) * 7_919 % 25_000);
                (
                    "participants",
                    "/participants".to_string(),
                    json!({
                        "given_name": "Conmuta", "surname1": "Prueba", "surname2": marker, "sex": "male",
                        "birth_date": birth.to_string(), "labour_status": "unemployed",
                        "documents": [{"kind": "dni", "number": format!("{n:08}{}", dni_letter(n))}],
                    }),
                )
            } else {
                (
                    "contacts",
                    format!("/cases/{}/contacts", s.case),
                    json!({
                        "kind": "individual_interview", "happened_on": s.opened_on, "summary": marker,
                    }),
                )
            };
            let mut attempt = n as usize;
            let first_sent = clock.elapsed();
            let mut last = String::new();
            loop {
                if clock.elapsed().saturating_sub(first_sent) > GIVE_UP {
                    told.lock().await.stuck.push((key.clone(), last));
                    break;
                }
                // The servers in turn, skipping one that was killed.
                let mut i = attempt % ports.len();
                if !alive[i].load(Ordering::SeqCst) {
                    i = (i + 1) % ports.len();
                }
                attempt += 1;
                let sent_at = clock.elapsed();
                let r = client
                    .post(format!("http://127.0.0.1:{}/api/v1{path}", ports[i]))
                    .bearer_auth(&s.token)
                    .header("idempotency-key", &key)
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let replayed = r.headers().get("idempotent-replayed").is_some();
                        let v: Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => {
                                told.lock().await.retried += 1;
                                continue;
                            }
                        };
                        let id = v["id"].as_str().unwrap_or_default().to_string();
                        assert!(!id.is_empty(), "an answer without an id: {v}");
                        let mut t = told.lock().await;
                        t.acked.push((table, id));
                        t.answered.push((sent_at, clock.elapsed()));
                        if replayed {
                            t.replayed += 1;
                        }
                        break;
                    }
                    Ok(r) if r.status().as_u16() == 409 => {
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        assert_eq!(
                            v["type"], "urn:itinera:problem:idempotency.in_progress",
                            "{v}"
                        );
                        told.lock()
                            .await
                            .applied_unanswered
                            .push((table, marker.clone()));
                        break;
                    }
                    Ok(r) if r.status().as_u16() == 503 => {
                        last = format!("503 from :{}", ports[i]);
                        told.lock().await.retried += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        panic!("write {key}: unexpected answer {status}: {text}");
                    }
                    Err(e) => {
                        last = format!("no answer from :{}: {e}", ports[i]);
                        told.lock().await.retried += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    })
}

/// Writes acknowledged whose answered attempt was sent after `since`.
async fn acked_since(told: &Arc<Mutex<Told>>, since: Duration) -> usize {
    told.lock()
        .await
        .answered
        .iter()
        .filter(|(sent, _)| *sent >= since)
        .count()
}

/// Waits for `more` acknowledged writes sent after `since`; panics after `limit`.
async fn wait_for_writes(
    told: &Arc<Mutex<Told>>,
    since: Duration,
    more: usize,
    limit: Duration,
    what: &str,
) {
    let started = Stopwatch::start();
    while acked_since(told, since).await < more {
        assert!(
            started.elapsed() < limit,
            "{what}: fewer than {more} writes in {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs pg_auto_failover (root or sudo); the README's test command runs it"]
async fn acknowledged_writes_survive_failover() {
    let port = std::env::var("ITINERA_TEST_HA_PORT").unwrap_or_else(|_| "56100".into());
    let clock = Arc::new(Stopwatch::start());
    let (dir, url) = start_formation(&port);
    let _formation = Formation(dir.clone());
    println!(
        "failover test: formation up in {:.1} s: {url}",
        clock.seconds()
    );
    let s = Arc::new(setup_casework(&url).await);
    let ports = Arc::new(vec![free_port(), free_port()]);
    let mut servers = [
        start_server(&url, ports[0]).await,
        start_server(&url, ports[1]).await,
    ];
    let alive = Arc::new(vec![AtomicBool::new(true), AtomicBool::new(true)]);
    let told = Arc::new(Mutex::new(Told::default()));
    let counter = Arc::new(AtomicU32::new(60_000_000));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            writer(
                w % 2,
                ports.clone(),
                alive.clone(),
                s.clone(),
                told.clone(),
                counter.clone(),
                stop.clone(),
                clock.clone(),
            )
        })
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_204);
    let mut failovers = Vec::new();
    for round in 0..ROUNDS {
        wait_for_writes(
            &told,
            clock.elapsed(),
            MIN_WRITES,
            Duration::from_secs(60),
            &format!("round {round}"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..500))).await;
        let node = sh(&["kill-primary", &dir]);
        let killed_at = clock.elapsed();
        // Writes sent after the kill are answered again (by either server, through the
        // new primary).
        wait_for_writes(
            &told,
            killed_at,
            3,
            BACK_WITHIN + Duration::from_secs(10),
            &format!("round {round} after the kill of {node}"),
        )
        .await;
        let back = {
            let t = told.lock().await;
            t.answered
                .iter()
                .filter(|(sent, _)| *sent >= killed_at)
                .map(|(_, answered)| answered.saturating_sub(killed_at))
                .min()
                .unwrap_or_default()
        };
        assert!(
            back <= BACK_WITHIN,
            "round {round}: writes back only after {back:?}"
        );
        failovers.push(back);
        // The killed node comes back as the standby before the next round.
        sh(&["rejoin", &dir, &node]);
        sh(&["wait-healthy", &dir]);
    }
    // One Itinera server goes: the other carries the stream.
    alive[0].store(false, Ordering::SeqCst);
    servers[0].start_kill().expect("kill server");
    let _ = servers[0].wait().await;
    let server_killed = clock.elapsed();
    wait_for_writes(
        &told,
        server_killed,
        2 * MIN_WRITES,
        Duration::from_secs(20),
        "with one server gone",
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer");
    }
    let _ = servers[1].start_kill();
    let _ = servers[1].wait().await;

    // Every acknowledged write is on the primary; none was made twice.
    let store = Store::connect(&url).await.expect("connect");
    let t = told.lock().await;
    assert!(
        t.stuck.is_empty(),
        "writes unanswered for {GIVE_UP:?}: {:?}",
        t.stuck
    );
    let mut tx = store.single().await.expect("tx");
    for table in ["participants", "contacts"] {
        let sql = format!("SELECT id FROM {table}");
        let stored: Vec<uuid::Uuid> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(&sql).fetch_all(c).await.map_err(itinera_store::db_err)).expect("ids");
        let stored: HashSet<String> = stored.into_iter().map(|u| u.to_string()).collect();
        for (_, id) in t.acked.iter().filter(|(t, _)| *t == table) {
            assert!(stored.contains(id), "acknowledged {table} {id} is gone");
        }
    }
    let twice: Vec<(String, i64)> = itinera_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT surname2, count(*) FROM participants WHERE surname2 LIKE 'HA %' GROUP BY surname2 HAVING count(*) > 1 \
         UNION ALL SELECT summary, count(*) FROM contacts WHERE summary LIKE 'HA %' GROUP BY summary HAVING count(*) > 1"
    ).fetch_all(c).await.map_err(itinera_store::db_err)).expect("duplicates");
    assert!(twice.is_empty(), "writes made twice: {twice:?}");
    for (table, marker) in &t.applied_unanswered {
        let sql = if *table == "participants" {
            "SELECT count(*) FROM participants WHERE surname2 = $1"
        } else {
            "SELECT count(*) FROM contacts WHERE summary = $1"
        };
        let n: i64 = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(sql).bind(marker).fetch_one(c).await.map_err(itinera_store::db_err)).expect("count");
        assert_eq!(n, 1, "{table} {marker}: claimed, so made exactly once");
    }
    tx.rollback().await.expect("end");
    let chain = itinera_store::audit::verify(&store).await.expect("verify");
    assert!(chain.intact, "audit chain broken: {chain:?}");
    store.close().await;

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (table, _) in &t.acked {
        *kinds.entry(table).or_default() += 1;
    }
    let secs: Vec<String> = failovers
        .iter()
        .map(|d| format!("{:.1}", d.as_secs_f64()))
        .collect();
    println!(
        "failover test ({ROUNDS} primaries killed, then one of two servers): acknowledged writes {kinds:?}, none lost, none twice; \
         writes answered again after {} s; {} requests retried, {} answers replayed, {} applied without answer",
        secs.join(", "),
        t.retried,
        t.replayed,
        t.applied_unanswered.len()
    );
}
