//! Writing the catalogue: each resource as an HSDS service with its organization and
//! nested objects (ids derived from the service's), as a page (the JSON form) or
//! flattened into the specification's tables (the tabular form, CSV files in a ZIP).

use std::io::Write;

use serde_json::{json, Map, Value};

use crate::{
    derived, term_id, Catalogue, HsdsError, Organisation, Resource, CATEGORY_TAXONOMY,
    KIND_TAXONOMY, PLACES_TAXONOMY,
};

fn put(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

fn text(s: &Option<String>) -> Option<Value> {
    s.as_ref().map(|s| Value::String(s.clone()))
}

fn organisation(o: &Organisation) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(o.id));
    m.insert("name".into(), json!(o.name));
    m.insert("description".into(), json!(o.description));
    put(&mut m, "email", text(&o.email));
    put(&mut m, "website", text(&o.website));
    Value::Object(m)
}

fn attribute(service: uuid::Uuid, taxonomy: &str, code: &str, value: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(
        "id".into(),
        json!(derived(service, &format!("attribute:{taxonomy}:{code}"))),
    );
    m.insert("link_entity".into(), json!("service"));
    put(&mut m, "value", value.map(Value::String));
    m.insert(
        "taxonomy_term".into(),
        json!({
            "id": term_id(taxonomy, code),
            "code": code,
            "name": code,
            "description": format!("Itinera {taxonomy}: {code}"),
            "taxonomy": taxonomy,
        }),
    );
    Value::Object(m)
}

/// One resource as an HSDS service, its organization nested.
pub fn service(r: &Resource, org: &Organisation) -> Value {
    let d = &r.data;
    let id = r.id;
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("name".into(), json!(d.name));
    put(&mut m, "description", text(&d.description));
    put(&mut m, "url", text(&d.url));
    put(&mut m, "email", text(&d.email));
    m.insert("status".into(), json!(d.status.hsds()));
    put(&mut m, "application_process", text(&d.application_process));
    put(&mut m, "fees_description", text(&d.fees));
    put(&mut m, "eligibility_description", text(&d.eligibility));
    put(&mut m, "minimum_age", d.minimum_age.map(|a| json!(a)));
    put(&mut m, "maximum_age", d.maximum_age.map(|a| json!(a)));
    m.insert("organization".into(), organisation(org));
    if let Some(p) = &d.phone {
        m.insert(
            "phones".into(),
            json!([{"id": derived(id, "phone"), "number": p}]),
        );
    }
    if let Some(s) = &d.schedule {
        m.insert(
            "schedules".into(),
            json!([{"id": derived(id, "schedule"), "description": s}]),
        );
    }
    if !d.territory.is_empty() {
        let areas: Vec<Value> = d
            .territory
            .iter()
            .map(|t| json!({"id": derived(id, &format!("area:{t}")), "name": t}))
            .collect();
        m.insert("service_areas".into(), Value::Array(areas));
    }
    if !d.languages.is_empty() {
        let langs: Vec<Value> = d
            .languages
            .iter()
            .map(|c| json!({"id": derived(id, &format!("language:{c}")), "code": c}))
            .collect();
        m.insert("languages".into(), Value::Array(langs));
    }
    if d.address.is_some() {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        m.insert(
            "service_at_locations".into(),
            json!([{
                "id": derived(id, "service_at_location"),
                "location": {
                    "id": derived(id, "location"),
                    "location_type": "physical",
                    "addresses": [{
                        "id": derived(id, "address"),
                        "address_1": s(&d.address),
                        "city": s(&d.city),
                        "state_province": s(&d.province),
                        "postal_code": s(&d.postal_code),
                        "country": s(&d.country),
                        "address_type": "physical",
                    }],
                },
            }]),
        );
    }
    if let Some(c) = d.cost_cents {
        m.insert(
            "cost_options".into(),
            json!([{"id": derived(id, "cost"), "amount": amount(c), "currency": "EUR"}]),
        );
    }
    let mut attrs = vec![
        attribute(id, KIND_TAXONOMY, d.kind.code(), None),
        attribute(id, CATEGORY_TAXONOMY, d.category.code(), None),
    ];
    if let Some(c) = d.capacity {
        attrs.push(attribute(
            id,
            PLACES_TAXONOMY,
            "capacity",
            Some(c.to_string()),
        ));
    }
    if let Some(p) = d.places_available {
        attrs.push(attribute(
            id,
            PLACES_TAXONOMY,
            "places_available",
            Some(p.to_string()),
        ));
    }
    m.insert("attributes".into(), Value::Array(attrs));
    Value::Object(m)
}

