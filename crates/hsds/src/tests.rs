use itinera_domain::resource::{Category, Provider, ResourceData, ResourceKind, ResourceStatus};
use uuid::Uuid;

use crate::*;

fn catalogue() -> Catalogue {
    let org = Organisation {
        id: Uuid::from_u128(0xA1),
        name: "Asociación Puentes de Inclusión".into(),
        description: "Entidad del tercer sector".into(),
        email: Some("info@puentes.example".into()),
        website: Some("https://puentes.example".into()),
    };
    let base = ResourceData {
        provider: Provider::Named(org.name.clone()),
        name: "Taller prelaboral de hostelería".into(),
        kind: ResourceKind::Course,
        category: Category::Training,
        status: ResourceStatus::Active,
        description: Some("Cocina y sala, con prácticas".into()),
        eligibility: Some("Personas desempleadas de larga duración".into()),
        minimum_age: Some(18),
        maximum_age: Some(64),
        territory: vec!["Badajoz".into(), "San Roque, Badajoz".into()],
        schedule: Some("Lunes a jueves, 9:00–13:00".into()),
        capacity: Some(12),
        places_available: Some(3),
        phone: Some("+34 924 000 000".into()),
        email: Some("taller@puentes.example".into()),
        url: Some("https://puentes.example/taller".into()),
        address: Some("Calle Mayor 1".into()),
        city: Some("Badajoz".into()),
        postal_code: Some("06001".into()),
        province: Some("Badajoz".into()),
        country: Some("ES".into()),
        languages: vec!["es".into(), "ar".into()],
        fees: Some("Gratuito".into()),
        cost_cents: Some(1250),
        application_process: Some("Derivación de los servicios sociales".into()),
    };
    let bare = ResourceData {
        name: "Banco de alimentos".into(),
        kind: ResourceKind::Service,
        category: Category::FoodMaterial,
        status: ResourceStatus::TemporarilyClosed,
        description: None,
        eligibility: None,
        minimum_age: None,
        maximum_age: None,
        territory: vec![],
        schedule: None,
        capacity: None,
        places_available: None,
        phone: None,
        email: None,
        url: None,
        address: None,
        city: None,
        postal_code: None,
        province: None,
        country: None,
        languages: vec![],
        fees: None,
        cost_cents: None,
        application_process: None,
        ..base.clone()
    };
    Catalogue {
        organisations: vec![org],
        resources: vec![
            Resource {
                id: Uuid::from_u128(0xB1),
                organisation_id: Uuid::from_u128(0xA1),
                data: base,
            },
            Resource {
                id: Uuid::from_u128(0xB2),
                organisation_id: Uuid::from_u128(0xA1),
                data: bare,
            },
        ],
    }
}

#[test]
fn the_json_form_round_trips_and_is_valid_hsds() {
    let c = catalogue();
    let first = write_json(&c);
    // Every service of the page passes the published schema.
    let v = schema::validator("service.json").expect("schema");
    for s in first["contents"].as_array().expect("contents") {
        let errors: Vec<String> = v.iter_errors(s).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let text = serde_json::to_string_pretty(&first).expect("json");
    let back = read_json("catalogue.json", &text).expect("reads back");
    assert_eq!(back, c);
    assert_eq!(write_json(&back), first);
}

#[test]
fn the_tabular_form_round_trips() {
    let c = catalogue();
    let zip = write_tabular(&c).expect("zip");
    let back = read_tabular("catalogue.zip", &zip).expect("reads back");
    assert_eq!(back, c);
    assert_eq!(
        write_tabular(&back).expect("zip"),
        zip,
        "the same bytes again"
    );
}

#[test]
fn a_bad_json_file_is_reported_by_line_and_field() {
    let text = r#"{"contents": [
  {"id": "00000000-0000-0000-0000-0000000000b1", "name": "Bien", "status": "active",
   "organization": {"id": "00000000-0000-0000-0000-0000000000a1", "name": "Org", "description": "d"}},
  {"id": "not-a-uuid", "status": "open",
   "email": "nope",
   "organization": {"id": "00000000-0000-0000-0000-0000000000a1", "name": "Org", "description": "d"}},
  {"id": "00000000-0000-0000-0000-0000000000b3", "name": "Sin organización", "status": "active"},
  {"id": "00000000-0000-0000-0000-0000000000b4", "name": "Edades", "status": "active",
   "minimum_age": 70, "maximum_age": 20,
   "organization": {"id": "00000000-0000-0000-0000-0000000000a1", "name": "Org", "description": "d"}}
]}"#;
    let problems = read_json("red.json", text).expect_err("rejected");
    let seen: Vec<(Option<usize>, &str, &str)> = problems
        .iter()
        .map(|p| (p.line, p.field.as_str(), p.code))
        .collect();
    assert!(
        seen.contains(&(Some(4), "/contents/1/id", "hsds.format")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Some(4), "/contents/1/name", "hsds.required")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Some(4), "/contents/1/status", "hsds.enum")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Some(5), "/contents/1/email", "hsds.format")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(
            Some(7),
            "/contents/2/organization",
            "hsds.organization_missing"
        )),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(
            Some(9),
            "/contents/3/maximum_age",
            "validation.resource.ages"
        )),
        "{seen:?}"
    );
    assert!(problems.iter().all(|p| p.file == "red.json"));
    // Not JSON at all: its line.
    let p = read_json("x.json", "{\n  \"contents\": [\n    {,\n").expect_err("rejected");
    assert_eq!((p[0].code, p[0].line), ("hsds.json", Some(3)));
}

