use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn reads_and_writes_are_audited_and_the_chain_verifies() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Pilar", "Cano", "", 20_000_001))
        .await;
    app.get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
        .await;
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={pid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        actions.contains(&"participant.create") && actions.contains(&"participant.read"),
        "{actions:?}"
    );
    let entry = &r.body["items"][0];
    assert!(entry["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(entry["client_addr"], "127.0.0.1");
    assert!(entry["actor_user_id"].is_string());
    // Professionals and administrators do not read the log; the auditor reads no case.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/audit-entries").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(ADMIN, "/audit-entries").await.status,
        StatusCode::FORBIDDEN
    );
    let v = app.get(AUDITOR, "/audit-entries/verification").await;
    assert_eq!(v.body["intact"], true);
    // Filters are validated.
    let r = app.get(AUDITOR, "/audit-entries?from=yesterday").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?actor={SOCIAL_BADAJOZ}&action=participant.read"),
        )
        .await;
    assert!(r.body["items"].as_array().is_some_and(|a| !a.is_empty()));
}

#[tokio::test]
async fn a_failed_write_leaves_no_audit_row_and_no_data() {
    let app = spawn_app().await;
    let before = app
        .get(AUDITOR, "/audit-entries?action=participant.create")
        .await
        .body["items"]
        .as_array()
        .map(Vec::len);
    app.register(SOCIAL_BADAJOZ, &person("Elena", "Soto", "", 20_000_002))
        .await;
    // The same document for someone else of the same organisation: refused, and
    // neither a participant nor an audit row stays.
    let mut other = person("Marta", "Gil", "", 20_000_002);
    other["birth_date"] = json!("1991-02-03");
    other["phone"] = json!("+34 699 000 111");
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &other).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let after = app
        .get(AUDITOR, "/audit-entries?action=participant.create")
        .await
        .body["items"]
        .as_array()
        .map(Vec::len);
    assert_eq!(after, before.map(|n| n + 1));
    // The days filter with the others: today's, then none from tomorrow.
    let n = |q: &'static str| {
        let app = &app;
        async move {
            app.get(AUDITOR, q).await.body["items"]
                .as_array()
                .map(Vec::len)
        }
    };
    assert_eq!(
        n("/audit-entries?action=participant.create&entity=participant&from=2026-11-23&to=2026-11-23").await,
        after
    );
    assert_eq!(
        n("/audit-entries?action=participant.create&from=2026-11-24").await,
        Some(0)
    );
}

#[tokio::test]
async fn tampering_with_the_log_is_found_where_it_happened() {
    let app = spawn_app().await;
    for n in 0..5 {
        app.register(SOCIAL_BADAJOZ, &person("Sara", "León", "", 20_000_010 + n))
            .await;
    }
    let v = app
        .services
        .verify_audit(itinera_service::Caller::CommandLine)
        .await
        .expect("verify");
    assert!(v.intact);
    let target = v.entries - 2;
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query("UPDATE audit_log SET detail = '{}', client_addr = '10.0.0.1' WHERE seq = $1").bind(target).execute(c).await.map(|_| ()).map_err(itinera_store::db_err)).expect("tamper");
    tx.commit().await.expect("commit");
    let r = app.get(AUDITOR, "/audit-entries/verification").await;
    assert_eq!(r.body["intact"], false);
    assert_eq!(r.body["broken_at"], target);
    assert_eq!(r.body["problem"], "altered");
    // The auditor's page says so too, in words.
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    let (_, html) = b.page("/audit?verify=1").await;
    assert!(html.contains("El registro está alterado"));
    assert!(html.contains(&format!("#{target}")));
    assert!(html.contains("una entrada ha sido modificada"), "{html}");
    let _ = json!({});
}

