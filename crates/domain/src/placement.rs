//! Placements (inserción laboral, inserimento lavorativo): a participant's employment
//! contracts, their follow-up during the contract, and the retention checks at 3, 6
//! and 12 months after the start that the ESF+ six-month result and a programme's
//! retention figures are computed from — stored as facts, not as free text.
//!
//! The national contract types are data (`contract_types`, seeded by a migration with
//! Spain's types after the 2021 labour reform and Italy's): a deployment adds its own
//! without a change of code; their names are in the translation files under
//! `contract_type.<code>`.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_bool, lenient_string, optional_date, optional_text, required_text};

/// Months after a contract's start at which whether the person is still employed is
/// checked.
pub const RETENTION_MONTHS: [u32; 3] = [3, 6, 12];

/// Days between two follow-up contacts while a contract runs (monthly by default).
pub const FOLLOW_UP_DAYS: i64 = 30;

/// A workplace tutor reaches a contract they tutor while it runs and until this many
/// days after it ends.
pub const TUTOR_REACH_DAYS: i64 = 31;

/// Whether the tutor of a contract that ended on `ended_on` (if it has) still reaches it.
pub fn tutor_reaches(ended_on: Option<chrono::NaiveDate>, today: chrono::NaiveDate) -> bool {
    ended_on.is_none_or(|e| today <= e + chrono::Duration::days(TUTOR_REACH_DAYS))
}

coded_enum!(
    /// Why a contract ended before or at its planned end.
    EndReason {
        EndOfTerm = "end_of_term",
        Resignation = "resignation",
        Dismissal = "dismissal",
        TrialPeriod = "trial_period",
        Other = "other",
    }
);

coded_enum!(
    /// What a retention check found: the person still works for the same employer, for
    /// another one, or does not work.
    RetentionOutcome {
        SameEmployer = "same_employer",
        OtherEmployer = "other_employer",
        NotEmployed = "not_employed",
    }
);

impl RetentionOutcome {
    /// Whether the person is employed (the fact the indicators count).
    pub fn employed(self) -> bool {
        !matches!(self, RetentionOutcome::NotEmployed)
    }
}

/// A contract as typed in a form or sent by an integrator.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContractInput {
    /// The employer: an organisation of kind employer or insertion company.
    #[serde(deserialize_with = "lenient_string")]
    pub employer_id: String,
    /// The workplace (centre, address) where the person works.
    pub workplace: String,
    /// ISCO-08 occupation code (1 to 4 digits: major group to unit group).
    #[serde(deserialize_with = "lenient_string")]
    pub isco_code: String,
    pub position_title: String,
    /// A code of `GET /contract-types`.
    pub contract_type: String,
    /// An insertion contract (empresa de inserción, inserimento lavorativo).
    #[serde(deserialize_with = "lenient_bool")]
    pub insertion: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub hours_per_week: String,
    #[serde(deserialize_with = "lenient_string")]
    pub start_on: String,
    /// Empty for an open-ended contract.
    #[serde(deserialize_with = "lenient_string")]
    pub planned_end_on: String,
    /// The workplace tutor: a user of the employer (optional).
    #[serde(deserialize_with = "lenient_string")]
    pub tutor_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContractData {
    pub employer_id: Uuid,
    pub workplace: Option<String>,
    pub isco_code: String,
    pub position_title: String,
    pub contract_type: String,
    pub insertion: bool,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub tutor_id: Option<Uuid>,
}

fn required_id(raw: &str) -> Result<Uuid, &'static str> {
    if raw.trim().is_empty() {
        return Err("validation.required");
    }
    Uuid::parse_str(raw.trim()).map_err(|_| "validation.choice")
}

