//! Statistical disclosure control: what a programme manager, a funder or a coordination
//! body sees of counts of people never singles one out.
//!
//! A published table is a list of lines; a line has parts (e.g. women, men, non-binary
//! persons; or the phases of a programme) and their total, and may be *within* another
//! line (the long-term unemployed are within the unemployed, who are within all the
//! participants). The rules, applied until nothing changes:
//!
//! 1. **Small cells.** A count between 1 and the threshold − 1 is suppressed.
//! 2. **Totals.** When a line's total is shown, the cells suppressed in it cannot be
//!    deduced from it: at least two are suppressed and together they hold at least the
//!    threshold; otherwise the smallest other non-zero cell (or the total) is suppressed
//!    too. A total that is suppressed while all its parts are shown is deduced by adding
//!    them, so a part goes too.
//! 3. **Differences.** For a line within another, no shown cell differs from the same
//!    cell of the enclosing line by 1 to threshold − 1 (the difference would be a small
//!    group of people), or the inner cell is suppressed.
//!
//! Zero is shown: it says nobody, and reveals nobody.

/// The default threshold: counts of 1 to 4 are not published.
pub const DEFAULT_THRESHOLD: u32 = 5;

/// One line of counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub parts: Vec<u64>,
    pub total: u64,
    /// The index of the line this one is within (a subset of), if any.
    pub within: Option<usize>,
}

/// A line as published: `None` for a suppressed cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub parts: Vec<Option<u64>>,
    pub total: Option<u64>,
}

/// Whether a count is small enough to single people out.
pub fn is_small(v: u64, threshold: u32) -> bool {
    v > 0 && v < u64::from(threshold)
}

/// A single figure (not part of a table) as published.
pub fn single(v: u64, threshold: u32) -> Option<u64> {
    (!is_small(v, threshold)).then_some(v)
}

/// Applies the rules above to a table. `threshold` ≤ 1 publishes everything.
pub fn suppress(lines: &[Line], threshold: u32) -> Vec<Shown> {
    suppress_related(lines, &Relations::default(), threshold)
}

/// What else a table's lines say of each other, beyond each line's `within`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    /// More (inner, outer) pairs: the long-term unemployed are within the unemployed
    /// as well as within all the participants.
    pub within: Vec<(usize, usize)>,
    /// Lines that, with people the table does not count in any of them (whose fact is
    /// missing), make up a whole line: the unemployed, the inactive and the employed
    /// make up the participants.
    pub splits: Vec<Split>,
}

/// Lines (`parts`) that, with a remainder, make up the line `whole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub whole: usize,
    pub parts: Vec<usize>,
}

/// Applies the rules above, and rule 4: **splits.** When lines make up a whole (with a
/// remainder an outsider is taken to know), each cell of the whole that is shown is a
/// total of the lines' same cells, and rule 2 holds across them: the cells suppressed
/// among the lines are at least two and hold at least the threshold together, or the
/// smallest other non-zero cell among them (or the whole's cell) is suppressed too.
pub fn suppress_related(lines: &[Line], rel: &Relations, threshold: u32) -> Vec<Shown> {
    let small = |v: u64| is_small(v, threshold);
    // hidden[i] = (parts hidden, total hidden)
    let mut hidden: Vec<(Vec<bool>, bool)> = lines
        .iter()
        .map(|l| (l.parts.iter().map(|&v| small(v)).collect(), small(l.total)))
        .collect();
    let pairs: Vec<(usize, usize)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.within.map(|j| (i, j)))
        .chain(rel.within.iter().copied())
        .collect();
    loop {
        let mut changed = false;
        for (i, line) in lines.iter().enumerate() {
            // 3. Differences with the enclosing lines.
            for &(_, j) in pairs.iter().filter(|p| p.0 == i) {
                changed |= differences(lines, i, j, &mut hidden, threshold);
            }
            // 2. The line's own total.
            if let Some(h) = hidden.get_mut(i) {
                if line_needs_more(line, h, threshold) {
                    hide_one_more(line, h);
                    changed = true;
                }
            }
        }
        // 4. Splits.
        for split in &rel.splits {
            changed |= split_needs_more(lines, split, &mut hidden, threshold);
        }
        if !changed {
            break;
        }
    }
    lines
        .iter()
        .zip(hidden)
        .map(|(l, (hp, ht))| Shown {
            parts: l
                .parts
                .iter()
                .zip(hp)
                .map(|(&v, h)| (!h).then_some(v))
                .collect(),
            total: (!ht).then_some(l.total),
        })
        .collect()
}