/// Cents as a JSON number of euros (whole euros as an integer).
fn amount(cents: i64) -> Value {
    if cents % 100 == 0 {
        json!(cents / 100)
    } else {
        json!((cents as f64) / 100.0)
    }
}

fn services(c: &Catalogue) -> Vec<Value> {
    let mut rs: Vec<&Resource> = c.resources.iter().collect();
    rs.sort_by_key(|r| r.id);
    rs.into_iter()
        .filter_map(|r| {
            c.organisations
                .iter()
                .find(|o| o.id == r.organisation_id)
                .map(|o| service(r, o))
        })
        .collect()
}

/// The JSON form: one page holding every service, as HSDS's `/services` answers.
pub fn write_json(c: &Catalogue) -> Value {
    let contents = services(c);
    let n = contents.len();
    json!({
        "total_items": n,
        "total_pages": 1,
        "page_number": 1,
        "size": n,
        "first_page": true,
        "last_page": true,
        "empty": n == 0,
        "contents": contents,
    })
}

/// The tables written, with the specification's columns in its order.
const TABLES: &[(&str, &[&str])] = &[
    (
        "organizations.csv",
        &[
            "id",
            "name",
            "alternate_name",
            "description",
            "email",
            "website",
            "tax_status",
            "tax_id",
            "year_incorporated",
            "legal_status",
            "logo",
            "uri",
            "parent_organization_id",
        ],
    ),
    (
        "services.csv",
        &[
            "id",
            "organization_id",
            "program_id",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "interpretation_services",
            "application_process",
            "fees_description",
            "wait_time",
            "fees",
            "accreditations",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "assured_date",
            "assurer_email",
            "licenses",
            "alert",
            "last_modified",
        ],
    ),
    (
        "phones.csv",
        &[
            "id",
            "location_id",
            "service_id",
            "organization_id",
            "contact_id",
            "service_at_location_id",
            "number",
            "extension",
            "type",
            "description",
        ],
    ),
    (
        "schedules.csv",
        &[
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "valid_from",
            "valid_to",
            "dtstart",
            "timezone",
            "until",
            "count",
            "wkst",
            "freq",
            "interval",
            "byday",
            "byweekno",
            "bymonthday",
            "byyearday",
            "description",
            "opens_at",
            "closes_at",
            "schedule_link",
            "attending_type",
            "notes",
        ],
    ),
    (
        "service_areas.csv",
        &[
            "id",
            "service_id",
            "name",
            "description",
            "extent",
            "extent_type",
            "uri",
        ],
    ),
    (
        "languages.csv",
        &[
            "id",
            "service_id",
            "location_id",
            "phone_id",
            "name",
            "code",
            "note",
        ],
    ),
    (
        "locations.csv",
        &[
            "id",
            "location_type",
            "url",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
            "external_identifier",
            "external_identifier_type",
        ],
    ),
    (
        "addresses.csv",
        &[
            "id",
            "location_id",
            "attention",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ],
    ),
    (
        "service_at_location.csv",
        &["id", "service_id", "location_id", "description"],
    ),
    (
        "cost_options.csv",
        &[
            "id",
            "service_id",
            "valid_from",
            "valid_to",
            "option",
            "currency",
            "amount",
            "amount_description",
        ],
    ),
    (
        "taxonomy_terms.csv",
        &[
            "id",
            "code",
            "name",
            "description",
            "parent_id",
            "taxonomy",
            "language",
            "taxonomy_id",
            "term_uri",
        ],
    ),
    (
        "attributes.csv",
        &[
            "id",
            "link_id",
            "taxonomy_term_id",
            "link_type",
            "link_entity",
            "value",
        ],
    ),
];

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        // Opened in a spreadsheet, a text must not run as a formula.
        Some(Value::String(s)) => itinera_tabular::write::defuse(s).into_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

