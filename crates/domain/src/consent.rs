//! Consents: per participant and purpose, given / expires / withdrawn, with evidence and,
//! for sharing, the organisations or kinds of organisation it covers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors, Result};

/// The most organisations one consent may name.
pub const MAX_ORGANISATIONS: usize = 500;
use crate::input::{lenient_list, lenient_string, parse_date};
use crate::org::OrganisationKind;
use crate::text::clean;

coded_enum!(Purpose {
    CaseManagement = "case_management",
    Sharing = "sharing",
    Statistics = "statistics",
    Contact = "contact",
});

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ConsentInput {
    pub purpose: String,
    #[serde(deserialize_with = "lenient_string")]
    pub given_on: String,
    #[serde(deserialize_with = "lenient_string")]
    pub expires_on: String,
    pub evidence: String,
    /// Organisation ids the sharing covers.
    #[serde(deserialize_with = "lenient_list")]
    pub organisations: Vec<String>,
    /// Kinds of organisation the sharing covers (e.g. every employment service).
    #[serde(deserialize_with = "lenient_list")]
    pub organisation_kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentData {
    pub purpose: Purpose,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub evidence: String,
    pub organisations: Vec<Uuid>,
    pub organisation_kinds: Vec<OrganisationKind>,
}

impl ConsentInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ConsentData> {
        let mut e = Errors::new();
        let purpose = e.take(
            "purpose",
            Purpose::parse(self.purpose.trim()).ok_or("validation.choice"),
        );
        let given_on = e.take(
            "given_on",
            if self.given_on.trim().is_empty() {
                Err("validation.required")
            } else {
                parse_date(&self.given_on).and_then(|d| {
                    if d > today {
                        Err("validation.date.future")
                    } else {
                        Ok(d)
                    }
                })
            },
        );
        let expires_on = e.take(
            "expires_on",
            if self.expires_on.trim().is_empty() {
                Ok(None)
            } else {
                parse_date(&self.expires_on).map(Some)
            },
        );
        if let (Some(g), Some(Some(x))) = (given_on, expires_on) {
            if x < g {
                e.add("expires_on", "validation.consent.expires_before_given");
            }
        }
        let evidence = e.take(
            "evidence",
            match clean(&self.evidence) {
                None => Err("validation.required"),
                Some(v) if v.chars().count() > 2000 => Err("validation.too_long"),
                Some(v) => Ok(v),
            },
        );
        let mut organisations = Vec::new();
        // A consent names organisations one by one: hundreds at most (the kinds cover
        // whole sectors). A longer list is refused before it is looked at.
        if self.organisations.len() > MAX_ORGANISATIONS {
            return Err(Error::field("organisations", "validation.too_many"));
        }
        for o in self.organisations.iter().filter(|o| !o.trim().is_empty()) {
            match Uuid::parse_str(o.trim()) {
                Ok(id) if !organisations.contains(&id) => organisations.push(id),
                Ok(_) => {}
                Err(_) => e.add("organisations", "validation.choice"),
            }
        }
        let mut organisation_kinds = Vec::new();
        for k in self
            .organisation_kinds
            .iter()
            .filter(|k| !k.trim().is_empty())
        {
            match OrganisationKind::parse(k.trim()) {
                Some(kind) if !organisation_kinds.contains(&kind) => organisation_kinds.push(kind),
                Some(_) => {}
                None => e.add("organisation_kinds", "validation.choice"),
            }
        }
        if purpose == Some(Purpose::Sharing)
            && organisations.is_empty()
            && organisation_kinds.is_empty()
        {
            e.add("organisations", "validation.consent.sharing_needs_scope");
        }
        e.finish()?;
        match (purpose, given_on, expires_on, evidence) {
            (Some(purpose), Some(given_on), Some(expires_on), Some(evidence)) => Ok(ConsentData {
                purpose,
                given_on,
                expires_on,
                evidence,
                organisations,
                organisation_kinds,
            }),
            _ => Err(crate::Error::Internal("validation state".into())),
        }
    }
}

/// The state of a consent on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    NotYetValid,
    Active,
    Expired,
    Withdrawn,
}

impl ConsentState {
    pub fn code(self) -> &'static str {
        match self {
            ConsentState::NotYetValid => "not_yet_valid",
            ConsentState::Active => "active",
            ConsentState::Expired => "expired",
            ConsentState::Withdrawn => "withdrawn",
        }
    }
}

/// The rule every consent check uses (the SQL predicate in the store mirrors it):
/// given on or before the day, not withdrawn on or before it, not expired before it.
pub fn state_on(
    given_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    withdrawn_on: Option<NaiveDate>,
    day: NaiveDate,
) -> ConsentState {
    if withdrawn_on.is_some_and(|w| w <= day) {
        ConsentState::Withdrawn
    } else if given_on > day {
        ConsentState::NotYetValid
    } else if expires_on.is_some_and(|x| x < day) {
        ConsentState::Expired
    } else {
        ConsentState::Active
    }
}

