//! Indicators through the API and the pages, on hand-built data whose answers are known:
//! the ESF participant indicators (a person counted once although they enter twice, by
//! the sex recorded at entry although it changes later, left out of a count for a
//! missing education level, results upon leaving and six months after, small counts
//! suppressed) and the objectives sheet (computed measures, a value by hand with its
//! evidence, a change against the previous period, small counts of people hidden,
//! exports, who may see it).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A programme of its own, so that the demo's cases do not enter the counts.
async fn programme(app: &TestApp) -> String {
    let r = app
        .post(
            ADMIN,
            "/programmes",
            &json!({"code": "ESF-T", "name": "Programa de prueba FSE", "phases": "intake\nplan\njob",
                    "funding": "FSE+=80\nJunta=20", "active": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

async fn open(app: &TestApp, programme: &str, pid: &str, on: &str) -> String {
    let manager = app.professional(SOCIAL_BADAJOZ).await;
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/participants/{pid}/cases"),
            &json!({"programme_id": programme, "case_manager": manager, "opened_on": on}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "open: {:?}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

async fn close(app: &TestApp, case: &str, reason: &str, on: &str) {
    let c = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
    let version = c.body["case"]["version"].as_i64().expect("version");
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{case}/status-changes"),
            &json!({"action": "close", "reason": "Fin del itinerario", "exit_reason": reason,
                    "exit_on": on, "version": version}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "close: {:?}", r.body);
}

fn line<'a>(t: &'a Value, code: &str) -> &'a Value {
    t["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|l| l["code"] == code))
        .or_else(|| {
            t["populations"]
                .as_array()
                .and_then(|a| a.iter().find(|l| l["code"] == code))
        })
        .unwrap_or_else(|| panic!("no line {code} in {t}"))
}

fn figures(l: &Value) -> [Value; 4] {
    [
        l["women"].clone(),
        l["men"].clone(),
        l["non_binary"].clone(),
        l["total"].clone(),
    ]
}

/// No published figure counts 1 to 4 people.
fn nothing_small(t: &Value) {
    for l in t["indicators"]
        .as_array()
        .into_iter()
        .chain(t["populations"].as_array())
        .flatten()
    {
        for f in ["women", "men", "non_binary", "total", "missing", "declined"] {
            if let Some(n) = l[f].as_u64() {
                assert!(n == 0 || n >= 5, "{} {f} = {n} published", l["code"]);
            }
        }
    }
}

#[tokio::test]
async fn esf_indicators_count_each_participant_once_as_they_were_at_entry() {
    let app = spawn_app().await;
    let prog = programme(&app).await;
    // They all live in Badajoz (the dashboard's territory filter).
    let territories = app.get(ADMIN, "/territories").await;
    let badajoz = territories.body["items"]
        .as_array()
        .or(territories.body.as_array())
        .and_then(|a| a.iter().find(|t| t["name"] == "Badajoz"))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("Badajoz in {:?}", territories.body))
        .to_string();
    let person = |given: &str, surname: &str, second: &str, n: u32| {
        let mut p = person(given, surname, second, n);
        p["territory_id"] = json!(badajoz);
        p
    };
    let mut women = Vec::new();
    let mut first = Value::Null;
    for i in 0..10u32 {
        let mut p = person("Ana", &format!("Prueba{i}"), "Fse", 7_100 + i);
        if i < 9 {
            p["isced_level"] = json!("3");
        }
        if i == 0 {
            first = p.clone();
        }
        women.push(app.register(SOCIAL_BADAJOZ, &p).await);
    }
    let mut men = Vec::new();
    for i in 0..6u32 {
        let mut p = person("Luis", &format!("Prueba{i}"), "Fse", 7_200 + i);
        p["sex"] = json!("male");
        p["isced_level"] = json!("2");
        p["labour_status"] = json!(if i < 5 {
            "long_term_unemployed"
        } else {
            "inactive"
        });
        // Five of the men decline the disability question.
        p["disability_declined"] = json!(i < 5);
        men.push(app.register(SOCIAL_BADAJOZ, &p).await);
    }
    // Declining and answering at once is refused, and nothing is registered.
    let mut both = person("Luis", "Ambos", "Fse", 7_299);
    both["disability"] = json!(true);
    both["disability_declined"] = json!(true);
    let r = app.post(SOCIAL_BADAJOZ, "/participants", &both).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body.to_string().contains("disability_declined"),
        "{:?}",
        r.body
    );
    let mut nb = person("Alex", "Prueba", "Fse", 7_300);
    nb["sex"] = json!("non_binary");
    nb["isced_level"] = json!("5");
    let nb = app.register(SOCIAL_BADAJOZ, &nb).await;

    let mut cases = Vec::new();
    for p in women.iter().chain(&men).chain([&nb]) {
        cases.push(open(&app, &prog, p, "2026-02-02").await);
    }
    // The second woman leaves and enters again: one participant, not left.
    close(&app, &cases[1], "employed", "2026-03-01").await;
    open(&app, &prog, &women[1], "2026-04-01").await;
    // Five men leave for a job on 1 March: six months later is 1 September, past.
    for c in &cases[10..15] {
        close(&app, c, "employed", "2026-03-01").await;
    }
    // The first woman's sex marker changes after entry: she stays where she entered.
    let p = app
        .get(SOCIAL_BADAJOZ, &format!("/participants/{}", women[0]))
        .await;
    let mut edit = first;
    edit["sex"] = json!("male");
    edit["version"] = p.body["participant"]["version"].clone();
    let r = app
        .put(
            SOCIAL_BADAJOZ,
            &format!("/participants/{}", women[0]),
            &edit,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let path = format!("/programmes/{prog}/esf?from=2026-01-01&to=2026-12-31");
    // Person data is not needed and not enough: a social worker has no aggregates.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.status,
        StatusCode::FORBIDDEN
    );
    let t = app.get(PROGRAMME_MANAGER, &path).await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    let t = t.body;
    nothing_small(&t);
    // 10 women, 6 men, 1 non-binary person entered; the single non-binary person is
    // hidden, and so is the men's count, or 17 − 10 − 6 would give them away.
    assert_eq!(
        figures(line(&t, "EECO01")),
        [json!(10), Value::Null, Value::Null, json!(17)]
    );
    assert_eq!(line(&t, "population.entry")["total"], 17);
    // Long-term unemployed: the five men; the women's 0 is shown, the others would
    // leave one person (17 − 16) to be deduced.
    let lt = line(&t, "EECO03");
    eprintln!(
        "E02 {} E03 {} E04 {} E05 {}",
        line(&t, "EECO02"),
        lt,
        line(&t, "EECO04"),
        line(&t, "EECO05")
    );
    assert_eq!(lt["women"], 0);
    assert_eq!(lt["men"], 5);
    // Education: the woman with none recorded is left out and listed.
    assert_eq!(line(&t, "EECO10")["women"], Value::Null);
    assert_eq!(line(&t, "EECO10")["missing"], Value::Null); // one person: suppressed
                                                            // Upon leaving: the five men who left for a job, all of them employed.
    assert_eq!(
        figures(line(&t, "EECR04")),
        [json!(0), json!(5), json!(0), json!(5)]
    );
    assert_eq!(line(&t, "EECR01")["total"], 0);
    // Disability: nobody said yes; the five men who declined are counted apart.
    assert_eq!(line(&t, "EECO12")["total"], 0);
    assert_eq!(line(&t, "EECO12")["declined"], 5);
    // Six months after: no contract recorded, and the improvement is not known yet.
    assert_eq!(line(&t, "EECR05")["total"], 0);
    assert_eq!(line(&t, "EECR06")["missing"], 5);
    // Narrower periods count only those whose entry, leaving or six months fall in
    // them (the computation reads only the people a period may count, and all of
    // their cases): in April the woman who came back is no new entrant; in March the
    // five men left (she came back, so she has not); from September the five men
    // reach six months, having neither entered nor left then.
    let pops = |from: &str, to: &str| {
        let path = format!("/programmes/{prog}/esf?from={from}&to={to}");
        let app = &app;
        async move {
            let t = app.get(PROGRAMME_MANAGER, &path).await;
            assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
            ["entry", "leaving", "six_months"]
                .map(|s| line(&t.body, &format!("population.{s}"))["total"].clone())
        }
    };
    assert_eq!(
        pops("2026-04-01", "2026-04-30").await,
        [json!(0), json!(0), json!(0)]
    );
    assert_eq!(
        pops("2026-03-01", "2026-03-31").await,
        [json!(0), json!(5), json!(0)]
    );
    assert_eq!(
        pops("2026-09-01", "2026-12-31").await,
        [json!(0), json!(0), json!(5)]
    );
    assert_eq!(
        pops("2026-02-01", "2026-02-28").await,
        [json!(17), json!(0), json!(0)]
    );

    // The data-quality list names the missing facts, pseudonymised, of the indicators
    // whose missing count is published: the one woman without an education level is
    // not listed (her line would count her); the five follow-ups to come are.
    let q = app
        .get(
            PROGRAMME_MANAGER,
            &format!("/programmes/{prog}/esf/data-quality?from=2026-01-01&to=2026-12-31"),
        )
        .await;
    assert_eq!(q.status, StatusCode::OK, "{:?}", q.body);
    let listed = q.body["participants"].as_array().expect("list");
    let education: Vec<&Value> = listed
        .iter()
        .filter(|p| {
            p["indicators"]
                .as_array()
                .is_some_and(|i| i.iter().any(|c| c == "EECO09"))
        })
        .collect();
    assert_eq!(education.len(), 0, "{listed:?}");
    let six_months = listed
        .iter()
        .filter(|p| {
            p["indicators"]
                .as_array()
                .is_some_and(|i| i.iter().any(|c| c == "EECR06"))
        })
        .count();
    assert_eq!(six_months, 5, "{listed:?}");
    assert!(!q.body.to_string().contains("Prueba"), "a name leaked");

    // The six-month follow-ups reached the case manager's work list at exit.
    let due = |w: &Value| -> Vec<String> {
        w["esf_followups_due"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["case_id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let w = app.get(SOCIAL_BADAJOZ, "/tasks").await.body;
    for c in &cases[10..15] {
        assert!(due(&w).contains(c), "{w}");
    }
    assert!(!due(&w).contains(&cases[1]), "she entered again: {w}");
    // The six-month follow-up: recorded by the team of a closed case, not an open one.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{}/esf/followup", cases[2]),
            &json!({"improved": "yes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &format!("/cases/{}/esf/followup", cases[10]),
            &json!({"improved": "maybe"}),
        )
        .await;
    assert_eq!(
        codes(&r.body),
        [("improved".to_string(), "validation.choice".to_string())]
    );
    for c in &cases[10..15] {
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{c}/esf/followup"),
                &json!({"improved": "yes", "note": "Contrato indefinido"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let f = app
        .get(
            SOCIAL_BADAJOZ,
            &format!("/cases/{}/esf/followup", cases[10]),
        )
        .await;
    assert_eq!(f.body["due_on"], "2026-09-01");
    assert_eq!(f.body["improved"], true);
    assert!(due(&app.get(SOCIAL_BADAJOZ, "/tasks").await.body).is_empty());
    let t = app.get(PROGRAMME_MANAGER, &path).await.body;
    assert_eq!(line(&t, "EECR06")["men"], 5);
    assert_eq!(line(&t, "EECR06")["missing"], 0);

    // The 2014–2020 set is there too; an unknown one is refused.
    let old = app
        .get(PROGRAMME_MANAGER, &format!("{path}&set=esf_2014_2020"))
        .await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(line(&old.body, "CO02")["men"], 5);
    let bad = app
        .get(PROGRAMME_MANAGER, &format!("{path}&set=esf_1999"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Exports: CSV with codes and names, XLSX a workbook.
    let csv = app
        .client
        .get(format!("{}/api/v1/programmes/{prog}/esf.csv", app.base))
        .bearer_auth(app.token(PROGRAMME_MANAGER))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert!(
        text.contains("EECO01") && text.contains("Número total de participantes"),
        "{text}"
    );
    assert!(text.contains("<5"), "{text}");
    let xlsx = app
        .client
        .get(format!("{}/api/v1/programmes/{prog}/esf.xlsx", app.base))
        .bearer_auth(app.token(PROGRAMME_MANAGER))
        .send()
        .await
        .expect("xlsx");
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));

    // Five of the women are assessed twice: housing from 2 to 3, the rest stays at 3.
    let inst = crate::casework::default_instrument(&app).await;
    for c in &cases[2..7] {
        for (on, housing) in [("2026-03-02", "2"), ("2026-06-01", "3")] {
            let r = app
                .post(
                    SOCIAL_BADAJOZ,
                    &format!("/cases/{c}/assessments"),
                    &json!({"instrument_id": inst, "assessed_on": on, "scores": crate::casework::scores(&[("housing", housing)], "3")}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
    }
    // The dashboard of the same programme: the funnel holds the open cases, all in the
    // first phase; the groups are within all entries; nothing small is published.
    let dash = format!("/programmes/{prog}/dashboard?from=2026-01-01&to=2026-12-31");
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &dash).await.status,
        StatusCode::FORBIDDEN
    );
    let d = app.get(PROGRAMME_MANAGER, &dash).await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    let chart = |d: &Value, id: &str| -> Value {
        d["charts"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("no chart {id}"))
    };
    let row = |c: &Value, label: &str| -> Value {
        c["rows"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["label"] == label).cloned())
            .unwrap_or_else(|| panic!("no row {label} in {c}"))
    };
    // 10 women (one of them entered twice), the inactive man and the non-binary person
    // are still open; the five men left.
    let funnel = chart(&d.body, "funnel");
    assert_eq!(row(&funnel, "intake")["values"], json!([12]));
    assert_eq!(row(&funnel, "plan")["values"], json!([0]));
    let groups = chart(&d.body, "groups");
    assert_eq!(row(&groups, "all")["values"], json!([18]));
    // Progress between the first and the latest assessment, named in Spanish.
    let progress = chart(&d.body, "progress");
    assert_eq!(row(&progress, "Vivienda")["values"], json!([5, 0, 0]));
    assert_eq!(row(&progress, "Vivienda")["average"], json!(1.0));
    assert_eq!(row(&progress, "Ingresos")["values"], json!([0, 5, 0]));
    assert_eq!(row(&progress, "Ingresos")["average"], json!(0.0));
    let profiles = chart(&d.body, "profiles");
    let assessed: u64 = profiles["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["values"][1].as_u64())
        .sum();
    assert_eq!(assessed, 5, "{profiles}");
    assert_eq!(row(&groups, "long_term_unemployed")["values"], json!([5]));
    for c in d.body["charts"].as_array().expect("charts") {
        for r in c["rows"].as_array().expect("rows") {
            for v in r["values"].as_array().expect("values") {
                if let Some(n) = v.as_u64() {
                    assert!(n == 0 || n >= 5, "{} {} = {n}", c["id"], r["label"]);
                }
            }
        }
    }
    // A territory where none of them lives: nothing.
    let merida = {
        let t = chart(&d.body, "territory");
        assert!(t["rows"].as_array().is_some());
        d.body["territories"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["name"] == "Mérida"))
            .and_then(|t| t["id"].as_str())
            .expect("Mérida")
            .to_string()
    };
    let there = app
        .get(PROGRAMME_MANAGER, &format!("{dash}&territory_id={merida}"))
        .await;
    assert_eq!(there.status, StatusCode::OK, "{:?}", there.body);
    assert_eq!(
        row(&chart(&there.body, "groups"), "all")["values"],
        json!([0])
    );
    let bad = app
        .get(PROGRAMME_MANAGER, &format!("{dash}&territory_id=nowhere"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Where they live, and the organisation on their cases' teams: all of them, in
    // every chart the filters narrow; another organisation: none.
    let (_, social) = who(&app, SOCIAL_BADAJOZ).await;
    let (_, sexpe) = who(&app, SEXPE_BADAJOZ).await;
    for filter in [
        format!("territory_id={badajoz}"),
        format!("organisation_id={social}"),
        format!("territory_id={badajoz}&organisation_id={social}"),
    ] {
        let f = app
            .get(PROGRAMME_MANAGER, &format!("{dash}&{filter}"))
            .await;
        assert_eq!(f.status, StatusCode::OK, "{:?}", f.body);
        assert_eq!(
            row(&chart(&f.body, "groups"), "all")["values"],
            json!([18]),
            "{filter}"
        );
        assert_eq!(
            row(&chart(&f.body, "funnel"), "intake")["values"],
            json!([12]),
            "{filter}"
        );
        assert_eq!(
            row(&chart(&f.body, "progress"), "Vivienda")["values"],
            json!([5, 0, 0]),
            "{filter}"
        );
        assert_eq!(
            row(&chart(&f.body, "groups"), "long_term_unemployed")["values"],
            json!([5]),
            "{filter}"
        );
    }
    let elsewhere = app
        .get(
            PROGRAMME_MANAGER,
            &format!("{dash}&organisation_id={sexpe}"),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{:?}", elsewhere.body);
    assert_eq!(
        row(&chart(&elsewhere.body, "groups"), "all")["values"],
        json!([0])
    );
    // A chart's table as CSV.
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/programmes/{prog}/dashboard.csv?chart=funnel&from=2026-01-01&to=2026-12-31",
            app.base
        ))
        .bearer_auth(app.token(PROGRAMME_MANAGER))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert!(text.contains("intake") || text.contains("Fase"), "{text}");
    assert!(text.contains("12"), "{text}");
}

#[tokio::test]
async fn the_objectives_sheet_computes_checks_and_hides_small_counts() {
    let app = spawn_app().await;
    let prog = programme(&app).await;
    let mut cases = Vec::new();
    for i in 0..6u32 {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Eva", &format!("Meta{i}"), "Obj", 7_400 + i),
            )
            .await;
        cases.push(open(&app, &prog, &pid, "2026-03-02").await);
    }
    let path = format!("/programmes/{prog}/indicators");
    let objective = |code: &str, measure: &str, target: &str| {
        json!({"code": code, "description": format!("Objetivo {code}"), "indicator_type": "output",
               "unit": "personas", "comparison": "at_least", "target": target, "measure": measure,
               "period_start": "2026-01-01", "period_end": "2026-12-31"})
    };

    // Bad input: each field named, in the reader's language, nothing saved.
    let r = app
        .post_lang(
            PROGRAMME_MANAGER,
            &path,
            &json!({"code": "", "comparison": "more", "target": "veinte", "measure": "manual",
                    "manual_value": "3", "period_start": "2026-12-31", "period_end": "2026-01-01",
                    "indicator_type": "output", "unit": "x", "description": "d"}),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let fields: Vec<String> = codes(&r.body).into_iter().map(|c| c.0).collect();
    assert_eq!(
        fields,
        ["code", "comparison", "target", "period_end", "evidence"],
        "{:?}",
        r.body
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM objectives").await, 0);
    // Only programme managers and coordinators keep the sheet.
    let r = app
        .post(
            SOCIAL_BADAJOZ,
            &path,
            &objective("OB-1", "participants_taken_in_charge", "5"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.status,
        StatusCode::FORBIDDEN
    );

    let r = app
        .post(
            PROGRAMME_MANAGER,
            &path,
            &objective("OB-1", "participants_taken_in_charge", "5"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ob1 = r.body["id"].as_str().expect("id").to_string();
    app.post(
        PROGRAMME_MANAGER,
        &path,
        &objective("OB-2", "joint_interviews", "4"),
    )
    .await;
    let mut by_hand = objective("OB-3", "manual", "2");
    by_hand["manual_value"] = json!("3");
    by_hand["evidence"] =
        json!("Resoluciones de concesión 2026/14 y 2026/31, convenio con la Diputación");
    by_hand["unit"] = json!("fuentes");
    let r = app.post(COORDINATOR, &path, &by_hand).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let mut change = objective("OB-4", "participants_taken_in_charge", "30");
    change["baseline"] = json!("previous_period");
    app.post(PROGRAMME_MANAGER, &path, &change).await;
    // A month with one person taken in charge: too few to show.
    let mut april = objective("OB-5", "participants_taken_in_charge", "1");
    april["period_start"] = json!("2026-04-01");
    april["period_end"] = json!("2026-04-30");
    app.post(PROGRAMME_MANAGER, &path, &april).await;
    let late = app
        .register(SOCIAL_BADAJOZ, &person("Eva", "Tardía", "Obj", 7_450))
        .await;
    open(&app, &prog, &late, "2026-04-15").await;

    let s = app.get(PROGRAMME_MANAGER, &path).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let get = |code: &str| {
        s.body["objectives"]
            .as_array()
            .and_then(|a| a.iter().find(|o| o["code"] == code).cloned())
            .unwrap_or_else(|| panic!("no {code}"))
    };
    let o1 = get("OB-1");
    assert_eq!(o1["achieved"], 7.0);
    assert_eq!(o1["met"], true);
    assert_eq!(o1["progress_percent"], 140);
    assert_eq!(o1["elapsed_percent"], 89); // 23 November: day 327 of 365
    let o2 = get("OB-2");
    assert_eq!(o2["achieved"], 0.0);
    assert_eq!(o2["met"], false);
    let o3 = get("OB-3");
    assert_eq!(o3["achieved"], 3.0);
    assert_eq!(o3["met"], true);
    // Nobody was taken in charge the year before: no change can be computed.
    let o4 = get("OB-4");
    assert_eq!(o4["previous_value"], 0.0);
    assert_eq!(o4["achieved"], Value::Null);
    assert_eq!(o4["met"], Value::Null);
    let o5 = get("OB-5");
    assert_eq!(o5["suppressed"], true);
    assert_eq!(o5["achieved"], Value::Null);
    // Nor whether it meets the target the reader chose (1: it would say "one").
    assert_eq!(o5["met"], Value::Null);
    assert_eq!(o5["progress_percent"], Value::Null);

    // Changed at the version read; a stale version is refused.
    let mut edit = objective("OB-1", "participants_taken_in_charge", "10");
    edit["version"] = json!("1");
    let r = app
        .put(PROGRAMME_MANAGER, &format!("/indicators/{ob1}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .put(PROGRAMME_MANAGER, &format!("/indicators/{ob1}"), &edit)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let one = app
        .get(PROGRAMME_MANAGER, &format!("/indicators/{ob1}"))
        .await;
    assert_eq!(one.body["target"], 10.0);
    assert_eq!(one.body["met"], false);

    // The records behind a value: pseudonyms for the programme manager, names for a
    // coordinator who may see the people; none behind a value too small to show.
    let recs = app
        .get(PROGRAMME_MANAGER, &format!("/indicators/{ob1}/records"))
        .await;
    assert_eq!(recs.status, StatusCode::OK, "{:?}", recs.body);
    let lines = recs.body["records"].as_array().expect("records");
    assert_eq!(lines.len(), 7);
    // (A pseudonym of this list only, the month, no label: nothing to join with the
    // overview's list, nothing that says who in a small programme.)
    assert!(
        lines.iter().all(
            |l| l["pseudonym"].as_str().is_some_and(|p| p.starts_with("R-"))
                && l["participant_name"].is_null()
                && l["case_id"].is_null()
                && l["label"] == ""
                && l["day"].as_str().is_some_and(|d| d.len() == 7)
        ),
        "{lines:?}"
    );
    assert!(!recs.body.to_string().contains("Meta0"));
    let recs = app
        .get(COORDINATOR, &format!("/indicators/{ob1}/records"))
        .await
        .body;
    let named: Vec<&str> = recs["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|l| l["participant_name"].as_str())
        .collect();
    assert_eq!(named.len(), 7, "{recs}");
    assert!(named.contains(&"Eva Meta0 Obj"));
    let ob5 = get("OB-5")["id"].as_str().expect("id").to_string();
    let small = app
        .get(PROGRAMME_MANAGER, &format!("/indicators/{ob5}/records"))
        .await
        .body;
    assert_eq!(small["shown"], false);
    assert!(small["records"].as_array().expect("records").is_empty());
    let (status, html) = b_page(
        &app,
        PROGRAMME_MANAGER,
        &format!("/indicators/{ob1}/records"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<code>R-"), "{html}");

    // Exports and pages.
    let csv = app
        .client
        .get(format!("{}/api/v1{path}.csv", app.base))
        .bearer_auth(app.token(PROGRAMME_MANAGER))
        .send()
        .await
        .expect("csv");
    let text = csv.text().await.expect("text");
    assert!(
        text.contains("OB-3") && text.contains("Resoluciones de concesión"),
        "{text}"
    );
    assert!(text.contains("<5"), "{text}");
    let b = Browser::new(&app.base);
    b.login(PROGRAMME_MANAGER).await;
    let (status, html) = b.page(&format!("/programmes/{prog}/indicators")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("OB-2") && html.contains("No cumplido"),
        "{html}"
    );
    let (status, html) = b.page(&format!("/programmes/{prog}/esf")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("EECO01"), "{html}");
    // A report asked with a period that is not one: the default report, the message
    // beside the filter, what was typed kept (not a bare error page).
    for page in ["indicators", "esf", "dashboard", "compliance"] {
        let (status, html) = b
            .page(&format!(
                "/programmes/{prog}/{page}?from=2026-12-31&to=2026-01-01&project_id=nonsense"
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            html.contains("El final no puede ser anterior al inicio.")
                && html.contains(r#"id="to-error""#)
                && html.contains(r##"href="#to""##)
                && html.contains(r#"value="2026-12-31""#)
                && html.contains(r#"value="2026-01-01""#)
                && html.contains(r#"card filters""#),
            "{page}: {html}"
        );
    }
    let (status, html) = b
        .page(&format!("/programmes/{prog}/esf?project_id=nonsense"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"id="project_id-error""#), "{html}");
    assert!(
        html.contains("EECO01"),
        "the default table is shown: {html}"
    );
    let (status, html) = b
        .page(&format!(
            "/programmes/{prog}/esf/data-quality?from=0026-01-01"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("La fecha está fuera"), "{html}");
    // Removed after a confirmation page.
    let (status, html) = b.page(&format!("/indicators/{ob1}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("OB-1"));
    let r = app
        .delete(PROGRAMME_MANAGER, &format!("/indicators/{ob1}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get(PROGRAMME_MANAGER, &format!("/indicators/{ob1}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let _ = cases;
}

#[tokio::test]
async fn protocol_compliance_counts_what_falls_due_and_lists_the_cases_out_of_it() {
    let app = spawn_app().await;
    let prog = programme(&app).await;
    let mut cases = Vec::new();
    for i in 0..12u32 {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Inés", &format!("Plazo{i}"), "Comp", 7_500 + i),
            )
            .await;
        cases.push(open(&app, &prog, &pid, "2026-09-01").await);
    }
    // First interviews: six within the 10 days, two late, four never held.
    for (n, c) in cases.iter().enumerate().take(8) {
        let on = if n < 6 { "2026-09-05" } else { "2026-09-15" };
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{c}/contacts"),
                &json!({"kind": "individual_interview", "happened_on": on, "summary": "Primera entrevista",
                        "visibility": "team"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let path = format!("/programmes/{prog}/compliance?from=2026-01-01&to=2026-12-31");
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &path).await.status,
        StatusCode::FORBIDDEN
    );
    let v = app.get(COORDINATOR, &path).await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    let rule = |v: &Value, r: &str| -> Value {
        v["rules"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["rule"] == r).cloned())
            .unwrap_or_else(|| panic!("no rule {r}"))
    };
    let first = rule(&v.body, "first_interview");
    assert_eq!(first["days"], 10);
    assert_eq!(first["instances"], 12);
    assert_eq!(first["met"], 6);
    // Two late and four overdue are too few to show, each.
    assert_eq!(first["late"], Value::Null);
    assert_eq!(first["overdue"], Value::Null);
    assert_eq!(first["rate"], 50);
    // No assessment at all: twelve overdue diagnoses.
    let diag = rule(&v.body, "diagnosis");
    assert_eq!(
        (diag["overdue"].clone(), diag["rate"].clone()),
        (json!(12), json!(0))
    );
    // The itinerary's 45 days from 1 September fall due on 16 October: overdue too.
    assert_eq!(rule(&v.body, "itinerary")["overdue"], 12);
    // The coordinator sees the cases out of protocol, by name; the programme manager
    // the figures only.
    let out = v.body["out_of_protocol"].as_array().expect("list");
    assert!(out.iter().any(|o| o["case_id"] == cases[8].as_str()
        && o["rule"] == "first_interview"
        && o["outcome"] == "overdue"));
    assert!(out.iter().any(|o| o["case_id"] == cases[6].as_str()
        && o["rule"] == "first_interview"
        && o["outcome"] == "late"));
    assert!(!out
        .iter()
        .any(|o| o["case_id"] == cases[0].as_str() && o["rule"] == "first_interview"));
    assert!(
        out.iter()
            .any(|o| o["participant_name"] == "Inés Plazo8 Comp"),
        "{out:?}"
    );
    let pm = app.get(PROGRAMME_MANAGER, &path).await.body;
    assert_eq!(pm["lists_cases"], false);
    assert!(pm["out_of_protocol"].as_array().expect("list").is_empty());
    assert!(!pm.to_string().contains("Plazo"));
    assert_eq!(
        app.get(PROGRAMME_MANAGER, &format!("{path}&by=nope"))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The limits are the programme's: a bad one is named, nothing changes; 20 days
    // makes the two late interviews on time.
    let rules = format!("/programmes/{prog}/compliance/rules");
    let limits = json!({"first_interview": "20", "diagnosis": "30", "itinerary": "45", "review": "90",
                        "placement_followup": "31", "incident_response": "3", "referral_answer": "0"});
    let r = app.put(PROGRAMME_MANAGER, &rules, &limits).await;
    assert_eq!(
        codes(&r.body),
        [(
            "referral_answer".to_string(),
            "validation.compliance.days".to_string()
        )]
    );
    let mut limits = limits;
    limits["referral_answer"] = json!("7");
    let r = app.put(PROGRAMME_MANAGER, &rules, &limits).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let got = app.get(PROGRAMME_MANAGER, &rules).await.body;
    assert!(got
        .as_array()
        .expect("rules")
        .iter()
        .any(|x| x["rule"] == "first_interview" && x["days"] == 20));
    let v = app.get(COORDINATOR, &path).await.body;
    assert_eq!(rule(&v, "first_interview")["late"], 0);
    let (status, html) = {
        let b = Browser::new(&app.base);
        b.login(COORDINATOR).await;
        b.page(&format!("/programmes/{prog}/compliance")).await
    };
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Primera entrevista") && html.contains("Inés Plazo8 Comp"),
        "{html}"
    );
}

async fn b_page(app: &TestApp, user: &str, path: &str) -> (StatusCode, String) {
    let b = Browser::new(&app.base);
    b.login(user).await;
    b.page(path).await
}

#[tokio::test]
async fn computed_aggregates_are_kept_for_a_while_audited_each_time_and_computed_again_on_request()
{
    let app = spawn_app_keeping_aggregates().await;
    let prog = programme(&app).await;
    let mut n = 0u32;
    let mut enter = |k: u32| {
        let from = n;
        n += k;
        from..n
    };
    for i in enter(6) {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Eva", &format!("Guarda{i}"), "Cache", 7_400 + i),
            )
            .await;
        open(&app, &prog, &pid, "2026-03-02").await;
    }
    let dash = format!("/programmes/{prog}/dashboard?from=2026-01-01&to=2026-12-31");
    let entries = |d: &Value| -> Value {
        d["charts"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == "groups"))
            .map(|c| c["rows"][0]["values"][0].clone())
            .expect("groups")
    };
    let first = app.get(PROGRAMME_MANAGER, &dash).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(entries(&first.body), 6);
    let sheet = format!("/programmes/{prog}/indicators");
    let r = app
        .post(
            PROGRAMME_MANAGER,
            &sheet,
            &json!({"code": "OB-C", "description": "Personas atendidas", "indicator_type": "output",
                    "unit": "personas", "comparison": "at_least", "target": "5",
                    "measure": "participants_taken_in_charge",
                    "period_start": "2026-01-01", "period_end": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let s1 = app.get(PROGRAMME_MANAGER, &sheet).await;
    assert_eq!(s1.body["objectives"][0]["achieved"], 6.0, "{:?}", s1.body);

    // Five more enter: the kept answers still say six, and say when they were computed.
    for i in enter(5) {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Eva", &format!("Guarda{i}"), "Cache", 7_400 + i),
            )
            .await;
        open(&app, &prog, &pid, "2026-03-02").await;
    }
    let kept = app.get(PROGRAMME_MANAGER, &dash).await;
    assert_eq!(entries(&kept.body), 6);
    assert_eq!(kept.body["computed_at"], first.body["computed_at"]);
    assert_eq!(
        app.get(PROGRAMME_MANAGER, &sheet).await.body["objectives"][0]["achieved"],
        6.0
    );
    // A change to the sheet itself shows at once: its objectives are part of the key.
    let r = app
        .post(
            PROGRAMME_MANAGER,
            &sheet,
            &json!({"code": "OB-D", "description": "Reuniones", "indicator_type": "output",
                    "unit": "reuniones", "comparison": "at_least", "target": "2",
                    "measure": "coordination_meetings",
                    "period_start": "2026-01-01", "period_end": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let s2 = app.get(PROGRAMME_MANAGER, &sheet).await.body;
    assert_eq!(s2["objectives"].as_array().map(Vec::len), Some(2), "{s2:?}");
    // Asked for, the figures are computed again.
    let fresh = app
        .get(PROGRAMME_MANAGER, &format!("{dash}&fresh=true"))
        .await;
    assert_eq!(entries(&fresh.body), 11);
    // And five minutes on, by themselves.
    for i in enter(5) {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Eva", &format!("Guarda{i}"), "Cache", 7_400 + i),
            )
            .await;
        open(&app, &prog, &pid, "2026-03-02").await;
    }
    assert_eq!(entries(&app.get(PROGRAMME_MANAGER, &dash).await.body), 11);
    app.clock.advance(chrono::Duration::minutes(5));
    let later = app.get(PROGRAMME_MANAGER, &dash).await;
    assert_eq!(entries(&later.body), 16);
    assert_ne!(later.body["computed_at"], first.body["computed_at"]);
    // A kept answer is still for those who may read it, and every read is audited.
    assert_eq!(
        app.get(SOCIAL_BADAJOZ, &dash).await.status,
        StatusCode::FORBIDDEN
    );
    let audit = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=dashboard.read&entity_id={prog}"),
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(5),
        "{:?}",
        audit.body
    );
}

/// The overview publishes the open and the suspended cases of each phase, the
/// dashboard's funnel their sum: one of the two hidden alone would be the funnel's
/// figure minus the other, so the other goes too.
#[tokio::test]
async fn the_overview_and_the_funnel_do_not_give_each_other_away() {
    let app = spawn_app().await;
    let prog = programme(&app).await;
    let mut cases = Vec::new();
    for i in 0..13u32 {
        let pid = app
            .register(
                SOCIAL_BADAJOZ,
                &person("Eva", &format!("Embudo{i}"), "Prueba", 7_600 + i),
            )
            .await;
        cases.push(open(&app, &prog, &pid, "2026-03-01").await);
    }
    // Five move on to the second phase; of the eight left in the first, two are
    // suspended: 6 open and 2 suspended there, 5 open in the second. The overview's
    // line alone would hide the 2 and the smallest other cell, the second phase's 5,
    // and leave the first phase's 6 open for the funnel's 8 to give the 2 away.
    for case in cases.iter().skip(8) {
        let v = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
        let version = v.body["case"]["version"].clone();
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{case}/phase-changes"),
                &json!({"to_phase": "plan", "reason": "Plan acordado", "version": version}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    for case in cases.iter().take(2) {
        let v = app.get(SOCIAL_BADAJOZ, &format!("/cases/{case}")).await;
        let version = v.body["case"]["version"].clone();
        let r = app
            .post(
                SOCIAL_BADAJOZ,
                &format!("/cases/{case}/status-changes"),
                &json!({"action": "suspend", "reason": "Baja médica", "version": version}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let o = app
        .get(PROGRAMME_MANAGER, &format!("/programmes/{prog}/overview"))
        .await;
    assert_eq!(o.status, StatusCode::OK, "{:?}", o.body);
    let counts = o.body["counts"].as_array().expect("counts").clone();
    let of = |status: &str, phase: &str| {
        counts
            .iter()
            .find(|c| c["status"] == status && c["phase"] == phase)
            .map(|c| c["count"].clone())
            .unwrap_or_else(|| panic!("no {status} {phase}: {counts:?}"))
    };
    assert_eq!(of("suspended", "intake"), Value::Null);
    assert_eq!(
        of("open", "intake"),
        Value::Null,
        "6 open would tell 8 − 6 = 2 suspended"
    );
    assert_eq!(o.body["total"], 13);
    // The funnel still says 8 cases not closed in that phase.
    let d = app
        .get(
            PROGRAMME_MANAGER,
            &format!("/programmes/{prog}/dashboard?from=2026-01-01&to=2026-12-31"),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    let funnel = d.body["charts"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "funnel").cloned())
        .expect("funnel");
    let rows = funnel["rows"].as_array().expect("rows");
    let of_phase = |phase: &str| {
        rows.iter()
            .find(|r| r["label"] == phase)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("no {phase}: {funnel}"))
    };
    assert_eq!(of_phase("intake"), json!([8]));
    assert_eq!(of_phase("plan"), json!([5]));
    assert_eq!(funnel["total"], 13);
    // The overview's 5 open in the second phase agree with the funnel's.
    assert_eq!(of("open", "plan"), 5);

    // Three of the second phase's cases close: 13 − 10 would give the 3 closed back
    // unless the overview and the funnel hide them together.
    for case in cases.iter().skip(10) {
        close(&app, case, "employed", "2026-11-20").await;
    }
    let o = app
        .get(PROGRAMME_MANAGER, &format!("/programmes/{prog}/overview"))
        .await;
    let d = app
        .get(
            PROGRAMME_MANAGER,
            &format!("/programmes/{prog}/dashboard?from=2026-01-01&to=2026-12-31&fresh=true"),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    let funnel_total = d.body["charts"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "funnel"))
        .map(|c| c["total"].clone())
        .expect("funnel");
    assert!(
        o.body["total"].is_null() || funnel_total.is_null(),
        "{} − {funnel_total} would be the 3 closed: {}",
        o.body["total"],
        o.body
    );
    for c in o.body["counts"].as_array().expect("counts") {
        if let Some(n) = c["count"].as_i64() {
            assert!(n == 0 || n >= 5, "{c}");
        }
    }
}

/// What a manager opens first is prepared ahead of them (`Services::prepare_figures`,
/// which each server's background pass runs at start and every hour): each active
/// programme's sheet, ESF table and dashboard for this year are then read as kept
/// answers — audited each time, the dashboard's assessment charts named in each
/// reader's language — while other filters, and "compute now", are computed on request,
/// and a prepared answer runs out after two preparations' time.
#[tokio::test]
async fn each_programmes_figures_for_the_year_are_prepared_ahead_of_its_first_reader() {
    // Nothing computed on request is kept: what is kept was prepared.
    let app = spawn_app().await;
    let prog = programme(&app).await;
    let mut n = 0u32;
    let mut enter = |k: u32| {
        let from = n;
        n += k;
        from..n
    };
    for i in enter(6) {
        let p = person("Eva", &format!("Antes{i}"), "Prep", 7_600 + i);
        let pid = app.register(SOCIAL_BADAJOZ, &p).await;
        open(&app, &prog, &pid, "2026-03-02").await;
    }
    let prepared = app.services.prepare_figures().await.expect("prepared");
    assert!(
        prepared >= 2,
        "the demo's programmes and this one: {prepared}"
    );
    let entries = |d: &Value| -> Value {
        d["charts"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == "groups"))
            .map(|c| c["rows"][0]["values"][0].clone())
            .expect("groups")
    };
    let dash = format!("/programmes/{prog}/dashboard");
    let first = app.get(PROGRAMME_MANAGER, &dash).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(entries(&first.body), 6);
    let prepared_at = first.body["computed_at"].clone();

    // Half an hour on, five more have entered: the first views are the prepared ones.
    app.clock.advance(chrono::Duration::minutes(30));
    for i in enter(5) {
        let p = person("Eva", &format!("Antes{i}"), "Prep", 7_600 + i);
        let pid = app.register(SOCIAL_BADAJOZ, &p).await;
        open(&app, &prog, &pid, "2026-03-02").await;
    }
    let d = app.get(PROGRAMME_MANAGER, &dash).await.body;
    assert_eq!((entries(&d), &d["computed_at"]), (json!(6), &prepared_at));
    let year = app
        .get(
            PROGRAMME_MANAGER,
            &format!("{dash}?from=2026-01-01&to=2026-12-31"),
        )
        .await
        .body;
    assert_eq!(year["computed_at"], prepared_at, "the same year typed");
    let esf = app
        .get(PROGRAMME_MANAGER, &format!("/programmes/{prog}/esf"))
        .await
        .body;
    assert_eq!(line(&esf, "population.entry")["total"], 6);
    assert_eq!(esf["computed_at"], prepared_at);
    let sheet = app
        .get(PROGRAMME_MANAGER, &format!("/programmes/{prog}/indicators"))
        .await
        .body;
    assert_eq!(sheet["computed_at"], prepared_at, "{sheet:?}");

    // Another period, and "compute now", are computed on request.
    let march = app
        .get(
            PROGRAMME_MANAGER,
            &format!("{dash}?from=2026-03-01&to=2026-12-31"),
        )
        .await
        .body;
    assert_eq!(entries(&march), 11);
    assert_ne!(march["computed_at"], prepared_at);
    let fresh = app
        .get(PROGRAMME_MANAGER, &format!("{dash}?fresh=true"))
        .await
        .body;
    assert_eq!(entries(&fresh), 11);
    // The answer computed now replaces the prepared one, for the rest of its time.
    let again = app.get(PROGRAMME_MANAGER, &dash).await.body;
    assert_eq!(
        (entries(&again), &again["computed_at"]),
        (json!(11), &fresh["computed_at"])
    );

    // One preparation serves every language: the demo programme's assessment charts
    // are named in each reader's.
    let crisol = app.programme("CRISOL").await;
    let path = format!("/programmes/{crisol}/dashboard");
    let labels = |d: &Value| -> Vec<String> {
        d["charts"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == "profiles"))
            .and_then(|c| c["rows"].as_array())
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["label"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let es = app.get_lang(PROGRAMME_MANAGER, &path, "es").await.body;
    let en = app.get_lang(PROGRAMME_MANAGER, &path, "en").await.body;
    assert_eq!(es["computed_at"], prepared_at);
    assert_eq!(en["computed_at"], prepared_at);
    assert!(
        labels(&es)
            .iter()
            .any(|l| l == "Necesita trabajo prelaboral"),
        "{:?}",
        labels(&es)
    );
    assert!(
        labels(&en).iter().any(|l| l == "Needs pre-labour work"),
        "{:?}",
        labels(&en)
    );
    assert_eq!(
        es["charts"].as_array().map(Vec::len),
        en["charts"].as_array().map(Vec::len)
    );

    // Two hours on (two preparations' time, and none ran), nothing prepared is given.
    app.clock.advance(chrono::Duration::hours(2));
    let later = app.get(PROGRAMME_MANAGER, &dash).await.body;
    assert_eq!(entries(&later), 11);
    assert_ne!(later["computed_at"], fresh["computed_at"]);
    // Each read was audited, prepared or not.
    let audit = app
        .get(
            AUDITOR,
            &format!("/audit-entries?action=dashboard.read&entity_id={prog}"),
        )
        .await;
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(7),
        "{:?}",
        audit.body
    );
}
