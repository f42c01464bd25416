//! The stored-XSS sweep: script and HTML payloads written into the text fields people
//! fill in — names, addresses, contact notes, itinerary goals, incidents, coordination
//! bodies, meetings and agreements, public holidays, legal holds — then every page that
//! shows them read back: the payload appears escaped, never as markup. The exports a
//! spreadsheet opens (CSV, XLSX) carry a formula payload as text.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";
const SVG: &str = "'><svg onload=alert(3)>";
const FORMULA: &str = "=HYPERLINK(\"http://malo.example\",\"pulse\")";

fn payload(label: &str) -> String {
    format!("{label} {SCRIPT} {IMG} {SVG}")
}

fn assert_escaped(path: &str, html: &str) {
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "onerror=alert(2)>",
    ] {
        assert!(!html.contains(raw), "{path} shows {raw:?} unescaped");
    }
}

#[tokio::test]
async fn payloads_in_every_text_field_are_shown_escaped_and_exports_defuse_formulas() {
    let app = spawn_app().await;
    let mut p = person("Ana", "Prueba", "", 58_400_100);
    p["surname2"] = json!(payload("S2"));
    p["address"] = json!(payload("Calle"));
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &p).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pid = r.body["id"].as_str().unwrap().to_string();
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, CASE_MANAGER).await;
    let writes = [
        (
            CASE_MANAGER,
            format!("/cases/{case}/contacts"),
            json!({"kind": "individual_interview", "summary": payload("Nota"), "next_step": payload("Paso"), "visibility": "team"}),
        ),
        (
            CASE_MANAGER,
            format!("/cases/{case}/itinerary/goals"),
            json!({"domain": "employment", "description": payload("Objetivo")}),
        ),
        (
            CASE_MANAGER,
            format!("/cases/{case}/incidents"),
            json!({"occurred_on": "2026-11-23", "kind": "absenteeism", "severity": "medium", "reporter": "social_worker", "description": payload("Incidencia")}),
        ),
    ];
    for (user, path, body) in &writes {
        let r = app.post(user, path, body).await;
        assert!(r.status.is_success(), "{path}: {:?}", r.body);
    }
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": format!("{FORMULA} {}", payload("Mesa")), "level": "3", "frequency": "monthly"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-26", "starts": "09:30", "ends": "11:00", "mode": "in_person", "place": payload("Sala"), "topics": payload("Tema"), "cases": [case]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let meeting = r.body["id"].as_str().unwrap().to_string();
    let (me, _) = who(&app, CASE_MANAGER).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/meetings/{meeting}/agreements"),
            &json!({"text": format!("{FORMULA} {}", payload("Acuerdo")), "owner": format!("user:{me}"), "due_on": "2026-12-10", "case_id": case}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let r = app
        .post(
            ADMIN,
            "/holidays",
            &json!({"day": "2026-12-26", "name": payload("Fiesta")}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let r = app
        .post(
            AUDITOR,
            &format!("/participants/{pid}/legal-holds"),
            &json!({"reference": payload("Ref"), "reason": payload("Motivo")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // Every page that shows them, as whom sees them.
    let pages: Vec<(&str, String)> = vec![
        (CASE_MANAGER, format!("/participants/{pid}")),
        (CASE_MANAGER, format!("/participants/{pid}/edit")),
        (CASE_MANAGER, format!("/cases/{case}")),
        (CASE_MANAGER, format!("/cases/{case}/contacts")),
        (CASE_MANAGER, format!("/cases/{case}/itinerary")),
        (CASE_MANAGER, format!("/cases/{case}/incidents")),
        (CASE_MANAGER, "/caseload".into()),
        (CASE_MANAGER, "/".into()),
        (CASE_MANAGER, "/bodies".into()),
        (CASE_MANAGER, format!("/bodies/{body}")),
        (CASE_MANAGER, format!("/bodies/{body}/report")),
        (CASE_MANAGER, format!("/meetings/{meeting}")),
        (CASE_MANAGER, "/calendar?month=2026-11".into()),
        (CASE_MANAGER, "/notifications".into()),
        (SOCIAL_BADAJOZ, "/".into()),
        (ADMIN, "/admin/holidays?year=2026".into()),
        (AUDITOR, format!("/privacy/records/{pid}")),
        (AUDITOR, "/audit".into()),
    ];
    let mut shown = 0;
    let mut browsers = std::collections::HashMap::new();
    for (user, path) in &pages {
        if !browsers.contains_key(user) {
            let b = Browser::new(&app.base);
            b.login(user).await;
            browsers.insert(*user, b);
        }
        let (status, html) = browsers[user].page(path).await;
        assert_eq!(status, StatusCode::OK, "{user} {path}");
        assert_escaped(path, &html);
        if html.contains("&#60;script&#62;alert(1)") {
            shown += 1;
        }
    }
    assert!(
        shown >= 12,
        "the payloads were shown (escaped) on {shown} pages only"
    );
    // The person's search, posted.
    let b = &browsers[CASE_MANAGER];
    let (status, html, _) = b
        .post_form("/participants/search", &[("q", "Prueba")])
        .await;
    assert!(status.is_success(), "{status}");
    assert_escaped("/participants/search", &html);
    // A minutes file is text; the API's JSON is data: neither is a page.

    // Exports a spreadsheet opens: the formula stays text.
    let r = b
        .client
        .get(format!("{}/bodies/{body}/report.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(";=HYPERLINK") && !csv.contains("\n=HYPERLINK"),
        "{csv}"
    );
    let r = b
        .client
        .get(format!("{}/bodies/{body}/report.xlsx", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let sheet = itinera_tabular::read(&bytes).expect("xlsx");
    let cells: Vec<String> = sheet
        .rows
        .iter()
        .flat_map(|row| row.cells.iter().cloned())
        .chain(sheet.header.iter().cloned())
        .collect();
    assert!(
        cells.iter().any(|c| c.starts_with("'=HYPERLINK")),
        "{cells:?}"
    );
    assert!(
        !cells.iter().any(|c| c.starts_with("=HYPERLINK")),
        "{cells:?}"
    );
}
