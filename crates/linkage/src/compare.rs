//! Comparison levels: how far two values of one field agree, from 0 ("different") up to
//! the kind's top level ("exact"). `None` means one side is missing, which is neither
//! evidence for nor against a match.

// A numeric kernel: its indexes are record, field and level positions in arrays it
// built and sized itself, so `clippy::indexing_slicing` (denied in the workspace) is
// allowed in the engine's kernels (block, cluster, compare, model, text, lib) and never
// in its input parsing (`field`), where values come from people's files.
#![allow(clippy::indexing_slicing)]

use crate::field::{Column, Kind, Strs};
use crate::text::{edit_distance_within, jaro_winkler, jaro_winkler_bound};

/// Jaro–Winkler when it may reach `floor`, else 0 (without running the quadratic loop).
fn similarity(a: &[u8], b: &[u8], floor: f32) -> f32 {
    if jaro_winkler_bound(a, b) < floor {
        0.0
    } else {
        jaro_winkler(a, b)
    }
}

/// The levels of a kind, worst first: stable codes for the API and the explanations.
pub fn level_codes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::GivenName | Kind::Surname | Kind::FullName => {
            &["different", "similar", "close", "variant", "exact"]
        }
        Kind::BirthDate => &[
            "different",
            "same_year",
            "one_digit",
            "day_month_swapped",
            "exact",
        ],
        Kind::Sex | Kind::Region => &["different", "exact"],
        Kind::Document => &["different", "typo", "exact"],
        Kind::Phone | Kind::Postcode | Kind::StreetNumber => {
            &["different", "one_character", "exact"]
        }
        Kind::Email => &["different", "typo_or_same_user", "exact"],
        Kind::Municipality | Kind::Address | Kind::Text => {
            &["different", "similar", "close", "exact"]
        }
    }
}

pub fn level_count(kind: Kind) -> usize {
    level_codes(kind).len()
}

/// Prior share of true matches at each level (worst first), used to start the EM and
/// to keep the estimates sane when the data are few.
pub(crate) fn m_prior(kind: Kind) -> &'static [f64] {
    match level_count(kind) {
        2 => &[0.05, 0.95],
        3 => &[0.05, 0.10, 0.85],
        4 => &[0.04, 0.04, 0.12, 0.80],
        _ => &[0.03, 0.03, 0.06, 0.08, 0.80],
    }
}

const SIMILAR: f32 = 0.80;
const CLOSE: f32 = 0.92;
const MAX_TOKENS: usize = 8;

/// Up to eight space-separated tokens of a byte string, without allocating.
struct Tokens<'a> {
    items: [&'a [u8]; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn of(s: &'a [u8]) -> Self {
        let mut items: [&[u8]; MAX_TOKENS] = [&[]; MAX_TOKENS];
        let mut len = 0;
        for t in s.split(|b| *b == b' ') {
            if !t.is_empty() && len < MAX_TOKENS {
                items[len] = t;
                len += 1;
            }
        }
        Tokens { items, len }
    }

    fn as_slice(&self) -> &[&'a [u8]] {
        &self.items[..self.len]
    }

    fn sorted(mut self) -> Self {
        self.items[..self.len].sort_unstable();
        self
    }

    fn contains(&self, t: &[u8]) -> bool {
        self.as_slice().contains(&t)
    }
}

/// Compares rows `i` and `j` of a prepared column.
#[inline]
pub(crate) fn compare(kind: Kind, col: &Column, i: usize, j: usize) -> Option<u8> {
    match col {
        Column::Name {
            folded,
            canon,
            skel,
            ..
        } => compare_names(kind, folded, canon, skel, i, j),
        Column::Date(d) => compare_dates(d[i], d[j]),
        Column::Sex(s) => match (s[i], s[j]) {
            (0, _) | (_, 0) => None,
            (a, b) => Some(u8::from(a == b)),
        },
        Column::Document { norm, core } => {
            let (a, b) = (norm.get(i), norm.get(j));
            if a.is_empty() || b.is_empty() {
                return None;
            }
            if a == b {
                return Some(2);
            }
            let typo = core.get(i) == core.get(j) || edit_distance_within(a, b, 1) <= 1;
            Some(u8::from(typo))
        }
        Column::Phone(p) => match (p[i], p[j]) {
            (0, _) | (_, 0) => None,
            (a, b) if a == b => Some(2),
            (a, b) => {
                let (x, y) = (digits::<9>(a), digits::<9>(b));
                Some(u8::from(edit_distance_within(&x, &y, 1) <= 1))
            }
        },
        Column::Text { norm, .. } => compare_text(kind, norm, i, j),
    }
}

