//! The access matrix: every role × every participant and case route × own
//! organisation / other organisation / team with consent / team without consent /
//! consent without team / consent withdrawn. Expected answers come from the domain's
//! pure rule (`person_basis`), evaluated on facts loaded plainly; the SQL predicate the
//! routes use must agree with it everywhere. The report counts the cells and the leaks.

use itinera_domain::access::{person_basis, Capability, Role};
use itinera_domain::org::OrganisationKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

struct Subject {
    label: &'static str,
    id: String,
    case_id: String,
    name: String,
}

async fn subjects(app: &TestApp) -> Vec<Subject> {
    let crisol = app.programme("CRISOL").await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let mut out = Vec::new();
    let specs: [(&str, &str, u32); 5] = [
        ("team+consent", SOCIAL_BADAJOZ, 60_000_001),
        ("team, no consent", SOCIAL_BADAJOZ, 60_000_002),
        ("consent, no team", SOCIAL_BADAJOZ, 60_000_003),
        ("team, consent withdrawn", SOCIAL_BADAJOZ, 60_000_004),
        ("other organisation", SOCIAL_MERIDA, 60_000_005),
    ];
    for (label, owner, n) in specs {
        let surname = format!("Matriz{}", n % 10);
        let id = app
            .register(owner, &person("Prueba", &surname, "Acceso", n))
            .await;
        let manager = app.professional(owner).await;
        let r = app
            .post(
                owner,
                &format!("/participants/{id}/cases"),
                &json!({"programme_id": crisol, "case_manager": manager}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let case_id = r.body["id"].as_str().unwrap_or("").to_string();
        if label.starts_with("team") {
            let r = app
                .post(
                    owner,
                    &format!("/cases/{case_id}/team-members"),
                    &json!({"professional": sexpe, "role": "employment_reference"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
        if label.contains("consent") && !label.contains("no consent") {
            let r = app
                .post(owner, &format!("/participants/{id}/consents"), &json!({"purpose": "sharing", "given_on": "2026-01-10", "evidence": "Firma", "organisation_kinds": ["employment_service", "third_sector"]}))
                .await;
            assert_eq!(r.status, StatusCode::CREATED);
            if label.contains("withdrawn") {
                let c = r.body["id"].as_str().unwrap_or("");
                let w = app
                    .post(
                        owner,
                        &format!("/consents/{c}/withdrawal"),
                        &json!({"withdrawn_on": "2026-11-01"}),
                    )
                    .await;
                assert_eq!(w.status, StatusCode::OK);
            }
        }
        out.push(Subject {
            label,
            id,
            case_id,
            name: surname,
        });
    }
    out
}

#[tokio::test]
async fn access_matrix_has_no_leaks() {
    let app = spawn_app().await;
    let subjects = subjects(&app).await;
    let today = start_time().date_naive();
    let mut cells = 0usize;
    let mut leaks = Vec::new();
    let mut wrong_refusals = Vec::new();

    for user in ALL_USERS {
        let me = app.get(user, "/me").await;
        assert_eq!(me.status, StatusCode::OK, "{user}");
        let org: uuid::Uuid = me.body["organisation_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("org");
        let kind = me.body["organisation_kind"]
            .as_str()
            .and_then(OrganisationKind::parse)
            .expect("kind");
        let roles: Vec<Role> = me.body["roles"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().and_then(Role::parse))
                    .collect()
            })
            .unwrap_or_default();
        let can = |c: Capability| roles.iter().any(|r| r.grants(c));

        for s in &subjects {
            let pid: uuid::Uuid = s.id.parse().expect("uuid");
            let mut tx = app.store.read().await.expect("tx");
            let facts = itinera_store::access::facts(&mut tx, pid)
                .await
                .expect("facts")
                .expect("exists");
            tx.rollback().await.expect("rollback");
            let basis = person_basis(org, kind, &facts, today).is_some();
            let read = basis && can(Capability::ReadPersonData);
            let write = basis && can(Capability::WritePersonData);
            let cell = format!("{user} × {}", s.label);

            let mut check = |route: &str,
                             status: StatusCode,
                             body: &str,
                             allowed: bool,
                             allowed_status: &[StatusCode]| {
                cells += 1;
                let shows = body.contains(&s.name) || body.contains(&s.id);
                if !allowed && (status.is_success() || shows) {
                    leaks.push(format!("{cell} {route}: {status}"));
                }
                if !allowed
                    && status != StatusCode::NOT_FOUND
                    && !status.is_success()
                    && status != StatusCode::FORBIDDEN
                {
                    wrong_refusals.push(format!("{cell} {route}: {status}"));
                }
                if allowed && !allowed_status.contains(&status) {
                    wrong_refusals.push(format!(
                        "{cell} {route}: {status} (expected {allowed_status:?})"
                    ));
                }
            };

            for route in [
                format!("/participants/{}", s.id),
                format!("/participants/{}/consents", s.id),
                format!("/participants/{}/cases", s.id),
                format!("/cases/{}", s.case_id),
            ] {
                let r = app.get(user, &route).await;
                check(
                    &route,
                    r.status,
                    &r.body.to_string(),
                    read,
                    &[StatusCode::OK],
                );
            }
            // Writes: a stale version, an empty consent, an empty case: refused for
            // their content when access is granted, 404 when it is not.
            let r = app
                .put(
                    user,
                    &format!("/participants/{}", s.id),
                    &json!({"version": 0, "given_name": "X"}),
                )
                .await;
            check(
                "PUT participant",
                r.status,
                &r.body.to_string(),
                write,
                &[StatusCode::UNPROCESSABLE_ENTITY, StatusCode::CONFLICT],
            );
            let r = app
                .post(
                    user,
                    &format!("/participants/{}/consents", s.id),
                    &json!({}),
                )
                .await;
            check(
                "POST consent",
                r.status,
                &r.body.to_string(),
                write,
                &[StatusCode::UNPROCESSABLE_ENTITY],
            );
            let r = app
                .post(user, &format!("/participants/{}/cases", s.id), &json!({}))
                .await;
            let manage = read && can(Capability::ManageCases);
            check(
                "POST case",
                r.status,
                &r.body.to_string(),
                read,
                if manage {
                    &[StatusCode::UNPROCESSABLE_ENTITY]
                } else {
                    &[StatusCode::FORBIDDEN]
                },
            );
            let r = app
                .post(
                    user,
                    &format!("/cases/{}/phase-changes", s.case_id),
                    &json!({"to_phase": "preselection", "reason": "", "version": 0}),
                )
                .await;
            check(
                "POST phase",
                r.status,
                &r.body.to_string(),
                read,
                if manage {
                    &[StatusCode::UNPROCESSABLE_ENTITY]
                } else {
                    &[StatusCode::FORBIDDEN]
                },
            );
            // Search by document and by surname; the full list.
            let r = app
                .post(user, "/participants/search", &json!({"q": s.name}))
                .await;
            check(
                "search surname",
                if r.body.to_string().contains(&s.id) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                },
                "",
                read,
                &[StatusCode::OK],
            );
            let r = app.get(user, "/participants?per_page=100").await;
            check(
                "list",
                if r.body.to_string().contains(&s.id) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                },
                "",
                read,
                &[StatusCode::OK],
            );
        }
        // The HTML pages follow the same rule.
        let b = Browser::new(&app.base);
        b.login(user).await;
        for s in &subjects {
            let pid: uuid::Uuid = s.id.parse().expect("uuid");
            let mut tx = app.store.read().await.expect("tx");
            let facts = itinera_store::access::facts(&mut tx, pid)
                .await
                .expect("facts")
                .expect("exists");
            tx.rollback().await.expect("rollback");
            let read =
                person_basis(org, kind, &facts, today).is_some() && can(Capability::ReadPersonData);
            for path in [
                format!("/participants/{}", s.id),
                format!("/cases/{}", s.case_id),
            ] {
                cells += 1;
                let (status, html) = b.page(&path).await;
                let shows = html.contains(&s.name);
                if !read && (status.is_success() || shows) {
                    leaks.push(format!("{user} × {} HTML {path}: {status}", s.label));
                }
                if read && status != StatusCode::OK {
                    wrong_refusals.push(format!("{user} × {} HTML {path}: {status}", s.label));
                }
            }
        }
    }
    println!(
        "access matrix: {cells} cells, {} leaks, {} wrong refusals",
        leaks.len(),
        wrong_refusals.len()
    );
    assert!(leaks.is_empty(), "leaks: {leaks:#?}");
    assert!(
        wrong_refusals.is_empty(),
        "wrong refusals: {wrong_refusals:#?}"
    );
    assert!(cells >= 5 * ALL_USERS.len() * 12);
}

#[tokio::test]
async fn known_cells_of_the_rule() {
    let app = spawn_app().await;
    let s = subjects(&app).await;
    let status = |r: &Resp| r.status;
    // The employment office sees the person it works with under consent…
    assert_eq!(
        status(
            &app.get(SEXPE_BADAJOZ, &format!("/participants/{}", s[0].id))
                .await
        ),
        StatusCode::OK
    );
    // …not without consent, not after withdrawal, not without being on the team.
    for i in [1, 2, 3] {
        assert_eq!(
            status(
                &app.get(SEXPE_BADAJOZ, &format!("/participants/{}", s[i].id))
                    .await
            ),
            StatusCode::NOT_FOUND,
            "{}",
            s[i].label
        );
    }
    assert_eq!(
        status(
            &app.get(NGO_BADAJOZ, &format!("/participants/{}", s[2].id))
                .await
        ),
        StatusCode::NOT_FOUND
    );
    // Another city's social services never see Badajoz's people, nor the reverse.
    assert_eq!(
        status(
            &app.get(SOCIAL_MERIDA, &format!("/participants/{}", s[0].id))
                .await
        ),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            &app.get(SOCIAL_BADAJOZ, &format!("/participants/{}", s[4].id))
                .await
        ),
        StatusCode::NOT_FOUND
    );
    // Administrators, auditors and programme managers never read a record.
    for u in [ADMIN, AUDITOR, PROGRAMME_MANAGER] {
        assert_eq!(
            status(&app.get(u, &format!("/participants/{}", s[0].id)).await),
            StatusCode::NOT_FOUND,
            "{u}"
        );
    }
    // A random id and a refused one look the same.
    let random = app
        .get(
            SOCIAL_MERIDA,
            &format!("/participants/{}", uuid::Uuid::new_v4()),
        )
        .await;
    let refused = app
        .get(SOCIAL_MERIDA, &format!("/participants/{}", s[0].id))
        .await;
    assert_eq!(random.status, refused.status);
    assert_eq!(random.body["type"], refused.body["type"]);
    assert_eq!(random.body["title"], refused.body["title"]);
    // No token: 401 with a problem document.
    let r = app
        .client
        .get(format!("{}/api/v1/participants", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn programme_managers_see_aggregates_without_names() {
    let app = spawn_app().await;
    let s = subjects(&app).await;
    let crisol = app.programme("CRISOL").await;
    let r = app
        .get(
            PROGRAMME_MANAGER,
            &format!("/programmes/{crisol}/overview?per_page=100"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["total"].as_i64().unwrap_or(0) >= 5);
    let text = r.body.to_string();
    for subject in &s {
        assert!(
            !text.contains(&subject.name) && !text.contains(&subject.id),
            "the overview shows a person"
        );
    }
    assert!(r.body["cases"]["items"][0]["pseudonym"]
        .as_str()
        .unwrap_or("")
        .starts_with("P-"));
    // The key of the pseudonyms was made at the deployment's first start and is kept in
    // its database: every server of it makes the same ones, and the key is nowhere in
    // the code.
    let second = app.second_server().await;
    let other: serde_json::Value = app
        .client
        .get(format!(
            "{second}/api/v1/programmes/{crisol}/overview?per_page=100"
        ))
        .bearer_auth(app.token(PROGRAMME_MANAGER))
        .send()
        .await
        .expect("second server")
        .json()
        .await
        .expect("json");
    assert_eq!(other["cases"], r.body["cases"]);
    let key = count(
        &app,
        "SELECT count(*) FROM deployment_secrets WHERE name = 'pseudonym_key'",
    )
    .await;
    assert_eq!(key, 1);
    // Others may not.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &format!("/programmes/{crisol}/overview"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let b = Browser::new(&app.base);
    b.login(PROGRAMME_MANAGER).await;
    let (status, html) = b.page(&format!("/programmes/{crisol}/overview")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"));
    assert!(!html.contains("Matriz"));
}
