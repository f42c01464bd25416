#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Properties every linkage must have, over generated records: a record always matches
//! itself, comparing is symmetric, and the outcome does not depend on row order.

use itinera_linkage::{run, Dataset, Kind, Options, Table};

fn options() -> Options {
    Options {
        u_samples: 5_000,
        ..Options::default()
    }
}
use proptest::prelude::*;

const KINDS: [Kind; 8] = [
    Kind::GivenName,
    Kind::Surname,
    Kind::BirthDate,
    Kind::Sex,
    Kind::Document,
    Kind::Postcode,
    Kind::Phone,
    Kind::Email,
];

fn schema() -> Vec<(String, Kind)> {
    KINDS.iter().map(|k| (k.as_str().to_string(), *k)).collect()
}

fn record() -> impl Strategy<Value = Vec<String>> {
    (
        prop_oneof![
            "(María|José|Ana|Giuseppe|Mohamed|Fátima)( José| Luis)?",
            "[a-zA-ZñÑ ]{0,12}"
        ],
        prop_oneof![
            "(García|López|de la Fuente|Rossi|El Amrani)( Núñez)?",
            "[a-zA-Z -]{0,14}"
        ],
        prop_oneof![
            "(19[5-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
            "[0-9/-]{0,10}"
        ],
        "(M|F|H|Mujer|)",
        "([0-9]{8}[A-Z]|X[0-9]{7}[A-Z]|)",
        "([0-9]{5}|)",
        "(\\+34 )?(6[0-9]{8}|)",
        "([a-z]{1,8}@[a-z]{1,6}\\.es|)",
    )
        .prop_map(|t| vec![t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7])
}

fn dataset(rows: &[Vec<String>]) -> Dataset {
    let mut t = Table::new(schema()).unwrap();
    for (k, r) in rows.iter().enumerate() {
        let refs: Vec<&str> = r.iter().map(String::as_str).collect();
        t.push(&format!("r{k}"), &refs).unwrap();
    }
    Dataset::dedupe(t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_record_always_matches_itself(rows in prop::collection::vec(record(), 3..12)) {
        let mut all = rows.clone();
        all.push(rows[0].clone());
        let ds = dataset(&all);
        let linkage = run(&ds, &options()).unwrap();
        let last = all.len() - 1;
        let e = linkage.explain(&ds, 0, last);
        for f in &e.fields {
            prop_assert!(f.level.is_none() || f.level == Some("exact"), "{f:?}");
            prop_assert!(f.weight >= 0.0 || f.level.is_none(), "{f:?}");
        }
    }

    #[test]
    fn linkage_is_symmetric(rows in prop::collection::vec(record(), 2..12)) {
        let ds = dataset(&rows);
        let linkage = run(&ds, &options()).unwrap();
        for i in 0..rows.len() {
            for j in 0..rows.len() {
                let (a, b) = (linkage.score(&ds, i, j), linkage.score(&ds, j, i));
                prop_assert_eq!(a.weight, b.weight);
                let (ea, eb) = (linkage.explain(&ds, i, j), linkage.explain(&ds, j, i));
                for (x, y) in ea.fields.iter().zip(&eb.fields) {
                    prop_assert_eq!(x.level, y.level);
                }
            }
        }
    }

    #[test]
    fn persons_do_not_depend_on_row_order(rows in prop::collection::vec(record(), 2..10)) {
        let forward = dataset(&rows);
        let mut reversed_rows = rows.clone();
        reversed_rows.reverse();
        let backward = dataset(&reversed_rows);
        let opts = options();
        let (a, b) = (run(&forward, &opts).unwrap(), run(&backward, &opts).unwrap());
        let n = rows.len();
        for i in 0..n {
            for j in 0..n {
                let same_a = a.clusters[i] == a.clusters[j];
                let same_b = b.clusters[n - 1 - i] == b.clusters[n - 1 - j];
                prop_assert_eq!(same_a, same_b, "rows {} and {}", i, j);
            }
        }
    }
}

/// A small registry with known duplicates, spelled the ways services spell them.
#[test]
fn finds_the_same_people_in_a_small_registry() {
    let rows: Vec<Vec<&str>> = vec![
        vec![
            "María José",
            "García López",
            "1980-03-07",
            "Mujer",
            "12345678Z",
            "06001",
            "600123456",
            "",
        ],
        vec![
            "M.ª José",
            "Garcia",
            "07/03/1980",
            "F",
            "12345678",
            "06001",
            "+34 600 123 456",
            "",
        ],
        vec![
            "Pepe",
            "Núñez Pérez",
            "1975-11-02",
            "H",
            "",
            "06800",
            "",
            "pepe@correo.es",
        ],
        vec![
            "José",
            "Perez Nuñez",
            "1975-11-02",
            "Hombre",
            "87654321X",
            "06800",
            "",
            "pepe@correo.es",
        ],
        vec![
            "Ana",
            "García López",
            "2001-05-05",
            "Mujer",
            "11111111H",
            "06001",
            "600123456",
            "",
        ],
        vec![
            "Giuseppe",
            "Rossi",
            "1969-04-12",
            "M",
            "RSSGPP69D12H501X",
            "26100",
            "",
            "",
        ],
        vec![
            "Peppe",
            "Rossi",
            "12/04/1969",
            "M",
            "RSSGPP69D12H501X",
            "26100",
            "",
            "",
        ],
        vec![
            "Luis",
            "Martín Sánchez",
            "1990-01-01",
            "H",
            "22222222J",
            "10001",
            "",
            "",
        ],
    ];
    let mut t = Table::new(schema()).unwrap();
    for (k, r) in rows.iter().enumerate() {
        t.push(&format!("r{k}"), r).unwrap();
    }
    let ds = Dataset::dedupe(t);
    let linkage = run(&ds, &options()).unwrap();
    let c = &linkage.clusters;
    assert_eq!(c[0], c[1], "María José García López");
    assert_eq!(c[2], c[3], "José (Pepe) Núñez Pérez");
    assert_eq!(c[5], c[6], "Giuseppe (Peppe) Rossi");
    assert_ne!(c[0], c[4], "Ana is María José's daughter, not her");
    assert_ne!(c[7], c[0]);
    let e = linkage.explain(&ds, 0, 1);
    let level = |name: &str| {
        e.fields
            .iter()
            .find(|f| f.field == name)
            .and_then(|f| f.level)
    };
    assert_eq!(level("given_name"), Some("exact"));
    assert_eq!(level("surname"), Some("variant"));
    assert_eq!(level("document"), Some("typo"));
    assert_eq!(level("birth_date"), Some("exact"));
    assert_eq!(level("email"), None);
    let total: f64 = e.prior_weight
        + e.fields
            .iter()
            .filter(|f| f.group == 0)
            .map(|f| f.weight)
            .sum::<f64>();
    assert!(e.total_weight >= total - 1e-9, "grouped fields only add");
}
