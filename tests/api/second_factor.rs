//! The second factor (TOTP) through the browser, on both engines: set up at the first
//! sign-in, asked at every one after, codes good once, recovery codes, tries limited,
//! and a lost factor reset by two administrators.

use chrono::Duration;
use itinera_service::Clock;
use reqwest::StatusCode;

use crate::helpers::*;

async fn require_second_factor(app: &TestApp) {
    let mut tx = app.store.write().await.unwrap();
    itinera_store::secrets::set(&mut tx, "second_factor_policy", "required", start_time())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn between<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    html.split(from)
        .nth(1)
        .and_then(|s| s.split(to).next())
        .unwrap_or_else(|| panic!("no {from}…{to} in {html}"))
}

/// Signs in with the password and expects the second step.
async fn password(b: &Browser, user: &str) {
    let r = b.login(user).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/login/second-factor",
        "no session before the second step"
    );
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("itinera_session=")),
        "no session cookie yet"
    );
}

async fn send_code(b: &Browser, code: &str) -> (StatusCode, String, Option<String>) {
    let r = b
        .client
        .post(format!("{}/login/second-factor", b.base))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), location)
}

/// Signs in and sets a factor up; returns its secret.
async fn enrol(app: &TestApp, b: &Browser, user: &str) -> String {
    password(b, user).await;
    let (_, html) = b.page("/login/second-factor").await;
    let secret =
        between(&html, "<code id=\"secret\" class=\"secret\">", "</code>").replace(' ', "");
    let code = itinera_service::second_factor::code_at(&secret, app.clock.now()).unwrap();
    let (status, html, _) = send_code(b, &code).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    secret
}

