//! European Social Fund common participant indicators, computed from what Itinera records.
//!
//! The indicator sets are data (`indicators/*.json`, embedded), not code:
//!
//! - **ESF+ 2021–2027**: Regulation (EU) 2021/1057 (ESF+), Annex I, points 1 (common
//!   output indicators for participants, EECO01–EECO17), 2 (common immediate result
//!   indicators, EECR01–EECR04) and 3 (common longer-term result indicators, EECR05–
//!   EECR06).
//! - **ESF 2014–2020**: Regulation (EU) No 1304/2013, Annex I, points 1 (common output
//!   indicators for participants), 2 (immediate result indicators) and 3 (longer-term
//!   result indicators), as the seeds' programmes (CRISOL, the 2014–2020 operational
//!   programmes) reported them.
//!
//! Each indicator has a code, a stage (counted at **entry**, upon **leaving**, or **six
//! months** after leaving) and a rule over the facts below, written in the file. A rule
//! that needs a fact Itinera does not have for a person (no education level recorded)
//! leaves that person out of that indicator's count and lists them on the data-quality
//! page, rather than guessing.
//!
//! **Who is a participant.** A person counts once per operation (programme): their first
//! entry in it is their entry, with the facts of the snapshot taken that day
//! (`esf_entries`); a person who leaves and enters again is the same participant. A
//! participant *leaves* when the last of their cases in the programme closes and none is
//! open; the facts upon leaving are those of that day (`esf_exits`). The sex of every
//! figure is the one recorded at entry, so a later change of the marker does not move
//! a person between columns of a period already reported.
//!
//! **The facts** (field names the rules use):
//! - at entry: `age` (whole years on the day of entry), `isced` (ISCED 2011 level, 0–8),
//!   `labour_status` (`unemployed`, `long_term_unemployed`, `inactive`, `employed`),
//!   `disability`, `minority` (`yes`, `no`, `declined` — special categories of data the
//!   person may decline to give), `foreign_background` (the migrant flag of the record),
//!   `third_country` (a nationality outside the EU), `homeless`, `rural`,
//!   `single_adult_with_children` (single parent with dependants), `disadvantaged` (any of
//!   disability, minority, foreign background, homelessness);
//! - upon leaving: `job_searching` (registered as unemployed on the day of leaving and
//!   neither employed nor in education), `in_education` (left to training, or enrolled
//!   on a course still running), `qualification` (a course certificate obtained during
//!   the participation), `employed` (left to a job, or a contract running on that day);
//! - six months after leaving: `employed_six_months` (a contract recorded in Itinera
//!   running on that day), `improved_six_months` (recorded by the case team at the
//!   six-month follow-up; not known until then).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::disclosure::{self, Line, Relations, Shown, Split};
use crate::participant::age_on;

/// The sets shipped, by code.
const SETS: &[(&str, &str)] = &[
    (
        "esf_plus_2021_2027",
        include_str!("../indicators/esf_plus_2021_2027.json"),
    ),
    (
        "esf_2014_2020",
        include_str!("../indicators/esf_2014_2020.json"),
    ),
];

/// The set used when none is named.
pub const DEFAULT_SET: &str = "esf_plus_2021_2027";

/// The member states of the European Union (ISO 3166-1 alpha-2), for "third-country
/// nationals".
const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// The sexes of the columns, in order.
pub const SEXES: &[&str] = &["female", "male", "non_binary"];

crate::coded_enum!(Stage {
    Entry = "entry",
    Leaving = "leaving",
    SixMonths = "six_months",
});

/// A rule over a participant's facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Rule {
    All(AllOf),
    Any(AnyOf),
    Not(NotRule),
    In(InRule),
    Range(RangeRule),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllOf {
    pub all: Vec<Rule>,
}
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyOf {
    pub any: Vec<Rule>,
}
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotRule {
    pub not: Box<Rule>,
}
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InRule {
    pub field: String,
    #[serde(rename = "in")]
    pub values: Vec<String>,
}
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeRule {
    pub field: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// The fields rules may use, and whether each is a number.
const FIELDS: &[(&str, bool)] = &[
    ("age", true),
    ("isced", true),
    ("labour_status", false),
    ("disability", false),
    ("minority", false),
    ("foreign_background", false),
    ("third_country", false),
    ("homeless", false),
    ("rural", false),
    ("single_adult_with_children", false),
    ("disadvantaged", false),
    ("job_searching", false),
    ("in_education", false),
    ("qualification", false),
    ("employed", false),
    ("employed_six_months", false),
    ("improved_six_months", false),
];

/// One indicator of a set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// The Regulation's code (e.g. `EECO02`); its name is the translation `esf.<code>`.
    pub code: String,
    pub stage: Stage,
    /// The point of the Regulation's annex that defines it.
    pub reference: String,
    pub rule: Rule,
    /// A special-category field whose "declined to answer" is counted beside it.
    #[serde(default)]
    pub declinable: Option<String>,
    /// The indicator whose people this one's are a part of, besides its stage's
    /// population (the long-term unemployed are unemployed).
    #[serde(default)]
    pub within: Option<String>,
    /// A name shared by the indicators that, with the people whose fact is missing,
    /// make up their stage's population (the unemployed, the inactive and the
    /// employed): suppressed together, so that none comes out of the others.
    #[serde(default)]
    pub split: Option<String>,
}

