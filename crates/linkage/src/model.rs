//! The Fellegi–Sunter model: for each field and level, m (the chance of that level when
//! the two records are the same person) and u (the chance when they are not), and the
//! prior chance that two records picked at random are the same person. u is estimated
//! from random pairs (and, for the exact level, from the values' frequencies); m and the
//! prior by expectation–maximisation over the candidate pairs, starting from, and
//! smoothed towards, a prior so that few data still give sane weights.

// A numeric kernel: its indexes are record, field and level positions in arrays it
// built and sized itself, so `clippy::indexing_slicing` (denied in the workspace) is
// allowed in the engine's kernels (block, cluster, compare, model, text, lib) and never
// in its input parsing (`field`), where values come from people's files.
#![allow(clippy::indexing_slicing)]

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compare::{compare, level_codes, level_count, m_prior};
use crate::field::{Column, Kind};
use crate::Dataset;

/// Four bits per field; this value marks a missing comparison.
pub(crate) const NULL: u64 = 0xF;
pub const MAX_FIELDS: usize = 16;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FieldModel {
    pub name: String,
    pub kind: Kind,
    /// The level codes, worst first (not read back: they follow from the kind).
    #[serde(skip_deserializing)]
    pub levels: Vec<&'static str>,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
}

impl FieldModel {
    /// The match weight (log2 Bayes factor) of a level. Exact agreement is never
    /// evidence against a match, even where nearly everyone shares the value.
    pub fn weight(&self, level: usize) -> f64 {
        let w = (self.m[level] / self.u[level]).log2();
        if level + 1 == self.m.len() {
            w.max(0.0)
        } else {
            w
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Model {
    pub fields: Vec<FieldModel>,
    /// P(two records drawn at random are the same person).
    pub prior: f64,
    pub em_iterations: usize,
}

impl Model {
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// A model with no data behind it, for looking records up before one has been
    /// fitted on the registry: cautious priors (near-misses on identifiers and dates
    /// are commoner by chance than a fitted model would find, and a wholly different
    /// identity number is strong evidence of two persons), and a prior P(match) for a
    /// population of `population` records.
    pub fn from_priors(fields: &[(String, Kind)], population: usize) -> Model {
        Model {
            fields: fields
                .iter()
                .map(|(name, kind)| {
                    let (m, u) = lookup_prior(*kind);
                    FieldModel {
                        name: name.clone(),
                        kind: *kind,
                        levels: level_codes(*kind).to_vec(),
                        m,
                        u,
                    }
                })
                .collect(),
            prior: (1.0 / population.max(1_000) as f64).clamp(1e-15, 0.5),
            em_iterations: 0,
        }
    }

    /// Reads back a model written with `serde_json`, checking that every field has one
    /// m and one u in (0, 1] per level of its kind.
    pub fn from_json(json: &str) -> Result<Model, crate::LinkError> {
        let mut model: Model =
            serde_json::from_str(json).map_err(|e| crate::LinkError::BadModel(e.to_string()))?;
        if !(model.prior > 0.0 && model.prior < 1.0) {
            return Err(crate::LinkError::BadModel("prior".into()));
        }
        for f in &mut model.fields {
            let n = level_count(f.kind);
            let ok = |v: &[f64]| v.len() == n && v.iter().all(|x| *x > 0.0 && *x <= 1.0);
            if !ok(&f.m) || !ok(&f.u) {
                return Err(crate::LinkError::BadModel(f.name.clone()));
            }
            f.levels = level_codes(f.kind).to_vec();
        }
        Ok(model)
    }
}

/// The comparison vector of a pair: one 4-bit level per field.
pub(crate) fn pattern(ds: &Dataset, i: usize, j: usize) -> u64 {
    let mut p = 0u64;
    for (f, col) in ds.cols.iter().enumerate() {
        let l = compare(ds.kinds[f], col, i, j).map_or(NULL, u64::from);
        p |= l << (4 * f);
    }
    p
}

#[inline]
pub(crate) fn level_of(p: u64, f: usize) -> Option<usize> {
    let l = (p >> (4 * f)) & 0xF;
    (l != NULL).then_some(l as usize)
}

/// The relative frequency of row `i`'s value when the field's exact level is
/// frequency-adjusted.
#[inline]
pub(crate) fn frequency(col: &Column, i: usize) -> Option<f32> {
    match col {
        Column::Name { tf, .. } | Column::Text { tf, .. } if !tf.is_empty() => Some(tf[i]),
        _ => None,
    }
}

/// P(two non-matching records agree exactly on the field): the sum of the squared value
/// frequencies, computed from the values themselves rather than sampled.
const U_PRIOR_PAIRS: f64 = 200.0;

/// What u usually is, worst level first, for people's data: the prior the sampled
/// estimate is smoothed towards.
fn u_prior(kind: Kind) -> &'static [f64] {
    match kind {
        Kind::GivenName | Kind::Surname | Kind::FullName => &[0.95, 0.03, 0.01, 0.005, 0.005],
        Kind::BirthDate => &[0.97, 0.0296, 0.0002, 0.0001, 0.0001],
        Kind::Sex => &[0.5, 0.5],
        Kind::Region => &[0.8, 0.2],
        Kind::Document | Kind::Phone | Kind::Email => &[0.99998, 0.00001, 0.00001],
        Kind::Postcode | Kind::StreetNumber => &[0.9, 0.05, 0.05],
        Kind::Municipality | Kind::Address | Kind::Text => &[0.9, 0.06, 0.03, 0.01],
    }
}

/// m and u of a kind for lookups without a fitted model (see `Model::from_priors`).
fn lookup_prior(kind: Kind) -> (Vec<f64>, Vec<f64>) {
    let m = m_prior(kind).to_vec();
    match kind {
        Kind::Document => (vec![0.001, 0.149, 0.85], vec![0.99949, 0.0005, 0.00001]),
        Kind::Phone => (m, vec![0.998, 0.0015, 0.0005]),
        Kind::Email => (m, vec![0.998, 0.0015, 0.0005]),
        Kind::BirthDate => (m, vec![0.966, 0.032, 0.001, 0.0009, 0.0001]),
        _ => (m, u_prior(kind).to_vec()),
    }
}

/// (the rate, the number of pairs it was measured on).
fn exact_agreement_rate(col: &Column, n: usize) -> Option<(f64, f64)> {
    let mut keys: Vec<u64> = match col {
        Column::Name { folded: s, .. }
        | Column::Text { norm: s, .. }
        | Column::Document { norm: s, .. } => (0..n)
            .map(|i| s.get(i))
            .filter(|v| !v.is_empty())
            .map(hash_bytes)
            .collect(),
        Column::Date(d) => d
            .iter()
            .filter(|v| **v != 0)
            .map(|v| u64::from(*v))
            .collect(),
        Column::Phone(p) => p.iter().filter(|v| **v != 0).copied().collect(),
        Column::Sex(s) => s
            .iter()
            .filter(|v| **v != 0)
            .map(|v| u64::from(*v))
            .collect(),
    };
    if keys.len() < 2 {
        return None;
    }
    keys.sort_unstable();
    let total = keys.len() as f64;
    let mut sum = 0.0;
    let mut run = 1usize;
    for w in 1..=keys.len() {
        if w < keys.len() && keys[w] == keys[w - 1] {
            run += 1;
        } else {
            let p = run as f64 / total;
            sum += p * p;
            run = 1;
        }
    }
    Some((sum, total * (total - 1.0) / 2.0))
}

fn hash_bytes(v: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Estimates u from `samples` random pairs (seeded), with the exact level taken from
/// the value frequencies.
pub(crate) fn estimate_u(ds: &Dataset, samples: usize, seed: u64) -> Vec<Vec<f64>> {
    let n = ds.len();
    let (left, right) = match ds.split {
        Some(s) => ((0, s), (s, n)),
        None => ((0, n), (0, n)),
    };
    let pairs = match ds.split {
        Some(s) => s as f64 * (n - s) as f64,
        None => n as f64 * (n as f64 - 1.0) / 2.0,
    };
    let samples = samples.min((2.0 * pairs).max(10_000.0) as usize);
    let chunks = 64usize;
    let per_chunk = samples.div_ceil(chunks).max(1);
    let counts: Vec<Vec<[u64; 8]>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (c as u64).wrapping_mul(0x9E37_79B9));
            let mut counts = vec![[0u64; 8]; ds.cols.len()];
            if left.1 <= left.0 || right.1 <= right.0 {
                return counts;
            }
            for _ in 0..per_chunk {
                let i = rng.gen_range(left.0..left.1);
                let j = rng.gen_range(right.0..right.1);
                if i == j {
                    continue;
                }
                let p = pattern(ds, i, j);
                for (f, c) in counts.iter_mut().enumerate() {
                    if let Some(l) = level_of(p, f) {
                        c[l] += 1;
                    }
                }
            }
            counts
        })
        .collect();
    let mut u = Vec::with_capacity(ds.cols.len());
    for (f, col) in ds.cols.iter().enumerate() {
        let levels = level_count(ds.kinds[f]);
        let top = levels - 1;
        let mut c = vec![0f64; levels];
        for chunk in &counts {
            for (l, slot) in c.iter_mut().enumerate() {
                *slot += chunk[f][l] as f64;
            }
        }
        let observed: f64 = c.iter().sum();
        // Pseudo-pairs drawn from the prior: negligible beside many samples, decisive
        // when the data are a handful of records.
        let prior = u_prior(ds.kinds[f]);
        let total = observed + U_PRIOR_PAIRS;
        let mut probs: Vec<f64> = c
            .iter()
            .zip(prior)
            .map(|(x, p)| (x + U_PRIOR_PAIRS * p) / total)
            .collect();
        if let Some((exact, weight)) = exact_agreement_rate(col, n) {
            let exact = ((exact * weight + U_PRIOR_PAIRS * prior[top]) / (weight + U_PRIOR_PAIRS))
                .clamp(1e-9, 0.999);
            let rest: f64 = probs[..top].iter().sum();
            for p in &mut probs[..top] {
                *p = *p / rest * (1.0 - exact);
            }
            probs[top] = exact;
        }
        u.push(probs);
    }
    u
}

