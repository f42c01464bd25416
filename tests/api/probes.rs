//! The smaller holes of the security review, each tried as it was found: an open
//! redirect, a `javascript:` link, control and bidirectional characters in names,
//! thousands of documents, `/metrics` without credentials, cookies without `Secure`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_language_switch_never_sends_to_another_site() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    for back in [
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "/\\/evil",
        "/x\r\nSet-Cookie: a=b",
    ] {
        let r = b
            .client
            .post(format!("{}/language", app.base))
            .form(&[("lang", "ca"), ("back", back)])
            .send()
            .await
            .expect("lang");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/", "{back:?}");
    }
    let r = b
        .client
        .post(format!("{}/language", app.base))
        .form(&[("lang", "ca"), ("back", "/participants?q=ana")])
        .send()
        .await
        .expect("lang");
    assert_eq!(r.headers()["location"], "/participants?q=ana");
}

#[tokio::test]
async fn a_meeting_link_is_a_web_address_in_every_mode() {
    let app = spawn_app().await;
    let programme = app.programme("CRISOL").await;
    let r = app
        .post(
            COORDINATOR,
            "/bodies",
            &json!({"name": "Comisión de prueba", "level": "1", "frequency": "quarterly", "programme_id": programme}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap_or("").to_string();
    for (mode, link) in [
        ("in_person", "javascript:alert(document.cookie)"),
        ("virtual", "JAVASCRIPT:alert(1)"),
        ("in_person", "data:text/html,<script>"),
    ] {
        let r = app
            .post(COORDINATOR, &format!("/bodies/{body}/meetings"), &json!({"date": "2026-12-10", "starts": "10:00", "ends": "11:00", "mode": mode, "place": "Sala 2", "link": link}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{link}");
        assert_eq!(
            codes(&r.body),
            vec![(
                "link".to_string(),
                "coordination.meeting.link_format".to_string()
            )]
        );
    }
}

#[tokio::test]
async fn names_refuse_control_and_bidirectional_characters_and_documents_are_few() {
    let app = spawn_app().await;
    for bad in ["Ana\u{0}", "\u{202E}anA", "Ana\u{1b}[2J", "An\u{2066}a"] {
        let mut p = person(bad, "García", "", 91_000_001);
        p["surname2"] = json!(bad);
        let r = app.post(SOCIAL_BADAJOZ, "/participants", &p).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {:?}",
            r.body
        );
        let c = codes(&r.body);
        assert!(
            c.contains(&(
                "given_name".to_string(),
                "validation.text.characters".to_string()
            )),
            "{c:?}"
        );
        assert!(
            c.contains(&(
                "surname2".to_string(),
                "validation.text.characters".to_string()
            )),
            "{c:?}"
        );
    }
    // An Arabic name is a name.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/participants",
            &person("عائشة", "Benali", "", 91_000_002),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Five thousand documents: one clear error, not five thousand.
    let mut p = person("Ana", "Muchos", "", 91_000_003);
    p["documents"] = json!((0..5_000)
        .map(|n| json!({"kind": "dni", "number": dni(n)}))
        .collect::<Vec<_>>());
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        vec![("documents".to_string(), "validation.too_many".to_string())]
    );
}

#[tokio::test]
async fn metrics_need_their_token_and_cookies_are_secure_behind_tls() {
    let app = spawn_app().await;
    // Off unless a token is configured.
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A server with a metrics token, behind TLS (the default of `serve`).
    let state = itinera_web::AppState::new(app.services.clone(), true)
        .with_metrics_token(Some("metrics-s3cret".into()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = itinera_web::server::serve(
            listener,
            itinera_web::app(state),
            itinera_web::server::Limits::default(),
            std::future::pending(),
        )
        .await;
    });
    let get = |token: Option<&'static str>| {
        let mut r = app.client.get(format!("{base}/metrics"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(
        get(None).await.expect("m").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(Some("wrong")).await.expect("m").status(),
        StatusCode::UNAUTHORIZED
    );
    let r = get(Some("metrics-s3cret")).await.expect("m");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap_or_default();
    assert!(text.contains("itinera_http_requests_total"));
    // On SQLite, the longest time one transaction held the writer, its commit included
    // (the set-up's writes made some); PostgreSQL has no one writer.
    let turn = text
        .lines()
        .find_map(|l| l.strip_prefix("itinera_sqlite_writer_longest_turn_seconds "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    match app.services.store.engine() {
        itinera_store::Engine::Sqlite => {
            assert!(turn.is_some_and(|t| t > 0.0 && t < 60.0), "{text}")
        }
        itinera_store::Engine::Postgres => assert_eq!(turn, None, "{text}"),
    }
    // Sign in: the cookie is Secure, and HSTS is sent.
    let r = Browser::new(&base).login(SOCIAL_BADAJOZ).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap_or("").to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn refused_reads_are_audited_and_enumeration_is_flagged() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_MERIDA, &person("Elvira", "Recuero", "", 92_000_001))
        .await;
    // A professional of another organisation tries it: the 404 that hides existence…
    let r = app.get(NGO_BADAJOZ, &format!("/participants/{pid}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // …is in the audit log, naming whom and whose record.
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=participant.read_refused&entity_id={pid}"),
        )
        .await;
    let items = r.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{:?}", r.body);
    let (ngo, _) = who(&app, NGO_BADAJOZ).await;
    assert_eq!(items[0]["actor_user_id"], ngo.as_str());
    // Trying ids one after another is flagged, once.
    for n in 0..25u32 {
        let id = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(n));
        let r = app
            .get(NGO_BADAJOZ, &format!("/participants/{id}/cases"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=security.enumeration_suspected&actor={NGO_BADAJOZ}"),
        )
        .await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        r.body
    );
    // Reads with a basis are not refusals.
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=participant.read_refused&actor={SOCIAL_MERIDA}"),
        )
        .await;
    assert_eq!(r.body["items"], json!([]));
}

/// A server with short limits, to try them.
async fn limited_server(
    app: &TestApp,
    limits: itinera_web::server::Limits,
) -> std::net::SocketAddr {
    let state = itinera_web::AppState::new(app.services.clone(), false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = itinera_web::server::serve(
            listener,
            itinera_web::app(state),
            limits,
            std::future::pending(),
        )
        .await;
    });
    addr
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let r = tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut out)).await;
    assert!(r.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test]
async fn slow_clients_do_not_hold_connections_and_big_bodies_get_413() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let limits = itinera_web::server::Limits {
        max_connections: 4,
        header_timeout: std::time::Duration::from_millis(400),
        body_timeout: std::time::Duration::from_millis(400),
        drain_timeout: std::time::Duration::from_secs(1),
    };
    let addr = limited_server(&app, limits).await;
    // Headers that never end: the connection is closed.
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    until_closed(&mut slow).await;
    // A body that never arrives: answered and closed, not held.
    let mut half = tokio::net::TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nusername=a").await.expect("write");
    let answer = until_closed(&mut half).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // Connections past the cap wait; idle ones are cut; the service answers.
    let mut idle = Vec::new();
    for _ in 0..6 {
        idle.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    }
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.client.get(format!("http://{addr}/health")).send(),
    )
    .await
    .expect("served while idle connections waited")
    .expect("health");
    assert_eq!(r.status(), StatusCode::OK);
    for s in &mut idle {
        until_closed(s).await;
    }
    // Too large a body: 413, in the user's language, on the API and on the pages.
    let big = "x".repeat(3 * 1024 * 1024);
    let mut p = person("Ana", "Grande", "", 93_000_001);
    p["address"] = json!(big);
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &p).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:itinera:problem:error.too_large");
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, _, _) = b
        .post_form("/participants/search", &[("q", big.as_str())])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}