/// Checks a contract's own fields. Whether the employer, the type and the tutor exist
/// and fit is the service's check (it reads them). `opened_on` is the case's opening.
pub fn check_contract(c: &ContractInput, opened_on: NaiveDate) -> Result<ContractData, Error> {
    let mut e = Errors::new();
    let employer_id = e.take("employer_id", required_id(&c.employer_id));
    let workplace = e.take("workplace", optional_text(&c.workplace, 300));
    let isco_code = e.take("isco_code", isco(&c.isco_code));
    let position_title = e.take("position_title", required_text(&c.position_title, 200));
    let contract_type = e.take(
        "contract_type",
        match c.contract_type.trim() {
            "" => Err("validation.required"),
            t if t.len() > 64 => Err("validation.choice"),
            t => Ok(t.to_string()),
        },
    );
    let hours_per_week = e.take("hours_per_week", hours(&c.hours_per_week));
    let start_on = e.take(
        "start_on",
        match optional_date(&c.start_on) {
            Ok(None) => Err("validation.required"),
            Ok(Some(d)) if d < opened_on => Err("validation.contract.before_case"),
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    let planned_end_on = e.take("planned_end_on", optional_date(&c.planned_end_on));
    if let (Some(s), Some(Some(end))) = (start_on, planned_end_on) {
        if end < s {
            e.add("planned_end_on", "validation.contract.ends_before_start");
        }
    }
    let tutor_id = e.take(
        "tutor_id",
        if c.tutor_id.trim().is_empty() {
            Ok(None)
        } else {
            Uuid::parse_str(c.tutor_id.trim())
                .map(Some)
                .map_err(|_| "validation.choice")
        },
    );
    e.finish()?;
    match (
        employer_id,
        workplace,
        isco_code,
        position_title,
        contract_type,
        hours_per_week,
        start_on,
        planned_end_on,
        tutor_id,
    ) {
        (Some(a), Some(b), Some(c2), Some(d), Some(t), Some(h), Some(s), Some(p), Some(tu)) => {
            Ok(ContractData {
                employer_id: a,
                workplace: b,
                isco_code: c2,
                position_title: d,
                contract_type: t,
                insertion: c.insertion,
                hours_per_week: h,
                start_on: s,
                planned_end_on: p,
                tutor_id: tu,
            })
        }
        _ => Err(Error::Internal("contract check".into())),
    }
}

/// An ISCO-08 code: 1 to 4 digits (major group, sub-major, minor, unit group).
fn isco(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        Err("validation.required")
    } else if s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("validation.contract.isco")
    }
}

/// Hours per week: more than 0, at most 60, in quarters of an hour at most (a comma is
/// a decimal point).
fn hours(raw: &str) -> Result<f64, &'static str> {
    let s = raw.trim().replace(',', ".");
    if s.is_empty() {
        return Err("validation.required");
    }
    // Rounded to the quarter first, so that 0.1 is not stored as a contract of 0 hours.
    match s.parse::<f64>().map(|h| (h * 4.0).round() / 4.0) {
        Ok(h) if h.is_finite() && h > 0.0 && h <= 60.0 => Ok(h),
        Ok(_) => Err("validation.contract.hours"),
        Err(_) => Err("validation.contract.hours"),
    }
}

/// When the retention checks of a contract that starts on `start` fall due.
pub fn retention_due(start: NaiveDate) -> Vec<(u32, NaiveDate)> {
    RETENTION_MONTHS
        .iter()
        .filter_map(|m| start.checked_add_months(Months::new(*m)).map(|d| (*m, d)))
        .collect()
}

/// The end of a contract, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContractEndInput {
    #[serde(deserialize_with = "lenient_string")]
    pub ended_on: String,
    pub end_reason: String,
    /// The contract's version the change was made on (optimistic concurrency).
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