/// Groups of kinds whose agreement is one piece of evidence, not several: 1, the
/// household (address, street number, phone), which people who live together share;
/// 2, the area (postcode, town, region), which follows from the address. Adding up
/// their weights as if independent would make relatives the same person, so within a
/// group only the strongest agreement counts (every disagreement still does).
pub(crate) fn group(kind: Kind) -> u8 {
    match kind {
        Kind::Address | Kind::StreetNumber | Kind::Phone => 1,
        Kind::Postcode | Kind::Municipality | Kind::Region => 2,
        _ => 0,
    }
}

/// Adds up field weights (`None`: field missing), counting each group's agreement once.
#[inline]
pub(crate) fn combine(weights: &[Option<f64>], groups: &[u8]) -> f64 {
    let mut total = 0.0;
    let mut best = [0.0f64; 3];
    for (w, g) in weights.iter().zip(groups) {
        let Some(w) = *w else { continue };
        if *g > 0 && w > 0.0 {
            let b = &mut best[usize::from(*g)];
            *b = b.max(w);
        } else {
            total += w;
        }
    }
    total + best[1] + best[2]
}

/// log2(m/u) for every field and level.
fn log_bayes_factors(m: &[Vec<f64>], u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    m.iter()
        .zip(u)
        .map(|(mf, uf)| mf.iter().zip(uf).map(|(a, b)| (a / b).log2()).collect())
        .collect()
}

