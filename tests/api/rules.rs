//! Rules that had no test of their own: writing into a case is for writers on its team,
//! never into a closed case; a token is for an organisation its user belongs to;
//! deactivating a user or removing a membership ends what it allowed, at once.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A case of a new participant registered by the Badajoz social services, managed by
/// their social worker (the team: the manager).
async fn a_case(app: &TestApp, n: u32) -> String {
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Lucía", "Garrido", "Pozo", n))
        .await;
    app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await
}

fn contact(summary: &str) -> serde_json::Value {
    json!({"kind": "individual_interview", "summary": summary, "visibility": "team"})
}

#[tokio::test]
async fn only_writers_on_the_team_write_into_a_case() {
    let app = spawn_app().await;
    let case = a_case(&app, 71_000_001).await;
    let path = format!("/cases/{case}/contacts");
    // The case manager of the same organisation may read the case (registered there)…
    assert_eq!(
        app.get(CASE_MANAGER, &format!("/cases/{case}"))
            .await
            .status,
        StatusCode::OK
    );
    // …but is not on its team: no contact, no goal, no assessment.
    let r = app.post(CASE_MANAGER, &path, &contact("Llamada")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:itinera:problem:case.team.required");
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/itinerary/goals"),
            &json!({"domain": "employment", "description": "Empleo"}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:case.team.required");
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/assessments"),
            &json!({"assessed_on": "2026-11-20", "scores": {}}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:case.team.required");
    // Nothing was written.
    let list = app.get(SOCIAL_BADAJOZ, &path).await;
    assert_eq!(list.body["contacts"].as_array().map(Vec::len), Some(0));
    // Put on the team, the same professional writes.
    let manager = app.professional(CASE_MANAGER).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": manager, "role": "social_reference"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let member = r.body["id"].as_str().unwrap_or_default().to_string();
    let r = app.post(CASE_MANAGER, &path, &contact("Llamada")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Removed from the team, no longer.
    let r = app
        .delete(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members/{member}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.post(CASE_MANAGER, &path, &contact("Otra")).await;
    assert_eq!(r.body["type"], "urn:itinera:problem:case.team.required");
}

#[tokio::test]
async fn nothing_is_written_into_a_closed_case() {
    let app = spawn_app().await;
    let case = a_case(&app, 71_000_002).await;
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["case"]["version"]
        .as_i64()
        .unwrap_or(0);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "close", "reason": "Traslado", "exit_reason": "moved", "exit_on": "2026-11-23", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/contacts"),
            &contact("Tras el cierre"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:itinera:problem:case.closed");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/itinerary/goals"),
            &json!({"domain": "employment", "description": "Empleo"}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:case.closed");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/assessments"),
            &json!({"assessed_on": "2026-11-20", "scores": {}}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:case.closed");
    let contacts = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/contacts"))
        .await;
    assert_eq!(contacts.body["contacts"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_administrator_issues_tokens_only_to_service_accounts_of_the_organisation() {
    let app = spawn_app().await;
    // A person's account: never an administrator's to mint a token for.
    let (user, org) = who(&app, SEXPE_BADAJOZ).await;
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": user, "organisation_id": org, "name": "integración"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        codes(&r.body),
        vec![(
            "user_id".to_string(),
            "validation.token.not_service_account".to_string()
        )]
    );
    // A service account, of one organisation only.
    let r = app
        .post(ADMIN, "/users", &json!({"username": "svc.informes", "display_name": "Informes", "password": "una contraseña larga", "service_account": true}))
        .await;
    let svc = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app
        .post(
            ADMIN,
            &format!("/users/{svc}/memberships"),
            &json!({"organisation_id": org, "role": "programme_manager"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "granted");
    let other_org = app
        .org("Servicios Sociales de Atención Social Básica de Mérida")
        .await;
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": svc, "organisation_id": other_org, "name": "integración"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "organisation_id".to_string(),
            "validation.token.not_member".to_string()
        )]
    );
    // Roles it does not hold there are refused; an expiry past a year too.
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": svc, "organisation_id": org, "name": "x", "roles": ["social_worker"]}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "roles".to_string(),
            "validation.token.role_not_held".to_string()
        )]
    );
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": svc, "organisation_id": org, "name": "x", "expires_in_days": 400}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        vec![(
            "expires_in_days".to_string(),
            "validation.number.range".to_string()
        )]
    );
    let tokens = app.get(ADMIN, "/tokens").await;
    assert!(!tokens.body.to_string().contains("integración"));
    // Issued: it expires in 90 days by default, and says who issued it.
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": svc, "organisation_id": org, "name": "informes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let tokens = app.get(ADMIN, "/tokens").await;
    let t = tokens
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "informes"))
        .cloned()
        .unwrap_or_default();
    let (admin_id, _) = who(&app, ADMIN).await;
    assert_eq!(t["issued_by"], admin_id.as_str());
    // From the admin page, scoped to one of the account's roles.
    // The auditor answers people's requests for their record: a second administrator
    // approves the grant.
    app.grant_role(&svc, &org, "auditor").await;
    let b = Browser::new(&app.base);
    b.login(ADMIN).await;
    let (status, html) = b.page("/admin/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("svc.informes"),
        "service accounts are offered"
    );
    assert!(
        !html.contains(&format!("value=\"{user}@")),
        "people are not"
    );
    let owner = format!("{svc}@{org}");
    // A refused form keeps the owner chosen.
    let (status, html, _) = b
        .post_form(
            "/admin/tokens",
            &[
                ("owner", owner.as_str()),
                ("name", "solo auditoría"),
                ("expires_in_days", "9999"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("value=\"{owner}\" selected")),
        "{html}"
    );
    let (status, html, _) = b
        .post_form(
            "/admin/tokens",
            &[
                ("owner", owner.as_str()),
                ("name", "solo auditoría"),
                ("roles", "auditor"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = html
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
        .to_string();
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["roles"], json!(["auditor"]));
    // An integration reads the audit log, but never answers a person's request for
    // their whole record: that is a person's act.
    let r = app
        .client
        .post(format!("{}/api/v1/subject-access", app.base))
        .bearer_auth(&token)
        .json(&json!({"document": dni(12_345_678), "reference": "RE-1"}))
        .send()
        .await
        .expect("subject access");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t["service_account"], true);
    let expires = t["expires_at"].as_str().unwrap_or("");
    assert!(expires.starts_with("2027-02-21"), "{expires}");
}

#[tokio::test]
async fn a_deactivated_user_and_a_removed_membership_end_access_at_once() {
    let app = spawn_app().await;
    // Signed in in the browser and holding a token.
    let b = Browser::new(&app.base);
    b.login(SEXPE_BADAJOZ).await;
    assert_eq!(b.page("/participants").await.0, StatusCode::OK);
    assert_eq!(
        app.get(SEXPE_BADAJOZ, "/tasks").await.status,
        StatusCode::OK
    );
    let (user, org) = who(&app, SEXPE_BADAJOZ).await;
    let r = app
        .client
        .patch(format!("{}/api/v1/users/{user}", app.base))
        .bearer_auth(app.token(ADMIN))
        .json(&json!({"active": false}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::OK);
    // The token and the session stop at once; the login is refused.
    assert_eq!(
        app.get(SEXPE_BADAJOZ, "/tasks").await.status,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = b.page("/participants").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sent to the login page");
    let again = Browser::new(&app.base);
    let r = again.login(SEXPE_BADAJOZ).await;
    assert_ne!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a deactivated user signs in"
    );
    // Active again: the token works again.
    let r = app
        .client
        .patch(format!("{}/api/v1/users/{user}", app.base))
        .bearer_auth(app.token(ADMIN))
        .json(&json!({"active": true}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get(SEXPE_BADAJOZ, "/tasks").await.status,
        StatusCode::OK
    );

    // Removing the membership the token acts under ends the token.
    let users = app.get(ADMIN, "/users?per_page=100").await;
    let membership = users.body["items"].as_array().and_then(|a| {
        a.iter()
            .find(|u| u["user"]["id"] == user.as_str())
            .and_then(|u| {
                u["memberships"]
                    .as_array()
                    .and_then(|m| m.iter().find(|m| m["organisation_id"] == org.as_str()))
                    .and_then(|m| m["id"].as_str())
                    .map(str::to_string)
            })
    });
    let membership = membership.expect("membership");
    let r = app
        .delete(ADMIN, &format!("/users/{user}/memberships/{membership}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        app.get(SEXPE_BADAJOZ, "/tasks").await.status,
        StatusCode::UNAUTHORIZED
    );
}
