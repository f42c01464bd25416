//! The work inside a case through the API: the common diagnosis, the joint itinerary with
//! its signed versions, the contact log and its visibility, the work list.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A participant of Badajoz social services, with consent to share with the employment
/// service, and a CRISOL case whose team has a SEXPE counsellor.
pub async fn shared_case(app: &TestApp, dni_number: u32) -> (String, String) {
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Rocío", "Campos", "Durán", dni_number),
        )
        .await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma", "organisation_kinds": ["employment_service"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": sexpe, "role": "employment_reference"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (pid, case)
}

pub(crate) async fn default_instrument(app: &TestApp) -> String {
    let r = app.get(SOCIAL_BADAJOZ, "/instruments").await;
    r.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == "itinera-default"))
        .and_then(|i| i["id"].as_str())
        .expect("default instrument")
        .to_string()
}

pub(crate) fn scores(levels: &[(&str, &str)], rest: &str) -> Value {
    let domains = [
        "income",
        "employment",
        "education_skills",
        "housing",
        "health",
        "mental_health",
        "addictions",
        "family_care",
        "social_network",
        "legal",
        "mobility",
        "digital",
        "language",
    ];
    let mut m = serde_json::Map::new();
    for d in domains {
        let l = levels
            .iter()
            .find(|(k, _)| *k == d)
            .map(|(_, v)| *v)
            .unwrap_or(rest);
        m.insert(d.into(), json!({"level": l, "note": ""}));
    }
    Value::Object(m)
}

