//! Text primitives for comparing people's data: folding, name tokens, nicknames, a
//! phonetic skeleton, Jaro–Winkler and a bounded edit distance. Everything works on
//! folded ASCII bytes, so the hot comparison loop never touches Unicode tables.

// A numeric kernel: its indexes are record, field and level positions in arrays it
// built and sized itself, so `clippy::indexing_slicing` (denied in the workspace) is
// allowed in the engine's kernels (block, cluster, compare, model, text, lib) and never
// in its input parsing (`field`), where values come from people's files.
#![allow(clippy::indexing_slicing)]

use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, every run of punctuation or white space turned into one
/// space. "Núñez-García" and "nunez garcia" fold to the same bytes. Letters with no ASCII
/// decomposition are transliterated where a common spelling exists, kept otherwise.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let push = |out: &mut String, c: char, pending: &mut bool| {
        if *pending && !out.is_empty() {
            out.push(' ');
        }
        *pending = false;
        out.extend(c.to_lowercase());
    };
    if s.is_ascii() {
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                push(&mut out, c, &mut pending_space);
            } else {
                pending_space = true;
            }
        }
        return out;
    }
    // Lower case first, then decomposed: a letter whose lower case folds further
    // ("ẞ" → "ß" → "ss") folds in one pass, so folding twice changes nothing.
    let lower: String = s.chars().flat_map(char::to_lowercase).collect();
    for c in lower.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let mapped: &str = match c {
            'ß' | 'ẞ' => "ss",
            'ø' | 'Ø' => "o",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' => "d",
            'ı' => "i",
            'þ' | 'Þ' => "th",
            _ => "",
        };
        if !mapped.is_empty() {
            for m in mapped.chars() {
                push(&mut out, m, &mut pending_space);
            }
        } else if c.is_alphanumeric() {
            push(&mut out, c, &mut pending_space);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Words that join the parts of a surname or a name and carry no identity of their own.
const PARTICLES: &[&str] = &[
    "de", "del", "la", "las", "los", "y", "i", "e", "di", "da", "dos", "das", "do", "van", "von",
    "der", "den", "le", "lo", "dei", "degli", "della", "delle", "ben", "bin", "el", "al",
];

pub fn is_particle(token: &str) -> bool {
    PARTICLES.contains(&token)
}

/// Expands the written abbreviations of Spanish given names before folding:
/// "M.ª José", "Mª José", "M. José" → "maria jose"; "Fco." → "francisco"; "J.ª" → "josefa".
fn expand_name_abbreviations(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for (k, word) in raw.split_whitespace().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        let expanded = match lower.as_str() {
            "m.ª" | "mª" | "m.a" | "ma." | "m.ª." | "mª." | "m." if k == 0 => "maria",
            "fco." | "fco" => "francisco",
            "fca." | "fca" => "francisca",
            "j.ª" | "jª" => "josefa",
            "jº" | "j.º" => "josé",
            "sta." => "santa",
            _ => "",
        };
        if expanded.is_empty() {
            out.push_str(word);
        } else {
            out.push_str(expanded);
        }
    }
    out
}

/// The tokens of a name: folded, particles dropped. If every token is a particle (a
/// surname such as "De la"), the tokens are kept rather than lost.
pub fn name_tokens(raw: &str) -> Vec<String> {
    let folded = fold(&expand_name_abbreviations(raw));
    let all: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    let kept: Vec<String> = all
        .iter()
        .filter(|t| !is_particle(t))
        .map(|t| (*t).to_string())
        .collect();
    if kept.is_empty() {
        all.into_iter().map(str::to_string).collect()
    } else {
        kept
    }
}

