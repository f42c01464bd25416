//! Text folding for search and comparison: lower case, accents and punctuation removed,
//! white space collapsed. "Núñez-García" and "nunez garcia" fold to the same key.

use unicode_normalization::UnicodeNormalization;

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // Lower case first, then decomposed: a letter whose lower case folds further
    // ("ẞ" → "ß" → "s") folds in one pass, so folding twice changes nothing.
    let lower: String = s.chars().flat_map(char::to_lowercase).collect();
    for c in lower.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'ß' | 'ẞ' => 's',
            'ø' | 'Ø' => 'o',
            'æ' | 'Æ' => 'a',
            'ł' | 'Ł' => 'l',
            'đ' | 'Đ' => 'd',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// A character no text of a person or a professional may hold: control characters (a
/// NUL breaks PostgreSQL's text; others hide in logs and exports) other than the line
/// breaks and tabs that white space handling turns into spaces, and the bidirectional
/// embeddings, overrides and isolates that make a name read differently from what it is.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A web address a page may link to: `http(s)://` and a host, no white space.
pub fn is_web_link(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(char::is_whitespace) && !has_forbidden(s)
        }
        None => false,
    }
}

/// Whether the text holds a forbidden character (see [`is_forbidden`]).
pub fn has_forbidden(s: &str) -> bool {
    s.chars().any(is_forbidden)
}

fn without_forbidden(s: &str) -> std::borrow::Cow<'_, str> {
    if has_forbidden(s) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !is_forbidden(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Trims and collapses inner white space, drops forbidden characters; `None` for an
/// empty value. (The parsers of `input` refuse forbidden characters instead, with an
/// error the person sees; this is the last line for every other text.)
pub fn clean(s: &str) -> Option<String> {
    let s = without_forbidden(s);
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        None
    } else {
        Some(joined)
    }
}

/// The exclusive upper bound of a prefix range: every key that starts with `prefix`
/// sorts in `[prefix, prefix_end(prefix))` under byte order.
/// Like [`clean`], but keeps the line breaks of a longer text (minutes, notes): each
/// line is cleaned, runs of blank lines become one, and blank lines at either end go.
pub fn clean_paragraphs(s: &str) -> Option<String> {
    let s = without_forbidden(s);
    let mut out: Vec<String> = Vec::new();
    for line in s.lines() {
        let l = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if l.is_empty() && out.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    if out.is_empty() {
        None
    } else {
        Some(out.join("\n"))
    }
}

pub fn prefix_end(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// Masks an identity number for lists: only the last three characters are shown.
pub fn mask_document(number: &str) -> String {
    let n = number.chars().count();
    if n <= 3 {
        return "*".repeat(n);
    }
    let visible: String = number.chars().skip(n - 3).collect();
    format!("{}{}", "*".repeat(n - 3), visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("Núñez-García"), "nunez garcia");
        assert_eq!(fold("  MARÍA  José "), "maria jose");
        assert_eq!(fold("D'Alessandro"), "d alessandro");
        assert_eq!(fold("Çelik Åström"), "celik astrom");
        // Found by the fuzzing: a capital whose lower case folds further.
        assert_eq!(fold("GROẞ"), "gros");
        for s in ["GROẞ", "İstanbul", "ǅemal", "Ⅻ"] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
        }
    }

    #[test]
    fn prefix_range_contains_extensions() {
        let end = prefix_end("gar");
        assert!("garcia" < end.as_str());
        assert!("gar" < end.as_str());
        assert!("gas" > end.as_str());
    }

    #[test]
    fn masks_all_but_last_three() {
        assert_eq!(mask_document("12345678Z"), "******78Z");
        assert_eq!(mask_document("AB"), "**");
    }

    #[test]
    fn clean_collapses_and_rejects_empty() {
        assert_eq!(clean("  a   b "), Some("a b".into()));
        assert_eq!(clean("   "), None);
    }
}

#[cfg(test)]
mod paragraph_tests {
    use super::clean_paragraphs;

    #[test]
    fn paragraphs_keep_their_lines() {
        assert_eq!(
            clean_paragraphs("\n  Uno  dos \r\n\n\n\ttres\n\n").as_deref(),
            Some("Uno dos\n\ntres")
        );
        assert_eq!(clean_paragraphs(" \n \n"), None);
    }
}
