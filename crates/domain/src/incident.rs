//! Incidents during training or a placement (the Albacete Plan de Empleo protocol):
//! absenteeism, work–life conciliation, disciplinary problems, adaptation to the work
//! group, a change of post for health reasons. Each is passed at once to the case
//! manager and the case's reference social worker, who act with the person; the first
//! response is timed, and an incident left unanswered past the programme's limit is
//! flagged to the coordinators of the case's team.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_string, optional_date, optional_text, required_text};

/// Days an incident may wait for its first response before the coordinators are told,
/// unless the programme says otherwise.
pub const DEFAULT_RESPONSE_DAYS: i64 = 3;

coded_enum!(IncidentKind {
    Absenteeism = "absenteeism",
    Conciliation = "conciliation",
    Disciplinary = "disciplinary",
    GroupAdaptation = "group_adaptation",
    HealthAdaptation = "health_adaptation",
    Other = "other",
});

coded_enum!(Severity {
    Low = "low",
    Medium = "medium",
    High = "high",
});

coded_enum!(
    /// Who saw it happen.
    Reporter {
        Trainer = "trainer",
        WorkplaceTutor = "workplace_tutor",
        Counsellor = "counsellor",
        SocialWorker = "social_worker",
    }
);

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IncidentInput {
    #[serde(deserialize_with = "lenient_string")]
    pub occurred_on: String,
    pub kind: String,
    pub severity: String,
    pub reporter: String,
    pub description: String,
    /// The contract it happened in (a placement of the same case), if any.
    #[serde(deserialize_with = "lenient_string")]
    pub contract_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentData {
    pub occurred_on: NaiveDate,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub reporter: Reporter,
    pub description: String,
    pub contract_id: Option<uuid::Uuid>,
}

fn choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => parse(s).ok_or("validation.choice"),
    }
}

