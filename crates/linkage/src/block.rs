//! Blocking: which pairs are compared at all. Each rule is a key made of parts of a few
//! fields; two records are a candidate pair when some rule gives them the same key. A
//! pair found by an earlier rule is not emitted again by a later one.

// A numeric kernel: its indexes are record, field and level positions in arrays it
// built and sized itself, so `clippy::indexing_slicing` (denied in the workspace) is
// allowed in the engine's kernels (block, cluster, compare, model, text, lib) and never
// in its input parsing (`field`), where values come from people's files.
#![allow(clippy::indexing_slicing)]

use rayon::prelude::*;
use serde::Serialize;

use crate::field::{Column, Kind};
use crate::Dataset;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Part {
    /// The whole normalised value.
    Exact,
    /// The first `n` bytes of the normalised value.
    Prefix(usize),
    /// The phonetic skeleton of the first token of a name.
    FirstSkeleton,
    /// The last token of a name (the second surname, or the only one).
    LastToken,
    /// The two alphabetically first tokens of a name, whatever their order.
    SortedTokens,
    /// The alphabetically first token of a name: the same for "García López", "López
    /// García" and, most often, "García".
    SortedFirst,
    /// The year of a date.
    Year,
    /// The year and month of a date.
    YearMonth,
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub parts: Vec<(usize, Part)>,
    pub label: String,
    /// Parts added when the rule alone would bring together too many pairs (a loose
    /// rule suits a few thousand records, not a million).
    pub refine: Vec<(usize, Part)>,
}

impl Rule {
    fn refined(&self, kinds: &[Kind]) -> Rule {
        let mut parts = self.parts.clone();
        parts.extend(self.refine.iter().copied());
        Rule {
            label: label(kinds, &parts),
            parts,
            refine: Vec::new(),
        }
    }
}

fn label(kinds: &[Kind], parts: &[(usize, Part)]) -> String {
    parts
        .iter()
        .map(|(f, p)| format!("{}:{}", kinds[*f], part_name(*p)))
        .collect::<Vec<_>>()
        .join("+")
}

/// The rules used for a set of field kinds: those whose fields are all present.
pub(crate) fn default_rules(kinds: &[Kind]) -> Vec<Rule> {
    use Kind::*;
    use Part::*;
    type Spec = &'static [(Kind, Part)];
    // (rule, refinement when too loose)
    let plan: &[(Spec, Spec)] = &[
        (&[(Document, Exact)], &[]),
        (&[(Phone, Exact)], &[(BirthDate, Year)]),
        (&[(Email, Exact)], &[]),
        (&[(BirthDate, Exact), (Surname, FirstSkeleton)], &[]),
        (&[(BirthDate, Exact), (GivenName, FirstSkeleton)], &[]),
        (
            &[
                (GivenName, FirstSkeleton),
                (Surname, SortedFirst),
                (BirthDate, YearMonth),
            ],
            &[],
        ),
        (
            &[(GivenName, Prefix(3)), (Surname, Prefix(4))],
            &[(BirthDate, Year)],
        ),
        (
            &[(Postcode, Exact), (Surname, FirstSkeleton)],
            &[(GivenName, FirstSkeleton)],
        ),
        (
            &[(Postcode, Exact), (GivenName, FirstSkeleton)],
            &[(Surname, SortedFirst)],
        ),
        (
            &[(GivenName, FirstSkeleton), (Surname, LastToken)],
            &[(BirthDate, Year)],
        ),
        (&[(BirthDate, Exact), (Postcode, Exact)], &[]),
        (
            &[(Address, Exact), (StreetNumber, Exact)],
            &[(Postcode, Exact)],
        ),
        (&[(FullName, SortedTokens)], &[(BirthDate, Year)]),
        (&[(FullName, FirstSkeleton), (BirthDate, Exact)], &[]),
        (
            &[(FullName, FirstSkeleton), (Postcode, Exact)],
            &[(BirthDate, Year)],
        ),
        (&[(FullName, LastToken), (BirthDate, Year)], &[]),
    ];
    let field =
        |(kind, part): &(Kind, Part)| kinds.iter().position(|k| k == kind).map(|f| (f, *part));
    let mut rules = Vec::new();
    for (spec, refine) in plan {
        let parts: Option<Vec<(usize, Part)>> = spec.iter().map(field).collect();
        if let Some(parts) = parts {
            let refine = refine
                .iter()
                .map(field)
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default();
            rules.push(Rule {
                label: label(kinds, &parts),
                parts,
                refine,
            });
        }
    }
    rules
}

