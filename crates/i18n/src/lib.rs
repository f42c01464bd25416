//! Translations. Every text a person reads comes from `locales/<lang>.txt`: one
//! `key = value` per line, `#` for comments, `{name}` for a value filled in at run time.
//! Spanish is the default and the fallback.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Es,
    Ca,
    It,
    En,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Es, Lang::Ca, Lang::It, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::Ca => "ca",
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let primary = s.split(['-', '_']).next().unwrap_or("");
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best language of an `Accept-Language` header, by its q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("");
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The language's own name, for the language switcher.
    pub fn native_name(self) -> &'static str {
        t(self, "lang.native")
    }
}

const SOURCES: [(Lang, &str); 4] = [
    (Lang::Es, include_str!("../locales/es.txt")),
    (Lang::Ca, include_str!("../locales/ca.txt")),
    (Lang::It, include_str!("../locales/it.txt")),
    (Lang::En, include_str!("../locales/en.txt")),
];

/// Parses one catalogue; returns the entries and the lines that could not be read.
pub fn parse_catalogue(src: &str) -> (Vec<(&str, &str)>, Vec<usize>) {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => entries.push((k.trim(), v.trim())),
            _ => bad.push(i + 1),
        }
    }
    (entries, bad)
}

static CATALOGUES: LazyLock<HashMap<Lang, HashMap<&'static str, &'static str>>> =
    LazyLock::new(|| {
        SOURCES
            .iter()
            .map(|(lang, src)| (*lang, parse_catalogue(src).0.into_iter().collect()))
            .collect()
    });

/// The text of `key` in `lang`, falling back to Spanish, then to the key itself (a
/// missing key is caught by the catalogue tests, never silently in production).
pub fn t(lang: Lang, key: &str) -> &'static str {
    let get = |l: Lang| CATALOGUES.get(&l).and_then(|c| c.get(key)).copied();
    match get(lang).or_else(|| get(Lang::Es)) {
        Some(v) => v,
        None => {
            tracing::warn!(key, "missing translation");
            "⟨?⟩"
        }
    }
}

/// `t` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Whether a key exists (in Spanish, the reference catalogue).
pub fn has(key: &str) -> bool {
    CATALOGUES
        .get(&Lang::Es)
        .is_some_and(|c| c.contains_key(key))
}

/// A coded value's label in `lang`: the message `prefix.code` (`code_label(l, "sex",
/// "female")`), or the code itself when the catalogue has none.
pub fn code_label(lang: Lang, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}.{code}");
    if has(&key) {
        t(lang, &key).to_string()
    } else {
        code.to_string()
    }
}

pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<_> = CATALOGUES
        .get(&lang)
        .map(|c| c.keys().copied().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_cleanly() {
        for (lang, src) in SOURCES {
            let (entries, bad) = parse_catalogue(src);
            assert!(bad.is_empty(), "{lang:?}: unreadable lines {bad:?}");
            let mut seen = std::collections::HashSet::new();
            for (k, v) in entries {
                assert!(seen.insert(k), "{lang:?}: key {k} twice");
                assert!(!v.is_empty(), "{lang:?}: key {k} is empty");
            }
        }
    }

    #[test]
    fn every_language_has_every_key_with_the_same_placeholders() {
        let es = keys(Lang::Es);
        for lang in Lang::ALL {
            assert_eq!(keys(lang), es, "{lang:?} differs from Spanish");
            for k in &es {
                let ph = |l: Lang| {
                    let mut v: Vec<String> = t(l, k)
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(ph(lang), ph(Lang::Es), "{lang:?}: placeholders of {k}");
            }
        }
    }

    fn entries(lang: Lang) -> Vec<(&'static str, &'static str)> {
        SOURCES
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, src)| parse_catalogue(src).0)
            .unwrap_or_default()
    }

    fn words(v: &str) -> impl Iterator<Item = String> + '_ {
        v.split(|c: char| !c.is_alphabetic() && c != '\'')
            .flat_map(|w| w.split('\''))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
    }

    /// Italian addresses the professional in one formal register (Lei), never with "tu"
    /// or "voi" forms.
    #[test]
    fn italian_keeps_to_the_formal_register() {
        const INFORMAL: &[&str] = &[
            "tu",
            "tuo",
            "tua",
            "tuoi",
            "tue",
            "hai",
            "puoi",
            "devi",
            "vuoi",
            "vostra",
            "vostro",
            "vostri",
            "vostre",
            "scegli",
            "inserisci",
            "controlla",
            "scegliete",
            "indicate",
        ];
        for (k, v) in entries(Lang::It) {
            for w in words(v) {
                assert!(!INFORMAL.contains(&w.as_str()), "it: {k} = {v} («{w}»)");
            }
        }
    }

    /// Catalan uses "vós" (never "vostè") and imperatives on buttons, not infinitives
    /// (the Generalitat's style for interfaces).
    #[test]
    fn catalan_uses_vos_and_imperative_buttons() {
        const BUTTONS: &[&str] = &[
            "save",
            "submit",
            "add",
            "create",
            "move",
            "filter",
            "apply",
            "remove",
            "delete",
            "export",
            "import",
            "search",
            "confirm",
            "approve",
            "withdraw",
            "send",
            "cancel",
            "logout",
            "switch",
            "change_language",
            "mark_read",
            "mark_done",
        ];
        for (k, v) in entries(Lang::Ca) {
            for w in words(v) {
                assert!(w != "vostè" && w != "vostès", "ca: {k} = {v}");
            }
            let last = k.rsplit('.').next().unwrap_or(k);
            if BUTTONS.contains(&last) {
                let first = words(v).next().unwrap_or_default();
                let infinitive =
                    (first.ends_with("ar") || first.ends_with("ir")) && first.chars().count() > 3;
                assert!(!infinitive, "ca: the button {k} = {v} is an infinitive");
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            Lang::from_accept_language("it-IT,it;q=0.9,en;q=0.8"),
            Some(Lang::It)
        );
        assert_eq!(
            Lang::from_accept_language("de;q=1, en;q=0.5, ca;q=0.7"),
            Some(Lang::Ca)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn fills_placeholders() {
        assert!(tf(Lang::En, "list.page_label", &[("page", "3")]).contains('3'));
    }
}
