//! Imports from existing systems, end to end through the API and the browser, on both
//! engines: dry run, refusal with rejected rows, the real run, re-runs, XLSX.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A municipal social-services export: `;`, Windows-1252, Spanish headers.
fn municipal_csv(extra: &str) -> Vec<u8> {
    let text = format!(
        "Nº Expediente;Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE;Nacionalidad;Teléfono\r\n\
         SS-001;Dolores;Muñoz Gallardo;M;14/02/1971;{d1};Española;600 111 222\r\n\
         SS-002;Ibrahima;Diallo;H;1988-09-30;{d2};Senegal;\r\n\
         SS-003;Lola;Muñoz Gallardo;M;14/02/1971;{d1};ES;600111222\r\n\
         SS-004;Pedro;Ramos;H;02/05/1960;12345678A;ES;\r\n\
         SS-005;Rosa;Vidal;M;31/02/1980;;ES;\r\n\
         SS-006;Juan;Solo\r\n{extra}",
        d1 = dni(33_111_222),
        d2 = dni(44_222_333),
    );
    // Windows-1252: the only non-ASCII letters here are º ñ é.
    text.chars()
        .map(|c| match c {
            'º' => 0xBA,
            'ñ' => 0xF1,
            'é' => 0xE9,
            c => c as u8,
        })
        .collect()
}

fn mapping() -> Value {
    json!({
        "columns": [
            {"column": "Nº Expediente", "target": "external_id"},
            {"column": "Nombre", "target": "given_name"},
            {"column": "Apellidos", "target": "surnames"},
            {"column": "Sexo", "target": "sex"},
            {"column": "F. Nacimiento", "target": "birth_date"},
            {"column": "DNI/NIE", "target": "document"},
            {"column": "Nacionalidad", "target": "nationality"},
            {"column": "Teléfono", "target": "phone"}
        ],
        "default_labour_status": "unemployed"
    })
}

fn line(report: &Value, n: u64) -> &Value {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == n)
        .unwrap_or_else(|| panic!("no line {n}: {report}"))
}

