//! Every API answer the tests receive is checked against the generated OpenAPI document:
//! its status must be documented for the operation, and a JSON body must validate
//! against the documented schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
//! `helpers::TestApp` calls `check` on every request it sends to `/api/v1`, so the
//! whole suite, on both engines, is a conformance test of the document.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};

struct Spec {
    doc: Value,
    /// (path template, its segments), the literal ones first.
    templates: Vec<(String, Vec<String>)>,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc = serde_json::to_value(itinera_web::api::document()).expect("document as JSON");
        let mut templates: Vec<(String, Vec<String>)> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(|p| {
                (
                    p.clone(),
                    p.trim_start_matches('/')
                        .split('/')
                        .map(String::from)
                        .collect(),
                )
            })
            .collect();
        // A literal segment wins over a parameter: `/participants/search` before
        // `/participants/{id}`.
        templates.sort_by_key(|(p, _)| p.matches('{').count());
        Spec {
            doc,
            templates,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

fn matches(template: &[String], path: &[&str]) -> bool {
    template.len() == path.len()
        && template.iter().zip(path).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                return true;
            }
            // `/meetings/{id}/minutes.txt`, `/bodies/{id}/report.csv`.
            t == p
        })
}

/// The operation documented for a method and a concrete path under `/api/v1`.
fn operation(method: &str, path: &str) -> Option<(String, &'static Value)> {
    let s = spec();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    s.templates
        .iter()
        .filter(|(_, t)| matches(t, &segments))
        .find_map(|(p, _)| {
            s.doc["paths"][p]
                .get(method.to_lowercase())
                .map(|op| (format!("{} {p}", method.to_uppercase()), op))
        })
}

fn validator(key: &str, schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
    let s = spec();
    if let Some(v) = s
        .validators
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(key)
    {
        return v.clone();
    }
    // References (`#/components/schemas/…`) resolve against this root.
    let root = json!({
        "components": s.doc["components"].clone(),
        "allOf": [schema],
    });
    let v = std::sync::Arc::new(
        jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("the schema of {key} does not compile: {e}")),
    );
    s.validators
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.to_string(), v.clone());
    v
}

/// Checks one answer; panics, naming the operation, when it does not conform.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    let Some((name, op)) = operation(method, path) else {
        // Not an operation of the document (a test of an unknown address or method).
        return;
    };
    let responses = &op["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| {
            panic!(
                "{name} answered {status}, which its documentation does not list ({:?}): {body}",
                responses
                    .as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>())
            )
        });
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let Some(content) = response.get("content") else {
        return;
    };
    let documented = content.get(&media).unwrap_or_else(|| {
        panic!(
            "{name} {status} answered {media}, documented: {:?}",
            content
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
        )
    });
    if !media.ends_with("json") {
        return;
    }
    let Some(schema) = documented.get("schema") else {
        return;
    };
    let value: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{name} {status}: the body is not JSON ({e}): {body}"));
    let v = validator(&format!("{name} {status} {media}"), schema);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} {status} does not conform to its schema:\n  {}\nbody: {}",
        errors.join("\n  "),
        body.chars().take(2000).collect::<String>()
    );
}

#[test]
fn every_operation_is_documented_with_a_summary_and_a_tag() {
    let doc = &spec().doc;
    let mut n = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            n += 1;
            assert!(
                op.get("summary")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            assert!(
                op["responses"].get("401").is_some() || path == "/openapi.json",
                "{method} {path} does not document 401"
            );
        }
    }
    assert!(n >= 108, "{n} operations");
    // Every schema the operations reference exists.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
}

#[test]
#[should_panic(expected = "does not conform to its schema")]
fn a_body_that_breaks_its_schema_is_caught() {
    let id = uuid::Uuid::new_v4();
    check(
        "GET",
        &format!("/participants/{id}"),
        200,
        "application/json",
        r#"{"participant": {"id": "not a uuid"}}"#,
    );
}

#[test]
#[should_panic(expected = "does not list")]
fn an_undocumented_status_is_caught() {
    check("GET", "/tasks", 409, "application/problem+json", "{}");
}

#[test]
fn a_problem_document_conforms() {
    check(
        "GET",
        &format!("/participants/{}", uuid::Uuid::new_v4()),
        404,
        "application/problem+json",
        r#"{"type": "urn:itinera:problem:error.not_found", "title": "No existe o no tiene acceso.", "status": 404, "instance": "urn:itinera:request:x"}"#,
    );
}