/// One EM training session over the pairs that a blocking rule brings together
/// (`patterns`: comparison vector and count). The rule's own fields agree by
/// construction, so they are left out and their m is not estimated here.
fn em_session(
    kinds: &[Kind],
    u: &[Vec<f64>],
    m_start: &[Vec<f64>],
    patterns: &[(u64, f64)],
    excluded: &[bool],
    max_iterations: usize,
) -> (Vec<Vec<f64>>, usize) {
    let nf = kinds.len();
    let groups: Vec<u8> = kinds.iter().map(|k| group(*k)).collect();
    let mut m = m_start.to_vec();
    let mut share = 0.5f64;
    let strength = 10.0;
    let mut iterations = 0;
    let mut ws: Vec<Option<f64>> = vec![None; nf];
    for it in 0..max_iterations {
        iterations = it + 1;
        let table = log_bayes_factors(&m, u);
        let prior = (share / (1.0 - share)).log2();
        let mut acc: Vec<Vec<f64>> = (0..nf).map(|f| vec![0.0; m[f].len()]).collect();
        let mut acc_total = vec![0.0f64; nf];
        let mut matches = 0.0;
        let mut total = 0.0;
        for (p, c) in patterns {
            for f in 0..nf {
                ws[f] = if excluded[f] {
                    None
                } else {
                    level_of(*p, f).map(|l| table[f][l])
                };
            }
            let post = probability(prior + combine(&ws, &groups));
            let w = post * c;
            matches += w;
            total += c;
            for f in 0..nf {
                if excluded[f] {
                    continue;
                }
                if let Some(l) = level_of(*p, f) {
                    acc[f][l] += w;
                    acc_total[f] += w;
                }
            }
        }
        let mut change: f64 = 0.0;
        for f in 0..nf {
            if excluded[f] {
                continue;
            }
            let pri = m_prior(kinds[f]);
            for l in 0..m[f].len() {
                let new = (acc[f][l] + strength * pri[l]) / (acc_total[f] + strength);
                change = change.max((new - m[f][l]).abs());
                m[f][l] = new;
            }
        }
        let new_share = (matches / total.max(1.0)).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((new_share - share).abs());
        share = new_share;
        if change < 1e-6 {
            break;
        }
    }
    (m, iterations)
}