/// Rule 3 for line `i` within line `j`; whether it hid anything.
fn differences(
    lines: &[Line],
    i: usize,
    j: usize,
    hidden: &mut [(Vec<bool>, bool)],
    threshold: u32,
) -> bool {
    let small = |v: u64| is_small(v, threshold);
    let (Some(line), Some(o)) = (lines.get(i), lines.get(j)) else {
        return false;
    };
    let Some((oparts, ototal)) = hidden.get(j).cloned() else {
        return false;
    };
    let Some(h) = hidden.get_mut(i) else {
        return false;
    };
    let mut changed = false;
    for (c, v) in line.parts.iter().enumerate() {
        let ov = o.parts.get(c).copied().unwrap_or(0);
        let o_shown = !oparts.get(c).copied().unwrap_or(true);
        if let Some(hc) = h.0.get_mut(c) {
            if !*hc && o_shown && small(ov.saturating_sub(*v)) {
                *hc = true;
                changed = true;
            }
        }
    }
    if !h.1 && !ototal && small(o.total.saturating_sub(line.total)) {
        h.1 = true;
        changed = true;
    }
    changed
}

/// Rule 4 for one split; whether it hid anything.
fn split_needs_more(
    lines: &[Line],
    split: &Split,
    hidden: &mut [(Vec<bool>, bool)],
    threshold: u32,
) -> bool {
    let Some(whole) = lines.get(split.whole) else {
        return false;
    };
    // A cell: a part (column < parts.len()) or the total (column = parts.len()).
    let value = |l: &Line, c: usize| {
        if c == l.parts.len() {
            l.total
        } else {
            l.parts.get(c).copied().unwrap_or(0)
        }
    };
    let is_hidden = |h: &[(Vec<bool>, bool)], i: usize, c: usize| {
        h.get(i).is_none_or(|(p, t)| {
            if c == lines.get(i).map_or(0, |l| l.parts.len()) {
                *t
            } else {
                p.get(c).copied().unwrap_or(true)
            }
        })
    };
    let hide = |h: &mut [(Vec<bool>, bool)], i: usize, c: usize| {
        let n = lines.get(i).map_or(0, |l| l.parts.len());
        if let Some((p, t)) = h.get_mut(i) {
            if c == n {
                *t = true;
            } else if let Some(x) = p.get_mut(c) {
                *x = true;
            }
        }
    };
    let mut changed = false;
    for c in 0..=whole.parts.len() {
        if is_hidden(hidden, split.whole, c) {
            continue;
        }
        let cells: Vec<(usize, u64, bool)> = split
            .parts
            .iter()
            .filter_map(|&i| {
                lines
                    .get(i)
                    .map(|l| (i, value(l, c), is_hidden(hidden, i, c)))
            })
            .collect();
        let hidden_sum: u64 = cells.iter().filter(|x| x.2).map(|x| x.1).sum();
        let n_hidden = cells.iter().filter(|x| x.2).count();
        if n_hidden == 0 || (n_hidden >= 2 && hidden_sum >= u64::from(threshold)) {
            continue;
        }
        match cells.iter().filter(|x| !x.2 && x.1 > 0).min_by_key(|x| x.1) {
            Some(&(i, _, _)) => hide(hidden, i, c),
            None => hide(hidden, split.whole, c),
        }
        changed = true;
    }
    changed
}

fn line_needs_more(line: &Line, h: &(Vec<bool>, bool), threshold: u32) -> bool {
    let hidden_parts: Vec<u64> = line
        .parts
        .iter()
        .zip(&h.0)
        .filter(|(_, &hid)| hid)
        .map(|(&v, _)| v)
        .collect();
    if h.1 {
        // The total is hidden: it must not be the sum of shown parts.
        hidden_parts.is_empty() && line.total > 0 && !line.parts.is_empty()
    } else if hidden_parts.is_empty() {
        false
    } else {
        let sum: u64 = hidden_parts.iter().sum();
        hidden_parts.len() == 1 || sum < u64::from(threshold)
    }
}

