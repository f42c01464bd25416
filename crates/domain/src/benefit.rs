//! Benefits and in-kind support a person receives (SPEC §2 Benefit): minimum incomes
//! such as Spain's Ingreso Mínimo Vital or Extremadura's Renta Garantizada, emergency
//! social aid, unemployment benefits and subsidies; Italy's Assegno di Inclusione and
//! Supporto per la formazione e il lavoro; food or housing support. Their types are data
//! per country (`benefit_types`). The case team sees them beside the itinerary, so that
//! the social and the employment services plan benefits and work together; a benefit
//! that ends within 30 days, or whose conditions are due for review, reaches the team's
//! work list.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_string, optional_date, optional_text, required_text};

/// How far ahead the work list shows a benefit's end.
pub const ENDING_DAYS: i64 = 30;

coded_enum!(BenefitStatus {
    Requested = "requested",
    Granted = "granted",
    Suspended = "suspended",
    Denied = "denied",
    Ended = "ended",
});

coded_enum!(
    /// What an amount is paid per.
    Period {
        Month = "month",
        Year = "year",
        OneOff = "one_off",
    }
);

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BenefitInput {
    /// A code of `benefit_types` (e.g. `es_imv`).
    pub benefit_type: String,
    /// Who grants it (e.g. "INSS", "Junta de Extremadura", "Comune di Cremona").
    pub granting_body: String,
    /// Euros, with a comma or a point for the cents; empty for in-kind support.
    #[serde(deserialize_with = "lenient_string")]
    pub amount: String,
    /// `month`, `year` or `one_off` (with an amount).
    pub period: String,
    #[serde(deserialize_with = "lenient_string")]
    pub start_on: String,
    #[serde(deserialize_with = "lenient_string")]
    pub end_on: String,
    /// `requested`, `granted`, `suspended`, `denied` or `ended`.
    pub status: String,
    /// Its conditions, e.g. the obligation to follow the agreed itinerary.
    pub conditions: String,
    /// When the conditions are next reviewed.
    #[serde(deserialize_with = "lenient_string")]
    pub review_on: String,
    /// The version edited (optimistic concurrency); empty for the current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BenefitData {
    pub benefit_type: String,
    pub granting_body: String,
    /// In cents.
    pub amount_cents: Option<i64>,
    pub period: Option<Period>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub status: BenefitStatus,
    pub conditions: Option<String>,
    pub review_on: Option<NaiveDate>,
}

/// Parses euros as people type them: `480`, `480,50`, `1.234,56`, `1234.56`.
pub fn parse_amount(raw: &str) -> Result<Option<i64>, &'static str> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    // The last separator followed by one or two digits is the decimal one.
    let (int, frac) = match s.rfind([',', '.']).and_then(|i| s.split_at_checked(i)) {
        Some((int, rest)) if (2..=3).contains(&rest.len()) => (int, rest.get(1..).unwrap_or("")),
        _ => (s.as_str(), ""),
    };
    let int: String = int.chars().filter(|c| *c != '.' && *c != ',').collect();
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() > 9
    {
        return Err("validation.amount");
    }
    let euros: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| "validation.amount")?
    };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| "validation.amount")? * 10,
        _ => frac.parse().map_err(|_| "validation.amount")?,
    };
    Ok(Some(euros * 100 + cents))
}

/// Writes cents as euros the way `parse_amount` reads them back: `480,50` (with
/// `decimal` as the separator; no thousands separator).
pub fn amount_text(cents: i64, decimal: char) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}{decimal}{:02}", c / 100, c % 100)
}

fn choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => parse(s).ok_or("validation.choice"),
    }
}

impl BenefitInput {
    /// Checks a benefit; `known_type` says whether a code is an active benefit type.
    pub fn validate(&self, known_type: impl Fn(&str) -> bool) -> Result<BenefitData, Error> {
        let mut e = Errors::new();
        let benefit_type = e.take(
            "benefit_type",
            match self.benefit_type.trim() {
                "" => Err("validation.required"),
                t if known_type(t) => Ok(t.to_string()),
                _ => Err("validation.choice"),
            },
        );
        let granting_body = e.take("granting_body", required_text(&self.granting_body, 200));
        let amount = e.take("amount", parse_amount(&self.amount));
        let period = e.take(
            "period",
            match self.period.trim() {
                "" => Ok(None),
                p => Period::parse(p).map(Some).ok_or("validation.choice"),
            },
        );
        let start_on = e.take(
            "start_on",
            match optional_date(&self.start_on) {
                Ok(Some(d)) => Ok(d),
                Ok(None) => Err("validation.required"),
                Err(k) => Err(k),
            },
        );
        let end_on = e.take("end_on", optional_date(&self.end_on));
        let status = e.take("status", choice(&self.status, BenefitStatus::parse));
        let conditions = e.take("conditions", optional_text(&self.conditions, 2000));
        let review_on = e.take("review_on", optional_date(&self.review_on));
        if let (Some(s), Some(Some(end))) = (start_on, end_on) {
            if end < s {
                e.add("end_on", "validation.date.end_before_start");
            }
        }
        if let (Some(Some(_)), Some(None)) = (amount, period) {
            e.add("period", "validation.required");
        }
        e.finish()?;
        match (
            benefit_type,
            granting_body,
            amount,
            period,
            start_on,
            end_on,
            status,
            conditions,
            review_on,
        ) {
            (
                Some(benefit_type),
                Some(granting_body),
                Some(amount_cents),
                Some(period),
                Some(start_on),
                Some(end_on),
                Some(status),
                Some(conditions),
                Some(review_on),
            ) => Ok(BenefitData {
                benefit_type,
                granting_body,
                amount_cents,
                period,
                start_on,
                end_on,
                status,
                conditions,
                review_on,
            }),
            _ => Err(Error::Internal("benefit check".into())),
        }
    }
}

