//! Protocol compliance (cortes evaluativos): measurable rules of good practice of a
//! programme (SPEC §2 Protocol rule), each with a limit in days the programme may
//! change, evaluated on what is recorded.
//!
//! Each rule makes *instances*, each with a day it starts from and the day the expected
//! thing was done (if it was); its deadline is the start plus the rule's days:
//! - `first_interview`: from the case's opening to its first interview (individual or
//!   joint) — 10 days;
//! - `diagnosis`: from the opening to the first assessment — 30 days;
//! - `itinerary`: from the opening to the first signed itinerary — 45 days;
//! - `review`: from the itinerary's signature, and then from each review, to the next
//!   review — 90 days;
//! - `placement_followup`: from a contract's start, and then from each contact on the
//!   case while it runs, to the next contact — 31 days (monthly);
//! - `incident_response`: from an incident's report to its first response — the
//!   programme's limit (3 days);
//! - `referral_answer`: from a referral's sending to its answer — the programme's limit
//!   (7 days).
//!
//! An instance counts in a period when its deadline falls in it: **met** (done by the
//! deadline), **late** (done after it) or **overdue** (not done, the deadline past).
//! One not done whose deadline has not come, or whose case closed (or contract ended)
//! before it, does not count. Compliance is met ÷ (met + late + overdue).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Error, Errors};

coded_enum!(ProtocolRule {
    FirstInterview = "first_interview",
    Diagnosis = "diagnosis",
    Itinerary = "itinerary",
    Review = "review",
    PlacementFollowup = "placement_followup",
    IncidentResponse = "incident_response",
    ReferralAnswer = "referral_answer",
});

impl ProtocolRule {
    /// SPEC §2's defaults.
    pub fn default_days(self) -> i64 {
        match self {
            ProtocolRule::FirstInterview => 10,
            ProtocolRule::Diagnosis => 30,
            ProtocolRule::Itinerary => 45,
            ProtocolRule::Review => 90,
            ProtocolRule::PlacementFollowup => 31,
            ProtocolRule::IncidentResponse => 3,
            ProtocolRule::ReferralAnswer => 7,
        }
    }
}

coded_enum!(Outcome {
    Met = "met",
    Late = "late",
    Overdue = "overdue",
});

/// One thing expected by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub case_id: uuid::Uuid,
    pub start: NaiveDate,
    pub done: Option<NaiveDate>,
    /// The day after which nothing is expected any more (the case closed, the contract
    /// ended), if any.
    pub moot_after: Option<NaiveDate>,
}

/// The deadline and outcome of an instance on `today`, or none when it does not count
/// (not due yet, or moot).
pub fn outcome(i: &Instance, days: i64, today: NaiveDate) -> Option<(NaiveDate, Outcome)> {
    let deadline = i.start + Duration::days(days);
    match i.done {
        Some(d) if d <= deadline => Some((deadline, Outcome::Met)),
        Some(_) => Some((deadline, Outcome::Late)),
        None if i.moot_after.is_some_and(|m| m < deadline) => None,
        None if deadline < today => Some((deadline, Outcome::Overdue)),
        None => None,
    }
}

/// A chain of events (a signature then reviews; a contract's start then contacts): each
/// event starts an instance done by the next one.
pub fn chain(
    case_id: uuid::Uuid,
    mut events: Vec<NaiveDate>,
    moot_after: Option<NaiveDate>,
) -> Vec<Instance> {
    events.sort_unstable();
    events.dedup();
    let mut out = Vec::with_capacity(events.len());
    for (n, start) in events.iter().enumerate() {
        out.push(Instance {
            case_id,
            start: *start,
            done: events.get(n + 1).copied(),
            moot_after,
        });
    }
    out
}

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub met: u64,
    pub late: u64,
    pub overdue: u64,
}

impl Tally {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Met => self.met += 1,
            Outcome::Late => self.late += 1,
            Outcome::Overdue => self.overdue += 1,
        }
    }
    pub fn total(&self) -> u64 {
        self.met + self.late + self.overdue
    }
    /// Compliance in whole per cent; none without instances.
    pub fn rate(&self) -> Option<u64> {
        let t = self.total();
        (t > 0).then(|| (self.met * 100 + t / 2) / t)
    }
}

