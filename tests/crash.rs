#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Crash safety: the real binary, under a stream of writes, is killed with SIGKILL at
//! random moments (20 times); after each restart every write it acknowledged (2xx) is
//! there, the database's integrity check passes and the audit chain is intact. Runs on
//! the engine named by `ITINERA_TEST_DB` (sqlite by default, or postgres).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use itinera_domain::documents::dni_letter;
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

const ROUNDS: usize = 20;
const WRITERS: usize = 4;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_itinera")
}

mod common;

async fn database_url() -> String {
    common::fresh_database_url().await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

async fn start(url: &str, port: u16) -> Child {
    let child = Command::new(exe())
        .args([
            "serve",
            "--db",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("ITINERA_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("spawn server");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let url = database_url().await;
    let seeded = Command::new(exe())
        .args(["demo", "--no-serve", "--participants", "10", "--db", &url])
        .env("ITINERA_LOG", "error")
        .output()
        .await
        .expect("seed");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let out = Command::new(exe())
        .args(["token", "create", "--username", "ts.badajoz", "--db", &url])
        .env("ITINERA_LOG", "error")
        .output()
        .await
        .expect("token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("itn_"));

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_123);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let counter = Arc::new(AtomicU32::new(40_000_000));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let mut kills = 0;
    let mut checked = 0;
    for round in 0..ROUNDS {
        let port = free_port();
        let mut server = start(&url, port).await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let (client, token, acknowledged, counter, stop) = (
                client.clone(),
                token.clone(),
                acknowledged.clone(),
                counter.clone(),
                stop.clone(),
            );
            writers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    // A different birth date each: these are different people.
                    let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
                        + chrono::Duration::days(i64::from(n) * 7_919 % 25_000);
                    let body = serde_json::json!({
                        "given_name": "Crash", "surname1": "Prueba", "sex": "male", "birth_date": birth.to_string(),
                        "labour_status": "unemployed", "documents": [{"kind": "dni", "number": format!("{n:08}{}", dni_letter(n))}],
                    });
                    match client.post(format!("http://127.0.0.1:{port}/api/v1/participants")).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<serde_json::Value>().await {
                                if let Some(id) = v["id"].as_str() {
                                    acknowledged.lock().await.push(id.to_string());
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(30..400))).await;
        server.start_kill().expect("SIGKILL");
        let _ = server.wait().await;
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            let _ = w.await;
        }
        // Restart and check every acknowledged write.
        let port = free_port();
        let mut server = start(&url, port).await;
        let ids = acknowledged.lock().await.clone();
        // This round's writes through the API, as a client would look for them…
        for id in &ids[checked..] {
            let r = client
                .get(format!("http://127.0.0.1:{port}/api/v1/participants/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            assert_eq!(
                r.status().as_u16(),
                200,
                "round {round}: acknowledged participant {id} is gone"
            );
        }
        checked = ids.len();
        server.start_kill().expect("kill");
        let _ = server.wait().await;
        // …and every write of every round, in the database.
        let store = Store::connect(&url).await.expect("connect");
        let mut tx = store.read().await.expect("tx");
        let stored: Vec<uuid::Uuid> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM participants WHERE surname1 = 'Prueba'").fetch_all(c).await.map_err(itinera_store::db_err)).expect("ids");
        tx.rollback().await.expect("rollback");
        let stored: std::collections::HashSet<String> =
            stored.into_iter().map(|u| u.to_string()).collect();
        for id in &ids {
            assert!(
                stored.contains(id),
                "round {round}: acknowledged participant {id} is gone"
            );
        }
        assert!(
            store.integrity_check().await.expect("integrity"),
            "round {round}: integrity check failed"
        );
        let chain = itinera_store::audit::verify(&store).await.expect("verify");
        assert!(chain.intact, "round {round}: audit chain broken: {chain:?}");
        store.close().await;
    }
    let total = acknowledged.lock().await.len();
    println!("crash test: {kills} SIGKILLs, {total} acknowledged writes, all present, integrity and audit chain intact");
    assert_eq!(kills, ROUNDS);
    assert!(
        total > ROUNDS,
        "too few writes were acknowledged to mean anything: {total}"
    );
}
