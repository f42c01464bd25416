//! `itinera bench`: generates participants with cases on a fresh SQLite database and
//! measures, in one run: seeding time; search by surname prefix and by document (p50,
//! p95); over HTTP, with as many professionals at once as clients, each signed in and
//! opening their own cases (the busiest caseloads): the participant page, the case
//! page, the itinerary and contacts pages and the work list (p50, p99, requests/s);
//! `/health` throughput (the ceiling); the server's peak memory.
//! The server runs as a child process so that its memory is its own.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use itinera_clock::Stopwatch;
use itinera_domain::PageRequest;
use itinera_seed::demo::{self, DemoOptions};
use itinera_service::{Ctx, Services, Settings, SystemClock};
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::Mutex;

mod import;
mod indicators;
mod offered;
mod statements;
mod training;

/// What can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Domain(#[from] itinera_domain::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Failed(&'static str),
}

type Result<T, E = BenchError> = std::result::Result<T, E>;

/// The metrics token of the benchmark's server (it listens on loopback only).
pub(crate) const METRICS_TOKEN: &str = "itinera-bench-metrics";

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    participants: usize,
    /// Contacts in all (default: ten per participant, 10,000,000 for a million).
    #[arg(long)]
    contacts: Option<usize>,
    /// Measure on the database a previous run left in `--dir` (no seeding).
    #[arg(long)]
    reuse: bool,
    /// Directory for the benchmark database (emptied first).
    #[arg(long, default_value = "bench-data")]
    dir: String,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of load per HTTP measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Searches of each kind.
    #[arg(long, default_value_t = 400)]
    searches: usize,
    #[arg(long, default_value = "127.0.0.1:18080")]
    listen: String,
    /// SQLite page cache (MB) of the writing connection while seeding (the server keeps
    /// its normal 128 MB).
    #[arg(long, default_value_t = 1024)]
    load_cache_mb: u32,
    /// Also import a file of this many rows through the API under load (0: no import).
    #[arg(long, default_value_t = 0)]
    import_rows: usize,
    /// The database to measure: `postgres://…` (emptied first unless `--reuse`), or by
    /// default a SQLite file in `--dir`.
    #[arg(long)]
    db: Option<String>,
    /// Also write every figure to this file as JSON.
    #[arg(long)]
    json: Option<String>,
    /// Pages per second offered in the open-loop measurement, one run per rate
    /// (`--rate 300,1000`; 0: none).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    rate: Vec<f64>,
    /// The kinds of page the open loop mixes (`--offered-pages course`: that page alone);
    /// by default every kind measured: participant, case, itinerary, contacts, worklist
    /// and, with `--courses`, course.
    #[arg(long, value_delimiter = ',')]
    offered_pages: Vec<String>,
    /// Kept-alive connections of the open loop (requests are dealt out to them in turn).
    #[arg(long, default_value_t = 100)]
    offered_connections: usize,
    /// Seconds of the open-loop measurement.
    #[arg(long, default_value_t = 60)]
    offered_seconds: u64,
    /// Seconds of warm-up at the same rate before the open-loop measurement (reported
    /// apart, not counted).
    #[arg(long, default_value_t = 5)]
    offered_warmup: u64,
    /// Also load this many training courses and measure attendance (0: none).
    #[arg(long, default_value_t = 0)]
    courses: usize,
    /// Attendance rows to load with the courses (default: 100 per course).
    #[arg(long)]
    attendance_rows: Option<usize>,
    /// Times the objectives sheet, the ESF+ table, the dashboard and compliance are
    /// read again after a first read (0: not measured).
    #[arg(long, default_value_t = 5)]
    indicator_repeats: usize,
    /// Views of each page kind sent to a server that logs every statement, to count the
    /// statements and the database time per view (0: not measured).
    #[arg(long, default_value_t = 20)]
    statement_views: usize,
}

fn ms(f: &serde_json::Value, key: &str) -> f64 {
    f.get(key)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0)
}

