//! The common vulnerability diagnosis: instruments (data, versioned), assessments made
//! with them, and the profile their documented rules derive, with the reasons why.
//!
//! An instrument's texts (domain labels, level descriptors, profile names) travel with
//! the instrument in its four languages: instruments are data that administrators import
//! and export, not part of the interface's translation catalogue.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Errors};
use crate::text::clean;

/// The languages every instrument text must be written in.
pub const LANGS: &[&str] = &["es", "ca", "it", "en"];

/// The default instrument written for Itinera (SPEC §2): 13 domains scored 1–5.
pub const DEFAULT_INSTRUMENT_JSON: &str = include_str!("../instruments/itinera-default.json");

/// A text in the four languages.
pub type Texts = BTreeMap<String, String>;

/// The text in `lang`, falling back to Spanish, then to any.
pub fn text_in<'a>(t: &'a Texts, lang: &str) -> &'a str {
    t.get(lang)
        .or_else(|| t.get("es"))
        .or_else(|| t.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub code: String,
    pub version: i32,
    pub title: Texts,
    pub domains: Vec<Domain>,
    pub profiles: Vec<Profile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub code: String,
    pub label: Texts,
    /// Whether "not applicable" may be chosen instead of a level.
    #[serde(default)]
    pub allow_na: bool,
    /// The scale, lowest (most vulnerable) first.
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: i16,
    pub descriptor: Texts,
}

/// A profile and the rule that derives it. Profiles are tried in order; the first whose
/// rule holds is the assessment's profile. A rule holds when any of its groups holds; a
/// group holds when all its conditions hold; an empty group always holds (the fallback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub code: String,
    pub label: Texts,
    /// What the profile means for both services, and the rule in words.
    pub description: Texts,
    pub when_any: Vec<Vec<Condition>>,
}

/// Among `domains` (empty: all), count the scored ones whose level is within the bounds.
/// The condition holds when that count reaches `min_count`, or, when `min_count` is
/// absent, when every scored domain listed is within the bounds (and at least one is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub at_most: Option<i16>,
    #[serde(default)]
    pub at_least: Option<i16>,
    #[serde(default)]
    pub min_count: Option<usize>,
}

/// One domain's score: a level of its scale, or not applicable (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Score {
    pub domain: String,
    pub level: Option<i16>,
    pub note: Option<String>,
}

/// The derived profile and the domains that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Derived {
    pub profile: String,
    pub because: Vec<String>,
}

