//! The master participant index: lookups on registration, the review queue, merges and
//! unmerges, the thresholds, the batch deduplication — through the API, on both engines.

use itinera_service::Ctx;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn with(mut p: Value, changes: &[(&str, Value)]) -> Value {
    for (k, v) in changes {
        p[*k] = v.clone();
    }
    p
}

#[tokio::test]
async fn one_person_registered_by_two_organisations_is_linked_without_sharing_their_records() {
    let app = spawn_app().await;
    let a = with(
        person("María José", "García", "Pérez", 51_000_001),
        &[("birth_date", json!("1985-03-07"))],
    );
    let id_a = app.register(SOCIAL_BADAJOZ, &a).await;
    // Mérida types her differently: abbreviation, surnames swapped, another phone.
    let b = with(
        person("M.ª José", "Pérez", "García", 51_000_001),
        &[
            ("birth_date", json!("07/03/1985")),
            ("phone", json!("+34 611 222 333")),
        ],
    );
    let r = app.post(SOCIAL_MERIDA, "/participants", &b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Linked in the index, but Mérida has no basis for Badajoz's record: it is told
    // nothing that depends on it (the master index is not an oracle).
    assert_eq!(r.body["outcome"], "new");
    assert!(r.body["probability"].is_null());
    let id_b = r.body["id"].as_str().unwrap().to_string();
    assert_ne!(id_a, id_b);

    // Each organisation sees only its own record, and no trace of the link.
    assert_eq!(
        app.get(SOCIAL_MERIDA, &format!("/participants/{id_a}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{id_b}"))
        .await;
    assert_eq!(r.body["person"]["records"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["person"]["merges"], json!([]));
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id_a}"))
        .await;
    assert_eq!(r.body["person"]["merges"], json!([]));
    assert!(!r.body.to_string().contains(&id_b));
    // Badajoz registering her again gets its own record back; nothing is created.
    let again = with(
        person("Maria Jose", "Garcia", "Perez", 51_000_001),
        &[("birth_date", json!("1985-03-07"))],
    );
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &again).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "existing");
    assert_eq!(r.body["id"], id_a.as_str());
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/participants/{id_a}")
    );
    // Hidden, the merge cannot be undone (nor found) by Mérida.
    let hidden_merge = app
        .get(
            AUDITOR,
            &format!("/audit-entries?entity_id={id_b}&action=participant.link"),
        )
        .await;
    let detail: Value = serde_json::from_str(
        hidden_merge.body["items"][0]["detail"]
            .as_str()
            .unwrap_or("{}"),
    )
    .unwrap_or(Value::Null);
    let merge_id = detail["merge"].as_str().unwrap_or("").to_string();
    assert!(!merge_id.is_empty(), "{:?}", hidden_merge.body);
    let r = app
        .post(
            SOCIAL_MERIDA,
            &format!("/merges/{merge_id}/undo"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Badajoz shares her case with Mérida (consent and team): now Mérida sees both
    // records, the link and its merge, and may undo it, once.
    share(&app, SOCIAL_BADAJOZ, &id_a, SOCIAL_MERIDA).await;
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{id_b}"))
        .await;
    assert_eq!(r.body["person"]["records"].as_array().unwrap().len(), 2);
    let merges = r.body["person"]["merges"].as_array().unwrap().clone();
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0]["kind"], "auto");
    assert_eq!(merges[0]["id"], merge_id.as_str());
    let r = app
        .post(NGO_BADAJOZ, &format!("/merges/{merge_id}/undo"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            SOCIAL_MERIDA,
            &format!("/merges/{merge_id}/undo"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["participant_id"], id_b.as_str());
    let r = app
        .post(
            SOCIAL_MERIDA,
            &format!("/merges/{merge_id}/undo"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["type"], "urn:itinera:problem:linkage.merge.undone");
    // Undone, the merge is still shown to whoever sees every record it moved; Badajoz,
    // who never saw Mérida's, is not told that it once was linked to her record.
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id_a}"))
        .await;
    assert_eq!(
        r.body["person"]["merges"],
        json!([]),
        "{:?}",
        r.body["person"]
    );
    assert!(!r.body.to_string().contains(&id_b));
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{id_b}"))
        .await;
    let shown = r.body["person"]["merges"].as_array().unwrap().clone();
    assert!(shown.iter().all(|m| !m["undone_at"].is_null()), "{shown:?}");

    // Every step is in the audit log.
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={id_b}"))
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"participant.link"), "{actions:?}");
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={merge_id}"))
        .await;
    assert_eq!(r.body["items"][0]["action"], "linkage.unmerge");
}

