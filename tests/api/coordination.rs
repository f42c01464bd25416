//! Coordination bodies, meetings and agreements through the API, on both engines.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_case_table_plans_a_meeting_records_minutes_and_follows_an_agreement_to_the_end() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Consuelo", "Rangel", "Durán", 57_000_001),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;

    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa técnica de casos de Badajoz", "level": "3", "frequency": "fortnightly", "first_meeting_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap().to_string();
    let (sexpe_user, sexpe_org) = who(&app, SEXPE_BADAJOZ).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/members"),
            &json!({"organisation_id": sexpe_org, "user_id": sexpe_user, "role": "reference_technician"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(CASE_MANAGER, &format!("/bodies/{body}")).await;
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["planned"][0]["on"], "2026-11-24");
    assert_eq!(
        r.body["planned"][1]["on"], "2026-12-09",
        "fortnightly from 24 November; 8 December is a national holiday"
    );
    assert_eq!(r.body["planned"][1]["moved_from"], "2026-12-08");
    assert_eq!(r.body["planned"][2]["on"], "2026-12-22");

    // A meeting that ends before it starts is refused, field by field.
    let meeting = json!({"date": "2026-11-26", "starts": "10:00", "ends": "09:00", "mode": "in_person", "place": "Centro de Servicios Sociales", "topics": "Coordinación con el SEXPE", "cases": [case]});
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/meetings"), &meeting)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        [(
            "ends".to_string(),
            "coordination.meeting.ends_before".to_string()
        )]
    );
    // A day decades away is a typing slip, named on the date.
    let mut far = meeting.clone();
    far["ends"] = json!("11:30");
    far["date"] = json!("2062-11-26");
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/meetings"), &far)
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "date".to_string(),
            "coordination.meeting.date_far".to_string()
        )]
    );
    let mut ok = meeting.clone();
    ok["ends"] = json!("11:30");
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/meetings"), &ok)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let m1 = r.body["id"].as_str().unwrap().to_string();

    // The case manager sees the person on the agenda; the employment counsellor, who
    // has no basis for her, sees that a case is there and nothing else.
    let r = app.get(CASE_MANAGER, &format!("/meetings/{m1}")).await;
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["participant_name"], "Consuelo Rangel Durán");
    let r = app.get(SEXPE_BADAJOZ, &format!("/meetings/{m1}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"][1]["visible"], false);
    assert!(!r.body.to_string().contains("Rangel"));
    let topic = items[0]["id"].as_str().unwrap().to_string();
    let members = r.body["members"].as_array().unwrap().clone();

    // Attendance, minutes, an agreement owned by a member about the case on the agenda.
    let rows: Vec<Value> = members
        .iter()
        .map(|m| json!({"member_id": m["id"], "attendance": if m["user_id"] == sexpe_user.as_str() { "excused" } else { "present" }}))
        .collect();
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m1}/attendance"),
            &json!(rows),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m1}/attendance"),
            &json!([{"member_id": uuid::Uuid::nil(), "attendance": "present"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m1}/items/{topic}/minutes"),
            &json!({"minutes": "Se acuerda coordinar la derivación a formación."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // What the table says of Consuelo — the minutes of her item, an agreement about
    // her — reaches no member who may not see her, and none of them writes it.
    let case_item = items[1]["id"].as_str().unwrap().to_string();
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m1}/items/{case_item}/minutes"),
            &json!({"minutes": "Consuelo pide apoyo con el cuidado de su madre."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (cm_user, _) = who(&app, CASE_MANAGER).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/agreements"),
            &json!({"text": "Consuelo: valorar plaza en centro de día para su madre", "owner": format!("user:{cm_user}"), "due_on": "2026-12-15", "case_id": case}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let own = r.body["id"].as_str().unwrap().to_string();
    // Her request to see her record carries what the table said of her and agreed
    // about her, and who read the meeting.
    let r = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(57_000_001), "reference": "RE-2026/0077"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let k = &r.body["records"][0]["cases"][0];
    assert_eq!(
        k["discussions"][0]["minutes"],
        "Consuelo pide apoyo con el cuidado de su madre."
    );
    assert_eq!(
        k["discussions"][0]["body_name"],
        "Mesa técnica de casos de Badajoz"
    );
    assert_eq!(
        k["agreements"][0]["text"],
        "Consuelo: valorar plaza en centro de día para su madre"
    );
    assert_eq!(k["agreements"][0]["status"], "open");
    let accesses = r.body["records"][0]["accesses"].to_string();
    assert!(accesses.contains("meeting.read"), "{accesses}");
    assert!(accesses.contains("agreement.create"), "{accesses}");
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    let (status, html, _) = b
        .post_form(
            "/privacy/access",
            &[
                ("document", &dni(57_000_001)),
                ("reference", "RE-2026/0078"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Reuniones de coordinación que trataron el caso"),
        "{html}"
    );
    assert!(html.contains("Consuelo pide apoyo con el cuidado de su madre."));
    assert!(html.contains("valorar plaza en centro de día"));
    let r = app.get(SEXPE_BADAJOZ, &format!("/meetings/{m1}")).await;
    assert!(!r.body.to_string().contains("Consuelo"), "{}", r.body);
    assert_eq!(r.body["items"][1]["minutes"], Value::Null);
    assert_eq!(r.body["items"][1]["case_id"], Value::Null);
    let hidden = r.body["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == own.as_str())
        .expect("listed")
        .clone();
    assert_eq!(
        (&hidden["hidden"], &hidden["case_id"]),
        (&json!(true), &Value::Null)
    );
    let r = app.get(SEXPE_BADAJOZ, &format!("/bodies/{body}")).await;
    assert!(!r.body.to_string().contains("Consuelo"), "{}", r.body);
    let r = app.get(CASE_MANAGER, &format!("/meetings/{m1}")).await;
    assert!(r.body.to_string().contains("centro de día"), "{}", r.body);
    let r = app
        .put(
            SEXPE_BADAJOZ,
            &format!("/meetings/{m1}/items/{case_item}/minutes"),
            &json!({"minutes": "Otra cosa"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "minutes".to_string(),
            "coordination.case_unknown".to_string()
        )]
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/agreements/{own}/status"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "status".to_string(),
            "coordination.case_unknown".to_string()
        )]
    );
    let (ngo_user, _) = who(&app, NGO_BADAJOZ).await;
    let agreement = |owner: &str, case_id: &str| json!({"text": "Derivar a Consuelo al curso de cocina", "owner": owner, "due_on": "2026-11-27", "case_id": case_id});
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/agreements"),
            &agreement(&format!("user:{ngo_user}"), &case),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "owner".to_string(),
            "coordination.owner_not_member".to_string()
        )]
    );
    let other_case = app
        .open_case(
            SOCIAL_BADAJOZ,
            &app.register(SOCIAL_BADAJOZ, &person("Otra", "Persona", "", 57_000_002))
                .await,
            CASE_MANAGER,
        )
        .await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/agreements"),
            &agreement(&format!("user:{sexpe_user}"), &other_case),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "case_id".to_string(),
            "coordination.case_not_on_agenda".to_string()
        )]
    );
    // The employment counsellor may not see Consuelo: an agreement about her is not
    // theirs to own (its words would name her) until her consent covers them.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/agreements"),
            &agreement(&format!("user:{sexpe_user}"), &case),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "owner".to_string(),
            "coordination.owner_cannot_see_case".to_string()
        )]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-20", "evidence": "Firma en papel",
                    "organisation_kinds": ["employment_service"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/agreements"),
            &agreement(&format!("user:{sexpe_user}"), &case),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ag = r.body["id"].as_str().unwrap().to_string();

    // It is in its owner's work list, whose audit entry names its case.
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert_eq!(
        r.body["agreements_due"][0]["id"],
        ag.as_str(),
        "{:?}",
        r.body
    );
    assert_eq!(
        count_id(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_read_log WHERE action = 'worklist.read' AND actor_user_id = $1 AND detail LIKE '%{case}%'"
            ),
            &sexpe_user
        )
        .await,
        1
    );
    assert!(r.body["counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c[0] == "agreements_due" && c[1] == 1));

    // Minutes are approved by who runs the body, once the meeting is held; then
    // they are frozen.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/approval"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:coordination.minutes.not_yet_held"
    );
    assert_eq!(
        app.get(CASE_MANAGER, &format!("/meetings/{m1}")).await.body["may_approve"],
        false
    );
    app.clock.advance(chrono::Duration::days(4));
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/meetings/{m1}/approval"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a member, not the chair");
    assert_eq!(
        app.get(CASE_MANAGER, &format!("/meetings/{m1}")).await.body["may_approve"],
        true
    );
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{m1}/approval"),
            &json!({}),
        )
        .await;
    app.clock.advance(chrono::Duration::days(-4));
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m1}/items/{topic}/minutes"),
            &json!({"minutes": "otra cosa"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:coordination.minutes.frozen"
    );

    // The next meeting's agenda starts with the open agreement; there it is done.
    let next = json!({"date": "2026-12-10", "starts": "10:00", "ends": "11:00", "mode": "virtual", "link": "https://reunion.example.org/mesa"});
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/meetings"), &next)
        .await;
    let m2 = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(CASE_MANAGER, &format!("/meetings/{m2}")).await;
    assert_eq!(r.body["items"][0]["kind"], "followup");
    assert_eq!(r.body["items"][0]["agreement_id"], ag.as_str());
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/agreements/{ag}/status"),
            &json!({"status": "dropped"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "reason".to_string(),
            "coordination.agreement.reason_required".to_string()
        )]
    );
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/agreements/{ag}/status"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert!(r.body["agreements_due"].as_array().unwrap().is_empty());
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={ag}"))
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"agreement.create") && actions.contains(&"agreement.status"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_programme_table_never_puts_a_case_on_its_agenda_and_outsiders_see_nothing() {
    let app = spawn_app().await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/bodies",
            &json!({"name": "x", "level": "3", "frequency": "monthly"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a social worker does not convene"
    );
    // A programme table sees its programme's figures: a case manager convenes one
    // only for a programme their organisation works in.
    let r = app
        .post(ADMIN, "/programmes", &json!({"code": "ajeno", "name": "Programa ajeno", "phases": "intake\nplan", "active": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let other = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(CASE_MANAGER, "/bodies", &json!({"name": "Comisión ajena", "level": "1", "programme_id": other, "frequency": "quarterly"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [("level".into(), "coordination.level_needs_aggregates".into())]
    );
    let r = app
        .post(COORDINATOR, "/bodies", &json!({"name": "Comisión ajena", "level": "1", "programme_id": other, "frequency": "quarterly"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(COORDINATOR, "/bodies", &json!({"name": "Comisión de seguimiento CRISOL", "level": "1", "frequency": "quarterly"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "programme_id".to_string(),
            "coordination.level1_programme".to_string()
        )]
    );
    let programme = app.programme("CRISOL").await;
    let r = app
        .post(COORDINATOR, "/bodies", &json!({"name": "Comisión de seguimiento CRISOL", "level": "1", "frequency": "quarterly", "programme_id": programme}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap().to_string();
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Nombre", "Secreto", "", 57_000_003))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let r = app
        .post(
            COORDINATOR,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-12-15", "starts": "09:30", "ends": "11:00", "mode": "in_person", "place": "Mérida", "cases": [case]}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "cases.0".to_string(),
            "coordination.case_on_level".to_string()
        )]
    );
    // Someone who is not a member sees neither the body nor its meetings.
    assert_eq!(
        app.get(SOCIAL_MERIDA, &format!("/bodies/{body}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(app
        .get(SOCIAL_MERIDA, "/bodies")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    let r = app.get(COORDINATOR, "/bodies").await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        2,
        "CRISOL's and the other one"
    );
}

#[tokio::test]
async fn the_pages_convene_a_table_plan_a_meeting_and_record_an_agreement() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Amparo", "Cidoncha", "", 57_000_010),
        )
        .await;
    app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (status, html) = b.page("/bodies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("no es miembro de ninguna mesa"));
    assert!(!html.contains("⟨?⟩"));
    // A level-1 table without its programme: the field says so, what was typed stays.
    let (status, html, _) = b
        .post_form(
            "/bodies",
            &[
                ("name", "Comisión CRISOL"),
                ("level", "1"),
                ("frequency", "monthly"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Una mesa de nivel 1 (programa) necesita su programa."));
    assert!(html.contains("value=\"Comisión CRISOL\""));
    let (status, _, location) = b
        .post_form(
            "/bodies",
            &[
                ("name", "Mesa de casos"),
                ("level", "3"),
                ("frequency", "fortnightly"),
                ("first_meeting_on", "2026-11-24"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let body = location.unwrap();
    let (_, sexpe_org) = who(&app, SEXPE_BADAJOZ).await;
    let (status, _, _) = b
        .post_form(
            &format!("{body}/members"),
            &[
                ("organisation_id", &sexpe_org),
                ("username", SEXPE_BADAJOZ),
                ("role", "reference_technician"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = b.page(&body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("técnico/a de referencia"));
    assert!(
        html.contains("Amparo Cidoncha"),
        "the manager's cases are offered for the agenda"
    );
    assert!(!html.contains("⟨?⟩"));
    let case = html
        .split("name=\"cases\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let (status, html, _) = b
        .post_form(
            &format!("{body}/meetings"),
            &[
                ("date", "2026-11-26"),
                ("starts", "12:00"),
                ("ends", "11:00"),
                ("mode", "virtual"),
                ("link", "https://x.example.org"),
                ("cases", &case),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("La reunión debe terminar después de empezar."));
    let (status, _, location) = b
        .post_form(
            &format!("{body}/meetings"),
            &[
                ("date", "2026-11-26"),
                ("starts", "10:00"),
                ("ends", "11:00"),
                ("mode", "virtual"),
                ("link", "https://x.example.org"),
                ("topics", "Plan de empleo"),
                ("cases", &case),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let meeting = location.unwrap();
    let (status, html) = b.page(&meeting).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Caso: Amparo Cidoncha"));
    assert!(!html.contains("⟨?⟩"));
    // No owner: the field says so and the text stays.
    let (status, html, _) = b
        .post_form(
            &format!("{meeting}/agreements"),
            &[
                ("text", "Inscribir en el curso"),
                ("owner", ""),
                ("due_on", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Elija quién se encarga del acuerdo."));
    assert!(html.contains("Inscribir en el curso"));
    let owner = html
        .split("<option value=\"user:")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .map(|id| format!("user:{id}"))
        .unwrap();
    // The employment counsellor may not see Amparo: an agreement about her is not
    // theirs to own; the form says so and keeps what was typed.
    let (status, html, _) = b
        .post_form(
            &format!("{meeting}/agreements"),
            &[
                ("text", "Inscribir en el curso"),
                ("owner", &owner),
                ("due_on", "2026-11-30"),
                ("case_id", &case),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("El responsable no puede ver a la persona de ese expediente"));
    assert!(html.contains("Inscribir en el curso"));
    let (status, _, _) = b
        .post_form(
            &format!("{meeting}/agreements"),
            &[
                ("text", "Inscribir en el curso"),
                ("owner", &owner),
                ("due_on", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The employment counsellor finds it in the work list.
    let o = Browser::new(&app.base);
    o.login(SEXPE_BADAJOZ).await;
    let (_, home) = o.page("/").await;
    assert!(
        home.contains("Inscribir en el curso"),
        "in the owner's work list"
    );
    let (_, html) = o.page(&meeting).await;
    assert!(html.contains("Un caso que usted no puede ver"));
    assert!(!html.contains("Cidoncha"));

    // Two pages of the record open at once: what one saves is not undone by the
    // other, and a change of the same item meanwhile is not written over.
    let (_, html) = b.page(&meeting).await;
    let items: Vec<String> = html
        .split("name=\"item\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    assert_eq!(items.len(), 2, "{html}");
    let record = |texts: [&'static str; 2]| {
        let items = items.clone();
        let b = &b;
        let meeting = meeting.clone();
        async move {
            b.post_form(
                &format!("{meeting}/record"),
                &[
                    ("item", items[0].as_str()),
                    ("was", ""),
                    ("minutes", texts[0]),
                    ("item", items[1].as_str()),
                    ("was", ""),
                    ("minutes", texts[1]),
                ],
            )
            .await
        }
    };
    let (status, _, _) = record(["Primera acta", ""]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = record(["", "Segunda acta"]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&meeting).await;
    assert!(
        html.contains("Primera acta") && html.contains("Segunda acta"),
        "{html}"
    );
    let (status, html, _) = record(["Otra cosa", ""]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Otra persona ha cambiado el acta"), "{html}");
    assert!(
        html.contains("Texto guardado ahora:") && html.contains("Otra cosa"),
        "{html}"
    );

    // Dropping an agreement needs a reason: the page says so beside the field.
    let (_, html) = b.page(&meeting).await;
    let agreement = html
        .split("action=\"/agreements/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let meeting_id = meeting.trim_start_matches("/meetings/").to_string();
    let (status, html, _) = b
        .post_form(
            &format!("/agreements/{agreement}/status"),
            &[
                ("status", "dropped"),
                ("reason", ""),
                ("meeting", &meeting_id),
                ("back", &format!("{meeting}#agreements")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(r#"id="reason-{agreement}-error""#)),
        "{html}"
    );
    let (status, _, _) = b
        .post_form(
            &format!("/agreements/{agreement}/status"),
            &[
                ("status", "dropped"),
                ("reason", "La persona ya no está en el programa"),
                ("meeting", &meeting_id),
                ("back", &format!("{meeting}#agreements")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&meeting).await;
    assert!(html.contains("Reabrir el acuerdo"), "{html}");
}

#[tokio::test]
async fn the_calendar_feed_carries_the_meetings_and_no_person_and_can_be_revoked() {
    use icalendar::{Calendar, CalendarComponent, Component};
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Nieves", "Escobar", "", 57_000_020))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa de casos; Badajoz, sur", "level": "3", "frequency": "monthly"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    for (date, topics) in [("2026-11-26", "Casos nuevos"), ("2026-12-17", "")] {
        let r = app
            .post(
                CASE_MANAGER,
                &format!("/bodies/{body}/meetings"),
                &json!({"date": date, "starts": "09:30", "ends": "11:00", "mode": "in_person", "place": "Sala 2, Centro Cívico", "topics": topics, "cases": [case]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app
        .get(CASE_MANAGER, "/calendar?from=2026-11-01&to=2026-12-31")
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = app.post(CASE_MANAGER, "/calendar/feed", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let path = r.body["path"].as_str().unwrap().to_string();
    let fetch = |p: String| {
        let client = app.client.clone();
        let url = format!("{}{p}", app.base);
        async move { client.get(url).send().await.unwrap() }
    };
    let resp = fetch(path.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = resp.text().await.unwrap();
    assert!(!text.contains("Escobar"), "no participant in the feed");
    // Parsed back by an iCalendar library: two events, with the body's name and place.
    let cal: Calendar = text.parse().unwrap();
    let events: Vec<_> = cal
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].get_summary(), Some("Mesa de casos; Badajoz, sur"));
    assert_eq!(
        events[0].property_value("LOCATION"),
        Some("Sala 2, Centro Cívico")
    );
    assert!(events[0].get_uid().unwrap().ends_with("@itinera"));
    // Its times are instants: 09:30 in Badajoz is 08:30 UTC in winter.
    assert!(
        text.contains("DTSTART:20261126T083000Z") && text.contains("DTSTART:20261217T083000Z"),
        "{text}"
    );
    // A new link revokes the old one; revoking leaves none.
    let r = app.post(CASE_MANAGER, "/calendar/feed", &json!({})).await;
    let new_path = r.body["path"].as_str().unwrap().to_string();
    assert_eq!(fetch(path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(fetch(new_path.clone()).await.status(), StatusCode::OK);
    assert_eq!(
        app.delete(CASE_MANAGER, "/calendar/feed").await.status,
        StatusCode::OK
    );
    assert_eq!(fetch(new_path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        fetch("/calendar/feed/cal_guess.ics".into()).await.status(),
        StatusCode::NOT_FOUND
    );
    // A feed made with an API token ends with the token: revoked, or expired.
    let r = app.post(CASE_MANAGER, "/calendar/feed", &json!({})).await;
    let by_token = r.body["path"].as_str().unwrap().to_string();
    assert_eq!(fetch(by_token.clone()).await.status(), StatusCode::OK);
    let of_manager = format!("user_id = (SELECT id FROM users WHERE username = '{CASE_MANAGER}')");
    exec_plain(
        &app,
        &format!("UPDATE api_tokens SET expires_at = created_at WHERE {of_manager}"),
    )
    .await;
    assert_eq!(
        fetch(by_token.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    exec_plain(
        &app,
        &format!(
            "UPDATE api_tokens SET expires_at = NULL, revoked_at = created_at WHERE {of_manager}"
        ),
    )
    .await;
    assert_eq!(
        fetch(by_token.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    // The token back in use: its feed answers again (it was never revoked itself).
    exec_plain(
        &app,
        &format!("UPDATE api_tokens SET revoked_at = NULL WHERE {of_manager}"),
    )
    .await;
    assert_eq!(fetch(by_token).await.status(), StatusCode::OK);
    // The page, with its month grid.
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (status, html) = b.page("/calendar?month=2026-12").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("diciembre 2026"));
    assert!(html.contains("09:30 Mesa de casos; Badajoz, sur"));
    // The page knows the feed is live while its token is, and not after.
    assert!(html.contains("Crear un enlace nuevo"), "a live feed");
    exec_plain(
        &app,
        &format!("UPDATE api_tokens SET expires_at = created_at WHERE {of_manager}"),
    )
    .await;
    let (_, html) = b.page("/calendar?month=2026-12").await;
    assert!(
        html.contains("Crear el enlace") && !html.contains("Crear un enlace nuevo"),
        "the feed ended with its token"
    );
    let (status, html, _) = b.post_form("/calendar/feed", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/calendar/feed/cal_"));
}

#[tokio::test]
async fn network_agreements_are_recorded_searched_and_counted() {
    let app = spawn_app().await;
    let (_, social) = who(&app, SOCIAL_BADAJOZ).await;
    let (_, sexpe) = who(&app, SEXPE_BADAJOZ).await;
    let programme = app.programme("CRISOL").await;
    let r = app
        .post(COORDINATOR, "/network-agreements", &json!({"subject": "Protocolo de derivación", "kind": "protocol", "parties": [social], "signed_on": "2025-01-10"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "parties".to_string(),
            "coordination.network.two_parties".to_string()
        )]
    );
    let r = app
        .post(
            COORDINATOR,
            "/network-agreements",
            &json!({"subject": "Protocolo de derivación entre servicios sociales y empleo", "kind": "protocol", "parties": [social, sexpe],
                    "signed_on": "2025-01-10", "valid_until": "2027-01-09", "document_ref": "BOP Badajoz 12/2025", "programmes": [programme]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(COORDINATOR, "/network-agreements", &json!({"subject": "Convenio antiguo", "kind": "collaboration", "parties": [social, sexpe], "signed_on": "2020-01-01", "valid_until": "2021-12-31"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.post(SOCIAL_BADAJOZ, "/network-agreements", &json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A case manager records only agreements its organisation is a party to, and none
    // signed in the future.
    let (_, own) = who(&app, CASE_MANAGER).await;
    let (_, ngo) = who(&app, NGO_BADAJOZ).await;
    assert!(own != ngo && own != sexpe);
    let r = app
        .post(CASE_MANAGER, "/network-agreements", &json!({"subject": "Protocolo ajeno", "kind": "protocol", "parties": [ngo, sexpe], "signed_on": "2025-01-10"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [("parties".to_string(), "network.not_a_party".to_string())]
    );
    let r = app
        .post(CASE_MANAGER, "/network-agreements", &json!({"subject": "Protocolo futuro", "kind": "protocol", "parties": [own, sexpe], "signed_on": "2027-01-10"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "signed_on".to_string(),
            "validation.date.future".to_string()
        )]
    );
    let r = app.get(SOCIAL_BADAJOZ, "/network-agreements").await;
    assert_eq!(
        (r.body["total"].as_u64(), r.body["in_force"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r.body["items"][0]["programmes"][0], "CRISOL");
    let r = app
        .get(SOCIAL_BADAJOZ, "/network-agreements?q=derivacion")
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["in_force"], true);
    let b = Browser::new(&app.base);
    b.login(COORDINATOR).await;
    let (status, html) = b.page("/network-agreements?q=convenio").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Convenio antiguo"));
    assert!(html.contains("1 acuerdos, 0 en vigor hoy"));
    assert!(!html.contains("⟨?⟩"));

    // The bodies it serves: only bodies its author is a member of; named only to their
    // members; listed on the body's page.
    let r = app
        .post(
            COORDINATOR,
            "/bodies",
            &json!({"name": "Comisión CRISOL", "level": "1", "programme_id": programme, "frequency": "quarterly"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa ajena", "level": "3", "frequency": "weekly"}),
        )
        .await;
    let other = r.body["id"].as_str().unwrap().to_string();
    let serving = |bodies: Vec<&str>| json!({"subject": "Protocolo con las empresas de inserción", "kind": "protocol", "parties": [social, sexpe], "signed_on": "2026-01-15", "bodies": bodies});
    let r = app
        .post(COORDINATOR, "/network-agreements", &serving(vec![&other]))
        .await;
    assert_eq!(
        codes(&r.body),
        [("bodies".into(), "validation.choice".into())]
    );
    let r = app
        .post(COORDINATOR, "/network-agreements", &serving(vec![&body]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .get(COORDINATOR, &format!("/network-agreements?body={body}"))
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["bodies"][0], "Comisión CRISOL");
    let r = app
        .get(SOCIAL_BADAJOZ, "/network-agreements?q=inserción")
        .await;
    assert_eq!(r.body["total"], 1);
    assert!(
        r.body["items"][0]["bodies"].as_array().unwrap().is_empty(),
        "a non-member is not told the body"
    );
    let r = app.get(COORDINATOR, &format!("/bodies/{body}")).await;
    assert_eq!(
        r.body["network_agreements"][0]["subject"],
        "Protocolo con las empresas de inserción"
    );
}

#[tokio::test]
async fn the_owner_is_notified_when_an_agreement_is_assigned_and_when_it_is_overdue() {
    let app = spawn_app().await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa", "level": "3", "frequency": "weekly"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    let (sexpe_user, sexpe_org) = who(&app, SEXPE_BADAJOZ).await;
    app.post(
        CASE_MANAGER,
        &format!("/bodies/{body}/members"),
        &json!({"organisation_id": sexpe_org, "user_id": sexpe_user, "role": "member"}),
    )
    .await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-24", "starts": "10:00", "ends": "11:00", "mode": "virtual", "link": "https://x.example.org"}),
        )
        .await;
    let meeting = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{meeting}/agreements"),
            &json!({"text": "Revisar las ofertas", "owner": format!("user:{sexpe_user}"), "due_on": "2026-11-25"}),
        )
        .await;
    let ag = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(SEXPE_BADAJOZ, "/notifications").await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["kind"], "agreement_assigned");
    assert_eq!(
        app.post(SEXPE_BADAJOZ, "/notifications/read", &json!({}))
            .await
            .body["read"],
        1
    );
    assert!(app
        .get(SEXPE_BADAJOZ, "/notifications")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // Two days later it is overdue: the work list tells the owner, once.
    app.clock.advance(chrono::Duration::days(3));
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert_eq!(r.body["agreements_due"][0]["overdue"], true);
    assert_eq!(r.body["notifications"][0]["kind"], "agreement_overdue");
    assert_eq!(r.body["notifications"][0]["agreement_id"], ag.as_str());
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert_eq!(r.body["notifications"].as_array().unwrap().len(), 1);
    let b = Browser::new(&app.base);
    b.login(SEXPE_BADAJOZ).await;
    let (_, html) = b.page("/").await;
    assert!(html.contains("Acuerdo vencido: Revisar las ofertas"));
    // "Mark read" marks what the page showed: a notice that came since stays unread.
    let shown: Vec<String> = app
        .get(SEXPE_BADAJOZ, "/notifications")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert!(html.contains(&shown.join(",")), "{html}");
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{meeting}/agreements"),
            &json!({"text": "Llamar a la empresa", "owner": format!("user:{sexpe_user}"), "due_on": "2026-12-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (status, _, _) = b
        .post_form("/notifications/read", &[("shown", &shown.join(","))])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page("/").await;
    assert!(!html.contains("Acuerdo vencido"));
    let left = app.get(SEXPE_BADAJOZ, "/notifications").await.body;
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["kind"], "agreement_assigned");
    let (status, _, _) = b.post_form("/notifications/read", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(app
        .get(SEXPE_BADAJOZ, "/notifications")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_body_is_edited_its_members_change_and_the_minutes_are_exported() {
    let app = spawn_app().await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa técnica", "level": "3", "frequency": "monthly"}),
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
    let sexpe_member = r.body["id"].as_str().unwrap().to_string();

    // Editing keeps the level; a bad frequency is a field error and changes nothing.
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/bodies/{body}"),
            &json!({"name": "Mesa técnica de casos (Badajoz)", "level": "1", "frequency": "custom", "custom_days": "0"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("custom_days".into(), "coordination.custom_days".into())]
    );
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/bodies/{body}"),
            &json!({"name": "Mesa técnica de casos (Badajoz)", "level": "1", "frequency": "weekly", "first_meeting_on": "2026-11-25", "description": "Casos compartidos"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(CASE_MANAGER, &format!("/bodies/{body}")).await;
    assert_eq!(r.body["body"]["name"], "Mesa técnica de casos (Badajoz)");
    assert_eq!(r.body["body"]["level"], 3, "the level stays");
    assert_eq!(r.body["planned"][1]["on"], "2026-12-02");
    assert_eq!(
        app.put(
            SEXPE_BADAJOZ,
            &format!("/bodies/{body}"),
            &json!({"name": "x", "frequency": "weekly"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // The only chair cannot leave or step down; once another chairs, they can.
    let chair = r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "chair")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .delete(CASE_MANAGER, &format!("/bodies/{body}/members/{chair}"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:coordination.last_chair"
    );
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/bodies/{body}/members/{sexpe_member}"),
            &json!({"role": "chair"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/bodies/{body}/members/{chair}"),
            &json!({"role": "secretary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // A meeting with minutes, exported as text.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-25", "starts": "10:00", "ends": "11:00", "mode": "in_person", "place": "Sala 3", "topics": "Calendario de seguimiento"}),
        )
        .await;
    let meeting = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(CASE_MANAGER, &format!("/meetings/{meeting}")).await;
    let item = r.body["items"][0]["id"].as_str().unwrap().to_string();
    app.put(
        CASE_MANAGER,
        &format!("/meetings/{meeting}/items/{item}/minutes"),
        &json!({"minutes": "Se acuerda un calendario quincenal.\nRevisión en enero."}),
    )
    .await;
    app.put(
        CASE_MANAGER,
        &format!("/meetings/{meeting}/attendance"),
        &json!([{"member_id": sexpe_member, "attendance": "present"}]),
    )
    .await;
    let r = app
        .client
        .get(format!(
            "{}/api/v1/meetings/{meeting}/minutes.txt",
            app.base
        ))
        .bearer_auth(app.token(SEXPE_BADAJOZ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("acta-2026-11-25.txt"));
    let text = r.text().await.unwrap();
    // The file is named in the reader's language.
    let it = app
        .client
        .get(format!(
            "{}/api/v1/meetings/{meeting}/minutes.txt",
            app.base
        ))
        .bearer_auth(app.token(SEXPE_BADAJOZ))
        .header("accept-language", "it")
        .send()
        .await
        .unwrap();
    assert!(it.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("verbale-2026-11-25.txt"));
    assert!(
        text.starts_with("Mesa técnica de casos (Badajoz) — 25/11/2026 10:00–11:00\n"),
        "{text}"
    );
    assert!(text.contains("1. Calendario de seguimiento\n   Se acuerda un calendario quincenal.\n   Revisión en enero.\n"), "{text}");
    assert!(
        text.contains("Centro de Empleo SEXPE Badajoz: asiste\n"),
        "{text}"
    );
    assert!(text.contains("Acta en borrador"), "{text}");

    // A member removed no longer sees the body; their attendance stays in the minutes.
    let r = app
        .delete(
            CASE_MANAGER,
            &format!("/bodies/{body}/members/{sexpe_member}"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the only chair now"
    );
    app.put(
        CASE_MANAGER,
        &format!("/bodies/{body}/members/{chair}"),
        &json!({"role": "chair"}),
    )
    .await;
    let r = app
        .delete(
            CASE_MANAGER,
            &format!("/bodies/{body}/members/{sexpe_member}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        app.get(SEXPE_BADAJOZ, &format!("/bodies/{body}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_demo_coordination_is_seeded_through_the_services_once() {
    let app = spawn_app().await;
    let now = start_time();
    assert!(itinera_seed::demo::coordination::seed(&app.services, now)
        .await
        .unwrap());
    assert!(!itinera_seed::demo::coordination::seed(&app.services, now)
        .await
        .unwrap());
    let r = app.get(COORDINATOR, "/bodies").await;
    let bodies = r.body.as_array().unwrap();
    let group = bodies.iter().find(|b| b["level"] == 1).unwrap();
    let id = group["id"].as_str().unwrap();
    let v = app.get(SEXPE_BADAJOZ, &format!("/bodies/{id}")).await;
    assert_eq!(v.body["meetings"].as_array().unwrap().len(), 3);
    assert_eq!(v.body["boards"].as_array().unwrap().len(), 1);
    let board = v.body["boards"][0]["id"].as_str().unwrap();
    let b = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert_eq!(b.body["state"], "open");
    assert_eq!(b.body["votes_left"], 1);
    // The report sees the two meetings held and the agreements.
    let r = app
        .get(SEXPE_BADAJOZ, &format!("/bodies/{id}/report"))
        .await;
    assert_eq!(r.body["held"], 2);
    assert_eq!(r.body["agreements"]["made"], 3);
    assert_eq!(r.body["agreements"]["done_on_time"], 1);
    // The guide is to read for the counsellor, read by the social worker.
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert_eq!(r.body["protocols_to_read"].as_array().unwrap().len(), 1);
    let r = app.get(SOCIAL_BADAJOZ, "/tasks").await;
    assert!(r.body["protocols_to_read"].as_array().unwrap().is_empty());
    let r = app.get(SEXPE_BADAJOZ, "/network-agreements").await;
    assert_eq!(r.body["in_force"], 1);
}

#[tokio::test]
async fn a_meeting_invites_some_members_and_only_they_have_it_in_their_calendar() {
    let app = spawn_app().await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa técnica", "level": "3", "frequency": "monthly"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for user in [SEXPE_BADAJOZ, NGO_BADAJOZ] {
        let (u, o) = who(&app, user).await;
        let r = app
            .post(
                CASE_MANAGER,
                &format!("/bodies/{body}/members"),
                &json!({"organisation_id": o, "user_id": u, "role": "member"}),
            )
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let chair = app.get(CASE_MANAGER, &format!("/bodies/{body}")).await.body["members"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // An invitee who is not a member is refused.
    let meeting = json!({"date": "2026-11-26", "starts": "10:00", "ends": "11:00", "mode": "in_person", "place": "Sala 2", "invited": [chair, uuid::Uuid::nil()]});
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/meetings"), &meeting)
        .await;
    assert_eq!(
        codes(&r.body),
        [("invited.1".into(), "coordination.not_a_member".into())]
    );
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-26", "starts": "10:00", "ends": "11:00", "mode": "in_person", "place": "Sala 2", "invited": [chair, ids[0]]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let m = r.body["id"].as_str().unwrap().to_string();
    let cal = |user: &'static str| {
        let app = &app;
        async move {
            app.get(user, "/calendar?from=2026-11-01&to=2026-11-30")
                .await
                .body
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(cal(SEXPE_BADAJOZ).await, 1);
    assert_eq!(cal(NGO_BADAJOZ).await, 0, "a member not invited");
    // Attendance is for the invited only.
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/meetings/{m}/attendance"),
            &json!([{"member_id": ids[1], "attendance": "present"}]),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "attendance.0.member".into(),
            "coordination.not_a_member".into()
        )]
    );
    let r = app.get(NGO_BADAJOZ, &format!("/meetings/{m}")).await;
    assert_eq!(r.body["invited"].as_array().unwrap().len(), 2);
    // Without a list, everyone is invited.
    app.post(
        CASE_MANAGER,
        &format!("/bodies/{body}/meetings"),
        &json!({"date": "2026-11-27", "starts": "10:00", "ends": "11:00", "mode": "in_person", "place": "Sala 2"}),
    )
    .await;
    assert_eq!(cal(NGO_BADAJOZ).await, 1);
    // A member named later is invited to the meetings that invite everyone.
    let (u, o) = who(&app, SOCIAL_MERIDA).await;
    app.post(
        CASE_MANAGER,
        &format!("/bodies/{body}/members"),
        &json!({"organisation_id": o, "user_id": u, "role": "member"}),
    )
    .await;
    assert_eq!(cal(SOCIAL_MERIDA).await, 1);
}

#[tokio::test]
async fn a_planned_date_is_convened_from_the_body_page() {
    let app = spawn_app().await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Mesa quincenal", "level": "3", "frequency": "fortnightly", "first_meeting_on": "2026-11-24"}),
        )
        .await;
    let body = r.body["id"].as_str().unwrap().to_string();
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (_, html) = b.page(&format!("/bodies/{body}")).await;
    assert!(
        html.contains(&format!("/bodies/{body}?date=2026-12-09#new-meeting")),
        "{html}"
    );
    assert!(
        html.contains("en lugar del 08/12/2026"),
        "the holiday the proposal moved from is named: {html}"
    );
    let (_, html) = b.page(&format!("/bodies/{body}?date=2026-12-09")).await;
    assert!(
        html.contains("name=\"date\" type=\"date\" value=\"2026-12-09\""),
        "{html}"
    );
    let (status, _, _) = b
        .post_form(
            &format!("/bodies/{body}/meetings"),
            &[
                ("date", "2026-12-09"),
                ("starts", "10:00"),
                ("ends", "11:00"),
                ("mode", "in_person"),
                ("place", "Sala 1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&format!("/bodies/{body}")).await;
    assert!(!html.contains("?date=2026-12-09#new-meeting"));
    assert!(html.contains("convocada"));
}
