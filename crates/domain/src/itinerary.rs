//! The joint personalised itinerary (itinerario personalizado / patto): goals per domain,
//! actions owned by each service, the agreement signed with the person (frozen versions
//! and the differences between them) and the reviews.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{
    lenient_string, optional_date, optional_text, parse_date, parse_professional, required_text,
};
use crate::text::clean;

coded_enum!(GoalStatus {
    Open = "open",
    Achieved = "achieved",
    NotAchieved = "not_achieved",
    Dropped = "dropped",
});

coded_enum!(ActionStatus {
    Planned = "planned",
    InProgress = "in_progress",
    Done = "done",
    NotAchieved = "not_achieved",
    Cancelled = "cancelled",
});

coded_enum!(
    /// The service that owns an action.
    Service {
        Social = "social",
        Employment = "employment",
        Training = "training",
        Health = "health",
        Housing = "housing",
        Other = "other",
    }
);

coded_enum!(ActionKind {
    Interview = "interview",
    Orientation = "orientation",
    TrainingCourse = "training_course",
    JobSearch = "job_search",
    WorkPlacement = "work_placement",
    BenefitApplication = "benefit_application",
    HealthReferral = "health_referral",
    HousingSupport = "housing_support",
    SocialSupport = "social_support",
    Other = "other",
});

