//! An import's plan, worked out without I/O: each row read and checked as the form
//! checks it, compared with what the registry holds (`Found`, read by the caller on a
//! snapshot) and with the rows above it in the same file, and given its fate. The plan
//! is applied later in one short write; if the registry changed in between, the rows
//! the change may touch are read again and the plan is worked out again (it is cheap:
//! the comparisons are kept).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use itinera_domain::import::{find_territory, CellProblem, Resolved};
use itinera_domain::linkage::{decide, Candidate, Outcome, Thresholds};
use itinera_domain::participant::ParticipantData;
use itinera_domain::text::{fold, prefix_end};
use itinera_domain::Error;
use itinera_linkage::{Lookup, Table};
use itinera_store::linkage::LinkRecord;
use uuid::Uuid;

use crate::linkage::{data_values, fields, link_err, probe, push, record_values, CANDIDATE_LIMIT};

/// A row of the file as read.
pub(crate) struct Row {
    pub line: usize,
    /// The row's id in the source system, when the file has one.
    pub source_id: Option<String>,
    /// The person's name as the file writes it (for the importer's report only).
    pub name: Option<String>,
    pub problems: Vec<CellProblem>,
    /// The participant the row describes, when it has no problem.
    pub valid: Option<Valid>,
}

pub(crate) struct Valid {
    pub data: ParticipantData,
    /// The name of the row's territory (the index compares municipalities by name).
    pub territory: Option<String>,
    pub external_id: Option<String>,
}

/// Reads every row with the mapping, as the registration form would read it.
pub(crate) fn read_rows(
    sheet: &itinera_tabular::Sheet,
    resolved: &Resolved,
    territories: &[(Uuid, String)],
    today: NaiveDate,
) -> Result<Vec<Row>, Error> {
    let mut out = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        if row.cells.len() != sheet.header.len() {
            out.push(Row {
                line: row.line,
                source_id: None,
                name: None,
                problems: vec![CellProblem {
                    column: String::new(),
                    code: "import.row.width".into(),
                }],
                valid: None,
            });
            continue;
        }
        let mut read = resolved.read(&row.cells);
        let mut territory = None;
        if let Some(m) = &read.municipality {
            match find_territory(m, territories) {
                Some(id) => {
                    read.input.territory_id = id.to_string();
                    territory = territories
                        .iter()
                        .find(|(t, _)| *t == id)
                        .map(|(_, n)| n.clone());
                }
                None => read.problems.push(CellProblem {
                    column: resolved.column_of("territory_id"),
                    code: "import.value.territory".into(),
                }),
            }
        }
        let mut problems = read.problems;
        let name = [
            read.input.given_name.trim(),
            read.input.surname1.trim(),
            read.input.surname2.trim(),
        ]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        let name = (!name.is_empty()).then(|| name.chars().take(200).collect::<String>());
        let source_id = read.external_id.clone();
        let data = match read.input.validate(today) {
            Ok(d) => Some(d),
            Err(Error::Invalid(fields)) => {
                for f in fields {
                    let column = resolved.column_of(&f.field);
                    if !problems
                        .iter()
                        .any(|p| p.column == column && !column.is_empty())
                    {
                        problems.push(CellProblem {
                            column,
                            code: f.code.into(),
                        });
                    }
                }
                None
            }
            Err(e) => return Err(e),
        };
        let valid = match data {
            Some(data) if problems.is_empty() => Some(Valid {
                data,
                territory,
                external_id: read.external_id,
            }),
            _ => None,
        };
        out.push(Row {
            line: row.line,
            source_id,
            name,
            problems,
            valid,
        });
    }
    Ok(out)
}

/// What the registry holds about one row, read by the caller.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// The record this organisation imported before with the row's source id.
    pub source_record: Option<Uuid>,
    /// Records that could be the row's person (`store::linkage::candidates`).
    pub candidates: Vec<LinkRecord>,
    /// A record of this organisation holds one of the row's identity numbers.
    pub document_taken: bool,
    /// The record this organisation imported before with the row's source id is
    /// restricted: nothing is done with it, and its id is not told.
    pub restricted: bool,
}

