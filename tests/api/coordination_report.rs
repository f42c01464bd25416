//! A body's coordination report (figures, CSV, XLSX), and what a level-1 body sees:
//! aggregates and pseudonyms, never a name. On both engines.

use reqwest::StatusCode;
use serde_json::json;

use crate::casework::shared_case;
use crate::helpers::*;

async fn download(app: &TestApp, user: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(format!("{}/api/v1{path}", app.base))
        .bearer_auth(app.token(user))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_report_counts_meetings_attendance_agreements_cases_and_joint_interviews() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 58_000_001).await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/contacts"),
            &json!({"kind": "joint_interview", "happened_on": "2026-11-23", "professionals": [sexpe], "summary": "Entrevista conjunta"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa técnica semanal", "level": "3", "frequency": "weekly", "first_meeting_on": "2026-11-02"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    let (su, so) = who(&app, SEXPE_BADAJOZ).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/members"),
            &json!({"organisation_id": so, "user_id": su, "role": "member"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let members = app.get(CASE_MANAGER, &format!("/bodies/{body}")).await.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["user_id"] == su.as_str(),
            )
        })
        .collect::<Vec<_>>();
    let manager_member = members.iter().find(|m| !m.1).unwrap().0.clone();
    let sexpe_member = members.iter().find(|m| m.1).unwrap().0.clone();

    let mut meetings = Vec::new();
    for (date, cases, manager, sexpe) in [
        ("2026-11-02", vec![case.clone()], "present", "present"),
        ("2026-11-09", vec![], "absent", "excused"),
        ("2026-11-16", vec![], "present", "absent"),
    ] {
        let r = app
            .post(
                CASE_MANAGER,
                &format!("/bodies/{body}/meetings"),
                &json!({"date": date, "starts": "09:00", "ends": "10:00", "mode": "in_person", "place": "Sala 1", "cases": cases}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let m = r.body["id"].as_str().unwrap().to_string();
        // Nobody came to the second one: it was not held.
        let r = app
            .put(
                CASE_MANAGER,
                &format!("/meetings/{m}/attendance"),
                &json!([{"member_id": manager_member, "attendance": manager}, {"member_id": sexpe_member, "attendance": sexpe}]),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        meetings.push(m);
    }
    // Four agreements: done late, done on time, overdue, open.
    let mut agreements = Vec::new();
    for due in ["2026-11-10", "2026-11-30", "2026-11-20", "2026-12-15"] {
        let r = app
            .post(
                CASE_MANAGER,
                &format!("/meetings/{}/agreements", meetings[0]),
                &json!({"text": format!("Acuerdo con vencimiento {due}"), "owner": format!("user:{su}"), "due_on": due}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        agreements.push(r.body["id"].as_str().unwrap().to_string());
    }
    for a in &agreements[..2] {
        let r = app
            .post(
                SEXPE_BADAJOZ,
                &format!("/agreements/{a}/status"),
                &json!({"status": "done"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    let path = format!("/bodies/{body}/report?from=2026-11-01&to=2026-11-30");
    let r = app.get(SEXPE_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let x = &r.body;
    assert_eq!(
        x["planned"], 4,
        "weekly from 2 November up to today: 2, 9, 16, 23"
    );
    assert_eq!(x["held"], 2);
    assert_eq!(x["not_held"], 1);
    // One case reviewed, one joint interview: figures about fewer people than the
    // threshold are hidden.
    assert_eq!(x["threshold"], 5);
    assert!(x["cases_reviewed"].is_null(), "{x}");
    assert_eq!(
        x["agreements"],
        json!({"made": 4, "done_on_time": 1, "done_late": 1, "overdue": 1, "open": 1, "dropped": 0})
    );
    assert!(x["joint_interviews_total"].is_null(), "{x}");
    let sexpe_row = x["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organisation_id"] == so.as_str())
        .unwrap();
    assert_eq!(
        (
            &sexpe_row["present"],
            &sexpe_row["excused"],
            &sexpe_row["absent"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(sexpe_row["rate"], 33.3);
    let lines = x["joint_interviews"].as_array().unwrap();
    assert!(
        !lines.is_empty() && lines.iter().all(|j| j["count"].is_null()),
        "{x}"
    );

    // A period that ends before it starts, in the user's language.
    let r = app
        .get(
            SEXPE_BADAJOZ,
            &format!("/bodies/{body}/report?from=2026-12-01&to=2026-11-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "to");
    // A non-member cannot read it.
    assert_eq!(
        app.get(SOCIAL_MERIDA, &path).await.status,
        StatusCode::NOT_FOUND
    );

    // The same figures as CSV and XLSX.
    let (status, ct, bytes) = download(
        &app,
        SEXPE_BADAJOZ,
        &format!("/bodies/{body}/report.csv?from=2026-11-01&to=2026-11-30"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("Mesa técnica semanal"), "{text}");
    assert!(text.contains(";33,3\r\n"), "{text}");
    let (status, ct, bytes) = download(
        &app,
        SEXPE_BADAJOZ,
        &format!("/bodies/{body}/report.xlsx?from=2026-11-01&to=2026-11-30"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    let sheet = itinera_tabular::read(&bytes).unwrap();
    assert_eq!(sheet.header.len(), 2);
    let values: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
    assert!(values.iter().any(|r| r[1] == "4"), "{values:?}");
    assert!(values.iter().any(|r| r[1] == "Mesa técnica semanal"));

    // The page shows it too.
    let b = Browser::new(&app.base);
    b.login(SEXPE_BADAJOZ).await;
    let (status, html) = b
        .page(&format!(
            "/bodies/{body}/report?from=2026-11-01&to=2026-11-30"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td id=\"planned\">4</td>"), "{html}");
    assert!(html.contains("<svg"));
    // A period that cannot be: the dates as typed, with why.
    let (status, html) = b
        .page(&format!(
            "/bodies/{body}/report?from=2026-12-01&to=2026-11-01"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"2026-12-01\""), "{html}");
    assert!(html.contains("id=\"to-error\""), "{html}");
}

#[tokio::test]
async fn a_level_one_body_sees_aggregates_and_pseudonyms_and_never_a_name() {
    let app = spawn_app().await;
    let (pid, case) = shared_case(&app, 58_000_002).await;
    let programme = app.programme("CRISOL").await;
    let r = app
        .post(
            COORDINATOR,
            "/bodies",
            &json!({"name": "Comisión de seguimiento CRISOL", "level": "1", "programme_id": programme, "frequency": "quarterly", "first_meeting_on": "2026-10-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap().to_string();
    for user in [SOCIAL_BADAJOZ, SEXPE_BADAJOZ] {
        let (u, o) = who(&app, user).await;
        let r = app
            .post(
                COORDINATOR,
                &format!("/bodies/{body}/members"),
                &json!({"organisation_id": o, "user_id": u, "role": "member"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    // A case on a level-1 agenda is refused; nothing is created.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-25", "starts": "10:00", "ends": "12:00", "mode": "in_person", "place": "Mérida", "topics": "Indicadores del trimestre", "cases": [case]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "coordination.case_on_level");
    let r = app.get(SOCIAL_BADAJOZ, &format!("/bodies/{body}")).await;
    assert!(r.body["meetings"].as_array().unwrap().is_empty());
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-25", "starts": "10:00", "ends": "12:00", "mode": "in_person", "place": "Mérida", "topics": "Indicadores del trimestre"}),
        )
        .await;
    let meeting = r.body["id"].as_str().unwrap().to_string();
    // An agreement cannot name a case either.
    let (su, _) = who(&app, SEXPE_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/meetings/{meeting}/agreements"),
            &json!({"text": "Revisar el caso", "owner": format!("user:{su}"), "due_on": "2026-12-10", "case_id": case}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "coordination.case_not_on_agenda"
    );

    // The overview: counts and pseudonyms.
    let r = app
        .get(
            SOCIAL_BADAJOZ,
            &format!("/bodies/{body}/overview?per_page=100"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["total"].as_i64().unwrap() > 0);
    let lines = r.body["cases"]["items"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(lines
        .iter()
        .all(|l| l["pseudonym"].as_str().unwrap().starts_with("P-")));

    // What would name someone: the persons this member can see, by name, by document
    // and by id.
    let mut secrets: Vec<String> = vec![pid.clone(), dni(58_000_002), "Rocío Campos".into()];
    let r = app.get(SOCIAL_BADAJOZ, "/participants?per_page=100").await;
    for p in r.body["items"].as_array().unwrap() {
        secrets.push(p["id"].as_str().unwrap().to_string());
        secrets.push(format!(
            "{} {}",
            p["given_name"].as_str().unwrap(),
            p["surname1"].as_str().unwrap()
        ));
    }
    assert!(secrets.len() > 6, "the leak check has persons to look for");
    let mut checked = 0;
    for user in [SOCIAL_BADAJOZ, SEXPE_BADAJOZ, COORDINATOR] {
        for path in [
            format!("/bodies/{body}"),
            format!("/bodies/{body}/overview?per_page=100"),
            format!("/bodies/{body}/overview?page=2&per_page=100"),
            format!("/meetings/{meeting}"),
            format!("/bodies/{body}/report"),
            format!("/bodies/{body}/boards"),
            "/calendar?from=2026-11-01&to=2026-11-30".to_string(),
        ] {
            let r = app.get(user, &path).await;
            assert_eq!(r.status, StatusCode::OK, "{user} {path}: {:?}", r.body);
            let text = r.body.to_string();
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "{user} {path} names {s}");
            }
            checked += 1;
        }
        let b = Browser::new(&app.base);
        b.login(user).await;
        for path in [
            format!("/bodies/{body}"),
            format!("/bodies/{body}/overview"),
            format!("/meetings/{meeting}"),
            format!("/bodies/{body}/report"),
        ] {
            let (status, html) = b.page(&path).await;
            assert_eq!(status, StatusCode::OK, "{user} {path}");
            for s in &secrets {
                assert!(!html.contains(s.as_str()), "{user} page {path} names {s}");
            }
            checked += 1;
        }
        let (_, _, csv) = download(&app, user, &format!("/bodies/{body}/report.csv")).await;
        let text = String::from_utf8_lossy(&csv).to_string();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{user} CSV names {s}");
        }
        checked += 1;
    }
    assert_eq!(checked, 3 * 12);

    // A case table has no such view, and a non-member sees nothing.
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa de casos", "level": "3", "frequency": "weekly"}),
        )
        .await;
    let table = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(CASE_MANAGER, &format!("/bodies/{table}/overview"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(SOCIAL_MERIDA, &format!("/bodies/{body}/overview"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_project_table_sees_its_projects_cases_only() {
    let app = spawn_app().await;
    let programme = app.programme("CRISOL").await;
    let v = app.get(ADMIN, &format!("/programmes/{programme}")).await;
    let project = v.body["projects"][0]["id"].as_str().unwrap().to_string();
    let mut totals = Vec::new();
    for (level, scope) in [
        ("1", json!({"programme_id": programme})),
        ("2", json!({"project_id": project})),
    ] {
        let mut body = json!({"name": format!("Mesa de nivel {level}"), "level": level, "frequency": "monthly"});
        for (k, v) in scope.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post(COORDINATOR, "/bodies", &body).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let r = app
            .get(COORDINATOR, &format!("/bodies/{id}/overview"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        totals.push(r.body["total"].as_i64().unwrap());
    }
    assert!(totals[1] > 0 && totals[1] < totals[0], "{totals:?}");
}
