//! Referrals (derivaciones, invii): a professional on a case's team sends the case to
//! another organisation of the network, with a reason, an urgency and what is shared,
//! and the loop is closed: sent → accepted (a professional of the receiver joins the
//! case's team) or rejected (with a reason) → in progress → completed (with an outcome)
//! or cancelled by the sender. Every step is timed. A referral unanswered past its
//! programme's limit (7 days by default) is flagged to the sender and the coordinators
//! of the sender's organisation.
//!
//! A referral never widens access by itself: it is sent only when the person's sharing
//! consent covers the receiver, and the receiver sees the person (their name, and their
//! contact details when shared) only while the referral waits for its answer and that
//! consent still covers it; once accepted, the ordinary rule (team and consent) applies.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_list, lenient_string, optional_text, required_text};

/// Days a referral may wait for its answer before the sender is told, unless the
/// programme says otherwise.
pub const DEFAULT_ANSWER_DAYS: i64 = 7;

coded_enum!(Urgency {
    Ordinary = "ordinary",
    Preferent = "preferent",
    Urgent = "urgent",
});

coded_enum!(
    /// What the sender shares with the receiver. Identification (the name) always goes
    /// with a referral; contact details only when ticked. Diagnosis and itinerary are
    /// read on the case once the receiver is on its team.
    Shared {
        ContactDetails = "contact_details",
        Diagnosis = "diagnosis",
        Itinerary = "itinerary",
        Benefits = "benefits",
    }
);

coded_enum!(ReferralStatus {
    Sent = "sent",
    Accepted = "accepted",
    Rejected = "rejected",
    InProgress = "in_progress",
    Completed = "completed",
    Cancelled = "cancelled",
});

coded_enum!(Outcome {
    Attended = "attended",
    DidNotAttend = "did_not_attend",
    ServiceGiven = "service_given",
    NotEligible = "not_eligible",
});

/// A step of a referral's life, asked by someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Reject,
    Start,
    Complete,
    Cancel,
}

impl ReferralStatus {
    /// The referral still waits for its answer or its end: the receiver and sender act.
    pub fn open(self) -> bool {
        matches!(
            self,
            ReferralStatus::Sent | ReferralStatus::Accepted | ReferralStatus::InProgress
        )
    }

    /// The status a step leads to, or the rule that refuses it.
    pub fn after(self, step: Step) -> Result<ReferralStatus, Error> {
        use ReferralStatus as S;
        match (self, step) {
            (S::Sent, Step::Accept) => Ok(S::Accepted),
            (S::Sent, Step::Reject) => Ok(S::Rejected),
            (S::Accepted, Step::Start) => Ok(S::InProgress),
            (S::Accepted | S::InProgress, Step::Complete) => Ok(S::Completed),
            (S::Sent | S::Accepted | S::InProgress, Step::Cancel) => Ok(S::Cancelled),
            (S::Sent, _) => Err(Error::Rule("referral.not_answered")),
            (S::Accepted | S::InProgress, Step::Accept | Step::Reject) => {
                Err(Error::Conflict("referral.already_answered"))
            }
            (S::InProgress, Step::Start) => Err(Error::Conflict("referral.already_started")),
            _ => Err(Error::Conflict("referral.closed")),
        }
    }
}

/// A new referral, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReferralInput {
    /// The receiving organisation.
    #[serde(deserialize_with = "lenient_string")]
    pub to_organisation_id: String,
    pub reason: String,
    /// `ordinary`, `preferent` or `urgent`.
    pub urgency: String,
    /// What is shared besides the name: `contact_details`, `diagnosis`, `itinerary`,
    /// `benefits`.
    #[serde(deserialize_with = "lenient_list")]
    pub shared: Vec<String>,
    /// The catalogue's resource it is to (its provider is then the receiver).
    #[serde(deserialize_with = "lenient_string")]
    pub resource_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferralData {
    pub to_organisation_id: Uuid,
    pub resource_id: Option<Uuid>,
    pub reason: String,
    pub urgency: Urgency,
    pub shared: Vec<Shared>,
}

fn choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => parse(s).ok_or("validation.choice"),
    }
}

fn organisation(raw: &str) -> Result<Uuid, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => Uuid::parse_str(s).map_err(|_| "validation.choice"),
    }
}