/// Many page views at once share group transactions on SQLite: every successful read
/// has its audit row, a refused one has none and spoils nobody else's, writes in the
/// middle keep their own durable commits, and the chain stays intact.
#[tokio::test]
async fn concurrent_reads_and_writes_keep_one_audit_row_each_and_an_intact_chain() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(
            app.register(
                SOCIAL_BADAJOZ,
                &person("Nerea", "Solís", "", 20_100_000 + n),
            )
            .await,
        );
    }
    let count = |action: &'static str| {
        let store = app.store.clone();
        async move {
            let mut tx = store.read().await.expect("tx");
            let n: i64 = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT (SELECT count(*) FROM audit_log WHERE action = $1) + (SELECT count(*) FROM audit_read_log WHERE action = $1)"
            ).bind(action).fetch_one(c).await.map_err(itinera_store::db_err))
            .expect("count");
            tx.rollback().await.expect("rollback");
            n
        }
    };
    let reads_before = count("participant.read").await;
    let creates_before = count("participant.create").await;
    let mut tasks = Vec::new();
    for k in 0..96usize {
        let (client, base, token) = (
            app.client.clone(),
            app.base.clone(),
            app.token(SOCIAL_BADAJOZ).to_string(),
        );
        let id = ids[k % ids.len()].clone();
        tasks.push(tokio::spawn(async move {
            let r = if k % 16 == 5 {
                // Someone else's (or nobody's) record: refused, without an audit row.
                client
                    .get(format!(
                        "{base}/api/v1/participants/{}",
                        uuid::Uuid::new_v4()
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
            } else if k % 16 == 9 {
                client
                    .post(format!("{base}/api/v1/participants"))
                    .bearer_auth(&token)
                    .json(&person("Irene", "Gallardo", "", 20_200_000 + k as u32))
                    .send()
                    .await
            } else {
                client
                    .get(format!("{base}/api/v1/participants/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
            };
            (k, r.expect("request").status())
        }));
    }
    let (mut ok_reads, mut created) = (0i64, 0i64);
    for t in tasks {
        let (k, status) = t.await.expect("task");
        match k % 16 {
            5 => assert_eq!(status, StatusCode::NOT_FOUND),
            9 => {
                assert_eq!(status, StatusCode::CREATED);
                created += 1;
            }
            _ => {
                assert_eq!(status, StatusCode::OK);
                ok_reads += 1;
            }
        }
    }
    assert_eq!(count("participant.read").await - reads_before, ok_reads);
    assert_eq!(count("participant.create").await - creates_before, created);
    let v = app
        .services
        .verify_audit(itinera_service::Caller::CommandLine)
        .await
        .expect("verify");
    assert!(v.intact, "{v:?}");
    if app.store.engine() == itinera_store::Engine::Sqlite {
        let g = app.store.group_stats();
        let (members, commits) = (
            g.members.load(std::sync::atomic::Ordering::Relaxed),
            g.commits.load(std::sync::atomic::Ordering::Relaxed),
        );
        eprintln!("group commit: {members} audited reads in {commits} commits");
        assert!(commits < members, "{members} reads, {commits} commits");
    }
}

/// The audited reads' entries have a log of their own (on SQLite a file of its own, so
/// that appending them does not make the reading connections drop their caches); the
/// chain runs across both logs, the auditor's list merges them newest first, and
/// verification finds an entry altered, taken out or cut off the end in either.
#[tokio::test]
async fn the_chain_runs_across_the_logs_of_writes_and_of_reads() {
    let app = spawn_app().await;
    let mut people = Vec::new();
    for n in 0..3 {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Nuria", "Pardo", "", 20_000_300 + n),
            )
            .await;
        let r = app
            .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        people.push(pid);
    }
    // Enough reads of cases to fill the auditor's first page (50) and more.
    for _ in 0..20 {
        for pid in &people[..2] {
            let r = app
                .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    let seqs = |table: &'static str, action: &'static str| {
        let store = app.store.clone();
        async move {
            let mut tx = store.read().await.expect("tx");
            let sql = format!("SELECT seq FROM {table} WHERE action = $1 ORDER BY seq");
            let v: Vec<i64> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(&sql)
                .bind(action).fetch_all(c).await.map_err(itinera_store::db_err))
            .expect("seqs");
            tx.rollback().await.expect("rollback");
            v
        }
    };
    // Each kind in its log, numbered in one sequence, alternating.
    let created = seqs("audit_log", "participant.create").await;
    let read = seqs("audit_read_log", "participant.read").await;
    assert_eq!((created.len(), read.len()), (3, 43));
    assert!(seqs("audit_read_log", "participant.create")
        .await
        .is_empty());
    assert!(seqs("audit_log", "participant.read").await.is_empty());
    for (c, r) in created.iter().zip(&read) {
        assert!(c < r, "{created:?} {read:?}");
    }
    assert!(read[0] < created[1] && read[1] < created[2] && created[2] < read[2]);
    // The auditor's list: both logs, newest first, paged across them.
    let page = |n: u32| {
        let app = &app;
        async move {
            let r = app.get(AUDITOR, &format!("/audit-entries?page={n}")).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            r.body["items"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e["seq"].as_i64())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let (first, second) = (page(1).await, page(2).await);
    assert_eq!(first.len(), 50);
    assert!(!second.is_empty());
    // Reading page 1 appended its own entry, so page 2 starts one entry later.
    let mut listed: Vec<i64> = first.into_iter().chain(second).collect();
    listed.dedup();
    assert!(listed.windows(2).all(|w| w[0] == w[1] + 1), "{listed:?}");
    assert_eq!(listed.first().copied(), read.last().copied());
    assert!(listed.contains(&created[0]) && listed.contains(&read[0]));
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={}", people[1]))
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions.len(), 22, "{actions:?}");
    assert!(
        actions.starts_with(&["participant.read"]) && actions.ends_with(&["participant.create"])
    );
    let verify = || async {
        app.services
            .verify_audit(itinera_service::Caller::CommandLine)
            .await
            .expect("verify")
    };
    let v = verify().await;
    assert!(v.intact, "{v:?}");
    let change = |sql: String| {
        let store = app.store.clone();
        async move {
            let mut tx = store.write().await.expect("tx");
            itinera_store::on_tx!(&mut tx, c => sqlx::query(&sql).execute(c).await.map(|_| ()).map_err(itinera_store::db_err)).expect("change");
            tx.commit().await.expect("commit");
        }
    };
    // A read's entry altered…
    change(format!(
        "UPDATE audit_read_log SET client_addr = '10.9.9.9' WHERE seq = {}",
        read[0]
    ))
    .await;
    let v = verify().await;
    assert_eq!(
        (v.intact, v.broken_at, v.problem.as_deref()),
        (false, Some(read[0]), Some("altered"))
    );
    change(format!(
        "UPDATE audit_read_log SET client_addr = '127.0.0.1' WHERE seq = {}",
        read[0]
    ))
    .await;
    assert!(verify().await.intact);
    // …one taken out of the middle…
    let kept: Vec<(i64, String)> = {
        let mut tx = app.store.read().await.expect("tx");
        let rows = itinera_store::on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT seq, detail FROM audit_read_log WHERE seq = $1"
        ).bind(read[1]).fetch_all(c).await.map_err(itinera_store::db_err))
        .expect("row");
        tx.rollback().await.expect("rollback");
        rows
    };
    assert_eq!(kept.len(), 1);
    change(format!(
        "CREATE TABLE kept_entry AS SELECT * FROM audit_read_log WHERE seq = {}",
        read[1]
    ))
    .await;
    change(format!(
        "DELETE FROM audit_read_log WHERE seq = {}",
        read[1]
    ))
    .await;
    let v = verify().await;
    assert_eq!(
        (v.broken_at, v.problem.as_deref()),
        (Some(read[1]), Some("missing"))
    );
    change("INSERT INTO audit_read_log SELECT * FROM kept_entry".into()).await;
    change("DROP TABLE kept_entry".into()).await;
    assert!(verify().await.intact);
    // …and the last one cut off the end.
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{}", people[0]))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    change(
        "DELETE FROM audit_read_log WHERE seq = (SELECT MAX(seq) FROM audit_read_log) \
         AND action = 'participant.read'"
            .into(),
    )
    .await;
    let v = verify().await;
    assert_eq!(v.problem.as_deref(), Some("truncated"), "{v:?}");
}

/// On SQLite, a page view's audit entry is committed to the file of reads, so a reading
/// connection sees no change to the main file (`data_version`) and keeps its cache; a
/// data write changes it.
#[tokio::test]
async fn an_audited_read_leaves_the_main_file_unchanged_on_sqlite() {
    let app = spawn_app().await;
    if app.store.engine() != itinera_store::Engine::Sqlite {
        return;
    }
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Olga", "Prieto", "", 20_000_320))
        .await;
    let mut held = app.store.single().await.expect("connection");
    let before = data_version(&mut held).await;
    for _ in 0..3 {
        let r = app
            .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(
        data_version(&mut held).await,
        before,
        "reads changed the main file"
    );
    app.register(SOCIAL_BADAJOZ, &person("Olga", "Prieto", "", 20_000_321))
        .await;
    assert_ne!(data_version(&mut held).await, before, "a write is seen");
}

async fn data_version(tx: &mut itinera_store::Tx) -> i64 {
    itinera_store::on_tx!(tx, c => sqlx::query_scalar::<_, i64>("PRAGMA main.data_version")
        .fetch_one(c).await.map_err(itinera_store::db_err))
    .expect("data_version")
}

/// On PostgreSQL a group commit whose chain still ends at the server's own last entry
/// is one statement; one after an entry written by anything else (here a write) goes
/// the long way, and the next is one statement again. The chain verifies either way.
#[tokio::test]
async fn a_group_commit_after_the_servers_own_entry_is_one_statement() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Ona", "Vidal", "", 20_000_900))
        .await;
    let stats = || {
        let g = app.store.group_stats();
        (
            g.commits.load(std::sync::atomic::Ordering::SeqCst),
            g.one_statement.load(std::sync::atomic::Ordering::SeqCst),
        )
    };
    let read = || async {
        let r = app
            .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    };
    let (c0, s0) = stats();
    // Just after the registration (a write): the long way, then one statement each.
    for _ in 0..3 {
        read().await;
    }
    let (c1, s1) = stats();
    assert_eq!(c1 - c0, 3);
    let postgres = app.store.engine() == itinera_store::Engine::Postgres;
    assert_eq!(s1 - s0, if postgres { 2 } else { 0 });
    let other = app
        .register(SOCIAL_BADAJOZ, &person("Pau", "Vidal", "", 20_000_901))
        .await;
    assert!(!other.is_empty());
    read().await;
    read().await;
    let (c2, s2) = stats();
    assert_eq!(c2 - c1, 2);
    assert_eq!(s2 - s1, if postgres { 1 } else { 0 });
    let v = app
        .services
        .verify_audit(itinera_service::Caller::CommandLine)
        .await
        .expect("verify");
    assert!(v.intact, "{v:?}");
}
