//! The data subject's rights beyond access (GDPR Art. 17 and 18) and retention, as rules.
//!
//! - **Restriction** (Art. 18): the data-protection office freezes a record under the
//!   reference of the person's request. While frozen, the access rule gives no one a
//!   basis (`access::person_basis`), so nobody reads or changes it; the office still
//!   reads it through the subject-access answer. Nothing in the record changes.
//! - **Erasure** (Art. 17) is anonymisation: the person's identifying data are removed
//!   (names, documents, contact details, free text written about them) and what the
//!   indicators count stays (sex, year and season of birth, nationality, territory,
//!   labour status, the dates and codes of cases and their work), so every aggregate
//!   already reported stays the same. The birth date becomes the earliest day of its
//!   year that gives the same age on every date the indicators count it at
//!   (`generalise_birth_date`). The audit log is not touched: it holds ids and codes, never
//!   a name, so after anonymisation it keeps the fact, not the identity, and its hash
//!   chain still verifies.
//! - **Legal hold**: public-administration records have retention duties, so erasure is
//!   refused while a hold applies (`erasure_holds`): a case still open, a contract still
//!   running, a case closed within the retention period of closed cases, or a hold the
//!   office placed by hand (an inspection, a court case) until it is released or ends.
//! - **Retention rules** per kind of record (`RecordKind`), each with a period in its unit;
//!   applied once a day by the server (once per deployment), or by hand, with a dry run
//!   that counts without changing anything.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::input::{optional_date, required_text};
use crate::{Errors, Result};

/// The request under which the office acts (restriction, lifting, erasure).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PrivacyRequestInput {
    /// The reference of the person's request (its registry entry).
    pub reference: String,
    /// Why (shown to the office and kept with the decision).
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyRequest {
    pub reference: String,
    pub reason: String,
}

impl PrivacyRequestInput {
    pub fn validate(&self) -> Result<PrivacyRequest> {
        let mut e = Errors::new();
        let reference = e.take("reference", required_text(&self.reference, 120));
        let reason = e.take("reason", required_text(&self.reason, 2000));
        e.finish()?;
        match (reference, reason) {
            (Some(reference), Some(reason)) => Ok(PrivacyRequest { reference, reason }),
            _ => Err(crate::Error::Internal("privacy request".into())),
        }
    }
}

/// A legal hold placed by the office.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LegalHoldInput {
    pub reference: String,
    pub reason: String,
    /// dd/mm/aaaa or aaaa-mm-dd; empty: until released.
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHoldData {
    pub reference: String,
    pub reason: String,
    pub until: Option<NaiveDate>,
}

impl LegalHoldInput {
    pub fn validate(&self, today: NaiveDate) -> Result<LegalHoldData> {
        let mut e = Errors::new();
        let reference = e.take("reference", required_text(&self.reference, 120));
        let reason = e.take("reason", required_text(&self.reason, 2000));
        let until = e.take(
            "until",
            optional_date(&self.until).and_then(|d| match d {
                Some(d) if d <= today => Err("legal_hold.until.past"),
                d => Ok(d),
            }),
        );
        e.finish()?;
        match (reference, reason, until) {
            (Some(reference), Some(reason), Some(until)) => Ok(LegalHoldData {
                reference,
                reason,
                until,
            }),
            _ => Err(crate::Error::Internal("legal hold".into())),
        }
    }
}

coded_enum!(
    /// What stops an erasure.
    HoldKind {
        // A case of the record is still open.
        OpenCase = "open_case",
        // A contract of the record's cases has not ended.
        RunningContract = "running_contract",
        // A case closed less than the retention period of closed cases ago.
        RetentionPeriod = "retention_period",
        // A hold placed by the data-protection office.
        LegalHold = "legal_hold",
    }
);

/// One reason an erasure is refused now, with the day it stops holding when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Hold {
    pub kind: HoldKind,
    /// The day from which this reason no longer holds (none: until something changes).
    pub until: Option<NaiveDate>,
}

/// What decides whether a record may be erased today.
#[derive(Debug, Clone, Default)]
pub struct ErasureFacts {
    pub open_cases: u32,
    pub running_contracts: u32,
    /// The latest closing day of the record's closed cases.
    pub last_closed_on: Option<NaiveDate>,
    /// The office's active holds: their end day, none for until released.
    pub legal_holds: Vec<Option<NaiveDate>>,
}

