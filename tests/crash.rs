#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Crash safety: the real binary, under a stream of writes of three kinds
//! (registrations, contacts, itinerary goals) and of reads of a person's data, is
//! killed with SIGKILL (20 rounds), each time only after a minimum of writes and reads
//! of the round were answered. After each restart every write it acknowledged (2xx) is
//! there, every read it answered with 2xx has its audit entry (found by the answer's
//! request id), the database's own checks pass and the audit chain is intact. Every
//! answer that is not 2xx is accounted for: none may come before the kill. Runs on the
//! engine named by `ITINERA_TEST_DB` (sqlite by default, or postgres); on PostgreSQL a
//! second test kills PostgreSQL itself (SIGKILL of the postmaster) on a cluster of its
//! own and checks every index and table with `amcheck`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use itinera_domain::documents::dni_letter;
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::process::Child;
use tokio::sync::Mutex;

const ROUNDS: usize = 20;
/// Rounds in which PostgreSQL itself is killed.
const PG_ROUNDS: usize = 6;
/// Writes and reads each round answers before the kill, at least.
const MIN_WRITES: usize = 6;
const MIN_READS: usize = 6;

mod common;

use common::{free_port, setup_casework as setup, start_server as start, Casework as Setup};

/// What the clients were told.
#[derive(Default)]
struct Told {
    /// Acknowledged writes: (table, id).
    writes: Vec<(&'static str, String)>,
    /// Request ids of reads answered with 2xx.
    reads: Vec<String>,
    /// Answers that were not 2xx: (status, before the kill?, what).
    refused: Vec<(u16, bool, String)>,
    /// Requests cut by the kill (no answer).
    cut: usize,
}

/// Starts the clients of one round: three writers (one per kind) and three readers.
fn clients(
    port: u16,
    s: &Setup,
    told: &Arc<Mutex<Told>>,
    counter: &Arc<AtomicU32>,
    stop: &Arc<AtomicBool>,
    killed: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let mut tasks = Vec::new();
    for kind in 0..6 {
        let (client, base, token, told, counter, stop, killed) = (
            client.clone(),
            base.clone(),
            s.token.clone(),
            told.clone(),
            counter.clone(),
            stop.clone(),
            killed.clone(),
        );
        let (case, participant, day) = (s.case.clone(), s.participant.clone(), s.opened_on.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let (table, req) = match kind {
                    0 => {
                        // A different birth date each: these are different people.
                        let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
                            + chrono::Duration::days(i64::from(n) * 7_919 % 25_000);
                        ("participants", client.post(format!("{base}/participants")).json(&json!({
                            "given_name": "Crash", "surname1": "Prueba", "sex": "male", "birth_date": birth.to_string(),
                            "labour_status": "unemployed", "documents": [{"kind": "dni", "number": format!("{n:08}{}", dni_letter(n))}],
                        })))
                    }
                    1 => ("contacts", client.post(format!("{base}/cases/{case}/contacts")).json(&json!({
                        "kind": "individual_interview", "happened_on": day, "summary": format!("Entrevista {n}"),
                    }))),
                    2 => ("itinerary_goals", client.post(format!("{base}/cases/{case}/itinerary/goals")).json(&json!({
                        "domain": "employment", "description": format!("Objetivo {n}"),
                    }))),
                    3 => ("", client.get(format!("{base}/participants/{participant}"))),
                    4 => ("", client.get(format!("{base}/cases/{case}"))),
                    _ => ("", client.get(format!("{base}/cases/{case}/contacts"))),
                };
                match req.bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let request_id = r
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        match r.json::<Value>().await {
                            Ok(v) if table.is_empty() => {
                                // A read: answered in full, with its request id.
                                let _ = v;
                                told.lock().await.reads.push(request_id);
                            }
                            Ok(v) => {
                                let id = v["id"].as_str().unwrap_or_default().to_string();
                                told.lock().await.writes.push((table, id));
                            }
                            // The body was cut by the kill: not an answer.
                            Err(_) => told.lock().await.cut += 1,
                        }
                    }
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body = r.text().await.unwrap_or_default();
                        let before = !killed.load(Ordering::SeqCst);
                        told.lock()
                            .await
                            .refused
                            .push((status, before, format!("{kind}: {body}")));
                    }
                    Err(_) => {
                        told.lock().await.cut += 1;
                        if killed.load(Ordering::SeqCst) {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    tasks
}

/// Waits until the round has its minimum of answered writes and reads.
async fn wait_for_minimum(told: &Arc<Mutex<Told>>, writes: usize, reads: usize, round: usize) {
    for _ in 0..2000 {
        {
            let t = told.lock().await;
            if t.writes.len() >= writes + MIN_WRITES && t.reads.len() >= reads + MIN_READS {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let t = told.lock().await;
    panic!(
        "round {round}: too few answers before the kill ({} writes, {} reads, refused {:?})",
        t.writes.len() - writes,
        t.reads.len() - reads,
        t.refused
    );
}

/// Every acknowledged write is in the database, every answered read has its audit
/// entry, the chain is intact.
async fn check(url: &str, told: &Told, round: usize) -> Store {
    let store = Store::connect(url).await.expect("connect");
    let mut tx = store.single().await.expect("tx");
    for table in ["participants", "contacts", "itinerary_goals"] {
        let sql = format!("SELECT id FROM {table}");
        let stored: Vec<uuid::Uuid> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(&sql).fetch_all(c).await.map_err(itinera_store::db_err)).expect("ids");
        let stored: HashSet<String> = stored.into_iter().map(|u| u.to_string()).collect();
        for (t, id) in told.writes.iter().filter(|(t, _)| *t == table) {
            assert!(
                stored.contains(id),
                "round {round}: acknowledged {t} {id} is gone"
            );
        }
    }
    let audited: Vec<String> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT request_id FROM audit_read_log WHERE action IN ('participant.read', 'case.read', 'contact.read')"
    ).fetch_all(c).await.map_err(itinera_store::db_err)).expect("audit");
    let audited: HashSet<String> = audited.into_iter().collect();
    for r in &told.reads {
        assert!(
            audited.contains(r),
            "round {round}: the read answered as request {r} has no audit entry"
        );
    }
    tx.rollback().await.expect("end");
    let chain = itinera_store::audit::verify(&store).await.expect("verify");
    assert!(chain.intact, "round {round}: audit chain broken: {chain:?}");
    store
}

/// A round's server and clients, once the round has its minimum of answers and a
/// random moment more has passed: ready for the kill.
struct Round {
    server: Child,
    stop: Arc<AtomicBool>,
    killed: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn round_under_load(
    url: &str,
    s: &Setup,
    told: &Arc<Mutex<Told>>,
    counter: &Arc<AtomicU32>,
    round: usize,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Round {
    let (writes, reads) = {
        let t = told.lock().await;
        (t.writes.len(), t.reads.len())
    };
    let port = free_port();
    let server = start(url, port).await;
    let (stop, killed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let tasks = clients(port, s, told, counter, &stop, &killed);
    wait_for_minimum(told, writes, reads, round).await;
    tokio::time::sleep(Duration::from_millis(rng.gen_range(0..150))).await;
    Round {
        server,
        stop,
        killed,
        tasks,
    }
}

fn report(told: &Told, what: &str) {
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for (t, _) in &told.writes {
        *kinds.entry(t).or_default() += 1;
    }
    println!(
        "crash test ({what}): acknowledged writes {kinds:?}, {} reads answered and audited, {} answers refused after the kill, {} requests cut",
        told.reads.len(),
        told.refused.len(),
        told.cut
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_and_reads_survive_sigkill() {
    let url = common::fresh_database_url().await;
    let s = setup(&url).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_123);
    let told = Arc::new(Mutex::new(Told::default()));
    let counter = Arc::new(AtomicU32::new(40_000_000));
    for round in 0..ROUNDS {
        let Round {
            mut server,
            stop,
            killed,
            tasks,
        } = round_under_load(&url, &s, &told, &counter, round, &mut rng).await;
        killed.store(true, Ordering::SeqCst);
        server.start_kill().expect("SIGKILL");
        let _ = server.wait().await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let t = told.lock().await;
        let early: Vec<_> = t.refused.iter().filter(|r| r.1).collect();
        assert!(
            early.is_empty(),
            "round {round}: refused before the kill: {early:?}"
        );
        let store = check(&url, &t, round).await;
        assert!(
            store.integrity_check().await.expect("integrity"),
            "round {round}: integrity check failed"
        );
        store.close().await;
    }
    let t = told.lock().await;
    report(&t, &format!("{ROUNDS} SIGKILLs of the server"));
    assert!(t.writes.len() >= ROUNDS * MIN_WRITES);
    assert!(t.reads.len() >= ROUNDS * MIN_READS);
}

/// PostgreSQL killed under the same load, on a cluster of this test's own: writes
/// and reads acknowledged before are there after its recovery, and `amcheck` finds
/// every B-tree index and every table sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_and_reads_survive_a_killed_postgres() {
    if !common::on_postgres() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster.sh");
    let pgdir = std::env::temp_dir()
        .join(format!(
            "itinera-crash-pg-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .to_string_lossy()
        .to_string();
    let pgport = free_port().to_string();
    let sh = |args: Vec<&str>| {
        let out = std::process::Command::new("bash")
            .arg(script)
            .args(args)
            .output()
            .expect("pg-cluster.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let base_url = sh(vec!["start", &pgdir, &pgport]);
    struct Stop(String, &'static str);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::process::Command::new("bash")
                .arg(self.1)
                .args(["stop", &self.0])
                .output();
        }
    }
    let _stop = Stop(pgdir.clone(), script);
    let url = base_url.clone();
    let s = setup(&url).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_203);
    let told = Arc::new(Mutex::new(Told::default()));
    let counter = Arc::new(AtomicU32::new(50_000_000));
    for round in 0..PG_ROUNDS {
        let Round {
            mut server,
            stop,
            killed,
            tasks,
        } = round_under_load(&url, &s, &told, &counter, round, &mut rng).await;
        killed.store(true, Ordering::SeqCst);
        sh(vec!["kill", &pgdir]);
        // The server answers what was in flight with errors; then it goes too.
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        server.start_kill().expect("kill");
        let _ = server.wait().await;
        sh(vec!["restart", &pgdir, &pgport]);
        let t = told.lock().await;
        let early: Vec<_> = t.refused.iter().filter(|r| r.1).collect();
        assert!(
            early.is_empty(),
            "round {round}: refused before the kill: {early:?}"
        );
        // Every answer after the kill was an error the client can see (5xx), never
        // a success that is not there.
        assert!(
            t.refused.iter().all(|r| r.0 >= 500),
            "round {round}: {:?}",
            t.refused
        );
        let store = check(&url, &t, round).await;
        let mut tx = store.single().await.expect("tx");
        let broken: Vec<String> = itinera_store::on_tx!(&mut tx, c => async {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck").execute(&mut *c).await?;
            let mut bad: Vec<String> = Vec::new();
            let indexes: Vec<(String,)> = sqlx::query_as(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE a.amname = 'btree' AND n.nspname = current_schema()").fetch_all(&mut *c).await?;
            for (ix,) in &indexes {
                if let Err(e) = sqlx::query("SELECT bt_index_check($1::regclass, true)").bind(ix).execute(&mut *c).await {
                    bad.push(format!("{ix}: {e}"));
                }
            }
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND n.nspname = current_schema()").fetch_all(&mut *c).await?;
            for (t,) in &tables {
                let problems: Vec<(Option<String>,)> = sqlx::query_as("SELECT msg FROM verify_heapam($1::regclass)")
                    .bind(t).fetch_all(&mut *c).await?;
                bad.extend(problems.into_iter().map(|(m,)| format!("{t}: {}", m.unwrap_or_default())));
            }
            assert!(indexes.len() > 20 && tables.len() > 20, "amcheck saw {} indexes, {} tables", indexes.len(), tables.len());
            Ok::<_, sqlx::Error>(bad)
        }.await.map_err(itinera_store::db_err)).expect("amcheck");
        tx.rollback().await.expect("end");
        assert!(broken.is_empty(), "round {round}: amcheck: {broken:?}");
        store.close().await;
    }
    let t = told.lock().await;
    report(
        &t,
        &format!("{PG_ROUNDS} SIGKILLs of the PostgreSQL postmaster"),
    );
    assert!(t.writes.len() >= PG_ROUNDS * MIN_WRITES);
}