#[tokio::test]
async fn an_assessment_derives_a_profile_and_is_compared_over_time() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 41_000_001).await;
    let inst = default_instrument(&app).await;
    let path = format!("/cases/{case}/assessments");
    // In the diagnosis phase without an assessment, the case is on the work list.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/phase-changes"),
            &json!({"to_phase": "diagnosis", "reason": "Entrevista de acogida hecha", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let missing = |w: &Value| {
        w["assessments_missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["case_id"] == case.as_str())
    };
    assert!(missing(&app.get(SOCIAL_BADAJOZ, "/tasks").await.body));

    // A score outside the scale and a missing one: named per domain, in Spanish, nothing saved.
    let mut bad = scores(&[("income", "7")], "3");
    bad["housing"]["level"] = json!("");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"instrument_id": inst, "scores": bad}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.body["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["field"] == "scores.income"
        && e["code"] == "validation.assessment.out_of_scale"
        && e["message"].as_str().unwrap().contains("escala")));
    assert!(errors.iter().any(|e| e["field"] == "scores.housing"));
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.body["assessments"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // First: housing in crisis → intensive social support, because of housing.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"instrument_id": inst, "assessed_on": "2026-11-23", "scores": scores(&[("housing", "1"), ("employment", "2"), ("digital", "2")], "3")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // A month later, by the employment counsellor on the team: housing solved.
    app.clock.advance(chrono::Duration::days(30));
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &path,
            &json!({"instrument_id": inst, "assessed_on": "2026-12-23", "scores": scores(&[("housing", "4"), ("employment", "2"), ("digital", "2")], "3")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    assert!(!missing(&app.get(SOCIAL_BADAJOZ, "/tasks").await.body));
    let v = app.get(SEXPE_BADAJOZ, &path).await.body;
    assert_eq!(v["assessments"][0]["profile"], "intensive_social_support");
    assert_eq!(v["assessments"][1]["profile"], "pre_labour");
    assert_eq!(v["profile"]["profile"], "pre_labour");
    assert_eq!(v["profile"]["because"], json!(["employment", "digital"]));
    let housing = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["domain"] == "housing")
        .unwrap()
        .clone();
    assert_eq!(housing["first"], 1);
    assert_eq!(housing["latest"], 4);
    assert_eq!(housing["history"], json!([1, 4]));
    assert_eq!(
        v["suggested_goal_domains"],
        json!(["employment", "digital"])
    );

    // Not on the team (the NGO technician has no basis at all): the case does not exist.
    let r = app.get(NGO_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The coordinator may read but not assess.
    let r = app
        .post(
            COORDINATOR,
            &path,
            &json!({"instrument_id": inst, "scores": scores(&[], "3")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A date in the future is refused.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"instrument_id": inst, "assessed_on": "2027-01-01", "scores": scores(&[], "3")}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "assessed_on");
}

/// Notes too long are named beside their fields in the assessment form, which keeps
/// what was typed.
#[tokio::test]
async fn an_assessment_form_names_a_note_too_long_beside_it() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 41_000_009).await;
    let inst = default_instrument(&app).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let long = "a".repeat(4_001);
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/assessments"),
            &[
                ("instrument_id", inst.as_str()),
                ("assessed_on", "2026-11-23"),
                ("scores.income.level", "2"),
                ("scores.income.note", "Sin ingresos propios"),
                ("note", long.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"id="note-error""#), "{html}");
    assert!(html.contains(r##"href="#note""##), "{html}");
    assert!(
        html.contains("Sin ingresos propios"),
        "what was typed stays"
    );
}

#[tokio::test]
async fn instruments_are_published_as_new_versions_and_exported() {
    let app = spawn_app().await;
    let inst = default_instrument(&app).await;
    let r = app.get(ADMIN, &format!("/instruments/{inst}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut def = r.body.clone();
    assert_eq!(def["domains"].as_array().unwrap().len(), 13);
    // Re-publishing the same version is refused; a broken definition names its path.
    let r = app.post(ADMIN, "/instruments", &def).await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.instrument.version_not_newer"
    );
    def["version"] = json!(2);
    let mut broken = def.clone();
    broken["domains"][0]["levels"][1]["level"] = json!(9);
    let r = app.post(ADMIN, "/instruments", &broken).await;
    assert_eq!(r.body["errors"][0]["field"], "domains.0.levels.1");
    // Only administrators publish.
    let r = app.post(SOCIAL_BADAJOZ, "/instruments", &def).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    def["domains"][0]["label"]["es"] = json!("Ingresos económicos");
    let r = app.post(ADMIN, "/instruments", &def).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v2 = r.body["id"].as_str().unwrap().to_string();
    let list = app.get(SOCIAL_BADAJOZ, "/instruments").await.body;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // New assessments use the current version only; the old one stays readable.
    let (_, case) = shared_case(&app, 41_000_002).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/assessments"),
            &json!({"instrument_id": inst, "scores": scores(&[], "3")}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "instrument_id");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/assessments"),
            &json!({"instrument_id": v2, "scores": scores(&[], "3")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        app.get(ADMIN, &format!("/instruments/{inst}")).await.body["version"],
        1
    );
}

#[tokio::test]
async fn an_itinerary_with_actions_of_two_services_is_signed_versioned_and_reviewed() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 41_000_003).await;
    let social = app.professional(SOCIAL_BADAJOZ).await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let ngo = app.professional(NGO_BADAJOZ).await;
    let base = format!("/cases/{case}/itinerary");

    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/goals"),
            &json!({"domain": "housing", "description": "Acceder a una vivienda estable", "target_on": "2027-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let goal = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("{base}/goals"),
            &json!({"domain": "employment", "description": "Conseguir un empleo"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // Bad actions: due before the start; a responsible who is not on the team.
    let r = app
        .post_lang(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions"),
            &json!({"kind": "housing_support", "service": "social", "description": "Solicitud de vivienda social", "responsible": social, "starts_on": "2026-12-01", "due_on": "2026-11-01"}),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "due_on");
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("start"));
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions"),
            &json!({"kind": "orientation", "service": "employment", "description": "Orientación", "responsible": ngo, "starts_on": "2026-11-23", "due_on": "2026-11-30"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "validation.action.not_on_team");

    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions"),
            &json!({"goal_id": goal, "kind": "housing_support", "service": "social", "description": "Solicitud de vivienda social", "responsible": social, "starts_on": "2026-11-23", "due_on": "2026-12-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": sexpe, "starts_on": "2026-11-20", "due_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let orientation = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &base,
            &json!({"commitments": "Acudir a las citas\nAvisar si no puedo venir", "language": "es", "review_on": "2026-11-28"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Sign: two signatories needed; then version 1 is frozen.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/versions"),
            &json!({"signatories": "Rocío Campos"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "signatories");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/versions"),
            &json!({"signatories": "Rocío Campos Durán\nTrabajadora social\nOrientador SEXPE"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["number"], 1);
    // Signing again without a change is refused.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/versions"),
            &json!({"signatories": "A\nB"}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:agreement.unchanged");
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A change after signing: version 1 stays as signed; the draft shows the difference.
    let r = app
        .put(
            SEXPE_BADAJOZ,
            &format!("{base}/actions/{orientation}"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": sexpe, "starts_on": "2026-11-20", "due_on": "2026-11-27", "status": "cancelled"}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.action.reason_required"
    );
    let r = app
        .put(
            SEXPE_BADAJOZ,
            &format!("{base}/actions/{orientation}"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": sexpe, "starts_on": "2026-11-20", "due_on": "2026-11-29", "status": "in_progress"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A change made on the version read before that one is refused, not written over
    // it (the action moved on to version 2).
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions/{orientation}"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": sexpe, "starts_on": "2026-11-20", "due_on": "2026-11-27", "status": "planned", "version": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:itinera:problem:error.stale_version");
    let v = app.get(SOCIAL_BADAJOZ, &base).await.body;
    let now = v["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == orientation.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64()),
        (Some("in_progress"), Some(2))
    );
    assert_eq!(
        v["versions"][0]["snapshot"]["actions"][1]["status"],
        "planned"
    );
    assert_eq!(v["unsigned_changes"][0]["item"], "action");
    assert_eq!(v["unsigned_changes"][0]["change"], "changed");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/versions"),
            &json!({"signatories": "Rocío Campos Durán\nOrientador SEXPE"}),
        )
        .await;
    assert_eq!(r.body["number"], 2);
    let d = app
        .get(SOCIAL_BADAJOZ, &format!("{base}/differences?from=1&to=2"))
        .await
        .body;
    let fields: Vec<&str> = d["differences"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["due_on", "status"]);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("{base}/differences?from=uno"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "from");
    let r = app.get(SOCIAL_BADAJOZ, &format!("{base}/versions/1")).await;
    assert_eq!(r.body["signatories"].as_array().unwrap().len(), 3);

    // The counsellor's work list has their action (due within a week); the review is due.
    let w = app.get(SEXPE_BADAJOZ, "/tasks").await.body;
    assert!(w["actions_due"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["item_id"] == orientation.as_str()
            && i["participant_name"] == "Rocío Campos Durán"));
    assert!(w["reviews_due"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["case_id"] == case.as_str()));
    // Each kind comes soonest first (one statement reads the three kinds).
    for kind in ["actions_due", "reviews_due"] {
        let dates: Vec<&str> = w[kind]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["due_on"].as_str())
            .collect();
        assert!(dates.windows(2).all(|d| d[0] <= d[1]), "{kind}: {dates:?}");
    }
    assert_eq!(
        w["counts"].as_array().map(|c| c.len()).unwrap_or_default(),
        15,
        "{w}"
    );

    // A review records progress and sets the next date.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{base}/reviews"),
            &json!({"progress": "Ha iniciado la orientación", "next_review_on": "2027-02-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let v = app.get(SOCIAL_BADAJOZ, &base).await.body;
    assert_eq!(v["itinerary"]["review_on"], "2027-02-20");
    assert_eq!(v["reviews"][0]["progress"], "Ha iniciado la orientación");
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(!w["reviews_due"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["case_id"] == case.as_str()));

    // Its professional leaves the team: the action can still be closed as it stands,
    // but not given to someone off the team.
    let team = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["team"]
        .clone();
    let member = team
        .as_array()
        .unwrap()
        .iter()
        .find(|m| sexpe.starts_with(m["user_id"].as_str().unwrap_or("-")))
        .unwrap_or_else(|| panic!("{team}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .delete(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members/{member}"),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions/{orientation}"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": sexpe, "starts_on": "2026-11-20", "due_on": "2026-11-29", "status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("{base}/actions/{orientation}"),
            &json!({"kind": "orientation", "service": "employment", "description": "Itinerario de orientación laboral", "responsible": ngo, "starts_on": "2026-11-20", "due_on": "2026-11-29", "status": "done"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "validation.action.not_on_team");
}

#[tokio::test]
async fn a_joint_interview_needs_two_services_and_contacts_follow_their_visibility() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 41_000_004).await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let path = format!("/cases/{case}/contacts");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"kind": "joint_interview", "summary": "Entrevista"}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.contact.joint_needs_two_services"
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"kind": "joint_interview", "professionals": [sexpe], "summary": "Primera entrevista conjunta", "next_step": "Valoración"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (vis, summary) in [
        ("service", "Nota del servicio"),
        ("author", "Nota personal"),
    ] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &path,
                &json!({"kind": "individual_interview", "summary": summary, "visibility": vis}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let seen = |b: &Value| -> Vec<String> {
        b["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["summary"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(seen(&app.get(SOCIAL_BADAJOZ, &path).await.body).len(), 3);
    assert_eq!(
        seen(&app.get(SEXPE_BADAJOZ, &path).await.body),
        vec!["Primera entrevista conjunta"]
    );
    // A colleague of the same service sees the service note, not the author's own.
    let colleague = seen(&app.get(CASE_MANAGER, &path).await.body);
    assert!(colleague.contains(&"Nota del servicio".to_string()));
    assert!(!colleague.contains(&"Nota personal".to_string()));
    let joint = &app.get(SEXPE_BADAJOZ, &path).await.body["contacts"][0];
    assert_eq!(joint["professionals"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn administrators_publish_and_export_instruments_in_the_browser() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(ADMIN).await;
    let (status, html) = b.page("/admin/instruments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("itinera-default"));
    let export = html
        .split("href=\"/admin/instruments/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("export link");
    let (status, json) = b.page(&format!("/admin/instruments/{export}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut def: Value = serde_json::from_str(&json).expect("exported JSON");
    // A broken definition: the error names the path, the text stays in the form.
    def["version"] = json!(3);
    def["profiles"][3]["when_any"] =
        json!([[{"domains": ["income"], "at_most": 1, "min_count": 1}]]);
    let typed = def.to_string();
    let (status, html, _) = b
        .post_form("/admin/instruments", &[("definition", typed.as_str())])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("<code>profiles</code>"), "{html}");
    assert!(html.contains("El último perfil debe aplicarse siempre"));
    let unescaped = html.replace("&#34;", "\"").replace("&quot;", "\"");
    assert!(
        unescaped.contains("\"version\":3"),
        "the typed JSON is kept"
    );
    // Fixed, it is published as version 3; professionals cannot reach the page.
    def["profiles"][3]["when_any"] = json!([[]]);
    let (status, _, location) = b
        .post_form(
            "/admin/instruments",
            &[("definition", def.to_string().as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/admin/instruments"));
    let list = app.get(SOCIAL_BADAJOZ, "/instruments").await.body;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["version"] == 3));
    let social = Browser::new(&app.base);
    social.login(SOCIAL_BADAJOZ).await;
    assert_eq!(
        social.page("/admin/instruments").await.0,
        StatusCode::FORBIDDEN
    );
}

/// Seeing a person through one case does not hand over another: another organisation
/// on the team of her first case neither joins her next one by itself nor changes its
/// phase or status; the home organisation does.
#[tokio::test]
async fn seeing_a_person_through_one_case_does_not_take_over_the_next() {
    let app = spawn_app().await;
    let (_, first) = shared_case(&app, 41_000_077).await;
    let pid = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{first}"))
        .await
        .body["case"]["participant_id"]
        .as_str()
        .expect("participant")
        .to_string();
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{first}"))
        .await
        .body["case"]["version"]
        .clone();
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{first}/status-changes"),
            &json!({"action": "close", "reason": "Fin", "exit_reason": "employed", "exit_on": "2026-11-23", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let next = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    // The employment counsellor still sees her (team of the first case, consent)…
    let r = app.get(SEXPE_BADAJOZ, &format!("/cases/{next}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // …but runs nothing of the next case.
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/cases/{next}/team-members"),
            &json!({"professional": sexpe, "role": "employment_reference"}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:case.team.required",
        "{:?}",
        r.body
    );
    let version =
        app.get(SEXPE_BADAJOZ, &format!("/cases/{next}")).await.body["case"]["version"].clone();
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/cases/{next}/status-changes"),
            &json!({"action": "suspend", "reason": "Por mi cuenta", "version": version}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:case.team.required",
        "{:?}",
        r.body
    );
    // The home organisation adds them; then they are on the team.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{next}/team-members"),
            &json!({"professional": sexpe, "role": "employment_reference"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}
