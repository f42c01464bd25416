//! Latency at an offered load (an open loop), the way wrk2 measures it: requests are
//! due at a fixed rate whatever the answers do, and each one's latency is counted from
//! the time it was due, not from when it was sent — so a stall of the server (or of
//! this generator) shows in the figures instead of slowing the load down (no
//! coordinated omission).
//!
//! The requests go over a fixed set of kept-alive connections, request `k` on
//! connection `k mod connections`, each connection sending its next request when it is
//! due or, when the previous answer came late, at once. (The first version spawned a
//! task per request on one shared connection pool: past the server's ceiling it opened
//! a new connection for every waiting request, ran out of local ports and measured its
//! own connection storms — half the requests failed to connect.)
//!
//! A warm-up comes first at the same rate, as wrk2's calibration period does: the
//! connections are opened and the server's connections to its database made and their
//! statements prepared. Its answers are reported apart and not counted in the figures
//! (on a server just started, its first second was the run's worst: 250–290 ms).

use std::sync::Arc;
use std::time::Duration;

use itinera_clock::Stopwatch;

use crate::{Client, Result};

/// What one kind of page got.
pub struct Kind {
    pub name: &'static str,
    pub latencies_ms: Vec<f64>,
    pub errors: usize,
    /// The worst latency of each second of the run (by when the requests were due):
    /// stalls show as a few bad seconds, a queue as many.
    pub worst_by_second_ms: Vec<f64>,
    /// The warm-up's latencies (not in `latencies_ms`).
    pub warmup_ms: Vec<f64>,
}

/// What one connection got for each kind: latencies, errors, worst by second, warm-up.
type Got = (Vec<f64>, usize, Vec<f64>, Vec<f64>);

fn empty(kinds: usize) -> Vec<Got> {
    (0..kinds)
        .map(|_| (Vec::new(), 0, Vec::new(), Vec::new()))
        .collect()
}

/// One request: when it is due (from the start), its kind, its page and session.
struct Due {
    at: Duration,
    kind: usize,
    url: String,
    cookie: Option<String>,
}

/// Sends `rate` requests per second for `warmup` and then `seconds` seconds over
/// `connections` connections, spread in turn over `kinds` (each a name and its clients:
/// a session and the pages it opens in turn).
pub async fn run(
    kinds: Vec<(&'static str, Arc<Vec<Client>>)>,
    rate: f64,
    warmup: u64,
    seconds: u64,
    connections: usize,
) -> Result<Vec<Kind>> {
    let n = (rate * (warmup + seconds) as f64) as usize;
    let warmup = Duration::from_secs(warmup);
    let connections = connections.clamp(1, n.max(1));
    // The schedule, dealt out to the connections.
    let mut lanes: Vec<Vec<Due>> = (0..connections).map(|_| Vec::new()).collect();
    let mut next_url: Vec<usize> = vec![0; kinds.len()];
    for k in 0..n {
        let which = k % kinds.len().max(1);
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
        if let Some(lane) = lanes.get_mut(k % connections) {
            lane.push(Due {
                at: Duration::from_secs_f64(k as f64 / rate),
                kind: which,
                url,
                cookie: client.cookie.clone(),
            });
        }
    }
    let clock = Arc::new(Stopwatch::start());
    let mut handles = Vec::with_capacity(connections);
    for lane in lanes {
        // A client of its own per connection: one kept-alive connection each.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let clock = clock.clone();
        let kinds_n = kinds.len();
        handles.push(tokio::spawn(async move {
            let mut got = empty(kinds_n);
            for d in lane {
                let now = clock.elapsed();
                if d.at > now {
                    tokio::time::sleep(d.at - now).await;
                }
                let mut req = http.get(&d.url);
                if let Some(c) = &d.cookie {
                    req = req.header("cookie", c);
                }
                let ok = match req.send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                // From when it was due, not when it was sent.
                let ms = clock.elapsed().saturating_sub(d.at).as_secs_f64() * 1000.0;
                if let Some(slot) = got.get_mut(d.kind) {
                    if d.at < warmup {
                        slot.3.push(ms);
                        continue;
                    }
                    let second = (d.at - warmup).as_secs() as usize;
                    if slot.2.len() <= second {
                        slot.2.resize(second + 1, 0.0);
                    }
                    if let Some(w) = slot.2.get_mut(second) {
                        *w = w.max(ms);
                    }
                    if ok {
                        slot.0.push(ms);
                    } else {
                        slot.1 += 1;
                    }
                }
            }
            got
        }));
    }
    let mut all = empty(kinds.len());
    for h in handles {
        for (slot, (lat, errors, worst, warm)) in all.iter_mut().zip(h.await?) {
            slot.0.extend(lat);
            slot.1 += errors;
            slot.3.extend(warm);
            if slot.2.len() < worst.len() {
                slot.2.resize(worst.len(), 0.0);
            }
            for (w, x) in slot.2.iter_mut().zip(worst) {
                *w = w.max(x);
            }
        }
    }
    Ok(kinds
        .iter()
        .zip(all)
        .map(
            |((name, _), (latencies_ms, errors, worst_by_second_ms, warmup_ms))| Kind {
                name,
                latencies_ms,
                errors,
                worst_by_second_ms,
                warmup_ms,
            },
        )
        .collect())
}