/// A training session: the candidate pairs a rule brings together, and the fields
/// that rule uses.
pub(crate) struct Session {
    pub patterns: Vec<(u64, f64)>,
    pub excluded: Vec<bool>,
}

/// Fits m by EM sessions (each field's m is the mean of the sessions that estimate
/// it; a field no session estimates keeps its prior), then the prior P(match) over
/// all candidates with m and u fixed; `total_pairs` is the number of pairs the prior
/// refers to (a pair blocking never brought together is taken as a non-match).
pub(crate) fn fit(
    ds: &Dataset,
    u: Vec<Vec<f64>>,
    sessions: &[Session],
    all: &HashMap<u64, u64>,
    total_pairs: f64,
    max_iterations: usize,
) -> Model {
    let nf = ds.cols.len();
    let start: Vec<Vec<f64>> = (0..nf).map(|f| m_prior(ds.kinds[f]).to_vec()).collect();
    let mut sums: Vec<Vec<f64>> = start.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut estimated = vec![0usize; nf];
    let mut iterations = 0;
    for s in sessions {
        let (m, it) = em_session(
            &ds.kinds,
            &u,
            &start,
            &s.patterns,
            &s.excluded,
            max_iterations,
        );
        iterations += it;
        for f in 0..nf {
            if !s.excluded[f] {
                estimated[f] += 1;
                for (acc, v) in sums[f].iter_mut().zip(&m[f]) {
                    *acc += v;
                }
            }
        }
    }
    let m: Vec<Vec<f64>> = (0..nf)
        .map(|f| {
            if estimated[f] == 0 {
                start[f].clone()
            } else {
                sums[f].iter().map(|x| x / estimated[f] as f64).collect()
            }
        })
        .collect();
    // The prior: the expected number of matches among the candidates, by fixed point.
    let groups: Vec<u8> = ds.kinds.iter().map(|k| group(*k)).collect();
    let table = log_bayes_factors(&m, &u);
    let mut sorted: Vec<(u64, u64)> = all.iter().map(|(p, c)| (*p, *c)).collect();
    sorted.sort_unstable();
    let base: Vec<(f64, f64)> = sorted
        .iter()
        .map(|(p, c)| {
            let ws: Vec<Option<f64>> = (0..nf)
                .map(|f| level_of(*p, f).map(|l| table[f][l]))
                .collect();
            (combine(&ws, &groups), *c as f64)
        })
        .collect();
    let mut prior = (ds.len() as f64 * 0.5 / total_pairs).clamp(1e-15, 0.5);
    for _ in 0..max_iterations {
        let pw = (prior / (1.0 - prior)).log2();
        let expected: f64 = base.iter().map(|(w, c)| probability(pw + w) * c).sum();
        let new = (expected / total_pairs).clamp(1e-15, 0.5);
        let done = ((new - prior) / prior).abs() < 1e-6;
        prior = new;
        iterations += 1;
        if done {
            break;
        }
    }
    Model {
        fields: (0..nf)
            .map(|f| FieldModel {
                name: ds.names[f].clone(),
                kind: ds.kinds[f],
                levels: level_codes(ds.kinds[f]).to_vec(),
                m: m[f].clone(),
                u: u[f].clone(),
            })
            .collect(),
        prior,
        em_iterations: iterations,
    }
}

/// The weights of every field and level, for scoring many pairs quickly.
pub(crate) struct Scorer {
    weights: Vec<Vec<f64>>,
    top_u: Vec<f64>,
    adjust: Vec<bool>,
    groups: Vec<u8>,
    prior_weight: f64,
}

