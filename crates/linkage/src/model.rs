//! The Fellegi–Sunter model: for each field and level, m (the chance of that level when
//! the two records are the same person) and u (the chance when they are not), and the
//! prior chance that two records picked at random are the same person. u is estimated
//! from random pairs (and, for the exact level, from the values' frequencies); m and the
//! prior by expectation–maximisation over the candidate pairs, starting from, and
//! smoothed towards, a prior so that few data still give sane weights.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::compare::{compare, level_codes, level_count, m_prior};
use crate::field::{Column, Kind};
use crate::Dataset;

/// Four bits per field; this value marks a missing comparison.
pub(crate) const NULL: u64 = 0xF;
pub const MAX_FIELDS: usize = 16;

#[derive(Clone, Debug, Serialize)]
pub struct FieldModel {
    pub name: String,
    pub kind: Kind,
    pub levels: Vec<&'static str>,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
}

impl FieldModel {
    /// The match weight (log2 Bayes factor) of a level.
    pub fn weight(&self, level: usize) -> f64 {
        (self.m[level] / self.u[level]).log2()
    }
}

#[derive(Clone, Debug, Serialize)]
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
fn exact_agreement_rate(col: &Column, n: usize) -> Option<f64> {
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
    Some(sum)
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
        // Half a pair per level keeps rare levels from a zero u.
        let smoothed: Vec<f64> = c.iter().map(|x| x + 0.5).collect();
        let total = observed + 0.5 * levels as f64;
        let mut probs: Vec<f64> = smoothed.iter().map(|x| x / total).collect();
        if let Some(exact) = exact_agreement_rate(col, n) {
            let exact = exact.clamp(1e-9, 0.999);
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

/// Fits m and the prior by EM over the candidates' comparison vectors (`counts` maps a
/// vector to how many candidate pairs have it); `total_pairs` is the number of pairs the
/// prior refers to (every pair not a candidate is taken as a non-match).
pub(crate) fn fit(
    ds: &Dataset,
    u: Vec<Vec<f64>>,
    counts: &HashMap<u64, u64>,
    total_pairs: f64,
    max_iterations: usize,
) -> Model {
    let nf = ds.cols.len();
    let mut m: Vec<Vec<f64>> = (0..nf).map(|f| m_prior(ds.kinds[f]).to_vec()).collect();
    let patterns: Vec<(u64, f64)> = counts.iter().map(|(p, c)| (*p, *c as f64)).collect();
    let candidates: f64 = patterns.iter().map(|(_, c)| c).sum();
    // Start by supposing the candidates hold about as many matches as a tenth of them,
    // or one per record, whichever is fewer.
    let mut prior = ((candidates * 0.1).min(ds.len() as f64) / total_pairs).clamp(1e-12, 0.5);
    // Pseudo-pairs pulling m towards its prior: strong when the data are few.
    let strength = 10.0;
    let mut iterations = 0;
    for it in 0..max_iterations {
        iterations = it + 1;
        let log_m: Vec<Vec<f64>> = m
            .iter()
            .map(|v| v.iter().map(|x| x.ln()).collect())
            .collect();
        let log_u: Vec<Vec<f64>> = u
            .iter()
            .map(|v| v.iter().map(|x| x.ln()).collect())
            .collect();
        let log_odds_prior = (prior / (1.0 - prior)).ln();
        let mut acc: Vec<Vec<f64>> = (0..nf).map(|f| vec![0.0; m[f].len()]).collect();
        let mut acc_total = vec![0.0f64; nf];
        let mut expected_matches = 0.0;
        for (p, c) in &patterns {
            let mut llr = log_odds_prior;
            for f in 0..nf {
                if let Some(l) = level_of(*p, f) {
                    llr += log_m[f][l] - log_u[f][l];
                }
            }
            let post = 1.0 / (1.0 + (-llr).exp());
            let w = post * c;
            expected_matches += w;
            for f in 0..nf {
                if let Some(l) = level_of(*p, f) {
                    acc[f][l] += w;
                    acc_total[f] += w;
                }
            }
        }
        let mut change: f64 = 0.0;
        for f in 0..nf {
            let pri = m_prior(ds.kinds[f]);
            for l in 0..m[f].len() {
                let new = (acc[f][l] + strength * pri[l]) / (acc_total[f] + strength);
                change = change.max((new - m[f][l]).abs());
                m[f][l] = new;
            }
        }
        let new_prior = (expected_matches / total_pairs).clamp(1e-12, 0.5);
        change = change.max(((new_prior - prior) / prior).abs() * 1e-3);
        prior = new_prior;
        if change < 1e-6 {
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
            prior_weight: model.prior_weight(),
        }
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

    /// The total match weight of a pair with comparison vector `p`.
    pub fn weight(&self, ds: &Dataset, p: u64, i: usize, j: usize) -> f64 {
        let mut w = self.prior_weight;
        for (f, ws) in self.weights.iter().enumerate() {
            if let Some(l) = level_of(p, f) {
                w += ws[l];
                if l == ws.len() - 1 {
                    w += self.adjustment(ds, f, i, j);
                }
            }
        }
        w
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
) -> Explanation {
    let scorer = Scorer::new(model);
    let p = pattern(ds, i, j);
    let mut fields = Vec::new();
    for (f, fm) in model.fields.iter().enumerate() {
        let level = level_of(p, f);
        let (mut weight, mut adj) = (0.0, 0.0);
        if let Some(l) = level {
            weight = fm.weight(l);
            if l == fm.m.len() - 1 {
                adj = scorer.adjustment(ds, f, i, j);
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
