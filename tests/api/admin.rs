use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn administrators_configure_the_network() {
    let app = spawn_app().await;
    // Territories nest region > province > municipality > zone.
    let r = app.get(ADMIN, "/territories").await;
    let badajoz = r
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "Badajoz"))
        .cloned()
        .unwrap_or_default();
    let r = app
        .post(
            ADMIN,
            "/territories",
            &json!({"name": "Los Colorines", "level": "zone", "parent_id": badajoz["id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            ADMIN,
            "/territories",
            &json!({"name": "Mal", "level": "province", "parent_id": badajoz["id"]}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"],
        "validation.territory.parent_level"
    );

    // Organisations.
    let r = app.post(ADMIN, "/organisations", &json!({"name": "Cáritas Diocesana (prueba)", "kind": "third_sector", "territory_id": badajoz["id"], "active": true})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let org = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app
        .post(
            ADMIN,
            "/organisations",
            &json!({"name": "Cáritas Diocesana (prueba)", "kind": "third_sector"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "validation.name_taken");
    let r = app
        .post(
            ADMIN,
            "/organisations",
            &json!({"name": "X", "kind": "bank"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "kind");

    // A programme with its own workflow and funding.
    let r = app
        .post(ADMIN, "/programmes", &json!({"code": "plan-empleo", "name": "Plan de Empleo", "phases": "intake\nplan\njob", "funding": "FSE+=80\nDiputación=20", "active": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pid = r.body["id"].as_str().unwrap_or("").to_string();
    let r = app.get(ADMIN, &format!("/programmes/{pid}")).await;
    assert_eq!(r.body["code"], "PLAN-EMPLEO");
    assert_eq!(r.body["phases"].as_array().map(Vec::len), Some(3));
    assert_eq!(r.body["funding"][0]["share_bp"], 8000);
    let r = app
        .post(
            ADMIN,
            "/programmes",
            &json!({"code": "X2", "name": "Mal", "funding": "FSE+=80\nOtro=30", "phases": "a1"}),
        )
        .await;
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        fields.contains(&"funding") && fields.contains(&"phases"),
        "{fields:?}"
    );
    let r = app
        .post(
            ADMIN,
            &format!("/programmes/{pid}/projects"),
            &json!({"code": "ALB-1", "name": "Albacete centro", "organisation_id": org}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // Users, memberships, tokens.
    let r = app.post(ADMIN, "/users", &json!({"username": "nueva.tecnica", "display_name": "Nueva Técnica", "password": "corta"})).await;
    assert_eq!(r.body["errors"][0]["code"], "validation.password.too_short");
    let r = app.post(ADMIN, "/users", &json!({"username": "nueva.tecnica", "display_name": "Nueva Técnica", "password": "una contraseña larga"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let uid = r.body["id"].as_str().unwrap_or("").to_string();
    // A role that reaches people's data: requested by one administrator…
    let r = app
        .post(
            ADMIN,
            &format!("/users/{uid}/memberships"),
            &json!({"organisation_id": org, "role": "technician"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["outcome"], "requested");
    let grant = r.body["grant_id"].as_str().unwrap_or("").to_string();
    // …never approved by the one who created the account (they chose its password)…
    let r = app
        .post(
            ADMIN,
            &format!("/role-grants/{grant}/decision"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(
        r.body["type"], "urn:itinera:problem:membership.grant.four_eyes",
        "{:?}",
        r.body
    );
    // …but by another.
    let r = app
        .post(
            ADMIN2,
            &format!("/role-grants/{grant}/decision"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The list carries each user's own memberships (read for the whole page at once).
    let r = app.get(ADMIN, "/users?per_page=100").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let items = r.body["items"].as_array().cloned().unwrap_or_default();
    assert!(items.len() > 2, "{:?}", r.body);
    for item in &items {
        let id = &item["user"]["id"];
        for m in item["memberships"].as_array().into_iter().flatten() {
            assert_eq!(&m["user_id"], id, "{item}");
        }
    }
    let new = items
        .iter()
        .find(|i| i["user"]["username"] == "nueva.tecnica")
        .expect("the new user is listed");
    let roles: Vec<(&str, &str)> = new["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["organisation_id"].as_str().unwrap_or(""),
                m["role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(roles, vec![(org.as_str(), "technician")], "{new}");
    assert!(items
        .iter()
        .filter(|i| i["user"]["username"] != "nueva.tecnica")
        .any(|i| i["memberships"].as_array().is_some_and(|m| !m.is_empty())));
    // An integration's account: never a role that reaches people (its tokens are in an
    // administrator's hands), one that configures or counts.
    let r = app.post(ADMIN, "/users", &json!({"username": "svc.integracion", "display_name": "Integración", "password": "una contraseña larga", "service_account": true})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let uid = r.body["id"].as_str().unwrap_or("").to_string();
    for role in ["technician", "social_worker", "trainer"] {
        let r = app
            .post(
                ADMIN,
                &format!("/users/{uid}/memberships"),
                &json!({"organisation_id": org, "role": role}),
            )
            .await;
        assert_eq!(
            codes(&r.body),
            [(
                "role".to_string(),
                "membership.segregation.service_person".to_string()
            )],
            "{role}"
        );
    }
    let r = app
        .post(
            ADMIN,
            &format!("/users/{uid}/memberships"),
            &json!({"organisation_id": org, "role": "programme_manager"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            ADMIN,
            "/tokens",
            &json!({"user_id": uid, "organisation_id": org, "name": "integración"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().unwrap_or("").to_string();
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["username"], "svc.integracion");
    assert_eq!(me["roles"][0], "programme_manager");
    // Revoked tokens stop working.
    let list = app.get(ADMIN, "/tokens").await;
    let tid = list
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "integración"))
        .and_then(|t| t["id"].as_str())
        .unwrap_or("")
        .to_string();
    assert_eq!(
        app.delete(ADMIN, &format!("/tokens/{tid}")).await.status,
        StatusCode::OK
    );
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    // Professionals cannot configure.
    assert_eq!(
        app.post(
            SOCIAL_BADAJOZ,
            "/organisations",
            &json!({"name": "Y", "kind": "employer"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn admin_pages_work_in_every_language() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(ADMIN).await;
    for (lang, word) in [
        ("es", "Organizaciones"),
        ("ca", "Organitzacions"),
        ("it", "Organizzazioni"),
        ("en", "Organisations"),
    ] {
        let r = b
            .client
            .post(format!("{}/language", app.base))
            .form(&[("lang", lang), ("back", "/admin")])
            .send()
            .await
            .expect("lang");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, html) = b.page("/admin/organisations").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(word), "{lang}");
        assert!(html.contains(&format!("lang=\"{lang}\"")));
        assert!(!html.contains("⟨?⟩"), "a missing translation in {lang}");
    }
    for path in [
        "/admin",
        "/admin/territories",
        "/admin/holidays",
        "/admin/programmes",
        "/admin/users",
        "/admin/tokens",
    ] {
        let (status, html) = b.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("⟨?⟩"), "a missing translation on {path}");
    }
    let (status, html, _) = b
        .post_form(
            "/admin/organisations",
            &[("name", ""), ("kind", "employer")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("This is required."));
}

/// The administrators' list of users comes a page at a time, in username order, and
/// finds a user by part of the username or the name; a user's page reads that user
/// alone.
#[tokio::test]
async fn the_users_page_is_paged_and_searched() {
    let app = spawn_app().await;
    for i in 0..110 {
        let r = app
            .post(
                ADMIN,
                "/users",
                &json!({"username": format!("zz.usuaria{i:03}"), "display_name": format!("Usuaria Número {i:03}"), "password": "una contraseña larga"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let b = Browser::new(&app.base);
    b.login(ADMIN).await;
    let rows = |html: &str| html.matches("<tr><td><a href=\"/admin/users/").count();
    let (status, first) = b.page("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&first), itinera_service::admin::USERS_PAGE_SIZE);
    let next = first
        .split("class=\"button\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    assert!(next.starts_with("/admin/users?after="), "{next}");
    let (_, second) = b.page(&next).await;
    let total = count(&app, "SELECT COUNT(*) FROM users").await as usize;
    assert_eq!(rows(&first) + rows(&second), total);
    assert!(!second.contains("class=\"button\" href=\"/admin/users?"));
    // Usernames in order across the pages, none twice.
    let names = |html: &str| -> Vec<String> {
        html.split("<tr><td><a href=\"/admin/users/")
            .skip(1)
            .filter_map(|s| s.split('>').nth(1)?.split('<').next().map(str::to_string))
            .collect()
    };
    let all: Vec<String> = names(&first).into_iter().chain(names(&second)).collect();
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted);
    // By part of the name, any case; a wildcard is a character like any other.
    let (_, found) = b.page("/admin/users?q=N%C3%9AMERO+007").await;
    assert_eq!(names(&found), vec!["zz.usuaria007".to_string()], "{found}");
    assert!(found.contains("value=\"NÚMERO 007\""));
    let (_, found) = b.page("/admin/users?q=usuaria10").await;
    assert_eq!(names(&found).len(), 10);
    let (_, none) = b.page("/admin/users?q=%25").await;
    assert_eq!(rows(&none), 0);
    assert!(none.contains("Ningún usuario coincide"));
    // Accents and capitals do not matter, on either engine: "angela nunez" and
    // "ÁNGELA" find "Ángela Núñez", and so does the professionals' picker.
    let r = app
        .post(
            ADMIN,
            "/users",
            &json!({"username": "angela.nunez", "display_name": "Ángela Núñez Ibáñez", "password": "una contraseña larga"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for q in ["nunez+ibanez", "%C3%81NGELA", "N%C3%BA%C3%B1ez"] {
        let (_, found) = b.page(&format!("/admin/users?q={q}")).await;
        assert_eq!(names(&found), vec!["angela.nunez".to_string()], "{q}");
    }
    let r = app.get(ADMIN, "/users?q=%C3%81ngela").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{:?}", r.body);
    // Every name has its key; one made before the keys existed gets it when the
    // server migrates.
    for table in ["users", "organisations"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE name_key IS NULL");
        assert_eq!(count(&app, &sql).await, 0, "{table}");
    }
    exec_plain(
        &app,
        "UPDATE users SET name_key = NULL WHERE username = 'angela.nunez'",
    )
    .await;
    exec_plain(&app, "UPDATE organisations SET name_key = NULL").await;
    assert_eq!(app.store.migrate(start_time()).await.expect("migrate"), 0);
    let (_, found) = b.page("/admin/users?q=angela").await;
    assert_eq!(names(&found), vec!["angela.nunez".to_string()]);
    let sql = "SELECT COUNT(*) FROM organisations WHERE name_key IS NULL";
    assert_eq!(count(&app, sql).await, 0);
    let uid = r.body["items"][0]["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, org) = who(&app, SOCIAL_BADAJOZ).await;
    app.grant_role(&uid, &org, "social_worker").await;
    let pid = app
        .register(SOCIAL_BADAJOZ, &person("Leonor", "Gil", "", 58_300_400))
        .await;
    let social = Browser::new(&app.base);
    social.login(SOCIAL_BADAJOZ).await;
    let (status, html, _) = social
        .post_form(
            &format!("/participants/{pid}/cases/new/find"),
            &[("find", "angela nunez")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ángela Núñez Ibáñez"), "{html}");
    // The API's list: numbered pages, the same search.
    let r = app.get(ADMIN, "/users?q=USUARIA1&per_page=7&page=2").await;
    assert_eq!(r.status, StatusCode::OK);
    let items: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["zz.usuaria107", "zz.usuaria108", "zz.usuaria109"]);
    assert_eq!(r.body["has_more"], false);
    let r = app.get(ADMIN, "/users?per_page=100").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 100);
    assert_eq!(r.body["has_more"], true);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/users").await.status,
        StatusCode::FORBIDDEN
    );
    // A user's page.
    let id = first
        .split("<tr><td><a href=\"/admin/users/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let (status, html) = b.page(&format!("/admin/users/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&names(&first)[0]));
    let (status, _) = b.page(&format!("/admin/users/{}", uuid::Uuid::nil())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
