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
    /// Pairs of cells that are one figure published twice (the cases not closed are the
    /// funnel's total and a part of all the cases): hidden in one, hidden in both.
    pub same: Vec<(Cell, Cell)>,
    /// Cells suppressed from the start although their count is not small: a count of
    /// events (attendance marks, incidents) that are fewer people's than the threshold.
    pub few_people: Vec<Cell>,
    /// Lines of events, with the people each part's events are of: rule 5.
    pub people: Vec<(usize, Vec<u64>)>,
}

/// A cell of a table: (line, column), the column `parts.len()` being the line's total.
pub type Cell = (usize, usize);

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
/// smallest other non-zero cell among them (or the whole's cell) is suppressed too; a
/// cell of the whole that is suppressed while the lines' same cells are all shown is
/// their sum, so one of them goes too. Cells that are one figure published twice
/// (`same`) are suppressed together; cells counted for few people (`few_people`) are
/// suppressed as small ones, and rule 5 (`events_need_more`) holds for lines of
/// events.
pub fn suppress_related(lines: &[Line], rel: &Relations, threshold: u32) -> Vec<Shown> {
    let small = |v: u64| is_small(v, threshold);
    // hidden[i] = (parts hidden, total hidden)
    let mut hidden: Vec<(Vec<bool>, bool)> = lines
        .iter()
        .map(|l| (l.parts.iter().map(|&v| small(v)).collect(), small(l.total)))
        .collect();
    for &cell in &rel.few_people {
        hide(lines, &mut hidden, cell);
    }
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
        // 5. Events.
        for (i, people) in &rel.people {
            changed |= events_need_more(lines, *i, people, &mut hidden, threshold);
        }
        // One figure published twice.
        for &(a, b) in &rel.same {
            match (is_hidden(lines, &hidden, a), is_hidden(lines, &hidden, b)) {
                (true, false) => hide(lines, &mut hidden, b),
                (false, true) => hide(lines, &mut hidden, a),
                _ => continue,
            }
            changed = true;
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

/// The cases of a programme by phase and status as they are published twice: the
/// programme overview shows every (phase, status) count and the total, the dashboard's
/// funnel the cases not closed by phase and their total. Both come out of this one
/// suppression, so that neither gives back what the other hides (the funnel's figure
/// minus the open would be the suspended; the total minus the funnel's total, the
/// closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhasesShown {
    /// The (phase, status) counts, in the order given.
    pub cells: Vec<Option<u64>>,
    /// All the cases.
    pub total: Option<u64>,
    /// The cases not closed by phase, phases sorted by code.
    pub not_closed: Vec<(String, Option<u64>)>,
    pub not_closed_total: Option<u64>,
}

/// The status of a closed case (every other status is a case not closed).
const CLOSED: &str = "closed";

/// Suppresses the counts of cases by (phase, status) as [`PhasesShown`] says.
pub fn suppress_phases(cells: &[(String, String, u64)], threshold: u32) -> PhasesShown {
    let mut phases: Vec<&str> = Vec::new();
    let mut statuses: Vec<&str> = Vec::new();
    for (phase, status, _) in cells {
        if !phases.contains(&phase.as_str()) {
            phases.push(phase);
        }
        if status != CLOSED && !statuses.contains(&status.as_str()) {
            statuses.push(status);
        }
    }
    // Sorted, so that the same counts in any order are suppressed alike (which cell
    // goes when two are as small depends on the order).
    phases.sort_unstable();
    statuses.sort_unstable();
    let by_phase = |pick: &dyn Fn(&str) -> bool| -> Vec<u64> {
        phases
            .iter()
            .map(|p| {
                cells
                    .iter()
                    .filter(|(ph, st, _)| ph == p && pick(st))
                    .map(|c| c.2)
                    .sum()
            })
            .collect()
    };
    let with_total = |parts: Vec<u64>| Line {
        total: parts.iter().sum(),
        parts,
        within: None,
    };
    // 0: not closed by phase (the funnel); 1: closed by phase; 2: all = not closed +
    // closed; 3…: one line per status not closed, which together make up line 0.
    let not_closed = with_total(by_phase(&|st| st != CLOSED));
    let closed = with_total(by_phase(&|st| st == CLOSED));
    let all = with_total(vec![not_closed.total, closed.total]);
    let mut lines = vec![not_closed, closed, all];
    for status in &statuses {
        lines.push(with_total(by_phase(&|st| st == *status)));
    }
    let n = phases.len();
    let rel = Relations {
        splits: vec![Split {
            whole: 0,
            parts: (3..lines.len()).collect(),
        }],
        same: vec![((0, n), (2, 0)), ((1, n), (2, 1))],
        ..Relations::default()
    };
    let shown = suppress_related(&lines, &rel, threshold);
    let part = |line: usize, c: usize| {
        shown
            .get(line)
            .and_then(|s| s.parts.get(c).copied().flatten())
    };
    PhasesShown {
        cells: cells
            .iter()
            .map(|(phase, status, _)| {
                let c = phases.iter().position(|p| p == phase).unwrap_or(n);
                let line = if status == CLOSED {
                    1
                } else {
                    3 + statuses
                        .iter()
                        .position(|s| s == status)
                        .unwrap_or(usize::MAX - 3)
                };
                part(line, c)
            })
            .collect(),
        total: shown.get(2).and_then(|s| s.total),
        not_closed: phases
            .iter()
            .enumerate()
            .map(|(c, p)| (p.to_string(), part(0, c)))
            .collect(),
        not_closed_total: shown.first().and_then(|s| s.total),
    }
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

/// Rule 5 for a line of events: when its total is shown, the events of its suppressed
/// cells (the total minus the others) must be of at least the threshold's people. A
/// cell's people only bound the people of several cells (the same person may be in
/// each), so one suppressed cell must be of that many people by itself; otherwise the
/// smallest shown cell that is goes too, or the total.
fn events_need_more(
    lines: &[Line],
    i: usize,
    people: &[u64],
    hidden: &mut [(Vec<bool>, bool)],
    threshold: u32,
) -> bool {
    let (Some(line), Some(h)) = (lines.get(i), hidden.get_mut(i)) else {
        return false;
    };
    if h.1 {
        return false;
    }
    let enough = |c: usize| people.get(c).is_some_and(|&p| p >= u64::from(threshold));
    let cells = || line.parts.iter().enumerate().filter(|(_, &v)| v > 0);
    let hidden_cells: Vec<usize> = cells()
        .filter(|(c, _)| h.0.get(*c).copied().unwrap_or(false))
        .map(|(c, _)| c)
        .collect();
    if hidden_cells.is_empty() || hidden_cells.iter().any(|&c| enough(c)) {
        return false;
    }
    let next = cells()
        .filter(|(c, _)| !h.0.get(*c).copied().unwrap_or(true) && enough(*c))
        .min_by_key(|(_, &v)| v)
        .map(|(c, _)| c);
    match next.and_then(|c| h.0.get_mut(c)) {
        Some(x) => *x = true,
        None => h.1 = true,
    }
    true
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
    let mut changed = false;
    for c in 0..=whole.parts.len() {
        let cells: Vec<(usize, u64, bool)> = split
            .parts
            .iter()
            .filter_map(|&i| {
                lines
                    .get(i)
                    .map(|l| (i, value(l, c), is_hidden(lines, hidden, (i, c))))
            })
            .collect();
        let n_hidden = cells.iter().filter(|x| x.2).count();
        let smallest_shown = cells.iter().filter(|x| !x.2 && x.1 > 0).min_by_key(|x| x.1);
        if is_hidden(lines, hidden, (split.whole, c)) {
            // A suppressed whole must not be the sum of its shown lines.
            if n_hidden == 0 {
                if let Some(&(i, _, _)) = smallest_shown {
                    hide(lines, hidden, (i, c));
                    changed = true;
                }
            }
            continue;
        }
        let hidden_sum: u64 = cells.iter().filter(|x| x.2).map(|x| x.1).sum();
        if n_hidden == 0 || (n_hidden >= 2 && hidden_sum >= u64::from(threshold)) {
            continue;
        }
        match smallest_shown {
            Some(&(i, _, _)) => hide(lines, hidden, (i, c)),
            None => hide(lines, hidden, (split.whole, c)),
        }
        changed = true;
    }
    changed
}

/// A cell's count.
fn value(l: &Line, c: usize) -> u64 {
    if c == l.parts.len() {
        l.total
    } else {
        l.parts.get(c).copied().unwrap_or(0)
    }
}

/// Whether a cell is suppressed (a cell that does not exist is).
fn is_hidden(lines: &[Line], hidden: &[(Vec<bool>, bool)], (i, c): Cell) -> bool {
    hidden.get(i).is_none_or(|(p, t)| {
        if c == lines.get(i).map_or(0, |l| l.parts.len()) {
            *t
        } else {
            p.get(c).copied().unwrap_or(true)
        }
    })
}

fn hide(lines: &[Line], hidden: &mut [(Vec<bool>, bool)], (i, c): Cell) {
    let n = lines.get(i).map_or(0, |l| l.parts.len());
    if let Some((p, t)) = hidden.get_mut(i) {
        if c == n {
            *t = true;
        } else if let Some(x) = p.get_mut(c) {
            *x = true;
        }
    }
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
            ..Relations::default()
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

    #[test]
    fn the_overview_and_the_funnel_come_out_of_one_suppression() {
        let cell = |p: &str, s: &str, n: u64| (p.to_string(), s.to_string(), n);
        // 6 open and 2 suspended in intake, 5 open in plan: the funnel's 8 with the
        // overview's 6 would give the 2 away.
        let t = vec![
            cell("intake", "open", 6),
            cell("intake", "suspended", 2),
            cell("plan", "open", 5),
        ];
        let s = suppress_phases(&t, 5);
        assert_eq!(s.cells, vec![None, None, Some(5)]);
        assert_eq!(s.total, Some(13));
        assert_eq!(
            s.not_closed,
            vec![("intake".into(), Some(8)), ("plan".into(), Some(5))]
        );
        // 3 closed: the total minus the funnel's total would give them back.
        let t = vec![
            cell("intake", "open", 20),
            cell("plan", "open", 10),
            cell("plan", "closed", 3),
        ];
        let s = suppress_phases(&t, 5);
        assert_eq!(s.cells.get(2), Some(&None));
        assert!(
            s.total.is_none() || s.not_closed_total.is_none(),
            "{s:?}: 33 − 30 = 3"
        );
    }

    #[test]
    fn random_phase_tables_reveal_nobody() {
        let mut seed: u64 = 0xca5e_5eed;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let statuses = ["open", "suspended", "closed"];
        for _ in 0..3000 {
            let k = 2 + next(6) as u32;
            let phases = 1 + next(5) as usize;
            let mut t = Vec::new();
            for p in 0..phases {
                for st in statuses {
                    if next(4) > 0 {
                        let n = if next(3) == 0 { next(5) } else { next(40) };
                        t.push((format!("p{p}"), st.to_string(), n));
                    }
                }
            }
            let s = suppress_phases(&t, k);
            let small = |v: &Option<u64>| v.is_some_and(|v| is_small(v, k));
            assert!(!s.cells.iter().any(small), "{t:?} → {s:?}");
            assert!(!s.not_closed.iter().any(|x| small(&x.1)), "{t:?} → {s:?}");
            assert!(!small(&s.total) && !small(&s.not_closed_total));
            // What is hidden among a set of cells whose sum is published must be two
            // cells or more holding the threshold together.
            let guarded = |members: Vec<usize>, sum_shown: bool| {
                let hidden: Vec<u64> = members
                    .iter()
                    .filter(|&&i| s.cells[i].is_none())
                    .map(|&i| t[i].2)
                    .collect();
                if sum_shown && !hidden.is_empty() {
                    assert!(hidden.len() >= 2, "{t:?} → {s:?}");
                    assert!(hidden.iter().sum::<u64>() >= u64::from(k), "{t:?} → {s:?}");
                }
            };
            for (name, shown) in &s.not_closed {
                let members: Vec<usize> = (0..t.len())
                    .filter(|&i| &t[i].0 == name && t[i].1 != "closed")
                    .collect();
                // A hidden phase is not the sum of its shown cells.
                if shown.is_none() {
                    assert!(
                        members.iter().any(|&i| s.cells[i].is_none()),
                        "{t:?} → {s:?}"
                    );
                }
                guarded(members, shown.is_some());
            }
            // The funnel's total minus its shown phases.
            if s.not_closed_total.is_some() {
                let hidden: Vec<u64> = s
                    .not_closed
                    .iter()
                    .filter(|x| x.1.is_none())
                    .map(|(name, _)| {
                        t.iter()
                            .filter(|c| &c.0 == name && c.1 != "closed")
                            .map(|c| c.2)
                            .sum()
                    })
                    .collect();
                if !hidden.is_empty() {
                    assert!(hidden.len() >= 2, "{t:?} → {s:?}");
                    assert!(hidden.iter().sum::<u64>() >= u64::from(k), "{t:?} → {s:?}");
                }
            }
            // The closed are the total minus the funnel's total.
            let closed = (0..t.len()).filter(|&i| t[i].1 == "closed").collect();
            guarded(closed, s.total.is_some() && s.not_closed_total.is_some());
            // Every cell adds up to the total.
            guarded((0..t.len()).collect(), s.total.is_some());
        }
    }
}
