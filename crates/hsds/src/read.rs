//! Reading a catalogue: the JSON form (a page of services, a list of them, or one) and
//! the tabular form (the specification's CSV files in a ZIP). Both end in the same
//! mapping of an HSDS service (nested, as the JSON form has it) onto Itinera's
//! `ResourceInput`, checked by the same rules as the form; each problem is traced back
//! to its file, line and field.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use itinera_domain::resource::{Provider, ResourceInput};
use itinera_domain::Error;
use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::locate::line_of;
use crate::schema::{self, property_type, required_columns};
use crate::{
    Catalogue, Organisation, Problem, Resource, CATEGORY_TAXONOMY, KIND_TAXONOMY, MAX_PROBLEMS,
    PLACES_TAXONOMY,
};

/// Most bytes a table may hold once unzipped, and the whole file.
const MAX_TABLE_BYTES: u64 = 20 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 60 * 1024 * 1024;
const MAX_ENTRIES: usize = 200;

/// Where a pointer (relative to one service) is in the file: file, line, field.
type Origin<'a> = dyn Fn(&str) -> (String, Option<usize>, String) + 'a;

fn problem(
    file: &str,
    line: Option<usize>,
    field: &str,
    code: &'static str,
    detail: String,
) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        field: field.to_string(),
        code,
        detail,
    }
}

fn schema_problem(file: &str, e: impl std::fmt::Display) -> Vec<Problem> {
    vec![problem(
        file,
        None,
        "",
        "hsds.schema_unavailable",
        e.to_string(),
    )]
}

/// The translation key of a schema finding.
fn kind_code(kind: &ValidationErrorKind) -> &'static str {
    match kind {
        ValidationErrorKind::Required { .. } => "hsds.required",
        ValidationErrorKind::Type { .. } => "hsds.type",
        ValidationErrorKind::Format { .. } => "hsds.format",
        ValidationErrorKind::Enum { .. } => "hsds.enum",
        _ => "hsds.invalid",
    }
}

/// The schema's findings on one object: (pointer inside it, code, the validator's words).
fn findings(v: &Validator, item: &Value) -> Vec<(String, &'static str, String)> {
    v.iter_errors(item)
        .map(|e| {
            let mut at = e.instance_path().to_string();
            if let ValidationErrorKind::Required { property } = e.kind() {
                if let Some(p) = property.as_str() {
                    at = format!("{at}/{p}");
                }
            }
            (at, kind_code(e.kind()), e.to_string())
        })
        .collect()
}

// ---- The JSON form ----------------------------------------------------------------

/// Reads the JSON form: a page (`contents`), a list of services or one service.
pub fn read_json(file: &str, text: &str) -> Result<Catalogue, Vec<Problem>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![problem(
            file,
            Some(e.line()),
            "",
            "hsds.json",
            e.to_string(),
        )]
    })?;
    let (prefix, items): (&str, Vec<Value>) = match &doc {
        Value::Object(m) if m.get("contents").is_some_and(Value::is_array) => (
            "/contents",
            m.get("contents")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        ),
        Value::Array(a) => ("", a.clone()),
        Value::Object(m) if m.contains_key("id") && m.contains_key("name") => {
            return finish(vec![one(file, text, "", &doc)?]);
        }
        _ => {
            return Err(vec![problem(
                file,
                Some(1),
                "",
                "hsds.shape",
                String::new(),
            )])
        }
    };
    let validator = schema::validator("service.json").map_err(|e| schema_problem(file, e))?;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{prefix}/{i}");
        let f = findings(&validator, item);
        if !f.is_empty() {
            for (ptr, code, detail) in f {
                let full = format!("{at}{ptr}");
                problems.push(problem(
                    file,
                    Some(line_of(text, &full)),
                    &full,
                    code,
                    detail,
                ));
            }
            continue;
        }
        match one(file, text, &at, item) {
            Ok(x) => found.push(x),
            Err(p) => problems.extend(p),
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    finish(found)
}

fn one(file: &str, text: &str, at: &str, item: &Value) -> Result<Found, Vec<Problem>> {
    let origin = |ptr: &str| {
        let full = format!("{at}{ptr}");
        (file.to_string(), Some(line_of(text, &full)), full)
    };
    map_service(item, &origin)
}

// ---- The tabular form -------------------------------------------------------------

