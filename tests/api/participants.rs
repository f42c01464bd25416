use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_read_and_edit_a_participant() {
    let app = spawn_app().await;
    let id = app
        .register(
            SOCIAL_BADAJOZ,
            &person("María José", "Núñez", "García", 12_345_678),
        )
        .await;
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["participant"]["given_name"], "María José");
    assert_eq!(r.body["participant"]["documents"][0]["number"], "12345678Z");
    assert_eq!(r.body["participant"]["phone"], "+34650511262");
    assert_eq!(r.body["basis"], "registered");
    let version = r.body["participant"]["version"].as_i64().unwrap_or(0);

    let mut edit = person("María José", "Núñez", "García", 12_345_678);
    edit["version"] = json!(version);
    edit["homeless"] = json!(true);
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/participants/{id}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["version"], version + 1);
    // A second edit with the old version is refused: someone changed it meanwhile.
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/participants/{id}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["type"], "urn:itinera:problem:error.stale_version");
}

#[tokio::test]
async fn a_bad_dni_is_reported_on_its_field_in_the_users_language_and_nothing_is_saved() {
    let app = spawn_app().await;
    let before = app.get(SOCIAL_BADAJOZ, "/participants?per_page=100").await;
    let mut bad = person("Ana", "Pérez", "", 1);
    bad["documents"][0]["number"] = json!("12345678A");
    bad["birth_date"] = json!("31/02/1990");
    bad["email"] = json!("no-at-sign");
    let r = app
        .post_lang(SOCIAL_BADAJOZ, "/participants", &bad, "ca")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let errors = r.body["errors"].as_array().cloned().unwrap_or_default();
    let find = |f: &str| {
        errors
            .iter()
            .find(|e| e["field"] == f)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(find("documents.0.number")["code"], "validation.dni.letter");
    assert_eq!(
        find("documents.0.number")["message"],
        "La lletra del DNI no correspon al número."
    );
    assert_eq!(find("birth_date")["code"], "validation.date.format");
    assert_eq!(find("email")["code"], "validation.email.format");
    // Spanish by default.
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &bad).await;
    assert!(r.body["title"].as_str().unwrap_or("").contains("corregir"));
    let after = app.get(SOCIAL_BADAJOZ, "/participants?per_page=100").await;
    assert_eq!(
        before.body["items"].as_array().map(Vec::len),
        after.body["items"].as_array().map(Vec::len)
    );
}

#[tokio::test]
async fn nie_and_codice_fiscale_are_checked_and_passports_are_not() {
    let app = spawn_app().await;
    let mut p = person("Ionuț", "Popescu", "", 0);
    p["documents"] = json!([{"kind": "nie", "number": "X1234567L"}, {"kind": "passport", "number": "ro 0012345"}]);
    app.register(SEXPE_BADAJOZ, &p).await;
    p["documents"] = json!([{"kind": "codice_fiscale", "number": "RSSMRA85T10A562T"}]);
    let r = app.post(SEXPE_BADAJOZ, "/participants", &p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.codice_fiscale.check"
    );
}

#[tokio::test]
async fn a_document_belongs_to_one_person_of_an_organisation() {
    let app = spawn_app().await;
    app.register(SOCIAL_BADAJOZ, &person("Rocío", "Mogollón", "", 44_444_444))
        .await;
    // Someone else typed with the same number in the same organisation: refused.
    let mut other = person("Lucía", "Barrena", "", 44_444_444);
    other["birth_date"] = json!("1999-09-09");
    other["phone"] = json!("+34 699 111 222");
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &other).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:participant.document.exists"
    );
    // The same person registered by another organisation is linked, not refused — and
    // Mérida is not told (no basis for Badajoz's record).
    let r = app
        .post(
            SOCIAL_MERIDA,
            "/participants",
            &person("Rocio", "Mogollon", "", 44_444_444),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "new");
    assert!(r.body["probability"].is_null());
}