/// Checks an incident of a case opened on `opened_on`.
pub fn check_incident(
    i: &IncidentInput,
    opened_on: NaiveDate,
    today: NaiveDate,
) -> Result<IncidentData, Error> {
    let mut e = Errors::new();
    let occurred_on = e.take(
        "occurred_on",
        match optional_date(&i.occurred_on) {
            Ok(None) => Ok(today),
            Ok(Some(d)) if d > today => Err("validation.date.future"),
            Ok(Some(d)) if d < opened_on => Err("validation.contact.before_case"),
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    let kind = e.take("kind", choice(&i.kind, IncidentKind::parse));
    let severity = e.take("severity", choice(&i.severity, Severity::parse));
    let reporter = e.take("reporter", choice(&i.reporter, Reporter::parse));
    let description = e.take("description", required_text(&i.description, 4000));
    let contract_id = e.take(
        "contract_id",
        if i.contract_id.trim().is_empty() {
            Ok(None)
        } else {
            uuid::Uuid::parse_str(i.contract_id.trim())
                .map(Some)
                .map_err(|_| "validation.choice")
        },
    );
    e.finish()?;
    match (
        occurred_on,
        kind,
        severity,
        reporter,
        description,
        contract_id,
    ) {
        (Some(o), Some(k), Some(s), Some(r), Some(d), Some(c)) => Ok(IncidentData {
            occurred_on: o,
            kind: k,
            severity: s,
            reporter: r,
            description: d,
            contract_id: c,
        }),
        _ => Err(Error::Internal("incident check".into())),
    }
}

/// The first response to an incident: what was agreed with the person; or, when it is
/// closed, its resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IncidentResponseInput {
    /// What was agreed with the person (the first response).
    pub actions_agreed: String,
    /// How it ended; with it the incident is closed.
    pub resolution: String,
    /// When it was resolved (today when empty and a resolution is given).
    #[serde(deserialize_with = "lenient_string")]
    pub resolved_on: String,
    /// The incident's version the answer was written on (optimistic concurrency);
    /// empty for the current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentResponse {
    pub actions_agreed: Option<String>,
    pub resolution: Option<(String, NaiveDate)>,
}

/// Checks a response to an incident that occurred on `occurred_on`. Something must be
/// said: actions agreed, a resolution, or both.
pub fn check_response(
    i: &IncidentResponseInput,
    occurred_on: NaiveDate,
    today: NaiveDate,
) -> Result<IncidentResponse, Error> {
    let mut e = Errors::new();
    let actions = e.take("actions_agreed", optional_text(&i.actions_agreed, 4000));
    let resolution = e.take("resolution", optional_text(&i.resolution, 4000));
    let resolved_on = e.take(
        "resolved_on",
        match optional_date(&i.resolved_on) {
            Ok(None) => Ok(today),
            Ok(Some(d)) if d > today => Err("validation.date.future"),
            Ok(Some(d)) if d < occurred_on => Err("validation.incident.resolved_before"),
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    if let (Some(None), Some(None)) = (&actions, &resolution) {
        e.add("actions_agreed", "validation.incident.say_something");
    }
    e.finish()?;
    match (actions, resolution, resolved_on) {
        (Some(a), Some(r), Some(on)) => Ok(IncidentResponse {
            actions_agreed: a,
            resolution: r.map(|r| (r, on)),
        }),
        _ => Err(Error::Internal("incident response".into())),
    }
}

/// Whether an incident reported at `reported_at` and still unanswered at `now` is past
/// its programme's limit of `days`.
pub fn response_overdue(reported_at: DateTime<Utc>, days: i64, now: DateTime<Utc>) -> bool {
    now - reported_at > Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_incident_names_each_bad_field() {
        let i = IncidentInput {
            occurred_on: "2026-05-02".into(),
            kind: "late".into(),
            severity: String::new(),
            reporter: "workplace_tutor".into(),
            description: "  ".into(),
            contract_id: "nope".into(),
        };
        let Err(Error::Invalid(f)) = check_incident(&i, d("2026-01-01"), d("2026-05-01")) else {
            panic!()
        };
        let f: Vec<_> = f.into_iter().map(|f| (f.field, f.code)).collect();
        assert_eq!(
            f,
            vec![
                ("occurred_on".to_string(), "validation.date.future"),
                ("kind".to_string(), "validation.choice"),
                ("severity".to_string(), "validation.required"),
                ("description".to_string(), "validation.required"),
                ("contract_id".to_string(), "validation.choice"),
            ]
        );
        let ok = IncidentInput {
            occurred_on: String::new(),
            kind: "conciliation".into(),
            severity: "medium".into(),
            reporter: "counsellor".into(),
            description: "No puede cubrir el turno de tarde".into(),
            contract_id: String::new(),
        };
        let data = check_incident(&ok, d("2026-01-01"), d("2026-05-01")).unwrap();
        assert_eq!(data.occurred_on, d("2026-05-01"));
        assert_eq!(data.kind, IncidentKind::Conciliation);
    }

    #[test]
    fn a_response_says_something_and_a_resolution_closes() {
        let empty = IncidentResponseInput::default();
        assert!(check_response(&empty, d("2026-05-01"), d("2026-05-02")).is_err());
        let r = check_response(
            &IncidentResponseInput {
                actions_agreed: "Cambio de turno".into(),
                ..Default::default()
            },
            d("2026-05-01"),
            d("2026-05-02"),
        )
        .unwrap();
        assert_eq!(r.resolution, None);
        let r = check_response(
            &IncidentResponseInput {
                resolution: "Resuelto".into(),
                resolved_on: "2026-04-30".into(),
                ..Default::default()
            },
            d("2026-05-01"),
            d("2026-05-02"),
        );
        assert!(r.is_err());
    }

    #[test]
    fn the_limit_counts_whole_days_from_the_report() {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
        assert!(!response_overdue(at, 3, at + Duration::days(3)));
        assert!(response_overdue(
            at,
            3,
            at + Duration::days(3) + Duration::minutes(1)
        ));
    }
}