#[tokio::test]
async fn a_second_factor_is_set_up_once_then_asked_at_every_sign_in() {
    let app = spawn_app().await;
    require_second_factor(&app).await;
    let b = Browser::new(&app.base);
    password(&b, SOCIAL_BADAJOZ).await;
    // Without the second step nothing of the application opens.
    let (status, _) = b.page("/caseload").await;
    assert_ne!(status, StatusCode::OK);
    let (status, html) = b.page("/login/second-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("otpauth://totp/Itinera:ts.badajoz?secret="),
        "{html}"
    );
    let secret =
        between(&html, "<code id=\"secret\" class=\"secret\">", "</code>").replace(' ', "");
    assert_eq!(secret.len(), 32, "160 bits in base32");

    // A wrong code: the page again, with the message; then the right one sets it up
    // and shows ten recovery codes once.
    let (status, html, _) = send_code(&b, "000000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("El código no es correcto"), "{html}");
    let now = app.clock.now();
    let code = itinera_service::second_factor::code_at(&secret, now).unwrap();
    let (status, html, _) = send_code(&b, &code).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // The secret is sealed in the database: never there as the app was given it.
    let sealed = count(
        &app,
        "SELECT COUNT(*) FROM second_factors WHERE secret LIKE 'v1:%'",
    )
    .await;
    assert_eq!(sealed, 1);
    let plain = count(
        &app,
        &format!("SELECT COUNT(*) FROM second_factors WHERE secret = '{secret}'"),
    )
    .await;
    assert_eq!(plain, 0);
    let codes: Vec<String> = between(&html, "<ul id=\"recovery-codes\" class=\"codes\">", "</ul>")
        .split("<code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    let (status, _) = b.page("/caseload").await;
    assert_eq!(status, StatusCode::OK, "signed in");

    // The next sign-in asks the code; the same code again is refused (used once), the
    // next step's code is taken.
    let b = Browser::new(&app.base);
    password(&b, SOCIAL_BADAJOZ).await;
    let (_, html) = b.page("/login/second-factor").await;
    assert!(
        !html.contains("otpauth://"),
        "the secret is never shown again"
    );
    let (status, _, _) = send_code(&b, &code).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a used code");
    app.clock.advance(Duration::seconds(30));
    let code = itinera_service::second_factor::code_at(&secret, app.clock.now()).unwrap();
    let (status, _, location) = send_code(&b, &code).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/"));

    // A recovery code works once, typed loosely.
    let b = Browser::new(&app.base);
    password(&b, SOCIAL_BADAJOZ).await;
    let loose = codes[0].to_lowercase().replace('-', " ");
    let (status, _, _) = send_code(&b, &loose).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let b = Browser::new(&app.base);
    password(&b, SOCIAL_BADAJOZ).await;
    let (status, _, _) = send_code(&b, &codes[0]).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a recovery code is good once"
    );

    // Five wrong codes end the attempt: the right one is refused after them.
    for _ in 0..4 {
        send_code(&b, "123456").await;
    }
    app.clock.advance(Duration::seconds(30));
    let code = itinera_service::second_factor::code_at(&secret, app.clock.now()).unwrap();
    let (status, html, _) = send_code(&b, &code).await;
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::SEE_OTHER,
        "{status} {html}"
    );
    let (status, _) = b.page("/caseload").await;
    assert_ne!(status, StatusCode::OK);

    // A challenge lasts five minutes.
    let b = Browser::new(&app.base);
    password(&b, SOCIAL_BADAJOZ).await;
    app.clock.advance(Duration::minutes(6));
    let code = itinera_service::second_factor::code_at(&secret, app.clock.now()).unwrap();
    let (status, html, _) = send_code(&b, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{html}");
    assert!(html.contains("El tiempo para el segundo paso ha terminado"));

    // Everything is in the audit log.
    let r = app
        .get(AUDITOR, "/audit-entries?action=auth.second_factor_failed")
        .await;
    assert!(
        r.body["items"].as_array().unwrap().len() >= 6,
        "{:?}",
        r.body
    );
    let r = app
        .get(AUDITOR, "/audit-entries?action=auth.recovery_code_used")
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_lost_factor_is_reset_by_two_administrators() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    // Set up (the policy is the demo's, optional: set up by requiring it for a moment).
    require_second_factor(&app).await;
    enrol(&app, &b, SOCIAL_MERIDA).await;
    let (status, _) = b.page("/caseload").await;
    assert_eq!(status, StatusCode::OK);
    let (user_id, _) = who(&app, SOCIAL_MERIDA).await;

    // Administrators pass the second step too: their factor is set up here.
    let admin = Browser::new(&app.base);
    let admin2 = Browser::new(&app.base);
    for (br, name) in [(&admin, ADMIN), (&admin2, ADMIN2)] {
        enrol(&app, br, name).await;
    }
    let page = format!("/admin/users/{user_id}");
    let (_, html) = admin.page(&page).await;
    assert!(html.contains("Configurado el"), "{html}");
    let (status, _, _) = admin
        .post_form(&format!("{page}/second-factor/reset"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = admin.page(&page).await;
    assert!(html.contains("Otra persona administradora debe aprobarlo."));
    assert!(
        !html.contains("/admin/second-factor-resets/"),
        "no approve button for the one who asked"
    );
    let (_, html2) = admin2.page(&page).await;
    let reset = between(&html2, "/admin/second-factor-resets/", "/decision").to_string();
    // The one who asked cannot approve it, even by posting.
    let (status, _, _) = admin
        .post_form(
            &format!("/admin/second-factor-resets/{reset}/decision"),
            &[("approve", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = admin2
        .post_form(
            &format!("/admin/second-factor-resets/{reset}/decision"),
            &[("approve", "true"), ("user", &user_id)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Her sessions ended; at the next sign-in she sets a new factor up.
    let (status, _) = b.page("/caseload").await;
    assert_ne!(status, StatusCode::OK);
    password(&b, SOCIAL_MERIDA).await;
    let (_, html) = b.page("/login/second-factor").await;
    assert!(html.contains("otpauth://"));
    let r = app
        .get(AUDITOR, "/audit-entries?action=second_factor.reset_decide")
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn integrators_of_administration_reset_a_factor_through_the_api_with_four_eyes() {
    let app = spawn_app().await;
    require_second_factor(&app).await;
    let b = Browser::new(&app.base);
    enrol(&app, &b, SOCIAL_MERIDA).await;
    let (user, _) = who(&app, SOCIAL_MERIDA).await;

    let r = app
        .get(ADMIN, &format!("/users/{user}/second-factor"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["enrolled"], true);
    assert_eq!(r.body["recovery_codes_left"], 10);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &format!("/users/{user}/second-factor"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let path = format!("/users/{user}/second-factor/resets");
    let r = app.post(ADMIN, &path, &serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let reset = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(ADMIN, &path, &serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(ADMIN2, "/second-factor-resets").await;
    assert_eq!(r.body[0]["id"], reset.as_str());
    let decision = format!("/second-factor-resets/{reset}/decision");
    let r = app
        .post(ADMIN, &decision, &serde_json::json!({"approve": true}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not the one who asked"
    );
    let r = app
        .post(ADMIN2, &decision, &serde_json::json!({"approve": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .get(ADMIN, &format!("/users/{user}/second-factor"))
        .await;
    assert_eq!(r.body["enrolled"], false);
    let r = app
        .post(ADMIN2, &decision, &serde_json::json!({"approve": true}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "decided already");
}

#[tokio::test]
async fn wrong_codes_over_many_sign_ins_make_the_account_wait() {
    let app = spawn_app().await;
    require_second_factor(&app).await;
    let b = Browser::new(&app.base);
    let secret = enrol(&app, &b, NGO_BADAJOZ).await;
    // Whoever knows the password cannot get new tries without end by signing in
    // again: ten wrong codes in a row, over two sign-ins, and the second step waits.
    for _ in 0..2 {
        let b = Browser::new(&app.base);
        password(&b, NGO_BADAJOZ).await;
        for _ in 0..5 {
            let (status, _, _) = send_code(&b, "000001").await;
            assert_ne!(status, StatusCode::SEE_OTHER);
        }
    }
    let b = Browser::new(&app.base);
    let r = b.login(NGO_BADAJOZ).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_refused' AND detail LIKE '%second_factor_waiting%'"
        )
        .await,
        1
    );
    // An hour later the right code opens the session, and the count starts again.
    app.clock.advance(Duration::minutes(61));
    let b = Browser::new(&app.base);
    password(&b, NGO_BADAJOZ).await;
    let code = itinera_service::second_factor::code_at(&secret, app.clock.now()).unwrap();
    let (status, html, _) = send_code(&b, &code).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
}

/// The administrator who created an account chose its password: after a reset,
/// whoever signs in first sets the new factor up, so they may neither ask for the
/// reset nor approve it.
#[tokio::test]
async fn the_administrator_who_created_an_account_takes_no_part_in_resetting_its_factor() {
    let app = spawn_app().await;
    require_second_factor(&app).await;
    let b = Browser::new(&app.base);
    enrol(&app, &b, SOCIAL_MERIDA).await;
    let (user, _) = who(&app, SOCIAL_MERIDA).await;
    let (creator, _) = who(&app, ADMIN).await;
    let mut tx = app.store.write().await.unwrap();
    itinera_store::admin::set_created_by(&mut tx, user.parse().unwrap(), creator.parse().unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let path = format!("/users/{user}/second-factor/resets");
    let r = app.post(ADMIN, &path, &serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body.to_string().contains("quien la creó"), "{:?}", r.body);
    let r = app.post(ADMIN2, &path, &serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let decision = format!(
        "/second-factor-resets/{}/decision",
        r.body["id"].as_str().unwrap()
    );
    let r = app
        .post(ADMIN, &decision, &serde_json::json!({"approve": true}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .get(ADMIN2, &format!("/users/{user}/second-factor"))
        .await;
    assert_eq!(r.body["enrolled"], true, "nothing was reset");
}
