//! # itinera-linkage: one person, one record
//!
//! Probabilistic record linkage in the Fellegi–Sunter model, written for the people
//! served by social and employment services: Spanish double surnames, particles,
//! nicknames and abbreviated compound names, transliterated foreign names, DNI/NIE and
//! codice fiscale numbers with typos, dates with day and month swapped.
//!
//! The pipeline ([`run`]): prepare each column once ([`field`]); generate candidate pairs
//! with blocking rules ([`block`]); compare each pair field by field into levels
//! ([`compare`]); estimate u from random pairs and m and the prior by EM ([`model`]);
//! score, keep the pairs above the threshold and cluster them into persons ([`cluster`]).
//! Every score can be explained field by field ([`Linkage::explain`]).
//!
//! The crate depends on nothing else of Itinera and does no I/O: callers hand it rows
//! and get pairs, clusters and explanations back. Work is spread over the machine's
//! cores with rayon; results do not depend on the number of threads.
//!
//! ## How it works
//!
//! Fellegi–Sunter. Each mapped column is prepared once (folded, tokenised, parsed) into
//! column-oriented arrays; blocking rules (document; phone; e-mail; birth date with the
//! sound of the surname or of the given name; names with the birth month, the year or the
//! postcode; …) produce candidate pairs, each pair emitted by the first rule that finds it;
//! a rule that would pair more than two candidates per record is refined (e.g. + birth
//! year). Each candidate becomes a comparison vector (4 bits per field). u: random pairs,
//! with the exact level taken from the value frequencies (Σp²). m: EM sessions on the pairs
//! of the document rule and of a birth-date rule, each leaving out its own fields, then
//! averaged; the prior by fixed point over all candidates. Scoring adds log2(m/u) per field
//! with a term-frequency adjustment for exact names, postcode and town, never lets exact
//! agreement count against, and counts the **household** group (address, street number,
//! phone) and the **area** group (postcode, town, region) once each: relatives share them,
//! and summing them as if independent made parents and children one person. Pairs at or
//! above the threshold are clustered by union–find; `matches` lists every pair inside a
//! cluster. **Invariant:** the engine's results do not depend on row order or thread count
//! (pairs are sorted; EM sums run over sorted patterns).

pub mod block;
pub mod cluster;
pub mod compare;
pub mod field;
pub mod lookup;
pub mod model;
pub mod text;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

pub use block::RuleStats;
pub use field::{Kind, Strs, UnknownKind};
pub use lookup::Lookup;
pub use model::{Explanation, FieldExplanation, FieldModel, Model};

use field::Column;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("no field to compare: map at least one column to a kind other than `ignore`")]
    NoFields,
    #[error("too many fields: at most {max} can be compared, {given} were mapped")]
    TooManyFields { given: usize, max: usize },
    #[error("row {row} has {given} values, the schema has {expected} fields")]
    RowWidth {
        row: usize,
        given: usize,
        expected: usize,
    },
    #[error("the two tables have different fields")]
    SchemaMismatch,
    #[error("no blocking rule can be built from these fields; map a document, a birth date, names or a postcode")]
    NoBlockingRule,
    #[error("the stored linkage model cannot be used: {0}")]
    BadModel(String),
}

/// Raw rows as they come from a source: an id and one value per field.
#[derive(Clone, Debug)]
pub struct Table {
    names: Vec<String>,
    kinds: Vec<Kind>,
    ids: Strs,
    raw: Vec<Strs>,
}

impl Table {
    pub fn new(fields: Vec<(String, Kind)>) -> Result<Self, LinkError> {
        if fields.is_empty() {
            return Err(LinkError::NoFields);
        }
        if fields.len() > model::MAX_FIELDS {
            return Err(LinkError::TooManyFields {
                given: fields.len(),
                max: model::MAX_FIELDS,
            });
        }
        let (names, kinds): (Vec<String>, Vec<Kind>) = fields.into_iter().unzip();
        let raw = vec![Strs::default(); kinds.len()];
        Ok(Table {
            names,
            kinds,
            ids: Strs::default(),
            raw,
        })
    }