/// Flattens the services into the tables' rows (objects keyed by column).
fn flatten(services: &[Value]) -> Vec<(&'static str, Vec<Map<String, Value>>)> {
    let mut out: Vec<(&'static str, Vec<Map<String, Value>>)> =
        TABLES.iter().map(|(n, _)| (*n, Vec::new())).collect();
    let mut push = |table: &str, row: Map<String, Value>| {
        if let Some((_, rows)) = out.iter_mut().find(|(n, _)| *n == table) {
            let id = row.get("id").cloned();
            if !rows.iter().any(|r| r.get("id") == id.as_ref()) {
                rows.push(row);
            }
        }
    };
    let obj = |v: &Value| v.as_object().cloned().unwrap_or_default();
    let items = |v: &Value, key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for s in services {
        let sid = s.get("id").cloned().unwrap_or(Value::Null);
        if let Some(o) = s.get("organization") {
            push("organizations.csv", obj(o));
        }
        let mut row = obj(s);
        row.insert(
            "organization_id".into(),
            s.get("organization")
                .and_then(|o| o.get("id"))
                .cloned()
                .unwrap_or(Value::Null),
        );
        push("services.csv", row);
        for (key, table) in [
            ("phones", "phones.csv"),
            ("schedules", "schedules.csv"),
            ("service_areas", "service_areas.csv"),
            ("languages", "languages.csv"),
            ("cost_options", "cost_options.csv"),
        ] {
            for item in items(s, key) {
                let mut r = obj(&item);
                r.insert("service_id".into(), sid.clone());
                push(table, r);
            }
        }
        for sal in items(s, "service_at_locations") {
            let location = sal.get("location").cloned().unwrap_or(Value::Null);
            let lid = location.get("id").cloned().unwrap_or(Value::Null);
            let mut r = obj(&sal);
            r.insert("service_id".into(), sid.clone());
            r.insert("location_id".into(), lid.clone());
            push("service_at_location.csv", r);
            push("locations.csv", obj(&location));
            for a in items(&location, "addresses") {
                let mut r = obj(&a);
                r.insert("location_id".into(), lid.clone());
                push("addresses.csv", r);
            }
        }
        for a in items(s, "attributes") {
            let term = a.get("taxonomy_term").cloned().unwrap_or(Value::Null);
            push("taxonomy_terms.csv", obj(&term));
            let mut r = obj(&a);
            r.insert("link_id".into(), sid.clone());
            r.insert(
                "taxonomy_term_id".into(),
                term.get("id").cloned().unwrap_or(Value::Null),
            );
            push("attributes.csv", r);
        }
    }
    out
}

/// The tabular form: the specification's CSV files (comma-separated, UTF-8, a header
/// line), in a ZIP.
pub fn write_tabular(c: &Catalogue) -> Result<Vec<u8>, HsdsError> {
    let e = |x: &dyn std::fmt::Display| HsdsError::Write(x.to_string());
    let tables = flatten(&services(c));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, columns) in TABLES {
        let rows = tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default();
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(columns.iter()).map_err(|x| e(&x))?;
        for r in rows {
            w.write_record(columns.iter().map(|c| cell(r.get(*c))))
                .map_err(|x| e(&x))?;
        }
        let bytes = w.into_inner().map_err(|x| e(&x))?;
        zip.start_file(*name, options).map_err(|x| e(&x))?;
        zip.write_all(&bytes).map_err(|x| e(&x))?;
    }
    Ok(zip.finish().map_err(|x| e(&x))?.into_inner())
}