#[test]
fn a_bad_tabular_file_is_reported_by_file_line_and_column() {
    let zip = write_tabular(&catalogue()).expect("zip");
    // Break a copy: a service of an unknown organisation, a phone without a number, a
    // bad age, an attribute of a term that is not there.
    let mut files: Vec<(String, String)> = Vec::new();
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    for i in 0..a.len() {
        let mut f = a.by_index(i).expect("entry");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).expect("text");
        files.push((f.name().expect("name").to_string(), s));
    }
    let edit = |files: &mut Vec<(String, String)>, name: &str, from: &str, to: &str| {
        let f = files.iter_mut().find(|(n, _)| n == name).expect(name);
        assert!(f.1.contains(from), "{name}: {from}");
        f.1 = f.1.replacen(from, to, 1);
    };
    edit(&mut files, "services.csv", ",18,64,", ",dieciocho,64,");
    edit(
        &mut files,
        "services.csv",
        "00000000-0000-0000-0000-0000000000a1",
        "00000000-0000-0000-0000-0000000000ff",
    );
    edit(&mut files, "phones.csv", "+34 924 000 000", "");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, s) in &files {
        w.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, s.as_bytes()).expect("write");
    }
    let bytes = w.finish().expect("finish").into_inner();
    let problems = read_tabular("red.zip", &bytes).expect_err("rejected");
    let seen: Vec<(&str, Option<usize>, &str, &str)> = problems
        .iter()
        .map(|p| (p.file.as_str(), p.line, p.field.as_str(), p.code))
        .collect();
    assert!(
        seen.contains(&("services.csv", Some(2), "minimum_age", "hsds.type")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("phones.csv", Some(2), "number", "hsds.required")),
        "{seen:?}"
    );
    // A missing table.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("services.csv", zip::write::SimpleFileOptions::default())
        .expect("start");
    let bytes = w.finish().expect("finish").into_inner();
    let p = read_tabular("poco.zip", &bytes).expect_err("rejected");
    assert_eq!(
        (p[0].file.as_str(), p[0].code),
        ("organizations.csv", "hsds.missing_table")
    );
    // Not a ZIP.
    assert_eq!(
        read_tabular("x.zip", b"id,name").expect_err("rejected")[0].code,
        "hsds.zip"
    );
}

#[test]
fn an_unknown_organisation_is_a_reference_problem() {
    let zip = write_tabular(&catalogue()).expect("zip");
    let mut files: Vec<(String, String)> = Vec::new();
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    for i in 0..a.len() {
        let mut f = a.by_index(i).expect("entry");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).expect("text");
        files.push((f.name().expect("name").to_string(), s));
    }
    if let Some(f) = files.iter_mut().find(|(n, _)| n == "services.csv") {
        f.1 = f.1.replacen(
            ",00000000-0000-0000-0000-0000000000a1,",
            ",00000000-0000-0000-0000-0000000000ff,",
            1,
        );
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, s) in &files {
        w.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, s.as_bytes()).expect("write");
    }
    let bytes = w.finish().expect("finish").into_inner();
    let p = read_tabular("r.zip", &bytes).expect_err("rejected");
    assert!(
        p.iter().any(|p| p.file == "services.csv"
            && p.line == Some(2)
            && p.field == "organization_id"
            && p.code == "hsds.reference"),
        "{p:?}"
    );
}