#[tokio::test]
async fn search_ignores_accents_and_case_masks_documents_and_pages() {
    let app = spawn_app().await;
    let id = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Íñigo", "Ñúñez", "Álvarez", 70_000_001),
        )
        .await;
    for q in ["nunez", "ÑÚÑ", "inigo nunez", "Inigo", "nunez alv"] {
        let r = app
            .post(SOCIAL_BADAJOZ, "/participants/search", &json!({"q": q}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let ids: Vec<&str> = r.body["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            ids.contains(&id.as_str()),
            "query {q} did not find the person"
        );
    }
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/participants/search",
            &json!({"q": dni(70_000_001)}),
        )
        .await;
    assert_eq!(r.body["items"][0]["id"], id.as_str());
    assert_eq!(
        r.body["items"][0]["document"],
        format!("******{}", &dni(70_000_001)[6..])
    );
    assert!(
        !r.body.to_string().contains(&dni(70_000_001)),
        "a list shows a full document number"
    );
    // Pagination: 40 demo participants over 7 cities, plus ours.
    let p1 = app
        .get(SOCIAL_BADAJOZ, "/participants?per_page=2&page=1")
        .await;
    let p2 = app
        .get(SOCIAL_BADAJOZ, "/participants?per_page=2&page=2")
        .await;
    assert_eq!(p1.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(p1.body["has_more"], true);
    assert_ne!(p1.body["items"][0]["id"], p2.body["items"][0]["id"]);
}

#[tokio::test]
async fn consents_are_recorded_validated_and_withdrawn() {
    let app = spawn_app().await;
    let id = app
        .register(SOCIAL_BADAJOZ, &person("Lucía", "Gil", "", 55_555_555))
        .await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{id}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.consent.sharing_needs_scope"
    );
    let sexpe = app.org("SEXPE Badajoz").await;
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/participants/{id}/consents"), &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma en papel", "organisations": [sexpe]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let consent = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id}/consents"))
        .await;
    assert_eq!(r.body["consents"][0]["state"], "active");
    assert_eq!(
        r.body["consents"][0]["organisations"][0]["id"],
        sexpe.as_str()
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/consents/{consent}/withdrawal"),
            &json!({"withdrawn_on": "2026-11-20", "note": "Lo pide la persona"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id}/consents"))
        .await;
    assert_eq!(r.body["consents"][0]["state"], "withdrawn");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/consents/{consent}/withdrawal"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["type"],
        "urn:itinera:problem:consent.already_withdrawn"
    );
}