fn valid_code(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn texts_complete(t: &Texts) -> bool {
    LANGS
        .iter()
        .all(|l| t.get(*l).is_some_and(|v| !v.trim().is_empty()))
}

impl Instrument {
    /// Parses and checks an instrument's JSON, naming the first problem by its path.
    pub fn from_json(raw: &str) -> Result<Instrument, Error> {
        let i: Instrument = serde_json::from_str(raw)
            .map_err(|_| Error::field("definition", "validation.instrument.json"))?;
        i.validate()?;
        Ok(i)
    }

    pub fn validate(&self) -> Result<(), Error> {
        let mut e = Errors::new();
        if !valid_code(&self.code) {
            e.add("code", "validation.instrument.code");
        }
        if self.version < 1 {
            e.add("version", "validation.instrument.version");
        }
        if !texts_complete(&self.title) {
            e.add("title", "validation.instrument.texts");
        }
        if self.domains.is_empty() {
            e.add("domains", "validation.instrument.no_domains");
        }
        let mut seen = HashSet::new();
        for (n, d) in self.domains.iter().enumerate() {
            if !valid_code(&d.code) || !seen.insert(d.code.as_str()) {
                e.add(format!("domains.{n}.code"), "validation.instrument.code");
            }
            if !texts_complete(&d.label) {
                e.add(format!("domains.{n}.label"), "validation.instrument.texts");
            }
            let mut prev = None;
            for (k, l) in d.levels.iter().enumerate() {
                if prev.is_some_and(|p| l.level != p + 1) || !texts_complete(&l.descriptor) {
                    e.add(
                        format!("domains.{n}.levels.{k}"),
                        "validation.instrument.scale",
                    );
                }
                prev = Some(l.level);
            }
            if d.levels.len() < 2 {
                e.add(format!("domains.{n}.levels"), "validation.instrument.scale");
            }
        }
        if self.profiles.is_empty() {
            e.add("profiles", "validation.instrument.no_profiles");
        }
        let mut pseen = HashSet::new();
        for (n, p) in self.profiles.iter().enumerate() {
            if !valid_code(&p.code) || !pseen.insert(p.code.as_str()) {
                e.add(format!("profiles.{n}.code"), "validation.instrument.code");
            }
            if !texts_complete(&p.label) || !texts_complete(&p.description) {
                e.add(format!("profiles.{n}.label"), "validation.instrument.texts");
            }
            for g in &p.when_any {
                for c in g {
                    if c.domains.iter().any(|d| !seen.contains(d.as_str())) {
                        e.add(
                            format!("profiles.{n}.when_any"),
                            "validation.instrument.unknown_domain",
                        );
                    }
                }
            }
        }
        // The last profile must always apply, so that every assessment has one.
        if self
            .profiles
            .last()
            .is_some_and(|p| !p.when_any.iter().any(Vec::is_empty))
        {
            e.add("profiles", "validation.instrument.no_fallback");
        }
        e.finish()
    }

    pub fn domain(&self, code: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.code == code)
    }

    pub fn profile(&self, code: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.code == code)
    }

    /// The lowest and highest level of the scales (for charts).
    pub fn scale_bounds(&self) -> (i16, i16) {
        let lv = self
            .domains
            .iter()
            .flat_map(|d| d.levels.iter().map(|l| l.level));
        let (lo, hi) = lv.fold((i16::MAX, i16::MIN), |(a, b), l| (a.min(l), b.max(l)));
        if lo > hi {
            (1, 5)
        } else {
            (lo, hi)
        }
    }

    /// Checks a full set of scores typed by an assessor: every domain scored with a
    /// level of its scale, or not applicable where allowed. Errors name `scores.DOMAIN`.
    pub fn check_scores(&self, raw: &BTreeMap<String, ScoreInput>) -> Result<Vec<Score>, Error> {
        let mut e = Errors::new();
        let mut out = Vec::new();
        for d in &self.domains {
            let field = format!("scores.{}", d.code);
            let input = raw.get(&d.code).cloned().unwrap_or_default();
            let note = clean(&input.note);
            if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
                e.add(format!("{field}.note"), "validation.too_long");
            }
            let v = input.level.trim();
            let level = if v.is_empty() {
                e.add(&field, "validation.assessment.score_required");
                continue;
            } else if v == "na" {
                if !d.allow_na {
                    e.add(&field, "validation.assessment.na_not_allowed");
                    continue;
                }
                None
            } else {
                match v.parse::<i16>() {
                    Ok(l) if d.levels.iter().any(|x| x.level == l) => Some(l),
                    _ => {
                        e.add(&field, "validation.assessment.out_of_scale");
                        continue;
                    }
                }
            };
            out.push(Score {
                domain: d.code.clone(),
                level,
                note,
            });
        }
        for k in raw.keys() {
            if self.domain(k).is_none() {
                e.add(
                    format!("scores.{k}"),
                    "validation.assessment.unknown_domain",
                );
            }
        }
        e.finish()?;
        Ok(out)
    }

    /// The profile of a set of scores, by the instrument's rules, and the domains that
    /// made the deciding group hold.
    pub fn derive(&self, scores: &[Score]) -> Derived {
        for p in &self.profiles {
            for group in &p.when_any {
                let mut because = Vec::new();
                if group.iter().all(|c| self.holds(c, scores, &mut because)) {
                    let mut seen = HashSet::new();
                    because.retain(|d| seen.insert(d.clone()));
                    // In the instrument's order.
                    because.sort_by_key(|d| self.domains.iter().position(|x| &x.code == d));
                    return Derived {
                        profile: p.code.clone(),
                        because,
                    };
                }
            }
        }
        Derived {
            profile: self
                .profiles
                .last()
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            because: Vec::new(),
        }
    }

    fn holds(&self, c: &Condition, scores: &[Score], because: &mut Vec<String>) -> bool {
        let listed: Vec<(&str, i16)> = scores
            .iter()
            .filter(|s| c.domains.is_empty() || c.domains.contains(&s.domain))
            .filter_map(|s| s.level.map(|l| (s.domain.as_str(), l)))
            .collect();
        let within = |l: i16| c.at_most.is_none_or(|m| l <= m) && c.at_least.is_none_or(|m| l >= m);
        let hits: Vec<&str> = listed
            .iter()
            .filter(|(_, l)| within(*l))
            .map(|(d, _)| *d)
            .collect();
        let ok = match c.min_count {
            Some(n) => hits.len() >= n,
            None => !listed.is_empty() && hits.len() == listed.len(),
        };
        if ok {
            because.extend(hits.iter().map(|d| d.to_string()));
        }
        ok
    }
}

/// What an assessor types for one domain: a level (`"1"`…, or `"na"`) and a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScoreInput {
    #[serde(deserialize_with = "crate::input::lenient_string")]
    pub level: String,
    pub note: String,
}

/// The domains to suggest goals for: the lowest-scored (level ≤ 2), lowest first, at most
/// five; the professional decides.
pub fn suggested_goal_domains(i: &Instrument, scores: &[Score]) -> Vec<String> {
    let mut low: Vec<(i16, usize, &str)> = scores
        .iter()
        .filter_map(|s| {
            let l = s.level?;
            let pos = i.domains.iter().position(|d| d.code == s.domain)?;
            (l <= 2).then_some((l, pos, s.domain.as_str()))
        })
        .collect();
    low.sort();
    low.into_iter()
        .take(5)
        .map(|(_, _, d)| d.to_string())
        .collect()
}