impl Scorer {
    pub fn new(model: &Model) -> Self {
        Scorer {
            weights: model
                .fields
                .iter()
                .map(|f| (0..f.m.len()).map(|l| f.weight(l)).collect())
                .collect(),
            top_u: model.fields.iter().map(|f| f.u[f.u.len() - 1]).collect(),
            adjust: model
                .fields
                .iter()
                .map(|f| f.kind.frequency_adjusted())
                .collect(),
            groups: model.fields.iter().map(|f| group(f.kind)).collect(),
            prior_weight: model.prior_weight(),
        }
    }

    /// The same weights without the frequency adjustment: for scoring a few candidates
    /// fetched for one record, whose value frequencies say nothing about the registry.
    pub fn without_frequencies(mut self) -> Self {
        self.adjust.iter_mut().for_each(|a| *a = false);
        self
    }

    /// The frequency adjustment of field `f` when rows `i` and `j` agree exactly: a rare
    /// shared value weighs more than a common one.
    #[inline]
    fn adjustment(&self, ds: &Dataset, f: usize, i: usize, j: usize) -> f64 {
        if !self.adjust[f] {
            return 0.0;
        }
        match (frequency(&ds.cols[f], i), frequency(&ds.cols[f], j)) {
            (Some(a), Some(b)) => {
                let tf = f64::from(a.max(b)).max(1.0 / ds.len() as f64);
                (self.top_u[f] / tf).log2()
            }
            _ => 0.0,
        }
    }

    /// Each field's weight for a pair (`None` where a side is missing).
    fn field_weights(&self, ds: &Dataset, p: u64, i: usize, j: usize) -> [Option<f64>; MAX_FIELDS] {
        let mut out = [None; MAX_FIELDS];
        for (f, ws) in self.weights.iter().enumerate() {
            if let Some(l) = level_of(p, f) {
                let mut w = ws[l];
                if l == ws.len() - 1 {
                    w = (w + self.adjustment(ds, f, i, j)).max(0.0);
                }
                out[f] = Some(w);
            }
        }
        out
    }

    /// The total match weight of a pair with comparison vector `p`.
    pub fn weight(&self, ds: &Dataset, p: u64, i: usize, j: usize) -> f64 {
        let ws = self.field_weights(ds, p, i, j);
        self.prior_weight + combine(&ws[..self.weights.len()], &self.groups)
    }
}

pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// One field's part in a decision.
#[derive(Clone, Debug, Serialize)]
pub struct FieldExplanation {
    pub field: String,
    pub kind: Kind,
    pub left: String,
    pub right: String,
    /// `None` when a side is missing: the field says nothing.
    pub level: Option<&'static str>,
    pub m: Option<f64>,
    pub u: Option<f64>,
    /// log2(m/u), including the frequency adjustment.
    pub weight: f64,
    /// The field's group (1 household: address, street number, phone; 2 area:
    /// postcode, town, region; 0 none): within a group only the strongest agreement
    /// counts.
    pub group: u8,
    /// The part of the weight due to how rare the shared value is.
    pub frequency_adjustment: f64,
}

/// Why a pair scored what it scored: the prior, each field's level and weight, the total.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub prior_weight: f64,
    pub fields: Vec<FieldExplanation>,
    pub total_weight: f64,
    pub match_probability: f64,
}

pub(crate) fn explain(
    ds: &Dataset,
    model: &Model,
    raw: &[Vec<String>; 2],
    i: usize,
    j: usize,
    frequencies: bool,
) -> Explanation {
    let scorer = if frequencies {
        Scorer::new(model)
    } else {
        Scorer::new(model).without_frequencies()
    };
    let p = pattern(ds, i, j);
    let mut fields = Vec::new();
    for (f, fm) in model.fields.iter().enumerate() {
        let level = level_of(p, f);
        let (mut weight, mut adj) = (0.0, 0.0);
        if let Some(l) = level {
            weight = fm.weight(l);
            if l == fm.m.len() - 1 {
                adj = scorer.adjustment(ds, f, i, j).max(-weight);
                weight += adj;
            }
        }
        fields.push(FieldExplanation {
            field: fm.name.clone(),
            kind: fm.kind,
            left: raw[0].get(f).cloned().unwrap_or_default(),
            right: raw[1].get(f).cloned().unwrap_or_default(),
            level: level.map(|l| fm.levels[l]),
            m: level.map(|l| fm.m[l]),
            u: level.map(|l| fm.u[l]),
            weight,
            group: group(fm.kind),
            frequency_adjustment: adj,
        });
    }
    let total = scorer.weight(ds, p, i, j);
    Explanation {
        prior_weight: model.prior_weight(),
        fields,
        total_weight: total,
        match_probability: probability(total),
    }
}