/// The tables read, with the schema file of their rows.
const TABLES: &[(&str, &str)] = &[
    ("organizations.csv", "organization.json"),
    ("services.csv", "service.json"),
    ("phones.csv", "phone.json"),
    ("schedules.csv", "schedule.json"),
    ("service_areas.csv", "service_area.json"),
    ("languages.csv", "language.json"),
    ("locations.csv", "location.json"),
    ("addresses.csv", "address.json"),
    ("service_at_location.csv", "service_at_location.json"),
    ("cost_options.csv", "cost_option.json"),
    ("taxonomy_terms.csv", "taxonomy_term.json"),
    ("attributes.csv", "attribute.json"),
];

/// One row of a table: its line and its values, typed as its schema says.
#[derive(Clone)]
struct Row {
    line: usize,
    values: Map<String, Value>,
}

fn entries(file: &str, bytes: &[u8]) -> Result<HashMap<String, Vec<u8>>, Vec<Problem>> {
    let bad = |detail: String| vec![problem(file, None, "", "hsds.zip", detail)];
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(format!("{} entries", zip.len())));
    }
    let mut out = HashMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| bad(e.to_string()))?
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let name = if name == "service_at_locations.csv" {
            "service_at_location.csv".to_string()
        } else {
            name
        };
        if !TABLES.iter().any(|(t, _)| *t == name) {
            continue;
        }
        let mut buf = Vec::new();
        (&mut entry)
            .take(MAX_TABLE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| bad(e.to_string()))?;
        total += buf.len() as u64;
        if buf.len() as u64 > MAX_TABLE_BYTES || total > MAX_TOTAL_BYTES {
            return Err(vec![problem(
                &name,
                None,
                "",
                "hsds.too_big",
                String::new(),
            )]);
        }
        out.insert(name, buf);
    }
    Ok(out)
}