/// Adds `years` to a day (29 February becomes 28 February in a common year).
pub fn add_years(day: NaiveDate, years: i32) -> NaiveDate {
    let y = day.year().saturating_add(years);
    NaiveDate::from_ymd_opt(y, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, day.month(), 28))
        .unwrap_or(day)
}

/// **The legal hold rule**: why the record may not be erased today (empty: it may).
/// `closed_case_years` is the retention period of closed cases (none: no duty).
pub fn erasure_holds(
    facts: &ErasureFacts,
    closed_case_years: Option<u32>,
    today: NaiveDate,
) -> Vec<Hold> {
    let mut holds = Vec::new();
    if facts.open_cases > 0 {
        holds.push(Hold {
            kind: HoldKind::OpenCase,
            until: None,
        });
    }
    if facts.running_contracts > 0 {
        holds.push(Hold {
            kind: HoldKind::RunningContract,
            until: None,
        });
    }
    if let (Some(closed), Some(years)) = (facts.last_closed_on, closed_case_years) {
        let ends = add_years(closed, i32::try_from(years).unwrap_or(i32::MAX));
        if ends > today {
            holds.push(Hold {
                kind: HoldKind::RetentionPeriod,
                until: Some(ends),
            });
        }
    }
    for until in &facts.legal_holds {
        if until.is_none_or(|u| u > today) {
            holds.push(Hold {
                kind: HoldKind::LegalHold,
                until: *until,
            });
        }
    }
    holds
}

/// The birth date an anonymised record keeps: the earliest day of the same year on which
/// a person born then has, on every day of `counted_on` (entries, case openings), the
/// same age as one born on `birth`. Age bands of every indicator stay the same, and the
/// day itself is gone.
pub fn generalise_birth_date(birth: NaiveDate, counted_on: &[NaiveDate]) -> NaiveDate {
    let md = |d: NaiveDate| (d.month(), d.day());
    let b = md(birth);
    // The latest counted month-day before the birthday: the new day must stay after it.
    let floor = counted_on.iter().map(|d| md(*d)).filter(|m| *m < b).max();
    let year = birth.year();
    match floor {
        None => NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(birth),
        Some((m, d)) => match NaiveDate::from_ymd_opt(year, m, d) {
            Some(day) => day.succ_opt().unwrap_or(birth),
            // 29 February counted, a common year of birth: 1 March comes next.
            None => NaiveDate::from_ymd_opt(year, 3, 1).unwrap_or(birth),
        },
    }
}

coded_enum!(
    /// The kinds of record retention rules apply to.
    RecordKind {
        // People whose every case is closed: anonymised the period after the last
        // closing (also the period during which an erasure is refused).
        ClosedCases = "closed_cases",
        // People registered who never had a case: anonymised the period after their
        // record last changed.
        WithoutCase = "without_case",
        // Finished import jobs and their row-by-row reports (which name the rows):
        // deleted the period after they finished.
        ImportReports = "import_reports",
        // E-mails sent or given up: deleted the period after.
        SentMail = "sent_mail",
        // Notifications read: deleted the period after they were read.
        ReadNotifications = "read_notifications",
    }
);

/// The unit of a kind's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    Years,
    Days,
}

/// What a rule does to a record whose period has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionEffect {
    Anonymise,
    Delete,
}

impl RecordKind {
    pub fn unit(self) -> PeriodUnit {
        match self {
            RecordKind::ClosedCases | RecordKind::WithoutCase => PeriodUnit::Years,
            _ => PeriodUnit::Days,
        }
    }
    pub fn effect(self) -> RetentionEffect {
        match self {
            RecordKind::ClosedCases | RecordKind::WithoutCase => RetentionEffect::Anonymise,
            _ => RetentionEffect::Delete,
        }
    }
    /// The period a deployment starts with (none: kept until a rule is set).
    pub fn default_period(self) -> Option<u32> {
        match self {
            // Spanish social services keep a closed file for five years as a rule.
            RecordKind::ClosedCases => Some(5),
            RecordKind::WithoutCase => Some(2),
            RecordKind::ImportReports => Some(30),
            RecordKind::SentMail => Some(90),
            RecordKind::ReadNotifications => Some(365),
        }
    }
    /// The longest period a rule may set.
    pub fn max_period(self) -> u32 {
        match self.unit() {
            PeriodUnit::Years => 100,
            PeriodUnit::Days => 36_500,
        }
    }
    /// The day before which a record of this kind is past its period on `today`.
    pub fn cutoff(self, period: u32, today: NaiveDate) -> NaiveDate {
        let p = i32::try_from(period).unwrap_or(i32::MAX);
        match self.unit() {
            PeriodUnit::Years => add_years(today, -p),
            PeriodUnit::Days => today
                .checked_sub_days(chrono::Days::new(u64::from(period)))
                .unwrap_or(NaiveDate::MIN),
        }
    }
}