/// Familiar forms and their formal name, in the languages of the people served. Both sides
/// of a comparison are mapped, so "Pepe" meets "José" and "Peppe" meets "Giuseppe".
const NICKNAMES: &[(&str, &str)] = &[
    ("pepe", "jose"),
    ("pepa", "josefa"),
    ("pepita", "josefa"),
    ("paco", "francisco"),
    ("curro", "francisco"),
    ("fran", "francisco"),
    ("pancho", "francisco"),
    ("paca", "francisca"),
    ("manolo", "manuel"),
    ("manu", "manuel"),
    ("lola", "dolores"),
    ("loli", "dolores"),
    ("concha", "concepcion"),
    ("conchi", "concepcion"),
    ("nacho", "ignacio"),
    ("toni", "antonio"),
    ("antoni", "antonio"),
    ("tono", "antonio"),
    ("chus", "jesus"),
    ("chucho", "jesus"),
    ("merche", "mercedes"),
    ("charo", "rosario"),
    ("lupe", "guadalupe"),
    ("quique", "enrique"),
    ("kike", "enrique"),
    ("chema", "josemaria"),
    ("majo", "mariajose"),
    ("maite", "mariateresa"),
    ("marisa", "mariaisabel"),
    ("marisol", "mariasoledad"),
    ("mamen", "mariadelcarmen"),
    ("maripaz", "mariapaz"),
    ("nando", "fernando"),
    ("fer", "fernando"),
    ("alex", "alejandro"),
    ("alejo", "alejandro"),
    ("rafa", "rafael"),
    ("lolo", "manuel"),
    ("pili", "pilar"),
    ("puri", "purificacion"),
    ("rocio", "rocio"),
    ("tere", "teresa"),
    ("isa", "isabel"),
    ("chelo", "consuelo"),
    ("nieves", "nieves"),
    ("juanma", "juanmanuel"),
    ("juanjo", "juanjose"),
    ("josemi", "josemiguel"),
    ("santi", "santiago"),
    ("dani", "daniel"),
    ("edu", "eduardo"),
    ("guille", "guillermo"),
    ("javi", "javier"),
    ("sergi", "sergio"),
    ("jordi", "jorge"),
    ("pere", "pedro"),
    ("joan", "juan"),
    ("josep", "jose"),
    ("xavi", "javier"),
    ("xavier", "javier"),
    ("peppe", "giuseppe"),
    ("beppe", "giuseppe"),
    ("pino", "giuseppe"),
    ("gianni", "giovanni"),
    ("nanni", "giovanni"),
    ("franco", "francesco"),
    ("checco", "francesco"),
    ("cecco", "francesco"),
    ("toto", "salvatore"),
    ("turi", "salvatore"),
    ("sandro", "alessandro"),
    ("ale", "alessandro"),
    ("nino", "antonino"),
    ("tonio", "antonio"),
    ("enzo", "vincenzo"),
    ("vince", "vincenzo"),
    ("pippo", "filippo"),
    ("gigi", "luigi"),
    ("betta", "elisabetta"),
    ("lisa", "elisabetta"),
    ("pina", "giuseppina"),
    ("rino", "salvatore"),
    ("mimmo", "domenico"),
    ("memmo", "domenico"),
    ("lele", "emanuele"),
    ("max", "massimo"),
    ("fede", "federico"),
    ("bob", "robert"),
    ("bill", "william"),
    ("mike", "michael"),
    ("misha", "mikhail"),
    ("sasha", "alexander"),
    ("vova", "vladimir"),
    ("kolya", "nikolai"),
    ("dima", "dmitri"),
];

/// The formal form of one folded name token ("pepe" → "jose"), or the token itself.
pub fn canonical_token(token: &str) -> &str {
    NICKNAMES
        .iter()
        .find(|(nick, _)| *nick == token)
        .map(|(_, formal)| *formal)
        .unwrap_or(token)
}

