//! Fields: what kind of datum a column holds, and its prepared, column-oriented form.
//! Values are parsed and normalised once, when the data set is built, so that comparing
//! a pair touches only bytes and integers.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{canonical_token, fold, name_tokens, skeleton};

/// The kind of a column, chosen by whoever maps a source's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    GivenName,
    Surname,
    FullName,
    BirthDate,
    Sex,
    Document,
    Postcode,
    Municipality,
    Address,
    StreetNumber,
    Region,
    Phone,
    Email,
    Text,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::GivenName,
        Kind::Surname,
        Kind::FullName,
        Kind::BirthDate,
        Kind::Sex,
        Kind::Document,
        Kind::Postcode,
        Kind::Municipality,
        Kind::Address,
        Kind::StreetNumber,
        Kind::Region,
        Kind::Phone,
        Kind::Email,
        Kind::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GivenName => "given_name",
            Kind::Surname => "surname",
            Kind::FullName => "full_name",
            Kind::BirthDate => "birth_date",
            Kind::Sex => "sex",
            Kind::Document => "document",
            Kind::Postcode => "postcode",
            Kind::Municipality => "municipality",
            Kind::Address => "address",
            Kind::StreetNumber => "street_number",
            Kind::Region => "region",
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::Text => "text",
        }
    }

    /// Whether agreement on a rare value counts for more than on a common one
    /// (term-frequency adjustment of the exact level).
    pub(crate) fn frequency_adjusted(self) -> bool {
        matches!(
            self,
            Kind::GivenName | Kind::Surname | Kind::FullName | Kind::Postcode | Kind::Municipality
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown field kind `{0}`")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// Many short strings in one allocation: row `i` is `bytes[ends[i-1]..ends[i]]`. An
/// empty string is a missing value.
#[derive(Default, Clone, Debug)]
pub struct Strs {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl Strs {
    pub fn with_capacity(rows: usize) -> Self {
        Strs {
            bytes: Vec::with_capacity(rows * 8),
            ends: Vec::with_capacity(rows),
        }
    }

    pub fn push(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.ends.push(self.bytes.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).map_or(0, |e| *e as usize),
            None => 0,
        };
        let end = self.ends.get(i).map_or(start, |e| *e as usize);
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// Row `i` as text. Values are pushed as `&str`, so the bytes are always UTF-8.
    pub fn str(&self, i: usize) -> &str {
        std::str::from_utf8(self.get(i)).unwrap_or("")
    }

    fn extend(&mut self, other: &Strs) {
        let base = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

/// A prepared column.
#[derive(Debug)]
pub(crate) enum Column {
    /// Given names, surnames, full names: folded tokens without particles; the tokens'
    /// formal forms run together; their skeletons; the value's relative frequency.
    Name {
        folded: Strs,
        canon: Strs,
        skel: Strs,
        tf: Vec<f32>,
    },
    /// Dates as the number yyyymmdd (digits kept even when not a real date, so that a
    /// typed 13th month still compares digit by digit); 0 when missing.
    Date(Vec<u32>),
    /// 1 man, 2 woman, 0 missing or other.
    Sex(Vec<u8>),
    /// Upper-case letters and digits; `core` without the NIE prefix letter and the check
    /// letter, so that a missing or mistyped letter still meets its number.
    Document { norm: Strs, core: Strs },
    /// The last nine digits of the number, as an integer; 0 when missing.
    Phone(Vec<u64>),
    /// Every other kind: a normalised string and its relative frequency.
    Text { norm: Strs, tf: Vec<f32> },
}

/// Prepares the raw values of one column.
pub(crate) fn prepare(kind: Kind, raw: &Strs) -> Column {
    let n = raw.len();
    match kind {
        Kind::GivenName | Kind::Surname | Kind::FullName => {
            let mut folded = Strs::with_capacity(n);
            let mut canon = Strs::with_capacity(n);
            let mut skel = Strs::with_capacity(n);
            let mut buf = String::new();
            for i in 0..n {
                let tokens = name_tokens(raw.str(i));
                buf.clear();
                join_into(&mut buf, tokens.iter().map(String::as_str));
                folded.push(&buf);
                let joined: String = tokens.concat();
                let whole = canonical_token(&joined);
                let c = if whole != joined || tokens.len() < 2 {
                    whole.to_string()
                } else {
                    tokens
                        .iter()
                        .map(|t| canonical_token(t))
                        .collect::<String>()
                };
                canon.push(&c);
                buf.clear();
                join_into(&mut buf, tokens.iter().map(|t| skeleton(t)));
                skel.push(&buf);
            }
            let tf = frequencies(&folded);
            Column::Name {
                folded,
                canon,
                skel,
                tf,
            }
        }
        Kind::BirthDate => Column::Date((0..n).map(|i| parse_date(raw.str(i))).collect()),
        Kind::Sex => Column::Sex((0..n).map(|i| parse_sex(raw.str(i))).collect()),
        Kind::Document => {
            let mut norm = Strs::with_capacity(n);
            let mut core = Strs::with_capacity(n);
            for i in 0..n {
                let d = normalise_document(raw.str(i));
                core.push(document_core(&d));
                norm.push(&d);
            }
            Column::Document { norm, core }
        }
        Kind::Phone => Column::Phone((0..n).map(|i| parse_phone(raw.str(i))).collect()),
        _ => {
            let mut norm = Strs::with_capacity(n);
            for i in 0..n {
                let s = raw.str(i);
                let v = match kind {
                    Kind::Email => s.trim().to_lowercase(),
                    Kind::Postcode | Kind::StreetNumber => fold(s).replace(' ', ""),
                    Kind::Address => normalise_address(s),
                    _ => fold(s),
                };
                norm.push(&v);
            }
            let tf = if kind.frequency_adjusted() {
                frequencies(&norm)
            } else {
                Vec::new()
            };
            Column::Text { norm, tf }
        }
    }
}

fn join_into<S: AsRef<str>>(buf: &mut String, parts: impl Iterator<Item = S>) {
    for (k, p) in parts.enumerate() {
        if k > 0 {
            buf.push(' ');
        }
        buf.push_str(p.as_ref());
    }
}

/// Each row's value frequency among the rows that have a value (0 when missing).
fn frequencies(col: &Strs) -> Vec<f32> {
    let mut counts: HashMap<&[u8], u32> = HashMap::new();
    let mut present = 0u32;
    for i in 0..col.len() {
        let v = col.get(i);
        if !v.is_empty() {
            *counts.entry(v).or_insert(0) += 1;
            present += 1;
        }
    }
    let total = present.max(1) as f32;
    (0..col.len())
        .map(|i| {
            let v = col.get(i);
            if v.is_empty() {
                0.0
            } else {
                counts.get(v).copied().unwrap_or(1) as f32 / total
            }
        })
        .collect()
}

/// Joins two prepared columns of the same kind (left rows, then right rows), recomputing
/// the frequencies over both.
pub(crate) fn concat(a: Column, b: &Column) -> Column {
    match (a, b) {
        (
            Column::Name {
                mut folded,
                mut canon,
                mut skel,
                ..
            },
            Column::Name {
                folded: f2,
                canon: c2,
                skel: s2,
                ..
            },
        ) => {
            folded.extend(f2);
            canon.extend(c2);
            skel.extend(s2);
            let tf = frequencies(&folded);
            Column::Name {
                folded,
                canon,
                skel,
                tf,
            }
        }
        (Column::Date(mut x), Column::Date(y)) => {
            x.extend_from_slice(y);
            Column::Date(x)
        }
        (Column::Sex(mut x), Column::Sex(y)) => {
            x.extend_from_slice(y);
            Column::Sex(x)
        }
        (Column::Phone(mut x), Column::Phone(y)) => {
            x.extend_from_slice(y);
            Column::Phone(x)
        }
        (Column::Document { mut norm, mut core }, Column::Document { norm: n2, core: c2 }) => {
            norm.extend(n2);
            core.extend(c2);
            Column::Document { norm, core }
        }
        (Column::Text { mut norm, tf }, Column::Text { norm: n2, .. }) => {
            norm.extend(n2);
            let tf = if tf.is_empty() {
                Vec::new()
            } else {
                frequencies(&norm)
            };
            Column::Text { norm, tf }
        }
        (a, _) => a,
    }
}

/// Parses a birth date written `YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY`,
/// `DD-MM-YYYY` or `DD.MM.YYYY` (one-digit days and months allowed) into yyyymmdd.
/// Anything else is a missing value.
pub fn parse_date(s: &str) -> u32 {
    let s = s.trim();
    if s.is_empty() {
        return 0;
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().unwrap_or(0);
    }
    // Excel and pandas may write a number as "19560909.0".
    if let Some(whole) = s.strip_suffix(".0") {
        if whole.len() == 8 && whole.bytes().all(|b| b.is_ascii_digit()) {
            return whole.parse().unwrap_or(0);
        }
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return 0;
    }
    let num = |p: &str| p.parse::<u32>().unwrap_or(0);
    let [a, b, c] = parts.as_slice() else {
        return 0;
    };
    let (y, m, d) = if a.len() == 4 {
        (num(a), num(b), num(c))
    } else if c.len() == 4 {
        (num(c), num(b), num(a))
    } else {
        return 0;
    };
    if m > 99 || d > 99 {
        return 0;
    }
    y * 10_000 + m * 100 + d
}

pub fn parse_sex(s: &str) -> u8 {
    match fold(s).as_str() {
        "m" | "h" | "v" | "male" | "man" | "hombre" | "varon" | "masculino" | "maschio"
        | "uomo" | "home" | "1" => 1,
        "f" | "female" | "woman" | "mujer" | "femenino" | "femmina" | "donna" | "dona" | "2" => 2,
        _ => 0,
    }
}

pub fn normalise_document(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The number of a document without the letters a clerk may drop or mistype: the NIE's
/// leading X/Y/Z and the trailing check letter of a DNI or NIE.
fn document_core(d: &str) -> &str {
    let b = d.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    if let [first, second, ..] = b {
        if end >= 8 && matches!(first, b'X' | b'Y' | b'Z') && second.is_ascii_digit() {
            start = 1;
        }
    }
    if let [.., before, last] = b {
        if end > start + 1 && last.is_ascii_alphabetic() && before.is_ascii_digit() {
            end -= 1;
        }
    }
    let core = d.get(start..end).unwrap_or_default();
    if core.bytes().all(|c| c.is_ascii_digit()) {
        core
    } else {
        d
    }
}

/// The last nine digits of a phone number, international prefix and punctuation removed.
pub fn parse_phone(s: &str) -> u64 {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return 0;
    }
    let tail = &digits[digits.len().saturating_sub(9)..];
    tail.parse().unwrap_or(0)
}

const STREET_WORDS: &[(&str, &str)] = &[
    ("c", "calle"),
    ("cl", "calle"),
    ("cll", "calle"),
    ("av", "avenida"),
    ("avd", "avenida"),
    ("avda", "avenida"),
    ("pza", "plaza"),
    ("pl", "plaza"),
    ("plz", "plaza"),
    ("ctra", "carretera"),
    ("cr", "carretera"),
    ("pº", "paseo"),
    ("po", "paseo"),
    ("ps", "paseo"),
    ("urb", "urbanizacion"),
    ("bda", "barriada"),
    ("v", "via"),
    ("p", "piazza"),
    ("pzza", "piazza"),
    ("vle", "viale"),
    ("st", "street"),
    ("rd", "road"),
    ("ave", "avenue"),
];

fn normalise_address(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len() + 8);
    for (k, t) in folded.split(' ').enumerate() {
        if t.is_empty() || matches!(t, "n" | "no" | "num" | "numero" | "s" | "sn") {
            continue;
        }
        let t = if k == 0 {
            STREET_WORDS
                .iter()
                .find(|(abbr, _)| *abbr == t)
                .map(|(_, w)| *w)
                .unwrap_or(t)
        } else {
            t
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_forms_systems_write_them() {
        assert_eq!(parse_date("19560909"), 19560909);
        assert_eq!(parse_date("1956-09-09"), 19560909);
        assert_eq!(parse_date("09/09/1956"), 19560909);
        assert_eq!(parse_date("9/3/1956"), 19560309);
        assert_eq!(parse_date("1956/3/9"), 19560309);
        assert_eq!(parse_date("19560909.0"), 19560909);
        assert_eq!(parse_date(""), 0);
        assert_eq!(parse_date("ayer"), 0);
        assert_eq!(parse_date("09/09/56"), 0);
    }

    #[test]
    fn documents_keep_their_core_number() {
        assert_eq!(normalise_document(" 12.345.678-z "), "12345678Z");
        assert_eq!(document_core("12345678Z"), "12345678");
        assert_eq!(document_core("X1234567L"), "1234567");
        assert_eq!(document_core("1234567L"), "1234567");
        assert_eq!(document_core("RSSMRA85T10A562S"), "RSSMRA85T10A562S");
    }

    #[test]
    fn phones_lose_prefixes_and_punctuation() {
        assert_eq!(parse_phone("+34 600 12 34 56"), 600123456);
        assert_eq!(parse_phone("0034600123456"), 600123456);
        assert_eq!(parse_phone("600-123-456"), 600123456);
        assert_eq!(parse_phone("123"), 0);
    }

    #[test]
    fn addresses_expand_street_abbreviations() {
        assert_eq!(normalise_address("C/ Mayor, nº 5"), "calle mayor 5");
        assert_eq!(
            normalise_address("Avda. de Elvas 12"),
            "avenida de elvas 12"
        );
    }

    #[test]
    fn sex_in_several_languages() {
        assert_eq!(parse_sex("Mujer"), 2);
        assert_eq!(parse_sex("H"), 1);
        assert_eq!(parse_sex("maschio"), 1);
        assert_eq!(parse_sex(""), 0);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        assert!("nombre".parse::<Kind>().is_err());
    }
}