/// One figure of the run, as `--json` writes it.
#[allow(clippy::too_many_arguments)]
fn figure(
    engine: &str,
    measure: &str,
    page: Option<&str>,
    rate: Option<f64>,
    lat: Option<&[f64]>,
    pages_per_s: Option<f64>,
    seconds: Option<f64>,
    mb: Option<f64>,
) -> serde_json::Value {
    let (p50, p99, p999) = match lat {
        Some(l) if !l.is_empty() => {
            let mut v = l.to_vec();
            v.sort_by(|a, b| a.total_cmp(b));
            (
                Some(pct(&v, 0.50)),
                Some(pct(&v, 0.99)),
                Some(pct(&v, 0.999)),
            )
        }
        _ => (None, None, None),
    };
    serde_json::json!({
        "engine": engine, "measure": measure, "page": page, "rate": rate,
        "p50_ms": p50, "p99_ms": p99, "p999_ms": p999,
        "pages_per_s": pages_per_s, "seconds": seconds, "mb": mb,
    })
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).or(sorted.last()).copied().unwrap_or(0.0)
}

pub(crate) fn summary(mut ms: Vec<f64>) -> (f64, f64, f64, usize) {
    ms.sort_by(|a, b| a.total_cmp(b));
    (pct(&ms, 0.50), pct(&ms, 0.95), pct(&ms, 0.99), ms.len())
}

/// One client of the load: its session cookie, if any, and the pages it opens in turn.
pub(crate) struct Client {
    cookie: Option<String>,
    urls: Vec<String>,
}

/// Runs one loop per client for `seconds`, each opening its pages in turn; returns the
/// latencies (ms), the requests per second and the errors.
async fn load(
    http: reqwest::Client,
    clients: Arc<Vec<Client>>,
    seconds: u64,
) -> Result<(Vec<f64>, f64, usize)> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let out = load_until(http, clients, stop).await;
    timer.abort();
    out
}

