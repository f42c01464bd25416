//! The command line as an administrator uses it: seed, add users and tokens, verify the
//! audit chain, import, deduplicate (on the engine under test: `ITINERA_TEST_DB`), and
//! back up and restore (SQLite; on PostgreSQL `backup` says to use pg_dump).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use chrono::TimeZone;

mod common;

fn itinera(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_itinera"))
        .args(args)
        .env("ITINERA_LOG", "error")
        .output()
        .expect("run itinera")
}

fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn users_tokens_and_the_audit_chain_from_the_command_line() {
    let url = common::fresh_database_url_blocking();
    let out = itinera(&["demo", "--no-serve", "--participants", "25", "--db", &url]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ts.badajoz"),
        "logins are printed"
    );
    let out = itinera(&["audit", "verify", "--db", &url]);
    assert_ok(&out);
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
    assert_ok(&out);
    let out = itinera(&[
        "token",
        "create",
        "--db",
        &url,
        "--username",
        "nuevo.orientador",
    ]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim()
        .starts_with("itn_"));
    // An unknown user is named.
    let out = itinera(&["token", "create", "--db", &url, "--username", "nadie"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nadie"));
}

#[test]
fn a_deployment_starts_from_the_command_line_without_the_demo() {
    let url = common::fresh_database_url_blocking();
    let out = itinera(&[
        "init",
        "--db",
        &url,
        "--territory",
        "Extremadura",
        "--organisation",
        "Junta de Extremadura — Servicio de Informática",
    ]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    // The made password is printed once, with what to do next.
    let password = stdout
        .lines()
        .find_map(|l| {
            l.rsplit_once(": ")
                .filter(|(k, _)| k.contains("Contraseña"))
                .map(|(_, p)| p.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no password in {stdout}"));
    assert!(password.len() >= 16, "{password}");
    assert!(stdout.contains("itinera user add"), "{stdout}");
    // It signs in.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = itinera_store::Store::connect(&url).await.unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let settings = itinera_service::Settings::of_deployment(&store, now)
            .await
            .unwrap();
        let services = itinera_service::Services::new(
            store,
            std::sync::Arc::new(itinera_service::FixedClock::new(now)),
            settings,
        );
        // A real deployment requires a second factor: the right password leads to
        // setting it up, then the session opens.
        let ctx = itinera_service::Ctx::cli(now);
        let step = services.sign_in(&ctx, "admin", &password).await.unwrap();
        let itinera_service::auth::SignIn::SecondFactor { challenge, enrol } = step else {
            panic!("a session without a second factor: {step:?}");
        };
        assert!(enrol);
        let view = services
            .second_factor_challenge(&ctx, &challenge)
            .await
            .unwrap();
        let secret = view.enrol.unwrap().secret.replace(' ', "");
        let code = itinera_service::second_factor::code_at(&secret, now).unwrap();
        let (s, codes) = services
            .complete_second_factor(&ctx, &challenge, &code)
            .await
            .unwrap();
        assert_eq!(codes.len(), 10);
        assert!(s.actor.roles.contains(&itinera_domain::access::Role::Admin));
    });
    // A second init changes nothing.
    let again = itinera(&[
        "init",
        "--db",
        &url,
        "--territory",
        "X",
        "--organisation",
        "Y",
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("ya está iniciado"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // Users can be added to the organisation it made (no demo needed).
    let out = Command::new(env!("CARGO_BIN_EXE_itinera"))
        .args([
            "user",
            "add",
            "--db",
            &url,
            "--username",
            "segunda.admin",
            "--name",
            "Segunda administradora",
            "--organisation",
            "Junta de Extremadura — Servicio de Informática",
            "--role",
            "admin",
        ])
        .env("ITINERA_PASSWORD", "una clave bastante larga")
        .env("ITINERA_LOG", "error")
        .output()
        .unwrap();
    assert_ok(&out);
    // Bad input is named, nothing is made.
    let url2 = common::fresh_database_url_blocking();
    let out = Command::new(env!("CARGO_BIN_EXE_itinera"))
        .args([
            "init",
            "--db",
            &url2,
            "--territory",
            "Extremadura",
            "--organisation",
            "Z",
            "--kind",
            "nave",
        ])
        .env("ITINERA_PASSWORD", "corta")
        .env("ITINERA_LOG", "error")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kind") && err.contains("password"), "{err}");
}

#[test]
fn backup_and_restore() {
    let dir = std::env::temp_dir().join(format!("itinera-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let backup = dir.join("backup.db");
    if common::on_postgres() {
        // PostgreSQL has its own tools, and the command says so.
        let url = common::fresh_database_url_blocking();
        assert_ok(&itinera(&["migrate", "--db", &url]));
        let out = itinera(&["backup", "--db", &url, "--to", backup.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("pg_dump"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!backup.exists());
        return;
    }
    let db = dir.join("live.db");
    let url = format!("sqlite://{}", db.display());
    assert_ok(&itinera(&[
        "demo",
        "--no-serve",
        "--participants",
        "25",
        "--db",
        &url,
    ]));
    // Reads of person data leave entries in the log of reads, a file of its own.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = itinera_store::Store::connect(&url).await.unwrap();
        let mut tx = store.audited_read().await.unwrap();
        itinera_store::audit::append(
            &mut tx,
            &itinera_store::audit::NewEntry {
                at: chrono::Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap(),
                actor_user_id: None,
                actor_organisation_id: None,
                action: "participant.read",
                entity: "participant",
                entity_id: None,
                request_id: "backup-test",
                client_addr: "127.0.0.1",
                detail: "{}".into(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    });
    assert!(dir.join("live.db-read-audit").exists());
    assert_ok(&itinera(&[
        "backup",
        "--db",
        &url,
        "--to",
        backup.to_str().unwrap(),
    ]));
    assert!(dir.join("backup.db-read-audit").exists());
    // Never over an existing file.
    let out = itinera(&["backup", "--db", &url, "--to", backup.to_str().unwrap()]);
    assert!(!out.status.success());

    let restored = dir.join("restored.db");
    assert_ok(&itinera(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--to",
        restored.to_str().unwrap(),
    ]));
    let out = itinera(&[
        "audit",
        "verify",
        "--db",
        &format!("sqlite://{}", restored.display()),
    ]);
    assert_ok(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["intact"], true);
    assert!(report["entries"].as_i64().unwrap() >= 1);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = itinera_store::Store::connect(&format!("sqlite://{}", restored.display()))
            .await
            .unwrap();
        let mut tx = store.read().await.unwrap();
        let n: i64 = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_read_log WHERE request_id = 'backup-test'"
        ).fetch_one(c).await.map_err(itinera_store::db_err))
        .unwrap();
        assert_eq!(n, 1, "the restored copy has the log of reads");
        tx.rollback().await.unwrap();
        store.close().await;
    });
    // The main file without its log of reads is refused, saying which file is missing.
    let alone = dir.join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(&backup, alone.join("backup.db")).unwrap();
    let out = itinera(&[
        "restore",
        "--from",
        alone.join("backup.db").to_str().unwrap(),
        "--to",
        dir.join("other.db").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("backup.db-read-audit"), "{err}");
    assert!(!dir.join("other.db").exists());
}

#[test]
fn the_demo_never_goes_into_a_database_that_holds_data() {
    let url = common::fresh_database_url_blocking();
    assert!(itinera(&["migrate", "--db", &url]).status.success());
    // A real deployment: one organisation of its own, no demo.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = itinera_store::Store::connect(&url).await.unwrap();
        let mut tx = store.write().await.unwrap();
        let org = itinera_store::admin::Organisation {
            id: uuid::Uuid::new_v4(),
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

/// `itinera link`: the synthetic registry, deduplicated and scored against its truth;
/// a pair of files in Windows-1252 with `;`; bad mappings named.
#[test]
fn link_finds_the_duplicates_of_a_synthetic_registry() {
    let dir = std::env::temp_dir().join(format!("itinera-link-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("synth.csv");
    let out = itinera(&[
        "link",
        "synth",
        "--rows",
        "3000",
        "--seed",
        "3",
        "--out",
        input.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pairs = dir.join("pairs.csv");
    let map = [
        "given_name=given_name",
        "surname=surname",
        "sex=sex",
        "birth_date=birth_date",
        "document=document",
        "postcode=postcode",
        "municipality=municipality",
        "address=address",
        "phone=phone",
        "email=email",
        "person_id=ignore",
    ];
    let mut args = vec![
        "link",
        "dedupe",
        input.to_str().unwrap(),
        "--id",
        "rec_id",
        "--out",
        pairs.to_str().unwrap(),
        "--map",
    ];
    args.extend(map);
    let out = itinera(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Score against person_id, which the engine never read.
    let data = std::fs::read_to_string(&input).unwrap();
    let mut person = std::collections::HashMap::new();
    let mut members: std::collections::HashMap<String, usize> = Default::default();
    for line in data.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        person.insert(cols[0].to_string(), cols[1].to_string());
        *members.entry(cols[1].to_string()).or_default() += 1;
    }
    let true_pairs: usize = members.values().map(|n| n * (n - 1) / 2).sum();
    let found = std::fs::read_to_string(&pairs).unwrap();
    let mut lines = found.lines();
    assert_eq!(lines.next(), Some("left_id,right_id,match_probability"));
    let (mut tp, mut predicted) = (0usize, 0usize);
    for line in lines {
        let cols: Vec<&str> = line.split(',').collect();
        let p: f64 = cols[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        predicted += 1;
        if person[cols[0]] == person[cols[1]] {
            tp += 1;
        }
    }
    let precision = tp as f64 / predicted as f64;
    let recall = tp as f64 / true_pairs as f64;
    assert!(
        precision > 0.95 && recall > 0.95,
        "precision {precision}, recall {recall}"
    );

    // Two files from older systems: `;`, Windows-1252, a BOM-less header.
    let left = dir.join("left.csv");
    let right = dir.join("right.csv");
    let mut l = b"id;nombre;apellidos;nacimiento;dni\n".to_vec();
    l.extend_from_slice(b"a1;Mar\xeda Jos\xe9;Garc\xeda L\xf3pez;07/03/1980;12345678Z\n");
    l.extend_from_slice(b"a2;Luis;Mart\xedn;1990-01-01;22222222J\n");
    std::fs::write(&left, l).unwrap();
    let mut r = b"\xef\xbb\xbfid;nombre;apellidos;nacimiento;dni\n".to_vec();
    r.extend_from_slice("b1;M.ª José;García;1980-03-07;12345678\n".as_bytes());
    r.extend_from_slice("b2;Ana;Pérez;2001-05-05;11111111H\n".as_bytes());
    std::fs::write(&right, r).unwrap();
    let linked = dir.join("linked.csv");
    let out = itinera(&[
        "link",
        "pair",
        left.to_str().unwrap(),
        right.to_str().unwrap(),
        "--id",
        "id",
        "--map",
        "nombre=given_name",
        "apellidos=surname",
        "nacimiento=birth_date",
        "dni=document",
        "--out",
        linked.to_str().unwrap(),
        "--threshold",
        "0.5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let linked = std::fs::read_to_string(&linked).unwrap();
    assert!(linked.lines().any(|l| l.starts_with("a1,b1,")), "{linked}");
    assert!(!linked.contains("a2,"), "{linked}");

    // Mistakes are named.
    let out = itinera(&[
        "link",
        "dedupe",
        input.to_str().unwrap(),
        "--id",
        "rec_id",
        "--out",
        pairs.to_str().unwrap(),
        "--map",
        "apellido=surname",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("la columna «apellido» no está en la cabecera"));
    let out = itinera(&[
        "link",
        "dedupe",
        input.to_str().unwrap(),
        "--id",
        "rec_id",
        "--out",
        pairs.to_str().unwrap(),
        "--map",
        "surname=apellido",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Tipo desconocido «apellido»"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn import_a_file_then_deduplicate_the_registry_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("itinera-imp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = common::fresh_database_url_blocking();
    let out = itinera(&["demo", "--no-serve", "--participants", "20", "--db", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("ngo.csv");
    let dni = |n: u32| format!("{n:08}{}", itinera_domain::documents::dni_letter(n));
    std::fs::write(
        &file,
        format!(
            "Nombre,Apellidos,Sexo,Nacimiento,Documento,Situación\n\
             Fátima,Benali,M,1994-04-04,{},desempleada\n\
             Marcos,Gil Luque,H,30/13/1980,,parado\n\
             Yolanda,Cortés,M,12/12/1979,{},ocupada\n",
            dni(70_000_001),
            dni(70_000_002)
        ),
    )
    .unwrap();
    let maps = [
        "--map",
        "Nombre=given_name",
        "--map",
        "Apellidos=surnames",
        "--map",
        "Sexo=sex",
        "--map",
        "Nacimiento=birth_date",
        "--map",
        "Documento=document",
        "--map",
        "Situación=labour_status",
    ];
    let base = [
        "import",
        file.to_str().unwrap(),
        "--db",
        &url,
        "--source",
        "Hoja ONG",
        "--username",
        "tecnico.badajoz",
    ];
    // The dry run names the bad row by line and column, in Spanish by default.
    let mut args: Vec<&str> = base.to_vec();
    args.extend(maps);
    args.push("--dry-run");
    let out = itinera(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("Línea 3, columna Nacimiento: Fecha no reconocida"),
        "{err}"
    );
    assert!(err.contains("3 filas — 2 personas nuevas"), "{err}");
    assert!(err.contains("Prueba: no se ha guardado nada."), "{err}");
    // The real run refuses the file with its bad row (exit status 1), in English if asked.
    let mut args: Vec<&str> = base.to_vec();
    args.extend(maps);
    args.extend(["--lang", "en"]);
    let out = itinera(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Line 3, column Nacimiento"), "{err}");
    // A file that cannot be read because of one line names the line.
    let unreadable = dir.join("largo.csv");
    std::fs::write(
        &unreadable,
        format!("Nombre,Apellidos\nAna,Gil\nLuis,{}\n", "x".repeat(4_001)),
    )
    .unwrap();
    let mut args: Vec<&str> = base.to_vec();
    args[1] = unreadable.to_str().unwrap();
    args.extend([
        "--map",
        "Nombre=given_name",
        "--map",
        "Apellidos=surnames",
        "--dry-run",
    ]);
    let out = itinera(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("file: ") && err.contains("(línea 3)"), "{err}");
    // Leaving the bad row out, and saving the mapping; a re-run changes nothing.
    let mut args: Vec<&str> = base.to_vec();
    args.extend(maps);
    args.extend(["--skip-invalid", "--save-mapping"]);
    let out = itinera(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Importación guardada."));
    let mut args: Vec<&str> = base.to_vec();
    args.push("--skip-invalid");
    let out = itinera(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ya se importó"));

    // The registry batch: a report, then applied.
    let report = dir.join("dedupe.json");
    let out = itinera(&[
        "link",
        "registry",
        "--db",
        &url,
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["records"], 22);
    assert_eq!(summary["applied"], false);
    let full: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(full["model"]["fields"].as_array().unwrap().len() == 10);
    let out = itinera(&["link", "registry", "--db", &url, "--apply"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = itinera(&["audit", "verify", "--db", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The benchmark's short version: a small registry, a few courses, every measurement
/// printed (the long runs are in the README and the closing notes). On SQLite in a
/// directory of its own; on PostgreSQL in a fresh database (it empties the one it is
/// given).
#[test]
fn the_benchmark_runs_and_prints_its_figures() {
    let pg = common::on_postgres().then(common::fresh_database_url_blocking);
    let dir = std::env::temp_dir().join(format!("itinera-bench-{}", uuid::Uuid::new_v4().simple()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut args = vec![
        "bench",
        "--participants",
        "2500",
        "--contacts",
        "2500",
        "--seconds",
        "1",
        "--searches",
        "5",
        "--rate",
        "20",
        "--offered-seconds",
        "1",
        "--offered-warmup",
        "1",
        "--offered-connections",
        "4",
        "--courses",
        "30",
        "--statement-views",
        "3",
        "--dir",
        dir.to_str().unwrap(),
    ];
    let listen = format!("127.0.0.1:{port}");
    args.extend(["--listen", &listen]);
    if let Some(url) = &pg {
        args.extend(["--db", url]);
    }
    let out = itinera(&args);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "search by surname prefix: p50",
        "participant page: p50",
        "training: 30 courses",
        "training: attendance of 25 saved: p50",
        "training: course page (service): p50",
        "offered load: 20 pages/s for 1 s after a warm-up of 1 s, over 4 connections",
        // The warm-up's answers, reported apart.
        "warm-up (not counted): p50",
    ] {
        assert!(text.contains(line), "no «{line}» in:\n{text}");
    }
    // The short open loop: every kind answered, none refused (20 requests over 6 kinds).
    for kind in [
        "participant",
        "case",
        "itinerary",
        "contacts",
        "worklist",
        "course",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind}: p50")))
            .unwrap_or_else(|| panic!("no open-loop line for {kind} in:\n{text}"));
        assert!(
            line.ends_with(" 0 errors)") && !line.contains("(0 pages"),
            "{line}"
        );
        // What the kind asks of the database per view: at least the session, the page's
        // own read and its audit row, each with a time.
        let line = text
            .lines()
            .find(|l| {
                l.trim_start().starts_with(&format!("{kind}: "))
                    && l.contains(" statements, database ")
            })
            .unwrap_or_else(|| panic!("no statements line for {kind} in:\n{text}"));
        let number = |after: &str| -> f64 {
            line.split(after)
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{line}"))
        };
        assert!(number(&format!("{kind}: ")) >= 3.0, "{line}");
        assert!(number("database ") > 0.0, "{line}");
        assert!(line.ends_with("(3 views)"), "{line}");
    }
    assert!(text.contains(" ms in 1.0 × SELECT "), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
