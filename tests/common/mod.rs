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

/// The demo, a token of the Badajoz social worker and a case of hers to write in.
pub struct Casework {
    pub token: String,
    pub participant: String,
    pub case: String,
    /// The day the case was opened (contacts happen from then on).
    pub opened_on: String,
}

pub async fn setup_casework(url: &str) -> Casework {
    run_cli(&["demo", "--no-serve", "--participants", "10", "--db", url]).await;
    let token = run_cli(&["token", "create", "--username", "ts.badajoz", "--db", url]).await;
    assert!(token.starts_with("itn_"));
    let port = free_port();
    let mut server = start_server(url, port).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let c = reqwest::Client::new();
    let get = |path: &str| c.get(format!("{base}{path}")).bearer_auth(&token).send();
    let me: serde_json::Value = get("/me").await.unwrap().json().await.unwrap();
    let programmes: serde_json::Value = get("/programmes").await.unwrap().json().await.unwrap();
    let crisol = programmes
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "CRISOL")
        .unwrap()["id"]
        .clone();
    let r: serde_json::Value = c
        .post(format!("{base}/participants"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"given_name": "Caso", "surname1": "Choque", "sex": "female", "birth_date": "1979-04-04",
                      "labour_status": "unemployed", "documents": [{"kind": "dni", "number": format!("39999999{}", itinera_domain::documents::dni_letter(39_999_999))}]}))
        .send().await.unwrap().json().await.unwrap();
    let participant = r["id"].as_str().expect("participant").to_string();
    let manager = format!(
        "{}@{}",
        me["user_id"].as_str().unwrap(),
        me["organisation_id"].as_str().unwrap()
    );
    let r = c
        .post(format!("{base}/participants/{participant}/cases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"programme_id": crisol, "case_manager": manager}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let case = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let opened: serde_json::Value = get(&format!("/cases/{case}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opened_on = opened["case"]["opened_on"]
        .as_str()
        .expect("opened_on")
        .to_string();
    server.start_kill().expect("kill");
    let _ = server.wait().await;
    Casework {
        token,
        participant,
        case,
        opened_on,
    }
}