    pub fn push(&mut self, id: &str, values: &[&str]) -> Result<(), LinkError> {
        if values.len() != self.kinds.len() {
            return Err(LinkError::RowWidth {
                row: self.ids.len() + 1,
                given: values.len(),
                expected: self.kinds.len(),
            });
        }
        self.ids.push(id);
        for (col, v) in self.raw.iter_mut().zip(values) {
            col.push(v.trim());
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Prepared rows: one table (dedupe) or two joined end to end (link, `split` = the
/// number of left rows).
#[derive(Debug)]
pub struct Dataset {
    pub(crate) names: Vec<String>,
    pub(crate) kinds: Vec<Kind>,
    pub(crate) ids: Strs,
    pub(crate) raw: Vec<Strs>,
    pub(crate) cols: Vec<Column>,
    pub(crate) split: Option<usize>,
}

impl Dataset {
    /// Prepares one table for finding the duplicates inside it.
    pub fn dedupe(table: Table) -> Self {
        let cols = prepare_all(&table);
        Dataset {
            names: table.names,
            kinds: table.kinds,
            ids: table.ids,
            raw: table.raw,
            cols,
            split: None,
        }
    }

    /// Prepares two tables with the same fields for finding the records of one that are
    /// the same person as a record of the other.
    pub fn link(left: Table, right: Table) -> Result<Self, LinkError> {
        if left.kinds != right.kinds {
            return Err(LinkError::SchemaMismatch);
        }
        let (lc, rc) = rayon::join(|| prepare_all(&left), || prepare_all(&right));
        let cols = lc
            .into_iter()
            .zip(rc.iter())
            .map(|(a, b)| field::concat(a, b))
            .collect();
        let split = left.len();
        let mut ids = left.ids;
        let mut raw = left.raw;
        for i in 0..right.ids.len() {
            ids.push(right.ids.str(i));
        }
        for (col, rcol) in raw.iter_mut().zip(&right.raw) {
            for i in 0..rcol.len() {
                col.push(rcol.str(i));
            }
        }
        Ok(Dataset {
            names: left.names,
            kinds: left.kinds,
            ids,
            raw,
            cols,
            split: Some(split),
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn id(&self, i: usize) -> &str {
        self.ids.str(i)
    }

    /// The number of pairs the prior refers to.
    fn total_pairs(&self) -> f64 {
        let n = self.len() as f64;
        match self.split {
            Some(s) => s as f64 * (n - s as f64),
            None => n * (n - 1.0) / 2.0,
        }
        .max(1.0)
    }
}

fn prepare_all(table: &Table) -> Vec<Column> {
    table
        .kinds
        .par_iter()
        .zip(table.raw.par_iter())
        .map(|(k, raw)| field::prepare(*k, raw))
        .collect()
}

/// Settings of a run. The defaults suit a registry of a few thousand to a few million
/// people.
#[derive(Clone, Debug)]
pub struct Options {
    /// Pairs at or above this match probability are the same person.
    pub threshold: f64,
    /// Random pairs drawn to estimate u.
    pub u_samples: usize,
    pub seed: u64,
    /// Blocks with more records than this are not compared pair by pair.
    pub max_block: usize,
    /// A blocking rule that would bring together more pairs than this many per record
    /// is made stricter.
    pub pairs_per_record: f64,
    pub em_iterations: usize,
    /// Pairs at or above this probability are kept in the outcome (for review queues and
    /// reports of uncertain pairs) even when below `threshold`.
    pub keep_above: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: DEFAULT_THRESHOLD,
            u_samples: 100_000,
            seed: 1,
            max_block: 1_000,
            pairs_per_record: 2.0,
            em_iterations: 200,
            keep_above: DEFAULT_THRESHOLD,
        }
    }
}

/// The auto-link threshold used when a deployment sets none.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// A scored pair of rows (`left < right` in a dedupe; left row, right row in a link).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoredPair {
    pub left: u32,
    pub right: u32,
    pub weight: f64,
    pub match_probability: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Timings {
    pub blocking_s: f64,
    pub estimating_u_s: f64,
    pub comparing_s: f64,
    pub em_s: f64,
    pub scoring_s: f64,
    pub clustering_s: f64,
}

/// What a run found.
#[derive(Debug)]
pub struct Linkage {
    pub model: Model,
    pub rules: Vec<RuleStats>,
    pub candidates: u64,
    /// Pairs at or above `keep_above`, best first.
    pub pairs: Vec<ScoredPair>,
    /// The person (cluster) of each row: rows with the same number are the same person.
    pub clusters: Vec<u32>,
    pub threshold: f64,
    pub timings: Timings,
}

fn seconds_since(t: itinera_clock::Stopwatch) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Runs the whole pipeline. The caller supplies the data; nothing is read or written.
pub fn run(ds: &Dataset, opts: &Options) -> Result<Linkage, LinkError> {
    let rules = block::default_rules(&ds.kinds);
    if rules.is_empty() {
        return Err(LinkError::NoBlockingRule);
    }
    let t = itinera_clock::Stopwatch::start();
    let budget = (opts.pairs_per_record * ds.len() as f64) as u64 + 10_000;
    let (mut pairs, rule_stats, rules) = block::candidates(ds, rules, opts.max_block, budget);
    // In row order, each row's data stays in cache across its pairs.
    pairs.par_sort_unstable();
    let blocking_s = seconds_since(t);

    let t = itinera_clock::Stopwatch::start();
    let u = model::estimate_u(ds, opts.u_samples, opts.seed);
    let estimating_u_s = seconds_since(t);

    let t = itinera_clock::Stopwatch::start();
    let patterns: Vec<u64> = pairs
        .par_iter()
        .map(|&(i, j)| model::pattern(ds, i as usize, j as usize))
        .collect();
    let counts = patterns
        .par_chunks(1 << 16)
        .map(|chunk| {
            let mut m: HashMap<u64, u64> = HashMap::new();
            for p in chunk {
                *m.entry(*p).or_insert(0) += 1;
            }
            m
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_insert(0) += v;
            }
            a
        });
    let comparing_s = seconds_since(t);

    let t = itinera_clock::Stopwatch::start();
    let sessions = training_sessions(ds, &rules, &pairs, &patterns);
    let model = model::fit(
        ds,
        u,
        &sessions,
        &counts,
        ds.total_pairs(),
        opts.em_iterations,
    );
    let em_s = seconds_since(t);

    let t = itinera_clock::Stopwatch::start();
    let scorer = model::Scorer::new(&model);
    let keep = opts.keep_above.min(opts.threshold);
    let mut scored: Vec<ScoredPair> = pairs
        .par_iter()
        .zip(patterns.par_iter())
        .filter_map(|(&(i, j), &p)| {
            let w = scorer.weight(ds, p, i as usize, j as usize);
            let prob = model::probability(w);
            (prob >= keep).then_some(ScoredPair {
                left: i,
                right: j,
                weight: w,
                match_probability: prob,
            })
        })
        .collect();
    scored.par_sort_unstable_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(a.left.cmp(&b.left))
            .then(a.right.cmp(&b.right))
    });
    let scoring_s = seconds_since(t);

    let t = itinera_clock::Stopwatch::start();
    let clusters = cluster::components(
        ds.len(),
        scored
            .iter()
            .filter(|p| p.match_probability >= opts.threshold)
            .map(|p| (p.left, p.right)),
    );
    let clustering_s = seconds_since(t);

    Ok(Linkage {
        model,
        rules: rule_stats,
        candidates: pairs.len() as u64,
        pairs: scored,
        clusters,
        threshold: opts.threshold,
        timings: Timings {
            blocking_s,
            estimating_u_s,
            comparing_s,
            em_s,
            scoring_s,
            clustering_s,
        },
    })
}

/// The EM sessions: the pairs of the first blocking rule on the identity document and
/// of the first on the exact birth date (each leaves out its own fields), so that
/// every field is estimated from pairs chosen without looking at it. With neither, one
/// session over all candidates.
fn training_sessions(
    ds: &Dataset,
    rules: &[block::Rule],
    pairs: &[(u32, u32)],
    patterns: &[u64],
) -> Vec<model::Session> {
    let uses =
        |r: &block::Rule, kind: Kind| r.parts.iter().any(|(f, _)| ds.kinds.get(*f) == Some(&kind));
    let mut chosen: Vec<&block::Rule> = Vec::new();
    if let Some(r) = rules.iter().find(|r| uses(r, Kind::Document)) {
        chosen.push(r);
    }
    if let Some(r) = rules
        .iter()
        .find(|r| uses(r, Kind::BirthDate) && !uses(r, Kind::Document) && r.parts.len() > 1)
    {
        chosen.push(r);
    }
    let nf = ds.kinds.len();
    if chosen.is_empty() {
        let mut counts: HashMap<u64, f64> = HashMap::new();
        for p in patterns {
            *counts.entry(*p).or_insert(0.0) += 1.0;
        }
        let mut patterns: Vec<(u64, f64)> = counts.into_iter().collect();
        patterns.sort_unstable_by_key(|(p, _)| *p);
        return vec![model::Session {
            patterns,
            excluded: vec![false; nf],
        }];
    }
    chosen
        .into_iter()
        .map(|rule| {
            let keys: Vec<u64> = (0..ds.len())
                .into_par_iter()
                .map(|i| block::key(ds, rule, i))
                .collect();
            let mut counts: HashMap<u64, f64> = HashMap::new();
            for (&(i, j), p) in pairs.iter().zip(patterns) {
                let k = keys.get(i as usize).copied().unwrap_or(0);
                if k != 0 && Some(&k) == keys.get(j as usize) {
                    *counts.entry(*p).or_insert(0.0) += 1.0;
                }
            }
            let mut excluded = vec![false; nf];
            for (f, _) in &rule.parts {
                if let Some(e) = excluded.get_mut(*f) {
                    *e = true;
                }
            }
            let mut patterns: Vec<(u64, f64)> = counts.into_iter().collect();
            patterns.sort_unstable_by_key(|(p, _)| *p);
            model::Session { patterns, excluded }
        })
        .collect()
}

fn score_with(scorer: &model::Scorer, ds: &Dataset, i: usize, j: usize) -> ScoredPair {
    let w = scorer.weight(ds, model::pattern(ds, i, j), i, j);
    ScoredPair {
        left: i as u32,
        right: j as u32,
        weight: w,
        match_probability: model::probability(w),
    }
}

impl Linkage {
    /// Scores any two rows of the data set (whether or not blocking paired them).
    pub fn score(&self, ds: &Dataset, i: usize, j: usize) -> ScoredPair {
        score_with(&model::Scorer::new(&self.model), ds, i, j)
    }

    /// Field by field, why rows `i` and `j` score what they score.
    pub fn explain(&self, ds: &Dataset, i: usize, j: usize) -> Explanation {
        let raw = [
            ds.raw.iter().map(|c| c.str(i).to_string()).collect(),
            ds.raw.iter().map(|c| c.str(j).to_string()).collect(),
        ];
        model::explain(ds, &self.model, &raw, i, j, true)
    }

    /// The pairs judged the same person: within each cluster of at most `max_cluster`
    /// rows, every pair (a pair blocking never compared is scored now); in a larger
    /// cluster, only the pairs scored at or above the threshold. In a link, only pairs
    /// with one row on each side.
    pub fn matches(&self, ds: &Dataset, max_cluster: usize) -> Vec<ScoredPair> {
        let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
        for (row, c) in self.clusters.iter().enumerate() {
            members.entry(*c).or_default().push(row as u32);
        }
        let mut direct: HashMap<(u32, u32), ScoredPair> = HashMap::new();
        for p in self
            .pairs
            .iter()
            .filter(|p| p.match_probability >= self.threshold)
        {
            direct.insert((p.left, p.right), *p);
        }
        let mut groups: Vec<Vec<u32>> = members.into_values().filter(|m| m.len() > 1).collect();
        // Each group has at least two members; its first is its smallest row.
        groups.sort_unstable_by_key(|g| g.first().copied());
        let scorer = model::Scorer::new(&self.model);
        let mut out = Vec::new();
        // Clusters too large to list pair by pair contribute their direct matches.
        out.extend(direct.values().filter(|p| {
            let c = self.clusters.get(p.left as usize).copied();
            groups
                .binary_search_by_key(&c, |g| g.first().copied())
                .is_ok_and(|k| groups.get(k).is_some_and(|g| g.len() > max_cluster))
        }));
        for g in groups.iter().filter(|g| g.len() <= max_cluster) {
            for (x, &a) in g.iter().enumerate() {
                for &b in g.iter().skip(x + 1) {
                    let (i, j) = (a.min(b), a.max(b));
                    if let Some(s) = ds.split {
                        if i as usize >= s || (j as usize) < s {
                            continue;
                        }
                    }
                    out.push(match direct.get(&(i, j)) {
                        Some(p) => *p,
                        None => score_with(&scorer, ds, i as usize, j as usize),
                    });
                }
            }
        }
        out.sort_unstable_by(|a, b| a.left.cmp(&b.left).then(a.right.cmp(&b.right)));
        out
    }
}