fn compare_names(
    kind: Kind,
    folded: &Strs,
    canon: &Strs,
    skel: &Strs,
    i: usize,
    j: usize,
) -> Option<u8> {
    let (a, b) = (folded.get(i), folded.get(j));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(4);
    }
    if canon.get(i) == canon.get(j) {
        return Some(3);
    }
    let (ta, tb) = (Tokens::of(a), Tokens::of(b));
    let (short, long) = if ta.len <= tb.len {
        (&ta, &tb)
    } else {
        (&tb, &ta)
    };
    let variant = match kind {
        // "María" and "María José"; "M. José" and "María José".
        Kind::GivenName => {
            (short.len == 1 && long.len > 1 && long.items[0] == short.items[0])
                || (ta.len == tb.len
                    && ta.len > 1
                    && ta
                        .as_slice()
                        .iter()
                        .zip(tb.as_slice())
                        .all(|(x, y)| x == y || initial_of(x, y) || initial_of(y, x)))
        }
        // "García López", "López García" and "García".
        Kind::Surname | Kind::FullName => {
            (short.len == 1 && kind == Kind::Surname && long.contains(short.items[0]))
                || (ta.len == tb.len
                    && Tokens::of(a).sorted().as_slice() == Tokens::of(b).sorted().as_slice())
                || (kind == Kind::FullName
                    && short.len >= 2
                    && short.as_slice().iter().all(|t| long.contains(t)))
        }
        _ => false,
    };
    if variant {
        return Some(3);
    }
    let (sa, sb) = (skel.get(i), skel.get(j));
    if sa == sb && !sa.is_empty() {
        return Some(2);
    }
    let jw = similarity(a, b, SIMILAR);
    if jw >= CLOSE {
        return Some(2);
    }
    if kind != Kind::GivenName && short.as_slice().iter().any(|t| long.contains(t)) {
        return Some(1);
    }
    if jw >= SIMILAR {
        return Some(1);
    }
    Some(0)
}

