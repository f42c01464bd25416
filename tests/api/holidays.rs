//! Public holidays per territory and the meetings planned around them, on both engines.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn days(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["day"].as_str().unwrap().to_string(),
                h["territory_name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_administrator_keeps_the_holidays_of_each_territory() {
    let app = spawn_app().await;
    // The demo ships this year's and the next two years' holidays of its region.
    let r = app.get(ADMIN, "/holidays?year=2027").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let d = days(&r.body);
    assert!(
        d.contains(&("2027-03-26".into(), String::new())),
        "Good Friday 2027: {d:?}"
    );
    assert!(
        d.contains(&("2027-03-25".into(), "Extremadura".into())),
        "Holy Thursday: {d:?}"
    );
    assert!(
        d.contains(&("2027-06-24".into(), "Badajoz".into())),
        "{d:?}"
    );

    // Italy's national calendar for a year far from the demo's: eleven days, Easter
    // Monday computed; a second load adds nothing.
    let r = app
        .post(
            ADMIN,
            "/holidays/national",
            &json!({"country": "it", "year": 2030}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["added"], 11);
    let r = app
        .post(
            ADMIN,
            "/holidays/national",
            &json!({"country": "it", "year": 2030}),
        )
        .await;
    assert_eq!(r.body["added"], 0);
    let r = app.get(SOCIAL_BADAJOZ, "/holidays?year=2030").await;
    assert_eq!(r.status, StatusCode::OK, "reference data, like territories");
    let d = days(&r.body);
    assert!(d.contains(&("2030-04-22".into(), String::new())), "{d:?}");
    assert_eq!(d.len(), 11);

    // A bad country, a year out of range, a date that does not exist: field errors, and
    // nothing saved.
    let r = app
        .post(
            ADMIN,
            "/holidays/national",
            &json!({"country": "xx", "year": 1990}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        [
            ("country".to_string(), "validation.choice".to_string()),
            ("year".to_string(), "holiday.year_range".to_string())
        ]
    );
    let r = app
        .post(
            ADMIN,
            "/holidays",
            &json!({"day": "2030-02-30", "name": "", "territory_id": "nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["day", "name", "territory_id"]);

    // A local holiday; the same day twice in one territory is refused.
    let territories = app.get(ADMIN, "/territories").await.body;
    let merida = territories
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Mérida")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let h = json!({"day": "10/09/2030", "name": "Fiesta local", "territory_id": merida});
    let r = app.post(ADMIN, "/holidays", &h).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(ADMIN, "/holidays", &h).await;
    assert_eq!(
        codes(&r.body),
        [("day".to_string(), "holiday.duplicate".to_string())]
    );

    // Only administrators change them; every change is in the audit log.
    let r = app
        .post(
            COORDINATOR,
            "/holidays",
            &json!({"day": "2030-09-11", "name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(SOCIAL_BADAJOZ, &format!("/holidays/{id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.delete(ADMIN, &format!("/holidays/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        app.delete(ADMIN, &format!("/holidays/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.get(AUDITOR, "/audit-entries?entity=holiday").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["holiday.add", "holiday.delete", "holiday.load_national"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn meetings_are_planned_around_the_holidays_of_the_bodys_territory_and_its_own_meetings() {
    let app = spawn_app().await;
    let territories = app.get(ADMIN, "/territories").await.body;
    let id_of = |name: &str| {
        territories
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A local holiday in Mérida on Tuesday 1 December 2026; none in Badajoz.
    let r = app
        .post(
            ADMIN,
            "/holidays",
            &json!({"day": "2026-12-01", "name": "Fiesta local", "territory_id": id_of("Mérida")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let plan = |territory: String| {
        let app = &app;
        async move {
            let r = app
                .post(
                    CASE_MANAGER,
                    "/bodies",
                    &json!({"name": format!("Mesa semanal {territory}"), "level": "3", "frequency": "weekly",
                            "first_meeting_on": "2026-11-24", "territory_id": territory}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let merida = plan(id_of("Mérida")).await;
    let badajoz = plan(id_of("Badajoz")).await;
    let on = |v: &Value| -> Vec<String> {
        v["planned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["on"].as_str().unwrap().to_string())
            .collect()
    };
    let m = app
        .get(CASE_MANAGER, &format!("/bodies/{merida}"))
        .await
        .body;
    // 1 Dec local holiday → 2 Dec; 8 Dec national holiday → 9 Dec.
    assert_eq!(
        on(&m)[..4],
        ["2026-11-24", "2026-12-02", "2026-12-09", "2026-12-15"]
    );
    let b = app
        .get(CASE_MANAGER, &format!("/bodies/{badajoz}"))
        .await
        .body;
    assert_eq!(
        on(&b)[..3],
        ["2026-11-24", "2026-12-01", "2026-12-09"],
        "Mérida's holiday does not hold in Badajoz"
    );

    // A meeting convened on 9 December covers that week; the next proposal never falls
    // on a day the body already meets.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{badajoz}/meetings"),
            &json!({"date": "2026-12-16", "starts": "10:00", "ends": "11:00", "mode": "in_person", "place": "Sala 1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = app
        .get(CASE_MANAGER, &format!("/bodies/{badajoz}"))
        .await
        .body;
    let planned = b["planned"].as_array().unwrap();
    let dec15 = planned.iter().find(|p| p["on"] == "2026-12-16").unwrap();
    assert!(dec15["meeting_id"].is_string(), "{planned:?}");
    let proposals: Vec<&str> = planned
        .iter()
        .filter(|p| p["meeting_id"].is_null())
        .map(|p| p["on"].as_str().unwrap())
        .collect();
    assert!(!proposals.contains(&"2026-12-16"), "{proposals:?}");
}

#[tokio::test]
async fn the_holidays_page_lists_a_year_and_keeps_a_refused_form() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(ADMIN).await;
    let (status, html) = b.page("/admin/holidays?year=2027").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Viernes Santo") && html.contains("26/03/2027"),
        "{html}"
    );
    assert!(html.contains("Día de Extremadura"), "{html}");
    let (status, html, _) = b
        .post_form(
            "/admin/holidays",
            &[("day", "2027-09-09"), ("name", ""), ("territory_id", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"2027-09-09\""),
        "the typed date is kept: {html}"
    );
    let (status, _, location) = b
        .post_form(
            "/admin/holidays/national",
            &[("country", "es"), ("year", "2031")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(&location.unwrap_or_default()).await;
    assert!(html.contains("Festivos nacionales añadidos: 10."), "{html}");
    // A social worker does not reach the page.
    let w = Browser::new(&app.base);
    w.login(SOCIAL_BADAJOZ).await;
    let (status, _) = w.page("/admin/holidays").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
