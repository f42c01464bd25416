//! The resource catalogue through the API and the pages: kept by coordinators (not by
//! every professional), searched by words, category, territory, eligibility and age;
//! exchanged in Open Referral HSDS 3.0 — a round trip into an empty database gives the
//! same document in both forms, a bad file is refused whole with file, line and field,
//! a dry run saves nothing — and a referral to a resource goes to its provider.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn raw_get(app: &TestApp, user: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(format!("{}/api/v1{path}", app.base))
        .bearer_auth(app.token(user))
        .send()
        .await
        .expect("get");
    let status = r.status();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, r.bytes().await.expect("bytes").to_vec())
}

async fn import(
    app: &TestApp,
    user: &str,
    query: &str,
    bytes: Vec<u8>,
    lang: &str,
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/resources/hsds/import?{query}", app.base))
        .bearer_auth(app.token(user))
        .header("accept-language", lang)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn taller(org: &str) -> Value {
    json!({"organisation_id": org, "name": "Orientación laboral intensiva", "kind": "service",
           "category": "employment_guidance", "description": "Itinerario de orientación y búsqueda activa",
           "eligibility": "Personas desempleadas de larga duración", "minimum_age": "18", "maximum_age": "64",
           "territory": "Badajoz; San Roque", "schedule": "Lunes a viernes 9:00-14:00", "capacity": "20",
           "places_available": "5", "languages": "es, ar", "phone": "+34 924 000 111",
           "email": "orienta@sexpe.example", "url": "https://sexpe.example/orienta",
           "address": "Avenida de Europa 10", "city": "Badajoz", "postal_code": "06004", "province": "Badajoz",
           "country": "es", "fees": "Gratuito", "application_process": "Derivación"})
}

async fn count_resources(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM resources").await
}

#[tokio::test]
async fn the_catalogue_is_kept_searched_and_round_trips_in_hsds() {
    let app = spawn_app().await;
    let sexpe = app.org("SEXPE Badajoz").await;
    // Professionals search; they do not keep the catalogue.
    let r = app
        .post(SOCIAL_BADAJOZ, "/resources", &taller(&sexpe))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The coordinator keeps it; bad input comes back field by field.
    let r = app
        .post_lang(COORDINATOR, "/resources",
            &json!({"organisation_id": sexpe, "organisation_name": "Otra", "kind": "shop", "minimum_age": "70",
                    "maximum_age": "20", "url": "sexpe", "address": "Calle 1"}), "en")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|c| c.0).collect();
    assert_eq!(
        fields,
        [
            "organisation_name",
            "name",
            "kind",
            "category",
            "maximum_age",
            "url",
            "city",
            "postal_code",
            "province",
            "country"
        ],
        "{:?}",
        r.body
    );
    assert_eq!(count_resources(&app).await, 0);
    let r = app.post(COORDINATOR, "/resources", &taller(&sexpe)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let orienta = r.body["id"].as_str().expect("id").to_string();
    let r = app
        .post(COORDINATOR, "/resources",
            &json!({"organisation_name": "Banco de Alimentos de Badajoz", "name": "Reparto de alimentos",
                    "kind": "service", "category": "food_material", "territory": "Badajoz",
                    "cost": "2,50", "status": "temporarily_closed"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.get(COORDINATOR, &format!("/resources/{orienta}")).await;
    assert_eq!(r.body["provider_organisation_id"], sexpe.as_str());
    assert_eq!(r.body["referable"], true);
    assert_eq!(r.body["country"], "ES");
    // A change at a stale version is refused.
    let mut changed = taller(&sexpe);
    changed["version"] = json!("9");
    let r = app
        .put(COORDINATOR, &format!("/resources/{orienta}"), &changed)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Search: words without accents, category, territory, eligibility, age.
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = app
        .get(SOCIAL_BADAJOZ, "/resources?q=orientacion%20busqueda")
        .await;
    assert_eq!(names(&r.body), ["Orientación laboral intensiva"]);
    let r = app
        .get(
            SOCIAL_BADAJOZ,
            "/resources?category=food_material&territory=badajoz",
        )
        .await;
    assert_eq!(names(&r.body), ["Reparto de alimentos"]);
    let r = app.get(SOCIAL_BADAJOZ, "/resources?age=70").await;
    assert_eq!(
        names(&r.body),
        ["Reparto de alimentos"],
        "no age limit takes everyone"
    );
    let r = app
        .get(
            SOCIAL_BADAJOZ,
            "/resources?eligibility=larga%20duracion&age=30",
        )
        .await;
    assert_eq!(names(&r.body), ["Orientación laboral intensiva"]);
    let r = app.get(SOCIAL_BADAJOZ, "/resources?referable=true").await;
    assert_eq!(names(&r.body), ["Orientación laboral intensiva"]);
    let r = app
        .get(SOCIAL_BADAJOZ, "/resources?age=viejo&category=nada")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Export in both forms; import into an empty database; export again: the same.
    let (status, ctype, first_json) =
        raw_get(&app, SOCIAL_BADAJOZ, "/resources/hsds/export.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("application/json"));
    let doc: Value = serde_json::from_slice(&first_json).expect("json");
    assert_eq!(doc["total_items"], 2);
    let (_, ctype, first_zip) = raw_get(&app, SOCIAL_BADAJOZ, "/resources/hsds/export.zip").await;
    assert_eq!(ctype, "application/zip");

    let other = spawn_app().await;
    let (status, report) = import(
        &other,
        COORDINATOR,
        "dry_run=true&file_name=catalogo.json",
        first_json.clone(),
        "es",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report:?}");
    assert_eq!(
        (report["created"].as_u64(), report["applied"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(count_resources(&other).await, 0, "a dry run saves nothing");
    let (status, report) = import(
        &other,
        COORDINATOR,
        "file_name=catalogo.json",
        first_json.clone(),
        "es",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report:?}");
    assert_eq!(report["applied"], true);
    let (_, _, again) = raw_get(&other, SOCIAL_BADAJOZ, "/resources/hsds/export.json").await;
    assert_eq!(
        serde_json::from_slice::<Value>(&again).expect("json"),
        doc,
        "the same document"
    );
    // Imported again: updated, not duplicated.
    let (_, report) = import(&other, COORDINATOR, "", first_json, "es").await;
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(count_resources(&other).await, 2);

    let third = spawn_app().await;
    let (status, report) = import(
        &third,
        COORDINATOR,
        "file_name=catalogo.zip",
        first_zip.clone(),
        "es",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report:?}");
    assert_eq!(report["format"], "tabular");
    let (_, _, again) = raw_get(&third, SOCIAL_BADAJOZ, "/resources/hsds/export.zip").await;
    assert_eq!(again, first_zip, "the same tables");

    // Professionals do not import.
    let (status, _) = import(&third, SOCIAL_BADAJOZ, "", b"{}".to_vec(), "es").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bad_hsds_file_is_refused_whole_with_file_line_and_field() {
    let app = spawn_app().await;
    let text = r#"{"contents": [
  {"id": "00000000-0000-4000-8000-0000000000b1", "name": "Bien", "status": "active",
   "organization": {"id": "00000000-0000-4000-8000-0000000000a1", "name": "Org", "description": "d"}},
  {"id": "00000000-0000-4000-8000-0000000000b2", "name": "Mal", "status": "open",
   "email": "no-es-correo",
   "organization": {"id": "00000000-0000-4000-8000-0000000000a1", "name": "Org", "description": "d"}}
]}"#;
    let (status, report) = import(
        &app,
        COORDINATOR,
        "file_name=red.json",
        text.as_bytes().to_vec(),
        "es",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["applied"], false);
    let problems = report["problems"].as_array().expect("problems");
    let seen: Vec<(String, u64, String)> = problems
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap_or("").into(),
                p["line"].as_u64().unwrap_or(0),
                p["field"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(
        seen.contains(&("red.json".into(), 4, "/contents/1/status".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("red.json".into(), 5, "/contents/1/email".into())),
        "{seen:?}"
    );
    assert!(
        problems
            .iter()
            .all(|p| !p["message"].as_str().unwrap_or("").is_empty()),
        "messages in the user's language"
    );
    assert!(problems
        .iter()
        .any(|p| p["message"] == "El valor no es uno de los admitidos."));
    assert_eq!(
        count_resources(&app).await,
        0,
        "nothing half-applied: the good service is not saved either"
    );
    for (bytes, code) in [
        (b"".to_vec(), "hsds.empty"),
        (b"not json".to_vec(), "hsds.json"),
        (b"PK\x03\x04broken".to_vec(), "hsds.zip"),
        (vec![0xff, 0xfe, 0x00], "hsds.encoding"),
    ] {
        let (status, report) = import(&app, COORDINATOR, "", bytes, "en").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(report["problems"][0]["code"], code, "{report:?}");
    }
}

#[tokio::test]
async fn a_referral_to_a_resource_goes_to_its_provider() {
    let app = spawn_app().await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let r = app.post(COORDINATOR, "/resources", &taller(&sexpe)).await;
    let resource = r.body["id"].as_str().expect("id").to_string();
    let r = app
        .post(COORDINATOR, "/resources", &json!({"organisation_name": "Cáritas", "name": "Ropero", "kind": "service", "category": "food_material"}))
        .await;
    let outside = r.body["id"].as_str().expect("id").to_string();
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Irene", "Solano", "Mata", 9_501))
        .await;
    let case = app.open_case(SOCIAL_BADAJOZ, &pid, SOCIAL_BADAJOZ).await;
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/participants/{pid}/consents"),
            &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma", "organisation_kinds": ["employment_service"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Outside the network: refused with its reason, on its field.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/referrals"),
            &json!({"resource_id": outside, "reason": "Ropa de invierno", "urgency": "ordinary"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "resource_id".to_string(),
            "referral.resource_outside".to_string()
        )]
    );
    // Another receiver than the resource's provider: refused.
    let ngo = app.org("Puentes").await;
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/cases/{case}/referrals"),
            &json!({"resource_id": resource, "to_organisation_id": ngo, "reason": "Orientación", "urgency": "ordinary"}))
        .await;
    assert_eq!(
        codes(&r.body),
        [(
            "to_organisation_id".to_string(),
            "referral.resource_other_organisation".to_string()
        )]
    );
    // The resource alone names the receiver.
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/cases/{case}/referrals"),
            &json!({"resource_id": resource, "reason": "Orientación laboral", "urgency": "ordinary"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let rid = r.body["id"].as_str().expect("id").to_string();
    let r = app.get(SOCIAL_BADAJOZ, &format!("/referrals/{rid}")).await;
    assert_eq!(r.body["to_organisation_id"], sexpe.as_str());
    assert_eq!(r.body["resource_name"], "Orientación laboral intensiva");
    let r = app.get(SEXPE_BADAJOZ, &format!("/referrals/{rid}")).await;
    assert_eq!(r.body["resource_id"], resource.as_str());

    // The referral form finds it in the catalogue and carries it.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b
        .page(&format!("/cases/{case}/referrals?q=orientacion"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Orientación laboral intensiva"), "{html}");
    assert!(
        !html.contains("Ropero"),
        "only resources a referral can go to"
    );
    let link = format!("/cases/{case}/referrals?to={sexpe}&#38;resource={resource}");
    assert!(html.contains(&link), "{html}");
    let (_, html) = b
        .page(&format!(
            "/cases/{case}/referrals?to={sexpe}&resource={resource}"
        ))
        .await;
    assert!(
        html.contains(&format!("name=\"resource_id\" value=\"{resource}\"")),
        "{html}"
    );
    let (_, html) = b.page("/resources?q=ropero").await;
    assert!(html.contains("Ropero") && html.contains("Fuera de la red"));
}

#[tokio::test]
async fn each_organisation_keeps_its_own_services_and_the_network_keepers_all() {
    let app = spawn_app().await;
    let sexpe = app.org("SEXPE Badajoz").await;
    let (_, own) = who(&app, CASE_MANAGER).await;
    // The network's coordinator enters a service of the employment office.
    let r = app.post(COORDINATOR, "/resources", &taller(&sexpe)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let orienta = r.body["id"].as_str().unwrap_or("").to_string();
    // A case manager of another organisation may not change it, nor give a service to
    // another organisation…
    let mut changed = taller(&sexpe);
    changed["status"] = json!("defunct");
    let r = app
        .put(CASE_MANAGER, &format!("/resources/{orienta}"), &changed)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app.post(CASE_MANAGER, "/resources", &taller(&sexpe)).await;
    assert_eq!(
        codes(&r.body),
        [(
            "organisation_id".to_string(),
            "resource.provider.not_yours".to_string()
        )]
    );
    let r = app.get(COORDINATOR, &format!("/resources/{orienta}")).await;
    assert_eq!(r.body["status"], "active");
    // …but keeps its own organisation's, and those it entered for a provider outside
    // the network, which another organisation's keeper cannot change.
    let r = app.post(CASE_MANAGER, "/resources", &taller(&own)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ropero = json!({"organisation_name": "Parroquia San Roque", "name": "Ropero", "kind": "service", "category": "food_material"});
    let r = app.post(CASE_MANAGER, "/resources", &ropero).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let rid = r.body["id"].as_str().unwrap_or("").to_string();
    let mut closed = ropero.clone();
    closed["status"] = json!("temporarily_closed");
    closed["version"] = json!("1");
    let r = app
        .put(PROGRAMME_MANAGER, &format!("/resources/{rid}"), &closed)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app
        .put(CASE_MANAGER, &format!("/resources/{rid}"), &closed)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A catalogue file is the network keepers' to import, and it does not rename a
    // network organisation.
    let (status, _) = import(&app, CASE_MANAGER, "", b"{}".to_vec(), "es").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, file) = raw_get(&app, COORDINATOR, "/resources/hsds/export.json").await;
    let sexpe_name = app
        .get(COORDINATOR, &format!("/resources/{orienta}"))
        .await
        .body["provider_name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let renamed = String::from_utf8(file)
        .expect("utf-8")
        .replace(&sexpe_name, "Centro falso");
    assert!(renamed.contains("Centro falso"));
    let (status, report) = import(&app, COORDINATOR, "", renamed.into_bytes(), "es").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true, "{report}");
    let r = app.get(COORDINATOR, &format!("/resources/{orienta}")).await;
    assert_eq!(r.body["provider_name"], sexpe_name.as_str(), "{}", r.body);
}
