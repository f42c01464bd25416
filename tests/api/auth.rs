use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("itinera_session="))
        .map(str::to_string)
}

#[tokio::test]
async fn login_rotates_the_session_and_sets_safe_cookies() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    let first = b.login(SOCIAL_BADAJOZ).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let c1 = session_cookie(&first).expect("cookie");
    assert!(c1.contains("HttpOnly") && c1.contains("SameSite=Lax"));
    let second = b.login(SOCIAL_BADAJOZ).await;
    let c2 = session_cookie(&second).expect("cookie");
    assert_ne!(
        c1.split(';').next(),
        c2.split(';').next(),
        "a new session id at every login"
    );
    let (status, html) = b.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Trabajadora social"));
    let r = b
        .client
        .get(format!("{}/participants", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(
        r.headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_the_absolute_limit() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(b.page("/").await.0, StatusCode::OK);
    app.clock.advance(Duration::minutes(31));
    let r = b
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/login")
    );

    // Active all day long: still ends after twelve hours.
    b.login(SOCIAL_BADAJOZ).await;
    for _ in 0..25 {
        app.clock.advance(Duration::minutes(29));
        let _ = b.page("/").await;
    }
    assert_eq!(
        b.client
            .get(format!("{}/", app.base))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn repeated_failures_slow_down_that_address_for_that_name_only() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    let wrong = |user: &'static str| {
        b.client
            .post(format!("{}/login", app.base))
            .form(&[("username", user), ("password", "wrong password")])
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            wrong(SOCIAL_MERIDA).await.expect("post").status(),
            StatusCode::UNAUTHORIZED
        );
        // A name that does not exist answers exactly the same.
        assert_eq!(
            wrong("nadie.existe").await.expect("post").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = b.login(SOCIAL_MERIDA).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "waiting even with the right password, from this address"
    );
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("Espere unos minutos"));
    assert_eq!(
        wrong("nadie.existe").await.expect("post").status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // From another address (her own desk) she signs in: nobody locks a colleague out.
    let mut ctx = itinera_service::Ctx::cli(app.services.now());
    ctx.client_addr = "198.51.100.23".into();
    assert!(app
        .services
        .login(&ctx, SOCIAL_MERIDA, PASSWORD)
        .await
        .is_ok());
    // Another name from the first address is not slowed down either.
    assert_eq!(
        b.login(SOCIAL_BADAJOZ).await.status(),
        StatusCode::SEE_OTHER
    );
    // One minute later the first address may try again; a further failure doubles the wait.
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        wrong(SOCIAL_MERIDA).await.expect("post").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login(SOCIAL_MERIDA).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(Duration::seconds(121));
    assert_eq!(b.login(SOCIAL_MERIDA).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_need_the_session_token_and_our_origin() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    // No token.
    let r = b
        .client
        .post(format!("{}/participants/search", app.base))
        .form(&[("q", "a")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.expect("page");
    assert!(
        html.contains("Este formulario se abrió en una sesión anterior"),
        "{html}"
    );
    // Right token, foreign site.
    let csrf = b.csrf().await;
    let r = b
        .client
        .post(format!("{}/participants/search", app.base))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("q", "a")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .client
        .post(format!("{}/participants/search", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str()), ("q", "a")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Right token, our page.
    let r = b
        .client
        .post(format!("{}/participants/search", app.base))
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str()), ("q", "a")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn health_and_openapi() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .expect("openapi");
    let doc: serde_json::Value = r.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    // Every documented operation exists: with a token it never answers 405, and never a
    // bare 404 without a problem document.
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    let nil = uuid::Uuid::nil().to_string();
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", &nil)
            .replace("{member}", &nil)
            .replace("{mid}", &nil);
        for (method, _) in ops.as_object().cloned().unwrap_or_default() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let mut req = app
                .client
                .request(m, format!("{}/api/v1{concrete}", app.base))
                .bearer_auth(app.token(ADMIN));
            if method != "get" && method != "delete" {
                req = req.json(&serde_json::json!({}));
            }
            let r = req.send().await.expect("request");
            let status = r.status();
            let ctype = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = r.text().await.unwrap_or_default();
            crate::conformance::check(&method, &concrete, status.as_u16(), &ctype, &body);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if status == StatusCode::NOT_FOUND {
                assert_eq!(
                    ctype, "application/problem+json",
                    "{method} {path} is not routed"
                );
            }
        }
    }
}