#[tokio::test]
async fn a_doubtful_match_waits_for_a_person_and_the_decision_is_remembered() {
    let app = spawn_app().await;
    let a = with(
        person("Francisco", "Ruiz", "Gómez", 52_000_001),
        &[("birth_date", json!("1980-03-07"))],
    );
    let id_a = app.register(SOCIAL_BADAJOZ, &a).await;
    // One surname, day and month swapped, no document, no phone.
    let b = with(
        person("Francisco", "Ruiz", "", 0),
        &[
            ("birth_date", json!("1980-07-03")),
            ("documents", json!([])),
            ("phone", json!("")),
        ],
    );
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "review", "{:?}", r.body);
    assert_eq!(r.body["queued"], 1);
    let id_b = r.body["id"].as_str().unwrap().to_string();

    // The queue: in the work list, and listed for Badajoz, not for an NGO that sees
    // neither record.
    let r = app.get(SOCIAL_BADAJOZ, "/tasks").await;
    let counts = r.body["counts"].as_array().unwrap();
    assert!(
        counts.iter().any(|c| c[0] == "link_reviews" && c[1] == 1),
        "{counts:?}"
    );
    let r = app.get(SOCIAL_BADAJOZ, "/link-reviews").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["left"]["visible"], true);
    assert_eq!(items[0]["right"]["visible"], true);
    let review = items[0]["id"].as_str().unwrap().to_string();
    let r = app.get(NGO_BADAJOZ, "/link-reviews").await;
    assert!(r.body["items"].as_array().unwrap().is_empty());
    let r = app
        .get(NGO_BADAJOZ, &format!("/link-reviews/{review}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Side by side with the explanation: each field's level and weight, and the total.
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/link-reviews/{review}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let fields = r.body["explanation"]["fields"].as_array().unwrap();
    let level = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .map(|f| f["level"].clone())
            .unwrap()
    };
    assert_eq!(level("birth_date"), "day_month_swapped");
    assert_eq!(level("given_name"), "exact");
    assert_eq!(level("surname"), "variant");
    assert!(level("document").is_null());
    let sum: f64 = r.body["explanation"]["prior_weight"].as_f64().unwrap()
        + fields
            .iter()
            .map(|f| f["weight"].as_f64().unwrap())
            .sum::<f64>();
    let total = r.body["explanation"]["total_weight"].as_f64().unwrap();
    assert!((sum - total).abs() < 1e-9, "{sum} vs {total}");
    let p = r.body["explanation"]["match_probability"].as_f64().unwrap();
    assert!((0.5..0.9).contains(&p), "{p}");

    // A decision needs an answer; "same" merges the two persons.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/link-reviews/{review}/decision"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "same");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/link-reviews/{review}/decision"),
            &json!({"same": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let merge = r.body["merge"].as_str().unwrap().to_string();
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/link-reviews/{review}/decision"),
            &json!({"same": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{id_b}"))
        .await;
    let records: Vec<&str> = r.body["person"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert_eq!(records, [id_a.as_str(), id_b.as_str()]);
    assert!(app.get(SOCIAL_BADAJOZ, "/link-reviews").await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // Unmerged, the pair is remembered as two persons: it never comes back.
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/merges/{merge}/undo"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/link-reviews/{review}"))
        .await;
    assert_eq!(r.body["status"], "different");
    assert_eq!(r.body["same_person"], false);
    let report = app
        .services
        .dedupe_registry(&Ctx::cli(start_time()), true)
        .await
        .unwrap();
    let pair_back = report
        .to_link
        .iter()
        .chain(&report.uncertain)
        .any(|p| [p.left.to_string(), p.right.to_string()].contains(&id_a));
    assert!(!pair_back);
}

#[tokio::test]
async fn administrators_set_the_thresholds_with_clear_errors() {
    let app = spawn_app().await;
    let r = app.get(ADMIN, "/linkage/settings").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["auto_link"], 0.9);
    assert_eq!(r.body["review"], 0.5);
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": 0.6, "review": 0.8}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "review");
    assert_eq!(r.body["errors"][0]["code"], "linkage.threshold.order");
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": "x", "review": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["linkage.threshold.number", "linkage.threshold.range"]
    );
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            "/linkage/settings",
            &json!({"auto_link": 0.95, "review": 0.6}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": 0.95, "review": "0,6"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(ADMIN, "/linkage/settings").await;
    assert_eq!(r.body["auto_link"], 0.95);
    assert_eq!(r.body["review"], 0.6);
}

/// `owner`'s organisation shares `pid` with `with`'s: a sharing consent for social
/// services and a case whose team has `with`.
async fn share(app: &TestApp, owner: &str, pid: &str, with: &str) {
    let r = app
        .post(owner, &format!("/participants/{pid}/consents"), &json!({"purpose": "sharing", "given_on": "2026-11-01", "evidence": "Firma", "organisation_kinds": ["social_services"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let case = app.open_case(owner, pid, owner).await;
    let p = app.professional(with).await;
    let r = app
        .post(
            owner,
            &format!("/cases/{case}/team-members"),
            &json!({"professional": p, "role": "social_reference"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// The records and persons of the registry, in id order.
async fn persons(app: &TestApp) -> Vec<(uuid::Uuid, uuid::Uuid)> {
    let mut tx = app.store.read().await.unwrap();
    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = itinera_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, person_id FROM participants ORDER BY id"
    ).fetch_all(c).await.map_err(itinera_store::db_err))
    .unwrap();
    tx.commit().await.unwrap();
    rows
}

#[tokio::test]
async fn the_registry_batch_links_duplicates_and_every_merge_undone_restores_it_exactly() {
    let app = spawn_app().await;
    // Registered while the index links nothing (thresholds at 1): duplicates get in.
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": 1, "review": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let people = [
        ("Ana Belén", "Sánchez", "Pardo", "1979-12-01", 53_000_001),
        ("Youssef", "El Idrissi", "", "1990-06-15", 53_000_002),
        ("Giuseppe", "Russo", "", "1968-02-29", 53_000_003),
    ];
    let mut pairs = Vec::new();
    for (g, s1, s2, born, n) in people {
        let p = with(person(g, s1, s2, n), &[("birth_date", json!(born))]);
        let a = app.register(SOCIAL_BADAJOZ, &p).await;
        let b = app.register(SOCIAL_MERIDA, &p).await;
        pairs.push((a, b));
    }
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": 0.9, "review": 0.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let before = persons(&app).await;

    let ctx = Ctx::cli(start_time());
    let dry = app.services.dedupe_registry(&ctx, false).await.unwrap();
    assert!(!dry.applied);
    assert_eq!(dry.merges, 0);
    assert_eq!(persons(&app).await, before, "a dry run changes nothing");
    for (a, b) in &pairs {
        assert!(
            dry.to_link.iter().any(|p| {
                let ids = [p.left.to_string(), p.right.to_string()];
                ids.contains(a) && ids.contains(b)
            }),
            "{a} {b} not found"
        );
    }
    assert!(dry.clusters.len() >= pairs.len());
    let records: usize = dry.sizes.iter().map(|(size, n)| size * n).sum();
    assert_eq!(records, dry.records);

    let done = app.services.dedupe_registry(&ctx, true).await.unwrap();
    assert_eq!(done.merges, dry.to_link.len());
    let after = persons(&app).await;
    for (a, b) in &pairs {
        let pa = after.iter().find(|(id, _)| id.to_string() == *a).unwrap().1;
        let pb = after.iter().find(|(id, _)| id.to_string() == *b).unwrap().1;
        assert_eq!(pa, pb);
    }
    // A second run finds nothing more to link.
    let again = app.services.dedupe_registry(&ctx, true).await.unwrap();
    assert_eq!(again.merges, 0);

    // Undo every merge, latest first: the registry is exactly as before.
    let mut tx = app.store.read().await.unwrap();
    let merges: Vec<uuid::Uuid> = itinera_store::on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT id FROM merges WHERE undone_at IS NULL ORDER BY created_at DESC, id DESC"
    ).fetch_all(c).await.map_err(itinera_store::db_err))
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(merges.len(), done.merges);
    // Undone by whom sees every record of the person: Mérida shares hers with Badajoz.
    for (_, b) in &pairs {
        share(&app, SOCIAL_MERIDA, b, SOCIAL_BADAJOZ).await;
    }
    for m in merges {
        let r = app
            .post(SOCIAL_BADAJOZ, &format!("/merges/{m}/undo"), &json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(persons(&app).await, before);
}

#[tokio::test]
async fn random_merges_undone_in_any_allowed_order_restore_every_person() {
    use rand::{Rng, SeedableRng};
    let app = spawn_app_with(0).await;
    let mut ids = Vec::new();
    for n in 0..8u32 {
        let p = person(&format!("Persona{n}"), "Distinta", "", 54_000_000 + n * 997);
        ids.push(app.register(SOCIAL_BADAJOZ, &p).await);
    }
    let before = persons(&app).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for round in 0..5 {
        // Merge random persons together, then undo every merge, refusing those that a
        // later merge has moved on until it is undone.
        let mut made = Vec::new();
        for _ in 0..rng.gen_range(1..7) {
            let current = persons(&app).await;
            let a = current[rng.gen_range(0..current.len())].1;
            let b = current[rng.gen_range(0..current.len())].1;
            if a == b {
                continue;
            }
            let mut tx = app.store.write().await.unwrap();
            let m = itinera_store::linkage::merge(
                &mut tx,
                a.min(b),
                a.max(b),
                "review",
                None,
                None,
                None,
                start_time(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            made.push(m);
        }
        // Try them oldest first: a refusal must leave everything as it was.
        let mut pending = made.clone();
        while !pending.is_empty() {
            let mut progressed = false;
            for m in pending.clone() {
                let snapshot = persons(&app).await;
                let r = app
                    .post(SOCIAL_BADAJOZ, &format!("/merges/{m}/undo"), &json!({}))
                    .await;
                match r.status {
                    StatusCode::OK => {
                        pending.retain(|x| *x != m);
                        progressed = true;
                    }
                    StatusCode::CONFLICT => {
                        assert_eq!(r.body["type"], "urn:itinera:problem:linkage.merge.later");
                        assert_eq!(persons(&app).await, snapshot);
                    }
                    s => panic!("round {round}: {s} {:?}", r.body),
                }
            }
            assert!(progressed, "round {round}: no merge could be undone");
        }
        assert_eq!(persons(&app).await, before, "round {round}");
    }
}

#[tokio::test]
async fn the_review_queue_and_the_thresholds_work_in_the_browser() {
    let app = spawn_app().await;
    let a = with(
        person("Francisco", "Ruiz", "Gómez", 55_000_001),
        &[("birth_date", json!("1980-03-07")), ("sex", json!("male"))],
    );
    let id_a = app.register(SOCIAL_BADAJOZ, &a).await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let form = [
        ("given_name", "Francisco"),
        ("surname1", "Ruiz"),
        ("sex", "male"),
        ("birth_date", "15/11/1962"),
        ("labour_status", "unemployed"),
    ];
    // Not a likely match (another date): a new person, no notice.
    let (status, _, location) = b.post_form("/participants", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !location.unwrap().contains('?'),
        "a new person needs no notice"
    );
    // Day and month swapped: registered, and the pair goes to the queue.
    let mut doubtful = form;
    doubtful[3] = ("birth_date", "1980-07-03");
    let (status, _, location) = b.post_form("/participants", &doubtful).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.ends_with("?index=review"), "{location}");
    let (status, html) = b.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("la pareja queda en la cola de posibles duplicados"));

    let (status, html) = b.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Posibles duplicados por revisar"));
    let (status, html) = b.page("/links").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("⟨?⟩"));
    let review = html
        .split("href=\"/links/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let (status, html) = b.page(&format!("/links/{review}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("día y mes intercambiados"),
        "the level is shown"
    );
    assert!(html.contains("Qué coincide y qué no"));
    // In plain words: what coincides, what is alike and how; weights only on request.
    assert!(html.contains("Coinciden: "), "{html}");
    assert!(
        html.contains("Fecha de nacimiento (día y mes intercambiados)"),
        "{html}"
    );
    let weights_at = html.find("<details id=\"weights\">").unwrap();
    assert!(
        html[..weights_at].find("Peso").is_none(),
        "no weight before the details"
    );
    let shown = html
        .split("Probabilidad de ser la misma persona: <strong>")
        .nth(1)
        .and_then(|s| s.split(" %</strong>").next())
        .unwrap();
    assert!(
        shown.contains(',') && !shown.contains('.'),
        "a decimal comma in Spanish: {shown}"
    );
    assert!(!html.contains("⟨?⟩"));
    // No answer: the page again with the message; then "same".
    let (status, html, _) = b.post_form(&format!("/links/{review}/decision"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Elija una de las dos respuestas."));
    let (status, _, location) = b
        .post_form(
            &format!("/links/{review}/decision"),
            &[("decision", "same")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/links"));
    let (_, html) = b.page(&format!("/participants/{id_a}")).await;
    assert!(html.contains("Registros de esta misma persona que usted puede ver"));
    assert!(html.contains("Deshacer la unión"));
    let merge = html
        .split("action=\"/merges/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    // The button asks first: nothing is undone until the page's own button says so.
    let back = format!("/participants/{id_a}");
    let (status, html, _) = b
        .post_form(&format!("/merges/{merge}/undo"), &[("back", back.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("¿Deshacer la unión de registros?"), "{html}");
    assert!(
        html.contains(&format!("href=\"{back}\"")),
        "cancel goes back"
    );
    let (_, still) = b.page(&back).await;
    assert!(still.contains(&format!("action=\"/merges/{merge}/undo\"")));
    let (status, _, location) = b
        .post_form(&format!("/merges/{merge}/undo"), &[("confirm", "yes")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = b.page(location.as_deref().unwrap()).await;
    assert!(html.contains("Se ha deshecho la unión"));

    // The administrators' page, in every language, with field errors kept.
    let admin = Browser::new(&app.base);
    admin.login(ADMIN).await;
    for (lang, word) in [
        ("es", "Umbral de revisión"),
        ("ca", "Llindar de revisió"),
        ("it", "Soglia di verifica"),
        ("en", "Review threshold"),
    ] {
        admin
            .client
            .post(format!("{}/language", app.base))
            .form(&[("lang", lang), ("back", "/admin")])
            .send()
            .await
            .unwrap();
        let (status, html) = admin.page("/admin/linkage").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(word), "{lang}");
        assert!(!html.contains("⟨?⟩"), "{lang}");
    }
    let (status, html, _) = admin
        .post_form("/admin/linkage", &[("auto_link", "0,7"), ("review", "0.8")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"0,7\""), "what was typed is kept");
    assert!(html.contains("aria-invalid=\"true\""));
    let (status, _, _) = admin
        .post_form(
            "/admin/linkage",
            &[("auto_link", "0,95"), ("review", "0,6")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = b.page("/admin/linkage").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_edit_that_makes_a_record_match_another_person_queues_the_pair() {
    let app = spawn_app().await;
    let a = with(
        person("Remedios", "Caballero", "Pozo", 56_000_001),
        &[("birth_date", json!("1966-10-20"))],
    );
    let id_a = app.register(SOCIAL_BADAJOZ, &a).await;
    // Mérida registers her with a wrong birth year and no document: a new person.
    let b = with(
        person("Remedios", "Caballero", "Pozo", 0),
        &[
            ("birth_date", json!("1976-02-11")),
            ("documents", json!([])),
            ("phone", json!("")),
        ],
    );
    let r = app.post(SOCIAL_MERIDA, "/participants", &b).await;
    assert_eq!(r.body["outcome"], "new", "{:?}", r.body);
    let id_b = r.body["id"].as_str().unwrap().to_string();
    // Correcting the date makes her match: the pair is queued, nothing is merged.
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{id_b}"))
        .await;
    let version = r.body["participant"]["version"].as_i64().unwrap();
    let mut edit = b.clone();
    edit["birth_date"] = json!("1966-10-20");
    edit["version"] = json!(version);
    let r = app
        .put(SOCIAL_MERIDA, &format!("/participants/{id_b}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Queued in the index; not shown to Mérida, which has no basis for Badajoz's record.
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?entity_id={id_b}&action=linkage.queue"),
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{:?}", r.body);
    let r = app.get(SOCIAL_MERIDA, "/link-reviews").await;
    assert_eq!(
        r.body["items"],
        json!([]),
        "the pair would disclose the record"
    );
    // Shared with Mérida (consent and team): the pair is Mérida's to review.
    share(&app, SOCIAL_BADAJOZ, &id_a, SOCIAL_MERIDA).await;
    let r = app.get(SOCIAL_MERIDA, "/link-reviews").await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{:?}", r.body);
    assert_eq!(items[0]["source"], "edit");
    let r = app
        .get(SOCIAL_MERIDA, &format!("/participants/{id_b}"))
        .await;
    assert!(r.body["person"]["merges"].as_array().unwrap().is_empty());
    // Editing again does not queue the same pair twice.
    let version = r.body["participant"]["version"].as_i64().unwrap();
    edit["version"] = json!(version);
    edit["address"] = json!("Calle Mayor 3");
    app.put(SOCIAL_MERIDA, &format!("/participants/{id_b}"), &edit)
        .await;
    let r = app.get(SOCIAL_MERIDA, "/link-reviews").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}