/// An indicator set: one Regulation's annex.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSet {
    pub code: String,
    /// The Regulation, cited.
    pub regulation: String,
    pub indicators: Vec<Indicator>,
}

/// The codes of the sets shipped.
pub fn set_codes() -> Vec<&'static str> {
    SETS.iter().map(|(c, _)| *c).collect()
}

/// A set by code, parsed and checked (an unknown field or a bad file is an error).
pub fn set(code: &str) -> Result<IndicatorSet, String> {
    let (_, text) = SETS
        .iter()
        .find(|(c, _)| *c == code)
        .ok_or_else(|| format!("unknown indicator set {code}"))?;
    let s: IndicatorSet = serde_json::from_str(text).map_err(|e| format!("{code}: {e}"))?;
    for i in &s.indicators {
        check_rule(&i.rule).map_err(|f| format!("{code} {}: unknown field {f}", i.code))?;
        if let Some(w) = &i.within {
            if !s
                .indicators
                .iter()
                .any(|o| o.code == *w && o.stage == i.stage)
            {
                return Err(format!("{code} {}: within {w}, not of its stage", i.code));
            }
        }
    }
    Ok(s)
}

fn check_rule(r: &Rule) -> Result<(), String> {
    match r {
        Rule::All(a) => a.all.iter().try_for_each(check_rule),
        Rule::Any(a) => a.any.iter().try_for_each(check_rule),
        Rule::Not(n) => check_rule(&n.not),
        Rule::In(i) => match FIELDS.iter().find(|(f, _)| *f == i.field) {
            Some((_, false)) => Ok(()),
            _ => Err(i.field.clone()),
        },
        Rule::Range(g) => match FIELDS.iter().find(|(f, _)| *f == g.field) {
            Some((_, true)) => Ok(()),
            _ => Err(g.field.clone()),
        },
    }
}

/// A yes/no/declined answer to a special-category question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Declined,
}

impl Answer {
    pub fn code(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "declined" => Some(Answer::Declined),
            _ => None,
        }
    }
    fn from_bool(b: bool) -> Self {
        if b {
            Answer::Yes
        } else {
            Answer::No
        }
    }
}

/// The facts of a participant on the day of entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub sex: String,
    pub entered_on: NaiveDate,
    pub birth_date: NaiveDate,
    pub nationality: Option<String>,
    pub isced_level: Option<i16>,
    pub labour_status: String,
    pub disability: Answer,
    pub minority: Answer,
    pub migrant: bool,
    pub homeless: bool,
    pub rural: bool,
    pub single_parent: bool,
    pub dependants: i16,
}

/// The facts upon leaving.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaving {
    pub left_on: NaiveDate,
    /// The labour status recorded on the day of leaving.
    pub labour_status: String,
    pub employed: bool,
    pub in_education: bool,
    pub qualification: bool,
    /// A contract running six months after leaving (known once that day has come).
    pub employed_six_months: bool,
    /// The six-month follow-up's answer, when recorded.
    pub improved_six_months: Option<bool>,
}

impl Leaving {
    /// The day six months after leaving.
    pub fn six_months_on(&self) -> NaiveDate {
        six_months_after(self.left_on)
    }
}

/// The day six months after `d` (the last day of the month when it has no such day).
pub fn six_months_after(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(6)).unwrap_or(d)
}

/// One participant of an operation: who (an opaque key), the entry, the leaving if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub key: uuid::Uuid,
    pub entry: Entry,
    pub leaving: Option<Leaving>,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(&'static str),
    Number(i64),
    Missing,
}

fn yes(b: bool) -> Value {
    Value::Text(if b { "yes" } else { "no" })
}

