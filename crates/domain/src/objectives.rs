//! The objectives sheet (scheda obiettivi, cuadro de objetivos): per programme (or one of
//! its projects) and period, indicators with a target; the achieved value is computed
//! from the records by a documented measure, or entered by hand with its evidence where
//! only a person knows it (new funding sources obtained). The sheet says whether each
//! target is met and how far through its period the programme is.
//!
//! The measures (computed over the programme's — or project's — records, in the period):
//! - `participants_taken_in_charge`: people with a case opened in the period;
//! - `integrated_care`: people with a case active in the period whose team held, at some
//!   point of it, professionals of both a social service and an employment service;
//! - `integrated_care_share`: the same, as a percentage of the people with a case active
//!   in the period;
//! - `joint_interviews`: contacts of kind joint interview held in the period;
//! - `coordination_meetings`: meetings of the programme's coordination bodies held in
//!   the period (dated in it, not after today);
//! - `network_agreements`: network agreements signed in the period and followed by one
//!   of the programme's bodies;
//! - `people_trained`: people who obtained a course certificate on a course of the
//!   programme ending in the period;
//! - `people_employed`: people with a contract starting in the period;
//! - `referrals_completed`: referrals of the programme's cases closed in the period;
//! - `manual`: entered by hand, with its evidence.
//!
//! With the baseline `previous_period`, the achieved value is the change, in per cent,
//! from the same measure over the period of the same length just before (Cremona's
//! "users in integrated care compared with the previous year ≥ 30 %").

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_string, optional_id, optional_text, parse_date, required_text};

coded_enum!(Measure {
    ParticipantsTakenInCharge = "participants_taken_in_charge",
    IntegratedCare = "integrated_care",
    IntegratedCareShare = "integrated_care_share",
    JointInterviews = "joint_interviews",
    CoordinationMeetings = "coordination_meetings",
    NetworkAgreements = "network_agreements",
    PeopleTrained = "people_trained",
    PeopleEmployed = "people_employed",
    ReferralsCompleted = "referrals_completed",
    Manual = "manual",
});

impl Measure {
    /// Whether the measure counts people or what happened to them (and so is
    /// suppressed when small): all but the bodies' meetings, the network's agreements
    /// and what is entered by hand. A share is judged by its part and its whole.
    pub fn counts_people(self) -> bool {
        matches!(
            self,
            Measure::ParticipantsTakenInCharge
                | Measure::IntegratedCare
                | Measure::IntegratedCareShare
                | Measure::JointInterviews
                | Measure::PeopleTrained
                | Measure::PeopleEmployed
                | Measure::ReferralsCompleted
        )
    }
}

coded_enum!(Comparison {
    AtLeast = "at_least",
    AtMost = "at_most",
    Exactly = "exactly",
});

coded_enum!(IndicatorType {
    Output = "output",
    Result = "result",
});

coded_enum!(Baseline {
    None = "none",
    PreviousPeriod = "previous_period",
});

/// An objective as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ObjectiveInput {
    /// A short code, e.g. `OB-3`.
    pub code: String,
    pub description: String,
    /// `output` or `result`.
    pub indicator_type: String,
    /// e.g. "personas", "%", "reuniones".
    pub unit: String,
    /// `at_least`, `at_most` or `exactly`.
    pub comparison: String,
    #[serde(deserialize_with = "lenient_string")]
    pub target: String,
    /// One of the measures, or `manual`.
    pub measure: String,
    /// `none` or `previous_period`.
    pub baseline: String,
    #[serde(deserialize_with = "lenient_string")]
    pub period_start: String,
    #[serde(deserialize_with = "lenient_string")]
    pub period_end: String,
    /// A project of the programme, or empty for the whole programme.
    pub project_id: String,
    /// The value entered by hand (with `manual`).
    #[serde(deserialize_with = "lenient_string")]
    pub manual_value: String,
    /// Where the value entered by hand comes from.
    pub evidence: String,
    /// The version edited (optimistic concurrency); empty for the current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveData {
    pub code: String,
    pub description: String,
    pub indicator_type: IndicatorType,
    pub unit: String,
    pub comparison: Comparison,
    pub target: f64,
    pub measure: Measure,
    pub baseline: Baseline,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub project_id: Option<uuid::Uuid>,
    pub manual_value: Option<f64>,
    pub evidence: Option<String>,
}