/// A withdrawal must come on or after the day the consent was given, and only once.
pub fn check_withdrawal(
    given_on: NaiveDate,
    withdrawn_on: Option<NaiveDate>,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), &'static str> {
    if withdrawn_on.is_some() {
        return Err("consent.already_withdrawn");
    }
    if on < given_on {
        return Err("validation.consent.withdrawn_before_given");
    }
    if on > today {
        return Err("validation.date.future");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn state_codes() {
        let codes: Vec<&str> = [
            ConsentState::NotYetValid,
            ConsentState::Active,
            ConsentState::Expired,
            ConsentState::Withdrawn,
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, ["not_yet_valid", "active", "expired", "withdrawn"]);
    }

    #[test]
    fn states_over_time() {
        let g = d("2026-01-01");
        assert_eq!(
            state_on(g, None, None, d("2025-12-31")),
            ConsentState::NotYetValid
        );
        assert_eq!(
            state_on(g, None, None, d("2026-01-01")),
            ConsentState::Active
        );
        assert_eq!(
            state_on(g, Some(d("2026-06-30")), None, d("2026-06-30")),
            ConsentState::Active
        );
        assert_eq!(
            state_on(g, Some(d("2026-06-30")), None, d("2026-07-01")),
            ConsentState::Expired
        );
        assert_eq!(
            state_on(g, None, Some(d("2026-03-01")), d("2026-03-01")),
            ConsentState::Withdrawn
        );
    }

    #[test]
    fn sharing_needs_a_scope_and_dates_in_order() {
        let i = ConsentInput {
            purpose: "sharing".into(),
            given_on: "2026-11-01".into(),
            expires_on: "2026-10-01".into(),
            evidence: "Firma en papel, archivada".into(),
            ..Default::default()
        };
        match i.validate(d("2026-11-23")) {
            Err(crate::Error::Invalid(f)) => {
                let codes: Vec<_> = f.iter().map(|f| (f.field.as_str(), f.code)).collect();
                assert!(
                    codes.contains(&("organisations", "validation.consent.sharing_needs_scope"))
                );
                assert!(codes.contains(&("expires_on", "validation.consent.expires_before_given")));
            }
            other => panic!("{other:?}"),
        }
        let ok = ConsentInput {
            purpose: "sharing".into(),
            given_on: "2026-11-01".into(),
            evidence: "Firma".into(),
            organisation_kinds: vec!["employment_service".into(), "employment_service".into()],
            ..Default::default()
        }
        .validate(d("2026-11-23"))
        .unwrap();
        assert_eq!(
            ok.organisation_kinds,
            vec![OrganisationKind::EmploymentService]
        );
    }

    /// The edges of each rule of the form (held by the mutation run).
    #[test]
    fn consent_form_edges() {
        let today = d("2026-11-23");
        let base = ConsentInput {
            purpose: "sharing".into(),
            given_on: "2026-11-23".into(),
            evidence: "Firma".into(),
            organisation_kinds: vec!["employment_service".into()],
            ..Default::default()
        };
        let codes = |i: &ConsentInput| match i.validate(today) {
            Ok(_) => vec![],
            Err(crate::Error::Invalid(f)) => f.iter().map(|f| (f.field.clone(), f.code)).collect(),
            Err(e) => panic!("{e:?}"),
        };
        // Given today: fine; tomorrow: in the future.
        assert!(codes(&base).is_empty());
        let tomorrow = ConsentInput {
            given_on: "2026-11-24".into(),
            ..base.clone()
        };
        assert_eq!(
            codes(&tomorrow),
            vec![("given_on".to_string(), "validation.date.future")]
        );
        let yesterday = ConsentInput {
            given_on: "2026-11-22".into(),
            ..base.clone()
        };
        assert!(codes(&yesterday).is_empty());
        // Expiring the day it is given: fine; the day before: refused.
        let same_day = ConsentInput {
            expires_on: "2026-11-23".into(),
            ..base.clone()
        };
        assert!(codes(&same_day).is_empty());
        // Evidence: 2,000 characters fit, 2,001 do not.
        let fits = ConsentInput {
            evidence: "x".repeat(2000),
            ..base.clone()
        };
        assert!(codes(&fits).is_empty());
        let long = ConsentInput {
            evidence: "x".repeat(2001),
            ..base.clone()
        };
        assert_eq!(
            codes(&long),
            vec![("evidence".to_string(), "validation.too_long")]
        );
        // Organisations: blank ones skipped, repeated ones kept once, bad ones named.
        let a = Uuid::from_u128(7);
        let orgs = ConsentInput {
            organisation_kinds: vec![],
            organisations: vec![a.to_string(), " ".into(), a.to_string()],
            ..base.clone()
        };
        assert_eq!(orgs.validate(today).unwrap().organisations, vec![a]);
        let bad = ConsentInput {
            organisations: vec!["nope".into()],
            ..base.clone()
        };
        assert_eq!(
            codes(&bad),
            vec![("organisations".to_string(), "validation.choice")]
        );
    }

    #[test]
    fn withdrawal_rules() {
        let g = d("2026-01-01");
        assert_eq!(
            check_withdrawal(g, None, d("2026-02-01"), d("2026-11-23")),
            Ok(())
        );
        assert_eq!(
            check_withdrawal(g, Some(d("2026-02-01")), d("2026-03-01"), d("2026-11-23")),
            Err("consent.already_withdrawn")
        );
        assert_eq!(
            check_withdrawal(g, None, d("2025-02-01"), d("2026-11-23")),
            Err("validation.consent.withdrawn_before_given")
        );
        // The edges: the day it was given, and today, are fine; tomorrow is not.
        assert_eq!(check_withdrawal(g, None, g, d("2026-11-23")), Ok(()));
        assert_eq!(
            check_withdrawal(g, None, d("2026-11-23"), d("2026-11-23")),
            Ok(())
        );
        assert_eq!(
            check_withdrawal(g, None, d("2026-11-24"), d("2026-11-23")),
            Err("validation.date.future")
        );
    }
}