/// Checks the end of a contract that started on `start`.
pub fn check_end(
    i: &ContractEndInput,
    start: NaiveDate,
    today: NaiveDate,
) -> Result<(NaiveDate, EndReason), Error> {
    let mut e = Errors::new();
    let ended_on = e.take(
        "ended_on",
        match optional_date(&i.ended_on) {
            Ok(None) => Err("validation.required"),
            Ok(Some(d)) if d < start => Err("validation.contract.ends_before_start"),
            Ok(Some(d)) if d > today => Err("validation.date.future"),
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    let reason = e.take(
        "end_reason",
        match i.end_reason.trim() {
            "" => Err("validation.required"),
            r => EndReason::parse(r).ok_or("validation.choice"),
        },
    );
    e.finish()?;
    match (ended_on, reason) {
        (Some(d), Some(r)) => Ok((d, r)),
        _ => Err(Error::Internal("contract end check".into())),
    }
}

/// A retention check, as recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RetentionInput {
    #[serde(deserialize_with = "lenient_string")]
    pub checked_on: String,
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetentionData {
    pub checked_on: NaiveDate,
    pub outcome: RetentionOutcome,
    pub note: Option<String>,
}

/// Checks a retention check of a contract that started on `start`. A check may be
/// recorded from a week before it falls due (a call made a little early still counts),
/// never in the future.
pub fn check_retention(
    i: &RetentionInput,
    start: NaiveDate,
    due_on: NaiveDate,
    today: NaiveDate,
) -> Result<RetentionData, Error> {
    let mut e = Errors::new();
    let checked_on = e.take(
        "checked_on",
        match optional_date(&i.checked_on) {
            Ok(None) => Ok(today),
            Ok(Some(d)) if d > today => Err("validation.date.future"),
            Ok(Some(d)) if d < start || d < due_on - chrono::Duration::days(7) => {
                Err("validation.retention.too_early")
            }
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    if checked_on.is_some() && today < due_on - chrono::Duration::days(7) {
        e.add("checked_on", "validation.retention.too_early");
    }
    let outcome = e.take(
        "outcome",
        match i.outcome.trim() {
            "" => Err("validation.required"),
            o => RetentionOutcome::parse(o).ok_or("validation.choice"),
        },
    );
    let note = e.take("note", optional_text(&i.note, 2000));
    e.finish()?;
    match (checked_on, outcome, note) {
        (Some(c), Some(o), Some(n)) => Ok(RetentionData {
            checked_on: c,
            outcome: o,
            note: n,
        }),
        _ => Err(Error::Internal("retention check".into())),
    }
}

/// When the next follow-up contact of a running contract is due: a month after the
/// last contact on the case, or after the start when there has been none since.
pub fn follow_up_due(start: NaiveDate, last_contact: Option<NaiveDate>) -> NaiveDate {
    let from = match last_contact {
        Some(c) if c > start => c,
        _ => start,
    };
    from + chrono::Duration::days(FOLLOW_UP_DAYS)
}

/// A contract's workplace tutor changed, as chosen (empty: none).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TutorInput {
    #[serde(deserialize_with = "lenient_string")]
    pub tutor_id: String,
    /// The contract's version the change was made on (optimistic concurrency).
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> ContractInput {
        ContractInput {
            employer_id: Uuid::nil().to_string(),
            workplace: "Nave 3".into(),
            isco_code: "9112".into(),
            position_title: "Limpieza".into(),
            contract_type: "es_indefinido".into(),
            insertion: true,
            hours_per_week: "30,5".into(),
            start_on: "2026-03-01".into(),
            planned_end_on: "2026-08-31".into(),
            tutor_id: String::new(),
        }
    }

    fn fields(e: Error) -> Vec<(String, &'static str)> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_contract_is_checked_field_by_field() {
        let c = check_contract(&input(), d("2026-01-10")).unwrap();
        assert_eq!(c.hours_per_week, 30.5);
        assert_eq!(c.planned_end_on, Some(d("2026-08-31")));
        assert!(c.insertion);
        let mut bad = input();
        bad.planned_end_on = "2026-02-28".into();
        bad.isco_code = "91125".into();
        bad.hours_per_week = "61".into();
        bad.position_title = " ".into();
        bad.tutor_id = "x".into();
        let f = fields(check_contract(&bad, d("2026-01-10")).unwrap_err());
        assert!(f.contains(&(
            "planned_end_on".into(),
            "validation.contract.ends_before_start"
        )));
        assert!(f.contains(&("isco_code".into(), "validation.contract.isco")));
        assert!(f.contains(&("hours_per_week".into(), "validation.contract.hours")));
        assert!(f.contains(&("position_title".into(), "validation.required")));
        assert!(f.contains(&("tutor_id".into(), "validation.choice")));
        // A contract may not start before the case it belongs to.
        let f = fields(check_contract(&input(), d("2026-03-02")).unwrap_err());
        assert_eq!(
            f,
            vec![("start_on".into(), "validation.contract.before_case")]
        );
        // Same-day end is allowed; open-ended is allowed.
        let mut one_day = input();
        one_day.planned_end_on = "2026-03-01".into();
        assert!(check_contract(&one_day, d("2026-01-10")).is_ok());
        one_day.planned_end_on = String::new();
        assert_eq!(
            check_contract(&one_day, d("2026-01-10"))
                .unwrap()
                .planned_end_on,
            None
        );
    }

    #[test]
    fn hours_are_rounded_to_the_quarter_before_they_are_checked() {
        assert_eq!(hours("37,5"), Ok(37.5));
        assert_eq!(hours("0.3"), Ok(0.25));
        assert_eq!(hours("60"), Ok(60.0));
        for bad in ["0.1", "0,12", "0", "-4", "60.2", "NaN", "inf", "", "x"] {
            assert!(hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retention_falls_due_at_three_six_and_twelve_months() {
        assert_eq!(
            retention_due(d("2026-01-31")),
            vec![
                (3, d("2026-04-30")),
                (6, d("2026-07-31")),
                (12, d("2027-01-31"))
            ]
        );
    }

    #[test]
    fn a_retention_check_is_a_fact_recorded_when_due() {
        let start = d("2026-01-15");
        let due = d("2026-04-15");
        let ok = RetentionInput {
            checked_on: "2026-04-14".into(),
            outcome: "other_employer".into(),
            note: String::new(),
        };
        let r = check_retention(&ok, start, due, d("2026-04-20")).unwrap();
        assert!(r.outcome.employed());
        // Too early: more than a week before it falls due.
        let early = RetentionInput {
            checked_on: "2026-03-01".into(),
            ..ok.clone()
        };
        let f = fields(check_retention(&early, start, due, d("2026-03-01")).unwrap_err());
        assert!(f.contains(&("checked_on".into(), "validation.retention.too_early")));
        let future = RetentionInput {
            checked_on: "2026-05-01".into(),
            outcome: "maybe".into(),
            note: String::new(),
        };
        let f = fields(check_retention(&future, start, due, d("2026-04-20")).unwrap_err());
        assert!(f.contains(&("checked_on".into(), "validation.date.future")));
        assert!(f.contains(&("outcome".into(), "validation.choice")));
        assert!(!RetentionOutcome::NotEmployed.employed());
    }

    #[test]
    fn an_end_comes_after_the_start_and_not_in_the_future() {
        let start = d("2026-01-15");
        let i = ContractEndInput {
            ended_on: "2026-01-14".into(),
            end_reason: "dismissal".into(),
            version: "1".into(),
        };
        let f = fields(check_end(&i, start, d("2026-03-01")).unwrap_err());
        assert_eq!(
            f,
            vec![("ended_on".into(), "validation.contract.ends_before_start")]
        );
        let i = ContractEndInput {
            ended_on: "2026-02-01".into(),
            end_reason: String::new(),
            version: "1".into(),
        };
        let f = fields(check_end(&i, start, d("2026-03-01")).unwrap_err());
        assert_eq!(f, vec![("end_reason".into(), "validation.required")]);
    }

    #[test]
    fn follow_up_is_a_month_after_the_last_contact() {
        let start = d("2026-01-15");
        assert_eq!(follow_up_due(start, None), d("2026-02-14"));
        assert_eq!(follow_up_due(start, Some(d("2025-12-01"))), d("2026-02-14"));
        assert_eq!(follow_up_due(start, Some(d("2026-03-01"))), d("2026-03-31"));
    }
}