/// An assessment date: not in the future, not before the case was opened.
pub fn check_assessed_on(
    d: NaiveDate,
    opened_on: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, &'static str> {
    if d > today {
        Err("validation.date.future")
    } else if d < opened_on {
        Err("validation.assessment.before_case")
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Instrument {
        Instrument::from_json(DEFAULT_INSTRUMENT_JSON).unwrap()
    }

    fn all(level: &str) -> BTreeMap<String, ScoreInput> {
        default()
            .domains
            .iter()
            .map(|d| {
                (
                    d.code.clone(),
                    ScoreInput {
                        level: level.into(),
                        note: String::new(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_default_instrument_is_valid_and_complete() {
        let i = default();
        assert_eq!(i.domains.len(), 13);
        assert!(i.domains.iter().all(|d| d.levels.len() == 5));
        assert_eq!(i.scale_bounds(), (1, 5));
        assert!(i.profile("ready_for_employment").is_some());
        assert!(i.profile("pre_labour").is_some());
        assert!(i.profile("intensive_social_support").is_some());
    }

    #[test]
    fn scores_must_be_on_the_scale() {
        let i = default();
        let mut s = all("4");
        s.get_mut("income").unwrap().level = "7".into();
        s.get_mut("housing").unwrap().level = "".into();
        s.get_mut("employment").unwrap().level = "na".into();
        s.insert("astrology".into(), ScoreInput::default());
        let Err(Error::Invalid(f)) = i.check_scores(&s) else {
            panic!("accepted")
        };
        let fields: Vec<(&str, &str)> = f.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert!(fields.contains(&("scores.income", "validation.assessment.out_of_scale")));
        assert!(fields.contains(&("scores.housing", "validation.assessment.score_required")));
        assert!(fields.contains(&("scores.employment", "validation.assessment.na_not_allowed")));
        assert!(fields.contains(&("scores.astrology", "validation.assessment.unknown_domain")));
    }

    #[test]
    fn profiles_follow_the_documented_rules_and_say_why() {
        let i = default();
        let good = i.check_scores(&all("4")).unwrap();
        assert_eq!(i.derive(&good).profile, "ready_for_employment");

        let mut s = all("4");
        s.get_mut("housing").unwrap().level = "1".into();
        let d = i.derive(&i.check_scores(&s).unwrap());
        assert_eq!(d.profile, "intensive_social_support");
        assert_eq!(d.because, vec!["housing"]);

        let mut s = all("4");
        s.get_mut("employment").unwrap().level = "2".into();
        s.get_mut("digital").unwrap().level = "2".into();
        let d = i.derive(&i.check_scores(&s).unwrap());
        assert_eq!(d.profile, "pre_labour");
        assert_eq!(d.because, vec!["employment", "digital"]);

        let mut s = all("3");
        s.get_mut("addictions").unwrap().level = "na".into();
        assert_eq!(
            i.derive(&i.check_scores(&s).unwrap()).profile,
            "ready_for_employment"
        );
    }

    #[test]
    fn suggestions_come_from_the_lowest_domains() {
        let i = default();
        let mut s = all("4");
        s.get_mut("language").unwrap().level = "1".into();
        s.get_mut("income").unwrap().level = "2".into();
        s.get_mut("housing").unwrap().level = "2".into();
        let scores = i.check_scores(&s).unwrap();
        assert_eq!(
            suggested_goal_domains(&i, &scores),
            vec!["language", "income", "housing"]
        );
    }

    #[test]
    fn a_broken_instrument_is_refused_with_its_path() {
        let mut i = default();
        i.domains[2].levels[1].level = 9;
        i.profiles.last_mut().unwrap().when_any = vec![vec![Condition {
            domains: vec!["nowhere".into()],
            at_most: Some(1),
            at_least: None,
            min_count: Some(1),
        }]];
        let Err(Error::Invalid(f)) = i.validate() else {
            panic!("accepted")
        };
        let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"domains.2.levels.1"), "{fields:?}");
        assert!(fields.contains(&"profiles"), "{fields:?}");
        assert!(Instrument::from_json("{").is_err());
    }

    #[test]
    fn dates_of_assessment() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_assessed_on(d("2026-01-10"), d("2026-01-01"), d("2026-02-01")).is_ok());
        assert_eq!(
            check_assessed_on(d("2026-03-10"), d("2026-01-01"), d("2026-02-01")),
            Err("validation.date.future")
        );
        assert_eq!(
            check_assessed_on(d("2025-03-10"), d("2026-01-01"), d("2026-02-01")),
            Err("validation.assessment.before_case")
        );
    }
}
