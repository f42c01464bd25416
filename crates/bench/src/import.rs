//! The import under load: a file of `--import-rows` records (the synthetic population of
//! the linkage benchmark) imported through the API by the Badajoz
//! social worker, while the professionals keep opening their participants' pages and
//! another service keeps registering people. Prints the import's time, how long it held
//! the writer (from its audit entry), the pages' latency during it and the longest
//! wait of the other service's registrations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine;
use itinera_clock::Stopwatch;
use serde_json::json;
use tokio::sync::Mutex;

use crate::{load_until, summary, BenchError, Client, Result};

/// A file of `rows` records as a registry exports them: the linkage benchmark's
/// synthetic population (people recorded up to five times, with typos, missing and
/// swapped fields, relatives at one address), with its record id as the source id.
pub fn file(rows: usize, seed: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    itinera_seed::synth::write(&mut out, rows, seed)
        .map_err(|_| BenchError::Failed("the import file could not be written"))?;
    Ok(out)
}

/// Runs the import through the API at `base` with `token`, while `pages` load the
/// server and `registrar` (a token of another service) registers people.
pub async fn measure(
    http: reqwest::Client,
    base: &str,
    token: &str,
    registrar: &str,
    pages: Arc<Vec<Client>>,
    rows: usize,
) -> Result<()> {
    let bytes = file(rows, 13)?;
    let body = json!({
        "file_name": "bench-import.csv",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "source": "Benchmark",
        "mapping": {"columns": [
            {"column": "rec_id", "target": "external_id"},
            {"column": "person_id", "target": "ignore"},
            {"column": "given_name", "target": "given_name"},
            {"column": "surname", "target": "surnames"},
            {"column": "sex", "target": "sex"},
            {"column": "birth_date", "target": "birth_date"},
            {"column": "document", "target": "document"},
            {"column": "postcode", "target": "postcode"},
            {"column": "municipality", "target": "ignore"},
            {"column": "address", "target": "address"},
            {"column": "phone", "target": "phone"},
            {"column": "email", "target": "email"}
        ], "default_labour_status": "unemployed"},
        "save_mapping": false, "dry_run": false, "skip_invalid": true
    });
    println!(
        "import: {rows} rows ({:.1} MB), while the professionals open pages and another service registers people",
        bytes.len() as f64 / 1e6
    );
    let stop = Arc::new(AtomicBool::new(false));
    let page_load = tokio::spawn(load_until(http.clone(), pages, stop.clone()));
    // The other service: one registration after another, each timed.
    let writes = {
        let (http, stop) = (http.clone(), stop.clone());
        let url = format!("{base}/api/v1/participants");
        let token = registrar.to_string();
        let waits = Arc::new(Mutex::new(Vec::new()));
        let w = waits.clone();
        let task = tokio::spawn(async move {
            let mut k: u32 = 0;
            while !stop.load(Ordering::Relaxed) {
                k += 1;
                let t = Stopwatch::start();
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({
                        "given_name": format!("Registro{k}"), "surname1": "Banco", "surname2": "",
                        "sex": "female", "birth_date": "1984-03-07", "nationality": "ES",
                        "labour_status": "unemployed", "documents": []
                    }))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    w.lock().await.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
        (task, waits)
    };
    let turn_before = longest_turn_ms(&http, base).await;
    let t = Stopwatch::start();
    let r = http
        .post(format!("{base}/api/v1/imports"))
        .bearer_auth(token)
        .timeout(std::time::Duration::from_secs(3600))
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let report: serde_json::Value = r.json().await?;
    let took = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (lat, rps, errs) = page_load.await??;
    writes.0.await?;
    let field = |k: &str| report.get(k).cloned().unwrap_or_default();
    if !status.is_success() || field("applied") != true {
        eprintln!(
            "import answer {status}: {}",
            report.to_string().chars().take(500).collect::<String>()
        );
        return Err(BenchError::Failed("the import was not applied"));
    }
    println!(
        "import: {took:.1} s in all; created {}, existing {}, linked {}, review {}, rejected {}",
        field("created"),
        field("existing"),
        field("linked"),
        field("review"),
        field("rejected")
    );
    let (p50, _, p99, n) = summary(lat);
    println!("participant page during the import: p50 {p50:.2} ms, p99 {p99:.2} ms, {rps:.0} req/s ({n} requests, {errs} errors)");
    let waits = std::mem::take(&mut *writes.1.lock().await);
    let longest = waits.iter().copied().fold(0.0, f64::max);
    let (p50, _, p99, n) = summary(waits);
    println!("another service's registrations during the import: p50 {p50:.2} ms, p99 {p99:.2} ms, longest {longest:.0} ms ({n} registrations)");
    match (turn_before, longest_turn_ms(&http, base).await) {
        (Some(before), Some(after)) if after > before => println!(
            "import: held SQLite's writer {after:.0} ms in all, its commit included (the longest writer turn, {before:.0} ms before the import)"
        ),
        (Some(before), Some(_)) => println!(
            "import: no writer turn longer than the {before:.0} ms before the import"
        ),
        _ => {}
    }
    Ok(())
}

/// The longest writer turn of the server so far (ms), from its metrics; none on
/// PostgreSQL.
async fn longest_turn_ms(http: &reqwest::Client, base: &str) -> Option<f64> {
    crate::metric(http, base, "itinera_sqlite_writer_longest_turn_seconds")
        .await
        .map(|s| s * 1000.0)
}
