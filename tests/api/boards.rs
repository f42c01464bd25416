//! Improvement boards and protocols through the API, on both engines.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A level-1 body convened by the case manager with the SEXPE counsellor and the
/// social worker of Badajoz as members.
async fn body_with_members(app: &TestApp) -> String {
    let programme = app.programme("CRISOL").await;
    let r = app
        .post(
            CASE_MANAGER,
            "/bodies",
            &json!({"name": "Grupo de coordinación, seguimiento y evaluación", "level": "1", "programme_id": programme, "frequency": "monthly", "first_meeting_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.body["id"].as_str().unwrap().to_string();
    for (user, role) in [
        (SEXPE_BADAJOZ, "reference_technician"),
        (SOCIAL_BADAJOZ, "reference_technician"),
    ] {
        let (u, o) = who(app, user).await;
        let r = app
            .post(
                CASE_MANAGER,
                &format!("/bodies/{body}/members"),
                &json!({"organisation_id": o, "user_id": u, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    body
}

fn card<'a>(board: &'a Value, id: &str) -> &'a Value {
    board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().iter())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no card {id} in {board}"))
}

#[tokio::test]
async fn members_post_and_vote_cards_and_the_convener_turns_them_into_an_agreement() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;

    // Bad input, every field at once.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/boards"),
            &json!({"question": "", "columns": ["A", "a"], "opens_on": "2026-11-30", "closes_on": "2026-11-01", "votes_per_member": "0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        [
            ("question".into(), "validation.required".into()),
            ("columns".into(), "boards.column_twice".into()),
            ("closes_on".into(), "boards.closes_before_opens".into()),
            ("votes_per_member".into(), "boards.votes_range".into()),
        ]
    );
    // Only a convener opens a board.
    let ok = json!({"question": "¿Qué propones para mejorar la comunicación y la coordinación entre ambos programas?", "columns": ["COMUNICACIÓN", "COORDINACIÓN", "OTRAS APORTACIONES"], "opens_on": "2026-11-23", "closes_on": "2026-11-30", "votes_per_member": "2"});
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/bodies/{body}/boards"), &ok)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(CASE_MANAGER, &format!("/bodies/{body}/boards"), &ok)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let board = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert_eq!(r.body["state"], "open");
    let columns: Vec<String> = r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(columns.len(), 3);

    // Two members post, one of them anonymously.
    let post = |user: &'static str, col: usize, text: &'static str, anonymous: bool| {
        let app = &app;
        let board = board.clone();
        let col = columns[col].clone();
        async move {
            let r = app
                .post(
                    user,
                    &format!("/boards/{board}/cards"),
                    &json!({"column_id": col, "text": text, "anonymous": anonymous}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let c1 = post(
        SEXPE_BADAJOZ,
        0,
        "Un canal de mensajería común entre técnicos",
        false,
    )
    .await;
    let c2 = post(
        SOCIAL_BADAJOZ,
        1,
        "Reuniones mensuales de casos compartidos",
        true,
    )
    .await;
    let c3 = post(
        SOCIAL_BADAJOZ,
        0,
        "Un directorio de referentes por servicio",
        false,
    )
    .await;
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/boards/{board}/cards"),
            &json!({"column_id": columns[0], "text": "  "}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("text".into(), "validation.required".into())]
    );
    // A non-member sees nothing of it.
    assert_eq!(
        app.get(SOCIAL_MERIDA, &format!("/boards/{board}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(SOCIAL_MERIDA, &format!("/cards/{c1}/vote"), &json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Votes: two per member; voting twice for one card counts once; a vote taken back
    // frees it.
    for c in [&c1, &c2, &c1] {
        let r = app
            .post(SEXPE_BADAJOZ, &format!("/cards/{c}/vote"), &json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cards/{c3}/vote"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:itinera:problem:boards.no_votes_left");
    assert_eq!(
        app.delete(SEXPE_BADAJOZ, &format!("/cards/{c2}/vote"))
            .await
            .status,
        StatusCode::OK
    );
    for (user, c) in [(SEXPE_BADAJOZ, &c3), (SOCIAL_BADAJOZ, &c1)] {
        let r = app
            .post(user, &format!("/cards/{c}/vote"), &json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert_eq!(r.body["votes_left"], 0);
    assert_eq!(card(&r.body, &c1)["votes"], 2);
    assert_eq!(card(&r.body, &c1)["voted"], true);
    assert_eq!(card(&r.body, &c2)["votes"], 0);
    // The most voted card heads its column.
    assert_eq!(r.body["columns"][0]["cards"][0]["id"], c1.as_str());
    // Named and anonymous cards: the anonymous one has no author at all.
    assert!(card(&r.body, &c1)["author_name"].is_string());
    assert!(card(&r.body, &c2)["author_name"].is_null());
    assert!(card(&r.body, &c2)["author_organisation_name"].is_null());

    // The convener groups two cards and turns the group into an agreement at a meeting.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/boards/{board}/groups"),
            &json!({"title": "Canales", "cards": [c1, c3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/boards/{board}/groups"),
            &json!({"title": "Canales de comunicación", "cards": [c1, c3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/meetings"),
            &json!({"date": "2026-11-26", "starts": "10:00", "ends": "11:00", "mode": "virtual", "link": "https://meet.example.org/crisol"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let meeting = r.body["id"].as_str().unwrap().to_string();
    let (sexpe_user, _) = who(&app, SEXPE_BADAJOZ).await;
    let (merida_user, _) = who(&app, SOCIAL_MERIDA).await;
    // An owner who is not a member is refused, and nothing is linked.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cards/{c1}/agreement"),
            &json!({"meeting_id": meeting, "text": "Crear un canal común", "owner": format!("user:{merida_user}"), "due_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("owner".into(), "coordination.owner_not_member".into())]
    );
    let r = app.get(CASE_MANAGER, &format!("/boards/{board}")).await;
    assert!(card(&r.body, &c1)["agreement_id"].is_null());
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cards/{c1}/agreement"),
            &json!({"meeting_id": meeting, "text": "Crear un canal común de mensajería y un directorio de referentes", "owner": format!("user:{sexpe_user}"), "due_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let agreement = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(CASE_MANAGER, &format!("/boards/{board}")).await;
    assert_eq!(card(&r.body, &c1)["agreement_id"], agreement.as_str());
    assert_eq!(
        card(&r.body, &c3)["agreement_id"],
        agreement.as_str(),
        "the whole group is linked"
    );
    assert!(card(&r.body, &c2)["agreement_id"].is_null());
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cards/{c3}/agreement"),
            &json!({"meeting_id": meeting, "text": "Otra vez", "owner": format!("user:{sexpe_user}"), "due_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The owner finds it in their work list.
    let r = app.get(SEXPE_BADAJOZ, "/tasks").await;
    assert!(
        r.body["agreements_due"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == agreement.as_str()),
        "{:?}",
        r.body["agreements_due"]
    );

    // Once the board closes, a card or a vote is refused with a clear reason.
    app.clock.advance(Duration::days(8));
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert_eq!(r.body["state"], "closed");
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/boards/{board}/cards"),
            &json!({"column_id": columns[2], "text": "Llega tarde"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:itinera:problem:boards.closed");
    let r = app
        .post(SOCIAL_BADAJOZ, &format!("/cards/{c2}/vote"), &json!({}))
        .await;
    assert_eq!(r.body["type"], "urn:itinera:problem:boards.closed");
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    let total: usize = r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cards"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 3, "nothing was added to the closed board");
}

#[tokio::test]
async fn protocols_are_versioned_and_the_body_sees_who_has_not_read_the_one_in_force() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;
    let programme = app.programme("CRISOL").await;
    let (_, social_org) = who(&app, SOCIAL_BADAJOZ).await;

    // Both scopes, a validity that ends before it starts: every field at once.
    let r = app
        .post(
            COORDINATOR,
            "/protocols",
            &json!({"title": "Guía de coordinación conjunta", "kind": "guide", "programme_id": programme, "body_id": body, "owner_organisation_id": social_org,
                    "summary": "Circuitos y referentes", "valid_from": "2026-11-01", "valid_until": "2026-10-01", "roles": ["social_worker", "auditor"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&r.body),
        [
            ("body_id".into(), "protocols.scope_error".into()),
            ("valid_until".into(), "protocols.until_before_from".into()),
            ("roles".into(), "validation.choice".into()),
        ]
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/protocols",
            &json!({"title": "Guía", "kind": "guide", "programme_id": programme, "owner_organisation_id": social_org, "summary": "x", "valid_from": "2026-11-01"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a social worker does not publish"
    );
    let r = app
        .post(
            COORDINATOR,
            "/protocols",
            &json!({"title": "Guía de coordinación conjunta CRISOL", "kind": "guide", "programme_id": programme, "owner_organisation_id": social_org,
                    "summary": "Circuitos de derivación, referentes por servicio y entrevistas conjuntas.", "document_ref": "GUIA-CRISOL-2026", "valid_from": "2026-11-01",
                    "roles": ["social_worker", "employment_counsellor"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let guide = r.body["id"].as_str().unwrap().to_string();

    // The social worker is concerned and has not read it: it is in their work list.
    let listed = |r: &Resp| -> Value {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == guide.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let r = app.get(SOCIAL_BADAJOZ, "/protocols").await;
    assert_eq!(listed(&r)["in_force"], 1);
    assert_eq!(listed(&r)["to_read"], true);
    let r = app.get(SOCIAL_BADAJOZ, "/tasks").await;
    assert_eq!(r.body["protocols_to_read"][0]["id"], guide.as_str());
    // A technician is not concerned by it.
    let r = app.get(NGO_BADAJOZ, "/protocols").await;
    assert_eq!(listed(&r)["to_read"], false);

    // Confirming reading; the coordinator sees who has and who has not.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/protocols/{guide}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(SOCIAL_BADAJOZ, "/protocols").await;
    assert_eq!(listed(&r)["to_read"], false);
    let r = app.get(COORDINATOR, &format!("/protocols/{guide}")).await;
    let readers = r.body["readers"].as_array().unwrap();
    let (social_user, _) = who(&app, SOCIAL_BADAJOZ).await;
    let (sexpe_user, _) = who(&app, SEXPE_BADAJOZ).await;
    let status_of = |u: &str| {
        readers
            .iter()
            .find(|x| x["user_id"] == u)
            .map(|x| x["read_at"].is_string())
    };
    assert_eq!(status_of(&social_user), Some(true));
    assert_eq!(status_of(&sexpe_user), Some(false));
    assert!(readers.iter().all(|x| x["display_name"].is_string()));
    assert_eq!(
        readers[0]["read_at"],
        Value::Null,
        "those who have not read come first"
    );
    // Another organisation follows its own people's reading only, not the network's.
    let r = app
        .get(PROGRAMME_MANAGER, &format!("/protocols/{guide}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let theirs = r.body["readers"].as_array().unwrap();
    assert!(
        theirs
            .iter()
            .all(|x| x["user_id"] != social_user.as_str() && x["user_id"] != sexpe_user.as_str()),
        "{theirs:?}"
    );

    // A change is proposed and a new version applies it: it must be read again.
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/protocols/{guide}/changes"),
            &json!({"text": "Añadir el canal común de mensajería"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let change = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            COORDINATOR,
            &format!("/protocols/{guide}/versions"),
            &json!({"summary": "Añade el canal común de mensajería.", "valid_from": "2026-11-23", "roles": ["social_worker", "employment_counsellor"], "applies": [change]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["version"], 2);
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/protocols/{guide}"))
        .await;
    assert_eq!(r.body["in_force"], 2);
    assert_eq!(r.body["read_by_me"], false);
    assert_eq!(r.body["changes"][0]["applied_in_version"], 2);
    assert_eq!(r.body["versions"].as_array().unwrap().len(), 2);
    // Applying a change twice is refused, and the version is not half-published.
    let r = app
        .post(
            COORDINATOR,
            &format!("/protocols/{guide}/versions"),
            &json!({"summary": "Otra", "valid_from": "2026-11-23", "applies": [change]}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("applies".into(), "validation.choice".into())]
    );
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/protocols/{guide}"))
        .await;
    assert_eq!(r.body["versions"].as_array().unwrap().len(), 2);

    // A body's protocol is seen by its members only.
    let r = app
        .post(
            CASE_MANAGER,
            "/protocols",
            &json!({"title": "Protocolo con las empresas de inserción", "kind": "protocol", "body_id": body, "owner_organisation_id": social_org, "summary": "Derivaciones a empresas de inserción", "valid_from": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let own = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(SOCIAL_MERIDA, &format!("/protocols/{own}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app.get(SOCIAL_MERIDA, "/protocols").await;
    assert!(r
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["id"] != own.as_str()));
    let r = app
        .get(SEXPE_BADAJOZ, &format!("/protocols?body={body}"))
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // The members are its readers: the body sees who has not read it.
    let r = app.get(SEXPE_BADAJOZ, &format!("/protocols/{own}")).await;
    let names: Vec<&str> = r.body["readers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["user_id"].as_str())
        .collect();
    assert!(names.contains(&sexpe_user.as_str()) && names.contains(&social_user.as_str()));

    // A card of a board becomes a proposed change of the body's protocol.
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/boards"),
            &json!({"question": "¿Qué cambiarías del protocolo?", "columns": ["PROPUESTAS"], "opens_on": "2026-11-23", "closes_on": "2026-11-30"}),
        )
        .await;
    let board = r.body["id"].as_str().unwrap().to_string();
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    let col = r.body["columns"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/boards/{board}/cards"),
            &json!({"column_id": col, "text": "Un plazo máximo de respuesta a las derivaciones"}),
        )
        .await;
    let c = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/cards/{c}/protocol-change"),
            &json!({"protocol_id": own, "text": "Plazo máximo de respuesta de diez días"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.get(SEXPE_BADAJOZ, &format!("/protocols/{own}")).await;
    assert_eq!(
        r.body["changes"][0]["text"],
        "Plazo máximo de respuesta de diez días"
    );
    assert!(r.body["changes"][0]["applied_in_version"].is_null());
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert!(r.body["columns"][0]["cards"][0]["protocol_change_id"].is_string());
}

#[tokio::test]
async fn in_the_browser_a_card_posted_to_a_closed_board_is_refused_and_kept() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;
    let b = Browser::new(&app.base);
    b.login(CASE_MANAGER).await;
    let (status, html) = b.page(&format!("/bodies/{body}/boards/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("COMUNICACIÓN\nCOORDINACIÓN\nOTRAS APORTACIONES"),
        "{html}"
    );
    // Bad dates: the form comes back with the error and what was typed.
    let question = "¿Qué propones para mejorar la coordinación?";
    let (status, html, _) = b
        .post_form(
            &format!("/bodies/{body}/boards"),
            &[
                ("question", question),
                ("columns", "COMUNICACIÓN\r\nCOORDINACIÓN"),
                ("opens_on", "2026-11-23"),
                ("closes_on", "2026-11-01"),
                ("votes_per_member", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("El panel debe cerrarse después de abrirse."),
        "{html}"
    );
    assert!(html.contains(question));
    let (status, _, location) = b
        .post_form(
            &format!("/bodies/{body}/boards"),
            &[
                ("question", question),
                ("columns", "COMUNICACIÓN\r\nCOORDINACIÓN"),
                ("opens_on", "2026-11-23"),
                ("closes_on", "2026-11-24"),
                ("votes_per_member", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let board = location.unwrap();

    let m = Browser::new(&app.base);
    m.login(SEXPE_BADAJOZ).await;
    let (_, html) = m.page(&board).await;
    let column = html
        .split("name=\"column_id\">")
        .nth(1)
        .and_then(|s| s.split("value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let (status, _, _) = m
        .post_form(
            &format!("{board}/cards"),
            &[
                ("column_id", &column),
                ("text", "Un calendario común"),
                ("anonymous", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = m.page(&board).await;
    assert!(html.contains("Un calendario común"));
    assert!(html.contains("Anónima"));

    app.clock.advance(chrono::Duration::days(2));
    m.login(SEXPE_BADAJOZ).await; // the session timed out meanwhile
    let (status, html, _) = m
        .post_form(
            &format!("{board}/cards"),
            &[
                ("column_id", &column),
                ("text", "Una propuesta que llega tarde"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("El panel está cerrado: ya no admite propuestas ni votos."),
        "{html}"
    );
    assert!(
        html.contains("Una propuesta que llega tarde"),
        "what was typed is kept"
    );
}

#[tokio::test]
async fn only_those_who_run_a_body_change_it_and_only_the_owner_publishes_a_programme_guide() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;
    // The programme manager may convene bodies, but is a plain member of this one.
    let (u, o) = who(&app, PROGRAMME_MANAGER).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/members"),
            &json!({"organisation_id": o, "user_id": u, "role": "member"}),
        )
        .await;
    let pm_member = r.body["id"].as_str().unwrap().to_string();
    let v = app.get(PROGRAMME_MANAGER, &format!("/bodies/{body}")).await;
    assert_eq!(v.body["runs"], false);
    let sexpe_member = v.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "reference_technician")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for r in [
        app.delete(
            PROGRAMME_MANAGER,
            &format!("/bodies/{body}/members/{sexpe_member}"),
        )
        .await,
        app.put(
            PROGRAMME_MANAGER,
            &format!("/bodies/{body}/members/{pm_member}"),
            &json!({"role": "chair"}),
        )
        .await,
        app.put(
            PROGRAMME_MANAGER,
            &format!("/bodies/{body}"),
            &json!({"name": "Otro nombre", "frequency": "weekly"}),
        )
        .await,
        app.post(
            PROGRAMME_MANAGER,
            &format!("/bodies/{body}/boards"),
            &json!({"question": "¿?", "columns": ["A"], "opens_on": "2026-11-23", "closes_on": "2026-11-30"}),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    // Made secretary, they may.
    let r = app
        .put(
            CASE_MANAGER,
            &format!("/bodies/{body}/members/{pm_member}"),
            &json!({"role": "secretary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .put(
            PROGRAMME_MANAGER,
            &format!("/bodies/{body}"),
            &json!({"name": "Grupo de coordinación CRISOL", "frequency": "monthly"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // A programme guide is published by its owner organisation only.
    let programme = app.programme("CRISOL").await;
    let (_, social_org) = who(&app, SOCIAL_BADAJOZ).await;
    let guide = json!({"title": "Guía", "kind": "guide", "programme_id": programme, "owner_organisation_id": social_org, "summary": "Circuitos", "valid_from": "2026-11-01"});
    let r = app.post(PROGRAMME_MANAGER, "/protocols", &guide).await;
    assert_eq!(
        codes(&r.body),
        [("owner_organisation_id".into(), "protocols.owner_own".into())]
    );
    let r = app.post(COORDINATOR, "/protocols", &guide).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            PROGRAMME_MANAGER,
            &format!("/protocols/{id}/versions"),
            &json!({"summary": "Otra", "valid_from": "2026-11-23"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get(PROGRAMME_MANAGER, &format!("/protocols/{id}"))
        .await;
    assert_eq!(r.body["can_publish"], false);
    assert_eq!(r.body["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_votes_of_one_member_stay_within_the_limit() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/boards"),
            &json!({"question": "¿Qué mejorarías?", "columns": ["IDEAS"], "opens_on": "2026-11-23", "closes_on": "2026-11-30", "votes_per_member": "2"}),
        )
        .await;
    let board = r.body["id"].as_str().unwrap().to_string();
    let col = app
        .get(SEXPE_BADAJOZ, &format!("/boards/{board}"))
        .await
        .body["columns"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cards = Vec::new();
    for text in ["Una", "Dos", "Tres", "Cuatro"] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/boards/{board}/cards"),
                &json!({"column_id": col, "text": text}),
            )
            .await;
        cards.push(r.body["id"].as_str().unwrap().to_string());
    }
    let empty = json!({});
    let paths: Vec<String> = cards.iter().map(|c| format!("/cards/{c}/vote")).collect();
    let vote = |i: usize| app.post(SEXPE_BADAJOZ, &paths[i], &empty);
    let (a, b, c, d) = tokio::join!(vote(0), vote(1), vote(2), vote(3));
    let ok = [a, b, c, d]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 2);
    let r = app.get(SEXPE_BADAJOZ, &format!("/boards/{board}")).await;
    assert_eq!(r.body["votes_left"], 0);
}

#[tokio::test]
async fn a_member_who_does_not_run_the_body_is_told_so_on_the_scope_and_keeps_the_form() {
    let app = spawn_app().await;
    let body = body_with_members(&app).await;
    let (u, o) = who(&app, COORDINATOR).await;
    let r = app
        .post(
            CASE_MANAGER,
            &format!("/bodies/{body}/members"),
            &json!({"organisation_id": o, "user_id": u, "role": "reference_technician"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            COORDINATOR,
            "/protocols",
            &json!({"title": "Guía de la mesa", "kind": "guide", "body_id": body, "owner_organisation_id": o,
                    "summary": "Un resumen largo", "valid_from": "2026-11-01", "roles": ["social_worker"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        codes(&r.body),
        [("body_id".to_string(), "protocols.body_not_run".to_string())]
    );
    let b = Browser::new(&app.base);
    b.login(COORDINATOR).await;
    let (status, html, _) = b
        .post_form(
            "/protocols",
            &[
                ("title", "Guía de la mesa"),
                ("kind", "guide"),
                ("scope", &format!("body:{body}")),
                ("owner_organisation_id", &o),
                ("summary", "Un resumen que no se pierde"),
                ("valid_from", "2026-11-01"),
                ("roles", "social_worker"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Un resumen que no se pierde"), "{html}");
    assert!(html.contains("id=\"scope-error\""), "{html}");
}