/// The limits of a programme's rules as typed (days, one per rule).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RulesInput {
    pub first_interview: String,
    pub diagnosis: String,
    pub itinerary: String,
    pub review: String,
    pub placement_followup: String,
    pub incident_response: String,
    pub referral_answer: String,
}

impl RulesInput {
    fn get(&self, r: ProtocolRule) -> &str {
        match r {
            ProtocolRule::FirstInterview => &self.first_interview,
            ProtocolRule::Diagnosis => &self.diagnosis,
            ProtocolRule::Itinerary => &self.itinerary,
            ProtocolRule::Review => &self.review,
            ProtocolRule::PlacementFollowup => &self.placement_followup,
            ProtocolRule::IncidentResponse => &self.incident_response,
            ProtocolRule::ReferralAnswer => &self.referral_answer,
        }
    }

    /// Each rule's days: a whole number from 1 to 365.
    pub fn validate(&self) -> Result<Vec<(ProtocolRule, i64)>, Error> {
        let mut e = Errors::new();
        let mut out = Vec::new();
        for r in ProtocolRule::ALL {
            let raw = self.get(*r).trim();
            match raw.parse::<i64>() {
                Ok(d) if (1..=365).contains(&d) => out.push((*r, d)),
                Ok(_) => e.add(r.code(), "validation.compliance.days"),
                Err(_) if raw.is_empty() => e.add(r.code(), "validation.required"),
                Err(_) => e.add(r.code(), "validation.number.format"),
            }
        }
        e.finish()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn inst(start: &str, done: Option<&str>, moot: Option<&str>) -> Instance {
        Instance {
            case_id: uuid::Uuid::nil(),
            start: d(start),
            done: done.map(d),
            moot_after: moot.map(d),
        }
    }

    #[test]
    fn outcomes_by_the_deadline() {
        let today = d("2026-11-23");
        // Done on the deadline's day: met; a day later: late.
        assert_eq!(
            outcome(&inst("2026-11-01", Some("2026-11-11"), None), 10, today),
            Some((d("2026-11-11"), Outcome::Met))
        );
        assert_eq!(
            outcome(&inst("2026-11-01", Some("2026-11-12"), None), 10, today),
            Some((d("2026-11-11"), Outcome::Late))
        );
        // Not done, past: overdue; not yet due: nothing; closed before: nothing.
        assert_eq!(
            outcome(&inst("2026-11-01", None, None), 10, today),
            Some((d("2026-11-11"), Outcome::Overdue))
        );
        assert_eq!(outcome(&inst("2026-11-20", None, None), 10, today), None);
        assert_eq!(
            outcome(&inst("2026-11-01", None, Some("2026-11-05")), 10, today),
            None
        );
    }

    #[test]
    fn a_chain_makes_one_instance_per_event() {
        let c = chain(
            uuid::Uuid::nil(),
            vec![d("2026-03-01"), d("2026-01-01"), d("2026-07-01")],
            None,
        );
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].start, c[0].done),
            (d("2026-01-01"), Some(d("2026-03-01")))
        );
        assert_eq!(c[2].done, None);
        // 1 Jan → 1 Mar is 59 days: met; 1 Mar → 1 Jul is 122 days: late.
        let today = d("2026-11-23");
        assert_eq!(outcome(&c[0], 90, today).map(|o| o.1), Some(Outcome::Met));
        assert_eq!(outcome(&c[1], 90, today).map(|o| o.1), Some(Outcome::Late));
        assert_eq!(
            outcome(&c[2], 90, today).map(|o| o.1),
            Some(Outcome::Overdue)
        );
    }

    #[test]
    fn rates_and_limits() {
        let mut t = Tally::default();
        assert_eq!(t.rate(), None);
        t.add(Outcome::Met);
        t.add(Outcome::Met);
        t.add(Outcome::Late);
        assert_eq!(t.rate(), Some(67));
        let mut i = RulesInput {
            first_interview: "10".into(),
            diagnosis: "30".into(),
            itinerary: "45".into(),
            review: "0".into(),
            placement_followup: "mes".into(),
            incident_response: "3".into(),
            referral_answer: String::new(),
        };
        let Err(Error::Invalid(f)) = i.validate() else {
            panic!()
        };
        let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["review", "placement_followup", "referral_answer"]);
        i.review = "90".into();
        i.placement_followup = "31".into();
        i.referral_answer = "7".into();
        assert_eq!(i.validate().unwrap().len(), 7);
    }
}