impl ActionStatus {
    /// Whether the action is still to be done (it shows in the owner's work list).
    pub fn is_pending(self) -> bool {
        matches!(self, ActionStatus::Planned | ActionStatus::InProgress)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GoalInput {
    pub domain: String,
    pub description: String,
    #[serde(deserialize_with = "lenient_string")]
    pub target_on: String,
    pub status: String,
    /// The version read (a change on one changed meanwhile is refused); empty: the
    /// current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalData {
    pub domain: String,
    pub description: String,
    pub target_on: Option<NaiveDate>,
    pub status: GoalStatus,
}

/// Checks a goal: a domain of the instrument, a description, a target date if any.
pub fn check_goal(g: &GoalInput, domains: &[String]) -> Result<GoalData, Error> {
    let mut e = Errors::new();
    let domain = e.take(
        "domain",
        if g.domain.trim().is_empty() {
            Err("validation.required")
        } else if domains.iter().any(|d| d == g.domain.trim()) {
            Ok(g.domain.trim().to_string())
        } else {
            Err("validation.choice")
        },
    );
    let description = e.take("description", required_text(&g.description, 1000));
    let target_on = e.take("target_on", optional_date(&g.target_on));
    let status = if g.status.trim().is_empty() {
        Some(GoalStatus::Open)
    } else {
        e.take(
            "status",
            GoalStatus::parse(g.status.trim()).ok_or("validation.choice"),
        )
    };
    e.finish()?;
    match (domain, description, target_on, status) {
        (Some(domain), Some(description), Some(target_on), Some(status)) => Ok(GoalData {
            domain,
            description,
            target_on,
            status,
        }),
        _ => Err(Error::Internal("validation state".into())),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActionInput {
    pub goal_id: String,
    pub kind: String,
    pub service: String,
    pub description: String,
    /// `USER_ID@ORGANISATION_ID`: the responsible professional and their organisation.
    pub responsible: String,
    #[serde(deserialize_with = "lenient_string")]
    pub starts_on: String,
    #[serde(deserialize_with = "lenient_string")]
    pub due_on: String,
    pub status: String,
    pub status_reason: String,
    /// The version read (a change on one changed meanwhile is refused); empty: the
    /// current one.
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionData {
    pub goal_id: Option<Uuid>,
    pub kind: ActionKind,
    pub service: Service,
    pub description: String,
    pub responsible_id: Uuid,
    pub organisation_id: Uuid,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub status_reason: Option<String>,
}

/// Checks an action: kind, owning service, responsible professional, dates in order, and
/// a reason when it was not achieved or cancelled.
pub fn check_action(a: &ActionInput) -> Result<ActionData, Error> {
    let mut e = Errors::new();
    let goal_id = if a.goal_id.trim().is_empty() {
        Some(None)
    } else {
        e.take(
            "goal_id",
            Uuid::parse_str(a.goal_id.trim())
                .map(Some)
                .map_err(|_| "validation.choice"),
        )
    };
    let pick = |v: &str| {
        if v.trim().is_empty() {
            "validation.required"
        } else {
            "validation.choice"
        }
    };
    let kind = e.take(
        "kind",
        ActionKind::parse(a.kind.trim()).ok_or_else(|| pick(&a.kind)),
    );
    let service = e.take(
        "service",
        Service::parse(a.service.trim()).ok_or_else(|| pick(&a.service)),
    );
    let description = e.take("description", required_text(&a.description, 1000));
    let who = e.take("responsible", parse_professional(&a.responsible));
    let starts_on = e.take(
        "starts_on",
        if a.starts_on.trim().is_empty() {
            Err("validation.required")
        } else {
            parse_date(&a.starts_on)
        },
    );
    let due_on = e.take(
        "due_on",
        if a.due_on.trim().is_empty() {
            Err("validation.required")
        } else {
            parse_date(&a.due_on)
        },
    );
    if let (Some(s), Some(d)) = (starts_on, due_on) {
        if d < s {
            e.add("due_on", "validation.action.due_before_start");
        }
    }
    let status = if a.status.trim().is_empty() {
        Some(ActionStatus::Planned)
    } else {
        e.take(
            "status",
            ActionStatus::parse(a.status.trim()).ok_or("validation.choice"),
        )
    };
    let reason = e.take("status_reason", optional_text(&a.status_reason, 1000));
    if let (Some(st), Some(None)) = (status, &reason) {
        if matches!(st, ActionStatus::NotAchieved | ActionStatus::Cancelled) {
            e.add("status_reason", "validation.action.reason_required");
        }
    }
    e.finish()?;
    match (
        goal_id,
        kind,
        service,
        description,
        who,
        starts_on,
        due_on,
        status,
        reason,
    ) {
        (
            Some(goal_id),
            Some(kind),
            Some(service),
            Some(description),
            Some((responsible_id, organisation_id)),
            Some(starts_on),
            Some(due_on),
            Some(status),
            Some(status_reason),
        ) => Ok(ActionData {
            goal_id,
            kind,
            service,
            description,
            responsible_id,
            organisation_id,
            starts_on,
            due_on,
            status,
            status_reason,
        }),
        _ => Err(Error::Internal("validation state".into())),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanInput {
    /// The person's commitments, one per line.
    pub commitments: String,
    /// The language the agreement is printed in.
    pub language: String,
    #[serde(deserialize_with = "lenient_string")]
    pub review_on: String,
    #[serde(deserialize_with = "crate::input::lenient_i32")]
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanData {
    pub commitments: String,
    pub language: String,
    pub review_on: Option<NaiveDate>,
}

pub fn check_plan(p: &PlanInput) -> Result<PlanData, Error> {
    let mut e = Errors::new();
    let commitments = e.take("commitments", optional_text(&p.commitments, 4000));
    let language = match p.language.trim() {
        "" => Some("es".to_string()),
        l if ["es", "ca", "it", "en"].contains(&l) => Some(l.to_string()),
        _ => e.take("language", Err("validation.choice")),
    };
    let review_on = e.take("review_on", optional_date(&p.review_on));
    e.finish()?;
    match (commitments, language, review_on) {
        (Some(c), Some(language), Some(review_on)) => Ok(PlanData {
            commitments: c.unwrap_or_default(),
            language,
            review_on,
        }),
        _ => Err(Error::Internal("validation state".into())),
    }
}

/// The agreement as signed: what a frozen version holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub commitments: String,
    pub language: String,
    pub goals: Vec<SnapGoal>,
    pub actions: Vec<SnapAction>,
}

impl Snapshot {
    /// The version with the text written about the person cleared (anonymisation):
    /// what was agreed stays as kinds, services, dates and statuses.
    pub fn anonymised(mut self) -> Snapshot {
        self.commitments.clear();
        for g in &mut self.goals {
            g.description.clear();
        }
        for a in &mut self.actions {
            a.description.clear();
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapGoal {
    pub id: Uuid,
    pub domain: String,
    pub description: String,
    pub target_on: Option<NaiveDate>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapAction {
    pub id: Uuid,
    pub kind: String,
    pub service: String,
    pub description: String,
    pub organisation_name: String,
    pub responsible_name: String,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: String,
}

/// One difference between two versions of an itinerary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// `commitments`, `goal` or `action`.
    pub item: &'static str,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// What the item is (a goal's or action's description).
    pub label: String,
    /// For changes: the fields that differ, each with the old and the new value.
    pub fields: Vec<(String, String, String)>,
}

fn opt(d: &Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// What changed from `a` to `b`, item by item.
pub fn diff(a: &Snapshot, b: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    if a.commitments != b.commitments {
        out.push(Difference {
            item: "commitments",
            change: "changed",
            label: String::new(),
            fields: vec![(
                "commitments".into(),
                a.commitments.clone(),
                b.commitments.clone(),
            )],
        });
    }
    for g in &b.goals {
        match a.goals.iter().find(|x| x.id == g.id) {
            None => out.push(Difference {
                item: "goal",
                change: "added",
                label: g.description.clone(),
                fields: vec![],
            }),
            Some(old) => {
                let mut f = Vec::new();
                let mut cmp = |n: &str, x: String, y: String| {
                    if x != y {
                        f.push((n.to_string(), x, y));
                    }
                };
                cmp("domain", old.domain.clone(), g.domain.clone());
                cmp(
                    "description",
                    old.description.clone(),
                    g.description.clone(),
                );
                cmp("target_on", opt(&old.target_on), opt(&g.target_on));
                cmp("status", old.status.clone(), g.status.clone());
                if !f.is_empty() {
                    out.push(Difference {
                        item: "goal",
                        change: "changed",
                        label: g.description.clone(),
                        fields: f,
                    });
                }
            }
        }
    }
    for g in a
        .goals
        .iter()
        .filter(|g| !b.goals.iter().any(|x| x.id == g.id))
    {
        out.push(Difference {
            item: "goal",
            change: "removed",
            label: g.description.clone(),
            fields: vec![],
        });
    }
    for ac in &b.actions {
        match a.actions.iter().find(|x| x.id == ac.id) {
            None => out.push(Difference {
                item: "action",
                change: "added",
                label: ac.description.clone(),
                fields: vec![],
            }),
            Some(old) => {
                let mut f = Vec::new();
                let mut cmp = |n: &str, x: String, y: String| {
                    if x != y {
                        f.push((n.to_string(), x, y));
                    }
                };
                cmp("kind", old.kind.clone(), ac.kind.clone());
                cmp("service", old.service.clone(), ac.service.clone());
                cmp(
                    "description",
                    old.description.clone(),
                    ac.description.clone(),
                );
                cmp(
                    "responsible",
                    format!("{} · {}", old.responsible_name, old.organisation_name),
                    format!("{} · {}", ac.responsible_name, ac.organisation_name),
                );
                cmp(
                    "starts_on",
                    old.starts_on.to_string(),
                    ac.starts_on.to_string(),
                );
                cmp("due_on", old.due_on.to_string(), ac.due_on.to_string());
                cmp("status", old.status.clone(), ac.status.clone());
                if !f.is_empty() {
                    out.push(Difference {
                        item: "action",
                        change: "changed",
                        label: ac.description.clone(),
                        fields: f,
                    });
                }
            }
        }
    }
    for ac in a
        .actions
        .iter()
        .filter(|x| !b.actions.iter().any(|y| y.id == x.id))
    {
        out.push(Difference {
            item: "action",
            change: "removed",
            label: ac.description.clone(),
            fields: vec![],
        });
    }
    out
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SignInput {
    #[serde(deserialize_with = "lenient_string")]
    pub signed_on: String,
    /// Who signed, one per line: the person, the professionals, the company.
    pub signatories: String,
    /// The itinerary's version the signatories saw (0: the current one).
    #[serde(deserialize_with = "crate::input::lenient_i32")]
    pub version: i32,
}

/// Checks a signature: a date not in the future and at least two signatories (the person
/// and a professional).
pub fn check_signature(s: &SignInput, today: NaiveDate) -> Result<(NaiveDate, Vec<String>), Error> {
    let mut e = Errors::new();
    let on = e.take(
        "signed_on",
        if s.signed_on.trim().is_empty() {
            Ok(today)
        } else {
            parse_date(&s.signed_on).and_then(|d| {
                if d > today {
                    Err("validation.date.future")
                } else {
                    Ok(d)
                }
            })
        },
    );
    let names: Vec<String> = s.signatories.lines().filter_map(clean).collect();
    if names.len() < 2 {
        e.add("signatories", "validation.agreement.signatories");
    } else if names.iter().any(|n| n.chars().count() > 200) {
        e.add("signatories", "validation.too_long");
    }
    e.finish()?;
    on.map(|d| (d, names))
        .ok_or_else(|| Error::Internal("validation state".into()))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    #[serde(deserialize_with = "lenient_string")]
    pub reviewed_on: String,
    pub progress: String,
    #[serde(deserialize_with = "lenient_string")]
    pub next_review_on: String,
}

pub fn check_review(
    r: &ReviewInput,
    today: NaiveDate,
) -> Result<(NaiveDate, String, Option<NaiveDate>), Error> {
    let mut e = Errors::new();
    let on = e.take(
        "reviewed_on",
        if r.reviewed_on.trim().is_empty() {
            Ok(today)
        } else {
            parse_date(&r.reviewed_on).and_then(|d| {
                if d > today {
                    Err("validation.date.future")
                } else {
                    Ok(d)
                }
            })
        },
    );
    let progress = e.take("progress", required_text(&r.progress, 4000));
    let next = e.take("next_review_on", optional_date(&r.next_review_on));
    if let (Some(on), Some(Some(n))) = (on, next) {
        if n <= on {
            e.add("next_review_on", "validation.review.next_after");
        }
    }
    e.finish()?;
    match (on, progress, next) {
        (Some(on), Some(p), Some(n)) => Ok((on, p, n)),
        _ => Err(Error::Internal("validation state".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action() -> ActionInput {
        ActionInput {
            kind: "orientation".into(),
            service: "employment".into(),
            description: "Orientación laboral".into(),
            responsible: format!("{}@{}", Uuid::nil(), Uuid::max()),
            starts_on: "2026-02-01".into(),
            due_on: "2026-03-01".into(),
            ..Default::default()
        }
    }

    fn codes(e: Error) -> Vec<(String, &'static str)> {
        match e {
            Error::Invalid(f) => f.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_action_is_due_after_it_starts() {
        assert_eq!(
            check_action(&action()).unwrap().status,
            ActionStatus::Planned
        );
        let mut a = action();
        a.due_on = "2026-01-15".into();
        assert_eq!(
            codes(check_action(&a).unwrap_err()),
            vec![("due_on".into(), "validation.action.due_before_start")]
        );
    }

    #[test]
    fn cancelling_needs_a_reason_and_every_bad_field_is_named() {
        let mut a = action();
        a.status = "cancelled".into();
        a.kind = "dance".into();
        a.service = "".into();
        let c = codes(check_action(&a).unwrap_err());
        assert!(c.contains(&("status_reason".into(), "validation.action.reason_required")));
        assert!(c.contains(&("kind".into(), "validation.choice")));
        assert!(c.contains(&("service".into(), "validation.required")));
        a.kind = "orientation".into();
        a.service = "social".into();
        a.status_reason = "La persona se mudó".into();
        assert!(check_action(&a).is_ok());
    }

    #[test]
    fn goals_need_a_known_domain() {
        let domains = vec!["housing".to_string()];
        let g = GoalInput {
            domain: "housing".into(),
            description: "Acceder a una vivienda".into(),
            ..Default::default()
        };
        assert_eq!(check_goal(&g, &domains).unwrap().status, GoalStatus::Open);
        let bad = GoalInput {
            domain: "moon".into(),
            ..g
        };
        assert_eq!(
            codes(check_goal(&bad, &domains).unwrap_err()),
            vec![("domain".into(), "validation.choice")]
        );
    }

    #[test]
    fn a_signature_needs_two_signatories_and_a_past_date() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let s = SignInput {
            signed_on: "2026-06-01".into(),
            signatories: "Ana\n".into(),
            ..Default::default()
        };
        let c = codes(check_signature(&s, today).unwrap_err());
        assert_eq!(c.len(), 2);
        let ok = SignInput {
            signed_on: "".into(),
            signatories: "Ana López\n\nLuis Pérez (SEXPE)".into(),
            ..Default::default()
        };
        assert_eq!(
            check_signature(&ok, today).unwrap(),
            (today, vec!["Ana López".into(), "Luis Pérez (SEXPE)".into()])
        );
    }

    #[test]
    fn differences_between_versions() {
        let g = |id: u128, d: &str, st: &str| SnapGoal {
            id: Uuid::from_u128(id),
            domain: "housing".into(),
            description: d.into(),
            target_on: None,
            status: st.into(),
        };
        let a = Snapshot {
            commitments: "Asistir".into(),
            language: "es".into(),
            goals: vec![g(1, "Vivienda", "open"), g(2, "Salud", "open")],
            actions: vec![],
        };
        let b = Snapshot {
            commitments: "Asistir y avisar".into(),
            goals: vec![g(1, "Vivienda", "achieved"), g(3, "Empleo", "open")],
            ..a.clone()
        };
        let d = diff(&a, &b);
        let summary: Vec<(&str, &str, &str)> = d
            .iter()
            .map(|d| (d.item, d.change, d.label.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("commitments", "changed", ""),
                ("goal", "changed", "Vivienda"),
                ("goal", "added", "Empleo"),
                ("goal", "removed", "Salud"),
            ]
        );
        assert_eq!(
            d[1].fields,
            vec![("status".into(), "open".into(), "achieved".into())]
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn a_review_sets_a_later_next_review() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let r = ReviewInput {
            reviewed_on: "2026-05-01".into(),
            progress: "Avanza".into(),
            next_review_on: "2026-04-01".into(),
        };
        assert_eq!(
            codes(check_review(&r, today).unwrap_err()),
            vec![("next_review_on".into(), "validation.review.next_after")]
        );
    }
}