impl ReferralInput {
    pub fn validate(&self) -> Result<ReferralData, Error> {
        let mut e = Errors::new();
        let to = e.take("to_organisation_id", organisation(&self.to_organisation_id));
        let reason = e.take("reason", required_text(&self.reason, 4000));
        let urgency = e.take("urgency", choice(&self.urgency, Urgency::parse));
        let resource_id = e.take("resource_id", crate::input::optional_id(&self.resource_id));
        let mut shared = Vec::new();
        for s in &self.shared {
            match Shared::parse(s.trim()) {
                Some(v) if !shared.contains(&v) => shared.push(v),
                Some(_) => {}
                None => {
                    e.add("shared", "validation.choice");
                    break;
                }
            }
        }
        e.finish()?;
        match (to, reason, urgency, resource_id) {
            (Some(to_organisation_id), Some(reason), Some(urgency), Some(resource_id)) => {
                Ok(ReferralData {
                    to_organisation_id,
                    resource_id,
                    reason,
                    urgency,
                    shared,
                })
            }
            _ => Err(Error::Internal("referral check".into())),
        }
    }
}

/// The receiver's answer: accept (naming who joins the case's team, and as what) or
/// reject (with a reason).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AnswerInput {
    /// `accept` or `reject`.
    pub decision: String,
    /// On rejection: why (required).
    pub reason: String,
    /// On acceptance: the professional of the receiving organisation who joins the
    /// case's team (the one answering when empty).
    #[serde(deserialize_with = "lenient_string")]
    pub assignee_id: String,
    /// On acceptance: their role on the team (by the organisation's kind when empty).
    pub team_role: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Accept {
        assignee: Option<Uuid>,
        team_role: Option<crate::case::TeamRole>,
    },
    Reject {
        reason: String,
    },
}

impl AnswerInput {
    pub fn validate(&self) -> Result<Answer, Error> {
        match self.decision.trim() {
            "accept" => {
                let mut e = Errors::new();
                let assignee = e.take(
                    "assignee_id",
                    match self.assignee_id.trim() {
                        "" => Ok(None),
                        s => Uuid::parse_str(s)
                            .map(Some)
                            .map_err(|_| "validation.choice"),
                    },
                );
                let team_role = e.take(
                    "team_role",
                    match self.team_role.trim() {
                        "" => Ok(None),
                        s => crate::case::TeamRole::parse(s)
                            .map(Some)
                            .ok_or("validation.choice"),
                    },
                );
                e.finish()?;
                Ok(Answer::Accept {
                    assignee: assignee.flatten(),
                    team_role: team_role.flatten(),
                })
            }
            "reject" => match required_text(&self.reason, 2000) {
                Ok(reason) => Ok(Answer::Reject { reason }),
                Err(code) => Err(Error::field("reason", code)),
            },
            "" => Err(Error::field("decision", "validation.required")),
            _ => Err(Error::field("decision", "validation.choice")),
        }
    }
}

/// Closing a referral (its outcome) or cancelling it (with a note).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CloseInput {
    /// `attended`, `did_not_attend`, `service_given` or `not_eligible`.
    pub outcome: String,
    pub note: String,
}

pub fn check_close(i: &CloseInput) -> Result<(Outcome, Option<String>), Error> {
    let mut e = Errors::new();
    let outcome = e.take("outcome", choice(&i.outcome, Outcome::parse));
    let note = e.take("note", optional_text(&i.note, 2000));
    e.finish()?;
    match (outcome, note) {
        (Some(o), Some(n)) => Ok((o, n)),
        _ => Err(Error::Internal("referral close check".into())),
    }
}

/// A cancellation needs its reason.
pub fn check_cancel(i: &CloseInput) -> Result<String, Error> {
    required_text(&i.note, 2000).map_err(|c| Error::field("note", c))
}

/// When the answer to a referral sent at `sent_at` is due.
pub fn answer_due(sent_at: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    sent_at + Duration::days(days.max(1))
}

/// Whether a referral still unanswered at `now` is past its limit.
pub fn answer_overdue(sent_at: DateTime<Utc>, days: i64, now: DateTime<Utc>) -> bool {
    now > answer_due(sent_at, days)
}

/// The median of durations in hours (the lower middle of an even count), or `None`.
pub fn median_hours(mut hours: Vec<i64>) -> Option<i64> {
    if hours.is_empty() {
        return None;
    }
    hours.sort_unstable();
    hours.get((hours.len() - 1) / 2).copied()
}

