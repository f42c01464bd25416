//! Referrals through the API: the consent check before sending (a referral never
//! widens access), the receiver's inbox, work list and notices, acceptance that puts
//! its professional on the case's team, the steps the sender sees, a rejection that
//! leaves the receiver nothing of the person, the limit for an answer and its notices,
//! cancellation, and the figures of the referral flow.

use chrono::Duration;
use itinera_service::{Clock, Ctx};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn items<'a>(w: &'a Value, kind: &str) -> Vec<&'a Value> {
    w[kind]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn id_of(r: &Resp) -> String {
    r.body["id"].as_str().expect("id").to_string()
}

/// A person of Badajoz social services with an open case, no consent yet.
async fn social_case(app: &TestApp, given: &str, surname: &str, n: u32) -> (String, String) {
    let pid = app
        .register(SOCIAL_BADAJOZ, &person(given, surname, "Prieto", n))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    (pid, case)
}

async fn share_with_employment(app: &TestApp, pid: &str) -> String {
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma",
                    "organisation_kinds": ["employment_service"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    id_of(&r)
}

fn referral_to(org: &str) -> Value {
    json!({"to_organisation_id": org, "reason": "Orientación laboral e inscripción como demandante",
           "urgency": "preferent", "shared": ["contact_details", "diagnosis"]})
}

fn statuses(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_referral_closes_the_loop_between_social_services_and_the_employment_office() {
    let app = spawn_app().await;
    let (pid, case) = social_case(&app, "Amparo", "Valdivieso", 9_101).await;
    let sexpe = app.org("SEXPE Badajoz").await;

    // Without a consent that covers the receiver the form says so, and sending is refused.
    let r = app
        .get(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals?to={sexpe}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["check"]["covered"], false);
    assert_eq!(r.body["check"]["participant_id"], pid.as_str());
    assert_eq!(r.body["can_refer"], true);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"], "urn:itinera:problem:referral.consent_missing",
        "{:?}",
        r.body
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM referrals").await,
        0,
        "nothing half-applied"
    );
    // Bad input: one message per field, in the reader's language.
    let r = app
        .post_lang(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &json!({"to_organisation_id": "x", "urgency": "soon"}),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|c| c.0).collect();
    assert_eq!(fields, ["to_organisation_id", "reason", "urgency"]);

    share_with_employment(&app, &pid).await;
    let r = app
        .get(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals?to={sexpe}"),
        )
        .await;
    assert_eq!(r.body["check"]["covered"], true);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = id_of(&r);
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/referrals/{id}").as_str())
    );
    let again = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The receiver: its inbox, its work list, a notice; the person's name and the
    // contact details that were shared — but not the person's record, not yet.
    let inbox = app.get(SEXPE_BADAJOZ, "/referrals").await;
    assert_eq!(inbox.status, StatusCode::OK);
    let line = &inbox.body["referrals"][0];
    assert_eq!(line["id"], id.as_str());
    assert_eq!(line["participant_name"], "Amparo Valdivieso Prieto");
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert_eq!(items(&w, "referrals_waiting").len(), 1, "{w:#?}");
    assert_eq!(items(&w, "referrals_waiting")[0]["item_id"], id.as_str());
    let notices = app.get(SEXPE_BADAJOZ, "/notifications").await.body;
    assert!(notices
        .as_array()
        .expect("notices")
        .iter()
        .any(|n| n["kind"] == "referral_received" && n["referral_id"] == id.as_str()));
    let v = app.get(SEXPE_BADAJOZ, &format!("/referrals/{id}")).await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.body["participant_name"], "Amparo Valdivieso Prieto");
    assert!(v.body["phone"]
        .as_str()
        .is_some_and(|p| p.starts_with("+34")));
    assert_eq!(v.body["can_answer"], true);
    assert_eq!(v.body["case_id"], Value::Null, "not on the team yet");
    assert_eq!(
        app.get(SEXPE_BADAJOZ, &format!("/participants/{pid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A third organisation sees nothing of it.
    assert_eq!(
        app.get(NGO_BADAJOZ, &format!("/referrals/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let ngo = app.get(NGO_BADAJOZ, "/referrals").await;
    assert!(!ngo.body.to_string().contains("Valdivieso"));
    // Nor can the sender answer its own referral.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Accepted: the counsellor joins the case's team, in the same transaction.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let case_view = app.get(SEXPE_BADAJOZ, &format!("/cases/{case}")).await;
    assert_eq!(case_view.status, StatusCode::OK);
    let me = app.professional(SEXPE_BADAJOZ).await;
    assert!(case_view.body["team"]
        .as_array()
        .expect("team")
        .iter()
        .any(|m| me.starts_with(m["user_id"].as_str().unwrap_or("-"))
            && m["role"] == "employment_reference"));
    assert_eq!(
        app.get(SEXPE_BADAJOZ, &format!("/participants/{pid}"))
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "reject", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "answered once");

    app.clock.advance(Duration::hours(30));
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/referrals/{id}/start"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/referrals/{id}/close"), &json!({}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an outcome is required"
    );
    app.clock.advance(Duration::days(6));
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/close"),
            &json!({"outcome": "service_given", "note": "Inscrita y con cita de orientación"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The sender sees every step with its time and who took it.
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/referrals/{id}"))
        .await
        .body;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["outcome"], "service_given");
    assert_eq!(
        statuses(&v),
        ["sent", "accepted", "in_progress", "completed"]
    );
    assert_eq!(
        v["steps"][1]["organisation_name"],
        "Centro de Empleo SEXPE Badajoz"
    );
    assert_eq!(v["case_id"], case.as_str());
    let kinds: Vec<String> = app
        .get(SOCIAL_BADAJOZ, "/notifications")
        .await
        .body
        .as_array()
        .expect("notices")
        .iter()
        .filter(|n| n["referral_id"] == id.as_str())
        .map(|n| n["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.contains(&"referral_answered".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"referral_closed".to_string()), "{kinds:?}");
    let list = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/referrals"))
        .await;
    assert_eq!(list.body["referrals"][0]["status"], "completed");

    // The figures (counted in the service's unit tests): one person's referral is a
    // small figure, hidden with the times it took, wherever it would be shown.
    let s = app.get(PROGRAMME_MANAGER, "/referrals/stats").await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["threshold"], 5);
    for f in [
        "sent",
        "accepted",
        "completed",
        "median_answer_hours",
        "median_complete_hours",
    ] {
        assert!(s.body["total"][f].is_null(), "{f}: {}", s.body);
        assert!(
            s.body["pairs"][0]["figures"][f].is_null(),
            "{f}: {}",
            s.body
        );
    }
    assert!(s.body["kinds"][0]["sent"].is_null());
    assert_eq!(s.body["kinds"][0]["from_kind"], "social_services");
    assert_eq!(s.body["kinds"][0]["to_kind"], "employment_service");
    assert!(!s.body.to_string().contains("Valdivieso"));
    let bad = app
        .get(
            PROGRAMME_MANAGER,
            "/referrals/stats?from=2026-12-01&to=2026-01-01",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(SEXPE_BADAJOZ, "/referrals/stats").await.status,
        StatusCode::FORBIDDEN
    );
    // Each step is in the audit log.
    for action in [
        "referral.send",
        "referral.answer",
        "referral.start",
        "referral.close",
        "referral.read",
    ] {
        assert!(
            count(
                &app,
                &format!("SELECT (SELECT COUNT(*) FROM audit_log WHERE action = '{action}') + (SELECT COUNT(*) FROM audit_read_log WHERE action = '{action}')")
            )
            .await
                >= 1,
            "{action}"
        );
    }
}

#[tokio::test]
async fn a_rejected_referral_leaves_the_receiver_nothing_of_the_person() {
    let app = spawn_app().await;
    let (pid, case) = social_case(&app, "Leocadia", "Barrantes", 9_102).await;
    let consent = share_with_employment(&app, &pid).await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = id_of(&r);
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "reject", "reason": "No corresponde a este centro"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for path in [
        format!("/referrals/{id}"),
        "/referrals".to_string(),
        "/referrals?box=received".to_string(),
        "/tasks".to_string(),
        format!("/participants/{pid}"),
        format!("/cases/{case}/referrals"),
    ] {
        let r = app.get(SEXPE_BADAJOZ, &path).await;
        assert!(
            !r.body.to_string().contains("Barrantes"),
            "{path} shows the person after the rejection"
        );
    }
    let v = app
        .get(SEXPE_BADAJOZ, &format!("/referrals/{id}"))
        .await
        .body;
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reason"], Value::Null);
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/answer"),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The sender sees why.
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/referrals/{id}"))
        .await
        .body;
    assert_eq!(v["rejection_reason"], "No corresponde a este centro");
    assert_eq!(statuses(&v), ["sent", "rejected"]);

    // A consent withdrawn while the referral waits: the receiver no longer sees the
    // person, and cannot accept it (it can still reject it).
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "a new referral after the rejection"
    );
    let second = id_of(&r);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/consents/{consent}/withdrawal"),
            &json!({"withdrawn_on": "2026-11-23", "note": "Lo pide la persona"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let v = app
        .get(SEXPE_BADAJOZ, &format!("/referrals/{second}"))
        .await;
    assert_eq!(v.status, StatusCode::OK);
    assert!(!v.body.to_string().contains("Barrantes"));
    assert_eq!(v.body["can_answer"], false);
    assert!(items(
        &app.get(SEXPE_BADAJOZ, "/tasks").await.body,
        "referrals_waiting"
    )
    .is_empty());
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{second}/answer"),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:referral.consent_missing"
    );
    let team = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["team"]
        .clone();
    assert_eq!(
        team.as_array().map(Vec::len),
        Some(1),
        "nobody joined the team: {team:#?}"
    );
}

#[tokio::test]
async fn an_unanswered_referral_is_flagged_past_its_limit_and_the_sender_may_cancel_it() {
    let app = spawn_app().await;
    let (pid, case) = social_case(&app, "Eulalia", "Cordero", 9_103).await;
    share_with_employment(&app, &pid).await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &referral_to(&sexpe),
        )
        .await;
    let id = id_of(&r);
    let sweep = |app: &TestApp| {
        let services = app.services.clone();
        let now = app.clock.now();
        async move { services.notify_due(&Ctx::cli(now)).await.expect("sweep") }
    };
    app.clock.advance(Duration::days(6));
    assert!(items(
        &app.get(SOCIAL_BADAJOZ, "/tasks").await.body,
        "referrals_overdue"
    )
    .is_empty());
    sweep(&app).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'referral_overdue'"
        )
        .await,
        0
    );
    // Past the programme's seven days: the sender, and the coordinators of the sender's
    // organisation, see it in their work lists and are told once.
    app.clock.advance(Duration::days(1) + Duration::hours(1));
    for who in [SOCIAL_BADAJOZ, COORDINATOR] {
        let w = app.get(who, "/tasks").await.body;
        let overdue = items(&w, "referrals_overdue");
        assert_eq!(overdue.len(), 1, "{who}: {w:#?}");
        assert_eq!(overdue[0]["item_id"], id.as_str());
        assert_eq!(overdue[0]["due_on"], "2026-11-30");
    }
    assert!(
        items(
            &app.get(CASE_MANAGER, "/tasks").await.body,
            "referrals_overdue"
        )
        .is_empty(),
        "another sender's referral is not hers"
    );
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/referrals/{id}"))
        .await
        .body;
    assert_eq!(v["overdue"], true);
    assert_eq!(sweep(&app).await, 2);
    assert_eq!(sweep(&app).await, 0, "told once");

    // The sender cancels it, with a reason; it leaves the receiver's inbox of open ones.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/referrals/{id}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/referrals/{id}/cancel"),
            &json!({"note": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "only the sender cancels");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/referrals/{id}/cancel"),
            &json!({"note": "La persona ha encontrado empleo"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let open = app.get(SEXPE_BADAJOZ, "/referrals?open=true").await.body;
    assert!(open["referrals"].as_array().expect("list").is_empty());
    let sent = app.get(SOCIAL_BADAJOZ, "/referrals?box=sent").await.body;
    assert_eq!(sent["referrals"][0]["status"], "cancelled");
    assert!(items(
        &app.get(SOCIAL_BADAJOZ, "/tasks").await.body,
        "referrals_overdue"
    )
    .is_empty());
    let r = app.get(SOCIAL_BADAJOZ, "/referrals?box=elsewhere").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn referral_pages_work_without_javascript() {
    let app = spawn_app().await;
    let (pid, case) = social_case(&app, "Visitación", "Monroy", 9_104).await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    // The check says which consent is missing and links to record it, coming back.
    let (status, html) = b.page(&format!("/cases/{case}/referrals?to={sexpe}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("no cubre compartir"), "{html}");
    assert!(
        html.contains(&format!(
            "/participants/{pid}/consents/new?organisation={sexpe}&#38;then="
        )),
        "{html}"
    );
    let (status, html) = b
        .page(&format!(
            "/participants/{pid}/consents/new?organisation={sexpe}&then=/cases/{case}/referrals%3Fto%3D{sexpe}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("value=\"{sexpe}\" checked")),
        "the receiver is ticked"
    );
    share_with_employment(&app, &pid).await;
    // A rejected form keeps what was typed.
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/referrals"),
            &[
                ("to_organisation_id", sexpe.as_str()),
                ("reason", ""),
                ("urgency", "urgent"),
                ("shared", "diagnosis"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(
            "id=\"shared-diagnosis\" type=\"checkbox\" name=\"shared\" value=\"diagnosis\" checked"
        ),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"urgent\" selected>"),
        "{html}"
    );
    let (status, _, location) = b
        .post_form(
            &format!("/cases/{case}/referrals"),
            &[
                ("to_organisation_id", sexpe.as_str()),
                ("reason", "Búsqueda activa de empleo"),
                ("urgency", "ordinary"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.is_some_and(|l| l.starts_with("/referrals/")));
    let (status, html) = b.page("/referrals?box=sent").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Visitación Monroy"), "{html}");
    // The receiver's inbox and the programme manager's figures, as pages.
    let x = Browser::new(&app.base);
    x.login(SEXPE_BADAJOZ).await;
    let (status, html) = x.page("/referrals?open=true").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Visitación Monroy") && html.contains("Enviada"),
        "{html}"
    );
    let (status, html) = x.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"work-referrals_waiting\""), "{html}");
    let m = Browser::new(&app.base);
    m.login(PROGRAMME_MANAGER).await;
    let (status, html) = m.page("/referrals/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Servicios sociales") || html.contains("Servicios Sociales"),
        "{html}"
    );
    assert!(html.contains("&#60; 5"), "{html}");
    assert!(!html.contains("Monroy"));
    let (status, html) = m
        .page("/referrals/stats?from=2026-12-01&to=2026-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"2026-12-01\""),
        "the typed period stays"
    );
}
