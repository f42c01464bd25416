//! "Mis casos" and the contact's next step: what is next on each case, soonest due
//! first, through the work list, never naming a person the reader may not see.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::casework::shared_case;
use crate::helpers::*;

fn line<'a>(c: &'a Value, case: &str) -> Option<&'a Value> {
    c["lines"]
        .as_array()
        .and_then(|a| a.iter().find(|l| l["case_id"] == case))
}

#[tokio::test]
async fn the_caseload_says_what_is_next_and_the_next_step_reaches_the_work_list() {
    let app = spawn_app().await;
    let (pid, case) = shared_case(&app, 42_000_001).await;
    let contacts = format!("/cases/{case}/contacts");

    // A date with no step, and a step before its contact: each refused, nothing saved.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &contacts,
            &json!({"kind": "individual_interview", "summary": "Acogida", "next_step_on": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "next_step_on");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &contacts,
            &json!({"kind": "individual_interview", "summary": "Acogida", "next_step": "Traer el padrón",
                    "happened_on": "2026-11-23", "next_step_on": "2026-11-22"}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.contact.next_step_before"
    );
    // The step agreed at the interview: due in two days.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &contacts,
            &json!({"kind": "individual_interview", "summary": "Acogida", "next_step": "Traer el padrón",
                    "happened_on": "2026-11-23", "next_step_on": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let c = app.get(SOCIAL_BADAJOZ, "/caseload").await;
    assert_eq!(c.status, StatusCode::OK, "{:?}", c.body);
    let l = line(&c.body, &case).expect("her case").clone();
    assert_eq!(l["participant_name"], "Rocío Campos Durán");
    assert_eq!(l["next_due_on"], "2026-11-25");
    assert_eq!(l["next_due"], "next_step");
    assert_eq!(l["overdue"], false);
    assert_eq!(l["last_contact_on"], "2026-11-23");
    assert_eq!(l["days_in_phase"], 0);
    // Her work list has the step; the employment counsellor on the team, who did not
    // agree it, does not.
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    let steps = w["next_steps_due"].as_array().expect("steps");
    assert!(
        steps
            .iter()
            .any(|i| i["case_id"] == case.as_str() && i["label"] == "Traer el padrón"),
        "{w}"
    );
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert!(w["next_steps_due"]
        .as_array()
        .expect("steps")
        .iter()
        .all(|i| i["case_id"] != case.as_str()));

    // Three days on it is overdue, and the "overdue only" filter keeps it.
    app.clock.advance(chrono::Duration::days(3));
    let c = app.get(SOCIAL_BADAJOZ, "/caseload?overdue=true").await.body;
    let l = line(&c, &case).expect("overdue");
    assert_eq!(l["overdue"], true);
    assert!(c["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .all(|l| l["overdue"] == true));
    // A later contact with no step supersedes it.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &contacts,
            &json!({"kind": "phone", "summary": "Ya lo ha traído"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let c = app.get(SOCIAL_BADAJOZ, "/caseload").await.body;
    assert_eq!(line(&c, &case).expect("case")["next_due_on"], Value::Null);
    assert!(
        app.get(SOCIAL_BADAJOZ, "/tasks").await.body["next_steps_due"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|i| i["case_id"] != case.as_str())
    );

    // The phase filter keeps the cases in that phase; the filters still offer every
    // phase and programme of the caseload; what falls due first comes first.
    let all = app.get(SOCIAL_BADAJOZ, "/caseload").await.body;
    let phase = line(&all, &case).expect("case")["phase"]
        .as_str()
        .expect("phase")
        .to_string();
    let c = app
        .get(SOCIAL_BADAJOZ, &format!("/caseload?phase={phase}"))
        .await
        .body;
    let lines = c["lines"].as_array().expect("lines");
    assert!(!lines.is_empty() && lines.iter().all(|l| l["phase"] == phase.as_str()));
    assert_eq!(c["phases"], all["phases"]);
    assert_eq!(c["programmes"], all["programmes"]);
    let due: Vec<Option<&str>> = all["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["next_due_on"].as_str())
        .collect();
    let mut sorted = due.clone();
    sorted.sort_by_key(|d| (d.is_none(), *d));
    assert_eq!(due, sorted);

    // By name; the employment counsellor on the team finds it among hers.
    let c = app.get(SOCIAL_BADAJOZ, "/caseload?q=rocio").await.body;
    assert!(line(&c, &case).is_some());
    let c = app.get(SOCIAL_BADAJOZ, "/caseload?q=nadie").await.body;
    assert!(line(&c, &case).is_none());
    // Given name and surname together, accents and case aside.
    let c = app
        .get(SOCIAL_BADAJOZ, "/caseload?q=ROCÍO%20CAM")
        .await
        .body;
    assert!(line(&c, &case).is_some(), "{c}");
    let c = app
        .get(SOCIAL_BADAJOZ, "/caseload?q=campos%20rocio")
        .await
        .body;
    assert!(line(&c, &case).is_none(), "{c}");
    assert!(line(&app.get(SEXPE_BADAJOZ, "/caseload").await.body, &case).is_some());
    // Another city's social worker is not on the team: not in hers, nor in her
    // organisation's.
    for q in ["/caseload", "/caseload?scope=organisation"] {
        let c = app.get(SOCIAL_MERIDA, q).await;
        assert_eq!(c.status, StatusCode::OK);
        assert!(line(&c.body, &case).is_none(), "{q}");
    }
    // Bad filters are named; an administrator has no caseload.
    let r = app.get(SOCIAL_BADAJOZ, "/caseload?scope=everyone").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "scope");
    assert_eq!(
        app.get(ADMIN, "/caseload").await.status,
        StatusCode::FORBIDDEN
    );
    // The read is audited.
    let a = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=caseload.read&actor={SOCIAL_BADAJOZ}"),
        )
        .await;
    assert!(!a.body["items"].as_array().expect("items").is_empty());
    // It says whose data the list showed.
    assert!(a.body.to_string().contains(&pid), "{}", a.body);
    let a = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=worklist.read&actor={SOCIAL_BADAJOZ}"),
        )
        .await;
    assert!(a.body.to_string().contains(&case), "{}", a.body);
}

#[tokio::test]
async fn the_caseload_page_lists_her_cases_with_their_next_due_date() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 42_000_002).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page("/caseload").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Mis casos"), "{html}");
    assert!(html.contains(&format!("href=\"/cases/{case}\"")), "{html}");
    assert!(html.contains("Rocío Campos Durán"));
    assert!(html.contains("href=\"/caseload\""), "in the header");
    // A next step reaches the home page's work list, the person named as a link.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/contacts"),
            &json!({"kind": "phone", "summary": "Llamada", "next_step": "Cita en el SEXPE", "next_step_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (_, home) = b.page("/").await;
    let section = home
        .split("id=\"work-next_steps_due\"")
        .nth(1)
        .expect("the next steps in the work list");
    assert!(section.contains("Cita en el SEXPE"), "{section}");
    assert!(
        section.contains(&format!("<a href=\"/cases/{case}\">Rocío Campos Durán</a>")),
        "{section}"
    );
}

#[tokio::test]
async fn the_case_says_what_is_next_and_is_titled_by_the_person() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 42_000_003).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/contacts"),
            &json!({"kind": "phone", "summary": "Llamada de acogida", "visibility": "author"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body;
    let n = &v["next"];
    assert_eq!(n["consent_in_force"], true);
    assert_eq!(n["last_contact_on"], "2026-11-23");
    assert_eq!(n["signature"], "none");
    assert_eq!(n["action"], Value::Null);
    assert_eq!(n["open_incidents"], 0);
    // The phase after the first, in the programme's order.
    let phases = v["phases"].as_array().expect("phases");
    assert_eq!(v["proposed_phase"], phases[1]["code"]);
    assert!(v["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .any(|a| a["kind"] == "contact" && a["detail"] == "phone"));
    // The author's own note is not in the employment counsellor's view of the case.
    let v = app.get(SEXPE_BADAJOZ, &format!("/cases/{case}")).await.body;
    assert_eq!(v["next"]["last_contact_on"], Value::Null);
    assert!(v["activity"].as_array().expect("activity").is_empty());

    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<title>Rocío Campos Durán"), "{html}");
    assert!(html.contains("<h1>Rocío Campos Durán</h1>"), "{html}");
    assert!(html.contains("id=\"next\""));
    // Times in the deployment's zone (Madrid: the test clock's 10:00 UTC is 11:00).
    assert!(html.contains("23/11/2026 11:00"), "{html}");
    assert!(!html.contains("23/11/2026 10:00"));
}

#[tokio::test]
async fn a_person_without_consent_is_prompted_for_it_and_opening_a_case_warns() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Inés", "Sin", "Permiso", 42_000_004),
        )
        .await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/participants/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"consent-prompt\""), "{html}");
    assert!(html.contains(&format!("/participants/{pid}/consents/new")));
    let (_, html) = b.page(&format!("/participants/{pid}/cases/new")).await;
    assert!(html.contains("id=\"no-consent\""), "{html}");
    // Once recorded, neither shows.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-23", "evidence": "Firma", "organisation_kinds": ["employment_service"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (_, html) = b.page(&format!("/participants/{pid}")).await;
    assert!(!html.contains("id=\"consent-prompt\""));
    let (_, html) = b.page(&format!("/participants/{pid}/cases/new")).await;
    assert!(!html.contains("id=\"no-consent\""));
}

#[tokio::test]
async fn a_reassessment_starts_from_the_last_levels_and_the_chart_leaves_out_what_does_not_apply() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 42_000_005).await;
    let inst = crate::casework::default_instrument(&app).await;
    let mut scores = crate::casework::scores(&[("housing", "4"), ("income", "2")], "3");
    scores["addictions"]["level"] = json!("na");
    for on in ["2026-11-23", "2026-11-23"] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{case}/assessments"),
                &json!({"instrument_id": inst, "assessed_on": on, "scores": scores}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/cases/{case}/assessments/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"scores.housing.level\" value=\"4\" checked"),
        "{html}"
    );
    assert!(html.contains("name=\"scores.income.level\" value=\"2\" checked"));
    assert!(html.contains("name=\"scores.addictions.level\" value=\"na\" checked"));
    let (_, html) = b.page(&format!("/cases/{case}/assessments")).await;
    // The scale's ends are explained, and the domain that does not apply is labelled
    // apart, with no point of the polygon at the centre.
    assert!(html.contains("1 = situación de crisis"), "{html}");
    assert!(html.contains("(No aplica)"), "{html}");
    let latest = html
        .split("<polygon class=\"latest\" points=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("the latest polygon");
    assert_eq!(
        latest.split(' ').count(),
        12,
        "13 domains, one not applicable"
    );
    assert!(
        !latest.contains("210.0,210.0"),
        "no point at the centre: {latest}"
    );
}