/// A number typed with a comma or a point for decimals, and perhaps the other as the
/// thousands separator: with both, the last one is the decimal mark ("1.500,5",
/// "1,500.5"); one mark used twice or more separates thousands ("1.500.000"). One
/// point followed by exactly three digits ("1.500") is fifteen hundred to a Spanish,
/// Catalan or Italian reader and one and a half to an English one: it is refused
/// (`validation.decimal_ambiguous`) rather than read one way silently.
pub fn parse_number(raw: &str) -> Result<Option<f64>, &'static str> {
    let t = raw.trim().replace([' ', '\u{a0}'], "");
    if t.is_empty() {
        return Ok(None);
    }
    let commas = t.matches(',').count();
    let points = t.matches('.').count();
    let normal = match (commas, points) {
        (0, 0) => t.clone(),
        (_, 0) if commas > 1 => t.replace(',', ""),
        (1, 0) => t.replace(',', "."),
        (0, _) if points > 1 => t.replace('.', ""),
        (0, 1) => {
            let (whole, decimals) = t.split_once('.').unwrap_or((&t, ""));
            let digits = whole.trim_start_matches(['-', '+']);
            if decimals.len() == 3
                && decimals.chars().all(|c| c.is_ascii_digit())
                && !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && !digits.trim_start_matches('0').is_empty()
            {
                return Err("validation.decimal_ambiguous");
            }
            t.clone()
        }
        _ => {
            let last_comma = t.rfind(',').unwrap_or(0);
            let last_point = t.rfind('.').unwrap_or(0);
            if last_comma > last_point {
                t.replace('.', "").replace(',', ".")
            } else {
                t.replace(',', "")
            }
        }
    };
    match normal.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() < 1e12 => Ok(Some(v)),
        _ => Err("validation.decimal"),
    }
}

fn choice<T>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, &'static str> {
    if raw.trim().is_empty() {
        return Err("validation.required");
    }
    parse(raw.trim()).ok_or("validation.choice")
}

impl ObjectiveInput {
    pub fn validate(&self) -> Result<ObjectiveData, Error> {
        let mut e = Errors::new();
        let code = e.take("code", required_text(&self.code, 20));
        let description = e.take("description", required_text(&self.description, 500));
        let indicator_type = e.take(
            "indicator_type",
            choice(&self.indicator_type, IndicatorType::parse),
        );
        let unit = e.take("unit", required_text(&self.unit, 40));
        let comparison = e.take("comparison", choice(&self.comparison, Comparison::parse));
        let target = e.take("target", parse_number(&self.target)).and_then(|t| {
            if t.is_none() {
                e.add("target", "validation.required");
            }
            t
        });
        let measure = e.take("measure", choice(&self.measure, Measure::parse));
        let baseline = if self.baseline.trim().is_empty() {
            Some(Baseline::None)
        } else {
            e.take("baseline", choice(&self.baseline, Baseline::parse))
        };
        let start = e.take("period_start", parse_date(&self.period_start));
        let end = e.take("period_end", parse_date(&self.period_end));
        if let (Some(s), Some(t)) = (start, end) {
            if t < s {
                e.add("period_end", "validation.objective.period");
            }
        }
        let project_id = e
            .take("project_id", optional_id(&self.project_id))
            .flatten();
        let manual_value = e
            .take("manual_value", parse_number(&self.manual_value))
            .flatten();
        let evidence = e
            .take("evidence", optional_text(&self.evidence, 2000))
            .flatten();
        if measure == Some(Measure::Manual) {
            if baseline == Some(Baseline::PreviousPeriod) {
                e.add("baseline", "validation.objective.manual_baseline");
            }
            if manual_value.is_some() && evidence.is_none() {
                e.add("evidence", "validation.objective.evidence");
            }
        } else if manual_value.is_some() {
            e.add("manual_value", "validation.objective.computed");
        }
        e.finish()?;
        match (
            code,
            description,
            indicator_type,
            unit,
            comparison,
            target,
            measure,
            baseline,
            start,
            end,
        ) {
            (
                Some(code),
                Some(description),
                Some(indicator_type),
                Some(unit),
                Some(comparison),
                Some(target),
                Some(measure),
                Some(baseline),
                Some(period_start),
                Some(period_end),
            ) => Ok(ObjectiveData {
                code,
                description,
                indicator_type,
                unit,
                comparison,
                target,
                measure,
                baseline,
                period_start,
                period_end,
                project_id,
                manual_value,
                evidence,
            }),
            _ => Err(Error::Internal("validation state".into())),
        }
    }
}