impl Participant {
    fn value(&self, field: &str, today: NaiveDate) -> Value {
        let e = &self.entry;
        let l = self.leaving.as_ref();
        match field {
            "age" => Value::Number(i64::from(age_on(e.birth_date, e.entered_on))),
            "isced" => e
                .isced_level
                .map_or(Value::Missing, |v| Value::Number(i64::from(v))),
            "labour_status" => crate::participant::LabourStatus::parse(&e.labour_status)
                .map_or(Value::Missing, |s| Value::Text(s.code())),
            "disability" => Value::Text(e.disability.code()),
            "minority" => Value::Text(e.minority.code()),
            "foreign_background" => yes(e.migrant),
            "third_country" => match e.nationality.as_deref() {
                None | Some("") => Value::Missing,
                Some(n) => yes(!EU.contains(&n.to_ascii_uppercase().as_str())),
            },
            "homeless" => yes(e.homeless),
            "rural" => yes(e.rural),
            "single_adult_with_children" => yes(e.single_parent && e.dependants > 0),
            "disadvantaged" => yes(e.disability == Answer::Yes
                || e.minority == Answer::Yes
                || e.migrant
                || e.homeless),
            "job_searching" => l.map_or(Value::Missing, |l| {
                yes(!l.employed
                    && !l.in_education
                    && matches!(
                        l.labour_status.as_str(),
                        "unemployed" | "long_term_unemployed"
                    ))
            }),
            "in_education" => l.map_or(Value::Missing, |l| yes(l.in_education)),
            "qualification" => l.map_or(Value::Missing, |l| yes(l.qualification)),
            "employed" => l.map_or(Value::Missing, |l| yes(l.employed)),
            "employed_six_months" => match l {
                Some(l) if l.six_months_on() <= today => yes(l.employed_six_months),
                _ => Value::Missing,
            },
            "improved_six_months" => match l {
                Some(l) if l.six_months_on() <= today => {
                    l.improved_six_months.map_or(Value::Missing, yes)
                }
                _ => Value::Missing,
            },
            _ => Value::Missing,
        }
    }

    /// Whether the rule holds; `None` when a fact it needs is missing.
    fn eval(&self, r: &Rule, today: NaiveDate) -> Option<bool> {
        match r {
            Rule::All(a) => {
                let mut missing = false;
                for x in &a.all {
                    match self.eval(x, today) {
                        Some(false) => return Some(false),
                        None => missing = true,
                        Some(true) => {}
                    }
                }
                (!missing).then_some(true)
            }
            Rule::Any(a) => {
                let mut missing = false;
                for x in &a.any {
                    match self.eval(x, today) {
                        Some(true) => return Some(true),
                        None => missing = true,
                        Some(false) => {}
                    }
                }
                (!missing).then_some(false)
            }
            Rule::Not(n) => self.eval(&n.not, today).map(|b| !b),
            Rule::In(i) => match self.value(&i.field, today) {
                Value::Text(t) => Some(i.values.iter().any(|v| v == t)),
                _ => None,
            },
            Rule::Range(g) => match self.value(&g.field, today) {
                Value::Number(n) => {
                    Some(g.min.is_none_or(|m| n >= m) && g.max.is_none_or(|m| n <= m))
                }
                _ => None,
            },
        }
    }
}

/// The reporting period (both days included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The first day on which a participant may have left and still be in one of the
    /// period's populations: six months after it may fall in the period (a little
    /// earlier than six months back, for the months without such a day). The people
    /// who entered in the period or left since this day are all the period counts: the
    /// computation may leave the others out before it starts.
    pub fn left_since(&self) -> NaiveDate {
        self.from
            .checked_sub_months(Months::new(6))
            .and_then(|d| d.checked_sub_days(chrono::Days::new(4)))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// Whether a participant belongs to the population an indicator of `stage` counts in
/// the period: entered in it; left in it; or left and reached six months after
/// leaving within it (and not after today).
pub fn in_population(p: &Participant, stage: Stage, period: Period, today: NaiveDate) -> bool {
    match (stage, &p.leaving) {
        (Stage::Entry, _) => period.contains(p.entry.entered_on),
        (Stage::Leaving, Some(l)) => period.contains(l.left_on),
        (Stage::SixMonths, Some(l)) => {
            let d = l.six_months_on();
            period.contains(d) && d <= today
        }
        _ => false,
    }
}

/// A computed figure: counts by sex (in `SEXES` order) and total, before suppression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    pub by_sex: [u64; 3],
    pub total: u64,
}

