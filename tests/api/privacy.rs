//! The data-protection office's operations — restriction, legal holds, erasure — and
//! the retention rules, on both engines.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn request(reference: &str) -> Value {
    json!({"reference": reference, "reason": "Solicitud de la persona interesada"})
}

#[tokio::test]
async fn a_restricted_record_is_frozen_for_everyone_but_the_office() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Restituta", "Gordillo", "Pozo", 58_300_100),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let path = format!("/participants/{pid}/restriction");
    // Only the office restricts, and only with the request's reference and reason.
    for user in [SOCIAL_BADAJOZ, ADMIN, PROGRAMME_MANAGER] {
        let r = app.post(user, &path, &request("RE-1")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {:?}", r.body);
    }
    let r = app.post(AUDITOR, &path, &json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|(f, _)| f).collect();
    assert!(fields.contains(&"reference".to_string()) && fields.contains(&"reason".to_string()));
    let r = app.post(AUDITOR, &path, &request("RE-2026/7")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.post(AUDITOR, &path, &request("RE-2026/7")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"], "urn:itinera:problem:restriction.already",
        "{:?}",
        r.body
    );

    // Frozen: nobody sees it, its registering service included, nobody changes it.
    for user in [SOCIAL_BADAJOZ, CASE_MANAGER, SEXPE_BADAJOZ] {
        for p in [format!("/cases/{case}"), format!("/participants/{pid}")] {
            let r = app.get(user, &p).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{user} {p}");
        }
    }
    let r = app.get(SOCIAL_BADAJOZ, "/participants?q=Gordillo").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.to_string().contains("Restituta"),
        "not in searches: {:?}",
        r.body
    );
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/contacts"),
            &json!({"kind": "individual_interview", "summary": "Intento", "visibility": "team"}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    // The master index does not process it either: the same person registered by
    // another service is not linked to the frozen record.
    let other = app
        .register(
            SEXPE_MERIDA,
            &person("Restituta", "Gordillo", "Pozo", 58_300_100),
        )
        .await;
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM participants a JOIN participants b ON b.person_id = a.person_id WHERE a.id = $1 AND b.id <> a.id",
            &pid
        )
        .await,
        0,
        "a new record was linked to the frozen one ({other})"
    );
    // The office still reads it, whole.
    let r = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(58_300_100), "reference": "RE-2026/7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["records"][0]["participant"]["given_name"],
        "Restituta"
    );
    let r = app
        .get(AUDITOR, &format!("/participants/{pid}/privacy"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["restricted_at"].is_string());
    assert!(
        !r.body.to_string().contains("Restituta"),
        "the page of a record does not name the person"
    );
    assert_eq!(r.body["restrictions"][0]["reference"], "RE-2026/7");
    // Lifted: back as it was.
    let lift = format!("/participants/{pid}/restriction/lift");
    let r = app.post(AUDITOR, &lift, &request("RE-2026/9")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.post(AUDITOR, &lift, &request("RE-2026/9")).await;
    assert_eq!(r.body["type"], "urn:itinera:problem:restriction.none");
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["participant"]["given_name"], "Restituta");
    let r = app
        .get(AUDITOR, &format!("/participants/{pid}/privacy"))
        .await;
    assert!(r.body["restricted_at"].is_null());
    assert_eq!(r.body["restrictions"][0]["lift_reference"], "RE-2026/9");
    for action in [
        "participant.restrict",
        "participant.restriction_lift",
        "participant.privacy_read",
    ] {
        let n = count_id(
            &app,
            &format!("SELECT (SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id = $1) + (SELECT COUNT(*) FROM audit_read_log WHERE action = '{action}' AND entity_id = $1)"),
            &pid,
        )
        .await;
        assert!(n >= 1, "{action}");
    }
}