/// A transliteration-tolerant skeleton of a folded word: the spellings of one sound are
/// merged (v/b, z/c/s, qu/k/c, g/j before e and i, ll/y/i, ph/f, kh/j, silent h) and,
/// after the first letter, vowels and doubled letters are dropped. "Mohammed", "Muhamad"
/// and "Mohamed" share one skeleton; so do "Youssef" and "Yusuf".
pub fn skeleton(word: &str) -> String {
    let b = word.as_bytes();
    let mut mapped: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or(0);
        let (m, skip): (&[u8], usize) = match (c, next) {
            (b'p', b'h') => (b"f", 2),
            (b'k', b'h') => (b"j", 2),
            (b's', b'h') => (b"x", 2),
            (b'c', b'h') => (b"x", 2),
            (b't', b'h') => (b"t", 2),
            (b'l', b'l') => (b"i", 2),
            (b'q', b'u') => (b"k", 2),
            (b'g', b'u') if matches!(b.get(i + 2), Some(b'e') | Some(b'i')) => (b"g", 2),
            (b'c', b'e') | (b'c', b'i') => (b"s", 1),
            (b'g', b'e') | (b'g', b'i') => (b"j", 1),
            (b'c', _) | (b'q', _) => (b"k", 1),
            (b'v', _) | (b'w', _) => (b"b", 1),
            (b'z', _) => (b"s", 1),
            (b'y', _) => (b"i", 1),
            (b'x', _) => (b"j", 1),
            (b'h', _) => (b"", 1),
            (b'o', b'u') => (b"u", 2),
            (b'e', b'e') => (b"i", 2),
            (b'o', b'o') => (b"u", 2),
            _ => (std::slice::from_ref(&b[i]), 1),
        };
        mapped.extend_from_slice(m);
        i += skip;
    }
    let mut out = String::with_capacity(mapped.len());
    let mut last = 0u8;
    for (k, &c) in mapped.iter().enumerate() {
        let vowel = matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
        if k > 0 && vowel {
            continue;
        }
        if c == last {
            continue;
        }
        let c = if k == 0 && vowel { b'a' } else { c };
        out.push(c as char);
        last = c;
    }
    out
}

const MAX_JARO: usize = 64;

/// Winkler's boost of a Jaro similarity for a common prefix of up to four bytes.
fn winkler(jaro: f32, a: &[u8], b: &[u8]) -> f32 {
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count();
    jaro + prefix as f32 * 0.1 * (1.0 - jaro)
}

/// An upper bound of `jaro_winkler(a, b)` from the letters the two share, in one pass
/// over each string: a letter of the shorter string that the longer lacks can never be
/// a match. Lets comparisons skip the quadratic Jaro loop for clearly different values.
pub fn jaro_winkler_bound(a: &[u8], b: &[u8]) -> f32 {
    let (la, lb) = (a.len().min(MAX_JARO), b.len().min(MAX_JARO));
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let mask = |s: &[u8]| s.iter().fold(0u64, |m, c| m | 1 << (c & 63));
    let (short, long) = if la <= lb {
        (&a[..la], &b[..lb])
    } else {
        (&b[..lb], &a[..la])
    };
    let long_mask = mask(long);
    let unmatched = short
        .iter()
        .filter(|c| long_mask & (1 << (*c & 63)) == 0)
        .count();
    let m = (short.len() - unmatched) as f32;
    if m == 0.0 {
        return 0.0;
    }
    let jaro = (m / la as f32 + m / lb as f32 + 1.0) / 3.0;
    winkler(jaro, a, b)
}

