//! A person's right to see their own record, answered by the data-protection office, on
//! both engines.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn the_data_protection_office_answers_a_persons_request_to_see_their_record() {
    let app = spawn_app().await;
    let pid = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Visitación", "Moreno", "Pajuelo", 58_100_200),
        )
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let path = format!("/cases/{case}/contacts");
    for (vis, summary) in [
        ("team", "Entrevista de acogida"),
        ("service", "Nota del servicio"),
        ("author", "Nota personal de la trabajadora"),
    ] {
        let r = app
            .post(
                CASE_MANAGER,
                &path,
                &json!({"kind": "individual_interview", "summary": summary, "visibility": vis}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // The employment office joins the team with her consent and keeps a note for its
    // own service: the answer gives her that note too.
    app.share_with_employment(CASE_MANAGER, &pid, &case, SEXPE_BADAJOZ)
        .await;
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &path,
            &json!({"kind": "individual_interview", "summary": "Nota del servicio de empleo", "visibility": "service"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Her case is suspended, with its reason: the answer tells her that too.
    let v = app
        .get(SOCIAL_BADAJOZ, &format!("/cases/{case}"))
        .await
        .body["case"]["version"]
        .clone();
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "suspend", "reason": "Baja temporal por enfermedad", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Someone reads the record: the person will see who.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
            .await
            .status,
        StatusCode::OK
    );
    // Lists show her too, and their entries name her only in their detail: the
    // employment office finds her by name, her case manager reads the caseload. A
    // search that does not find her is not about her.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            "/participants/search",
            &json!({"q": "Visitación Moreno"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.to_string().contains(&pid), "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_MERIDA,
            "/participants/search",
            &json!({"q": "Visitación Moreno"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!r.body.to_string().contains(&pid), "{:?}", r.body);
    let r = app.get(CASE_MANAGER, "/caseload").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.to_string().contains(&pid), "{:?}", r.body);
    let request = json!({"document": dni(58_100_200).to_lowercase(), "reference": "RE-2026/0042"});
    let r = app.post(AUDITOR, "/subject-access", &request).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let records = r.body["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec["participant"]["given_name"], "Visitación");
    assert_eq!(rec["cases"].as_array().unwrap().len(), 1);
    let summaries: Vec<&str> = rec["cases"][0]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.contains(&"Entrevista de acogida"),
        "{summaries:?}"
    );
    assert!(summaries.contains(&"Nota del servicio"), "{summaries:?}");
    assert!(
        summaries.contains(&"Nota del servicio de empleo"),
        "another organisation's note for its own service: {summaries:?}"
    );
    assert!(
        !summaries.contains(&"Nota personal de la trabajadora"),
        "a professional's private note stays out"
    );
    // Who worked her case, and what happened to it, with its reasons.
    let k = &rec["cases"][0];
    assert!(!k["team"].as_array().unwrap().is_empty(), "{k}");
    assert!(
        k["timeline"]
            .to_string()
            .contains("Baja temporal por enfermedad"),
        "{k}"
    );
    for kind in ["referrals", "courses", "contracts", "incidents", "reviews"] {
        assert!(k[kind].is_array(), "{kind}: {k}");
    }
    let accesses: Vec<(String, String)> = rec["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["who"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        accesses
            .iter()
            .any(|(a, w)| a == "participant.read" && w.contains("Trabajadora social")),
        "{accesses:?}"
    );
    assert!(
        accesses
            .iter()
            .any(|(a, _)| a == "case.create" || a == "case.open"),
        "{accesses:?}"
    );
    let searches: Vec<&String> = accesses
        .iter()
        .filter(|(a, _)| a == "participant.search")
        .map(|(_, w)| w)
        .collect();
    assert_eq!(
        searches.len(),
        1,
        "the search that found her, once: {accesses:?}"
    );
    assert!(searches[0].contains("Orientador laboral"), "{accesses:?}");
    assert_eq!(
        accesses
            .iter()
            .filter(|(a, _)| a == "caseload.read")
            .count(),
        1,
        "{accesses:?}"
    );
    // Newest first, each entry once.
    let times: Vec<&str> = rec["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(r.body["reference"], "RE-2026/0042");

    // The answer is in the audit log, with its reference.
    let r = app
        .get(AUDITOR, "/audit-entries?action=subject.access")
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["detail"]
        .as_str()
        .unwrap()
        .contains("RE-2026/0042"));

    // Only the data-protection office; a reference is required; an unknown document
    // gives no record.
    for user in [SOCIAL_BADAJOZ, ADMIN, PROGRAMME_MANAGER] {
        assert_eq!(
            app.post(user, "/subject-access", &request).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    let r = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(58_100_200), "reference": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        [("reference".to_string(), "validation.required".to_string())]
    );
    let r = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(58_100_201), "reference": "RE-1"}),
        )
        .await;
    assert_eq!(r.body["records"], Value::Array(vec![]));
}

#[tokio::test]
async fn the_answer_is_a_readable_page_and_a_file_to_take_away() {
    let app = spawn_app().await;
    app.register(
        SOCIAL_BADAJOZ,
        &person("Leocadia", "Fuentes", "Ruiz", 58_100_300),
    )
    .await;
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    let (status, html) = b.page("/privacy/access").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"reference\""));
    let doc = dni(58_100_300);
    let (status, html, _) = b
        .post_form("/privacy/access", &[("document", &doc), ("reference", "")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("value=\"{doc}\"")),
        "what was typed is kept"
    );
    let (status, html, _) = b
        .post_form(
            "/privacy/access",
            &[("document", &doc), ("reference", "RE-7")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Leocadia Fuentes Ruiz"), "{html}");
    assert!(html.contains("Quién ha consultado o modificado estos datos"));
    assert!(!html.contains("⟨?⟩"), "{html}");
    let csrf = b.csrf().await;
    let r = b
        .client
        .post(format!("{}/privacy/access", b.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("document", &doc),
            ("reference", "RE-8"),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment; filename=\"acceso-datos.json\""));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["records"][0]["participant"]["surname1"], "Fuentes");
    // Professionals do not reach the page.
    let w = Browser::new(&app.base);
    w.login(SOCIAL_BADAJOZ).await;
    assert_eq!(w.page("/privacy/access").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_record_of_processing_activities_is_generated_from_the_configuration() {
    let app = spawn_app().await;
    let r = app.get(AUDITOR, "/processing-record").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let kinds: Vec<&str> = r.body["controllers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"social_services") || kinds.len() >= 3,
        "{kinds:?}"
    );
    let special: Vec<&str> = r.body["data_categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["special"] == true)
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(special, ["health", "ethnic_origin"]);
    assert!(r.body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["programme_code"] == "CRISOL"));
    let sf = r.body["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "second_factor")
        .unwrap()
        .clone();
    assert_eq!(sf["setting"], "optional", "the demo's setting, as it is");
    assert_eq!(
        app.get(ADMIN, "/processing-record").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/processing-record").await.status,
        StatusCode::FORBIDDEN
    );
    // The page in the four languages, with no untranslated code.
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    for lang in ["es", "ca", "it", "en"] {
        b.client
            .post(format!("{}/language", app.base))
            .form(&[("lang", lang), ("back", "/")])
            .send()
            .await
            .unwrap();
        let (status, html) = b.page("/privacy/processing").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("⟨?⟩"), "{lang}: {html}");
        assert!(!html.contains("processing."), "{lang}: a raw code");
    }
}

/// The person index of a record (to join records as a match would).
async fn person_of(app: &TestApp, pid: &str) -> uuid::Uuid {
    let id = uuid::Uuid::parse_str(pid).expect("uuid");
    let mut tx = app.store.read().await.expect("tx");
    let p: uuid::Uuid = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar("SELECT person_id FROM participants WHERE id = $1")
        .bind(id).fetch_one(c).await.map_err(itinera_store::db_err))
    .expect("person");
    tx.rollback().await.expect("rollback");
    p
}

#[tokio::test]
async fn the_answer_holds_the_households_and_leaves_out_records_only_a_machine_matched() {
    let app = spawn_app().await;
    let own = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Remedios", "Gallardo", "Vera", 58_300_001),
        )
        .await;
    let matched = app
        .register(
            SOCIAL_MERIDA,
            &person("Extraña", "Otra", "Persona", 58_300_002),
        )
        .await;
    let confirmed = app
        .register(
            SOCIAL_MERIDA,
            &person("Remedios", "Galardo", "Vera", 58_300_003),
        )
        .await;
    // One record joined by an automatic match, one by a person's decision.
    let (p_own, p_matched, p_confirmed) = (
        person_of(&app, &own).await,
        person_of(&app, &matched).await,
        person_of(&app, &confirmed).await,
    );
    let mut tx = app.store.write().await.expect("tx");
    let now = itinera_service::Clock::now(&*app.clock);
    itinera_store::linkage::merge(
        &mut tx,
        p_own,
        p_matched,
        "auto",
        Some(0.93),
        None,
        None,
        now,
    )
    .await
    .expect("auto");
    itinera_store::linkage::merge(
        &mut tx,
        p_own,
        p_confirmed,
        "review",
        Some(0.7),
        None,
        None,
        now,
    )
    .await
    .expect("review");
    tx.commit().await.expect("commit");

    // Her household: she heads it with her nephew, who leaves with a note.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{own}/household"),
            &json!({"formed_on": "2026-01-15", "notes": "Piso cedido por la parroquia"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let hid = r.body["id"].as_str().expect("id").to_string();
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/households/{hid}/members"),
            &json!({"name": "Sobrino Gallardo Ruiz", "relationship": "other_relative", "joined_on": "2026-02-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &format!("/households/{hid}"))
            .await
            .status,
        StatusCode::OK
    );

    let r = app
        .post(
            AUDITOR,
            "/subject-access",
            &json!({"document": dni(58_300_001), "reference": "RE-2026/0077"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ids: Vec<&str> = r.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|x| x["participant"]["id"].as_str())
        .collect();
    assert_eq!(ids, [own.as_str(), confirmed.as_str()], "{}", r.body);
    assert_eq!(r.body["unconfirmed_records"], 1);
    assert!(!r.body.to_string().contains("Extraña"), "{}", r.body);
    let h = &r.body["records"][0]["households"][0];
    assert_eq!(h["relationship"], "head", "{}", r.body);
    assert_eq!(h["notes"], "Piso cedido por la parroquia");
    assert_eq!(h["others"][0]["relationship"], "other_relative");
    assert_eq!(h["changes"][0]["kind"], "formed");
    assert!(
        !r.body.to_string().contains("Sobrino"),
        "other people's names stay out"
    );
    // Reads of her household are in her access history.
    assert!(
        r.body["records"][0]["accesses"]
            .as_array()
            .expect("accesses")
            .iter()
            .any(|a| a["action"] == "household.read"),
        "{}",
        r.body["records"][0]["accesses"]
    );
    // The page says what was left out.
    let b = Browser::new(&app.base);
    b.login(AUDITOR).await;
    let (status, page, _) = b
        .post_form(
            "/privacy/access",
            &[
                ("document", dni(58_300_001).as_str()),
                ("reference", "RE-2026/0078"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"unconfirmed\""), "{page}");
    assert!(page.contains("Piso cedido por la parroquia"));
}