impl Counts {
    fn add(&mut self, sex: &str) {
        if let Some(i) = SEXES.iter().position(|s| *s == sex) {
            if let Some(c) = self.by_sex.get_mut(i) {
                *c += 1;
            }
        }
        self.total += 1;
    }
}

/// One indicator computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub code: String,
    pub stage: Stage,
    pub reference: String,
    pub counts: Counts,
    /// Participants of the population whose missing facts keep them out of the count.
    pub missing: Vec<uuid::Uuid>,
    /// Participants who declined to answer the indicator's special-category question.
    pub declined: u64,
    /// As in the set (see [`Indicator`]).
    pub within: Option<String>,
    pub split: Option<String>,
}

/// The populations (all entrants, all leavers, all at six months) and each indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Computation {
    pub populations: Vec<(Stage, Counts)>,
    pub indicators: Vec<Computed>,
}

/// Computes a set over the participants of an operation for a period.
pub fn compute(
    set: &IndicatorSet,
    participants: &[Participant],
    period: Period,
    today: NaiveDate,
) -> Computation {
    let mut populations: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for st in Stage::ALL {
        let c = populations.entry(st.code()).or_default();
        for p in participants {
            if in_population(p, *st, period, today) {
                c.add(&p.entry.sex);
            }
        }
    }
    let indicators = set
        .indicators
        .iter()
        .map(|ind| {
            let mut counts = Counts::default();
            let mut missing = Vec::new();
            let mut declined = 0;
            for p in participants {
                if !in_population(p, ind.stage, period, today) {
                    continue;
                }
                match p.eval(&ind.rule, today) {
                    Some(true) => counts.add(&p.entry.sex),
                    Some(false) => {}
                    None => missing.push(p.key),
                }
                if let Some(f) = &ind.declinable {
                    if p.value(f, today) == Value::Text("declined") {
                        declined += 1;
                    }
                }
            }
            Computed {
                code: ind.code.clone(),
                stage: ind.stage,
                reference: ind.reference.clone(),
                within: ind.within.clone(),
                split: ind.split.clone(),
                counts,
                missing,
                declined,
            }
        })
        .collect();
    Computation {
        populations: Stage::ALL
            .iter()
            .map(|s| (*s, populations.get(s.code()).cloned().unwrap_or_default()))
            .collect(),
        indicators,
    }
}

/// A row as published: by sex and total, `None` where suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub by_sex: [Option<u64>; 3],
    pub total: Option<u64>,
    pub missing: Option<u64>,
    pub declined: Option<u64>,
}

fn published(s: &Shown, missing: u64, declined: u64, threshold: u32) -> Published {
    let part = |i: usize| s.parts.get(i).copied().flatten();
    Published {
        by_sex: [part(0), part(1), part(2)],
        total: s.total,
        missing: disclosure::single(missing, threshold),
        declined: disclosure::single(declined, threshold),
    }
}

/// The table as published with `threshold` (see `disclosure`): the populations first,
/// then the indicators, each within the population of its stage.
pub fn publish(c: &Computation, threshold: u32) -> (Vec<Published>, Vec<Published>) {
    let mut lines: Vec<Line> = c
        .populations
        .iter()
        .map(|(_, n)| Line {
            parts: n.by_sex.to_vec(),
            total: n.total,
            within: None,
        })
        .collect();
    for i in &c.indicators {
        let within = c.populations.iter().position(|(s, _)| *s == i.stage);
        lines.push(Line {
            parts: i.counts.by_sex.to_vec(),
            total: i.counts.total,
            within,
        });
    }
    let n = c.populations.len();
    let index = |code: &str| {
        c.indicators
            .iter()
            .position(|i| i.code == code)
            .map(|k| n + k)
    };
    let mut rel = Relations::default();
    let mut splits: BTreeMap<(usize, &str), Vec<usize>> = BTreeMap::new();
    for (k, i) in c.indicators.iter().enumerate() {
        if let Some(outer) = i.within.as_deref().and_then(index) {
            rel.within.push((n + k, outer));
        }
        let pop = c.populations.iter().position(|(s, _)| *s == i.stage);
        if let (Some(name), Some(whole)) = (i.split.as_deref(), pop) {
            splits.entry((whole, name)).or_default().push(n + k);
        }
    }
    // What the lines of a split leave of their whole (the people of the values no
    // indicator names — aged 30 to 54, ISCED 0 in the 2014–2020 set — and those whose
    // fact is missing) is their whole minus their sum: an outsider works it out, so it
    // is a line of the split too, never published, judged like the others.
    let mut rest: Vec<(usize, Vec<usize>)> = Vec::new();
    for ((whole, _), parts) in splits {
        let Some(w) = lines.get(whole).cloned() else {
            continue;
        };
        let mut remainder = w.parts.clone();
        let mut total = w.total;
        for p in &parts {
            if let Some(l) = lines.get(*p) {
                for (r, v) in remainder.iter_mut().zip(&l.parts) {
                    *r = r.saturating_sub(*v);
                }
                total = total.saturating_sub(l.total);
            }
        }
        lines.push(Line {
            parts: remainder,
            total,
            within: Some(whole),
        });
        let mut parts = parts;
        parts.push(lines.len() - 1);
        rest.push((whole, parts));
    }
    rel.splits = rest
        .into_iter()
        .map(|(whole, parts)| Split { whole, parts })
        .collect();
    let shown = disclosure::suppress_related(&lines, &rel, threshold);
    let pops = shown
        .iter()
        .take(n)
        .map(|s| published(s, 0, 0, threshold))
        .collect();
    let inds = shown
        .iter()
        .skip(n)
        .zip(&c.indicators)
        .map(|(s, i)| published(s, i.missing.len() as u64, i.declined, threshold))
        .collect();
    (pops, inds)
}