fn part_name(p: Part) -> String {
    match p {
        Part::Exact => "exact".into(),
        Part::Prefix(n) => format!("prefix{n}"),
        Part::FirstSkeleton => "first_sound".into(),
        Part::LastToken => "last_word".into(),
        Part::SortedTokens => "sorted_words".into(),
        Part::SortedFirst => "first_sorted_word".into(),
        Part::Year => "year".into(),
        Part::YearMonth => "year_month".into(),
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn mix(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= u64::from(*b);
        *h = h.wrapping_mul(FNV_PRIME);
    }
    *h ^= 0xff;
    *h = h.wrapping_mul(FNV_PRIME);
}

fn first_token(s: &[u8]) -> &[u8] {
    s.split(|b| *b == b' ').next().unwrap_or(s)
}

fn last_token(s: &[u8]) -> &[u8] {
    s.rsplit(|b| *b == b' ').next().unwrap_or(s)
}

/// The rule's key for row `i`; 0 when a part is missing.
pub(crate) fn key(ds: &Dataset, rule: &Rule, i: usize) -> u64 {
    let mut h = FNV_OFFSET;
    for (f, part) in &rule.parts {
        let ok = match (&ds.cols[*f], part) {
            (Column::Name { folded, skel, .. }, part) => {
                let v = folded.get(i);
                if v.is_empty() {
                    false
                } else {
                    match part {
                        Part::Prefix(n) => mix(&mut h, &v[..v.len().min(*n)]),
                        Part::FirstSkeleton => mix(&mut h, first_token(skel.get(i))),
                        Part::LastToken => mix(&mut h, last_token(v)),
                        Part::SortedTokens => {
                            let mut t: Vec<&[u8]> =
                                v.split(|b| *b == b' ').filter(|t| !t.is_empty()).collect();
                            t.sort_unstable();
                            t.truncate(2);
                            for x in t {
                                mix(&mut h, x);
                            }
                        }
                        Part::SortedFirst => {
                            let t = v
                                .split(|b| *b == b' ')
                                .filter(|t| !t.is_empty())
                                .min()
                                .unwrap_or(v);
                            mix(&mut h, t)
                        }
                        _ => mix(&mut h, v),
                    }
                    true
                }
            }
            (Column::Date(d), part) => {
                let v = d[i];
                if v == 0 {
                    false
                } else {
                    let v = match part {
                        Part::Year => v / 10_000,
                        Part::YearMonth => v / 100,
                        _ => v,
                    };
                    mix(&mut h, &v.to_le_bytes());
                    true
                }
            }
            (Column::Document { core, .. }, _) => {
                let v = core.get(i);
                mix(&mut h, v);
                !v.is_empty()
            }
            (Column::Phone(p), _) => {
                mix(&mut h, &p[i].to_le_bytes());
                p[i] != 0
            }
            (Column::Sex(s), _) => {
                mix(&mut h, &[s[i]]);
                s[i] != 0
            }
            (Column::Text { norm, .. }, part) => {
                let v = norm.get(i);
                match part {
                    Part::Prefix(n) => mix(&mut h, &v[..v.len().min(*n)]),
                    _ => mix(&mut h, v),
                }
                !v.is_empty()
            }
        };
        if !ok {
            return 0;
        }
    }
    h.max(1)
}

/// What blocking did, per rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleStats {
    pub rule: String,
    pub pairs: u64,
    /// Blocks too large to compare all their pairs (a value shared by very many records,
    /// such as a placeholder date): their pairs were left to the other rules.
    pub skipped_blocks: u64,
    pub skipped_pairs: u64,
}