fn hide_one_more(line: &Line, h: &mut (Vec<bool>, bool)) {
    let candidate = line
        .parts
        .iter()
        .enumerate()
        .filter(|(c, &v)| v > 0 && !h.0.get(*c).copied().unwrap_or(true))
        .min_by_key(|(_, &v)| v)
        .map(|(c, _)| c);
    match candidate {
        Some(c) => {
            if let Some(x) = h.0.get_mut(c) {
                *x = true;
            }
        }
        None => h.1 = true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(parts: &[u64], within: Option<usize>) -> Line {
        Line {
            parts: parts.to_vec(),
            total: parts.iter().sum(),
            within,
        }
    }

    /// What an outsider can deduce is checked directly: every published cell is 0 or at
    /// least the threshold, no total gives away a suppressed cell, no difference between
    /// a line and the line it is within is a small group.
    fn check(lines: &[Line], shown: &[Shown], k: u32) {
        for (l, s) in lines.iter().zip(shown) {
            for v in s.parts.iter().flatten().chain(s.total.iter()) {
                assert!(!is_small(*v, k), "small cell {v} shown in {l:?} → {s:?}");
            }
            let hidden: Vec<u64> = l
                .parts
                .iter()
                .zip(&s.parts)
                .filter(|(_, p)| p.is_none())
                .map(|(v, _)| *v)
                .collect();
            if s.total.is_some() && !hidden.is_empty() {
                assert!(
                    hidden.len() >= 2,
                    "one hidden cell under a shown total: {l:?}"
                );
                assert!(
                    hidden.iter().sum::<u64>() >= u64::from(k),
                    "hidden cells deducible as a small sum: {l:?} → {s:?}"
                );
            }
            if s.total.is_none() && l.total > 0 && !l.parts.is_empty() {
                assert!(
                    s.parts.iter().any(Option::is_none),
                    "hidden total is the sum of shown parts: {l:?}"
                );
            }
            if let Some(j) = l.within {
                let (o, os) = (&lines[j], &shown[j]);
                for c in 0..l.parts.len() {
                    if let (Some(a), Some(b)) = (s.parts[c], os.parts[c]) {
                        assert!(
                            !is_small(b - a, k),
                            "difference {b}-{a} in {l:?} within {o:?}"
                        );
                    }
                }
                if let (Some(a), Some(b)) = (s.total, os.total) {
                    assert!(!is_small(b - a, k), "difference of totals {b}-{a}");
                }
            }
        }
    }

    #[test]
    fn lines_that_split_a_whole_are_suppressed_together() {
        // Women and men entering: 30 = 3 + 15 + 12 by education (women), 20 = 10 + 5 + 5
        // (men). The 3 go, and so does another cell of that column; the men's column
        // has nothing small.
        let lines = vec![
            line(&[30, 20], None),
            line(&[3, 10], Some(0)),
            line(&[15, 5], Some(0)),
            line(&[12, 5], Some(0)),
        ];
        let rel = Relations {
            within: vec![],
            splits: vec![Split {
                whole: 0,
                parts: vec![1, 2, 3],
            }],
        };
        let shown = suppress_related(&lines, &rel, 5);
        check(&lines, &shown, 5);
        assert_eq!(shown[1].parts[0], None);
        // In each column whose whole is shown, the hidden cells of the split are none,
        // or two or more holding at least 5 together: no one cell is whole − others.
        for col in 0..2 {
            let hidden: Vec<u64> = lines
                .iter()
                .zip(&shown)
                .skip(1)
                .filter(|(_, s)| s.parts[col].is_none())
                .map(|(l, _)| l.parts[col])
                .collect();
            assert!(
                hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= 5),
                "column {col}: {shown:?}"
            );
        }
        // Without the split, 30 − 15 − 12 would have told the 3.
        let plain = suppress(&lines, 5);
        assert_eq!(plain[2].parts[0], Some(15));
        assert_eq!(plain[3].parts[0], Some(12));
    }

    #[test]
    fn small_cells_and_their_complements_go() {
        // 3 women, 20 men, 0 non-binary: the women are hidden, and so must be one more
        // cell, or 23 − 20 gives them away.
        let lines = vec![line(&[3, 20, 0], None)];
        let s = suppress(&lines, 5);
        assert_eq!(s[0].parts[0], None);
        assert!(s[0].parts[1].is_none() || s[0].total.is_none());
        assert_eq!(s[0].parts[2], Some(0));
        check(&lines, &s, 5);
    }

    #[test]
    fn large_counts_are_published_whole() {
        let lines = vec![line(&[30, 25, 0], None), line(&[10, 12, 0], Some(0))];
        let s = suppress(&lines, 5);
        assert_eq!(s[0].parts, vec![Some(30), Some(25), Some(0)]);
        assert_eq!(s[0].total, Some(55));
        assert_eq!(s[1].total, Some(22));
    }

    #[test]
    fn a_difference_of_two_published_figures_is_not_a_small_group() {
        // All participants 40 women; of them 38 unemployed: 2 women are not. The inner
        // line's cell goes.
        let lines = vec![line(&[40, 40, 0], None), line(&[38, 30, 0], Some(0))];
        let s = suppress(&lines, 5);
        assert_eq!(s[1].parts[0], None);
        check(&lines, &s, 5);
    }

    #[test]
    fn threshold_one_publishes_everything() {
        let lines = vec![line(&[1, 2, 3], None)];
        assert_eq!(suppress(&lines, 1)[0].total, Some(6));
        assert_eq!(single(3, 5), None);
        assert_eq!(single(0, 5), Some(0));
        assert_eq!(single(7, 5), Some(7));
    }

    #[test]
    fn random_tables_reveal_nobody() {
        // A deterministic generator: many shapes of table, small and large counts mixed.
        let mut seed: u64 = 0x5eed_1234;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        for _ in 0..5000 {
            let k = 2 + next(9) as u32;
            let width = 1 + next(5) as usize;
            let mut lines: Vec<Line> = Vec::new();
            let outer: Vec<u64> = (0..width).map(|_| next(30)).collect();
            lines.push(line(&outer, None));
            for _ in 0..next(6) {
                let parent = next(lines.len() as u64) as usize;
                let p = lines[parent].parts.clone();
                let inner: Vec<u64> = p.iter().map(|&v| v - next(v + 1).min(v)).collect();
                lines.push(line(&inner, Some(parent)));
            }
            let s = suppress(&lines, k);
            check(&lines, &s, k);
        }
    }
}