/// The rows of the file seen so far, by the registry's blocking keys: the same
/// identity number, birth date (or swapped) or given name with either surname first.
/// At most `CANDIDATE_LIMIT` rows per key, so that a file of one birth date stays
/// linear.
#[derive(Default)]
pub(crate) struct FileIndex {
    by_document: HashMap<String, Vec<usize>>,
    by_birth: HashMap<NaiveDate, Vec<usize>>,
    by_name: BTreeMap<(String, String), Vec<usize>>,
}

impl FileIndex {
    fn limit() -> usize {
        usize::try_from(CANDIDATE_LIMIT).unwrap_or(200)
    }

    /// The rows seen that could be the person of `v`.
    pub(crate) fn candidates(&self, v: &Valid) -> Vec<usize> {
        let limit = Self::limit();
        let p = probe(&v.data, None);
        let mut found: Vec<usize> = Vec::new();
        for d in &p.documents {
            if let Some(l) = self.by_document.get(d) {
                found.extend(l.iter().take(limit));
            }
        }
        for b in &p.birth_dates {
            if let Some(l) = self.by_birth.get(b) {
                found.extend(l.iter().take(limit));
            }
        }
        if !p.given_key.is_empty() {
            for s in p.surnames.iter().filter(|s| !s.is_empty()) {
                let from = (p.given_key.clone(), s.clone());
                let to = (p.given_key.clone(), prefix_end(s));
                found.extend(
                    self.by_name
                        .range(from..to)
                        .flat_map(|(_, l)| l.iter())
                        .take(limit),
                );
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Adds row `j`.
    pub(crate) fn add(&mut self, j: usize, v: &Valid) {
        let limit = Self::limit();
        let push = |l: &mut Vec<usize>| {
            if l.len() < limit {
                l.push(j);
            }
        };
        for d in probe(&v.data, None).documents {
            push(self.by_document.entry(d).or_default());
        }
        push(self.by_birth.entry(v.data.birth_date).or_default());
        let key = (
            fold(&v.data.given_name),
            fold(&format!(
                "{} {}",
                v.data.surname1,
                v.data.surname2.as_deref().unwrap_or_default()
            )),
        );
        push(self.by_name.entry(key).or_default());
    }
}

/// For each row, the rows above it that could be the same person.
#[cfg(test)]
pub(crate) fn rows_above(rows: &[Row]) -> Vec<Vec<usize>> {
    let mut index = FileIndex::default();
    let mut out = Vec::with_capacity(rows.len());
    for (j, row) in rows.iter().enumerate() {
        match &row.valid {
            Some(v) => {
                out.push(index.candidates(v));
                index.add(j, v);
            }
            None => out.push(Vec::new()),
        }
    }
    out
}

/// A row's scores: against the registry's candidates (their index in `Found`) and
/// against the rows above it (their index in the file).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scores {
    pub registry: Vec<(usize, f64)>,
    pub above: Vec<(usize, f64)>,
}

/// Scores row `j` against its candidates.
pub(crate) fn score(
    lookup: &Lookup,
    rows: &[Row],
    j: usize,
    found: &Found,
    above: &[usize],
) -> Result<Scores, Error> {
    let Some(v) = rows.get(j).and_then(|r| r.valid.as_ref()) else {
        return Ok(Scores::default());
    };
    if found.candidates.is_empty() && above.is_empty() {
        return Ok(Scores::default());
    }
    let mut table = Table::new(fields()).map_err(link_err)?;
    push(
        &mut table,
        "new",
        &data_values(&v.data, v.territory.as_deref()),
    )?;
    for c in &found.candidates {
        push(&mut table, "r", &record_values(c))?;
    }
    let mut shown = Vec::with_capacity(above.len());
    for &i in above {
        if let Some(a) = rows.get(i).and_then(|r| r.valid.as_ref()) {
            push(
                &mut table,
                "f",
                &data_values(&a.data, a.territory.as_deref()),
            )?;
            shown.push(i);
        }
    }
    let scored = lookup.score(table).map_err(link_err)?;
    let n = found.candidates.len();
    let mut out = Scores::default();
    for s in &scored.scores {
        let k = s.right as usize;
        if k == 0 {
            continue;
        }
        if k <= n {
            out.registry.push((k - 1, s.match_probability));
        } else if let Some(&i) = shown.get(k - 1 - n) {
            out.above.push((i, s.match_probability));
        }
    }
    Ok(out)
}

/// Keeps only what can change a row's fate: candidates scoring at least the review
/// threshold (below it a candidate is neither linked, nor queued, nor the
/// organisation's own record). A plan of 100,000 rows stays small.
pub(crate) fn prune(found: &mut Found, scores: &mut Scores, review: f64) {
    let kept: Vec<(usize, f64)> = scores
        .registry
        .iter()
        .copied()
        .filter(|&(_, p)| p >= review)
        .collect();
    found.candidates = kept
        .iter()
        .filter_map(|&(k, _)| found.candidates.get(k).cloned())
        .collect();
    scores.registry = kept.iter().enumerate().map(|(i, &(_, p))| (i, p)).collect();
    scores.above.retain(|&(_, p)| p >= review);
}

/// What becomes of a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fate {
    Rejected(Vec<CellProblem>),
    /// A record of this organisation already: `same_as` is the line above that
    /// creates it, when it is one of this file's.
    Existing {
        record: Uuid,
        probability: Option<f64>,
        same_as: Option<usize>,
    },
    /// A new record; it joins `link`'s person, and `reviews` are queued with it.
    Created {
        record: Uuid,
        link: Option<Candidate>,
        reviews: Vec<Candidate>,
    },
}

/// Gives each row its fate, top to bottom: a row can be the person of a row above it
/// (then it is that row's record: `existing`). `new_id` names each record to create.
pub(crate) fn decide_rows(
    rows: &[Row],
    found: &[Found],
    scores: &[Scores],
    org: Uuid,
    t: Thresholds,
    document_column: &str,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Vec<Fate> {
    // The record each row creates (or is), its person and its line.
    let mut made: Vec<Option<(Uuid, Uuid)>> = vec![None; rows.len()];
    let mut line_of: HashMap<Uuid, usize> = HashMap::new();
    let mut by_source: HashMap<&str, Uuid> = HashMap::new();
    let mut documents: HashMap<(&'static str, &str), ()> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    let none = Found::default();
    let no_scores = Scores::default();
    for (j, row) in rows.iter().enumerate() {
        let Some(v) = &row.valid else {
            out.push(Fate::Rejected(row.problems.clone()));
            continue;
        };
        let f = found.get(j).unwrap_or(&none);
        let s = scores.get(j).unwrap_or(&no_scores);
        if f.restricted {
            out.push(Fate::Rejected(vec![CellProblem {
                column: document_column.to_string(),
                code: "import.restricted_record".into(),
            }]));
            continue;
        }
        // The same source id imported before (or above): that record.
        if let Some(ext) = v.external_id.as_deref() {
            if let Some(pid) = f.source_record.or_else(|| by_source.get(ext).copied()) {
                out.push(Fate::Existing {
                    record: pid,
                    probability: None,
                    same_as: line_of.get(&pid).copied(),
                });
                continue;
            }
        }
        let mut candidates: Vec<Candidate> = s
            .registry
            .iter()
            .filter_map(|&(k, p)| {
                f.candidates.get(k).map(|c| Candidate {
                    record: c.id,
                    person: c.person_id,
                    home_organisation: c.home_organisation_id,
                    probability: p,
                })
            })
            .collect();
        candidates.extend(s.above.iter().filter_map(|&(i, p)| {
            made.get(i)
                .copied()
                .flatten()
                .map(|(record, person)| Candidate {
                    record,
                    person,
                    home_organisation: org,
                    probability: p,
                })
        }));
        let fate = match decide(&candidates, t, org, &[]) {
            Outcome::Existing(c) => Fate::Existing {
                record: c.record,
                probability: Some(c.probability),
                same_as: line_of.get(&c.record).copied(),
            },
            outcome => {
                let taken = f.document_taken
                    || v.data
                        .documents
                        .iter()
                        .any(|d| documents.contains_key(&(d.kind.code(), d.number.as_str())));
                if taken {
                    out.push(Fate::Rejected(vec![CellProblem {
                        column: document_column.to_string(),
                        code: "participant.document.exists".into(),
                    }]));
                    continue;
                }
                let record = new_id();
                let (link, reviews) = match outcome {
                    Outcome::Link(top, r) => (Some(top), r),
                    Outcome::New(r) => (None, r),
                    Outcome::Existing(_) => (None, Vec::new()),
                };
                let person = link.map_or(record, |l| l.person);
                if let Some(m) = made.get_mut(j) {
                    *m = Some((record, person));
                }
                line_of.insert(record, row.line);
                for d in &v.data.documents {
                    documents.insert((d.kind.code(), d.number.as_str()), ());
                }
                Fate::Created {
                    record,
                    link,
                    reviews,
                }
            }
        };
        if let (Some(ext), Fate::Existing { record, .. } | Fate::Created { record, .. }) =
            (v.external_id.as_deref(), &fate)
        {
            by_source.entry(ext).or_insert(*record);
        }
        out.push(fate);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::linkage::{model_of, thresholds};
    use itinera_domain::documents::dni_letter;
    use itinera_domain::participant::ParticipantInput;
    use itinera_store::linkage::LinkRecord;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn row(line: usize, given: &str, surnames: (&str, &str), born: &str, dni: u32) -> Row {
        let input = ParticipantInput {
            given_name: given.into(),
            surname1: surnames.0.into(),
            surname2: surnames.1.into(),
            sex: "female".into(),
            birth_date: born.into(),
            labour_status: "unemployed".into(),
            documents: if dni == 0 {
                Vec::new()
            } else {
                vec![itinera_domain::participant::DocumentInput {
                    kind: "dni".into(),
                    number: format!("{dni:08}{}", dni_letter(dni)),
                    letter_computed: false,
                }]
            },
            ..ParticipantInput::default()
        };
        Row {
            line,
            source_id: None,
            name: None,
            problems: Vec::new(),
            valid: Some(Valid {
                data: input.validate(today()).expect("valid"),
                territory: None,
                external_id: None,
            }),
        }
    }

    fn with_source(mut r: Row, ext: &str) -> Row {
        if let Some(v) = &mut r.valid {
            v.external_id = Some(ext.into());
        }
        r
    }

    fn settings() -> itinera_store::linkage::Settings {
        itinera_store::linkage::Settings {
            auto_link: 0.9,
            review: 0.5,
            model: None,
            model_fitted_at: None,
            updated_at: None,
        }
    }

    /// Plans `rows` against `found` (the registry) for organisation `org`.
    fn plan(rows: &[Row], found: &[Found], org: Uuid) -> Vec<Fate> {
        let lookup = Lookup::new(model_of(&settings()));
        let above = rows_above(rows);
        let mut found = found.to_vec();
        let scores: Vec<Scores> = (0..rows.len())
            .map(|j| {
                let mut s = score(&lookup, rows, j, &found[j], &above[j]).unwrap();
                prune(&mut found[j], &mut s, 0.5);
                s
            })
            .collect();
        let mut n = 0u128;
        decide_rows(
            rows,
            &found,
            scores.as_slice(),
            org,
            thresholds(&settings()),
            "DNI",
            &mut || {
                n += 1;
                Uuid::from_u128(1000 + n)
            },
        )
    }

    fn nothing(n: usize) -> Vec<Found> {
        vec![Found::default(); n]
    }

    #[test]
    fn a_person_twice_in_a_file_is_one_record() {
        let rows = vec![
            row(
                2,
                "Dolores",
                ("Muñoz", "Gallardo"),
                "1971-02-14",
                33_111_222,
            ),
            row(3, "Ana", ("Ruiz", ""), "1980-05-01", 0),
            row(4, "Lola", ("Muñoz", "Gallardo"), "1971-02-14", 33_111_222),
        ];
        let fates = plan(&rows, &nothing(3), Uuid::from_u128(1));
        let Fate::Created { record: first, .. } = fates[0] else {
            panic!("{fates:?}")
        };
        assert!(matches!(fates[1], Fate::Created { .. }));
        match &fates[2] {
            Fate::Existing {
                record, same_as, ..
            } => {
                assert_eq!(*record, first);
                assert_eq!(*same_as, Some(2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_number_taken_above_or_in_the_registry_is_refused_on_its_column() {
        let rows = vec![
            row(
                2,
                "Dolores",
                ("Muñoz", "Gallardo"),
                "1971-02-14",
                33_111_222,
            ),
            // Someone else with the same number.
            row(3, "Pedro", ("Ramos", "Vidal"), "1960-05-02", 33_111_222),
            row(4, "Ana", ("Ruiz", ""), "1980-05-01", 55_000_111),
        ];
        let mut found = nothing(3);
        found[2].document_taken = true;
        let fates = plan(&rows, &found, Uuid::from_u128(1));
        assert!(matches!(fates[0], Fate::Created { .. }));
        for f in &fates[1..] {
            assert_eq!(
                *f,
                Fate::Rejected(vec![CellProblem {
                    column: "DNI".into(),
                    code: "participant.document.exists".into()
                }])
            );
        }
    }

    #[test]
    fn a_source_id_imported_before_or_above_is_that_record() {
        let before = Uuid::from_u128(77);
        let rows = vec![
            with_source(row(2, "Ana", ("Ruiz", ""), "1980-05-01", 0), "SS-1"),
            with_source(row(3, "Eva", ("Gil", ""), "1990-01-20", 0), "SS-2"),
            with_source(row(4, "Ana M.", ("Ruiz", ""), "1980-05-01", 0), "SS-1"),
        ];
        let mut found = nothing(3);
        found[1].source_record = Some(before);
        let fates = plan(&rows, &found, Uuid::from_u128(1));
        let Fate::Created { record: first, .. } = fates[0] else {
            panic!("{fates:?}")
        };
        assert_eq!(
            fates[1],
            Fate::Existing {
                record: before,
                probability: None,
                same_as: None
            }
        );
        assert_eq!(
            fates[2],
            Fate::Existing {
                record: first,
                probability: None,
                same_as: Some(2)
            }
        );
    }

    fn record(id: u128, org: u128, r: &Row) -> LinkRecord {
        let d = &r.valid.as_ref().unwrap().data;
        LinkRecord {
            id: Uuid::from_u128(id),
            person_id: Uuid::from_u128(id),
            home_organisation_id: Uuid::from_u128(org),
            home_organisation_name: "x".into(),
            given_name: d.given_name.clone(),
            surname1: d.surname1.clone(),
            surname2: d.surname2.clone(),
            sex: d.sex.code().into(),
            birth_date: d.birth_date,
            postcode: None,
            territory_name: None,
            address: None,
            phone: None,
            email: None,
            document: d.documents.first().map(|x| x.number.clone()),
            created_at: chrono::DateTime::default(),
        }
    }

    #[test]
    fn the_registry_links_another_organisations_record_and_finds_its_own() {
        let rows = vec![
            row(
                2,
                "Dolores",
                ("Muñoz", "Gallardo"),
                "1971-02-14",
                33_111_222,
            ),
            row(3, "Ibrahima", ("Diallo", ""), "1988-09-30", 44_222_333),
        ];
        let mut found = nothing(2);
        found[0].candidates = vec![record(50, 9, &rows[0])];
        found[1].candidates = vec![record(60, 1, &rows[1])];
        let fates = plan(&rows, &found, Uuid::from_u128(1));
        match &fates[0] {
            Fate::Created { link: Some(l), .. } => {
                assert_eq!(l.person, Uuid::from_u128(50));
                assert!(l.probability >= 0.9);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(fates[1], Fate::Existing { record, same_as: None, .. } if record == Uuid::from_u128(60))
        );
    }

    #[test]
    fn a_file_of_one_birth_date_stays_linear() {
        let rows: Vec<Row> = (0..1000)
            .map(|k| row(k + 2, &format!("N{k}"), ("Ruiz", ""), "1980-05-01", 0))
            .collect();
        let above = rows_above(&rows);
        let limit = usize::try_from(CANDIDATE_LIMIT).unwrap();
        assert_eq!(above[999].len(), limit);
        assert!(above.iter().all(|a| a.len() <= limit));
        assert_eq!(above[5], vec![0, 1, 2, 3, 4]);
    }
}