/// One case of an operation as recorded: its entry snapshot and, if closed, its exit.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub participant: uuid::Uuid,
    pub entry: Entry,
    /// Closed: the day, the exit reason and the labour status on the day of leaving.
    pub exit: Option<(NaiveDate, Option<String>, String)>,
    /// The six-month follow-up's answer for this case.
    pub improved_six_months: Option<bool>,
}

/// A span of a contract or a course of a person (`to` open when running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub participant: uuid::Uuid,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Span {
    fn covers(&self, d: NaiveDate) -> bool {
        self.from <= d && self.to.is_none_or(|t| t >= d)
    }
}

/// What else is recorded of the operation's participants: their contracts, their course
/// enrolments (running) and the certificates they obtained (`to` is the course's end).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub contracts: Vec<Span>,
    pub courses: Vec<Span>,
    pub certificates: Vec<Span>,
}

/// The participants of an operation from its cases: a person once, entered on their
/// first case; left when no case of theirs is open, on the latest closing.
pub fn participants(cases: &[CaseFacts], records: &Records) -> Vec<Participant> {
    let mut by_person: BTreeMap<uuid::Uuid, Vec<&CaseFacts>> = BTreeMap::new();
    for c in cases {
        by_person.entry(c.participant).or_default().push(c);
    }
    let index = |spans: &[Span]| {
        let mut m: BTreeMap<uuid::Uuid, Vec<Span>> = BTreeMap::new();
        for s in spans {
            m.entry(s.participant).or_default().push(*s);
        }
        m
    };
    let (contracts_of, courses_of, certificates_of) = (
        index(&records.contracts),
        index(&records.courses),
        index(&records.certificates),
    );
    let of = |m: &BTreeMap<uuid::Uuid, Vec<Span>>, who: uuid::Uuid| -> Vec<Span> {
        m.get(&who).cloned().unwrap_or_default()
    };
    by_person
        .into_iter()
        .filter_map(|(who, cs)| {
            let first = cs.iter().min_by_key(|c| c.entry.entered_on)?;
            let all_closed = cs.iter().all(|c| c.exit.is_some());
            let last = cs
                .iter()
                .filter_map(|c| c.exit.as_ref().map(|x| (x, *c)))
                .max_by_key(|(x, _)| x.0);
            let leaving = match (all_closed, last) {
                (true, Some(((left_on, reason, status), c))) => {
                    let contracts = of(&contracts_of, who);
                    let courses = of(&courses_of, who);
                    let six = six_months_after(*left_on);
                    Some(Leaving {
                        left_on: *left_on,
                        labour_status: status.clone(),
                        employed: reason.as_deref() == Some("employed")
                            || contracts.iter().any(|k| k.covers(*left_on)),
                        in_education: reason.as_deref() == Some("in_training")
                            || courses
                                .iter()
                                .any(|k| k.covers(*left_on) && k.to.is_none_or(|t| t > *left_on)),
                        qualification: of(&certificates_of, who).iter().any(|k| {
                            k.to.is_none_or(|t| t >= first.entry.entered_on && t <= *left_on)
                        }),
                        employed_six_months: contracts.iter().any(|k| k.covers(six)),
                        improved_six_months: c.improved_six_months,
                    })
                }
                _ => None,
            };
            Some(Participant {
                key: who,
                entry: first.entry.clone(),
                leaving,
            })
        })
        .collect()
}

