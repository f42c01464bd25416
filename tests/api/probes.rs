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
        let _ = axum::serve(
            listener,
            itinera_web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
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
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("itinera_http_requests_total"));
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
