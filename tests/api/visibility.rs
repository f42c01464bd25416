//! The contact visibility matrix: every kind of user × every visibility × every route
//! that shows contacts (the API list and the case's contacts page). The expectation is
//! computed from the pure rules (may the user read the case at all, by the API's own
//! answer; `itinera_domain::contact::visible` for the contact); the report counts the
//! cells and must show zero leaks and zero misses.

use itinera_domain::contact::{visible, Visibility};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::casework::shared_case;
use crate::helpers::*;

async fn me(app: &TestApp, user: &str) -> (Uuid, Uuid) {
    let b = app.get(user, "/me").await.body;
    (
        Uuid::parse_str(b["user_id"].as_str().unwrap()).unwrap(),
        Uuid::parse_str(b["organisation_id"].as_str().unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn contacts_show_only_to_those_their_visibility_allows() {
    let app = spawn_app().await;
    let (_, case) = shared_case(&app, 42_000_001).await;
    // Notes written by the registering organisation and by a partner on the team.
    let mut summaries = Vec::new();
    for author in [SOCIAL_BADAJOZ, SEXPE_BADAJOZ] {
        let (author_id, author_org) = me(&app, author).await;
        for v in Visibility::ALL {
            let summary = format!("Nota {}-{}", v.code(), Uuid::new_v4().simple());
            let r = app
                .post(
                    author,
                    &format!("/cases/{case}/contacts"),
                    &json!({"kind": "individual_interview", "summary": summary, "visibility": v.code()}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{author}: {:?}", r.body);
            summaries.push((*v, summary, author_id, author_org));
        }
    }

    let (mut cells, mut leaks, mut misses, mut allowed) = (0, Vec::new(), Vec::new(), 0);
    for user in ALL_USERS {
        let (uid, org) = me(&app, user).await;
        let can_read_case = app.get(user, &format!("/cases/{case}")).await.status == StatusCode::OK;
        let api = app.get(user, &format!("/cases/{case}/contacts")).await;
        let browser = Browser::new(&app.base);
        browser.login(user).await;
        let (_, html) = browser.page(&format!("/cases/{case}/contacts")).await;
        let api_text = api.body.to_string();
        for (v, summary, author_id, author_org) in &summaries {
            let expected = can_read_case && visible(*v, *author_id, *author_org, uid, org);
            for (route, text) in [("api", &api_text), ("html", &html)] {
                cells += 1;
                allowed += usize::from(expected);
                let shown = text.contains(summary.as_str());
                if shown && !expected {
                    leaks.push(format!("{user} {} {route}", v.code()));
                }
                if !shown && expected {
                    misses.push(format!("{user} {} {route}", v.code()));
                }
            }
        }
    }
    eprintln!(
        "contact visibility matrix: {cells} cells, {} leaks, {} misses",
        leaks.len(),
        misses.len()
    );
    assert_eq!(cells, ALL_USERS.len() * 3 * 2 * 2);
    // The matrix exercises both answers: some cells must show, most must not.
    assert!(
        allowed > 6 && allowed < cells / 2,
        "{allowed} of {cells} allowed"
    );
    assert!(leaks.is_empty(), "leaks: {leaks:?}");
    assert!(misses.is_empty(), "misses: {misses:?}");
}
