//! The command line as an administrator uses it: seed, back up online, restore, verify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

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
