//! Several servers on one database behave as one: a retried write is not made twice
//! (idempotency keys), sign-in attempts are counted across servers, background work
//! runs under a lease, readiness says whether the database takes writes, and the
//! audited reads of both servers go into one intact chain.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn send_keyed(
    app: &TestApp,
    base: &str,
    user: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(format!("{base}/api/v1{path}"))
        .bearer_auth(app.token(user))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn post_keyed(
    app: &TestApp,
    base: &str,
    user: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value, bool) {
    let r = send_keyed(app, base, user, path, key, body).await;
    let status = r.status();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let body = r.json().await.unwrap_or(Value::Null);
    (status, body, replayed)
}

#[tokio::test]
async fn a_retried_write_is_made_once_on_any_server() {
    let app = spawn_app().await;
    let second = app.second_server().await;
    let body = person("Reintento", "Idempotente", "Prueba", 71_000_001);
    let (s1, b1, r1) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-1",
        &body,
    )
    .await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    assert!(!r1);
    // The same request again, through the other server: the first answer, no new record.
    let (s2, b2, r2) = post_keyed(
        &app,
        &second,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-1",
        &body,
    )
    .await;
    assert_eq!(s2, StatusCode::CREATED);
    assert!(r2, "the answer is a replay");
    assert_eq!(b1["id"], b2["id"]);
    let id = b1["id"].as_str().expect("id").to_string();
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM participants WHERE given_name = 'Reintento'"
        )
        .await,
        1
    );
    // One registration audited, not two; the replayed answer (it shows the person) is
    // audited against the person too.
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'participant.create'",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'request.replay'",
            &id
        )
        .await,
        1
    );
    // A replay gives the first answer's address too.
    let r = send_keyed(
        &app,
        &second,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-1",
        &body,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        format!("/api/v1/participants/{id}")
    );
    // The key with another request is refused, and nothing is written.
    let other = person("Otra", "Persona", "Distinta", 71_000_002);
    let (s3, b3, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-1",
        &other,
    )
    .await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b3["type"], "urn:itinera:problem:idempotency.key_reused");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM participants WHERE given_name = 'Otra'"
        )
        .await,
        0
    );
    // Keys belong to the credential: another user's same key is another request.
    let (s4, b4, r4) = post_keyed(
        &app,
        &app.base,
        SOCIAL_MERIDA,
        "/participants",
        "reg-1",
        &other,
    )
    .await;
    assert_eq!(s4, StatusCode::CREATED, "{b4}");
    assert!(!r4);
    // A bad key is refused before anything runs.
    let (s5, b5, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "a key",
        &body,
    )
    .await;
    assert_eq!(s5, StatusCode::BAD_REQUEST);
    assert_eq!(b5["type"], "urn:itinera:problem:idempotency.bad_key");
    // A server that stopped between its write and keeping its answer: the retry is told
    // the request is in progress, and the write is not made again.
    let third = person("Tercera", "Sin", "Respuesta", 71_000_003);
    let (s6, _, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-3",
        &third,
    )
    .await;
    assert_eq!(s6, StatusCode::CREATED);
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query(
        "UPDATE idempotency_keys SET status = NULL, body = NULL WHERE idem_key = 'reg-3'"
    ).execute(c).await.map(|_| ()).map_err(itinera_store::db_err))
    .expect("forget the answer");
    tx.commit().await.expect("commit");
    let (s7, b7, _) = post_keyed(
        &app,
        &second,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-3",
        &third,
    )
    .await;
    assert_eq!(s7, StatusCode::CONFLICT);
    assert_eq!(b7["type"], "urn:itinera:problem:idempotency.in_progress");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM participants WHERE given_name = 'Tercera'"
        )
        .await,
        1
    );
    // A revoked credential is not sent a kept answer.
    let (user, _) = who(&app, SOCIAL_MERIDA).await;
    exec(
        &app,
        "UPDATE api_tokens SET revoked_at = created_at WHERE user_id = $1",
        &user,
    )
    .await;
    let (s10, b10, r10) = post_keyed(
        &app,
        &app.base,
        SOCIAL_MERIDA,
        "/participants",
        "reg-1",
        &other,
    )
    .await;
    assert_eq!(s10, StatusCode::UNAUTHORIZED, "{b10}");
    assert!(!r10);
    // A refused write claims nothing: the same key may carry the corrected request.
    let mut bad = person("Corregida", "Tras", "Error", 71_000_004);
    bad["birth_date"] = json!("no es una fecha");
    let (s8, _, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-4",
        &bad,
    )
    .await;
    assert_eq!(s8, StatusCode::UNPROCESSABLE_ENTITY);
    let (s9, b9, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "reg-4",
        &bad,
    )
    .await;
    assert_eq!(s9, StatusCode::UNPROCESSABLE_ENTITY, "{b9}");
    assert_ne!(b9["type"], "urn:itinera:problem:idempotency.key_reused");
    // An answer with a secret shown once (a calendar feed's address) is not kept: a
    // retry is told the request was done, and gets no secret.
    let (s11, b11, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/calendar/feed",
        "feed-1",
        &json!({}),
    )
    .await;
    assert_eq!(s11, StatusCode::OK, "{b11}");
    let (s12, b12, _) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/calendar/feed",
        "feed-1",
        &json!({}),
    )
    .await;
    assert_eq!(s12, StatusCode::CONFLICT, "{b12}");
    assert_eq!(b12["type"], "urn:itinera:problem:idempotency.not_kept");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM idempotency_keys WHERE content_type = '' AND length(body) > 0"
        )
        .await,
        0,
        "the secret is not in the table"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_counted_across_servers() {
    let app = spawn_app().await;
    let second = app.second_server().await;
    let one = Browser::new(&app.base);
    let two = Browser::new(&second);
    // 30 attempts from this address in the window, spread over both servers…
    for i in 0..30 {
        let b = if i % 2 == 0 { &one } else { &two };
        let r = b.login_with(&format!("nadie.{i}"), "mal").await;
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "attempt {i}");
    }
    // …and the next is refused on either, even with the right password.
    assert_eq!(
        one.login(SOCIAL_BADAJOZ).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        two.login(SOCIAL_BADAJOZ).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The window passes.
    app.clock.advance(chrono::Duration::seconds(301));
    assert_eq!(
        one.login(SOCIAL_BADAJOZ).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn background_work_runs_under_one_lease() {
    let app = spawn_app().await;
    let s = &app.services;
    assert!(s.take_lease("sweep", "server-a", 60).await.expect("lease"));
    assert!(!s.take_lease("sweep", "server-b", 60).await.expect("lease"));
    // The holder renews it.
    assert!(s.take_lease("sweep", "server-a", 60).await.expect("lease"));
    app.clock.advance(chrono::Duration::seconds(59));
    assert!(!s.take_lease("sweep", "server-b", 60).await.expect("lease"));
    // Once it runs out, another server takes over.
    app.clock.advance(chrono::Duration::seconds(2));
    assert!(s.take_lease("sweep", "server-b", 60).await.expect("lease"));
    assert!(!s.take_lease("sweep", "server-a", 60).await.expect("lease"));
}

#[tokio::test]
async fn readiness_says_the_database_takes_writes() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/health/ready", app.base))
        .send()
        .await
        .expect("ready");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "ready");
    let r = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_signed_in_on_one_server_continues_on_the_other() {
    let app = spawn_app().await;
    let second = app.second_server().await;
    let one = Browser::new(&app.base);
    assert_eq!(
        one.login(SOCIAL_BADAJOZ).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, _) = one.page("/participants").await;
    assert_eq!(status, StatusCode::OK);
    // The same browser (its session cookie) on the other server.
    let two = Browser {
        client: one.client.clone(),
        base: second.clone(),
    };
    let (status, html) = two.page("/participants").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // A form of the other server accepts the session's CSRF token: sign out there.
    let csrf = two.csrf().await;
    let r = two
        .client
        .post(format!("{second}/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_redirection());
    // …and the session has ended on the first server too.
    let (status, _) = one.page("/participants").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_key_never_makes_the_server_hold_a_larger_body() {
    let app = spawn_app().await;
    // 3 MB of JSON: the key does not buffer it; the route refuses it as it would any.
    let big = json!({"given_name": "x".repeat(3 * 1024 * 1024)});
    let (status, _, replayed) = post_keyed(
        &app,
        &app.base,
        SOCIAL_BADAJOZ,
        "/participants",
        "big-1",
        &big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!replayed);
    assert_eq!(
        count(&app, "SELECT count(*) FROM idempotency_keys").await,
        0
    );
}

/// Each server appends its audited reads after the entry it wrote last while the chain
/// still ends there (on PostgreSQL in one statement); reads on two servers at once,
/// with writes among them, move the chain's end under each other's feet. Every read
/// keeps its one entry and the chain verifies.
#[tokio::test]
async fn reads_on_two_servers_at_once_keep_one_intact_chain() {
    let app = spawn_app().await;
    let second = app.second_server().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            app.register(
                SOCIAL_BADAJOZ,
                &person("Sara", "Quintana", "", 72_000_001 + n),
            )
            .await,
        );
    }
    let reads_before = count(
        &app,
        "SELECT count(*) FROM audit_read_log WHERE action = 'participant.read'",
    )
    .await;
    let token = app.token(SOCIAL_BADAJOZ).to_string();
    let mut tasks = Vec::new();
    for k in 0..80usize {
        let (client, token) = (app.client.clone(), token.clone());
        let base = if k % 2 == 0 {
            app.base.clone()
        } else {
            second.clone()
        };
        let id = ids[k % ids.len()].clone();
        tasks.push(tokio::spawn(async move {
            let r = if k % 10 == 3 {
                client
                    .post(format!("{base}/api/v1/participants"))
                    .bearer_auth(&token)
                    .json(&person("Teo", "Urrutia", "", 72_100_000 + k as u32))
                    .send()
                    .await
            } else {
                client
                    .get(format!("{base}/api/v1/participants/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
            };
            let r = r.expect("request");
            (k, r.status(), r.text().await.unwrap_or_default())
        }));
    }
    let mut reads = 0i64;
    for t in tasks {
        let (k, status, body) = t.await.expect("task");
        if k % 10 == 3 {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
            reads += 1;
        }
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_read_log WHERE action = 'participant.read'"
        )
        .await
            - reads_before,
        reads
    );
    // One numbering across both logs: no number twice, none missing.
    assert_eq!(
        count(
            &app,
            "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM audit_read_log) \
             - (SELECT COALESCE(MAX(seq), 0) FROM (SELECT seq FROM audit_log UNION ALL SELECT seq FROM audit_read_log) s)"
        )
        .await,
        0
    );
    let v = app
        .services
        .verify_audit(itinera_service::Caller::CommandLine)
        .await
        .expect("verify");
    assert!(v.intact, "{v:?}");
}

/// PostgreSQL: connections cut under the server (an administrator's
/// `pg_terminate_backend`, a database restart while the server is idle) are found dead
/// before they are used again — a connection idle for a second is pinged before it is
/// handed out — so the next requests are answered, not refused.
#[tokio::test]
async fn connections_cut_while_idle_are_replaced_before_use() {
    let app = spawn_app().await;
    if !app.db_url.starts_with("postgres") {
        return;
    }
    let r = app.get(SOCIAL_BADAJOZ, "/participants?q=a").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .expect("connect");
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&mut admin)
    .await
    .expect("terminate");
    assert!(cut > 0, "the server's connections were cut");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    for _ in 0..20 {
        let r = app.get(SOCIAL_BADAJOZ, "/participants?q=a").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/participants",
            &person("Cortada", "Conexión", "Prueba", 71_000_900),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