/// The entry facts from a participant's record as it stands (used for the snapshot).
pub fn answer(b: bool) -> Answer {
    Answer::from_bool(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(sex: &str, born: &str, entered: &str, status: &str) -> Entry {
        Entry {
            sex: sex.into(),
            entered_on: d(entered),
            birth_date: d(born),
            nationality: Some("ES".into()),
            isced_level: Some(2),
            labour_status: status.into(),
            disability: Answer::No,
            minority: Answer::No,
            migrant: false,
            homeless: false,
            rural: false,
            single_parent: false,
            dependants: 0,
        }
    }

    fn person(n: u128, e: Entry, l: Option<Leaving>) -> Participant {
        Participant {
            key: uuid::Uuid::from_u128(n),
            entry: e,
            leaving: l,
        }
    }

    fn find<'a>(c: &'a Computation, code: &str) -> &'a Computed {
        c.indicators.iter().find(|i| i.code == code).unwrap()
    }

    #[test]
    fn the_sets_shipped_parse_and_use_known_fields() {
        for code in set_codes() {
            let s = set(code).unwrap();
            assert!(!s.indicators.is_empty());
            let mut codes: Vec<&str> = s.indicators.iter().map(|i| i.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), s.indicators.len(), "{code}: duplicate codes");
        }
        let plus = set(DEFAULT_SET).unwrap();
        for c in (1..=17)
            .map(|n| format!("EECO{n:02}"))
            .chain((1..=6).map(|n| format!("EECR{n:02}")))
        {
            assert!(plus.indicators.iter().any(|i| i.code == c), "{c} missing");
        }
        assert!(set("nope").is_err());
    }

    #[test]
    fn outputs_at_entry_by_sex_with_ages_on_the_day_of_entry() {
        let set = set(DEFAULT_SET).unwrap();
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        let mut young = entry("female", "1996-06-01", "2025-05-31", "long_term_unemployed");
        young.isced_level = None; // missing education
        let ps = vec![
            // 28 years old on the day of entry (29 on 1 June): in 18–29.
            person(1, young, None),
            person(
                2,
                entry("male", "1970-01-01", "2025-03-01", "inactive"),
                None,
            ),
            person(
                3,
                entry("non_binary", "2008-01-01", "2025-03-01", "employed"),
                None,
            ),
            // Entered before the period: not counted at entry.
            person(
                4,
                entry("female", "1980-01-01", "2024-12-31", "unemployed"),
                None,
            ),
        ];
        let c = compute(&set, &ps, period, d("2026-01-01"));
        assert_eq!(find(&c, "EECO01").counts.by_sex, [1, 1, 1]);
        assert_eq!(find(&c, "EECO02").counts.total, 1);
        assert_eq!(find(&c, "EECO03").counts.by_sex, [1, 0, 0]);
        assert_eq!(find(&c, "EECO04").counts.by_sex, [0, 1, 0]);
        assert_eq!(find(&c, "EECO05").counts.by_sex, [0, 0, 1]);
        assert_eq!(find(&c, "EECO06").counts.by_sex, [0, 0, 1]);
        assert_eq!(find(&c, "EECO07").counts.by_sex, [1, 0, 0]);
        assert_eq!(find(&c, "EECO08").counts.by_sex, [0, 1, 0]);
        let isced = find(&c, "EECO09");
        assert_eq!(isced.counts.total, 2);
        assert_eq!(isced.missing, vec![uuid::Uuid::from_u128(1)]);
    }

    #[test]
    fn results_upon_leaving_and_six_months_after() {
        let set = set(DEFAULT_SET).unwrap();
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        let left = |on: &str, employed: bool, six: bool| Leaving {
            left_on: d(on),
            labour_status: if employed { "employed" } else { "unemployed" }.into(),
            employed,
            in_education: false,
            qualification: !employed,
            employed_six_months: six,
            improved_six_months: None,
        };
        let ps = vec![
            person(
                1,
                entry("female", "1990-01-01", "2024-02-01", "unemployed"),
                Some(left("2025-02-01", true, true)),
            ),
            person(
                2,
                entry("male", "1990-01-01", "2024-02-01", "unemployed"),
                Some(left("2025-03-01", false, false)),
            ),
            // Left in the period but six months fall after today: not yet in the longer-term population.
            person(
                3,
                entry("female", "1990-01-01", "2024-02-01", "unemployed"),
                Some(left("2025-11-01", true, true)),
            ),
        ];
        let today = d("2025-12-31");
        let c = compute(&set, &ps, period, today);
        assert_eq!(find(&c, "EECR01").counts.by_sex, [0, 1, 0]);
        assert_eq!(find(&c, "EECR03").counts.by_sex, [0, 1, 0]);
        assert_eq!(find(&c, "EECR04").counts.by_sex, [2, 0, 0]);
        assert_eq!(find(&c, "EECR05").counts.by_sex, [1, 0, 0]);
        // Improvement is only known from the follow-up: both leavers due are missing.
        assert_eq!(find(&c, "EECR06").missing.len(), 2);
        let pops = &c.populations;
        assert_eq!(pops[1].1.total, 3);
        assert_eq!(pops[2].1.total, 2);
    }

    #[test]
    fn declined_special_categories_are_counted_apart() {
        let set = set(DEFAULT_SET).unwrap();
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        let mut a = entry("female", "1990-01-01", "2025-02-01", "unemployed");
        a.disability = Answer::Declined;
        let mut b = entry("female", "1990-01-01", "2025-02-01", "unemployed");
        b.disability = Answer::Yes;
        let c = compute(
            &set,
            &[person(1, a, None), person(2, b, None)],
            period,
            d("2026-01-01"),
        );
        let dis = find(&c, "EECO12");
        assert_eq!(dis.counts.total, 1);
        assert_eq!(dis.declined, 1);
        assert!(dis.missing.is_empty());
    }

    #[test]
    fn whoever_reaches_six_months_in_a_period_left_since_its_bound() {
        let mut from = d("2023-01-01");
        while from < d("2025-01-01") {
            let p = Period {
                from,
                to: from + chrono::Days::new(40),
            };
            let mut left = from - chrono::Days::new(400);
            while left <= p.to {
                if p.contains(six_months_after(left)) {
                    assert!(left >= p.left_since(), "{left} for {from}");
                }
                left = left + chrono::Days::new(1);
            }
            from = from + chrono::Days::new(1);
        }
    }

    #[test]
    fn a_person_who_enters_twice_is_one_participant() {
        let who = uuid::Uuid::from_u128(7);
        let e1 = entry("female", "1990-01-01", "2024-03-01", "long_term_unemployed");
        let mut e2 = entry("male", "1990-01-01", "2025-02-01", "employed");
        e2.isced_level = None;
        let case = |e: Entry, exit: Option<(&str, &str)>| CaseFacts {
            participant: who,
            entry: e,
            exit: exit.map(|(d_, r)| (d(d_), Some(r.to_string()), "unemployed".to_string())),
            improved_six_months: None,
        };
        // Left, re-entered, still open: entered once (first entry's facts), not left.
        let open = participants(
            &[
                case(e1.clone(), Some(("2024-09-01", "dropped_out"))),
                case(e2.clone(), None),
            ],
            &Records::default(),
        );
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].entry, e1);
        assert!(open[0].leaving.is_none());
        // Both closed: left on the latest closing, employed by a contract running then,
        // with a certificate obtained in between; the contract ended before six months.
        let records = Records {
            contracts: vec![Span {
                participant: who,
                from: d("2025-05-01"),
                to: Some(d("2025-08-01")),
            }],
            courses: vec![],
            certificates: vec![Span {
                participant: who,
                from: d("2025-02-01"),
                to: Some(d("2025-04-30")),
            }],
        };
        let left = participants(
            &[
                case(e1.clone(), Some(("2024-09-01", "dropped_out"))),
                case(e2, Some(("2025-06-01", "other"))),
            ],
            &records,
        );
        let l = left[0].leaving.as_ref().unwrap();
        assert_eq!(l.left_on, d("2025-06-01"));
        assert!(l.employed && l.qualification && !l.in_education && !l.employed_six_months);
        assert_eq!(left[0].entry.sex, "female");
    }

    #[test]
    fn no_indicator_comes_out_of_the_others_that_split_its_population() {
        let set = set(DEFAULT_SET).unwrap();
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        // 30 women: 3 at ISCED 0–2, 15 at 3–4, 12 at 5–8 (none missing); all
        // unemployed, 27 of them long-term.
        let ps: Vec<Participant> = (0..30u128)
            .map(|n| {
                let status = match n {
                    0..=26 => "long_term_unemployed",
                    _ => "unemployed",
                };
                let mut e = entry("female", "1990-01-01", "2025-02-01", status);
                e.isced_level = Some(match n {
                    0..=2 => 1,
                    3..=17 => 3,
                    _ => 6,
                });
                person(n, e, None)
            })
            .collect();
        let c = compute(&set, &ps, period, d("2026-01-01"));
        let (pops, inds) = publish(&c, 5);
        assert_eq!(pops[0].total, Some(30));
        let total = |code: &str| {
            let k = set.indicators.iter().position(|i| i.code == code).unwrap();
            (find(&c, code).counts.total, inds[k].total)
        };
        // ISCED: the 3 are hidden, and so is another level, or 30 − 15 − 12 tells.
        assert_eq!(total("EECO09"), (3, None));
        let shown: Vec<u64> = ["EECO09", "EECO10", "EECO11"]
            .iter()
            .filter_map(|c| total(c).1)
            .collect();
        assert!(shown.len() <= 1, "{shown:?}");
        // The long-term unemployed (27) are 3 short of the unemployed (30, shown).
        assert_eq!(total("EECO02"), (30, Some(30)));
        assert_eq!(total("EECO03"), (27, None));
    }

    #[test]
    fn what_the_age_groups_and_the_older_set_leave_out_is_not_given_away() {
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        // 30 women: 14 aged 18–29, 13 aged 55 or more, 3 aged 30–54 (no indicator
        // names them: entrants − the age groups would); all unemployed, 27 long-term
        // (the 2014–2020 set's CO02 is within CO01); ISCED 0 for 3 (no 2014–2020
        // indicator names ISCED 0).
        let ps: Vec<Participant> = (0..30u128)
            .map(|n| {
                let born = match n {
                    0..=13 => "2000-01-01",
                    14..=26 => "1960-01-01",
                    _ => "1985-01-01",
                };
                let status = if n < 27 {
                    "long_term_unemployed"
                } else {
                    "unemployed"
                };
                let mut e = entry("female", born, "2025-02-01", status);
                e.isced_level = Some(if n < 3 { 0 } else { 3 });
                person(n, e, None)
            })
            .collect();
        for code in [DEFAULT_SET, "esf_2014_2020"] {
            let set = set(code).unwrap();
            let c = compute(&set, &ps, period, d("2026-01-01"));
            let (pops, inds) = publish(&c, 5);
            let entrants = pops[0].total.unwrap_or(0);
            let shown = |codes: &[&str]| -> Option<u64> {
                codes
                    .iter()
                    .map(|code| {
                        let k = set.indicators.iter().position(|i| i.code == *code)?;
                        inds[k].total
                    })
                    .sum()
            };
            let ages: &[&str] = if code == DEFAULT_SET {
                &["EECO06", "EECO07", "EECO08"]
            } else {
                &["CO06", "CO07"]
            };
            if let Some(all) = shown(ages) {
                let rest = entrants - all;
                assert!(rest == 0 || rest >= 5, "{code}: ages leave {rest}");
            }
            if code != DEFAULT_SET {
                if let (Some(unemployed), Some(long)) = (shown(&["CO01"]), shown(&["CO02"])) {
                    let short = unemployed - long;
                    assert!(short == 0 || short >= 5, "CO01 − CO02 = {short}");
                }
                if let Some(levels) = shown(&["CO09", "CO10", "CO11"]) {
                    let rest = entrants - levels;
                    assert!(rest == 0 || rest >= 5, "ISCED leaves {rest}");
                }
            }
        }
    }

    #[test]
    fn third_country_and_published_suppression() {
        let set = set(DEFAULT_SET).unwrap();
        let period = Period {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        let mut ps = Vec::new();
        for n in 0..12u128 {
            let mut e = entry(
                if n % 2 == 0 { "female" } else { "male" },
                "1990-01-01",
                "2025-02-01",
                "unemployed",
            );
            if n == 0 {
                e.nationality = Some("MA".into());
            }
            ps.push(person(n, e, None));
        }
        let c = compute(&set, &ps, period, d("2026-01-01"));
        assert_eq!(find(&c, "EECO13").counts.total, 1);
        let (pops, inds) = publish(&c, 5);
        assert_eq!(pops[0].total, Some(12));
        let i13 = set
            .indicators
            .iter()
            .position(|i| i.code == "EECO13")
            .unwrap();
        assert_eq!(inds[i13].total, None);
        // 12 unemployed of 12: nothing to hide.
        let i02 = set
            .indicators
            .iter()
            .position(|i| i.code == "EECO02")
            .unwrap();
        assert_eq!(inds[i02].by_sex, [Some(6), Some(6), Some(0)]);
    }
}
