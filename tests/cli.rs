//! The command line as an administrator uses it: seed, back up online, restore, verify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use chrono::TimeZone;

fn itinera(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_itinera"))
        .args(args)
        .env("ITINERA_LOG", "error")
        .output()
        .expect("run itinera")
}

#[test]
fn backup_restore_and_verify_a_sqlite_database() {
    let dir = std::env::temp_dir().join(format!("itinera-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("live.db");
    let url = format!("sqlite://{}", db.display());
    let out = itinera(&["demo", "--no-serve", "--participants", "25", "--db", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ts.badajoz"),
        "logins are printed"
    );

    let backup = dir.join("backup.db");
    let out = itinera(&["backup", "--db", &url, "--to", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Never over an existing file.
    let out = itinera(&["backup", "--db", &url, "--to", backup.to_str().unwrap()]);
    assert!(!out.status.success());

    let restored = dir.join("restored.db");
    let out = itinera(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--to",
        restored.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = itinera(&[
        "audit",
        "verify",
        "--db",
        &format!("sqlite://{}", restored.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["intact"], true);
    assert!(report["entries"].as_i64().unwrap() >= 1);

    // A user added from the command line can be given a token.
    let out = Command::new(env!("CARGO_BIN_EXE_itinera"))
        .args([
            "user",
            "add",
            "--db",
            &url,
            "--username",
            "nuevo.orientador",
            "--name",
            "Nuevo Orientador",
            "--organisation",
            "Centro de Empleo SEXPE Mérida",
            "--role",
            "employment_counsellor",
        ])
        .env("ITINERA_PASSWORD", "una clave bastante larga")
        .env("ITINERA_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = itinera(&[
        "token",
        "create",
        "--db",
        &url,
        "--username",
        "nuevo.orientador",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim()
        .starts_with("itn_"));
}

#[test]
fn the_demo_never_goes_into_a_database_that_holds_data() {
    let dir = std::env::temp_dir().join(format!("itinera-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("real.db").display());
    assert!(itinera(&["migrate", "--db", &url]).status.success());
    // A real deployment: one organisation of its own, no demo.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = itinera_store::Store::connect(&url).await.unwrap();
        let mut tx = store.write().await.unwrap();
        let org = itinera_store::admin::Organisation {
            id: uuid::Uuid::now_v7(),
            name: "Ayuntamiento de Albacete".into(),
            kind: "social_services".into(),
            territory_id: None,
            territory_name: None,
            active: true,
        };
        itinera_store::admin::upsert_organisation(
            &mut tx,
            &org,
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    });
    let out = itinera(&["demo", "--no-serve", "--participants", "3", "--db", &url]);
    assert!(
        !out.status.success(),
        "the demo was loaded into a real database"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("solo se carga en una base de datos vacía")
    );
}
