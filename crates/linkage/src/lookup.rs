//! Looking one new record up among a few candidates the caller has already fetched (by
//! a database index, say), with a model fitted beforehand on the whole registry or,
//! failing that, the priors. Value frequencies are not used: among candidates fetched
//! *because* they share a surname, that surname looks common whatever it is.

use crate::model::{self, Explanation, Model, Scorer};
use crate::{Dataset, LinkError, ScoredPair, Table};

/// A model ready to score lookups.
pub struct Lookup {
    model: Model,
    scorer: Scorer,
}

/// A lookup's outcome: row 0 is the record looked up, the others the candidates.
pub struct Found {
    ds: Dataset,
    /// One score per candidate (`left` = 0, `right` = the candidate's row), best first.
    pub scores: Vec<ScoredPair>,
}

impl Lookup {
    pub fn new(model: Model) -> Self {
        let scorer = Scorer::new(&model).without_frequencies();
        Lookup { model, scorer }
    }

    /// Scores row 0 of `table` against every other row. The table's fields must be the
    /// model's, in the same order.
    pub fn score(&self, table: Table) -> Result<Found, LinkError> {
        let same = table.kinds.len() == self.model.fields.len()
            && table
                .kinds
                .iter()
                .zip(&table.names)
                .zip(&self.model.fields)
                .all(|((k, n), f)| *k == f.kind && *n == f.name);
        if !same {
            return Err(LinkError::SchemaMismatch);
        }
        let ds = Dataset::dedupe(table);
        let mut scores: Vec<ScoredPair> = (1..ds.len())
            .map(|j| {
                let w = self.scorer.weight(&ds, model::pattern(&ds, 0, j), 0, j);
                ScoredPair {
                    left: 0,
                    right: j as u32,
                    weight: w,
                    match_probability: model::probability(w),
                }
            })
            .collect();
        scores.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.right.cmp(&b.right)));
        Ok(Found { ds, scores })
    }

    /// Field by field, why candidate row `j` scored what it scored against row 0.
    pub fn explain(&self, found: &Found, j: usize) -> Explanation {
        let ds = &found.ds;
        let raw = [
            ds.raw.iter().map(|c| c.str(0).to_string()).collect(),
            ds.raw.iter().map(|c| c.str(j).to_string()).collect(),
        ];
        model::explain(ds, &self.model, &raw, 0, j, false)
    }
}

impl Found {
    /// The id of row `j`.
    pub fn id(&self, j: usize) -> &str {
        self.ds.id(j)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Kind;

    fn fields() -> Vec<(String, Kind)> {
        [
            ("given", Kind::GivenName),
            ("surname", Kind::Surname),
            ("birth", Kind::BirthDate),
            ("sex", Kind::Sex),
            ("document", Kind::Document),
            ("postcode", Kind::Postcode),
        ]
        .iter()
        .map(|(n, k)| ((*n).to_string(), *k))
        .collect()
    }

    #[test]
    fn the_same_person_spelled_differently_scores_high_a_namesake_low() {
        let lookup = Lookup::new(Model::from_priors(&fields(), 100_000));
        let mut t = Table::new(fields()).unwrap();
        t.push(
            "new",
            &[
                "M.ª José",
                "García Pérez",
                "1985-03-07",
                "M",
                "12345678Z",
                "02001",
            ],
        )
        .unwrap();
        t.push(
            "same",
            &[
                "María José",
                "Pérez García",
                "07/03/1985",
                "mujer",
                "12345678-Z",
                "02001",
            ],
        )
        .unwrap();
        t.push(
            "namesake",
            &[
                "María",
                "García López",
                "1990-11-02",
                "M",
                "87654321X",
                "02005",
            ],
        )
        .unwrap();
        t.push(
            "typo",
            &["Maria Jose", "Garcia", "1985-07-03", "", "12345687Z", ""],
        )
        .unwrap();
        let lookup_found = lookup.score(t).unwrap();
        let by_id = |id: &str| {
            lookup_found
                .scores
                .iter()
                .find(|s| lookup_found.id(s.right as usize) == id)
                .unwrap()
                .match_probability
        };
        assert!(by_id("same") > 0.99, "{}", by_id("same"));
        assert!(by_id("namesake") < 0.01, "{}", by_id("namesake"));
        assert!(by_id("typo") > by_id("namesake"));
        assert_eq!(
            lookup_found.id(lookup_found.scores[0].right as usize),
            "same"
        );
        let why = lookup.explain(&lookup_found, 1);
        assert_eq!(why.fields[4].level, Some("exact"));
        assert!((why.match_probability - by_id("same")).abs() < 1e-12);
    }

    #[test]
    fn a_model_survives_json_and_a_foreign_one_is_refused() {
        let model = Model::from_priors(&fields(), 5_000);
        let json = serde_json::to_string(&model).unwrap();
        let back = Model::from_json(&json).unwrap();
        assert_eq!(back.fields[2].levels, model.fields[2].levels);
        assert_eq!(back.fields[2].m, model.fields[2].m);
        assert!(Model::from_json(&json.replace("\"prior\":", "\"prior\":7.0,\"x\":")).is_err());
        let mut other = fields();
        other.pop();
        let lookup = Lookup::new(back);
        let mut t = Table::new(other).unwrap();
        t.push("a", &["A", "B", "2000-01-01", "H", "1"]).unwrap();
        assert!(matches!(lookup.score(t), Err(LinkError::SchemaMismatch)));
    }
}