/// Jaro–Winkler similarity of two byte strings, in [0, 1] (strings longer than 64 bytes
/// are compared on their first 64).
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f32 {
    if a == b {
        return if a.is_empty() { 0.0 } else { 1.0 };
    }
    let a = &a[..a.len().min(MAX_JARO)];
    let b = &b[..b.len().min(MAX_JARO)];
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let range = (la.max(lb) / 2).saturating_sub(1);
    let mut b_used: u64 = 0;
    let mut a_used: u64 = 0;
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = (i + range + 1).min(lb);
        for (j, &cb) in b.iter().enumerate().take(hi).skip(lo) {
            if b_used & (1 << j) == 0 && cb == ca {
                b_used |= 1 << j;
                a_used |= 1 << i;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if a_used & (1 << i) == 0 {
            continue;
        }
        while b_used & (1 << j) == 0 {
            j += 1;
        }
        if ca != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f32;
    let jaro = (m / la as f32 + m / lb as f32 + (m - (transpositions / 2) as f32) / m) / 3.0;
    winkler(jaro, a, b)
}

/// The optimal-string-alignment distance (edits, with adjacent transpositions counting
/// as one), or `limit + 1` as soon as it is known to exceed `limit`. Strings of up to 32
/// bytes are compared; longer ones are reported as beyond the limit unless equal.
pub fn edit_distance_within(a: &[u8], b: &[u8], limit: usize) -> usize {
    if a == b {
        return 0;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > limit || la > 32 || lb > 32 {
        return limit + 1;
    }
    let mut prev2 = [0usize; 33];
    let mut prev = [0usize; 33];
    let mut cur = [0usize; 33];
    for (j, p) in prev.iter_mut().enumerate().take(lb + 1) {
        *p = j;
    }
    for i in 1..=la {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=lb {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return limit + 1;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[lb].min(limit + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_and_punctuation() {
        assert_eq!(fold("Núñez-García"), "nunez garcia");
        assert_eq!(fold("  O'Connor  "), "o connor");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Łukasz"), "lukasz");
        assert_eq!(fold("STRAẞE"), "strasse");
        for s in ["STRAẞE", "İstanbul", "ǅemal", "Ⅻ"] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
        }
    }

    #[test]
    fn name_tokens_drop_particles_and_expand_abbreviations() {
        assert_eq!(name_tokens("M.ª José"), vec!["maria", "jose"]);
        assert_eq!(name_tokens("Mª Dolores"), vec!["maria", "dolores"]);
        assert_eq!(
            name_tokens("de la Fuente y García"),
            vec!["fuente", "garcia"]
        );
        assert_eq!(name_tokens("Di Stefano"), vec!["stefano"]);
        assert_eq!(name_tokens("De la"), vec!["de", "la"]);
    }

    #[test]
    fn nicknames_map_to_formal_names() {
        assert_eq!(canonical_token("pepe"), "jose");
        assert_eq!(canonical_token("paco"), "francisco");
        assert_eq!(canonical_token("peppe"), "giuseppe");
        assert_eq!(canonical_token("ana"), "ana");
    }

    #[test]
    fn skeletons_merge_transliterations() {
        assert_eq!(skeleton("mohammed"), skeleton("muhamad"));
        assert_eq!(skeleton("mohamed"), skeleton("mohammed"));
        assert_eq!(skeleton("youssef"), skeleton("yusuf"));
        assert_eq!(skeleton("vazquez"), skeleton("basques"));
        assert_ne!(skeleton("garcia"), skeleton("martin"));
    }

    #[test]
    fn jaro_winkler_known_values() {
        assert!((jaro_winkler(b"martha", b"marhta") - 0.961).abs() < 0.001);
        assert!((jaro_winkler(b"dwayne", b"duane") - 0.84).abs() < 0.001);
        assert_eq!(jaro_winkler(b"abc", b"abc"), 1.0);
        assert_eq!(jaro_winkler(b"", b"abc"), 0.0);
        assert_eq!(jaro_winkler(b"abc", b"xyz"), 0.0);
    }

    #[test]
    fn the_jaro_winkler_bound_is_an_upper_bound() {
        let words: [&[u8]; 8] = [
            b"garcia",
            b"martinez",
            b"gracia",
            b"mohamed",
            b"muhammad",
            b"calle mayor 5",
            b"avenida de elvas 12",
            b"ana",
        ];
        for a in words {
            for b in words {
                assert!(
                    jaro_winkler_bound(a, b) + 1e-6 >= jaro_winkler(a, b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance_within(b"12345678", b"12345678", 1), 0);
        assert_eq!(edit_distance_within(b"12345678", b"12354678", 1), 1);
        assert_eq!(edit_distance_within(b"12345678", b"12345679", 1), 1);
        assert_eq!(edit_distance_within(b"12345678", b"1234567", 1), 1);
        assert_eq!(edit_distance_within(b"12345678", b"87654321", 1), 2);
    }
}