#[tokio::test]
async fn erasure_is_refused_while_a_hold_applies_then_anonymises_and_the_figures_stay() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Eulalia", "Barrantes", "Cuesta", 58_300_200),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/contacts"),
            &json!({"kind": "individual_interview", "summary": "Eulalia cuenta su situación de vivienda", "visibility": "team"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // An assessment whose health score carries a note about her.
    let inst = crate::casework::default_instrument(&app).await;
    let mut scores = crate::casework::scores(&[("housing", "2")], "3");
    scores["health"]["note"] = json!("Diabetes en tratamiento");
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/assessments"),
            &json!({"instrument_id": inst, "assessed_on": "2026-11-23", "scores": scores}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let check = format!("/participants/{pid}/erasure");
    let r = app.get(AUDITOR, &check).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["erasable"], false);
    assert_eq!(r.body["holds"][0]["kind"], "open_case");
    let r = app.post(AUDITOR, &check, &request("SU-1")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:itinera:problem:erasure.held.open_case");
    assert_eq!(
        app.post(ADMIN, &check, &request("SU-1")).await.status,
        StatusCode::FORBIDDEN
    );

    // Closed today: the retention duty of closed cases holds for five years.
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["case"]["version"]
        .clone();
    let r = app.post(SOCIAL_BADAJOZ, &format!("/cases/{case}/status-changes"), &json!({"action": "close", "reason": "Fin", "exit_reason": "employed", "exit_on": "2026-11-23", "version": v})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(AUDITOR, &check).await;
    assert_eq!(
        r.body["holds"][0]["kind"], "retention_period",
        "{:?}",
        r.body
    );
    assert_eq!(r.body["holds"][0]["until"], "2031-11-23");
    let r = app.post(AUDITOR, &check, &request("SU-1")).await;
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:erasure.held.retention_period"
    );

    // The case closed six years ago; the office holds it for an inspection.
    exec(
        &app,
        "UPDATE cases SET closed_on = '2020-10-01' WHERE id = $1",
        &case,
    )
    .await;
    let r = app
        .post(
            AUDITOR,
            &format!("/participants/{pid}/legal-holds"),
            &json!({"reference": "INS-4", "reason": "Inspección del FSE+", "until": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let hold = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(AUDITOR, &check, &request("SU-1")).await;
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:erasure.held.legal_hold"
    );
    let r = app
        .post(AUDITOR, &format!("/legal-holds/{hold}/release"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["released_at"].is_string());
    let r = app.get(AUDITOR, &check).await;
    assert_eq!(r.body["erasable"], true, "{:?}", r.body);

    let programme = app.programme("CRISOL").await;
    let esf = format!("/programmes/{programme}/esf?fresh=true");
    let before = app.get(PROGRAMME_MANAGER, &esf).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    let r = app.post(AUDITOR, &check, &request("SU-2026/3")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let kinds: Vec<&str> = r.body["cleared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"documents")
            && kinds.contains(&"contacts")
            && kinds.contains(&"assessment_scores")
            && kinds.contains(&"legal_holds"),
        "{kinds:?}"
    );
    // The notes of the scores and the reasons of the office's records are gone; the
    // levels the figures count stay.
    let left = count_id(
        &app,
        "SELECT COUNT(*) FROM assessments WHERE case_id IN (SELECT id FROM cases WHERE participant_id = $1) \
         AND (scores LIKE '%Diabetes%' OR scores NOT LIKE '%\"level\":2%')",
        &pid,
    )
    .await;
    assert_eq!(left, 0);
    assert_eq!(
        count_id(
            &app,
            "SELECT COUNT(*) FROM legal_holds WHERE participant_id = $1 AND reason <> ''",
            &pid
        )
        .await,
        0
    );
    let r = app.post(AUDITOR, &check, &request("SU-2026/3")).await;
    assert_eq!(r.body["type"], "urn:itinera:problem:privacy.anonymised");
    // Nor is the case run again: reopened, it would take new work on a record whose
    // identity is gone.
    let v = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "reopen", "reason": "Vuelve", "version": v.body["case"]["version"]}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:privacy.anonymised",
        "{:?}",
        r.body
    );

    // The identity is gone everywhere; the record, its case and the figures stay.
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let p = &r.body["participant"];
    assert_eq!(p["given_name"], "");
    assert!(p["anonymised_at"].is_string());
    assert!(p["phone"].is_null());
    assert_eq!(p["documents"].as_array().map(Vec::len), Some(0));
    assert_ne!(
        p["birth_date"],
        person("", "", "", 58_300_200)["birth_date"]
    );
    for sql in [
        "SELECT COUNT(*) FROM participants WHERE given_name = 'Eulalia' OR surname1 = 'Barrantes'"
            .to_string(),
        format!(
            "SELECT COUNT(*) FROM participant_documents WHERE number = '{}'",
            dni(58_300_200)
        ),
        "SELECT COUNT(*) FROM contacts WHERE summary LIKE '%Eulalia%'".into(),
        "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%Eulalia%' OR detail LIKE '%Barrantes%'"
            .into(),
        "SELECT COUNT(*) FROM audit_read_log WHERE detail LIKE '%Eulalia%' OR detail LIKE '%Barrantes%'"
            .into(),
    ] {
        assert_eq!(count(&app, &sql).await, 0, "{sql}");
    }
    assert_eq!(
        count_id(
            &app,
            "SELECT COUNT(*) FROM cases WHERE participant_id = $1",
            &pid
        )
        .await,
        1
    );
    let after = app.get(PROGRAMME_MANAGER, &esf).await;
    assert_eq!(
        before.body["rows"], after.body["rows"],
        "ESF figures unchanged"
    );
    let r = app.get(AUDITOR, "/audit-entries/verification").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["intact"], true, "{:?}", r.body);
    assert!(
        count_id(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'participant.erase' AND entity_id = $1",
            &pid
        )
        .await
            == 1
    );
}

#[tokio::test]
async fn retention_rules_run_dry_then_for_real_and_once_a_day() {
    let app = spawn_app().await;
    // Rules: how long people's records are kept is the data-protection office's to
    // set (one administrator alone could otherwise have everyone anonymised);
    // administrators set the rest; nobody else.
    let r = app.get(ADMIN, "/retention/rules").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body.as_array().map(Vec::len), Some(5));
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/retention/rules").await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .put(
            ADMIN,
            "/retention/rules/closed_cases",
            &json!({"period": "3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(
            AUDITOR,
            "/retention/rules/sent_mail",
            &json!({"period": "30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(
            ADMIN,
            "/retention/rules/sent_mail",
            &json!({"period": "30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            AUDITOR,
            "/retention/rules/closed_cases",
            &json!({"period": "0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .put(AUDITOR, "/retention/rules/nothing", &json!({"period": "3"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put(
            AUDITOR,
            "/retention/rules/closed_cases",
            &json!({"period": "3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let rule = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "closed_cases")
        .unwrap()
        .clone();
    assert_eq!(rule["period"], 3);
    assert_eq!(rule["set"], true);

    // Three people whose cases closed four years ago, one of them held.
    let mut people = Vec::new();
    for (k, name) in ["Adela", "Bernarda", "Casilda"].iter().enumerate() {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person(name, "Retenida", "Prueba", 58_300_300 + k as u32),
            )
            .await;
        let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
        exec(
            &app,
            "UPDATE cases SET status = 'closed', closed_on = '2022-06-30' WHERE id = $1",
            &case,
        )
        .await;
        people.push(pid);
    }
    let r = app
        .post(
            AUDITOR,
            &format!("/participants/{}/legal-holds", people[2]),
            &json!({"reference": "J-9", "reason": "Procedimiento judicial"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let r = app.post(ADMIN, "/retention/runs", &json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["dry_run"], true);
    let line = |body: &Value, kind: &str| {
        body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["kind"] == kind)
            .unwrap()
            .clone()
    };
    let closed = line(&r.body, "closed_cases");
    assert_eq!(closed["due"], 3, "{closed:?}");
    assert_eq!(closed["held"], 1);
    assert_eq!(closed["done"], 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM participants WHERE surname1 = 'Retenida'"
        )
        .await,
        3,
        "a dry run changes nothing"
    );

    // A real run anonymises people: the office's, never an administrator's.
    let r = app
        .post(ADMIN, "/retention/runs", &json!({"dry_run": false}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app
        .post(AUDITOR, "/retention/runs", &json!({"dry_run": false}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let closed = line(&r.body, "closed_cases");
    assert_eq!(closed["done"], 2, "{closed:?}");
    let held: i64 = count_id(
        &app,
        "SELECT COUNT(*) FROM participants WHERE surname1 = 'Retenida' AND id = $1",
        &people[2],
    )
    .await;
    assert_eq!(held, 1, "the held record keeps its identity");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM participants WHERE surname1 = 'Retenida'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM erasures WHERE run_id IS NOT NULL"
        )
        .await,
        2
    );

    // The server's daily run: once per day, whichever server claims it.
    let ctx = itinera_service::Ctx::cli(app.services.now());
    let first = app.services.scheduled_retention(&ctx).await.expect("run");
    assert!(first.is_some());
    let second = app.services.scheduled_retention(&ctx).await.expect("run");
    assert!(second.is_none());
    // A day's run that did not finish (it failed, or its server stopped) is left alone
    // while it may still be running, and taken up again, under its own id, after that.
    app.clock.advance(chrono::Duration::days(1));
    let ctx = itinera_service::Ctx::cli(app.services.now());
    let day_run = app
        .services
        .scheduled_retention(&ctx)
        .await
        .expect("run")
        .expect("the next day's run");
    let day_run_id = day_run.id.to_string();
    exec(
        &app,
        "UPDATE retention_runs SET finished_at = NULL, report = NULL WHERE id = $1",
        &day_run_id,
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(10));
    let ctx = itinera_service::Ctx::cli(app.services.now());
    assert!(app
        .services
        .scheduled_retention(&ctx)
        .await
        .expect("run")
        .is_none());
    app.clock.advance(chrono::Duration::minutes(25));
    let ctx = itinera_service::Ctx::cli(app.services.now());
    let again = app
        .services
        .scheduled_retention(&ctx)
        .await
        .expect("run")
        .expect("taken up again");
    assert_eq!(again.id, day_run.id);
    assert!(again.finished_at.is_some());
    assert_eq!(
        count_id(
            &app,
            "SELECT count(*) FROM retention_runs WHERE id = $1 AND finished_at IS NOT NULL",
            &day_run_id
        )
        .await,
        1
    );
    let r = app.get(AUDITOR, "/retention/runs").await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(4));
    let id = r.body[0]["id"].as_str().unwrap();
    let r = app.get(ADMIN, &format!("/retention/runs/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["scheduled_on"].is_string(), "{:?}", r.body);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/retention/runs").await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.get(AUDITOR, "/audit-entries/verification").await;
    assert_eq!(r.body["intact"], true, "{:?}", r.body);
}

#[tokio::test]
async fn the_office_works_a_record_from_its_privacy_page() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Petra", "Valdés", "Ruano", 58_300_400),
        )
        .await;
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    let (status, html) = b.page(&format!("/privacy/records/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Petra"));
    assert!(html.contains("id=\"holds\""));
    // A restriction without its reason keeps the reference typed and says what is missing.
    let path = format!("/privacy/records/{pid}/restriction");
    let (status, html, _) = b
        .post_form(
            &path,
            &[
                ("action", "restrict"),
                ("reference", "RE-55"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"RE-55\""), "typed value kept");
    assert!(html.contains("aria-invalid=\"true\""));
    let (status, _, to) = b
        .post_form(
            &path,
            &[
                ("action", "restrict"),
                ("reference", "RE-55"),
                ("reason", "Reclamación pendiente"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(to.as_deref().unwrap()).await;
    assert!(html.contains("id=\"done\""));
    assert!(html.contains("RE-55") && html.contains("Reclamación pendiente"));
    let (status, _, _) = b
        .post_form(
            &path,
            &[
                ("action", "lift"),
                ("reference", "RE-56"),
                ("reason", "Resuelta"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Erasure needs the confirmation; without it nothing happens and nothing typed is lost.
    let erase = format!("/privacy/records/{pid}/erasure");
    let (status, html, _) = b
        .post_form(
            &erase,
            &[("reference", "SU-77"), ("reason", "Registro por error")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"SU-77\"") && html.contains("value=\"Registro por error\""));
    assert_eq!(
        count_id(
            &app,
            "SELECT COUNT(*) FROM participants WHERE anonymised_at IS NULL AND id = $1",
            &pid
        )
        .await,
        1
    );
    let (status, _, _) = b
        .post_form(
            &erase,
            &[
                ("reference", "SU-77"),
                ("reason", "Registro por error"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        count_id(
            &app,
            "SELECT COUNT(*) FROM participants WHERE anonymised_at IS NOT NULL AND id = $1",
            &pid
        )
        .await,
        1
    );
    // The registering service sees what is left, and cannot write into it again.
    let sw = Browser::new(&app.base);
    sw.login(SOCIAL_BADAJOZ).await;
    let (status, html) = sw.page(&format!("/participants/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"anonymised\"") && !html.contains("Petra"));
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/cases"),
            &json!({"programme_id": app.programme("CRISOL").await, "case_manager": app.professional(CASE_MANAGER).await}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:itinera:problem:privacy.anonymised");

    // Retention: administrators set the periods of what is not a person's record on
    // the page, all or none; only a dry run.
    let admin = Browser::new(&app.base);
    admin.login(ADMIN).await;
    let (status, html) = admin.page("/privacy/retention").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"period_import_reports\""));
    assert!(!html.contains("name=\"period_closed_cases\""));
    assert!(!html.contains("value=\"real\""), "no real run offered");
    let (status, html, _) = admin
        .post_form(
            "/privacy/retention/rules",
            &[
                ("period_closed_cases", "1"),
                ("period_import_reports", "cero"),
                ("period_sent_mail", "90"),
                ("period_read_notifications", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"cero\"") && html.contains("value=\"90\""));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM retention_rules").await,
        0,
        "none saved"
    );
    let (status, _, _) = admin
        .post_form(
            "/privacy/retention/rules",
            &[
                ("period_closed_cases", "1"),
                ("period_import_reports", "30"),
                ("period_sent_mail", "90"),
                ("period_read_notifications", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM retention_rules WHERE kind = 'closed_cases'"
        )
        .await,
        0,
        "a period of people's records is not the administrator's"
    );
    let (status, _, _) = admin
        .post_form(
            "/privacy/retention/runs",
            &[("mode", "real"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, to) = admin
        .post_form("/privacy/retention/runs", &[("mode", "dry")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = admin.page(to.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"report\""));
    // The office sets how long people's records are kept, and a real run needs its
    // confirmation.
    let (status, html) = b.page("/privacy/retention").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"period_closed_cases\""));
    assert!(!html.contains("name=\"period_import_reports\""));
    let (status, _, _) = b
        .post_form("/privacy/retention/runs", &[("mode", "real")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = sw.page("/privacy/retention").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// An anonymised record leaves its person: the same person's record at another service
/// no longer leads to it, through the person, a merge or a review.
#[tokio::test]
async fn an_erased_record_is_no_longer_linked_to_the_persons_other_records() {
    let app = spawn_app().await;
    let gone = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Leocadia", "Murillo", "Santos", 58_300_300),
        )
        .await;
    let kept = app
        .register(
            SEXPE_MERIDA,
            &person("Leocadia", "Murillo", "Santos", 58_300_300),
        )
        .await;
    let same_person = "SELECT count(*) FROM participants a JOIN participants b ON b.person_id = a.person_id WHERE a.id = $1 AND b.id <> a.id";
    assert_eq!(
        count_id(&app, same_person, &kept).await,
        1,
        "the same document links the two records"
    );
    let check = format!("/participants/{gone}/erasure");
    let r = app.post(AUDITOR, &check, &request("SU-9")).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert_eq!(count_id(&app, same_person, &kept).await, 0);
    assert_eq!(count_id(&app, same_person, &gone).await, 0);
    for sql in [
        "SELECT count(*) FROM merge_members WHERE participant_id = $1",
        "SELECT count(*) FROM link_reviews WHERE left_id = $1 OR right_id = $1",
    ] {
        assert_eq!(count_id(&app, sql, &gone).await, 0, "{sql}");
    }
    // The record at the other service still stands, alone.
    let r = app
        .get(SEXPE_MERIDA, &format!("/participants/{kept}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