/// The last `N` decimal digits of `n`, zero-padded, as ASCII.
fn digits<const N: usize>(mut n: u64) -> [u8; N] {
    let mut out = [b'0'; N];
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

fn initial_of(initial: &[u8], word: &[u8]) -> bool {
    initial.len() == 1 && word.first() == initial.first()
}

fn compare_dates(a: u32, b: u32) -> Option<u8> {
    if a == 0 || b == 0 {
        return None;
    }
    if a == b {
        return Some(4);
    }
    let (ya, ma, da) = (a / 10_000, a / 100 % 100, a % 100);
    let (yb, mb, db) = (b / 10_000, b / 100 % 100, b % 100);
    if ya == yb && ma == db && da == mb {
        return Some(3);
    }
    let (x, y) = (digits::<8>(u64::from(a)), digits::<8>(u64::from(b)));
    if edit_distance_within(&x, &y, 1) <= 1 {
        return Some(2);
    }
    Some(u8::from(ya == yb))
}

fn compare_text(kind: Kind, norm: &Strs, i: usize, j: usize) -> Option<u8> {
    let (a, b) = (norm.get(i), norm.get(j));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let top = (level_count(kind) - 1) as u8;
    if a == b {
        return Some(top);
    }
    match kind {
        Kind::Region => Some(0),
        Kind::Postcode | Kind::StreetNumber => Some(u8::from(edit_distance_within(a, b, 1) <= 1)),
        Kind::Email => {
            let local =
                |s: &'_ [u8]| -> usize { s.iter().position(|c| *c == b'@').unwrap_or(s.len()) };
            let same_user = a[..local(a)] == b[..local(b)];
            Some(u8::from(same_user || edit_distance_within(a, b, 1) <= 1))
        }
        _ => {
            let jw = similarity(a, b, SIMILAR);
            Some(if jw >= CLOSE {
                2
            } else if jw >= SIMILAR {
                1
            } else {
                0
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::prepare;

    fn col(kind: Kind, values: &[&str]) -> Column {
        let mut raw = Strs::default();
        for v in values {
            raw.push(v);
        }
        prepare(kind, &raw)
    }

    fn level(kind: Kind, a: &str, b: &str) -> Option<&'static str> {
        let c = col(kind, &[a, b]);
        compare(kind, &c, 0, 1).map(|l| level_codes(kind)[l as usize])
    }

    #[test]
    fn given_names() {
        let k = Kind::GivenName;
        assert_eq!(level(k, "María José", "MARIA JOSE"), Some("exact"));
        assert_eq!(level(k, "M.ª José", "María José"), Some("exact"));
        assert_eq!(level(k, "Pepe", "José"), Some("variant"));
        assert_eq!(level(k, "Paco", "Francisco"), Some("variant"));
        assert_eq!(level(k, "Peppe", "Giuseppe"), Some("variant"));
        assert_eq!(level(k, "María", "María José"), Some("variant"));
        assert_eq!(level(k, "M. José", "María José"), Some("exact"));
        assert_eq!(level(k, "J. Antonio", "José Antonio"), Some("variant"));
        assert_eq!(level(k, "Majo", "María José"), Some("variant"));
        assert_eq!(level(k, "Mohammed", "Muhamad"), Some("close"));
        assert_eq!(level(k, "Micheal", "Michael"), Some("close"));
        assert_eq!(level(k, "Ana", "Pedro"), Some("different"));
        assert_eq!(level(k, "", "Pedro"), None);
    }

    #[test]
    fn surnames() {
        let k = Kind::Surname;
        assert_eq!(level(k, "García López", "garcia lopez"), Some("exact"));
        assert_eq!(level(k, "García López", "López García"), Some("variant"));
        assert_eq!(level(k, "García", "García López"), Some("variant"));
        assert_eq!(level(k, "López", "García López"), Some("variant"));
        assert_eq!(level(k, "de la Fuente", "Fuente"), Some("exact"));
        assert_eq!(level(k, "Vázquez", "Basquez"), Some("close"));
        assert_eq!(level(k, "García López", "García Martín"), Some("similar"));
        assert_eq!(level(k, "Rossi", "Ndiaye"), Some("different"));
    }

    #[test]
    fn full_names() {
        let k = Kind::FullName;
        assert_eq!(
            level(k, "Ana García López", "García López, Ana"),
            Some("variant")
        );
        assert_eq!(level(k, "Ana García", "Ana García López"), Some("variant"));
    }

    #[test]
    fn birth_dates() {
        let k = Kind::BirthDate;
        assert_eq!(level(k, "1980-03-07", "07/03/1980"), Some("exact"));
        assert_eq!(
            level(k, "1980-03-07", "1980-07-03"),
            Some("day_month_swapped")
        );
        assert_eq!(level(k, "1980-03-07", "1980-03-17"), Some("one_digit"));
        assert_eq!(level(k, "1980-03-07", "1980-11-21"), Some("same_year"));
        assert_eq!(level(k, "1980-03-07", "1975-11-21"), Some("different"));
        assert_eq!(level(k, "1980-03-07", ""), None);
    }

    #[test]
    fn documents() {
        let k = Kind::Document;
        assert_eq!(level(k, "12345678Z", "12.345.678-Z"), Some("exact"));
        assert_eq!(level(k, "12345678Z", "12345678"), Some("typo"));
        assert_eq!(level(k, "12345678Z", "12354678Z"), Some("typo"));
        assert_eq!(level(k, "X1234567L", "1234567L"), Some("typo"));
        assert_eq!(level(k, "12345678Z", "87654321X"), Some("different"));
    }

    #[test]
    fn contact_data() {
        assert_eq!(
            level(Kind::Phone, "+34 600 123 456", "600123456"),
            Some("exact")
        );
        assert_eq!(
            level(Kind::Phone, "600123456", "600123465"),
            Some("one_character")
        );
        assert_eq!(
            level(Kind::Email, "Ana@Example.org", "ana@example.org"),
            Some("exact")
        );
        assert_eq!(
            level(Kind::Email, "ana@example.org", "ana@correo.es"),
            Some("typo_or_same_user")
        );
        assert_eq!(
            level(Kind::Postcode, "06001", "06010"),
            Some("one_character")
        );
        assert_eq!(
            level(Kind::Address, "C/ Mayor 5", "Calle Mayor, 5"),
            Some("exact")
        );
        assert_eq!(level(Kind::Sex, "M", "F"), Some("different"));
    }
}