/// Reads one table: each row typed and checked against its schema.
fn table(name: &str, schema_file: &str, bytes: &[u8], problems: &mut Vec<Problem>) -> Vec<Row> {
    let sheet = match itinera_tabular::read(bytes) {
        Ok(s) => s,
        Err(e) => {
            problems.push(problem(name, e.line(), "", e.code(), e.to_string()));
            return Vec::new();
        }
    };
    let (doc, validator, required) = match (
        schema::document(schema_file),
        schema::validator(schema_file),
        required_columns(schema_file),
    ) {
        (Ok(d), Ok(v), Ok(r)) => (d, v, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            problems.extend(schema_problem(name, e));
            return Vec::new();
        }
    };
    let mut rows = Vec::with_capacity(sheet.rows.len());
    for r in sheet.rows {
        let mut values = Map::new();
        let mut ok = true;
        for (column, cell) in sheet.header.iter().zip(r.cells.iter()) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match property_type(&doc, column).as_deref() {
                Some("number") | Some("integer") => match cell.parse::<f64>() {
                    Ok(n) if n.is_finite() => {
                        let v = if n.fract() == 0.0 && n.abs() < 1e15 {
                            Value::from(n as i64)
                        } else {
                            Value::from(n)
                        };
                        values.insert(column.clone(), v);
                    }
                    _ => {
                        ok = false;
                        problems.push(problem(
                            name,
                            Some(r.line),
                            column,
                            "hsds.type",
                            format!("\"{cell}\" is not a number"),
                        ));
                    }
                },
                Some("string") => {
                    values.insert(column.clone(), Value::String(cell.to_string()));
                }
                // Columns the specification does not have for this table are extensions.
                _ => {}
            }
        }
        for c in &required {
            if !values.contains_key(c) {
                ok = false;
                problems.push(problem(
                    name,
                    Some(r.line),
                    c,
                    "hsds.required",
                    format!("\"{c}\" is a required property"),
                ));
            }
        }
        let obj = Value::Object(values.clone());
        for (ptr, code, detail) in findings(&validator, &obj) {
            let column = ptr.trim_start_matches('/');
            if code == "hsds.required" && required.iter().any(|c| c == column) {
                continue; // told above
            }
            ok = false;
            problems.push(problem(name, Some(r.line), column, code, detail));
        }
        if ok {
            rows.push(Row {
                line: r.line,
                values,
            });
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    rows
}

fn id_of(r: &Row, key: &str) -> Option<String> {
    r.values
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Reads the tabular form: the specification's CSV files in a ZIP (`services.csv` and
/// `organizations.csv` at least).
pub fn read_tabular(file: &str, bytes: &[u8]) -> Result<Catalogue, Vec<Problem>> {
    let files = entries(file, bytes)?;
    let mut problems = Vec::new();
    for needed in ["organizations.csv", "services.csv"] {
        if !files.contains_key(needed) {
            problems.push(problem(
                needed,
                None,
                "",
                "hsds.missing_table",
                String::new(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut tables: HashMap<&str, Vec<Row>> = HashMap::new();
    for (name, schema_file) in TABLES {
        if let Some(b) = files.get(*name) {
            tables.insert(name, table(name, schema_file, b, &mut problems));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let rows = |t: &str| tables.get(t).cloned().unwrap_or_default();
    let by_id = |t: &str| -> HashMap<String, Row> {
        rows(t)
            .into_iter()
            .filter_map(|r| id_of(&r, "id").map(|id| (id, r)))
            .collect()
    };
    let orgs = by_id("organizations.csv");
    let locations = by_id("locations.csv");
    let terms = by_id("taxonomy_terms.csv");
    let services = rows("services.csv");
    let service_ids: Vec<String> = services.iter().filter_map(|r| id_of(r, "id")).collect();
    // Children by the service they belong to; a reference to nothing is a problem.
    let mut children: HashMap<(&str, String), Vec<Row>> = HashMap::new();
    let mut refer =
        |t: &'static str, key: &str, known: &dyn Fn(&str) -> bool, problems: &mut Vec<Problem>| {
            for r in rows(t) {
                match id_of(&r, key) {
                    Some(id) if known(&id) => children.entry((t, id)).or_default().push(r),
                    Some(_) => problems.push(problem(
                        t,
                        Some(r.line),
                        key,
                        "hsds.reference",
                        String::new(),
                    )),
                    None => {}
                }
            }
        };
    let is_service = |id: &str| service_ids.iter().any(|s| s == id);
    for t in [
        "phones.csv",
        "schedules.csv",
        "service_areas.csv",
        "languages.csv",
        "cost_options.csv",
        "service_at_location.csv",
    ] {
        refer(t, "service_id", &is_service, &mut problems);
    }
    refer(
        "attributes.csv",
        "link_id",
        &|id: &str| is_service(id) || orgs.contains_key(id) || locations.contains_key(id),
        &mut problems,
    );
    refer(
        "addresses.csv",
        "location_id",
        &|id: &str| locations.contains_key(id),
        &mut problems,
    );
    for r in rows("service_at_location.csv") {
        if id_of(&r, "location_id").is_some_and(|l| !locations.contains_key(&l)) {
            problems.push(problem(
                "service_at_location.csv",
                Some(r.line),
                "location_id",
                "hsds.reference",
                String::new(),
            ));
        }
    }
    for r in rows("attributes.csv") {
        if id_of(&r, "taxonomy_term_id").is_some_and(|t| !terms.contains_key(&t)) {
            problems.push(problem(
                "attributes.csv",
                Some(r.line),
                "taxonomy_term_id",
                "hsds.reference",
                String::new(),
            ));
        }
    }
    let mut found = Vec::new();
    for s in &services {
        let Some(sid) = id_of(s, "id") else { continue };
        let Some(org) = id_of(s, "organization_id").and_then(|o| orgs.get(&o).cloned()) else {
            problems.push(problem(
                "services.csv",
                Some(s.line),
                "organization_id",
                "hsds.reference",
                String::new(),
            ));
            continue;
        };
        // The service, nested as the JSON form has it, and where each part came from.
        let mut place: BTreeMap<String, (&'static str, usize)> = BTreeMap::new();
        let mut svc = s.values.clone();
        place.insert(String::new(), ("services.csv", s.line));
        svc.insert("organization".into(), Value::Object(org.values.clone()));
        place.insert("/organization".into(), ("organizations.csv", org.line));
        let kids = |t: &'static str| children.get(&(t, sid.clone())).cloned().unwrap_or_default();
        for (key, t) in [
            ("phones", "phones.csv"),
            ("schedules", "schedules.csv"),
            ("service_areas", "service_areas.csv"),
            ("languages", "languages.csv"),
            ("cost_options", "cost_options.csv"),
        ] {
            let list = kids(t);
            for (i, r) in list.iter().enumerate() {
                place.insert(format!("/{key}/{i}"), (t, r.line));
            }
            svc.insert(
                key.into(),
                Value::Array(list.into_iter().map(|r| Value::Object(r.values)).collect()),
            );
        }
        let mut sals = Vec::new();
        for (i, r) in kids("service_at_location.csv").into_iter().enumerate() {
            place.insert(
                format!("/service_at_locations/{i}"),
                ("service_at_location.csv", r.line),
            );
            let mut sal = r.values.clone();
            if let Some(loc) = id_of(&r, "location_id").and_then(|l| locations.get(&l).cloned()) {
                place.insert(
                    format!("/service_at_locations/{i}/location"),
                    ("locations.csv", loc.line),
                );
                let mut l = loc.values.clone();
                let lid = id_of(&loc, "id").unwrap_or_default();
                let addrs = children
                    .get(&("addresses.csv", lid))
                    .cloned()
                    .unwrap_or_default();
                for (k, a) in addrs.iter().enumerate() {
                    place.insert(
                        format!("/service_at_locations/{i}/location/addresses/{k}"),
                        ("addresses.csv", a.line),
                    );
                }
                l.insert(
                    "addresses".into(),
                    Value::Array(addrs.into_iter().map(|a| Value::Object(a.values)).collect()),
                );
                sal.insert("location".into(), Value::Object(l));
            }
            sals.push(Value::Object(sal));
        }
        svc.insert("service_at_locations".into(), Value::Array(sals));
        let mut attrs = Vec::new();
        for (i, r) in kids("attributes.csv").into_iter().enumerate() {
            place.insert(format!("/attributes/{i}"), ("attributes.csv", r.line));
            let mut a = r.values.clone();
            if let Some(t) = id_of(&r, "taxonomy_term_id").and_then(|t| terms.get(&t).cloned()) {
                a.insert("taxonomy_term".into(), Value::Object(t.values));
            }
            attrs.push(Value::Object(a));
        }
        svc.insert("attributes".into(), Value::Array(attrs));
        let origin = |ptr: &str| {
            let (t, line) = place
                .iter()
                .rev()
                .find(|(k, _)| ptr == k.as_str() || ptr.starts_with(&format!("{k}/")))
                .map(|(_, v)| *v)
                .unwrap_or(("services.csv", s.line));
            let column = ptr.rsplit('/').next().unwrap_or_default().to_string();
            (t.to_string(), Some(line), column)
        };
        match map_service(&Value::Object(svc), &origin) {
            Ok(f) => found.push(f),
            Err(p) => problems.extend(p),
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    let _ = file;
    if !problems.is_empty() {
        return Err(problems);
    }
    finish(found)
}

// ---- One service onto Itinera's resource -------------------------------------------

struct Found {
    resource: Resource,
    organisation: Organisation,
    /// Where the service is, for a duplicate id.
    at: (String, Option<usize>, String),
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        _ => String::new(),
    }
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Maps one service (nested) onto a resource, checked by Itinera's rules; problems
/// point where `origin` says each part is.
fn map_service(s: &Value, origin: &Origin<'_>) -> Result<Found, Vec<Problem>> {
    let at = origin("");
    let here = |ptr: &str, code: &'static str, detail: String| {
        let (file, line, field) = origin(ptr);
        vec![problem(&file, line, &field, code, detail)]
    };
    let id =
        Uuid::parse_str(&text(s, "id")).map_err(|e| here("/id", "hsds.format", e.to_string()))?;
    let Some(org) = s.get("organization").filter(|o| o.is_object()) else {
        return Err(here(
            "/organization",
            "hsds.organization_missing",
            String::new(),
        ));
    };
    let org_id = Uuid::parse_str(&text(org, "id"))
        .map_err(|e| here("/organization/id", "hsds.format", e.to_string()))?;
    let mut fields: HashMap<&'static str, String> = HashMap::new();
    let mut input = ResourceInput {
        organisation_name: text(org, "name"),
        name: text(s, "name"),
        description: text(s, "description"),
        url: text(s, "url"),
        email: text(s, "email"),
        status: text(s, "status"),
        application_process: text(s, "application_process"),
        fees: text(s, "fees_description"),
        eligibility: text(s, "eligibility_description"),
        minimum_age: text(s, "minimum_age"),
        maximum_age: text(s, "maximum_age"),
        kind: "service".into(),
        category: "other".into(),
        ..Default::default()
    };
    fields.insert("organisation_name", "/organization/name".into());
    fields.insert("fees", "/fees_description".into());
    fields.insert("eligibility", "/eligibility_description".into());
    if let Some(p) = list(s, "phones").first() {
        input.phone = text(p, "number");
        fields.insert("phone", "/phones/0/number".into());
    }
    if let Some(sc) = list(s, "schedules").first() {
        input.schedule = match text(sc, "description") {
            d if !d.is_empty() => d,
            _ => [
                text(sc, "byday"),
                text(sc, "opens_at"),
                text(sc, "closes_at"),
            ]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        };
        fields.insert("schedule", "/schedules/0/description".into());
    }
    input.territory = list(s, "service_areas")
        .iter()
        .map(|a| match text(a, "name") {
            n if n.is_empty() => text(a, "description"),
            n => n,
        })
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    fields.insert("territory", "/service_areas".into());
    input.languages = list(s, "languages")
        .iter()
        .map(|l| match text(l, "code") {
            c if c.is_empty() => text(l, "name"),
            c => c,
        })
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    fields.insert("languages", "/languages".into());
    if let Some(l) = list(s, "service_at_locations")
        .first()
        .and_then(|sal| sal.get("location"))
    {
        if let Some(a) = list(l, "addresses").first() {
            input.address = text(a, "address_1");
            input.city = text(a, "city");
            input.postal_code = text(a, "postal_code");
            input.province = text(a, "state_province");
            input.country = text(a, "country");
            let base = "/service_at_locations/0/location/addresses/0";
            fields.insert("province", format!("{base}/state_province"));
            fields.insert("country", format!("{base}/country"));
            fields.insert("address", format!("{base}/address_1"));
            fields.insert("city", format!("{base}/city"));
            fields.insert("postal_code", format!("{base}/postal_code"));
        }
    }
    if let Some(c) = list(s, "cost_options").first() {
        let currency = text(c, "currency");
        if currency.is_empty() || currency.eq_ignore_ascii_case("EUR") {
            input.cost = text(c, "amount");
            fields.insert("cost", "/cost_options/0/amount".into());
        }
    }
    for (i, a) in list(s, "attributes").iter().enumerate() {
        let Some(term) = a.get("taxonomy_term") else {
            continue;
        };
        let (taxonomy, code) = (text(term, "taxonomy"), text(term, "code"));
        let ptr = format!("/attributes/{i}");
        match (taxonomy.as_str(), code.as_str()) {
            (KIND_TAXONOMY, _) => {
                input.kind = code.clone();
                fields.insert("kind", ptr);
            }
            (CATEGORY_TAXONOMY, _) => {
                input.category = code.clone();
                fields.insert("category", ptr);
            }
            (PLACES_TAXONOMY, "capacity") => {
                input.capacity = text(a, "value");
                fields.insert("capacity", format!("{ptr}/value"));
            }
            (PLACES_TAXONOMY, "places_available") => {
                input.places_available = text(a, "value");
                fields.insert("places_available", format!("{ptr}/value"));
            }
            _ => {}
        }
    }
    let data = input.validate().map_err(|e| match e {
        Error::Invalid(list) => list
            .into_iter()
            .flat_map(|f| {
                let ptr = fields
                    .get(f.field.as_str())
                    .cloned()
                    .unwrap_or_else(|| format!("/{}", f.field));
                here(&ptr, f.code, String::new())
            })
            .collect(),
        other => here("", "hsds.invalid", other.to_string()),
    })?;
    let organisation = Organisation {
        id: org_id,
        name: text(org, "name"),
        description: text(org, "description"),
        email: Some(text(org, "email")).filter(|x| !x.is_empty()),
        website: Some(text(org, "website")).filter(|x| !x.is_empty()),
    };
    debug_assert!(matches!(data.provider, Provider::Named(_)));
    Ok(Found {
        resource: Resource {
            id,
            organisation_id: org_id,
            data,
        },
        organisation,
        at,
    })
}

/// Gathers the services; two with one id are a problem.
fn finish(found: Vec<Found>) -> Result<Catalogue, Vec<Problem>> {
    let mut c = Catalogue::default();
    let mut problems = Vec::new();
    for f in found {
        if c.resources.iter().any(|r| r.id == f.resource.id) {
            let (file, line, field) = f.at;
            problems.push(problem(
                &file,
                line,
                &field,
                "hsds.duplicate",
                f.resource.id.to_string(),
            ));
            continue;
        }
        if !c.organisations.iter().any(|o| o.id == f.organisation.id) {
            c.organisations.push(f.organisation);
        }
        c.resources.push(f.resource);
    }
    if problems.is_empty() {
        Ok(c)
    } else {
        Err(problems)
    }
}
