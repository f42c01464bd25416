//! Malformed requests are answered in the user's language and in the shape of the
//! layer they came through: problem+json for the API, an error page for the browser.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_malformed_id_or_query_is_a_problem_in_the_users_language() {
    let app = spawn_app().await;
    let r = app
        .get_lang(SOCIAL_BADAJOZ, "/participants/not-a-uuid", "ca")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.headers["content-type"].to_str().unwrap_or_default(),
        "application/problem+json"
    );
    assert_eq!(r.body["type"], "urn:itinera:problem:error.bad_path");
    assert_eq!(
        r.body["title"],
        "L'adreça no és vàlida: un dels seus identificadors no té el format esperat."
    );
    assert_eq!(r.body["status"], 400);
    // The segment is named.
    assert_eq!(
        codes(&r.body),
        [("id".to_string(), "error.bad_path".to_string())]
    );

    // Two path ids, one malformed.
    let r = app
        .get_lang(
            SOCIAL_BADAJOZ,
            &format!("/cases/{}/itinerary/versions/first", uuid::Uuid::new_v4()),
            "it",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body["title"],
        "L'indirizzo non è valido: uno dei suoi identificativi non ha il formato previsto."
    );
    assert_eq!(
        codes(&r.body),
        [("n".to_string(), "error.bad_path".to_string())]
    );

    // A query string whose value does not parse.
    let r = app
        .get_lang(SOCIAL_BADAJOZ, "/participants?page=first", "en")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["type"], "urn:itinera:problem:error.bad_query");
    assert_eq!(
        r.body["title"],
        "The address is not valid: one of its parameters is not in the expected form."
    );
    assert_eq!(
        codes(&r.body),
        [("page".to_string(), "error.bad_query".to_string())]
    );

    // Without a token the answer is still a problem document, in Spanish by default.
    let r = app
        .client
        .get(format!("{}/api/v1/participants/not-a-uuid", app.base))
        .send()
        .await
        .expect("get");
    assert!(
        r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::UNAUTHORIZED,
        "{}",
        r.status()
    );
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap_or_default(),
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_malformed_address_in_the_browser_is_an_error_page() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page("/participants/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("<html"), "{html}");
    assert!(
        html.contains(
            "La dirección no es válida: uno de sus identificadores no tiene el formato esperado."
        ),
        "{html}"
    );
    let (status, html) = b.page("/cases/nope/itinerary").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("La dirección no es válida"), "{html}");
}

#[tokio::test]
async fn an_unknown_address_is_a_page_in_the_users_language_or_a_problem_in_the_api() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<html"), "{html}");
    assert!(html.contains("No existe o no tiene acceso."), "{html}");
    assert!(html.contains("href=\"/\""), "a way back: {html}");
    // A missing record reads the same.
    let (status, html) = b.page("/cases/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No existe o no tiene acceso."), "{html}");
    // The API answers with a problem.
    let r = app
        .client
        .get(format!("{}/api/v1/no-such-resource", app.base))
        .bearer_auth(app.token(SOCIAL_BADAJOZ))
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap_or_default(),
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_named_by_its_field() {
    let app = spawn_app().await;
    let r = app
        .post(
            ADMIN,
            "/holidays/national",
            &json!({"country": "es", "year": "dos mil"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        codes(&r.body),
        [("year".to_string(), "error.json_type".to_string())]
    );
    // A field left out is named too, at the top level and inside a list.
    let r = app
        .post(ADMIN, "/holidays/national", &json!({"year": 2027}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        codes(&r.body),
        [("country".to_string(), "error.json_missing".to_string())]
    );
    // Not JSON at all stays what it is.
    let r = app
        .client
        .post(format!("{}/api/v1/holidays/national", app.base))
        .bearer_auth(app.token(ADMIN))
        .header("content-type", "application/json")
        .body("{year:")
        .send()
        .await
        .expect("post");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        codes(&body),
        [("body".to_string(), "error.bad_json".to_string())]
    );
}

/// An address asked with a method it does not take: 405 as a problem document; lists
/// past what one request may carry are refused whole, before anything is looked up,
/// and no answer names more than a hundred errors.
#[tokio::test]
async fn a_wrong_method_and_oversized_lists_get_bounded_problems() {
    let app = spawn_app().await;
    let r = app
        .client
        .patch(format!(
            "{}/api/v1/participants/01a207d9-2100-7058-b75a-575c13455414",
            app.base
        ))
        .bearer_auth(app.token(SOCIAL_BADAJOZ))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap_or(""),
        "application/problem+json"
    );
    let body: serde_json::Value = r.json().await.expect("problem");
    assert_eq!(body["type"], "urn:itinera:problem:error.method_not_allowed");

    let lines: Vec<serde_json::Value> = (0..600).map(|_| json!({})).collect();
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            "/sessions/01a207d9-2100-7058-b75a-575c13455414/attendance",
            &json!({ "lines": lines }),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("lines".to_string(), "validation.too_many".to_string())]
    );
    let lines: Vec<serde_json::Value> = (0..400).map(|_| json!({})).collect();
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            "/sessions/01a207d9-2100-7058-b75a-575c13455414/attendance",
            &json!({ "lines": lines }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"].as_array().map(Vec::len), Some(100));
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Olga", "Larga", "", 12_345_093))
        .await;
    let orgs: Vec<String> = (0..600).map(|_| "x".to_string()).collect();
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-20", "evidence": "Firma", "organisations": orgs}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "organisations".to_string(),
            "validation.too_many".to_string()
        )]
    );
}
