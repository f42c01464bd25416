//! Segregation of duties and the escalation matrix: no administrator path to a person.
//!
//! Starting from every role of the demo, every administrative action the API and the
//! pages offer (alone, and the two-step ones: create an account then give it a role;
//! ask for a role then approve it; create a service account then issue it a token),
//! then every `GET` route of the API (taken from the generated OpenAPI document, so a
//! new route joins by itself) with every credential obtained: no answer contains the
//! person, who was registered by an organisation none of these accounts works for.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const SURNAME: &str = "Quintanilla";

/// Every GET route of the API with its path parameters filled with the person's ids.
fn reads(pid: &str, case_id: &str) -> Vec<String> {
    let doc = itinera_web::api::document();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        if item.get.is_none() {
            continue;
        }
        let mut p = path.clone();
        // Whatever the parameter's name, the ids of the person and of their case.
        for (i, seg) in path.split('/').enumerate() {
            if seg.starts_with('{') {
                let id = if path.starts_with("/cases") && i == 2 {
                    case_id
                } else {
                    pid
                };
                p = p.replacen(seg, id, 1);
            }
        }
        out.push(p);
    }
    out.push(format!("/participants?q={SURNAME}"));
    out.push(format!("/search?q={SURNAME}"));
    out
}

async fn nothing_of_the_person(app: &TestApp, token: &str, who: &str, pid: &str, case_id: &str) {
    for path in reads(pid, case_id) {
        let r = app
            .client
            .get(format!("{}/api/v1{path}", app.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        let text = r.text().await.unwrap_or_default();
        assert!(
            !text.contains(SURNAME) && !text.contains(&dni(7_707)),
            "{who} reached the person through GET {path}"
        );
    }
}

#[tokio::test]
async fn no_role_reaches_a_person_through_administrative_actions() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_MERIDA, &person("Zacarías", SURNAME, "Ybarra", 7_707))
        .await;
    let case_id = app.open_case(SOCIAL_MERIDA, &pid, SOCIAL_MERIDA).await;
    let (sw_user, sw_org) = who(&app, SOCIAL_BADAJOZ).await;
    // The probe finds the person where there is a basis: the registering worker does.
    let routes = reads(&pid, &case_id);
    assert!(routes.len() > 40, "{} GET routes", routes.len());
    let mut found = 0;
    for path in &routes {
        let r = app.get(SOCIAL_MERIDA, path).await;
        if r.body.to_string().contains(SURNAME) {
            found += 1;
        }
    }
    assert!(
        found >= 5,
        "the probe sees the person on {found} routes only"
    );
    let mut n = 0;
    for user in ALL_USERS.iter().copied().filter(|u| *u != SOCIAL_MERIDA) {
        let (me, my_org) = who(&app, user).await;
        let mut credentials: Vec<(String, String)> =
            vec![(user.to_string(), app.token(user).to_string())];
        // 1. A token for a person who reads (another user, and oneself).
        for target in [sw_user.as_str(), me.as_str()] {
            let r = app
                .post(
                    user,
                    "/tokens",
                    &json!({"user_id": target, "organisation_id": sw_org, "name": "x"}),
                )
                .await;
            assert!(!r.status.is_success(), "{user} minted a token for {target}");
        }
        // 2. Oneself a role that reads, in one's organisation and in the person's.
        for org in [my_org.as_str(), sw_org.as_str()] {
            let r = app
                .post(
                    user,
                    &format!("/users/{me}/memberships"),
                    &json!({"organisation_id": org, "role": "social_worker"}),
                )
                .await;
            assert!(
                !r.status.is_success(),
                "{user} gave themselves a reading role: {:?}",
                r.body
            );
        }
        // 3. A new account with a known password, then a reading role; then its
        //    approval by the same administrator; then a token for it; then sign in.
        let name = format!("esc.{n}");
        n += 1;
        let r = app
            .post(user, "/users", &json!({"username": name, "display_name": "X", "password": "una contraseña larga", "service_account": n % 2 == 0}))
            .await;
        if r.status == StatusCode::CREATED {
            let x = r.body["id"].as_str().unwrap_or("").to_string();
            let r = app
                .post(
                    user,
                    &format!("/users/{x}/memberships"),
                    &json!({"organisation_id": sw_org, "role": "social_worker"}),
                )
                .await;
            assert_ne!(
                r.status,
                StatusCode::CREATED,
                "{user}: a reading role at once"
            );
            if let Some(g) = r.body["grant_id"].as_str() {
                let d = app
                    .post(
                        user,
                        &format!("/role-grants/{g}/decision"),
                        &json!({"approve": true}),
                    )
                    .await;
                assert_eq!(
                    d.status,
                    StatusCode::CONFLICT,
                    "{user} approved their own request"
                );
            }
            let t = app
                .post(
                    user,
                    "/tokens",
                    &json!({"user_id": x, "organisation_id": sw_org, "name": "x"}),
                )
                .await;
            if let Some(tok) = t.body["token"].as_str() {
                credentials.push((format!("{user}→token of {name}"), tok.to_string()));
            }
            let b = Browser::new(&app.base);
            let r = b.login_with(name.as_str(), "una contraseña larga").await;
            assert_ne!(
                r.status(),
                StatusCode::SEE_OTHER,
                "{user}: {name} signed in without a role"
            );
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        }
        // 4. One's own token, signed in (a token of one's own roles, nothing more).
        let b = Browser::new(&app.base);
        b.login(user).await;
        let (_, html, _) = b
            .post_form(
                "/account/tokens",
                &[("name", "mía"), ("expires_in_days", "")],
            )
            .await;
        if let Some(tok) = html
            .split("id=\"new-token\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
        {
            credentials.push((format!("{user}→own token"), tok.to_string()));
        }
        // The person's page in the browser, too.
        let (_, html) = b.page(&format!("/participants/{pid}")).await;
        assert!(!html.contains(SURNAME), "{user} reached the person's page");
        for (who, token) in &credentials {
            nothing_of_the_person(&app, token, who, &pid, &case_id).await;
        }
    }
}

#[tokio::test]
async fn four_eyes_grant_a_reading_role_and_the_auditor_sees_it() {
    let app = spawn_app().await;
    let (_, org) = who(&app, SOCIAL_BADAJOZ).await;
    let r = app
        .post(ADMIN, "/users", &json!({"username": "nueva.ts", "display_name": "Nueva TS", "password": "una contraseña larga"}))
        .await;
    let x = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app
        .post(
            ADMIN,
            &format!("/users/{x}/memberships"),
            &json!({"organisation_id": org, "role": "social_worker"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let g = r.body["grant_id"].as_str().unwrap_or("").to_string();
    // Asked twice: refused while it waits.
    let again = app
        .post(
            ADMIN2,
            &format!("/users/{x}/memberships"),
            &json!({"organisation_id": org, "role": "social_worker"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Not a member yet: no sign-in.
    let b = Browser::new(&app.base);
    let r = b.login_with("nueva.ts", "una contraseña larga").await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    // A professional neither sees nor decides requests.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/role-grants").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            SOCIAL_BADAJOZ,
            &format!("/role-grants/{g}/decision"),
            &json!({"approve": true})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // The second administrator approves, in the browser.
    let b2 = Browser::new(&app.base);
    b2.login(ADMIN2).await;
    let (status, html) = b2.page("/admin/grants").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("nueva.ts"));
    let (status, _, to) = b2
        .post_form(
            &format!("/admin/grants/{g}/decision"),
            &[("approve", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/admin/grants"));
    // Decided once.
    assert_eq!(
        app.post(
            ADMIN2,
            &format!("/role-grants/{g}/decision"),
            &json!({"approve": false})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let r = b.login_with("nueva.ts", "una contraseña larga").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signs in once approved");
    // The auditor sees the grant with who asked and who approved.
    let grants = app.get(AUDITOR, "/role-grants").await;
    assert_eq!(grants.status, StatusCode::OK);
    let row = grants
        .body
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == g.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(row["decision"], "approved");
    assert_eq!(row["requested_by_name"], "Administración Itinera");
    assert_eq!(
        row["decided_by_name"],
        "Administración Itinera (segunda firma)"
    );
    let audit = app
        .get(AUDITOR, "/audit-entries?action=membership.approve")
        .await;
    assert!(audit.body.to_string().contains(&g), "{:?}", audit.body);
    // Segregation: an administrator is never given a reading role, even by two.
    let (admin_id, admin_org) = who(&app, ADMIN).await;
    let r = app
        .post(
            ADMIN2,
            &format!("/users/{admin_id}/memberships"),
            &json!({"organisation_id": admin_org, "role": "coordinator"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "role".to_string(),
            "membership.segregation.admin_person".to_string()
        )]
    );
    // Nor a reader made an administrator, nor an auditor.
    let r = app
        .post(
            ADMIN,
            &format!("/users/{x}/memberships"),
            &json!({"organisation_id": admin_org, "role": "admin"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "role".to_string(),
            "membership.segregation.admin_person".to_string()
        )]
    );
}

#[tokio::test]
async fn a_person_creates_their_own_token_and_every_use_names_its_issuer() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page("/account/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Mis claves de API"));
    // Too long is refused, with what was typed kept.
    let (status, html, _) = b
        .post_form(
            "/account/tokens",
            &[("name", "mi script"), ("expires_in_days", "200")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("mi script"));
    let (status, html, _) = b
        .post_form(
            "/account/tokens",
            &[("name", "mi script"), ("expires_in_days", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = html
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
        .to_string();
    assert!(token.starts_with("itn_"));
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Rita", "Calzada", "Mena", 8_808))
        .await;
    let r = app
        .client
        .get(format!("{}/api/v1/participants/{pid}", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("read");
    assert_eq!(r.status(), StatusCode::OK);
    // A token cannot mint tokens (the API has no such route, the page needs a session).
    let (me, _) = who(&app, SOCIAL_BADAJOZ).await;
    let audit = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=participant.read&entity_id={pid}"),
        )
        .await;
    let entry = audit.body["items"]
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let detail = entry["detail"].to_string();
    assert!(detail.contains("via_token"), "{entry:?}");
    assert!(detail.contains(&me), "the issuer is named: {entry:?}");
    // Expires in 30 days by default; revoked by its owner, it stops.
    let tokens = app.get(ADMIN, "/tokens").await;
    let t = tokens
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "mi script"))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        t["expires_at"]
            .as_str()
            .unwrap_or("")
            .starts_with("2026-12-23"),
        "{t:?}"
    );
    assert_eq!(t["issued_by"], me.as_str());
    let (status, _, _) = b
        .post_form(
            &format!("/account/tokens/{}/revoke", t["id"].as_str().unwrap_or("")),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Service accounts never sign in with a password.
    let r = app
        .post(ADMIN, "/users", &json!({"username": "svc.x", "display_name": "X", "password": "una contraseña larga", "service_account": true}))
        .await;
    let svc = r.body["id"].as_str().unwrap_or("").to_string();
    let (_, org) = who(&app, PROGRAMME_MANAGER).await;
    let r = app
        .post(
            ADMIN,
            &format!("/users/{svc}/memberships"),
            &json!({"organisation_id": org, "role": "programme_manager"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = Browser::new(&app.base)
        .login_with("svc.x", "una contraseña larga")
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    // Nor administer.
    let r = app
        .post(
            ADMIN,
            &format!("/users/{svc}/memberships"),
            &json!({"organisation_id": org, "role": "admin"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "role".to_string(),
            "membership.segregation.service_admin".to_string()
        )]
    );
}

#[tokio::test]
async fn administering_is_granted_by_a_second_administrator_and_a_membership_is_removed_from_its_own_user(
) {
    let app = spawn_app().await;
    let (_, admin_org) = who(&app, ADMIN).await;
    // One administrator making a second one to approve their own requests: the grant
    // waits for another administrator, and is never theirs to decide.
    let r = app
        .post(ADMIN, "/users", &json!({"username": "otra.admin", "display_name": "Otra", "password": "una contraseña larga"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let a2 = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app
        .post(
            ADMIN,
            &format!("/users/{a2}/memberships"),
            &json!({"organisation_id": admin_org, "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "requested");
    let g = r.body["grant_id"].as_str().unwrap_or("").to_string();
    let r = app
        .post(
            ADMIN,
            &format!("/role-grants/{g}/decision"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:membership.grant.four_eyes"
    );
    let users = app.get(ADMIN, "/users?per_page=100").await;
    let held = |users: &Value, id: &str| -> Vec<(String, String)> {
        users["items"]
            .as_array()
            .and_then(|a| a.iter().find(|u| u["user"]["id"] == id))
            .and_then(|u| u["memberships"].as_array())
            .map(|m| {
                m.iter()
                    .map(|m| {
                        (
                            m["id"].as_str().unwrap_or("").to_string(),
                            m["role"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(held(&users.body, &a2).is_empty(), "{}", users.body);
    // A membership is removed from the user it belongs to, not through another's path.
    let (auditor_id, _) = who(&app, AUDITOR).await;
    let (mid, _) = held(&users.body, &auditor_id)
        .into_iter()
        .next()
        .expect("the auditor's membership");
    let r = app
        .delete(ADMIN, &format!("/users/{a2}/memberships/{mid}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let users = app.get(ADMIN, "/users?per_page=100").await;
    assert!(!held(&users.body, &auditor_id).is_empty());
}
