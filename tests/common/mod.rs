//! What every test binary shares: the engine under test (`ITINERA_TEST_DB`: `sqlite`, the
//! default, or `postgres`) and a fresh, empty database of it. On PostgreSQL each test
//! gets a new database in the cluster named by `ITINERA_TEST_PG` (the README's test
//! command starts one; see `scripts/pg-cluster.sh`).

#![allow(dead_code)]

/// The engine the tests run on.
pub fn engine_name() -> String {
    std::env::var("ITINERA_TEST_DB").unwrap_or_else(|_| "sqlite".into())
}

pub fn on_postgres() -> bool {
    engine_name() == "postgres"
}

/// The PostgreSQL cluster's administrative URL.
pub fn pg_admin_url() -> String {
    std::env::var("ITINERA_TEST_PG")
        .unwrap_or_else(|_| "postgres://itinera@127.0.0.1:54329/postgres".into())
}

/// A database URL for a fresh, empty database of the engine under test.
pub async fn fresh_database_url() -> String {
    fresh_database_url_for(&engine_name()).await
}

/// A fresh, empty database of the named engine (`sqlite` or `postgres`).
pub async fn fresh_database_url_for(engine: &str) -> String {
    if engine == "postgres" {
        let admin = pg_admin_url();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let client = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin)
            .await
            .expect("connect to the test PostgreSQL (is it running? see README, Developing)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&client)
            .await
            .expect("create database");
        client.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin);
        format!("{base}/{name}")
    } else {
        let dir =
            std::env::temp_dir().join(format!("itinera-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        format!("sqlite://{}", dir.join("test.db").display())
    }
}

/// The same, for a test that is not async.
pub fn fresh_database_url_blocking() -> String {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(fresh_database_url())
}

/// The `itinera` binary built for these tests.
pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_itinera")
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Starts `itinera serve` on `url` and `port`; returns once `/health` answers.
pub async fn start_server(url: &str, port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new(exe())
        .args([
            "serve",
            "--insecure-http",
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
    for _ in 0..400 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the server did not start");
}

/// Runs an `itinera` command; its standard output, trimmed.
pub async fn run_cli(args: &[&str]) -> String {
    let out = tokio::process::Command::new(exe())
        .args(args)
        .env("ITINERA_LOG", "error")
        .output()
        .await
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