/// A retention rule as a form or the API sends it: the period, empty to keep forever.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RetentionRuleInput {
    #[serde(deserialize_with = "crate::input::lenient_string")]
    pub period: String,
}

impl RetentionRuleInput {
    pub fn validate(&self, kind: RecordKind) -> Result<Option<u32>> {
        let mut e = Errors::new();
        let raw = self.period.trim();
        let period = e.take(
            "period",
            if raw.is_empty() {
                Ok(None)
            } else {
                match raw.parse::<u32>() {
                    Ok(n) if n >= 1 && n <= kind.max_period() => Ok(Some(n)),
                    Ok(_) => Err("retention.period.range"),
                    Err(_) => Err("validation.number.format"),
                }
            },
        );
        e.finish()?;
        Ok(period.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::participant::age_on;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn generalised_birth_dates_keep_every_counted_age() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let base = d(1940, 1, 1);
        for _ in 0..20_000 {
            let birth = base + chrono::Days::new(next(30_000));
            let refs: Vec<NaiveDate> = (0..next(4))
                .map(|_| birth + chrono::Days::new(next(30_000)))
                .collect();
            let g = generalise_birth_date(birth, &refs);
            assert_eq!(g.year(), birth.year());
            assert!(g <= birth);
            for r in &refs {
                assert_eq!(age_on(g, *r), age_on(birth, *r), "{birth} {g} {r}");
            }
        }
        // Without counted days the record keeps the year only.
        assert_eq!(generalise_birth_date(d(1980, 7, 9), &[]), d(1980, 1, 1));
        // A counted 29 February, a common year of birth.
        assert_eq!(
            generalise_birth_date(d(1981, 3, 5), &[d(2024, 2, 29)]),
            d(1981, 3, 1)
        );
        assert_eq!(
            generalise_birth_date(d(1981, 6, 5), &[d(2020, 3, 10), d(2021, 1, 2)]),
            d(1981, 3, 11)
        );
    }

    #[test]
    fn holds_refuse_erasure_while_a_duty_lasts() {
        let today = d(2026, 12, 4);
        let none = ErasureFacts::default();
        assert!(erasure_holds(&none, Some(5), today).is_empty());
        let open = ErasureFacts {
            open_cases: 1,
            ..Default::default()
        };
        assert_eq!(
            erasure_holds(&open, Some(5), today)[0].kind,
            HoldKind::OpenCase
        );
        let recent = ErasureFacts {
            last_closed_on: Some(d(2022, 6, 1)),
            ..Default::default()
        };
        assert_eq!(
            erasure_holds(&recent, Some(5), today),
            vec![Hold {
                kind: HoldKind::RetentionPeriod,
                until: Some(d(2027, 6, 1))
            }]
        );
        assert!(erasure_holds(&recent, Some(4), today).is_empty());
        assert!(erasure_holds(&recent, None, today).is_empty());
        let held = ErasureFacts {
            legal_holds: vec![Some(d(2026, 12, 4)), None],
            running_contracts: 1,
            ..Default::default()
        };
        let h = erasure_holds(&held, Some(5), today);
        assert_eq!(
            h.iter().map(|h| h.kind).collect::<Vec<_>>(),
            vec![HoldKind::RunningContract, HoldKind::LegalHold]
        );
    }

    #[test]
    fn periods_and_cutoffs() {
        let today = d(2026, 12, 4);
        assert_eq!(RecordKind::ClosedCases.cutoff(5, today), d(2021, 12, 4));
        assert_eq!(RecordKind::SentMail.cutoff(90, today), d(2026, 9, 5));
        assert_eq!(add_years(d(2024, 2, 29), 1), d(2025, 2, 28));
        let r = |p: &str| RetentionRuleInput { period: p.into() }.validate(RecordKind::ClosedCases);
        assert_eq!(r("").unwrap(), None);
        assert_eq!(r(" 6 ").unwrap(), Some(6));
        assert!(r("0").is_err());
        assert!(r("101").is_err());
        assert!(r("cinco").is_err());
        assert!(LegalHoldInput {
            reference: "R-1".into(),
            reason: "Inspección".into(),
            until: "01/01/2026".into()
        }
        .validate(today)
        .is_err());
    }
}