/// The period of the same length just before `[start, end]`.
/// Whole months (a period from the first of a month to the last day of a month) step
/// back by months, so that the year before 2025 is 2024 whole; any other by days.
pub fn previous_period(start: NaiveDate, end: NaiveDate) -> (NaiveDate, NaiveDate) {
    let prev_end = start.pred_opt().unwrap_or(start);
    let next = end.succ_opt().unwrap_or(end);
    if start.day() == 1 && next.day() == 1 {
        let months = (next.year() - start.year()) * 12 + next.month() as i32 - start.month() as i32;
        if let Some(s) = u32::try_from(months)
            .ok()
            .and_then(|m| start.checked_sub_months(Months::new(m)))
        {
            return (s, prev_end);
        }
    }
    let len = end.signed_duration_since(start);
    (
        prev_end.checked_sub_signed(len).unwrap_or(NaiveDate::MIN),
        prev_end,
    )
}

/// The change from `before` to `now`, in per cent; none when there was nothing before.
pub fn percent_change(before: f64, now: f64) -> Option<f64> {
    (before != 0.0).then(|| (now - before) / before * 100.0)
}

/// Whether `achieved` meets `target` (values are compared to a hundredth).
pub fn met(c: Comparison, target: f64, achieved: f64) -> bool {
    let a = (achieved * 100.0).round();
    let t = (target * 100.0).round();
    match c {
        Comparison::AtLeast => a >= t,
        Comparison::AtMost => a <= t,
        Comparison::Exactly => a == t,
    }
}