/// Whether a benefit in force ends within `ENDING_DAYS` of `today`.
pub fn ending_soon(status: BenefitStatus, end_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == BenefitStatus::Granted
        && end_on.is_some_and(|e| e >= today && e <= today + Duration::days(ENDING_DAYS))
}

/// Whether it is in force on `today`.
pub fn in_force(
    status: BenefitStatus,
    start_on: NaiveDate,
    end_on: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    status == BenefitStatus::Granted && start_on <= today && end_on.is_none_or(|e| e >= today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn amounts_as_people_type_them() {
        assert_eq!(parse_amount(""), Ok(None));
        assert_eq!(parse_amount("480"), Ok(Some(48_000)));
        assert_eq!(parse_amount("480,5"), Ok(Some(48_050)));
        assert_eq!(parse_amount("1.234,56 €"), Ok(Some(123_456)));
        assert_eq!(parse_amount("1234.56"), Ok(Some(123_456)));
        assert_eq!(parse_amount("1.234"), Ok(Some(123_400)));
        for bad in ["abc", "12,3,4a", "-5", "1e3", "9999999999"] {
            assert_eq!(parse_amount(bad), Err("validation.amount"), "{bad}");
        }
    }

    #[test]
    fn a_benefit_needs_a_known_type_a_body_a_start_and_a_status() {
        let known = |t: &str| t == "es_imv";
        let Err(Error::Invalid(f)) = BenefitInput::default().validate(known) else {
            panic!("accepted")
        };
        let names: Vec<_> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            ["benefit_type", "granting_body", "start_on", "status"]
        );
        let b = BenefitInput {
            benefit_type: "es_imv".into(),
            granting_body: "INSS".into(),
            amount: "658,81".into(),
            period: "month".into(),
            start_on: "2026-02-01".into(),
            end_on: "2027-01-31".into(),
            status: "granted".into(),
            conditions: "Seguir el itinerario acordado".into(),
            ..Default::default()
        }
        .validate(known)
        .expect("valid");
        assert_eq!(b.amount_cents, Some(65_881));
        let mut bad = BenefitInput {
            benefit_type: "es_other".into(),
            granting_body: "INSS".into(),
            amount: "100".into(),
            start_on: "2026-02-01".into(),
            end_on: "2026-01-01".into(),
            status: "granted".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(f)) = bad.validate(known) else {
            panic!("accepted")
        };
        let names: Vec<_> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["benefit_type", "end_on", "period"]);
        bad.benefit_type = "es_imv".into();
        bad.end_on.clear();
        bad.amount.clear();
        assert!(bad.validate(known).is_ok(), "in-kind support has no amount");
    }

    #[test]
    fn ending_within_thirty_days() {
        let today = d("2026-11-23");
        let g = BenefitStatus::Granted;
        assert!(ending_soon(g, Some(d("2026-12-23")), today));
        assert!(!ending_soon(g, Some(d("2026-12-24")), today));
        assert!(!ending_soon(g, Some(d("2026-11-22")), today));
        assert!(!ending_soon(
            BenefitStatus::Suspended,
            Some(d("2026-12-01")),
            today
        ));
        assert!(!ending_soon(g, None, today));
        assert!(in_force(g, d("2026-01-01"), None, today));
        assert!(!in_force(g, d("2026-12-01"), None, today));
        assert!(!in_force(
            BenefitStatus::Requested,
            d("2026-01-01"),
            None,
            today
        ));
    }

    #[test]
    fn amounts_written_are_read_back() {
        for cents in [0, 5, 99, 100, 48050, 123456789] {
            assert_eq!(parse_amount(&amount_text(cents, ',')), Ok(Some(cents)));
            assert_eq!(parse_amount(&amount_text(cents, '.')), Ok(Some(cents)));
        }
        assert_eq!(amount_text(48050, ','), "480,50");
    }
}
