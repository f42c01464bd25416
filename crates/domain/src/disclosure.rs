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
    let small = |v: u64| is_small(v, threshold);
    // hidden[i] = (parts hidden, total hidden)
    let mut hidden: Vec<(Vec<bool>, bool)> = lines
        .iter()
        .map(|l| (l.parts.iter().map(|&v| small(v)).collect(), small(l.total)))
        .collect();
    loop {
        let mut changed = false;
        for (i, line) in lines.iter().enumerate() {
            // 3. Differences with the enclosing line.
            if let Some(outer) = line.within.and_then(|j| lines.get(j).map(|o| (j, o))) {
                let (j, o) = outer;
                let outer_hidden = hidden.get(j).cloned();
                if let (Some((oparts, ototal)), Some(h)) = (outer_hidden, hidden.get_mut(i)) {
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
                }
            }
            // 2. The line's own total.
            if let Some(h) = hidden.get_mut(i) {
                if line_needs_more(line, h, threshold) {
                    hide_one_more(line, h);
                    changed = true;
                }
            }
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
