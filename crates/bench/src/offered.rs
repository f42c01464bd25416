//! Latency at an offered load (an open loop): requests are sent at a fixed rate
//! whatever the answers do, and each one's latency is counted from the time it was
//! scheduled to be sent, not from when it was sent — so a stall of the server (or of
//! this generator) shows in the figures instead of slowing the load down (no
//! coordinated omission).

use std::sync::Arc;
use std::time::Duration;

use itinera_clock::Stopwatch;
use tokio::sync::Mutex;

use crate::{Client, Result};

/// The latencies and errors of one kind, as they come.
type Slot = Mutex<(Vec<f64>, usize)>;

/// What one kind of page got.
pub struct Kind {
    pub name: &'static str,
    pub latencies_ms: Vec<f64>,
    pub errors: usize,
}

/// Sends `rate` requests per second for `seconds`, spread in turn over `kinds` (each a
/// name and its clients: a session and the pages it opens in turn).
pub async fn run(
    http: reqwest::Client,
    kinds: Vec<(&'static str, Arc<Vec<Client>>)>,
    rate: f64,
    seconds: u64,
) -> Result<Vec<Kind>> {
    let n = (rate * seconds as f64) as usize;
    let results: Arc<Vec<Slot>> =
        Arc::new(kinds.iter().map(|_| Mutex::new((Vec::new(), 0))).collect());
    let clock = Arc::new(Stopwatch::start());
    let mut handles = Vec::with_capacity(n);
    let mut next_url: Vec<usize> = vec![0; kinds.len()];
    for k in 0..n {
        let due = Duration::from_secs_f64(k as f64 / rate);
        let now = clock.elapsed();
        if due > now {
            tokio::time::sleep(due - now).await;
        }
        let which = k % kinds.len();
        let Some((_, clients)) = kinds.get(which) else {
            continue;
        };
        let turn = next_url.get(which).copied().unwrap_or(0);
        if let Some(t) = next_url.get_mut(which) {
            *t += 1;
        }
        let Some(client) = clients.get(turn % clients.len().max(1)) else {
            continue;
        };
        let Some(url) = client
            .urls
            .get((turn / clients.len().max(1)) % client.urls.len().max(1))
            .cloned()
        else {
            continue;
        };
        let cookie = client.cookie.clone();
        let (http, clock, results) = (http.clone(), clock.clone(), results.clone());
        handles.push(tokio::spawn(async move {
            let mut req = http.get(&url);
            if let Some(c) = &cookie {
                req = req.header("cookie", c);
            }
            let ok = match req.send().await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            // From the scheduled send, not the actual one.
            let ms = clock.elapsed().saturating_sub(due).as_secs_f64() * 1000.0;
            if let Some(slot) = results.get(which) {
                let mut s = slot.lock().await;
                if ok {
                    s.0.push(ms);
                } else {
                    s.1 += 1;
                }
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    let mut out = Vec::new();
    for (i, (name, _)) in kinds.iter().enumerate() {
        let (lat, errors) = match results.get(i) {
            Some(s) => std::mem::take(&mut *s.lock().await),
            None => (Vec::new(), 0),
        };
        out.push(Kind {
            name,
            latencies_ms: lat,
            errors,
        });
    }
    Ok(out)
}