#[tokio::test]
async fn the_html_form_keeps_what_was_typed_and_marks_the_bad_field() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html, _) = b
        .post_form(
            "/participants",
            &[
                ("given_name", "Manuela"),
                ("surname1", "Barroso"),
                ("sex", "female"),
                ("birth_date", "1979-02-03"),
                ("labour_status", "unemployed"),
                ("documents.0.kind", "dni"),
                ("documents.0.number", "12345678A"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"Manuela\""), "the typed name is kept");
    assert!(
        html.contains("value=\"12345678A\""),
        "the typed document is kept"
    );
    assert!(html.contains("La letra del DNI no corresponde al número."));
    assert!(html.contains("aria-invalid=\"true\""));
    let (status, _, location) = b
        .post_form(
            "/participants",
            &[
                ("given_name", "Manuela"),
                ("surname1", "Barroso"),
                ("sex", "female"),
                ("birth_date", "1979-02-03"),
                ("labour_status", "unemployed"),
                ("documents.0.kind", "dni"),
                ("documents.0.number", "12345678Z"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = b.page(location.as_deref().unwrap_or("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Manuela Barroso"));
}

/// Registering someone already recorded by the organisation creates nothing, and
/// loses nothing: her edit form comes back with what was typed laid over her record.
#[tokio::test]
async fn registering_someone_already_recorded_keeps_what_was_typed() {
    let app = spawn_app().await;
    let p = person("Lucía", "Rengifo", "Mesa", 12_345_092);
    let id = app.register(SOCIAL_BADAJOZ, &p).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html, _) = b
        .post_form(
            "/participants",
            &[
                ("given_name", "Lucía"),
                ("surname1", "Rengifo"),
                ("surname2", "Mesa"),
                ("sex", "female"),
                ("birth_date", p["birth_date"].as_str().unwrap()),
                ("labour_status", "unemployed"),
                ("phone", "+34 699 111 222"),
                ("dependants", "0"),
                ("documents.0.kind", "dni"),
                ("documents.0.number", &dni(12_345_092)),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Esta persona ya tiene ficha"), "{html}");
    assert!(html.contains("+34 699 111 222"), "the phone typed stays");
    assert!(html.contains(&format!("/participants/{id}/edit")), "{html}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM participants WHERE surname1 = 'Rengifo'"
        )
        .await,
        1,
        "no other record"
    );
}

/// The edit form shows what the record holds even where the form's lists do not have
/// it (a nationality an import gave, a DNI letter computed on import), so that saving
/// something else never loses it.
#[tokio::test]
async fn the_edit_form_keeps_what_it_does_not_offer() {
    let app = spawn_app().await;
    let mut p = person("Greta", "Müller", "", 12_345_091);
    p["nationality"] = json!("AT");
    let id = app.register(SOCIAL_BADAJOZ, &p).await;
    exec(
        &app,
        "UPDATE participant_documents SET letter_computed = TRUE WHERE participant_id = $1",
        &id,
    )
    .await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/participants/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<option value="AT" selected>"#), "{html}");
    assert!(
        html.contains(r#"name="documents.0.letter_computed" value="true""#),
        "{html}"
    );
    let version = html
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's version")
        .to_string();
    let (status, html, _) = b
        .post_form(
            &format!("/participants/{id}/edit"),
            &[
                ("version", version.as_str()),
                ("given_name", "Greta"),
                ("surname1", "Müller"),
                ("sex", "female"),
                ("birth_date", p["birth_date"].as_str().unwrap()),
                ("nationality", "AT"),
                ("labour_status", "unemployed"),
                ("labour_status_since", "2025-09-01"),
                ("phone", "+34 600 000 001"),
                ("documents.0.kind", "dni"),
                ("documents.0.number", &dni(12_345_091)),
                ("documents.0.letter_computed", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id}"))
        .await;
    assert_eq!(r.body["participant"]["nationality"], "AT", "{:?}", r.body);
    assert_eq!(
        r.body["participant"]["documents"][0]["letter_computed"], true,
        "{:?}",
        r.body
    );
    assert_eq!(r.body["participant"]["phone"], "+34600000001");

    // Saved meanwhile by someone else: what was typed comes back on the version saved
    // now, so that saving again is possible.
    let stale = [
        ("version", version.as_str()),
        ("given_name", "Greta"),
        ("surname1", "Müller"),
        ("sex", "female"),
        ("birth_date", p["birth_date"].as_str().unwrap()),
        ("nationality", "AT"),
        ("labour_status", "unemployed"),
        ("phone", "+34 600 000 002"),
        ("documents.0.kind", "dni"),
        ("documents.0.number", &dni(12_345_091)),
    ];
    let (status, html, _) = b
        .post_form(&format!("/participants/{id}/edit"), &stale)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Otra persona ha guardado cambios"), "{html}");
    assert!(html.contains("+34 600 000 002"), "what was typed stays");
    let now = html
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert_ne!(now, version);
    let mut again = stale.to_vec();
    again[0] = ("version", now.as_str());
    let (status, _, _) = b
        .post_form(&format!("/participants/{id}/edit"), &again)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A sharing consent without whom it covers: the summary's link reaches the list.
    let (status, html, _) = b
        .post_form(
            &format!("/participants/{id}/consents/new"),
            &[
                ("purpose", "sharing"),
                ("given_on", "2026-11-20"),
                ("evidence", "Firma en papel"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r##"href="#organisations""##) && html.contains(r#"id="organisations""#),
        "{html}"
    );
    assert!(html.contains(r#"id="organisations-error""#), "{html}");
    assert!(html.contains("Firma en papel"), "what was typed stays");
}

#[tokio::test]
async fn search_lists_surname_matches_first_and_pages_without_repeats() {
    let app = spawn_app().await;
    let by_surname = [
        app.register(
            SOCIAL_BADAJOZ,
            &person("Ana", "Zebedeo", "Alba", 71_000_001),
        )
        .await,
        app.register(
            SOCIAL_BADAJOZ,
            &person("Berta", "Zebedeo", "Bravo", 71_000_002),
        )
        .await,
    ];
    let by_given = [
        app.register(SOCIAL_BADAJOZ, &person("Zebedea", "Alonso", "", 71_000_003))
            .await,
        app.register(
            SOCIAL_BADAJOZ,
            &person("Zebedea", "Borrella", "", 71_000_004),
        )
        .await,
    ];
    let page = |n: u32| {
        let app = &app;
        async move {
            let r = app
                .post(
                    SOCIAL_BADAJOZ,
                    "/participants/search",
                    &json!({"q": "zebed", "per_page": 2, "page": n}),
                )
                .await;
            let ids: Vec<String> = r.body["items"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i["id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (ids, r.body["has_more"].as_bool())
        }
    };
    let (p1, more1) = page(1).await;
    let (p2, more2) = page(2).await;
    assert_eq!(p1, by_surname.to_vec());
    assert_eq!(p2, by_given.to_vec());
    assert_eq!((more1, more2), (Some(true), Some(false)));
}

#[tokio::test]
async fn a_refused_consent_withdrawal_keeps_where_cancel_goes_and_what_was_typed() {
    let app = spawn_app().await;
    let id = app
        .register(
            SOCIAL_BADAJOZ,
            &person("Remedios", "Cortés", "Gil", 57_000_321),
        )
        .await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/participants/{id}/consents"), &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma en papel", "organisations": [sexpe]}))
        .await;
    let consent = r.body["id"].as_str().unwrap().to_string();
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let back = format!("/participants/{id}");
    let (status, html) = b
        .page(&format!("/consents/{consent}/withdraw?back={back}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<a href=\"{back}\">")), "{html}");
    // A date that does not exist: the page again, with the note and the way back kept.
    let (status, html, _) = b
        .post_form(
            &format!("/consents/{consent}/withdraw"),
            &[
                ("withdrawn_on", "31/02/2026"),
                ("note", "Lo pide por escrito"),
                ("back", &back),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Lo pide por escrito"));
    assert!(html.contains(&format!("<a href=\"{back}\">")), "{html}");
    assert!(html.contains(&format!("name=\"back\" value=\"{back}\"")));
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id}/consents"))
        .await;
    assert_eq!(r.body["consents"][0]["state"], "active", "nothing changed");
}

/// Another service on the team edits the person's record, but not her identity
/// documents: those are the registering organisation's (a number taken in its registry
/// would otherwise tell who is registered there).
#[tokio::test]
async fn identity_documents_are_changed_by_the_registering_organisation_only() {
    let app = spawn_app().await;
    let (pid, _) = crate::casework::shared_case(&app, 12_345_090).await;
    let r = app
        .get(SEXPE_BADAJOZ, &format!("/participants/{pid}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let version = r.body["participant"]["version"].as_i64().unwrap_or(0);
    let mut edit = person("Rocío", "Campos", "Durán", 12_345_090);
    edit["version"] = json!(version);
    edit["homeless"] = json!(true);
    let r = app
        .put(SEXPE_BADAJOZ, &format!("/participants/{pid}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut other = person("Rocío", "Campos", "Durán", 12_345_091);
    other["version"] = r.body["version"].clone();
    let r = app
        .put(SEXPE_BADAJOZ, &format!("/participants/{pid}"), &other)
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "documents.0.number".to_string(),
            "participant.document.home_only".to_string()
        )]
    );
    let r = app
        .put(SOCIAL_BADAJOZ, &format!("/participants/{pid}"), &other)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