/// How far through its period a sheet is on `today`, in whole per cent (0–100).
pub fn elapsed_percent(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> i64 {
    let total = end.signed_duration_since(start).num_days() + 1;
    let done = today.signed_duration_since(start).num_days() + 1;
    if total <= 0 {
        return 100;
    }
    (done * 100 / total).clamp(0, 100)
}

/// How much of the target is achieved, in whole per cent (for "at least" targets;
/// none for the others, or a zero target).
pub fn progress_percent(c: Comparison, target: f64, achieved: f64) -> Option<i64> {
    (c == Comparison::AtLeast && target > 0.0).then(|| {
        let p = (achieved / target * 100.0).round();
        if p.is_finite() {
            p.clamp(0.0, 999.0) as i64
        } else {
            0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> ObjectiveInput {
        ObjectiveInput {
            code: "OB-1".into(),
            description: "Reuniones de coordinación".into(),
            indicator_type: "output".into(),
            unit: "reuniones".into(),
            comparison: "at_least".into(),
            target: "20".into(),
            measure: "coordination_meetings".into(),
            baseline: String::new(),
            period_start: "2025-01-01".into(),
            period_end: "2025-12-31".into(),
            ..ObjectiveInput::default()
        }
    }

    #[test]
    fn a_complete_objective_validates() {
        let o = input().validate().unwrap();
        assert_eq!(o.target, 20.0);
        assert_eq!(o.baseline, Baseline::None);
        assert_eq!(o.measure, Measure::CoordinationMeetings);
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut i = input();
        i.code = " ".into();
        i.comparison = "more".into();
        i.target = "veinte".into();
        i.period_end = "2024-12-31".into();
        i.manual_value = "3".into();
        let Err(Error::Invalid(f)) = i.validate() else {
            panic!()
        };
        let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            ["code", "comparison", "target", "period_end", "manual_value"]
        );
    }

    #[test]
    fn a_value_by_hand_needs_its_evidence_and_no_baseline() {
        let mut i = input();
        i.measure = "manual".into();
        i.manual_value = "3".into();
        i.baseline = "previous_period".into();
        let Err(Error::Invalid(f)) = i.validate() else {
            panic!()
        };
        let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["baseline", "evidence"]);
        i.baseline = "none".into();
        i.evidence = "Resolución de concesión 2025/114".into();
        assert_eq!(i.validate().unwrap().manual_value, Some(3.0));
    }

    #[test]
    fn numbers_take_a_comma_or_a_point() {
        assert_eq!(parse_number("30,5"), Ok(Some(30.5)));
        assert_eq!(parse_number("1,000.5"), Ok(Some(1000.5)));
        assert_eq!(parse_number("1.500,5"), Ok(Some(1500.5)));
        assert_eq!(parse_number("1.500.000"), Ok(Some(1_500_000.0)));
        assert_eq!(parse_number("1,500,000"), Ok(Some(1_500_000.0)));
        assert_eq!(parse_number("2.5"), Ok(Some(2.5)));
        assert_eq!(parse_number("0.125"), Ok(Some(0.125)));
        assert_eq!(parse_number("12.75"), Ok(Some(12.75)));
        assert_eq!(parse_number("1.500"), Err("validation.decimal_ambiguous"));
        assert_eq!(parse_number("-30.000"), Err("validation.decimal_ambiguous"));
        assert_eq!(parse_number("1500"), Ok(Some(1500.0)));
        assert_eq!(parse_number(""), Ok(None));
        assert!(parse_number("NaN").is_err());
        assert!(parse_number("inf").is_err());
    }

    #[test]
    fn comparisons_periods_and_progress() {
        assert!(met(Comparison::AtLeast, 30.0, 95.0));
        assert!(!met(Comparison::AtLeast, 20.0, 19.99));
        assert!(met(Comparison::AtLeast, 20.0, 19.9999));
        assert!(met(Comparison::AtMost, 5.0, 5.0));
        assert!(!met(Comparison::Exactly, 4.0, 3.0));
        assert_eq!(
            previous_period(d("2025-01-01"), d("2025-12-31")),
            (d("2024-01-01"), d("2024-12-31"))
        );
        assert_eq!(
            previous_period(d("2025-01-10"), d("2025-01-19")),
            (d("2024-12-31"), d("2025-01-09"))
        );
        assert_eq!(
            previous_period(d("2025-04-01"), d("2025-06-30")),
            (d("2025-01-01"), d("2025-03-31"))
        );
        // A period stored from far dates (before they were refused) does not panic.
        let far = NaiveDate::MIN.succ_opt().unwrap();
        let (from, to) = previous_period(far, far + chrono::Duration::days(10));
        assert_eq!((from, to), (NaiveDate::MIN, NaiveDate::MIN));
        assert_eq!(percent_change(20.0, 39.0), Some(95.0));
        assert_eq!(percent_change(0.0, 3.0), None);
        assert_eq!(
            elapsed_percent(d("2025-01-01"), d("2025-12-31"), d("2024-06-01")),
            0
        );
        assert_eq!(
            elapsed_percent(d("2025-01-01"), d("2025-01-10"), d("2025-01-05")),
            50
        );
        assert_eq!(
            elapsed_percent(d("2025-01-01"), d("2025-12-31"), d("2026-02-01")),
            100
        );
        assert_eq!(progress_percent(Comparison::AtLeast, 20.0, 53.0), Some(265));
        assert_eq!(progress_percent(Comparison::AtMost, 20.0, 5.0), None);
    }
}