/// The pairs a rule's keys would bring together (blocks over the size limit left out).
fn pair_count(keys: &[u64], max_block: usize) -> u64 {
    let mut sorted: Vec<u64> = keys.iter().copied().filter(|k| *k != 0).collect();
    sorted.sort_unstable();
    let mut total = 0u64;
    for block in sorted.chunk_by(|a, b| a == b) {
        if block.len() <= max_block {
            total += (block.len() * (block.len() - 1) / 2) as u64;
        }
    }
    total
}

/// All candidate pairs `(i, j)`: in a dedupe `i < j`; in a link `i` is a left row and `j`
/// a right row. A rule that would bring together more than `budget` pairs is refined
/// first. Returns the rules as applied.
pub(crate) fn candidates(
    ds: &Dataset,
    rules: Vec<Rule>,
    max_block: usize,
    budget: u64,
) -> (Vec<(u32, u32)>, Vec<RuleStats>, Vec<Rule>) {
    let n = ds.len();
    let (rules, keys): (Vec<Rule>, Vec<Vec<u64>>) = rules
        .into_par_iter()
        .map(|r| {
            let keys: Vec<u64> = (0..n).map(|i| key(ds, &r, i)).collect();
            if !r.refine.is_empty() && pair_count(&keys, max_block) > budget {
                let fine = r.refined(&ds.kinds);
                let keys: Vec<u64> = (0..n).map(|i| key(ds, &fine, i)).collect();
                (fine, keys)
            } else {
                (r, keys)
            }
        })
        .unzip();
    let per_rule: Vec<(Vec<(u32, u32)>, RuleStats)> = (0..rules.len())
        .into_par_iter()
        .map(|r| {
            let mut order: Vec<(u64, u32)> = keys[r]
                .iter()
                .enumerate()
                .filter(|(_, k)| **k != 0)
                .map(|(i, k)| (*k, i as u32))
                .collect();
            order.sort_unstable();
            let mut pairs = Vec::new();
            let mut stats = RuleStats {
                rule: rules[r].label.clone(),
                pairs: 0,
                skipped_blocks: 0,
                skipped_pairs: 0,
            };
            let mut start = 0;
            while start < order.len() {
                let k = order[start].0;
                let mut end = start + 1;
                while end < order.len() && order[end].0 == k {
                    end += 1;
                }
                let block = &order[start..end];
                if block.len() > max_block {
                    stats.skipped_blocks += 1;
                    stats.skipped_pairs += (block.len() * (block.len() - 1) / 2) as u64;
                } else {
                    for (x, &(_, a)) in block.iter().enumerate() {
                        for &(_, b) in &block[x + 1..] {
                            let (i, j) = (a.min(b), a.max(b));
                            if let Some(split) = ds.split {
                                if (i as usize) >= split || (j as usize) < split {
                                    continue;
                                }
                            }
                            let seen = keys[..r].iter().any(|kq| {
                                let ki = kq[i as usize];
                                ki != 0 && ki == kq[j as usize]
                            });
                            if !seen {
                                pairs.push((i, j));
                            }
                        }
                    }
                }
                start = end;
            }
            stats.pairs = pairs.len() as u64;
            (pairs, stats)
        })
        .collect();
    let total = per_rule.iter().map(|(p, _)| p.len()).sum();
    let mut all = Vec::with_capacity(total);
    let mut stats = Vec::with_capacity(per_rule.len());
    for (p, s) in per_rule {
        all.extend_from_slice(&p);
        stats.push(s);
    }
    (all, stats, rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dataset, Table};

    #[test]
    fn year_month_rule_pairs_a_mistyped_day() {
        let mut t = Table::new(vec![
            ("g".into(), Kind::GivenName),
            ("s".into(), Kind::Surname),
            ("d".into(), Kind::BirthDate),
        ])
        .unwrap();
        t.push("a", &["Ana", "García López", "1980-03-07"]).unwrap();
        t.push("b", &["Anna", "García", "1980-03-17"]).unwrap();
        let ds = Dataset::dedupe(t);
        let rules = default_rules(&ds.kinds);
        let (pairs, stats, _) = candidates(&ds, rules, 100, 100);
        assert_eq!(pairs, vec![(0, 1)], "{stats:?}");
    }
}
