use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn version(app: &TestApp, case: &str) -> i64 {
    app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["case"]["version"]
        .as_i64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_case_moves_through_its_phases_with_reasons_and_a_timeline() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Carmen", "Vega", "Silva", 30_000_001),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let r = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    assert_eq!(r.body["case"]["phase"], "detection");
    assert_eq!(r.body["case"]["status"], "open");
    assert_eq!(r.body["team"][0]["role"], "case_manager");

    // A second live case in the same programme is refused.
    let crisol = app.programme("CRISOL").await;
    let manager = app.professional(SOCIAL_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/cases"),
            &json!({"programme_id": crisol, "case_manager": manager}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Forward two phases, each with a reason.
    for to in ["preselection", "diagnosis"] {
        let v = version(&app, &case).await;
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{case}/phase-changes"),
                &json!({"to_phase": to, "reason": "Acordado en mesa técnica", "version": v}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    // A reason is required; back more than one phase is refused.
    let v = version(&app, &case).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/phase-changes"),
            &json!({"to_phase": "plan", "reason": " ", "version": v}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/phase-changes"),
            &json!({"to_phase": "detection", "reason": "error", "version": v}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "case.transition.backward_too_far"
    );
    // A stale version is a conflict.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/phase-changes"),
            &json!({"to_phase": "plan", "reason": "x", "version": v - 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Suspend: no phase moves until resumed.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "suspend", "reason": "Baja médica", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = version(&app, &case).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/phase-changes"),
            &json!({"to_phase": "plan", "reason": "x", "version": v}),
        )
        .await;
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:case.transition.not_open"
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "resume", "reason": "Alta", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Close: exit reason required, date not before opening.
    let v = version(&app, &case).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "close", "reason": "Fin", "exit_on": "2020-01-01", "version": v}),
        )
        .await;
    let fields: Vec<String> = r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        fields.contains(&"exit_reason".to_string()) && fields.contains(&"exit_on".to_string()),
        "{fields:?}"
    );
    let r = app.post(SOCIAL_BADAJOZ, &format!("/cases/{case}/status-changes"), &json!({"action": "close", "reason": "Contrato", "exit_reason": "employed", "exit_on": "2026-11-23", "version": v})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    assert_eq!(r.body["case"]["status"], "closed");
    assert_eq!(r.body["case"]["exit_reason"], "employed");
    assert_eq!(r.body["case"]["closed_on"], "2026-11-23");
    // Reopen.
    let v = version(&app, &case).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "reopen", "reason": "Pierde el empleo", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    let kinds: Vec<&str> = r.body["timeline"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "opened",
            "phase_changed",
            "phase_changed",
            "suspended",
            "resumed",
            "closed",
            "reopened"
        ]
    );
    assert_eq!(r.body["timeline"][2]["reason"], "Acordado en mesa técnica");
    assert_eq!(r.body["case"]["closed_on"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_case_team_spans_organisations() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Antonia", "Durán", "", 30_000_002))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let ngo = app.professional(NGO_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": ngo, "role": "tutor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": ngo, "role": "tutor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The team of a closed case stays as it was.
    let closed = app
        .register(SOCIAL_BADAJOZ, &person("Amparo", "Cerrada", "", 30_000_003))
        .await;
    let closed = app.open_case(SOCIAL_BADAJOZ, &closed, CASE_MANAGER).await;
    exec(
        &app,
        "UPDATE cases SET status = 'closed', closed_on = '2026-11-01' WHERE id = $1",
        &closed,
    )
    .await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{closed}/team-members"),
            &json!({"professional": ngo, "role": "tutor"}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:case.closed",
        "{:?}",
        r.body
    );
    // Only professionals: the auditor cannot be put on a team.
    let auditor = app.professional(AUDITOR).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": auditor, "role": "other"}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.case.not_a_professional"
    );
    let r = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    let team = r.body["team"].as_array().cloned().unwrap_or_default();
    assert_eq!(team.len(), 2);
    let manager = team
        .iter()
        .find(|m| m["role"] == "case_manager")
        .cloned()
        .unwrap_or_default();
    let r = app
        .delete(
            SOCIAL_BADAJOZ,
            &format!(
                "/cases/{case}/team-members/{}",
                manager["id"].as_str().unwrap_or("")
            ),
        )
        .await;
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:case.team.cannot_remove_manager"
    );
    let tutor = team
        .iter()
        .find(|m| m["role"] == "tutor")
        .cloned()
        .unwrap_or_default();
    let r = app
        .delete(
            SOCIAL_BADAJOZ,
            &format!(
                "/cases/{case}/team-members/{}",
                tutor["id"].as_str().unwrap_or("")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_case_page_in_the_browser() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Yolanda", "Ramos", "", 30_000_003))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("aria-current=\"step\">Detección"));
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/phase"),
            &[
                ("to_phase", "preselection"),
                ("reason", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Este dato es obligatorio."));
    let (status, _, _) = b
        .post_form(
            &format!("/cases/{case}/phase"),
            &[
                ("to_phase", "preselection"),
                ("reason", "Entrevista hecha"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&format!("/cases/{case}")).await;
    assert!(html.contains("aria-current=\"step\">Preselección"));
    assert!(html.contains("Entrevista hecha"));
}

#[tokio::test]
async fn the_professional_lists_offer_the_local_network_and_find_anyone_else() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Adela", "Rincón", "Paz", 30_000_077),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (_, html) = b.page(&format!("/cases/{case}")).await;
    assert!(
        html.contains("Orientador laboral · Badajoz"),
        "the local network"
    );
    assert!(
        !html.contains("Orientador laboral · Mérida"),
        "not the whole region"
    );
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/team/find"),
            &[("find", "orientador laboral · mér")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Orientador laboral · Mérida"));
    assert!(
        !html.contains("Orientador laboral · Badajoz —"),
        "only the matches"
    );
    // The same on the form that opens a case.
    let (_, html, _) = b
        .post_form(
            &format!("/participants/{pid}/cases/new/find"),
            &[("find", "ts.merida")],
        )
        .await;
    assert!(html.contains("Trabajadora social · Mérida"));
}

#[tokio::test]
async fn a_network_too_large_for_one_list_is_searched_instead() {
    let app = spawn_app().await;
    // 201 more social workers in the Badajoz social services.
    let org = uuid::Uuid::parse_str(
        &app.org("Servicios Sociales de Atención Social Básica de Badajoz")
            .await,
    )
    .unwrap();
    let mut tx = app.store.write().await.expect("tx");
    for n in 0..201 {
        let user = itinera_store::admin::User {
            id: uuid::Uuid::new_v4(),
            username: format!("ts.extra.{n}"),
            display_name: format!("Trabajadora social extra {n:03}"),
            email: None,
            password_hash: "x".into(),
            locale: "es".into(),
            active: true,
            failed_logins: 0,
            service_account: false,
            locked_until: None,
        };
        itinera_store::admin::insert_user(&mut tx, &user, start_time())
            .await
            .expect("user");
        itinera_store::admin::add_membership(
            &mut tx,
            user.id.into(),
            org.into(),
            "social_worker",
            start_time(),
        )
        .await
        .expect("membership");
    }
    tx.commit().await.expect("commit");
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Olga", "Prieto", "Sanz", 30_000_078),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (_, html) = b.page(&format!("/cases/{case}")).await;
    assert!(html.contains("Hay demasiados profesionales para una lista"));
    assert!(!html.contains("Trabajadora social extra 000"));
    // Naming oneself needs no search.
    let (_, form) = b.page(&format!("/participants/{pid}/cases/new")).await;
    assert!(form.contains("Trabajadora social · Badajoz —"));
    let (_, html, _) = b
        .post_form(&format!("/cases/{case}/team/find"), &[("find", "extra 20")])
        .await;
    assert!(html.contains("Trabajadora social extra 200"));
    // One of them chosen, the role forgotten: the page comes back with the same list
    // and the one chosen.
    let chosen = html
        .split("<option value=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|v| v.contains('@'))
        .expect("a professional in the list")
        .to_string();
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/team"),
            &[
                ("find", "extra 20"),
                ("professional", &chosen),
                ("role", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(r#"<option value="{chosen}" selected"#)),
        "{html}"
    );
    assert!(html.contains(r#"value="extra 20""#));
}

#[tokio::test]
async fn the_case_pages_forms_summarise_their_errors_and_link_each_field() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Eulalia", "Pozo", "Real", 57_300_001),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/status"),
            &[
                ("action", "close"),
                ("reason", "Fin"),
                ("exit_reason", ""),
                ("exit_on", "31/02/2026"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("href=\"#exit_on\""), "{html}");
    // The summary's line names its field (the field's own label).
    assert!(
        html.contains("href=\"#exit_on\"><span class=\"summary-field\">Fecha de salida</span>: "),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"exit_on-error\"")
            && html.contains("id=\"exit_on-error\""),
        "{html}"
    );
    // What was typed is kept.
    assert!(html.contains("value=\"31/02/2026\""), "{html}");
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/team"),
            &[("professional", ""), ("role", "support")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("href=\"#professional\""), "{html}");
    assert!(html.contains("id=\"professional-error\""), "{html}");
}

#[tokio::test]
async fn the_itinerary_pages_forms_summarise_their_errors_and_link_each_field() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Remedios", "Calle", "Alta", 57_300_002),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (status, html, _) = b
        .post_form(
            &format!("/cases/{case}/itinerary/actions"),
            &[
                ("kind", ""),
                ("service", ""),
                ("description", ""),
                ("starts_on", "2026-11-30"),
                ("due_on", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("class=\"error-summary\""), "{html}");
    for id in ["action-kind", "action-description"] {
        assert!(html.contains(&format!("href=\"#{id}\"")), "{id}: {html}");
        assert!(
            html.contains(&format!("aria-describedby=\"{id}-error\""))
                && html.contains(&format!("id=\"{id}-error\"")),
            "{id}: {html}"
        );
    }
    // What was typed is kept.
    assert!(html.contains("value=\"2026-11-30\""), "{html}");
}
