//! Into work through the API: contracts with their retention checks and follow-ups in
//! the work list, incidents that reach the case manager and the reference social
//! worker at once and the coordinators when left unanswered, and the new routes
//! refused to whoever has no basis for the person, exactly as for an absent record.

use chrono::{Duration, TimeZone, Utc};
use itinera_service::admin::{MembershipInput, UserInput};
use itinera_service::{Caller, Clock, Ctx};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::casework::shared_case;
use crate::helpers::*;

const ABSENT: &str = "01a207d9-2100-7000-8000-00000000dead";

/// A workplace tutor working for the organisation named like `company`.
async fn tutor(app: &TestApp, username: &str, company: &str) -> String {
    let org = app.org(company).await;
    let ctx = Ctx::cli(start_time());
    let id = app
        .services
        .create_user(
            Caller::CommandLine,
            &ctx,
            &UserInput {
                username: username.into(),
                display_name: format!("Tutora {company}"),
                password: "una-clave-larga-de-prueba".into(),
                locale: "es".into(),
                active: true,
                ..Default::default()
            },
        )
        .await
        .expect("user");
    app.services
        .add_membership(
            Caller::CommandLine,
            &ctx,
            id,
            &MembershipInput {
                organisation_id: org,
                role: "workplace_tutor".into(),
            },
        )
        .await
        .expect("membership");
    id.to_string()
}

