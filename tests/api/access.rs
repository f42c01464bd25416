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
    let specs: [(&str, &str, u32); 6] = [
        ("team+consent", SOCIAL_BADAJOZ, 60_000_001),
        ("team, no consent", SOCIAL_BADAJOZ, 60_000_002),
        ("consent, no team", SOCIAL_BADAJOZ, 60_000_003),
        ("team, consent withdrawn", SOCIAL_BADAJOZ, 60_000_004),
        ("other organisation", SOCIAL_MERIDA, 60_000_005),
        ("team+consent, restricted", SOCIAL_BADAJOZ, 60_000_006),
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
        if label.contains("restricted") {
            let r = app
                .post(
                    AUDITOR,
                    &format!("/participants/{id}/restriction"),
                    &json!({"reference": "RE-1", "reason": "Art. 18"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
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
                format!("/cases/{}/benefits", s.case_id),
                format!("/cases/{}/referrals", s.case_id),
                format!("/participants/{}/household", s.id),
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
            // Recording a benefit: for a writer on the case's team (the empty form is
            // refused for its content), otherwise refused; never for those without basis.
            let r = app
                .post(user, &format!("/cases/{}/benefits", s.case_id), &json!({}))
                .await;
            check(
                "POST benefit",
                r.status,
                &r.body.to_string(),
                read,
                &[StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN],
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
                format!("/cases/{}/benefits", s.case_id),
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

/// purpose, given_on, expires_on, kinds, by id (SEXPE's organisation), withdrawn_on.
type ConsentSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    &'static str,
);

/// One state of consent and team for the consent × team matrix.
struct State {
    label: &'static str,
    /// purpose, given_on, expires_on, kinds, by id (SEXPE's organisation), withdrawn_on.
    consent: Option<ConsentSpec>,
    team: bool,
    removed: bool,
}

/// Every route that shows or changes a person (taken from the OpenAPI document, so a
/// new route joins by itself) × every state of consent (not yet given, active by kind
/// and by organisation, expiring today, expired, withdrawn today, withdrawn tomorrow,
/// another purpose, another kind) and of the team (member, removed, none) × the
/// organisations around the person. Expected answers come from the domain's rule on the
/// facts; the SQL predicate behind the routes must agree everywhere. Deleting any one
/// condition of the SQL rule makes a cell of this matrix fail (see the closing note's
/// mutation run).
#[tokio::test]
async fn every_person_route_under_every_consent_and_team_state() {
    // Evaluated the day before the data is recorded (E = start − 1 day), so that a
    // consent given "today" at recording is given tomorrow at evaluation.
    let app = spawn_app().await;
    let crisol = app.programme("CRISOL").await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let (_, sexpe_org) = who(&app, SEXPE_BADAJOZ).await;
    let t0 = "2026-11-23"; // recording day = E + 1
    let e = "2026-11-22"; // evaluation day
    let yesterday = "2026-11-21"; // E − 1
    let states = [
        State {
            label: "not yet given",
            consent: Some(("sharing", t0, "", &["employment_service"], false, "")),
            team: true,
            removed: false,
        },
        State {
            label: "active by kind",
            consent: Some((
                "sharing",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                "",
            )),
            team: true,
            removed: false,
        },
        State {
            label: "active by id",
            consent: Some(("sharing", "2026-01-10", "", &[], true, "")),
            team: true,
            removed: false,
        },
        State {
            label: "expiring today",
            consent: Some((
                "sharing",
                "2026-01-10",
                e,
                &["employment_service"],
                false,
                "",
            )),
            team: true,
            removed: false,
        },
        State {
            label: "expired",
            consent: Some((
                "sharing",
                "2026-01-10",
                yesterday,
                &["employment_service"],
                false,
                "",
            )),
            team: true,
            removed: false,
        },
        State {
            label: "withdrawn today",
            consent: Some((
                "sharing",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                e,
            )),
            team: true,
            removed: false,
        },
        State {
            label: "withdrawn tomorrow",
            consent: Some((
                "sharing",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                t0,
            )),
            team: true,
            removed: false,
        },
        State {
            label: "other purpose",
            consent: Some((
                "statistics",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                "",
            )),
            team: true,
            removed: false,
        },
        State {
            label: "other kind",
            consent: Some(("sharing", "2026-01-10", "", &["third_sector"], false, "")),
            team: true,
            removed: false,
        },
        State {
            label: "member removed",
            consent: Some((
                "sharing",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                "",
            )),
            team: true,
            removed: true,
        },
        State {
            label: "no team",
            consent: Some((
                "sharing",
                "2026-01-10",
                "",
                &["employment_service"],
                false,
                "",
            )),
            team: false,
            removed: false,
        },
        State {
            label: "no consent",
            consent: None,
            team: true,
            removed: false,
        },
    ];
    let mut subjects = Vec::new();
    for (i, st) in states.iter().enumerate() {
        let n = 62_000_000 + i as u32;
        let name = format!("Estado{}", (b'A' + i as u8) as char);
        let pid = app
            .register(SOCIAL_BADAJOZ, &person("Prueba", &name, "Matriz", n))
            .await;
        let manager = app.professional(SOCIAL_BADAJOZ).await;
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/participants/{pid}/cases"),
                &json!({"programme_id": crisol, "case_manager": manager}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let case_id = r.body["id"].as_str().unwrap_or("").to_string();
        if st.team {
            let r = app
                .post(
                    SOCIAL_BADAJOZ,
                    &format!("/cases/{case_id}/team-members"),
                    &json!({"professional": sexpe, "role": "employment_reference"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            if st.removed {
                let r = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case_id}")).await;
                let member = r.body["team"]
                    .as_array()
                    .and_then(|t| t.iter().find(|m| m["role"] == "employment_reference"))
                    .and_then(|m| m["id"].as_str())
                    .unwrap_or("")
                    .to_string();
                let r = app
                    .delete(
                        SOCIAL_BADAJOZ,
                        &format!("/cases/{case_id}/team-members/{member}"),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            }
        }
        if let Some((purpose, given, expires, kinds, by_id, withdrawn)) = st.consent {
            let orgs: Vec<&str> = if by_id {
                vec![sexpe_org.as_str()]
            } else {
                vec![]
            };
            let r = app
                .post(SOCIAL_BADAJOZ, &format!("/participants/{pid}/consents"), &json!({"purpose": purpose, "given_on": given, "expires_on": expires, "evidence": "Firma", "organisation_kinds": kinds, "organisations": orgs}))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}: {:?}", st.label, r.body);
            if !withdrawn.is_empty() {
                let c = r.body["id"].as_str().unwrap_or("");
                let w = app
                    .post(
                        SOCIAL_BADAJOZ,
                        &format!("/consents/{c}/withdrawal"),
                        &json!({"withdrawn_on": withdrawn}),
                    )
                    .await;
                assert_eq!(w.status, StatusCode::OK, "{}: {:?}", st.label, w.body);
            }
        }
        subjects.push((st.label, pid, case_id, name));
    }
    app.clock.advance(chrono::Duration::days(-1));
    let today = start_time().date_naive() - chrono::Duration::days(1);

    // The routes: every operation of the API on a person or a case.
    let doc = itinera_web::api::document();
    let mut routes: Vec<(&'static str, String)> = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let person_route = path.starts_with("/participants/{") || path.starts_with("/cases/{");
        if item.get.is_some() {
            routes.push(("GET", path.clone()));
        }
        if person_route {
            for (m, op) in [
                ("POST", &item.post),
                ("PUT", &item.put),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    routes.push((m, path.clone()));
                }
            }
        }
    }
    let fill = |path: &str, pid: &str, case_id: &str| {
        let mut p = path.to_string();
        for (i, seg) in path.split('/').enumerate() {
            if seg.starts_with('{') {
                let id = if path.starts_with("/cases/") && i == 2 {
                    case_id
                } else {
                    pid
                };
                p = p.replacen(seg, id, 1);
            }
        }
        p
    };
    let (mut cells, mut leaks, mut wrong) = (0usize, Vec::new(), Vec::new());
    let absent = "01a207d9-2100-7000-8000-00000000dead";
    let call = |user: &'static str, method: &'static str, path: String| {
        let url = format!("{}/api/v1{path}", app.base);
        let req = match method {
            "GET" => app.client.get(&url),
            "POST" => app.client.post(&url).json(&json!({})),
            "PUT" => app.client.put(&url).json(&json!({})),
            "PATCH" => app.client.patch(&url).json(&json!({})),
            _ => app.client.delete(&url),
        };
        let req = req.bearer_auth(app.token(user));
        async move {
            let r = req.send().await.expect("send");
            let status = r.status();
            (status, r.text().await.unwrap_or_default())
        }
    };
    for user in [
        SEXPE_BADAJOZ,
        NGO_BADAJOZ,
        SOCIAL_MERIDA,
        PROGRAMME_MANAGER,
        SOCIAL_BADAJOZ,
    ] {
        let me = app.get(user, "/me").await;
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
        let reads = roles.iter().any(|r| r.grants(Capability::ReadPersonData));
        for (label, pid, case_id, name) in &subjects {
            let mut tx = app.store.read().await.expect("tx");
            let facts = itinera_store::access::facts(&mut tx, pid.parse().expect("uuid"))
                .await
                .expect("facts")
                .expect("exists");
            tx.rollback().await.expect("rollback");
            let basis = person_basis(org, kind, &facts, today).is_some();
            let allowed = basis && reads;
            // The positive controls: a basis shows the person's page and case.
            if allowed {
                for path in [format!("/participants/{pid}"), format!("/cases/{case_id}")] {
                    cells += 1;
                    let r = app.get(user, &path).await;
                    if r.status != StatusCode::OK {
                        wrong.push(format!("{user} × {label} GET {path}: {}", r.status));
                    }
                }
                continue;
            }
            for (method, route) in &routes {
                cells += 1;
                let (status, text) = call(user, method, fill(route, pid, case_id)).await;
                let path = fill(route, pid, case_id);
                let person_route =
                    route.starts_with("/participants/{") || route.starts_with("/cases/{");
                if text.contains(name.as_str()) || (person_route && status.is_success()) {
                    leaks.push(format!("{user} × {label} {method} {path}: {status}"));
                }
                // Without a basis a person route answers exactly as for a record that
                // does not exist: nothing tells that this one does.
                if person_route {
                    let (nothing, _) = call(user, method, fill(route, absent, absent)).await;
                    if status != nothing {
                        wrong.push(format!(
                            "{user} × {label} {method} {path}: {status}, {nothing} when absent"
                        ));
                    }
                }
            }
        }
    }
    println!(
        "consent × team matrix: {} routes, {cells} cells, {} leaks, {} wrong answers",
        routes.len(),
        leaks.len(),
        wrong.len()
    );
    assert!(leaks.is_empty(), "leaks: {leaks:#?}");
    assert!(wrong.is_empty(), "wrong answers: {wrong:#?}");
    // The states that give SEXPE a basis, and those that do not, are as the rule says.
    let sexpe_sees: Vec<&str> = {
        let mut v = Vec::new();
        for (label, pid, _, _) in &subjects {
            if app
                .get(SEXPE_BADAJOZ, &format!("/participants/{pid}"))
                .await
                .status
                == StatusCode::OK
            {
                v.push(*label);
            }
        }
        v
    };
    assert_eq!(
        sexpe_sees,
        [
            "active by kind",
            "active by id",
            "expiring today",
            "withdrawn tomorrow"
        ]
    );
}

/// The rule's team condition reads the person named on each membership (migration 45).
/// A membership added through the service names its case's person; one written
/// without it (by a server older than the migration) does not count — the rule fails
/// closed — until a server starts or the background sweep names it; a removed
/// membership never counts.
#[tokio::test]
async fn team_memberships_name_their_person_and_unnamed_ones_are_named_at_start_and_by_the_sweep() {
    let app = spawn_app().await;
    let (pid, case) = crate::casework::shared_case(&app, 42_500_001).await;
    // What the employment office (on the team) gets for the person's record.
    let sexpe_reads = || async {
        app.get(SEXPE_BADAJOZ, &format!("/participants/{pid}"))
            .await
            .status
    };
    // The memberships of the case as a server older than migration 45 wrote them.
    let unname = || {
        exec(
            &app,
            "UPDATE case_team_members SET participant_id = NULL WHERE case_id = $1",
            &case,
        )
    };
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM case_team_members m JOIN cases c ON c.id = m.case_id \
             WHERE m.case_id = $1 AND m.participant_id = c.participant_id",
            &case,
        )
        .await,
        2,
        "the case manager and the employment reference name the person"
    );
    assert_eq!(sexpe_reads().await, StatusCode::OK);
    unname().await;
    assert_eq!(
        sexpe_reads().await,
        StatusCode::NOT_FOUND,
        "a membership that names no person gives no access"
    );
    assert_eq!(app.store.migrate(start_time()).await.expect("migrate"), 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM case_team_members WHERE participant_id IS NULL"
        )
        .await,
        0
    );
    assert_eq!(sexpe_reads().await, StatusCode::OK);
    // The background sweep names them too (memberships an older server wrote while a
    // newer one was already serving).
    unname().await;
    assert_eq!(app.services.fill_team_persons().await.expect("fill"), 2);
    assert_eq!(app.services.fill_team_persons().await.expect("fill"), 0);
    assert_eq!(sexpe_reads().await, StatusCode::OK);
    // Removed from the team: no access, whatever the membership names.
    let members = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    let member = members.body["team"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|m| m["role"] == "employment_reference")
                .and_then(|m| m["id"].as_str())
        })
        .unwrap_or_default()
        .to_string();
    let r = app
        .delete(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members/{member}"),
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(sexpe_reads().await, StatusCode::NOT_FOUND);
}
