//! Benefits through the API and the pages: recorded by a writer on the case's team,
//! checked field by field (nothing half-applied), changed at the version read, shown
//! beside the itinerary while current, in the work list while they end within 30 days
//! or their review is due, and seen only by whoever may see the person.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn imv() -> Value {
    json!({"benefit_type": "es_imv", "granting_body": "INSS", "amount": "604,21", "period": "month",
           "start_on": "2026-06-01", "end_on": "2026-12-15", "status": "granted",
           "conditions": "Seguir el itinerario acordado", "review_on": "2027-03-01"})
}

fn due_ids(w: &Value) -> Vec<String> {
    w["benefits_due"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["item_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_benefit_is_recorded_changed_and_planned_beside_the_itinerary() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Reme", "Cordero", "Ávila", 9_301))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let path = format!("/cases/{case}/benefits");

    // Bad input: one message per field, in the reader's language, nothing saved.
    let r = app
        .post_lang(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"benefit_type": "es_lottery", "amount": "12,3,4x", "start_on": "2026-06-01",
                    "end_on": "2026-05-01", "status": "granted"}),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|c| c.0).collect();
    assert_eq!(
        fields,
        ["benefit_type", "granting_body", "amount", "end_on"],
        "{:?}",
        r.body
    );
    assert!(
        r.body.to_string().contains("Not a valid amount"),
        "{:?}",
        r.body
    );
    // An amount needs its period.
    let mut no_period = imv();
    no_period["period"] = json!("");
    let r = app.post(SOCIAL_BADAJOZ, &path, &no_period).await;
    assert_eq!(
        codes(&r.body),
        [("period".to_string(), "validation.required".to_string())]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM benefits").await, 0);

    let r = app.post(SOCIAL_BADAJOZ, &path, &imv()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &json!({"benefit_type": "es_alimentos", "granting_body": "Cáritas", "start_on": "2026-10-01",
                    "status": "granted"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "in kind, no amount: {:?}",
        r.body
    );

    let r = app.get(SOCIAL_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["can_write"], true);
    let list = r.body["benefits"].as_array().expect("benefits");
    assert_eq!(list.len(), 2);
    // The person who asks to see her data is told of them too.
    let a = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(9_301), "reference": "RE-2026/77"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let told = &a.body["records"][0]["benefits"];
    assert_eq!(told.as_array().map(Vec::len), Some(2), "{told}");
    assert!(told.to_string().contains("Cáritas"), "{told}");
    let b = list
        .iter()
        .find(|b| b["id"] == id.as_str())
        .expect("the IMV");
    assert_eq!(b["amount_cents"], 60_421);
    assert_eq!(b["in_force"], true);
    assert_eq!(b["ending_soon"], true, "ends 2026-12-15, today 2026-11-23");
    assert!(r.body["types"].as_array().expect("types").len() >= 12);

    // Beside the itinerary, and in the work list of the team.
    let it = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/itinerary"))
        .await;
    assert_eq!(it.body["benefits"].as_array().map(Vec::len), Some(2));
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert_eq!(due_ids(&w), vec![id.clone()], "{w:?}");

    // Changed at the version read; a stale version is refused and changes nothing.
    let mut ended = imv();
    ended["status"] = json!("ended");
    ended["end_on"] = json!("2026-11-30");
    ended["version"] = json!("7");
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/benefits/{id}"), &ended)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    ended["version"] = json!("1");
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/benefits/{id}"), &ended)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(SOCIAL_BADAJOZ, &format!("/benefits/{id}")).await;
    assert_eq!(r.body["benefit"]["status"], "ended");
    assert_eq!(r.body["benefit"]["version"], 2);
    let it = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/itinerary"))
        .await;
    assert_eq!(
        it.body["benefits"].as_array().map(Vec::len),
        Some(1),
        "an ended benefit leaves the itinerary's side"
    );
    assert!(due_ids(&app.get(SOCIAL_BADAJOZ, "/tasks").await.body).is_empty());

    // Nobody without a basis sees it: not another organisation, not the employment
    // office without consent; each read is in the audit log.
    for user in [SOCIAL_MERIDA, SEXPE_BADAJOZ, ADMIN, AUDITOR] {
        let r = app.get(user, &format!("/benefits/{id}")).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
            "{user}: {}",
            r.status
        );
        assert!(!r.body.to_string().contains("Cordero"));
        let r = app.put(user, &format!("/benefits/{id}"), &imv()).await;
        assert!(!r.status.is_success(), "{user}");
    }
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_read_log WHERE action = 'benefit.read'"
        )
        .await
            >= 2
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('benefit.create', 'benefit.update')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn only_a_writer_on_the_team_records_benefits_and_the_pages_keep_what_was_typed() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Tomasa", "Lucio", "Pérez", 9_302))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    // A case manager of the same service reads the person but is not on the team; the
    // employment office, not on the team and without consent, does not even read.
    let r = app
        .get(CASE_MANAGER, &format!("/cases/{case}/benefits"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["can_write"], false);
    let r = app
        .post(CASE_MANAGER, &format!("/cases/{case}/benefits"), &imv())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:itinera:problem:case.team.required");
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/benefits"), &imv())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // With consent and on the team, the employment counsellor records.
    app.share_with_employment(SOCIAL_BADAJOZ, &pid, &case, SEXPE_BADAJOZ)
        .await;
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/benefits"), &imv())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM benefits").await, 1);

    // The page: a rejected form comes back with what was typed and the field's message.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/cases/{case}/benefits")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ingreso Mínimo Vital"), "{html}");
    assert!(html.contains("604,21 €"));
    let form = [
        ("benefit_type", "es_renta_garantizada_ex"),
        ("granting_body", "Junta de Extremadura"),
        ("amount", "cuatrocientos"),
        ("period", "month"),
        ("start_on", "2026-09-01"),
        ("status", "granted"),
        ("conditions", "Compromiso de actividad"),
    ];
    let (status, html, _) = b.post_form(&format!("/cases/{case}/benefits"), &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"cuatrocientos\""));
    assert!(html.contains("Junta de Extremadura"));
    assert!(html.contains("Compromiso de actividad"));
    assert!(html.contains("Importe no válido"));
    let mut good = form;
    good[2] = ("amount", "1.120,50");
    let (status, _, location) = b.post_form(&format!("/cases/{case}/benefits"), &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/cases/{case}/benefits").as_str())
    );
    let (_, html) = b.page(&format!("/cases/{case}/benefits")).await;
    assert!(html.contains("1120,50 €"), "{html}");
    assert!(html.contains("Renta Garantizada (Extremadura)"));
    // Its edit page shows the amount as it was typed back.
    let id: String = {
        let r = app
            .get(SOCIAL_BADAJOZ, &format!("/cases/{case}/benefits"))
            .await;
        r.body["benefits"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|b| b["benefit_type"] == "es_renta_garantizada_ex")
            })
            .and_then(|b| b["id"].as_str())
            .expect("renta")
            .to_string()
    };
    let (status, html) = b.page(&format!("/benefits/{id}/edit?case={case}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"1120,50\""));
    let mut suspended = good.to_vec();
    suspended[5] = ("status", "suspended");
    suspended.push(("version", "1"));
    let (status, _, location) = b
        .post_form(&format!("/benefits/{id}/edit?case={case}"), &suspended)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/cases/{case}/benefits").as_str())
    );
    let r = app.get(SOCIAL_BADAJOZ, &format!("/benefits/{id}")).await;
    assert_eq!(r.body["benefit"]["status"], "suspended");
    assert_eq!(r.body["can_write"], true);
    // A case manager who reads the person but is not on the team is told so, and gets
    // no form to fill in vain.
    let r = app.get(CASE_MANAGER, &format!("/benefits/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["can_write"], false);
    let reader = Browser::new(&app.base);
    reader.login(CASE_MANAGER).await;
    let (status, html) = reader.page(&format!("/benefits/{id}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("name=\"version\""), "{html}");
    // Another organisation's browser sees neither the page nor the edit form.
    let m = Browser::new(&app.base);
    m.login(SOCIAL_MERIDA).await;
    for p in [
        format!("/cases/{case}/benefits"),
        format!("/benefits/{id}/edit"),
    ] {
        let (status, html) = m.page(&p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        assert!(!html.contains("Lucio"));
    }
}

#[tokio::test]
async fn the_work_list_says_when_it_shows_only_the_most_urgent() {
    let app = spawn_app().await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Ciriaco", "Benítez", "", 9_302))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let path = format!("/cases/{case}/benefits");
    // 205 benefits whose review is overdue, one a day from 1 January 2025: more than
    // the 200 a kind of the work list shows.
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..205 {
        let review = first + chrono::Duration::days(i);
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &path,
                &json!({"benefit_type": "es_alimentos", "granting_body": "Cáritas", "start_on": "2024-06-01",
                        "status": "granted", "review_on": review.to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    let due = w["benefits_due"].as_array().unwrap();
    assert_eq!(due.len(), 200);
    // The most urgent: the 200 oldest reviews, in order.
    let dates: Vec<&str> = due.iter().map(|i| i["due_on"].as_str().unwrap()).collect();
    assert_eq!(dates[0], "2025-01-01");
    assert_eq!(
        dates[199],
        (first + chrono::Duration::days(199)).to_string()
    );
    assert!(dates.windows(2).all(|d| d[0] <= d[1]));
    let counts: Vec<(String, u64)> = w["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_string(), c[1].as_u64().unwrap()))
        .collect();
    assert!(
        counts.contains(&("benefits_due".to_string(), 200)),
        "{counts:?}"
    );
    assert_eq!(w["more"], json!(["benefits_due"]), "{:?}", w["more"]);
    // The page says so: "200+" and why.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>200+</strong>"), "{html}");
    assert!(html.contains("se muestran los 200 más urgentes"), "{html}");
    // With fewer, no mark.
    let all = count(&app, "SELECT COUNT(*) FROM benefits").await;
    assert_eq!(all, 205);
    exec_plain(
        &app,
        "UPDATE benefits SET status = 'ended' WHERE review_on >= '2025-07-01'",
    )
    .await;
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    assert!(w["benefits_due"].as_array().unwrap().len() < 200);
    assert_eq!(w["more"], json!([]));
    let (_, html) = b.page("/").await;
    assert!(!html.contains("worklist-more"));
}
