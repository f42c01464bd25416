//! The published HSDS 3.0 JSON Schema files, embedded, and validators built from them:
//! one per object (a service with everything nested in it; one per table of the
//! tabular form). `$ref`s between the files resolve inside a registry; nothing is ever
//! fetched. Formats (uuid, uri, email, date-time) are checked.

use jsonschema::{Registry, Resource, Validator};
use serde_json::Value;

use crate::HsdsError;

const BASE: &str = "https://schema.itinera.invalid/hsds/3.0/";

/// Every file of the schema, by name.
pub const FILES: &[(&str, &str)] = &[
    ("service.json", include_str!("../schema/3.0/service.json")),
    (
        "organization.json",
        include_str!("../schema/3.0/organization.json"),
    ),
    ("location.json", include_str!("../schema/3.0/location.json")),
    (
        "service_at_location.json",
        include_str!("../schema/3.0/service_at_location.json"),
    ),
    ("phone.json", include_str!("../schema/3.0/phone.json")),
    ("schedule.json", include_str!("../schema/3.0/schedule.json")),
    (
        "service_area.json",
        include_str!("../schema/3.0/service_area.json"),
    ),
    ("language.json", include_str!("../schema/3.0/language.json")),
    (
        "cost_option.json",
        include_str!("../schema/3.0/cost_option.json"),
    ),
    ("contact.json", include_str!("../schema/3.0/contact.json")),
    (
        "attribute.json",
        include_str!("../schema/3.0/attribute.json"),
    ),
    (
        "taxonomy_term.json",
        include_str!("../schema/3.0/taxonomy_term.json"),
    ),
    ("taxonomy.json", include_str!("../schema/3.0/taxonomy.json")),
    ("address.json", include_str!("../schema/3.0/address.json")),
    ("funding.json", include_str!("../schema/3.0/funding.json")),
    ("program.json", include_str!("../schema/3.0/program.json")),
    (
        "required_document.json",
        include_str!("../schema/3.0/required_document.json"),
    ),
    (
        "accessibility.json",
        include_str!("../schema/3.0/accessibility.json"),
    ),
    ("metadata.json", include_str!("../schema/3.0/metadata.json")),
    (
        "organization_identifier.json",
        include_str!("../schema/3.0/organization_identifier.json"),
    ),
];

/// One object's schema document.
pub fn document(name: &str) -> Result<Value, HsdsError> {
    let text = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| HsdsError::Schema(format!("no schema file {name}")))?;
    serde_json::from_str(text).map_err(|e| HsdsError::Schema(format!("{name}: {e}")))
}

/// A validator for one object (`service.json`, `phone.json`, …), its references
/// resolved among the embedded files.
pub fn validator(name: &str) -> Result<Validator, HsdsError> {
    let mut resources = Vec::with_capacity(FILES.len());
    for (n, _) in FILES {
        resources.push((format!("{BASE}{n}"), Resource::from_contents(document(n)?)));
    }
    let registry = Registry::new()
        .extend(resources)
        .and_then(|r| r.prepare())
        .map_err(|e| HsdsError::Schema(e.to_string()))?;
    jsonschema::options()
        .with_registry(&registry)
        .with_base_uri(format!("{BASE}{name}"))
        .should_validate_formats(true)
        .build(&document(name)?)
        .map_err(|e| HsdsError::Schema(e.to_string()))
}

/// The columns a table of the tabular form must have a value in: the schema's
/// `required` and its `tabular_required`, as published.
pub fn required_columns(name: &str) -> Result<Vec<String>, HsdsError> {
    let d = document(name)?;
    let mut out = Vec::new();
    for key in ["required", "tabular_required"] {
        if let Some(a) = d.get(key).and_then(Value::as_array) {
            out.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    Ok(out)
}

/// The JSON type of a property of an object (`number`, `string`, `array`, …).
pub fn property_type(doc: &Value, property: &str) -> Option<String> {
    doc.get("properties")?
        .get(property)?
        .get("type")?
        .as_str()
        .map(str::to_string)
}