#[tokio::test]
async fn a_municipal_export_is_tried_then_imported_once() {
    let app = spawn_app().await;
    // The employment service registered Ibrahima already.
    let sexpe = with_birth(person("Ibrahima", "Diallo", "", 44_222_333), "1988-09-30");
    let sexpe_id = app.register(SEXPE_BADAJOZ, &sexpe).await;
    let people = count(&app, "SELECT COUNT(*) FROM participants").await;

    let file = municipal_csv("");
    let body = |dry_run: bool, skip_invalid: bool| {
        json!({
            "file_name": "siuss.csv", "content_base64": b64(&file), "source": "SIUSS Badajoz",
            "mapping": mapping(), "save_mapping": true, "dry_run": dry_run, "skip_invalid": skip_invalid
        })
    };
    // The dry run: row by row, and nothing stays.
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &body(true, false))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let rep = r.body;
    assert_eq!(rep["format"]["format"], "csv");
    assert_eq!(rep["format"]["encoding"], "windows1252");
    assert_eq!(rep["rows"], 6);
    assert_eq!(line(&rep, 2)["outcome"], "created", "{rep}");
    // Line 3 is a person Mérida registered: linked in the index, but the report says
    // "created" (no basis for Mérida's record: the dry run is not an oracle).
    assert_eq!(line(&rep, 3)["outcome"], "created");
    assert!(line(&rep, 3)["probability"].is_null());
    assert_eq!(
        line(&rep, 4)["outcome"],
        "existing",
        "Lola is Dolores, line 2"
    );
    assert_eq!(line(&rep, 4)["same_as_line"], 2);
    let problems = |n: u64| -> Vec<(String, String)> {
        line(&rep, n)["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["column"].as_str().unwrap().to_string(),
                    p["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        problems(5),
        [("DNI/NIE".to_string(), "validation.dni.letter".to_string())]
    );
    assert_eq!(
        problems(6),
        [(
            "F. Nacimiento".to_string(),
            "import.value.date_impossible".to_string()
        )]
    );
    assert_eq!(
        problems(7),
        [(String::new(), "import.row.width".to_string())]
    );
    assert_eq!(rep["rejected"], 3);
    assert_eq!(rep["applied"], false);
    // Each row is named by its id in the source system and the name the file gives.
    assert_eq!(line(&rep, 5)["source_id"], "SS-004");
    assert_eq!(line(&rep, 5)["name"], "Pedro Ramos");
    assert_eq!(line(&rep, 2)["name"], "Dolores Muñoz Gallardo");
    assert!(
        line(&rep, 7)["source_id"].is_null(),
        "a row too short to read"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM import_batches").await, 0);

    // The real run refuses a file with rejected rows…
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &body(false, false))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["blocked_by_rejections"], true);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people
    );
    // …unless told to leave them out: then the rest, in one go.
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &body(false, true))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let rep = r.body;
    assert_eq!(rep["applied"], true);
    assert_eq!(
        (
            rep["created"].as_u64(),
            rep["linked"].as_u64(),
            rep["existing"].as_u64()
        ),
        (Some(2), Some(0), Some(1))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people + 2
    );
    let ibrahima = line(&rep, 3)["participant_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Linked to the employment service's record, which Badajoz still cannot read: the
    // link is not shown to it either.
    let r = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{ibrahima}"))
        .await;
    assert_eq!(r.body["person"]["merges"], json!([]));
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?entity_id={ibrahima}&action=participant.link"),
        )
        .await;
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        1,
        "linked all the same"
    );
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &format!("/participants/{sexpe_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let batch = rep["batch_id"].as_str().unwrap().to_string();
    let r = app.get(SOCIAL_BADAJOZ, &format!("/imports/{batch}")).await;
    assert_eq!(r.body["batch"]["created"], 2);
    assert_eq!(r.body["batch"]["linked"], 0);
    assert_eq!(r.body["lines"].as_array().unwrap().len(), 6);
    // The kept report names rows by line and source id, never by the person's name.
    assert_eq!(line(&r.body, 5)["source_id"], "SS-004");
    assert!(line(&r.body, 5)["name"].is_null(), "{}", r.body);
    assert!(!r.body.to_string().contains("Pedro"));
    assert_eq!(line(&r.body, 4)["same_as_line"], 2, "{}", r.body);
    // The batch's page reads the same kept report.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let (status, html) = b.page(&format!("/imports/batches/{batch}?all=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("SS-004"), "{html}");
    assert!(html.contains("misma persona que la línea 2"), "{html}");
    assert!(!html.contains("Pedro"));
    assert_eq!(
        app.get(SEXPE_BADAJOZ, &format!("/imports/{batch}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={batch}"))
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"import.run"), "{actions:?}");
    assert!(actions.contains(&"master_index.lookup"), "{actions:?}");
    // The dry runs' lookups are audited too, though nothing was kept.
    let r = app
        .get(AUDITOR, "/audit-entries?action=master_index.lookup")
        .await;
    assert!(
        r.body["items"].as_array().unwrap().len() >= 3,
        "{:?}",
        r.body
    );

    // The same file again: recognised, nothing changes.
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &body(false, true))
        .await;
    assert_eq!(r.body["already_imported"]["id"], batch.as_str());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people + 2
    );

    // Next month's export, with the saved mapping: known ids are known, the new row is new.
    // Its new rows: one with the DNI's letter, one without it (the employment service's
    // habit): the letter is computed and the document says so.
    let next = municipal_csv(&format!(
        "SS-007;Ana;Ortiz;M;03/03/1993;{};ES;\r\nSS-008;Marta;Gil;M;04/04/1984;77444555;ES;\r\n",
        dni(55_333_444)
    ));
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports",
            &json!({"file_name": "siuss-2.csv", "content_base64": b64(&next), "source": "SIUSS Badajoz", "skip_invalid": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(line(&r.body, 2)["outcome"], "existing");
    assert_eq!(line(&r.body, 3)["outcome"], "existing");
    assert_eq!(line(&r.body, 8)["outcome"], "created");
    assert_eq!(line(&r.body, 9)["outcome"], "created", "{:?}", r.body);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people + 4
    );
    let computed = dni(77_444_555);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM participant_documents WHERE number = '{computed}' AND letter_computed")
        )
        .await,
        1
    );

    // The source system drops a column: the saved mapping's preview leaves it out and
    // the file is tried with it, no "column not in the file".
    let fewer = format!(
        "Nº Expediente;Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE;Nacionalidad\r\nSS-010;Rosa;Vega Luna;M;05/05/1985;{};ES\r\n",
        dni(55_333_999)
    );
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports/preview",
            &json!({"content_base64": b64(fewer.as_bytes()), "source": "SIUSS Badajoz"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let columns: Vec<&str> = r.body["mapping"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert!(!columns.contains(&"Teléfono"), "{columns:?}");
    assert!(columns.contains(&"DNI/NIE"), "{columns:?}");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports",
            &json!({"file_name": "siuss-3.csv", "content_base64": b64(fewer.as_bytes()), "source": "SIUSS Badajoz", "mapping": r.body["mapping"], "dry_run": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_ne!(line(&r.body, 2)["outcome"], "rejected", "{:?}", r.body);

    // Someone else with a number the organisation already holds: that row is refused
    // with its column, and the rest of the file goes in.
    let clash = format!(
        "Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE\r\nEusebio;Pradas Roca;H;01/01/1950;{}\r\nIrene;Sanz;M;05/05/2001;{}\r\n",
        dni(33_111_222),
        dni(66_444_555)
    );
    let map = json!({"columns": [
        {"column": "Nombre", "target": "given_name"}, {"column": "Apellidos", "target": "surnames"},
        {"column": "Sexo", "target": "sex"}, {"column": "F. Nacimiento", "target": "birth_date"},
        {"column": "DNI/NIE", "target": "document"}], "default_labour_status": "unemployed"});
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports",
            &json!({"file_name": "clash.csv", "content_base64": b64(clash.as_bytes()), "source": "Otra hoja", "mapping": map, "skip_invalid": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        line(&r.body, 2)["problems"][0]["code"],
        "participant.document.exists"
    );
    assert_eq!(line(&r.body, 2)["problems"][0]["column"], "DNI/NIE");
    assert_eq!(line(&r.body, 3)["outcome"], "created");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM participants").await,
        people + 5
    );
}

fn with_birth(mut p: Value, born: &str) -> Value {
    p["birth_date"] = json!(born);
    p
}

/// Given name, surname, sex, birth date as an Excel serial, codice fiscale.
type Person<'a> = (&'a str, &'a str, &'a str, Option<f64>, Option<&'a str>);

fn workbook(rows: &[Person]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in [
        "Nome",
        "Cognome",
        "Sesso",
        "Data di nascita",
        "Codice fiscale",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (g, s, x, serial, cf)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *g).unwrap();
        ws.write_string(r, 1, *s).unwrap();
        ws.write_string(r, 2, *x).unwrap();
        if let Some(n) = serial {
            // Odd rows as a date cell, even ones as a bare serial number.
            if r % 2 == 1 {
                ws.write_number_with_format(r, 3, *n, &date).unwrap();
            } else {
                ws.write_number(r, 3, *n).unwrap();
            }
        }
        if let Some(cf) = cf {
            ws.write_string(r, 4, *cf).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_italian_workbook_with_excel_dates_and_a_truncated_one() {
    let app = spawn_app().await;
    let wb = workbook(&[
        (
            "Giuseppe",
            "Russo",
            "maschio",
            Some(25_000.0),
            Some("RSSGPP68B29H501X"),
        ),
        ("Anna", "Bianchi", "F", Some(33_000.0), None),
    ]);
    // The guessed mapping from the Italian headers.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports/preview",
            &json!({"content_base64": b64(&wb), "source": "Comune"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let targets: Vec<&str> = r.body["mapping"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["given_name", "surname1", "sex", "birth_date", "document"]
    );
    let mut mapping = r.body["mapping"].clone();
    mapping["default_labour_status"] = json!("inactive");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports",
            &json!({"file_name": "comune.xlsx", "content_base64": b64(&wb), "source": "Comune", "mapping": mapping, "dry_run": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["format"]["format"], "xlsx");
    // The codice fiscale check character is wrong on purpose: named, with its column.
    assert_eq!(line(&r.body, 2)["problems"][0]["column"], "Codice fiscale");
    assert_eq!(line(&r.body, 3)["outcome"], "created");
    // 33000 is 1990-05-07 in Excel's calendar.
    let wb2 = workbook(&[("Anna", "Bianchi", "F", Some(33_000.0), None)]);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports",
            &json!({"file_name": "c2.xlsx", "content_base64": b64(&wb2), "source": "Comune", "mapping": mapping}),
        )
        .await;
    let pid = line(&r.body, 2)["participant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{pid}"))
        .await;
    assert_eq!(p.body["participant"]["birth_date"], "1990-05-07");

    // A truncated workbook, an unknown column, a file that is not text.
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &json!({"file_name": "x.xlsx", "content_base64": b64(&wb[..wb.len() / 2]), "source": "Comune", "mapping": mapping}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "file");
    assert_eq!(r.body["errors"][0]["code"], "import.file.xlsx");
    let mut wrong = mapping.clone();
    wrong["columns"][1]["column"] = json!("Cognome e nome");
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &json!({"file_name": "c.xlsx", "content_base64": b64(&wb), "source": "Comune", "mapping": wrong}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "columns.1.column");
    assert_eq!(r.body["errors"][0]["code"], "import.mapping.unknown_column");
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &json!({"file_name": "c.bin", "content_base64": b64(b"\x00\x01\x02binary"), "source": "Comune", "mapping": mapping}))
        .await;
    assert_eq!(r.body["errors"][0]["code"], "import.file.encoding");
    // Those without the right to register people cannot import.
    let r = app
        .post(PROGRAMME_MANAGER, "/imports", &json!({"file_name": "c.xlsx", "content_base64": b64(&wb), "source": "Comune", "mapping": mapping}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_browser_uploads_checks_the_columns_tries_and_imports() {
    let app = spawn_app().await;
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let csrf = b.csrf().await;
    let upload = |bytes: Vec<u8>, source: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("source", source.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("siuss.csv"),
            );
        b.client
            .post(format!("{}/imports", app.base))
            .multipart(form)
            .send()
    };
    // Problems with the upload itself are shown on the form.
    let r = upload(b"\x00\x00".to_vec(), "").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Este dato es obligatorio."));
    assert!(html.contains("No se puede leer el fichero"));
    // A file past the limit: the message, and the source typed is kept.
    let r = upload(vec![b'a'; 50 * 1024 * 1024 + 128 * 1024], "SIUSS Badajoz")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"value="SIUSS Badajoz""#), "{html}");
    assert!(html.contains(r#"id="file-error""#), "{html}");

    let r = upload(municipal_csv(""), "SIUSS Badajoz").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = b.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nº Expediente"), "the columns are listed");
    assert!(
        html.contains("CSV (;, Windows-1252 (ANSI))"),
        "the file's format, in words: {html}"
    );
    assert!(
        html.contains("<option value=\"external_id\" selected>"),
        "guessed from the header"
    );
    assert!(!html.contains("⟨?⟩"));
    let columns = [
        "Nº Expediente",
        "Nombre",
        "Apellidos",
        "Sexo",
        "F. Nacimiento",
        "DNI/NIE",
        "Nacionalidad",
        "Teléfono",
    ];
    let targets = [
        "external_id",
        "given_name",
        "surnames",
        "sex",
        "birth_date",
        "document",
        "nationality",
        "phone",
    ];
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for (c, t) in columns.iter().zip(targets) {
        fields.push(("column", c));
        fields.push(("target", t));
    }
    // No labour status anywhere: the field says so, and the choices are kept.
    let mut first = fields.clone();
    first.push(("mode", "dry"));
    let (status, html, _) = b.post_form(&location, &first).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ninguna columna da la situación laboral"));
    assert!(html.contains("<option value=\"surnames\" selected>"));
    // Two columns to one target: the summary links to the second column's select,
    // which says why; a target left without a column is named above the table.
    let mut twice = fields.clone();
    twice[15] = ("target", "given_name");
    twice.push(("default_labour_status", "unemployed"));
    twice.push(("mode", "dry"));
    let (status, html, _) = b.post_form(&location, &twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("href=\"#target-7\""), "{html}");
    assert!(html.contains("id=\"target-7\""), "{html}");
    assert!(html.contains("id=\"target-7-error\""), "{html}");
    for href in html.split("href=\"#").skip(1) {
        let id = href.split('"').next().unwrap();
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "#{id} links nowhere: {html}"
        );
    }
    fields.push(("default_labour_status", "unemployed"));
    fields.push(("save_mapping", "true"));
    fields.push(("mode", "dry"));
    let (status, _, job) = b.post_form(&location, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = job.unwrap();
    let mut html = String::new();
    for _ in 0..100 {
        let (_, h) = b.page(&job).await;
        if !h.contains("http-equiv=\"refresh\"") {
            html = h;
            break;
        }
        // While it runs, the page refreshes itself every few seconds, and says so.
        assert!(
            h.contains("content=\"3\"") && h.contains("Actualizar ahora"),
            "{h}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("Prueba: no se ha guardado nada."), "{html}");
    assert!(html.contains("La letra del DNI no corresponde al número."));
    assert!(html.contains("misma persona que la línea 2"));
    // Another server of the deployment shows the same upload and the same job: they
    // are in the database, not in the memory of the server that started them.
    let second = app.second_server().await;
    let on_second = |path: String| {
        let c = b.client.clone();
        let url = format!("{second}{path}");
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap_or_default())
        }
    };
    let (status, h) = on_second(job.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.contains("Prueba: no se ha guardado nada."), "{h}");
    assert!(h.contains("misma persona que la línea 2"));
    let (status, h) = on_second(location.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.contains("Nº Expediente"));
    // Import the valid rows.
    let (status, _, job) = b
        .post_form(&format!("{job}/apply"), &[("skip_invalid", "true")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = job.unwrap();
    let mut html = String::new();
    for _ in 0..100 {
        let (_, h) = b.page(&job).await;
        if !h.contains("http-equiv=\"refresh\"") {
            html = h;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("Importación guardada."), "{html}");
    // The file's person data is not kept once it has been imported.
    assert_eq!(b.page(&location).await.0, StatusCode::NOT_FOUND);
    assert_eq!(on_second(location.clone()).await.0, StatusCode::NOT_FOUND);
    let (status, html) = b.page("/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("siuss.csv"));
    assert!(
        html.contains("SIUSS Badajoz"),
        "the saved source is offered"
    );
    // Another user's job is not found.
    let other = Browser::new(&app.base);
    other.login(SEXPE_BADAJOZ).await;
    assert_eq!(other.page(&job).await.0, StatusCode::NOT_FOUND);
}

/// The probe of the security review: a technician with the right to import sends a
/// file of names, documents and birth dates in a dry run (which saves nothing) to learn
/// who is registered anywhere in the network. The answer for a person another
/// organisation registered is the same as for a stranger, field by field; the lookup
/// is audited; a real registration tells nothing either.
#[tokio::test]
async fn the_master_index_is_not_an_oracle() {
    let app = spawn_app().await;
    // Mérida's social services know these three; nobody knows the other three.
    let known = [
        ("Amparo", "Sotomayor", 61_000_001u32, "1972-04-18"),
        ("Wilson", "Quispe", 61_000_002, "1990-11-02"),
        ("Fátima", "Benali", 61_000_003, "1985-06-25"),
    ];
    let strangers = [
        ("Herminia", "Valcárcel", 61_000_004u32, "1969-01-30"),
        ("Darius", "Popescu", 61_000_005, "1993-08-14"),
        ("Noelia", "Arévalo", 61_000_006, "1979-12-09"),
    ];
    for (g, s, n, born) in known {
        app.register(SOCIAL_MERIDA, &with_birth(person(g, s, "", n), born))
            .await;
    }
    let mut csv = String::from("Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE\n");
    for (g, s, n, born) in known.iter().chain(&strangers) {
        csv.push_str(&format!("{g};{s};M;{born};{}\n", dni(*n)));
    }
    let mapping = json!({"columns": [
        {"column": "Nombre", "target": "given_name"},
        {"column": "Apellidos", "target": "surnames"},
        {"column": "Sexo", "target": "sex"},
        {"column": "F. Nacimiento", "target": "birth_date"},
        {"column": "DNI/NIE", "target": "document"}
    ], "default_labour_status": "unemployed"});
    let r = app
        .post(
            NGO_BADAJOZ,
            "/imports",
            &json!({"file_name": "sondeo.csv", "content_base64": b64(csv.as_bytes()), "source": "sondeo", "mapping": mapping, "dry_run": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let lines = r.body["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 6);
    // Every line looks the same but for its number and the file's own name.
    let shape = |l: &Value| {
        let mut l = l.clone();
        l["line"] = json!(0);
        l["name"] = json!(null);
        l
    };
    for l in &lines {
        assert_eq!(shape(l), shape(&lines[0]), "{lines:?}");
    }
    assert_eq!(lines[0]["outcome"], "created");
    assert_eq!(r.body["created"], 6);
    assert_eq!(r.body["linked"], 0);
    assert_eq!(r.body["review"], 0);
    // The probe is in the audit log, by whom and on which file.
    let r = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=master_index.lookup&actor={NGO_BADAJOZ}"),
        )
        .await;
    let entries = r.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{:?}", r.body);
    assert!(entries[0]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("sondeo.csv"));
    // Registering one by hand: the same answer for the known and for a stranger.
    let (g, s, n, born) = known[0];
    let a = app
        .post(
            NGO_BADAJOZ,
            "/participants",
            &with_birth(person(g, s, "", n), born),
        )
        .await;
    let (g, s, n, born) = strangers[0];
    let b = app
        .post(
            NGO_BADAJOZ,
            "/participants",
            &with_birth(person(g, s, "", n), born),
        )
        .await;
    assert_eq!(a.status, b.status);
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["id"] = json!(null);
        v
    };
    assert_eq!(strip(&a.body), strip(&b.body));
    assert_eq!(a.body["outcome"], "new");
    // Its page shows one record and no merge.
    let id = a.body["id"].as_str().unwrap();
    let r = app.get(NGO_BADAJOZ, &format!("/participants/{id}")).await;
    assert_eq!(r.body["person"]["records"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["person"]["merges"], json!([]));
    // Nor does the review queue hold a pair with Mérida's record.
    let r = app.get(NGO_BADAJOZ, "/link-reviews").await;
    assert_eq!(r.body["items"], json!([]));
}

/// The import attacks of the security review, through the API: each answered with a
/// clear refusal, and the server goes on serving.
#[tokio::test]
async fn hostile_files_are_refused_and_the_service_stays_up() {
    use rust_xlsxwriter::Workbook;
    let app = spawn_app().await;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Nombre").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    let corners = wb.save_to_buffer().unwrap();
    let wide = (0..200_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(";");
    for (name, bytes, code) in [
        ("esquinas.xlsx", corners, "import.file.too_many_columns"),
        (
            "ancho.csv",
            format!("{wide}\n").into_bytes(),
            "import.file.too_many_columns",
        ),
    ] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                "/imports",
                &json!({"file_name": name, "content_base64": b64(&bytes), "source": "x", "mapping": mapping(), "dry_run": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(
            codes(&r.body),
            vec![("file".to_string(), code.to_string())],
            "{name}"
        );
        // The previews say the same.
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                "/imports/preview",
                &json!({"file_name": name, "content_base64": b64(&bytes), "source": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
    }
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, "/tasks").await.status,
        StatusCode::OK
    );
}

/// A file that cannot be read because of one line says which: the API's problem gives
/// the line and says it in the message, and the upload form keeps the typed source
/// and says it beside the file.
#[tokio::test]
async fn a_bad_line_of_a_file_is_named_by_its_number() {
    let app = spawn_app().await;
    let long = "x".repeat(itinera_tabular::MAX_CELL_CHARS + 1);
    let csv = format!("Nombre;Apellidos\r\nAna;López\r\n\r\nLuis;{long}\r\n");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports/preview",
            &json!({"file_name": "largo.csv", "content_base64": b64(csv.as_bytes()), "source": "Padrón"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e = &r.body["errors"][0];
    assert_eq!(e["field"], "file");
    assert_eq!(e["code"], "import.file.cell_too_long");
    assert_eq!(e["line"], 4, "{}", r.body);
    assert!(
        e["message"].as_str().unwrap().ends_with("(línea 4)"),
        "{}",
        r.body
    );
    // A problem of the whole file has no line.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            "/imports/preview",
            &json!({"file_name": "vacio.csv", "content_base64": b64(b"  \n"), "source": "Padrón"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "import.file.empty");
    assert!(r.body["errors"][0].get("line").is_none(), "{}", r.body);

    // The upload form, in Catalan.
    let b = Browser::new(&app.base);
    b.login(SOCIAL_BADAJOZ).await;
    let csrf = b.csrf().await;
    let upload = |bytes: Vec<u8>, source: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("source", source)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("llarg.csv"),
            );
        b.client
            .post(format!("{}/imports", app.base))
            .header("accept-language", "ca")
            .multipart(form)
            .send()
    };
    let r = upload(csv.into_bytes(), "Padró municipal".into())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("(línia 4)"), "{html}");
    assert!(html.contains("value=\"Padró municipal\""), "{html}");
    // A source longer than allowed is refused on the form, not by an error page.
    let r = upload(b"Nombre\nAna\n".to_vec(), "s".repeat(101))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"source-error\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"source-error source-hint\""),
        "{html}"
    );
}

/// The import plans its rows on a snapshot, without the writer, and applies them in a
/// short write: what others wrote in between is caught up — a person registered by
/// hand meanwhile is that row's record, not a second one — and a change to the
/// registry as a whole (new thresholds) makes it plan again.
#[tokio::test]
async fn what_others_write_while_an_import_is_planned_is_caught_up() {
    use itinera_service::imports::ImportRequest;
    use itinera_service::{Clock, Ctx};
    let app = spawn_app().await;
    let ctx = Ctx::cli(app.clock.now());
    let actor = app
        .services
        .login(&ctx, SOCIAL_BADAJOZ, PASSWORD)
        .await
        .unwrap()
        .actor;
    let file = municipal_csv("");
    let parsed: itinera_domain::import::Mapping = serde_json::from_value(mapping()).unwrap();
    let req = ImportRequest {
        file_name: "siuss.csv",
        bytes: &file,
        source: "SIUSS Badajoz",
        mapping: Some(parsed.clone()),
        save_mapping: false,
        dry_run: false,
        skip_invalid: true,
    };
    let planned = app
        .services
        .plan_import(&actor, &ctx, &req, &|_, _| {})
        .await
        .unwrap();
    assert!(!planned.report.applied);
    // Meanwhile a colleague registers Ibrahima (line 3) by hand, with his DNI.
    let ibrahima = with_birth(person("Ibrahima", "Diallo", "", 44_222_333), "1988-09-30");
    let by_hand = app.register(SOCIAL_BADAJOZ, &ibrahima).await;
    let rep = app
        .services
        .apply_import(&actor, &ctx, planned, &|_, _| {})
        .await
        .unwrap();
    assert!(rep.applied);
    let l3 = rep.lines.iter().find(|l| l.line == 3).unwrap();
    assert_eq!(l3.outcome, "existing", "{l3:?}");
    assert_eq!(l3.participant_id.unwrap().to_string(), by_hand);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM participant_documents WHERE number = '{}'",
                dni(44_222_333)
            )
        )
        .await,
        1
    );
    let l2 = rep.lines.iter().find(|l| l.line == 2).unwrap();
    assert_eq!(l2.outcome, "created");
    let created = l2.participant_id.unwrap();
    // Each new record has its audit entry; the run says how long it held the writer.
    let r = app
        .get(AUDITOR, &format!("/audit-entries?entity_id={created}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "participant.create"),
        "{:?}",
        r.body
    );
    let run = app
        .get(AUDITOR, "/audit-entries?action=import.run")
        .await
        .body["items"][0]
        .clone();
    let detail: Value = serde_json::from_str(run["detail"].as_str().unwrap_or("{}"))
        .unwrap_or_else(|_| run["detail"].clone());
    assert_eq!(detail["plans"], 1, "{run}");
    assert!(detail["writer_ms"].is_u64(), "{run}");

    // A change to the registry as a whole between plan and apply: planned again.
    let other =
        "Nº Expediente;Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE;Nacionalidad;Teléfono\r\n\
                 SS-101;Marta;Ruiz Soler;M;03/03/1979;;ES;\r\n"
            .replace('º', "o")
            .into_bytes();
    let mut other_mapping = parsed.clone();
    for c in &mut other_mapping.columns {
        c.column = c.column.replace('º', "o");
    }
    let req = ImportRequest {
        file_name: "siuss-2.csv",
        bytes: &other,
        mapping: Some(other_mapping),
        ..req
    };
    let planned = app
        .services
        .plan_import(&actor, &ctx, &req, &|_, _| {})
        .await
        .unwrap();
    let r = app
        .put(
            ADMIN,
            "/linkage/settings",
            &json!({"auto_link": 0.95, "review": 0.6}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let rep = app
        .services
        .apply_import(&actor, &ctx, planned, &|_, _| {})
        .await
        .unwrap();
    assert!(rep.applied);
    assert_eq!(rep.created, 1);
    let run = app
        .get(AUDITOR, "/audit-entries?action=import.run")
        .await
        .body["items"][0]
        .clone();
    let detail: Value = serde_json::from_str(run["detail"].as_str().unwrap_or("{}"))
        .unwrap_or_else(|_| run["detail"].clone());
    assert_eq!(detail["plans"], 2, "{run}");
}

#[tokio::test]
async fn a_restricted_record_is_not_told_by_an_import() {
    let app = spawn_app().await;
    let body = |file: &[u8], dry_run: bool| {
        json!({
            "file_name": "siuss.csv", "content_base64": b64(file), "source": "SIUSS Badajoz",
            "mapping": mapping(), "dry_run": dry_run, "skip_invalid": true
        })
    };
    let r = app
        .post(SOCIAL_BADAJOZ, "/imports", &body(&municipal_csv(""), false))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let dolores = line(&r.body, 2)["participant_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The office restricts her record: the same file again names no record of hers.
    let r = app
        .post(
            AUDITOR,
            &format!("/participants/{dolores}/restriction"),
            &json!({"reference": "RE-2026/9", "reason": "Solicitud de la persona interesada"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // (Another month's export: the same rows and one more.)
    let next = municipal_csv("SS-007;Ana;Perez Gil;M;01/01/1990;;ES;\r\n");
    for dry_run in [true, false] {
        let r = app
            .post(SOCIAL_BADAJOZ, "/imports", &body(&next, dry_run))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(!r.body.to_string().contains(&dolores), "{}", r.body);
        let l = line(&r.body, 2);
        assert_eq!(l["outcome"], "rejected", "{l}");
        assert_eq!(l["problems"][0]["code"], "import.restricted_record", "{l}");
    }
    // Erased, the first batch's kept report forgets her line's record and source id;
    // reading a batch is an audited read.
    let r = app
        .post(
            AUDITOR,
            &format!("/participants/{dolores}/erasure"),
            &json!({"reference": "SU-2026/9", "reason": "Solicitud de la persona interesada"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.to_string().contains("import_reports"), "{}", r.body);
    let batches = app.get(SOCIAL_BADAJOZ, "/imports").await;
    let first = batches.body["items"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(|b| b["id"].as_str())
        .expect("batch")
        .to_string();
    let r = app.get(SOCIAL_BADAJOZ, &format!("/imports/{first}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!r.body.to_string().contains(&dolores), "{}", r.body);
    assert!(!r.body.to_string().contains("SS-001"), "{}", r.body);
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_read_log WHERE action = 'import.read'"
        )
        .await
            >= 1
    );
}
