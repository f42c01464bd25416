//! The case (expediente / presa in carico): a participant in a programme, moving through
//! the programme's phases. The rules of what may follow what live here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::text::clean;

coded_enum!(CaseStatus {
    Open = "open",
    Suspended = "suspended",
    Closed = "closed",
});

coded_enum!(ExitReason {
    Employed = "employed",
    InTraining = "in_training",
    DroppedOut = "dropped_out",
    Moved = "moved",
    Other = "other",
});

coded_enum!(CaseEventKind {
    Opened = "opened",
    PhaseChanged = "phase_changed",
    Suspended = "suspended",
    Resumed = "resumed",
    Closed = "closed",
    Reopened = "reopened",
    TeamMemberAdded = "team_member_added",
    TeamMemberRemoved = "team_member_removed",
});

coded_enum!(
    /// A professional's role within one case's team.
    TeamRole {
        CaseManager = "case_manager",
        SocialReference = "social_reference",
        EmploymentReference = "employment_reference",
        Tutor = "tutor",
        Trainer = "trainer",
        Other = "other",
    }
);

/// The default phase workflow of SPEC §2 (closing is a status, not a phase).
pub const DEFAULT_PHASES: &[&str] = &[
    "detection",
    "preselection",
    "selection",
    "diagnosis",
    "plan",
    "training",
    "employment",
    "follow_up",
];

/// A reason typed by a professional: required, at most 1000 characters.
pub fn reason(raw: &str) -> Result<String, &'static str> {
    match clean(raw) {
        None => Err("validation.required"),
        Some(r) if r.chars().count() > 1000 => Err("validation.too_long"),
        Some(r) => Ok(r),
    }
}

/// A phase code: lower-case letters, digits and `_`, 2–40 characters.
pub fn validate_phase_code(raw: &str) -> Result<String, &'static str> {
    let c = raw.trim().to_lowercase();
    if c.len() < 2
        || c.len() > 40
        || !c
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        return Err("validation.phase.code");
    }
    Ok(c)
}

/// A programme's workflow: its ordered phases must be at least two, unique, valid codes.
pub fn validate_workflow(phases: &[String]) -> Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = Vec::new();
    for p in phases.iter().filter(|p| !p.trim().is_empty()) {
        let c = validate_phase_code(p)?;
        if out.contains(&c) {
            return Err("validation.phase.repeated");
        }
        out.push(c);
    }
    if out.len() < 2 {
        return Err("validation.phase.too_few");
    }
    Ok(out)
}

/// Whether a case in `status` at phase `current` may move to `target` in a workflow:
/// forward to any later phase (skipping is allowed: not everyone goes through training),
/// back one phase only (to correct a step), never while suspended or closed.
pub fn check_phase_move(
    phases: &[String],
    current: &str,
    target: &str,
    status: CaseStatus,
) -> Result<(), &'static str> {
    if status != CaseStatus::Open {
        return Err("case.transition.not_open");
    }
    let cur = phases
        .iter()
        .position(|p| p == current)
        .ok_or("case.transition.unknown_phase")?;
    let tgt = phases
        .iter()
        .position(|p| p == target)
        .ok_or("case.transition.unknown_phase")?;
    if tgt == cur {
        return Err("case.transition.same_phase");
    }
    if tgt + 1 < cur {
        return Err("case.transition.backward_too_far");
    }
    Ok(())
}

/// The status changes a case allows.
pub fn check_status_change(
    from: CaseStatus,
    event: CaseEventKind,
) -> Result<CaseStatus, &'static str> {
    use CaseEventKind as E;
    use CaseStatus as S;
    match (from, event) {
        (S::Open, E::Suspended) => Ok(S::Suspended),
        (S::Suspended, E::Resumed) => Ok(S::Open),
        (S::Open | S::Suspended, E::Closed) => Ok(S::Closed),
        (S::Closed, E::Reopened) => Ok(S::Open),
        _ => Err("case.status.not_allowed"),
    }
}

/// A closing date must fall between the opening and today.
pub fn check_exit_date(
    opened_on: NaiveDate,
    exit_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), &'static str> {
    if exit_on < opened_on {
        return Err("validation.case.exit_before_open");
    }
    if exit_on > today {
        return Err("validation.date.future");
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PhaseMove {
    pub to_phase: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wf() -> Vec<String> {
        DEFAULT_PHASES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn forward_any_backward_one() {
        let w = wf();
        assert_eq!(
            check_phase_move(&w, "detection", "preselection", CaseStatus::Open),
            Ok(())
        );
        assert_eq!(
            check_phase_move(&w, "plan", "employment", CaseStatus::Open),
            Ok(())
        );
        assert_eq!(
            check_phase_move(&w, "plan", "diagnosis", CaseStatus::Open),
            Ok(())
        );
        assert_eq!(
            check_phase_move(&w, "plan", "selection", CaseStatus::Open),
            Err("case.transition.backward_too_far")
        );
        assert_eq!(
            check_phase_move(&w, "plan", "plan", CaseStatus::Open),
            Err("case.transition.same_phase")
        );
        assert_eq!(
            check_phase_move(&w, "plan", "nowhere", CaseStatus::Open),
            Err("case.transition.unknown_phase")
        );
    }

    #[test]
    fn no_moves_unless_open() {
        let w = wf();
        for s in [CaseStatus::Suspended, CaseStatus::Closed] {
            assert_eq!(
                check_phase_move(&w, "detection", "preselection", s),
                Err("case.transition.not_open")
            );
        }
    }

    #[test]
    fn status_machine() {
        use CaseEventKind as E;
        use CaseStatus as S;
        assert_eq!(check_status_change(S::Open, E::Suspended), Ok(S::Suspended));
        assert_eq!(check_status_change(S::Suspended, E::Resumed), Ok(S::Open));
        assert_eq!(check_status_change(S::Suspended, E::Closed), Ok(S::Closed));
        assert_eq!(check_status_change(S::Closed, E::Reopened), Ok(S::Open));
        assert_eq!(
            check_status_change(S::Open, E::Reopened),
            Err("case.status.not_allowed")
        );
        assert_eq!(
            check_status_change(S::Closed, E::Suspended),
            Err("case.status.not_allowed")
        );
    }

    #[test]
    fn workflows_and_reasons() {
        assert!(validate_workflow(&["a".into()]).is_err());
        assert_eq!(
            validate_workflow(&["intake".into(), "Intake".into()]),
            Err("validation.phase.repeated")
        );
        assert_eq!(validate_workflow(&wf()).unwrap().len(), 8);
        assert_eq!(reason("   "), Err("validation.required"));
        assert_eq!(reason(" ok "), Ok("ok".into()));
    }

    #[test]
    fn exit_dates() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_exit_date(d("2026-01-01"), d("2025-12-31"), d("2026-11-23")).is_err());
        assert!(check_exit_date(d("2026-01-01"), d("2026-11-24"), d("2026-11-23")).is_err());
        assert!(check_exit_date(d("2026-01-01"), d("2026-11-23"), d("2026-11-23")).is_ok());
    }
}