fn items<'a>(w: &'a Value, kind: &str) -> Vec<&'a Value> {
    w[kind]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_contract_schedules_its_retention_checks_and_follow_ups_into_the_work_list() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 43_000_001).await;
    let employer = app.org("Reciclajes Guadiana").await;
    let tutor_here = tutor(&app, "tutora.guadiana", "Reciclajes Guadiana").await;
    let tutor_there = tutor(&app, "tutora.alcantara", "Limpiezas Alcántara").await;
    let social_services = app.org("Atención Social Básica de Badajoz").await;
    let path = format!("/cases/{case}/contracts");
    let good = json!({
        "employer_id": employer, "position_title": "Peón de clasificación", "isco_code": "9613",
        "contract_type": "es_formativo_alternancia", "insertion": true, "hours_per_week": "30,5",
        "start_on": "2026-11-23", "planned_end_on": "2027-11-22", "tutor_id": tutor_here,
        "workplace": "Planta de Badajoz"
    });

    // Bad input names the field, and nothing is written.
    let mut bad = good.clone();
    bad["planned_end_on"] = json!("2026-11-01");
    bad["tutor_id"] = json!(tutor_there);
    let r = app.post(SEXPE_BADAJOZ, &path, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        codes(&r.body),
        [(
            "planned_end_on".to_string(),
            "validation.contract.ends_before_start".to_string()
        )]
    );
    let mut bad = good.clone();
    bad["tutor_id"] = json!(tutor_there);
    let r = app.post(SEXPE_BADAJOZ, &path, &bad).await;
    assert_eq!(
        codes(&r.body),
        [(
            "tutor_id".to_string(),
            "validation.contract.tutor_other_employer".to_string()
        )]
    );
    let mut bad = good.clone();
    bad["employer_id"] = json!(social_services);
    let r = app.post(SEXPE_BADAJOZ, &path, &bad).await;
    assert_eq!(
        codes(&r.body),
        [(
            "employer_id".to_string(),
            "validation.contract.not_employer".to_string()
        )]
    );
    let mut bad = good.clone();
    bad["contract_type"] = json!("es_obra_y_servicio");
    bad["isco_code"] = json!("96131");
    bad["hours_per_week"] = json!("70");
    let r = app.post(SEXPE_BADAJOZ, &path, &bad).await;
    let c = codes(&r.body);
    assert!(
        c.contains(&("isco_code".into(), "validation.contract.isco".into())),
        "{c:?}"
    );
    assert!(
        c.contains(&("hours_per_week".into(), "validation.contract.hours".into())),
        "{c:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contracts").await, 0);
    let r = app
        .post(SEXPE_BADAJOZ, &path, &json!({"contract_type": "es_obra_y_servicio", "employer_id": employer, "position_title": "x", "isco_code": "9", "hours_per_week": "1", "start_on": "2026-11-23"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [("contract_type".to_string(), "validation.choice".to_string())]
    );

    // Registered: three retention checks at 3, 6 and 12 months.
    let r = app.post(SEXPE_BADAJOZ, &path, &good).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let contract = r.body["id"].as_str().unwrap().to_string();
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let k = &v["contracts"][0];
    assert_eq!(k["id"], contract.as_str());
    assert_eq!(k["hours_per_week"], 30.5);
    assert_eq!(k["tutor_id"], tutor_here.as_str());
    assert_eq!(k["running"], true);
    let due: Vec<(i64, &str)> = k["retention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["months"].as_i64().unwrap(), r["due_on"].as_str().unwrap()))
        .collect();
    assert_eq!(
        due,
        [(3, "2027-02-23"), (6, "2027-05-23"), (12, "2027-11-23")]
    );
    let three = k["retention"][0]["id"].as_str().unwrap().to_string();

    // Today nothing is due; a month on, the follow-up contact is.
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "retention_due").is_empty());
    assert!(items(&w, "follow_ups_due").is_empty());
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap());
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    let f = items(&w, "follow_ups_due");
    assert_eq!(f.len(), 1, "{w:#?}");
    assert_eq!(f[0]["case_id"], case.as_str());
    assert_eq!(f[0]["due_on"], "2026-12-23");
    // The notification centre says so too, once, to those who follow the contract.
    let sweep = |app: &TestApp| {
        let services = app.services.clone();
        let now = app.clock.now();
        async move { services.notify_due(&Ctx::cli(now)).await.expect("sweep") }
    };
    assert!(sweep(&app).await >= 1);
    assert_eq!(sweep(&app).await, 0, "told once");
    let notices = app.get(SEXPE_BADAJOZ, "/notifications").await.body;
    let due: Vec<&Value> = notices
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "follow_up_due" && n["contract_id"] == contract.as_str())
        .collect();
    assert_eq!(due.len(), 1, "{notices:#}");
    assert_eq!(due[0]["notice_due_on"], "2026-12-23");
    assert_eq!(due[0]["case_id"], case.as_str());
    let theirs = app.get(SOCIAL_BADAJOZ, "/notifications").await.body;
    assert!(!theirs.to_string().contains("follow_up_due"), "{theirs:#}");
    // The social worker does not follow the contract: not in her list.
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "follow_ups_due").is_empty());
    // A contact moves the follow-up a month on.
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/contacts"), &json!({"kind": "phone", "summary": "Seguimiento del contrato", "happened_on": "2026-12-19"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "follow_ups_due").is_empty(), "{w:#?}");

    // Three months on: the check is in the work list; too early is refused.
    let early = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/retention-checks/{three}"),
            &json!({"outcome": "same_employer"}),
        )
        .await;
    assert_eq!(
        codes(&early.body),
        [(
            "checked_on".to_string(),
            "validation.retention.too_early".to_string()
        )]
    );
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 2, 20, 9, 0, 0).unwrap());
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    let r3 = items(&w, "retention_due");
    assert_eq!(r3.len(), 1, "{w:#?}");
    assert!(sweep(&app).await >= 1);
    let notices = app.get(SEXPE_BADAJOZ, "/notifications").await.body;
    let due: Vec<&Value> = notices
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "retention_due")
        .collect();
    assert_eq!(due.len(), 1, "{notices:#}");
    assert_eq!(due[0]["retention_check_id"], three.as_str());
    assert_eq!(due[0]["retention_months"], 3);
    assert_eq!(due[0]["notice_due_on"], "2027-02-23");
    // The new follow-up date after the contact of 19 December is told anew.
    assert!(notices
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "follow_up_due" && n["notice_due_on"] == "2027-01-18"));
    assert_eq!(r3[0]["item_id"], three.as_str());
    assert_eq!(r3[0]["label"], "3");
    assert_eq!(r3[0]["due_on"], "2027-02-23");
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/retention-checks/{three}"),
            &json!({"outcome": "perhaps"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("outcome".to_string(), "validation.choice".to_string())]
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/retention-checks/{three}"),
            &json!({"outcome": "same_employer", "note": "Contenta en la planta"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let again = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/retention-checks/{three}"),
            &json!({"outcome": "not_employed"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    let v = app.get(SEXPE_BADAJOZ, &path).await.body;
    assert_eq!(
        v["contracts"][0]["retention"][0]["outcome"],
        "same_employer"
    );
    assert_eq!(v["contracts"][0]["retention"][0]["employed"], true);
    assert_eq!(
        v["contracts"][0]["retention"][0]["checked_on"],
        "2027-02-20"
    );
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "retention_due").is_empty());

    // The end form of the page: a missing reason is named beside its field, and the
    // summary's link reaches it.
    let b = Browser::new(&app.base);
    b.login(SEXPE_BADAJOZ).await;
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/contracts/{contract}/end"),
            &[("ended_on", "2027-02-15"), ("end_reason", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(r##"href="#end_reason-{contract}""##))
            && html.contains(&format!(r#"id="end_reason-{contract}-error""#))
            && html.contains(r#"value="2027-02-15""#),
        "{html}"
    );

    // The end: not before the start, once.
    let end = format!("/contracts/{contract}/end");
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &end,
            &json!({"ended_on": "2026-11-01", "end_reason": "resignation"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "ended_on".to_string(),
            "validation.contract.ends_before_start".to_string()
        )]
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &end,
            &json!({"ended_on": "2027-02-15", "end_reason": "resignation", "version": "7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &end,
            &json!({"ended_on": "2027-02-15", "end_reason": "resignation"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &end,
            &json!({"ended_on": "2027-02-16", "end_reason": "dismissal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let v = app.get(SEXPE_BADAJOZ, &path).await.body;
    assert_eq!(v["contracts"][0]["running"], false);
    assert_eq!(v["contracts"][0]["end_reason"], "resignation");

    // Every write is audited with the case.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('contract.create', 'contract.end', 'retention.record')").await,
        3
    );

    // Nobody without a basis learns that these exist: the same answer as for nothing.
    let six = v["contracts"][0]["retention"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for user in [SOCIAL_MERIDA, NGO_BADAJOZ, PROGRAMME_MANAGER, ADMIN] {
        for (path, body) in [
            (
                "/contracts/{}/end".to_string(),
                json!({"ended_on": "2027-02-15", "end_reason": "other"}),
            ),
            (
                "/retention-checks/{}".to_string(),
                json!({"outcome": "not_employed"}),
            ),
        ] {
            let there = app
                .post(
                    user,
                    &path.replace(
                        "{}",
                        if path.starts_with("/contracts") {
                            &contract
                        } else {
                            &six
                        },
                    ),
                    &body,
                )
                .await;
            let absent = app.post(user, &path.replace("{}", ABSENT), &body).await;
            assert_eq!(
                there.status, absent.status,
                "{user} {path}: {:?}",
                there.body
            );
            assert!(!there.status.is_success(), "{user} {path}");
        }
        let r = app.get(user, &format!("/cases/{case}/contracts")).await;
        assert!(!r.status.is_success(), "{user}");
    }
    // Contract types are data: Spain's and Italy's.
    let t = app.get(SEXPE_BADAJOZ, "/contract-types").await.body;
    let codes: Vec<&str> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"es_fijo_discontinuo") && codes.contains(&"it_apprendistato"));
}

#[tokio::test]
async fn an_incident_reaches_the_social_worker_at_once_and_the_coordinator_when_unanswered() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 43_000_002).await;
    let (_, other_case) = shared_case(&app, 43_000_003).await;
    let employer = app.org("Reciclajes Guadiana").await;
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/cases/{other_case}/contracts"),
            &json!({
            "employer_id": employer, "position_title": "Peón", "isco_code": "9613",
            "contract_type": "es_indefinido", "hours_per_week": "40", "start_on": "2026-11-23"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let foreign_contract = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/cases/{case}/incidents");

    let r = app
        .post(SEXPE_BADAJOZ, &path, &json!({"occurred_on": "2026-11-24", "kind": "absenteeism", "severity": "medium", "reporter": "workplace_tutor", "description": "Falta", "contract_id": foreign_contract}))
        .await;
    let c = codes(&r.body);
    assert!(
        c.contains(&("occurred_on".into(), "validation.date.future".into())),
        "{c:?}"
    );
    let r = app
        .post(SEXPE_BADAJOZ, &path, &json!({"kind": "absenteeism", "severity": "medium", "reporter": "workplace_tutor", "description": "Falta", "contract_id": foreign_contract}))
        .await;
    assert_eq!(
        codes(&r.body),
        [("contract_id".to_string(), "validation.choice".to_string())]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM incidents").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE incident_id IS NOT NULL"
        )
        .await,
        0
    );

    let r = app
        .post(SEXPE_BADAJOZ, &path, &json!({"kind": "absenteeism", "severity": "high", "reporter": "workplace_tutor", "description": "Tres faltas sin justificar esta semana"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let incident = r.body["id"].as_str().unwrap().to_string();

    // The case manager (the social worker here) is told at once: a notice naming no
    // person, and an item in her work list; the reporter is not told of their own.
    let n = app.get(SOCIAL_BADAJOZ, "/notifications").await.body;
    let mine: Vec<&Value> = n
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["incident_id"] == incident.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{n:#?}");
    assert_eq!(mine[0]["kind"], "incident_new");
    assert_eq!(mine[0]["case_id"], case.as_str());
    assert_eq!(mine[0]["incident_kind"], "absenteeism");
    assert!(
        !n.to_string().contains("Campos"),
        "a notice names no person"
    );
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    let open = items(&w, "incidents_open");
    assert_eq!(open.len(), 1, "{w:#?}");
    assert_eq!(open[0]["item_id"], incident.as_str());
    assert_eq!(open[0]["label"], "absenteeism");
    let n = app.get(SEXPE_BADAJOZ, "/notifications").await.body;
    assert!(!n.to_string().contains(&incident));
    let audit = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'incident.create' AND detail LIKE '%notified%'").await;
    assert_eq!(audit, 1);

    // Not yet past the limit: the coordinator has nothing; past it, she has it, once.
    let w = app.get(COORDINATOR, "/tasks").await.body;
    assert!(items(&w, "incidents_overdue").is_empty());
    app.clock.advance(Duration::days(3) + Duration::hours(1));
    let w = app.get(COORDINATOR, "/tasks").await.body;
    let late = items(&w, "incidents_overdue");
    assert_eq!(late.len(), 1, "{w:#?}");
    assert_eq!(late[0]["item_id"], incident.as_str());
    assert_eq!(late[0]["due_on"], "2026-11-26");
    app.get(COORDINATOR, "/tasks").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'incident_overdue'"
        )
        .await,
        1
    );
    // Others on the team are not coordinators: nothing overdue in their lists.
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "incidents_overdue").is_empty());

    // The answer: something must be said; the first one is timed.
    let answer = format!("/incidents/{incident}/response");
    let r = app.post(SOCIAL_BADAJOZ, &answer, &json!({})).await;
    assert_eq!(
        codes(&r.body),
        [(
            "actions_agreed".to_string(),
            "validation.incident.say_something".to_string()
        )]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &answer,
            &json!({"actions_agreed": "Entrevista con la persona y la empresa el lunes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let i = &v["incidents"][0];
    assert_eq!(i["response_hours"], 73);
    assert!(i["first_response_at"].is_string());
    assert!(i["resolved_on"].is_null());
    let w = app.get(COORDINATOR, "/tasks").await.body;
    assert!(items(&w, "incidents_overdue").is_empty());
    // Actions agreed later are added after the first ones, not written over them.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &answer,
            &json!({"actions_agreed": "Cambio al turno de mañana", "version": i["version"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    let i = &v["incidents"][0];
    assert_eq!(
        i["actions_agreed"],
        "Entrevista con la persona y la empresa el lunes\n\n[2026-11-26] Cambio al turno de mañana"
    );
    // Resolved: closed, out of the work list, and no second resolution.
    let r = app
        .post(SOCIAL_BADAJOZ, &answer, &json!({"resolution": "Justifica las faltas; se ajusta el horario", "version": i["version"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "incidents_open").is_empty());
    let r = app
        .post(SOCIAL_BADAJOZ, &answer, &json!({"resolution": "Otra vez"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &path).await.body;
    assert!(v["incidents"][0]["actions_agreed"]
        .as_str()
        .unwrap()
        .starts_with("Entrevista con la persona y la empresa el lunes"));
    assert!(v["incidents"][0]["resolved_on"].is_string());

    // Nobody without a basis learns the incident exists.
    for user in [SOCIAL_MERIDA, NGO_BADAJOZ, PROGRAMME_MANAGER, ADMIN] {
        let there = app
            .post(user, &answer, &json!({"actions_agreed": "x"}))
            .await;
        let absent = app
            .post(
                user,
                &format!("/incidents/{ABSENT}/response"),
                &json!({"actions_agreed": "x"}),
            )
            .await;
        assert_eq!(there.status, absent.status, "{user}: {:?}", there.body);
        assert!(!there.status.is_success());
        let r = app.get(user, &path).await;
        assert!(!r.status.is_success(), "{user}");
        let n = app.get(user, "/notifications").await;
        assert!(!n.body.to_string().contains(&incident), "{user}");
    }
}

/// A workplace tutor sees the placements they tutor — the person's name and the job,
/// only while the person's consent covers their company — reports incidents of them,
/// and reaches nothing else of the person.
#[tokio::test]
async fn a_workplace_tutor_sees_the_placement_they_tutor_and_nothing_else() {
    let app = spawn_app().await;
    let (pid, case) = shared_case(&app, 43_000_101).await;
    let employer = app.org("Reciclajes Guadiana").await;
    let (tutor_id, _) = who(&app, TUTOR).await;
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/contracts"), &json!({
            "employer_id": employer, "position_title": "Peón de clasificación", "isco_code": "9613",
            "contract_type": "es_indefinido", "insertion": true, "hours_per_week": "40",
            "start_on": "2026-11-23", "tutor_id": tutor_id
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let contract = r.body["id"].as_str().unwrap().to_string();
    let report = json!({"kind": "group_adaptation", "severity": "low", "occurred_on": "2026-11-23",
                        "description": "Le cuesta integrarse en el turno de noche."});
    // The consent covers the employment service only: the company sees nothing yet.
    let mine = |b: &Value| {
        b.as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == contract.as_str())
    };
    let r = app.get(TUTOR, "/tutored-contracts").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!mine(&r.body));
    let r = app
        .post(TUTOR, &format!("/contracts/{contract}/incidents"), &report)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // Consent to share with insertion companies: the tutor sees the placement.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({
            "purpose": "sharing", "given_on": "2026-11-16", "evidence": "Firma",
            "organisation_kinds": ["insertion_company"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let consent = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(TUTOR, "/tutored-contracts").await;
    let k = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == contract.as_str())
        .expect("the tutored contract")
        .clone();
    assert_eq!(k["participant_name"], "Rocío Campos Durán");
    assert_eq!(k["position_title"], "Peón de clasificación");
    assert!(k.get("case_id").is_none(), "no way to the case: {k}");
    // Nothing else of the person, the case or its contracts.
    for path in [
        format!("/participants/{pid}"),
        format!("/cases/{case}"),
        format!("/cases/{case}/contracts"),
        format!("/cases/{case}/incidents"),
        format!("/cases/{case}/assessments"),
        format!("/cases/{case}/contacts"),
    ] {
        let r = app.get(TUTOR, &path).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            r.status
        );
        assert!(!r.body.to_string().contains("Campos"), "{path}");
    }
    // The tutor's page lists it, with the way to report an incident.
    let b = Browser::new(&app.base);
    b.login(TUTOR).await;
    let (st, html) = b.page("/tutoring").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("Rocío Campos Durán")
            && html.contains(&format!("/tutoring/{contract}/incident"))
    );
    let (st, html) = b.page(&format!("/tutoring/{contract}/incident")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let (st, _) = b.page(&format!("/cases/{case}/contracts")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Bad input names the field; then the incident reaches the social worker at once.
    let r = app
        .post(
            TUTOR,
            &format!("/contracts/{contract}/incidents"),
            &json!({"kind": "group_adaptation"}),
        )
        .await;
    let c = codes(&r.body);
    assert!(
        c.contains(&("severity".into(), "validation.choice".into()))
            || c.contains(&("severity".into(), "validation.required".into())),
        "{c:?}"
    );
    assert!(c.iter().any(|f| f.0 == "description"), "{c:?}");
    let r = app
        .post(TUTOR, &format!("/contracts/{contract}/incidents"), &report)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let incident = r.body["id"].as_str().unwrap().to_string();
    let inc = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/incidents"))
        .await
        .body;
    let i = inc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == incident.as_str())
        .expect("the case team sees it")
        .clone();
    assert_eq!(i["reporter"], "workplace_tutor");
    assert_eq!(i["contract_id"], contract.as_str());
    let notices = app
        .get(SOCIAL_BADAJOZ, "/notifications")
        .await
        .body
        .to_string();
    assert!(notices.contains(&incident), "{notices}");
    // The tutor sees what they reported and whether it was answered, not the answer.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/incidents/{incident}/response"),
            &json!({
            "actions_agreed": "Se habla con la persona sobre su situación familiar."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(TUTOR, "/incidents/reported").await;
    let mine = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == incident.as_str())
        .expect("reported")
        .clone();
    assert_eq!(mine["participant_name"], "Rocío Campos Durán");
    assert!(mine["first_response_at"].is_string());
    assert!(!r.body.to_string().contains("situación familiar"));
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM audit_read_log WHERE action = 'incident.reported_read' AND detail LIKE '%{incident}%'")
        )
        .await,
        1,
        "the read names the incidents whose person it shows"
    );
    // Another tutor of the company does not reach it; nor a professional's route.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/contracts/{contract}/incidents"),
            &report,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An ended contract stays the tutor's for a month, then is no longer theirs.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/contracts/{contract}/end"),
            &json!({"ended_on": "2026-11-23", "end_reason": "resignation"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert!(mine_of(
        &app.get(TUTOR, "/tutored-contracts").await.body,
        &contract
    ));
    app.clock.advance(chrono::Duration::days(32));
    assert!(!mine_of(
        &app.get(TUTOR, "/tutored-contracts").await.body,
        &contract
    ));
    app.clock.advance(chrono::Duration::days(-32));
    // The consent withdrawn: the placement and the name are gone.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/consents/{consent}/withdrawal"),
            &json!({"withdrawn_on": "2026-11-23"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert!(!mine_of(
        &app.get(TUTOR, "/tutored-contracts").await.body,
        &contract
    ));
    let r = app.get(TUTOR, "/incidents/reported").await;
    let again = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == incident.as_str())
        .expect("still listed")
        .clone();
    assert!(again["participant_name"].is_null(), "{again}");
    assert!(!r.body.to_string().contains("Campos"));
}

fn mine_of(b: &Value, contract: &str) -> bool {
    b.as_array().unwrap().iter().any(|k| k["id"] == contract)
}

#[tokio::test]
async fn another_workplace_tutor_is_named_and_the_former_one_loses_the_placement() {
    let app = spawn_app().await;
    let (pid, case) = shared_case(&app, 43_000_301).await;
    let employer = app.org("Reciclajes Guadiana").await;
    let (first, _) = who(&app, TUTOR).await;
    let second = tutor(&app, "tutor.relevo", "Reciclajes Guadiana").await;
    let elsewhere = tutor(&app, "tutora.alcantara", "Limpiezas Alcántara").await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({
            "purpose": "sharing", "given_on": "2026-11-16", "evidence": "Firma",
            "organisation_kinds": ["insertion_company"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/contracts"), &json!({
            "employer_id": employer, "position_title": "Peón de clasificación", "isco_code": "9613",
            "contract_type": "es_indefinido", "insertion": true, "hours_per_week": "40",
            "start_on": "2026-11-23", "tutor_id": first
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let contract = r.body["id"].as_str().unwrap().to_string();
    let tutored = |b: &Value| b.to_string().contains(&contract);
    assert!(tutored(&app.get(TUTOR, "/tutored-contracts").await.body));
    let path = format!("/contracts/{contract}/tutor");

    // A tutor of another employer, or a stale version, is refused and changes nothing.
    let r = app
        .put(SEXPE_BADAJOZ, &path, &json!({"tutor_id": elsewhere}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "tutor_id".to_string(),
            "validation.contract.tutor_other_employer".to_string()
        )]
    );
    let r = app
        .put(
            SEXPE_BADAJOZ,
            &path,
            &json!({"tutor_id": second, "version": "0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    // The tutor cannot hand the placement on, nor can whoever has no basis.
    let r = app.put(TUTOR, &path, &json!({"tutor_id": second})).await;
    assert!(
        matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{:?}",
        r.body
    );
    let r = app
        .put(SOCIAL_MERIDA, &path, &json!({"tutor_id": second}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert!(tutored(&app.get(TUTOR, "/tutored-contracts").await.body));

    // Named another: the former tutor loses the placement at once.
    let r = app
        .put(SEXPE_BADAJOZ, &path, &json!({"tutor_id": second}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!tutored(&app.get(TUTOR, "/tutored-contracts").await.body));
    let report = json!({"kind": "absenteeism", "severity": "low", "occurred_on": "2026-11-23",
                        "description": "No vino el lunes."});
    let r = app
        .post(TUTOR, &format!("/contracts/{contract}/incidents"), &report)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let k = app
        .get(SEXPE_BADAJOZ, &format!("/cases/{case}/contracts"))
        .await
        .body;
    assert!(
        k.to_string()
            .contains(&format!("\"tutor_id\":\"{second}\"")),
        "{k}"
    );
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'contract.tutor'",
            &contract
        )
        .await,
        1
    );

    // The page's form: a refused choice comes back chosen with its message; none is
    // a choice too.
    let b = Browser::new(&app.base);
    b.login(SEXPE_BADAJOZ).await;
    let form = format!("/cases/{case}/contracts/{contract}/tutor");
    let (status, html, _) = b
        .post_form(&form, &[("tutor_id", &elsewhere), ("version", "0")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("id=\"tutor_id-{contract}-error\"")),
        "{html}"
    );
    let (status, _, _) = b.post_form(&form, &[("tutor_id", "")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM contracts WHERE id = $1 AND tutor_id IS NULL",
            &contract
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_incident_of_a_closed_case_leaves_the_work_list() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 43_000_401).await;
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/incidents"), &json!({"kind": "absenteeism", "severity": "low", "reporter": "counsellor", "description": "Dos faltas"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert_eq!(items(&w, "incidents_open").len(), 1, "{w:#?}");
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["case"]["version"]
        .clone();
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/cases/{case}/status-changes"), &json!({"action": "close", "reason": "Traslado", "exit_reason": "other", "exit_on": "2026-11-23", "version": v}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // It can no longer be answered there, so it is no longer asked for.
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(items(&w, "incidents_open").is_empty(), "{w:#?}");
}