/// Runs one loop per client until `stop`, each opening its pages in turn.
pub(crate) async fn load_until(
    http: reqwest::Client,
    clients: Arc<Vec<Client>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<(Vec<f64>, f64, usize)> {
    let lat = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Stopwatch::start();
    let mut handles = Vec::new();
    for w in 0..clients.len() {
        let (http, clients, lat, errors, stop) = (
            http.clone(),
            clients.clone(),
            lat.clone(),
            errors.clone(),
            stop.clone(),
        );
        handles.push(tokio::spawn(async move {
            let Some(me) = clients.get(w) else {
                return;
            };
            let mut mine = Vec::new();
            let mut urls = me.urls.iter().cycle();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Some(url) = urls.next() else {
                    break;
                };
                let t = Stopwatch::start();
                let mut req = http.get(url);
                if let Some(c) = &me.cookie {
                    req = req.header("cookie", c);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            lat.lock().await.extend(mine);
        }));
    }
    for h in handles {
        h.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let v = std::mem::take(&mut *lat.lock().await);
    let rps = v.len() as f64 / elapsed;
    Ok((v, rps, errors.load(std::sync::atomic::Ordering::Relaxed)))
}

/// One value of the server's metrics (`/metrics`), if it has it.
pub(crate) async fn metric(http: &reqwest::Client, base: &str, name: &str) -> Option<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// Waits (up to ten seconds) for a server just started at `base` to answer.
pub(crate) async fn wait_up(http: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..100 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(BenchError::Failed("the server did not start"))
}

/// The server's peak and current resident memory, and of the current its own
/// (anonymous) memory: the rest is the database file mapped by SQLite's reading
/// connections, each mapping counted on its own though they share the kernel's pages.
fn peak_memory_mb(pid: u32) -> Option<(f64, f64, f64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some((
        kb("VmHWM:")? / 1024.0,
        kb("VmRSS:")? / 1024.0,
        kb("RssAnon:")? / 1024.0,
    ))
}

pub async fn run(a: BenchArgs) -> Result<()> {
    const KINDS: [&str; 6] = [
        "participant",
        "case",
        "itinerary",
        "contacts",
        "worklist",
        "course",
    ];
    if a.offered_pages.iter().any(|p| !KINDS.contains(&p.as_str()))
        || (a.offered_pages.iter().any(|p| p == "course") && a.courses == 0)
    {
        return Err(BenchError::Failed(
            "--offered-pages: participant, case, itinerary, contacts, worklist, course (course with --courses)",
        ));
    }
    let path = format!("{}/bench.db", a.dir);
    let on_pg = a.db.as_deref().is_some_and(|u| u.starts_with("postgres"));
    let engine = if on_pg { "postgres" } else { "sqlite" };
    let reuse = a.reuse && (on_pg || std::path::Path::new(&path).exists());
    if !reuse && !on_pg {
        let _ = std::fs::remove_dir_all(&a.dir);
        std::fs::create_dir_all(&a.dir)?;
    }
    let url = a.db.clone().unwrap_or_else(|| format!("sqlite://{path}"));
    let mut figures: Vec<serde_json::Value> = Vec::new();
    // The load gets a large page cache; the server started below has the normal one.
    let store = Store::connect_with_cache(&url, a.load_cache_mb).await?;
    if on_pg && !reuse {
        itinera_store::schema::empty_postgres(&store).await?;
    }
    store
        .migrate(itinera_service::Clock::now(&SystemClock))
        .await?;
    let settings =
        Settings::of_deployment(&store, itinera_service::Clock::now(&SystemClock)).await?;
    let services = Services::new(store.clone(), Arc::new(SystemClock), settings);

    println!(
        "# Itinera benchmark: {} participants, {engine}, {} clients",
        a.participants, a.concurrency
    );
    if reuse {
        println!(
            "seeding: skipped (--reuse: the database in {} as it is)",
            a.dir
        );
    } else {
        let t = Stopwatch::start();
        let report = demo::seed(
            &store,
            services.now(),
            &DemoOptions {
                seed: 7,
                participants: a.participants,
                contacts: Some(a.contacts.unwrap_or(a.participants * 10)),
            },
            |done, total| {
                if done % 100_000 < 2_000 {
                    eprintln!("seeding {done}/{total}");
                }
            },
        )
        .await?;
        store.analyze().await?;
        let seeding = t.elapsed().as_secs_f64();
        figures.push(figure(
            engine,
            "seed",
            None,
            None,
            None,
            None,
            Some(seeding),
            None,
        ));
        println!(
            "seeding participants with consents and cases: {:.1} s ({} participants, {} cases)",
            report.people_seconds, report.participants, report.cases
        );
        println!(
            "seeding the casework (assessments, itineraries, contacts): {:.1} s ({} contacts); {:.1} s in all",
            report.casework_seconds, report.contacts, seeding
        );
    }

    // Samples: surnames and documents of people the Badajoz social worker may see.
    let ctx = Ctx::cli(services.now());
    let session = services
        .login(&ctx, "ts.badajoz", demo::DEMO_PASSWORD)
        .await?;
    let actor = session.actor.clone();
    let sample = services
        .search_participants(&actor, &ctx, "", PageRequest::new(Some(1), Some(100)))
        .await?;
    let mut ids = Vec::new();
    for s in &sample.items {
        ids.push(s.id);
    }
    if ids.is_empty() {
        return Err(BenchError::Failed("no visible participants to measure"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut surname_ms = Vec::new();
    let mut doc_ms = Vec::new();
    let mut docs = Vec::new();
    for id in ids.iter().take(50) {
        let v = services.participant(&actor, &ctx, *id).await?;
        if let Some(d) = v.participant.data.documents.first() {
            docs.push(d.number.clone());
        }
    }
    for _ in 0..a.searches {
        let Some(s) = sample.items.get(rng.gen_range(0..sample.items.len())) else {
            continue;
        };
        let prefix: String = s.surname1.chars().take(rng.gen_range(3..6)).collect();
        let t = Stopwatch::start();
        services
            .search_participants(&actor, &ctx, &prefix, PageRequest::default())
            .await?;
        surname_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let Some(d) = docs.get(rng.gen_range(0..docs.len())) else {
            continue;
        };
        let t = Stopwatch::start();
        services
            .search_participants(&actor, &ctx, d, PageRequest::default())
            .await?;
        doc_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p95, _, n) = summary(surname_ms);
    println!("search by surname prefix: p50 {p50:.2} ms, p95 {p95:.2} ms ({n} searches)");
    let (p50, p95, _, n) = summary(doc_ms);
    println!("search by document: p50 {p50:.2} ms, p95 {p95:.2} ms ({n} searches)");

    // Registration through the master index, on the whole registry: Mérida registers
    // again people Badajoz has (spelled another way), and Badajoz registers new people.
    let merida = services
        .login(&ctx, "ts.merida", demo::DEMO_PASSWORD)
        .await?
        .actor;
    let mut reg_ms = Vec::new();
    let mut outcomes: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for (k, id) in ids.iter().take(50).enumerate() {
        let v = services.participant(&actor, &ctx, *id).await?;
        let mut again = v.participant.data.to_input();
        again.given_name = itinera_domain::text::fold(&again.given_name).to_uppercase();
        again.phone.clear();
        again.email.clear();
        let mut fresh = again.clone();
        fresh.given_name = format!("Bench{k}");
        fresh.surname1 = format!("Nuevo{k}");
        fresh.surname2.clear();
        fresh.documents.clear();
        for (who, input) in [(&merida, &again), (&actor, &fresh)] {
            let t = Stopwatch::start();
            let r = services.register_participant(who, &ctx, input).await?;
            reg_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            *outcomes.entry(r.link.outcome).or_insert(0) += 1;
        }
    }
    let (p50, _, p99, n) = summary(reg_ms);
    println!("registration with master-index lookup: p50 {p50:.2} ms, p99 {p99:.2} ms ({n} registrations: {outcomes:?})");
    let mut measured_course = None;
    if a.courses > 0 {
        let f = training::run(
            &store,
            &services,
            &actor,
            a.courses,
            a.attendance_rows.unwrap_or(a.courses * 100),
            reuse,
        )
        .await?;
        for (name, lat) in [
            ("attendance_save_25", &f.save_ms),
            ("course_page_service", &f.course_ms),
            ("attendance_sheet_service", &f.sheet_ms),
        ] {
            figures.push(figure(
                engine,
                "training",
                Some(name),
                None,
                Some(lat),
                None,
                None,
                None,
            ));
        }
        measured_course = Some(f.course);
        training::report(f);
    }
    if a.indicator_repeats > 0 {
        let f = indicators::run(&services, a.indicator_repeats).await?;
        figures.push(figure(
            engine,
            "indicators_prepare",
            None,
            None,
            Some(&[f.prepare_ms]),
            None,
            None,
            None,
        ));
        for (name, first, rest, on_demand) in &f.pages {
            figures.push(figure(
                engine,
                "indicators_on_demand",
                Some(name),
                None,
                Some(&[*on_demand]),
                None,
                None,
                None,
            ));
            figures.push(figure(
                engine,
                "indicators_first",
                Some(name),
                None,
                Some(&[*first]),
                None,
                None,
                None,
            ));
            figures.push(figure(
                engine,
                "indicators_repeated",
                Some(name),
                None,
                Some(rest),
                None,
                None,
                None,
            ));
        }
        indicators::report(&f);
    }
    // The professionals at work: the `concurrency` professionals with the largest
    // caseloads, each signed in with a session of their own and opening their own
    // cases (up to 100 each), the way a service's staff use it at once.
    let desks = {
        let mut tx = store.read().await?;
        let d = itinera_store::cases::busiest_desks(
            &mut tx,
            a.concurrency as i64,
            100,
            services.now().date_naive(),
        )
        .await?;
        tx.rollback().await?;
        d
    };
    if desks.is_empty() {
        return Err(BenchError::Failed(
            "no professional with open cases to measure",
        ));
    }
    let mut sessions = Vec::new();
    for d in &desks {
        let s = services
            .login(&ctx, &d.username, demo::DEMO_PASSWORD)
            .await?;
        sessions.push(format!("itinera_session={}", s.id));
    }
    let cases_measured: usize = desks.iter().map(|d| d.cases.len()).sum();
    // Tokens for the import: the Badajoz social worker's, and the Mérida one's (the
    // other service registering people meanwhile).
    let own = |name: &str| itinera_service::admin::OwnTokenInput {
        name: name.into(),
        expires_in_days: String::new(),
    };
    let import_tokens = if a.import_rows > 0 {
        Some((
            services
                .create_own_token(&actor, &ctx, &own("bench import"))
                .await?,
            services
                .create_own_token(&merida, &ctx, &own("bench registrations"))
                .await?,
        ))
    } else {
        None
    };
    store.close().await;

    // The server, as its own process.
    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--insecure-http",
            "--db",
            &url,
            "--listen",
            &a.listen,
        ])
        .env("ITINERA_LOG", "warn")
        // For the import's figure: the longest writer turn (`import::longest_turn_ms`).
        .env("ITINERA_METRICS_TOKEN", METRICS_TOKEN)
        // The pages are measured alone: the background preparation of every
        // programme's figures (timed on its own above, `indicators_prepare`) would take
        // one of the two cores for a minute and more at a million participants.
        .env("ITINERA_AGGREGATE_PREPARE_SECONDS", "0")
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    let base = format!("http://{}", a.listen);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    wait_up(&http, &base).await?;
    println!(
        "pages: {} professionals at once, each on their own cases ({cases_measured} cases in all)",
        desks.len()
    );
    // Client k works at desk k (there are fewer desks than clients only on a small
    // database).
    let clients = |page: &dyn Fn(&(uuid::Uuid, uuid::Uuid)) -> String| {
        Arc::new(
            (0..a.concurrency)
                .filter_map(|k| {
                    let d = desks.get(k % desks.len())?;
                    Some(Client {
                        cookie: sessions.get(k % desks.len()).cloned(),
                        urls: d
                            .cases
                            .iter()
                            .map(|c| format!("{base}{}", page(c)))
                            .collect(),
                    })
                })
                .collect::<Vec<_>>(),
        )
    };
    // 1. Latency at an offered load: an open loop over the five kinds of page.
    let kinds: Vec<(&'static str, Arc<Vec<Client>>)> = vec![
        (
            "participant",
            clients(&|c| format!("/participants/{}", c.1)),
        ),
        ("case", clients(&|c| format!("/cases/{}", c.0))),
        (
            "itinerary",
            clients(&|c| format!("/cases/{}/itinerary", c.0)),
        ),
        ("contacts", clients(&|c| format!("/cases/{}/contacts", c.0))),
        ("worklist", clients(&|_| "/".to_string())),
    ];
    // With courses loaded, the measured course's page (its group and the programme's
    // pool) joins the mix, read by every desk.
    let mut kinds = kinds;
    if let Some(course) = measured_course {
        kinds.push(("course", clients(&|_| format!("/courses/{course}"))));
    }
    if !a.offered_pages.is_empty() {
        kinds.retain(|(name, _)| a.offered_pages.iter().any(|p| p == name));
        if kinds.is_empty() {
            return Err(BenchError::Failed(
                "--offered-pages: none of the kinds measured in this run",
            ));
        }
    }
    for rate in a.rate.iter().copied().filter(|r| *r > 0.0) {
        println!(
            "offered load: {:.0} pages/s for {} s after a warm-up of {} s, over {} connections, mixed over {} (open loop; latency from when each request was due)",
            rate,
            a.offered_seconds,
            a.offered_warmup,
            a.offered_connections,
            kinds.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
        );
        let reads_before = metric(&http, &base, "itinera_audited_reads_total").await;
        let commits_before = metric(&http, &base, "itinera_group_commits_total").await;
        let short_before = metric(&http, &base, "itinera_group_commits_one_statement_total").await;
        let got = offered::run(
            kinds.clone(),
            rate,
            a.offered_warmup,
            a.offered_seconds,
            a.offered_connections,
        )
        .await?;
        // How well the group commit grouped: audited reads per commit of their entries.
        if let (Some(r0), Some(c0), Some(r1), Some(c1)) = (
            reads_before,
            commits_before,
            metric(&http, &base, "itinera_audited_reads_total").await,
            metric(&http, &base, "itinera_group_commits_total").await,
        ) {
            let (reads, commits) = (r1 - r0, c1 - c0);
            let short = match (
                short_before,
                metric(&http, &base, "itinera_group_commits_one_statement_total").await,
            ) {
                (Some(s0), Some(s1)) if s1 > s0 => {
                    format!(", {:.0} of them in one statement", s1 - s0)
                }
                _ => String::new(),
            };
            println!(
                "  audit: {reads:.0} audited reads appended in {commits:.0} group commits ({:.2} per commit, warm-up included{short})",
                reads / commits.max(1.0)
            );
        }
        for k in got {
            let f = figure(
                engine,
                "offered",
                Some(k.name),
                Some(rate),
                Some(&k.latencies_ms),
                None,
                Some(a.offered_seconds as f64),
                None,
            );
            println!(
                "  {}: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms ({} pages, {} errors)",
                k.name,
                ms(&f, "p50_ms"),
                ms(&f, "p99_ms"),
                ms(&f, "p999_ms"),
                k.latencies_ms.len(),
                k.errors
            );
            if !k.warmup_ms.is_empty() {
                let mut w = k.warmup_ms.clone();
                w.sort_by(|a, b| a.total_cmp(b));
                println!(
                    "    warm-up (not counted): p50 {:.2} ms, p99 {:.2} ms, worst {:.2} ms ({} pages)",
                    pct(&w, 0.50),
                    pct(&w, 0.99),
                    w.last().copied().unwrap_or(0.0),
                    w.len()
                );
            }
            // Where the slow answers were: seconds over 25 ms, the worst first.
            let mut worst: Vec<(usize, f64)> = k
                .worst_by_second_ms
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, w)| *w > 25.0)
                .collect();
            worst.sort_by(|a, b| b.1.total_cmp(&a.1));
            println!(
                "    seconds with an answer over 25 ms: {} of {}{}",
                worst.len(),
                k.worst_by_second_ms.len(),
                worst
                    .iter()
                    .take(12)
                    .map(|(s, w)| format!(" [{s} s: {w:.0} ms]"))
                    .collect::<String>()
            );
            figures.push(f);
        }
    }
    // 2. The ceiling of each kind: as many pages as the clients get, each client
    // waiting for its answer (a closed loop at saturation).
    println!(
        "ceilings: {} clients, each waiting for its answer",
        a.concurrency
    );
    let mut participant_rps = 0.0;
    type Page<'a> = &'a dyn Fn(&(uuid::Uuid, uuid::Uuid)) -> String;
    let page_kinds: [(&str, &str, Page); 5] = [
        ("participant", "participant page", &|c| {
            format!("/participants/{}", c.1)
        }),
        ("case", "case page", &|c| format!("/cases/{}", c.0)),
        ("itinerary", "itinerary page", &|c| {
            format!("/cases/{}/itinerary", c.0)
        }),
        ("contacts", "contacts page", &|c| {
            format!("/cases/{}/contacts", c.0)
        }),
        // The start page: each professional's work list.
        ("worklist", "work list (start page)", &|_| "/".to_string()),
    ];
    let mut ceilings: Vec<(&str, &str, Arc<Vec<Client>>)> = page_kinds
        .into_iter()
        .map(|(name, label, page)| (name, label, clients(page)))
        .collect();
    // The measured course's page at saturation, with 10,000 courses and their
    // attendance loaded (`--courses`). The page opens on the sessions nearest today;
    // its whole schedule (about 130 sessions here) is a link away.
    if let Some(course) = measured_course {
        ceilings.push((
            "course",
            "course page",
            clients(&|_| format!("/courses/{course}")),
        ));
        ceilings.push((
            "course_schedule",
            "course page, whole schedule",
            clients(&|_| format!("/courses/{course}?schedule=all")),
        ));
    }
    for (name, label, who) in ceilings {
        let (lat, rps, errs) = load(http.clone(), who, a.seconds).await?;
        figures.push(figure(
            engine,
            "ceiling",
            Some(name),
            None,
            Some(&lat),
            Some(rps),
            Some(a.seconds as f64),
            None,
        ));
        let (p50, _, p99, n) = summary(lat);
        println!("{label}: p50 {p50:.2} ms, p99 {p99:.2} ms, {rps:.0} req/s ({n} requests, {errs} errors)");
        if name == "participant" {
            participant_rps = rps;
        }
    }
    let health = Arc::new(
        (0..a.concurrency)
            .map(|_| Client {
                cookie: None,
                urls: vec![format!("{base}/health")],
            })
            .collect::<Vec<_>>(),
    );
    let (lat, health_rps, _) = load(http.clone(), health, a.seconds).await?;
    figures.push(figure(
        engine,
        "ceiling",
        Some("health"),
        None,
        Some(&lat),
        Some(health_rps),
        Some(a.seconds as f64),
        None,
    ));
    let (p50, _, p99, _) = summary(lat);
    println!("/health: {health_rps:.0} req/s (p50 {p50:.2} ms, p99 {p99:.2} ms)");
    println!(
        "participant page throughput: {:.1} % of the /health ceiling",
        participant_rps / health_rps * 100.0
    );
    if let Some((token, registrar)) = &import_tokens {
        import::measure(
            http.clone(),
            &base,
            token,
            registrar,
            clients(&|c| format!("/participants/{}", c.1)),
            a.import_rows,
        )
        .await?;
    }
    if let Some((peak, rss, own)) = peak_memory_mb(pid) {
        println!(
            "server memory: peak {peak:.0} MB, now {rss:.0} MB, of which {own:.0} MB its own (the rest the mapped database file, counted once per mapping)"
        );
        figures.push(figure(
            engine,
            "memory",
            None,
            None,
            None,
            None,
            None,
            Some(peak),
        ));
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    if a.statement_views > 0 {
        let found = statements::measure(&url, &a.listen, &kinds, a.statement_views).await?;
        statements::report(&found);
        for k in &found {
            let mut f = figure(
                engine,
                "per_view",
                Some(k.name),
                None,
                None,
                None,
                None,
                None,
            );
            if let Some(o) = f.as_object_mut() {
                o.insert("statements".into(), k.statements.into());
                o.insert("db_ms".into(), k.db_ms.into());
            }
            figures.push(f);
        }
    }
    if a.import_rows > 0 {
        // How long the import held the writer, from its audit entry.
        let store = Store::connect(&url).await?;
        let settings =
            Settings::of_deployment(&store, itinera_service::Clock::now(&SystemClock)).await?;
        let services = Services::new(store.clone(), Arc::new(SystemClock), settings);
        let auditor = services
            .login(&ctx, "auditoria", demo::DEMO_PASSWORD)
            .await?
            .actor;
        let q = itinera_service::audit_log::AuditQuery {
            action: "import.run".into(),
            ..Default::default()
        };
        let page = services.audit_log(&auditor, &ctx, &q).await?;
        if let Some(e) = page.items.first() {
            let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let g = |k: &str| d.get(k).cloned().unwrap_or_default();
            println!(
                "import: planned in {} ms on snapshots ({} plan(s)); held the writer {} ms before its commit (catching up {} ms, bulk writes {} ms)",
                g("plan_ms"),
                g("plans"),
                g("writer_ms"),
                g("catch_up_ms"),
                g("apply_ms")
            );
            println!(
                "import: bulk write steps ended at (ms) {}",
                g("apply_steps_ms")
            );
        }
        store.close().await;
    }
    if let Some(file) = &a.json {
        let text = serde_json::to_string_pretty(&figures)
            .map_err(|_| BenchError::Failed("the figures could not be written"))?;
        std::fs::write(file, text)?;
        println!("figures written to {file}");
    }
    Ok(())
}
