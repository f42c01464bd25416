//! Households through the API and the pages: formed from a participant who heads it,
//! members who are participants (found by a document the reader may see, with no
//! oracle for the others) or not, one household at a time, the head leaving last,
//! the history, and another member's name shown only to those who may see them.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn members(h: &Value) -> Vec<Value> {
    h["members"].as_array().cloned().unwrap_or_default()
}

fn member_named<'a>(h: &'a Value, name: &str) -> Option<&'a Value> {
    h["members"].as_array().and_then(|a| {
        a.iter()
            .find(|m| m["name"].as_str().is_some_and(|n| n.contains(name)))
    })
}

#[tokio::test]
async fn a_household_keeps_its_members_history_and_each_members_privacy() {
    let app = spawn_app().await;
    let ana = app
        .register(SOCIAL_BADAJOZ, &person("Ana", "Montero", "Gil", 9_401))
        .await;
    let pablo = app
        .register(SOCIAL_BADAJOZ, &person("Pablo", "Ruiz", "Montero", 9_402))
        .await;
    let _luis = app
        .register(SOCIAL_MERIDA, &person("Luis", "Pizarro", "Sanz", 9_403))
        .await;

    // Formed from Ana, who heads it.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{ana}/household"),
            &json!({"formed_on": "2026-01-15", "notes": "Vivienda de alquiler"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let hid = r.body["id"].as_str().expect("id").to_string();
    let path = format!("/households/{hid}");

    // Members: a participant by document, a person who is not one by name.
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/members"),
            &json!({"document": dni(9_402), "relationship": "child", "dependent": true, "joined_on": "2026-01-15"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("{path}/members"),
            &json!({"name": "Carmen Ruiz Lobo", "relationship": "partner", "birth_year": "1980", "joined_on": "2026-02-01"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // A person of another organisation and a document nobody has get the same answer.
    let hidden = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members"),
            &json!({"document": dni(9_403), "relationship": "sibling"}),
        )
        .await;
    let nobody = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members"),
            &json!({"document": dni(9_499), "relationship": "sibling"}),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&hidden.body), codes(&nobody.body));
    assert_eq!(
        codes(&hidden.body),
        [(
            "document".to_string(),
            "validation.household.person_not_found".to_string()
        )]
    );
    // Bad input: field by field, nothing saved.
    let r = app
        .post_lang(SOCIAL_BADAJOZ, &format!("{path}/members"),
            &json!({"document": dni(9_402), "name": "X", "relationship": "head", "birth_year": "1700", "joined_on": "2030-01-01"}), "en")
        .await;
    let fields: Vec<String> = codes(&r.body).into_iter().map(|c| c.0).collect();
    assert_eq!(
        fields,
        ["name", "relationship", "birth_year", "joined_on"],
        "{:?}",
        r.body
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members"),
            &json!({"name": "Antes", "relationship": "sibling", "joined_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "joined_on".to_string(),
            "validation.household.before_formed".to_string()
        )]
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM household_members").await,
        3
    );

    // One household at a time.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pablo}/household"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:household.member_elsewhere"
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members"),
            &json!({"document": dni(9_402), "relationship": "child"}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:household.member_elsewhere",
        "{:?}",
        r.body
    );

    let h = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{ana}/household"))
        .await;
    assert_eq!(h.status, StatusCode::OK);
    let h = &h.body["household"];
    assert_eq!(members(h).len(), 3);
    assert_eq!(h["dependants"], 1);
    assert_eq!(member_named(h, "Ana").expect("ana")["head"], true);
    assert_eq!(
        member_named(h, "Pablo").expect("pablo")["participant_id"],
        pablo.as_str()
    );
    assert_eq!(
        member_named(h, "Carmen").expect("carmen")["birth_year"],
        1980
    );
    assert_eq!(h["can_write"], true);

    // The employment office sees Ana (team and consent) but not Pablo: he is left out of
    // the household as it reads it (that a member is known to another service is not
    // told), with the changes about him and who recorded them.
    let case = app.open_case(SOCIAL_BADAJOZ, &ana, SOCIAL_BADAJOZ).await;
    let sexpe = app.professional(SEXPE_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": sexpe, "role": "employment_reference"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/participants/{ana}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma", "organisation_kinds": ["employment_service"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.get(SEXPE_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!r.body.to_string().contains("Pablo"), "{:?}", r.body);
    assert!(!r.body.to_string().contains(&pablo));
    assert_eq!(members(&r.body).len(), 2, "{}", r.body);
    assert!(members(&r.body)
        .iter()
        .all(|m| m["relationship"] != "child" && !m["name"].is_null()));
    let seen: Vec<&str> = r.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(seen, ["joined", "formed"], "{}", r.body);
    assert!(r.body["as_of"].is_null());
    // Nobody without a basis on a member sees the household.
    for user in [SOCIAL_MERIDA, NGO_BADAJOZ, ADMIN, AUDITOR] {
        let r = app.get(user, &path).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{user}: {}",
            r.status
        );
        assert!(!r.body.to_string().contains("Montero"));
        let r = app
            .post(
                user,
                &format!("{path}/members"),
                &json!({"name": "Intrusa", "relationship": "sibling"}),
            )
            .await;
        assert!(!r.status.is_success(), "{user}");
    }

    // The head leaves last: first the headship passes.
    let ana_m = member_named(h, "Ana").expect("ana")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let carmen_m = member_named(h, "Carmen").expect("carmen")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let pablo_m = member_named(h, "Pablo").expect("pablo")["id"]
        .as_str()
        .expect("id")
        .to_string();
    // A member the office may not see is not one it can record a departure of, nor
    // make head.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("{path}/members/{pablo_m}/departure"),
            &json!({"left_on": "2026-11-01", "note": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("{path}/head"),
            &json!({"member_id": pablo_m, "former_head_relationship": "partner"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("member_id".to_string(), "validation.choice".to_string())]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members/{ana_m}/departure"),
            &json!({"left_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:household.head_leaves",
        "{:?}",
        r.body
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/head"),
            &json!({"member_id": carmen_m, "former_head_relationship": "partner"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members/{ana_m}/departure"),
            &json!({"left_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "left_on".to_string(),
            "validation.household.left_before_joined".to_string()
        )]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members/{ana_m}/departure"),
            &json!({"left_on": "2026-11-01", "note": "Traslado a Mérida"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{ana}/household"))
        .await;
    assert!(r.body["household"].is_null());
    assert_eq!(r.body["former"][0]["household_id"], hid.as_str());
    assert_eq!(r.body["can_form"], true);
    // Ana gone, the household is still reachable through its history, and the
    // remaining members leave: the last one ends it.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members/{pablo_m}/departure"),
            &json!({"left_on": "2026-11-10", "note": "Pablo se va con su padre a Zafra"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // What was written of Pablo reaches who sees him, and only them.
    assert!(app
        .get(SOCIAL_BADAJOZ, &path)
        .await
        .body
        .to_string()
        .contains("Zafra"));
    let r = app.get(SEXPE_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!r.body.to_string().contains("Zafra"), "{}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members/{carmen_m}/departure"),
            &json!({"left_on": "2026-11-10"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The employment office saw the household through Ana, who left on 1 November: it
    // reads it as it was then — Carmen still in it, nothing after, no notes — and
    // cannot change it.
    let r = app.get(SEXPE_BADAJOZ, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["as_of"], "2026-11-01");
    assert!(r.body["ended_on"].is_null() && r.body["notes"].is_null());
    assert_eq!(r.body["can_write"], false);
    assert!(member_named(&r.body, "Carmen").is_some(), "{}", r.body);
    assert!(r.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .all(|c| c["on_date"].as_str() <= Some("2026-11-01")));
    let r = app.get(SOCIAL_BADAJOZ, &path).await;
    assert_eq!(r.body["ended_on"], "2026-11-10");
    assert_eq!(r.body["can_write"], false);
    assert_eq!(r.body["former_members"].as_array().map(Vec::len), Some(3));
    let kinds: Vec<&str> = r.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "left",
            "left",
            "left",
            "head_changed",
            "joined",
            "joined",
            "formed"
        ]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("{path}/members"),
            &json!({"name": "Tarde", "relationship": "sibling"}),
        )
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:household.ended");
    // Pablo may now form his own.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pablo}/household"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_read_log WHERE action = 'household.read'"
        )
        .await
            >= 4
    );
}

#[tokio::test]
async fn the_household_pages_keep_what_was_typed_and_confirm_a_departure() {
    let app = spawn_app().await;
    let rosa = app
        .register(SOCIAL_BADAJOZ, &person("Rosa", "Galán", "Pino", 9_411))
        .await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/participants/{rosa}/household")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Registrar su unidad de convivencia"),
        "{html}"
    );
    let (status, html, _) = b
        .post_form(
            &format!("/participants/{rosa}/household"),
            &[("formed_on", "2031-01-01"), ("notes", "Piso compartido")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Piso compartido"));
    let (status, _, location) = b
        .post_form(
            &format!("/participants/{rosa}/household"),
            &[("formed_on", "2026-03-01"), ("notes", "Piso compartido")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let hpath = location.expect("location");
    let (status, html, _) = b
        .post_form(
            &format!("{hpath}/members"),
            &[
                ("name", "Jacinta Pino Vera"),
                ("relationship", "parent"),
                ("birth_year", "mil novecientos"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"Jacinta Pino Vera\""));
    assert!(html.contains("value=\"mil novecientos\""));
    let (status, _, _) = b
        .post_form(
            &format!("{hpath}/members"),
            &[
                ("name", "Jacinta Pino Vera"),
                ("relationship", "parent"),
                ("birth_year", "1950"),
                ("dependent", "on"),
                ("joined_on", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&hpath).await;
    assert!(
        html.contains("Jacinta Pino Vera") && html.contains("Rosa"),
        "{html}"
    );
    assert!(html.contains("Padre o madre"));
    // A departure is a page of its own, with the date and the reason, before it applies.
    let id = hpath.trim_start_matches("/households/");
    let h = app
        .get(SOCIAL_BADAJOZ, &format!("/households/{id}"))
        .await
        .body;
    let jm = member_named(&h, "Jacinta").expect("jacinta")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(html.contains(&format!("{hpath}/members/{jm}/departure")));
    let (status, html) = b.page(&format!("{hpath}/members/{jm}/departure")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Registrar la salida"));
    assert_eq!(
        members(
            &app.get(SOCIAL_BADAJOZ, &format!("/households/{id}"))
                .await
                .body
        )
        .len(),
        2,
        "viewing the page changed nothing"
    );
    let (status, _, _) = b
        .post_form(
            &format!("{hpath}/members/{jm}/departure"),
            &[("left_on", "2026-11-20"), ("note", "Residencia")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&hpath).await;
    assert!(html.contains("Residencia"));
    // Another organisation's browser sees nothing.
    let m = Browser::new(&app.base);
    m.login(SOCIAL_MERIDA).await;
    let (status, html) = m.page(&hpath).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Galán"));
}
