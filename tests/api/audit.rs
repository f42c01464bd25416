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
                "SELECT count(*) FROM audit_log WHERE action = $1"
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