/// The team role a professional of a receiving organisation of this kind takes on
/// acceptance when none is chosen.
pub fn default_team_role(kind: crate::org::OrganisationKind) -> crate::case::TeamRole {
    use crate::case::TeamRole;
    use crate::org::OrganisationKind as K;
    match kind {
        K::SocialServices => TeamRole::SocialReference,
        K::EmploymentService => TeamRole::EmploymentReference,
        _ => TeamRole::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_loop_has_one_way_through() {
        use ReferralStatus as S;
        assert_eq!(S::Sent.after(Step::Accept).ok(), Some(S::Accepted));
        assert_eq!(S::Sent.after(Step::Reject).ok(), Some(S::Rejected));
        assert_eq!(S::Accepted.after(Step::Start).ok(), Some(S::InProgress));
        assert_eq!(S::Accepted.after(Step::Complete).ok(), Some(S::Completed));
        assert_eq!(S::InProgress.after(Step::Complete).ok(), Some(S::Completed));
        assert_eq!(S::InProgress.after(Step::Cancel).ok(), Some(S::Cancelled));
        // Not before it is answered, not twice, nothing after the end.
        assert!(matches!(
            S::Sent.after(Step::Complete),
            Err(Error::Rule("referral.not_answered"))
        ));
        assert!(matches!(
            S::Accepted.after(Step::Reject),
            Err(Error::Conflict("referral.already_answered"))
        ));
        for end in [S::Rejected, S::Completed, S::Cancelled] {
            assert!(!end.open());
            for step in [
                Step::Accept,
                Step::Reject,
                Step::Start,
                Step::Complete,
                Step::Cancel,
            ] {
                assert!(matches!(
                    end.after(step),
                    Err(Error::Conflict("referral.closed"))
                ));
            }
        }
    }

    #[test]
    fn a_referral_needs_its_receiver_reason_and_urgency() {
        let bad = ReferralInput {
            to_organisation_id: "nope".into(),
            reason: " ".into(),
            urgency: "whenever".into(),
            shared: vec!["diagnosis".into(), "soul".into()],
            resource_id: "a resource".into(),
        };
        let Err(Error::Invalid(fields)) = bad.validate() else {
            panic!("accepted")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "to_organisation_id",
                "reason",
                "urgency",
                "resource_id",
                "shared"
            ]
        );
        let to = Uuid::from_u128(7);
        let ok = ReferralInput {
            to_organisation_id: to.to_string(),
            reason: "Orientación laboral".into(),
            urgency: "urgent".into(),
            shared: vec!["diagnosis".into(), "diagnosis".into()],
            resource_id: String::new(),
        }
        .validate()
        .expect("valid");
        assert_eq!(ok.to_organisation_id, to);
        assert_eq!(ok.urgency, Urgency::Urgent);
        assert_eq!(ok.shared, vec![Shared::Diagnosis]);
        assert_eq!(ok.resource_id, None);
    }

    #[test]
    fn a_rejection_needs_a_reason_and_an_acceptance_a_known_role() {
        let r = AnswerInput {
            decision: "reject".into(),
            ..Default::default()
        };
        assert!(matches!(r.validate(), Err(Error::Invalid(_))));
        let a = AnswerInput {
            decision: "accept".into(),
            team_role: "boss".into(),
            ..Default::default()
        };
        assert!(matches!(a.validate(), Err(Error::Invalid(_))));
        let a = AnswerInput {
            decision: "accept".into(),
            ..Default::default()
        };
        assert_eq!(
            a.validate().ok(),
            Some(Answer::Accept {
                assignee: None,
                team_role: None
            })
        );
        assert!(AnswerInput::default().validate().is_err());
    }

    #[test]
    fn closing_needs_an_outcome_and_cancelling_a_reason() {
        assert!(check_close(&CloseInput::default()).is_err());
        let (o, n) = check_close(&CloseInput {
            outcome: "service_given".into(),
            note: String::new(),
        })
        .expect("valid");
        assert_eq!((o, n), (Outcome::ServiceGiven, None));
        assert!(check_cancel(&CloseInput::default()).is_err());
    }

    #[test]
    fn overdue_after_the_limit_and_medians() {
        let sent = Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("t");
        assert!(!answer_overdue(sent, 7, sent + Duration::days(7)));
        assert!(answer_overdue(
            sent,
            7,
            sent + Duration::days(7) + Duration::minutes(1)
        ));
        // A limit below a day is a day.
        assert!(!answer_overdue(sent, 0, sent + Duration::hours(23)));
        assert_eq!(median_hours(vec![]), None);
        assert_eq!(median_hours(vec![30, 10, 20]), Some(20));
        assert_eq!(median_hours(vec![40, 10, 20, 30]), Some(20));
    }
}
