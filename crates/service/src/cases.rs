//! Cases: open, read, move through the programme's phases, suspend, close, reopen; the
//! case team and the case manager.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::case::{
    check_exit_date, check_phase_move, check_status_change, reason, CaseEventKind, CaseStatus,
    ExitReason, TeamRole,
};
use itinera_domain::input::{lenient_i32, lenient_string, parse_date};
use itinera_domain::{Error, Errors};
use itinera_store::cases::{CaseChange, NewCase, NewEvent, NewMember};
use itinera_store::{admin, cases, participants, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::load_case;
use crate::guard::require_basis;
use crate::{Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OpenCaseInput {
    pub programme_id: String,
    pub project_id: String,
    /// `USER_ID@ORGANISATION_ID`: the professional and the organisation they act for.
    pub case_manager: String,
    #[serde(deserialize_with = "lenient_string")]
    pub opened_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct MemberInput {
    /// `USER_ID@ORGANISATION_ID`.
    pub professional: String,
    pub role: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatusInput {
    /// suspend, resume, close or reopen.
    pub action: String,
    pub reason: String,
    pub exit_reason: String,
    #[serde(deserialize_with = "lenient_string")]
    pub exit_on: String,
    #[serde(deserialize_with = "lenient_i32")]
    pub version: i32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PhaseInput {
    pub to_phase: String,
    pub reason: String,
    #[serde(deserialize_with = "lenient_i32")]
    pub version: i32,
}

// ---- What leaves the server -------------------------------------------------------

/// A case: its participant, programme, phase, status and case manager.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub opened_by_organisation_id: Uuid,
    pub opened_by_organisation_name: String,
    pub case_manager_id: Uuid,
    pub case_manager_name: String,
    pub phase: String,
    pub status: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<itinera_store::cases::Case> for Case {
    fn from(r: itinera_store::cases::Case) -> Self {
        Case {
            id: r.id,
            participant_id: r.participant_id,
            home_organisation_id: r.home_organisation_id,
            programme_id: r.programme_id,
            programme_code: r.programme_code,
            programme_name: r.programme_name,
            project_id: r.project_id,
            project_name: r.project_name,
            opened_by_organisation_id: r.opened_by_organisation_id,
            opened_by_organisation_name: r.opened_by_organisation_name,
            case_manager_id: r.case_manager_id,
            case_manager_name: r.case_manager_name,
            phase: r.phase,
            status: r.status,
            opened_on: r.opened_on,
            closed_on: r.closed_on,
            exit_reason: r.exit_reason,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamMember {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

impl From<itinera_store::cases::TeamMember> for TeamMember {
    fn from(r: itinera_store::cases::TeamMember) -> Self {
        TeamMember {
            id: r.id,
            user_id: r.user_id,
            user_name: r.user_name,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            organisation_kind: r.organisation_kind,
            role: r.role,
            added_at: r.added_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseEvent {
    pub id: Uuid,
    pub kind: String,
    pub from_phase: Option<String>,
    pub to_phase: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub actor_name: String,
    pub actor_organisation_name: String,
    pub at: DateTime<Utc>,
}

impl From<itinera_store::cases::Event> for CaseEvent {
    fn from(r: itinera_store::cases::Event) -> Self {
        CaseEvent {
            id: r.id,
            kind: r.kind,
            from_phase: r.from_phase,
            to_phase: r.to_phase,
            from_status: r.from_status,
            to_status: r.to_status,
            reason: r.reason,
            actor_name: r.actor_name,
            actor_organisation_name: r.actor_organisation_name,
            at: r.at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub case: Case,
    pub participant_name: String,
    pub phases: Vec<crate::admin::Phase>,
    /// The phases this case may move to now.
    pub next_phases: Vec<String>,
    pub team: Vec<TeamMember>,
    pub timeline: Vec<CaseEvent>,
    /// The phase the "move" form proposes: the one after the current, in the
    /// programme's order (when the case may move there).
    pub proposed_phase: Option<String>,
    /// What is next on the case, at a glance.
    pub next: CaseNext,
    /// Contacts (those the reader may read), assessments and signatures, oldest first.
    pub activity: Vec<CaseActivity>,
}

/// What is next on a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseNext {
    /// The open itinerary action due first.
    pub action: Option<NextAction>,
    pub review_on: Option<NaiveDate>,
    pub review_overdue: bool,
    pub last_contact_on: Option<NaiveDate>,
    /// `none` (no itinerary yet), `draft` (never signed), `signed` (its last version
    /// is the one in force) or `changed` (changed since it was last signed).
    pub signature: String,
    pub signed_version: Option<i32>,
    pub signed_on: Option<NaiveDate>,
    pub open_incidents: i64,
    pub open_agreements: i64,
    /// Whether a sharing consent of the person is in force today.
    pub consent_in_force: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextAction {
    pub description: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub responsible_name: String,
    pub organisation_name: String,
}

/// One entry of a case's activity: `contact` (detail: its kind), `assessment` (the
/// profile) or `signature` (the version number; who: the signatories).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseActivity {
    pub kind: String,
    pub on: NaiveDate,
    pub detail: String,
    pub who: String,
}

fn parse_professional(raw: &str, field: &str) -> Result<(Uuid, Uuid), Error> {
    itinera_domain::input::parse_professional(raw).map_err(|code| Error::field(field, code))
}

/// The user must hold a professional role in that organisation.
async fn check_professional(tx: &mut Tx, user: Uuid, org: Uuid, field: &str) -> Result<(), Error> {
    let ok = admin::memberships(tx, user).await?.iter().any(|m| {
        m.organisation_id == org
            && Role::parse(&m.role).is_some_and(|r| r.grants(Capability::ReadPersonData))
    });
    if ok {
        Ok(())
    } else {
        Err(Error::field(field, "validation.case.not_a_professional"))
    }
}

/// What an event changed, for the case's timeline.
#[derive(Default)]
struct Change<'a> {
    from_phase: Option<&'a str>,
    to_phase: Option<&'a str>,
    from_status: Option<&'a str>,
    to_status: Option<&'a str>,
    reason: Option<&'a str>,
}

/// Adds an event to a case's timeline, by the actor, now.
async fn timeline(
    tx: &mut Tx,
    case_id: Uuid,
    home_organisation_id: Uuid,
    actor: &Actor,
    ctx: &Ctx,
    kind: CaseEventKind,
    ch: Change<'_>,
) -> Result<(), Error> {
    cases::add_event(
        tx,
        &NewEvent {
            case_id,
            home_organisation_id,
            kind: kind.code(),
            from_phase: ch.from_phase,
            to_phase: ch.to_phase,
            from_status: ch.from_status,
            to_status: ch.to_status,
            reason: ch.reason,
            actor_id: actor.user_id,
            actor_organisation_id: actor.organisation_id,
            at: ctx.now,
        },
    )
    .await
}

/// Puts a professional on a case's team (unless already there in that role), with the
/// timeline's event, inside the caller's transaction: a referral's acceptance.
pub(crate) async fn join_team(
    tx: &mut Tx,
    case: &itinera_store::cases::Case,
    actor: &Actor,
    ctx: &Ctx,
    user: Uuid,
    org: Uuid,
    role: TeamRole,
) -> Result<(), Error> {
    check_professional(tx, user, org, "assignee_id").await?;
    let already = cases::team(tx, case.id)
        .await?
        .iter()
        .any(|m| m.user_id == user && m.organisation_id == org && m.role == role.code());
    if already {
        return Ok(());
    }
    let member = cases::add_member(
        tx,
        &NewMember {
            case_id: case.id,
            home_organisation_id: case.home_organisation_id,
            user_id: user,
            organisation_id: org,
            role: role.code(),
            now: ctx.now,
        },
    )
    .await?;
    let joined = cases::team(tx, case.id)
        .await?
        .into_iter()
        .find(|m| m.id == member)
        .map(|m| format!("{} · {}", m.user_name, m.organisation_name));
    timeline(
        tx,
        case.id,
        case.home_organisation_id,
        actor,
        ctx,
        CaseEventKind::TeamMemberAdded,
        Change {
            reason: joined.as_deref(),
            ..Change::default()
        },
    )
    .await
}

impl Services {
    pub async fn open_case(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        pid: Uuid,
        input: &OpenCaseInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        require_basis(&mut tx, actor, ctx, Capability::ReadPersonData, pid).await?;
        actor.require(Capability::ManageCases)?;
        crate::guard::require_not_anonymised(&mut tx, pid).await?;
        let mut e = Errors::new();
        let programme = match Uuid::parse_str(input.programme_id.trim()) {
            Ok(id) => admin::programme(&mut tx, id).await?,
            Err(_) => None,
        };
        if programme.is_none() {
            e.add(
                "programme_id",
                if input.programme_id.trim().is_empty() {
                    "validation.required"
                } else {
                    "validation.choice"
                },
            );
        }
        let mut project_id = None;
        if !input.project_id.trim().is_empty() {
            match (Uuid::parse_str(input.project_id.trim()), &programme) {
                (Ok(pj), Some(p))
                    if admin::projects(&mut tx, p.id)
                        .await?
                        .iter()
                        .any(|x| x.id == pj) =>
                {
                    project_id = Some(pj)
                }
                _ => e.add("project_id", "validation.choice"),
            }
        }
        let manager = match parse_professional(&input.case_manager, "case_manager") {
            Ok((u, o)) => match check_professional(&mut tx, u, o, "case_manager").await {
                Ok(()) => Some((u, o)),
                Err(Error::Invalid(f)) => {
                    f.into_iter().for_each(|f| e.add(f.field, f.code));
                    None
                }
                Err(other) => return Err(other),
            },
            Err(Error::Invalid(f)) => {
                f.into_iter().for_each(|f| e.add(f.field, f.code));
                None
            }
            Err(other) => return Err(other),
        };
        let opened_on = if input.opened_on.trim().is_empty() {
            Some(ctx.today())
        } else {
            e.take(
                "opened_on",
                parse_date(&input.opened_on).and_then(|d| {
                    if d > ctx.today() {
                        Err("validation.date.future")
                    } else {
                        Ok(d)
                    }
                }),
            )
        };
        e.finish()?;
        let (Some(programme), Some((manager, manager_org)), Some(opened_on)) =
            (programme, manager, opened_on)
        else {
            return Err(Error::Internal("validation state".into()));
        };
        if !programme.active {
            return Err(Error::field(
                "programme_id",
                "validation.programme.inactive",
            ));
        }
        let phases = admin::phases(&mut tx, programme.id).await?;
        let first = phases
            .first()
            .ok_or(Error::Rule("programme.no_phases"))?
            .code
            .clone();
        let p = participants::get(&mut tx, pid)
            .await?
            .ok_or(Error::NotFound)?;
        let id = ctx.new_id();
        cases::insert(
            &mut tx,
            &NewCase {
                id,
                participant_id: pid,
                home_organisation_id: p.home_organisation_id,
                programme_id: programme.id,
                project_id,
                opened_by_organisation_id: actor.organisation_id,
                case_manager_id: manager,
                phase: first.clone(),
                opened_on,
                now: ctx.now,
            },
        )
        .await?;
        // The ESF facts at entry: the person as recorded today (`domain::esf`).
        itinera_store::esf::snapshot_entry(&mut tx, id).await?;
        cases::add_member(
            &mut tx,
            &NewMember {
                case_id: id,
                home_organisation_id: p.home_organisation_id,
                user_id: manager,
                organisation_id: manager_org,
                role: TeamRole::CaseManager.code(),
                now: ctx.now,
            },
        )
        .await?;
        timeline(
            &mut tx,
            id,
            p.home_organisation_id,
            actor,
            ctx,
            CaseEventKind::Opened,
            Change {
                to_phase: Some(&first),
                to_status: Some(CaseStatus::Open.code()),
                ..Change::default()
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CaseCreate,
            Some(id),
            json!({"participant": pid, "programme": programme.id}),
        )
        .await?;
        Ok(id)
    }

    pub async fn case(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<CaseView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let phases = admin::phases(&mut tx, case.programme_id).await?;
        let codes: Vec<String> = phases.iter().map(|p| p.code.clone()).collect();
        let status = CaseStatus::parse(&case.status).unwrap_or(CaseStatus::Closed);
        let next_phases = codes
            .iter()
            .filter(|t| check_phase_move(&codes, &case.phase, t, status).is_ok())
            .cloned()
            .collect();
        let next_phases: Vec<String> = next_phases;
        let proposed_phase = codes
            .iter()
            .position(|c| *c == case.phase)
            .and_then(|i| codes.get(i + 1))
            .filter(|c| next_phases.contains(c))
            .cloned();
        let team = cases::team(&mut tx, id).await?;
        let timeline = cases::events(&mut tx, id).await?;
        let today = ctx.today();
        let mut activity: Vec<CaseActivity> =
            cases::activity(&mut tx, id, actor.user_id, actor.organisation_id)
                .await?
                .into_iter()
                .map(|a| CaseActivity {
                    kind: a.kind,
                    on: a.on_day,
                    detail: a.detail,
                    who: a.who,
                })
                .collect();
        activity.sort_by_key(|a| a.on);
        let itinerary = itinera_store::itineraries::for_case(&mut tx, id).await?;
        let (action, signature, signed_version, signed_on, review_on) = match &itinerary {
            None => (None, "none", None, None, None),
            Some(i) => {
                let actions = itinera_store::itineraries::actions(&mut tx, i.id).await?;
                let action = actions
                    .into_iter()
                    .filter(|a| matches!(a.status.as_str(), "planned" | "in_progress"))
                    .min_by_key(|a| a.due_on)
                    .map(|a| NextAction {
                        overdue: a.due_on < today,
                        description: a.description,
                        due_on: a.due_on,
                        responsible_name: a.responsible_name,
                        organisation_name: a.organisation_name,
                    });
                let versions = itinera_store::itineraries::versions(&mut tx, i.id).await?;
                let last = versions.last();
                let signature = match last {
                    None => "draft",
                    Some(v) if i.updated_at > v.recorded_at => "changed",
                    Some(_) => "signed",
                };
                (
                    action,
                    signature,
                    last.map(|v| v.number),
                    last.map(|v| v.signed_on),
                    i.review_on,
                )
            }
        };
        let (open_incidents, open_agreements) = cases::open_counts(&mut tx, id).await?;
        let consent_in_force = itinera_store::consents::list(&mut tx, case.participant_id)
            .await?
            .iter()
            .any(|k| {
                k.purpose == "sharing"
                    && k.given_on <= today
                    && k.withdrawn_on.is_none_or(|w| w > today)
                    && k.expires_on.is_none_or(|e| e >= today)
            });
        let next = CaseNext {
            action,
            review_overdue: review_on.is_some_and(|r| r < today),
            review_on,
            last_contact_on: activity
                .iter()
                .filter(|a| a.kind == "contact")
                .map(|a| a.on)
                .max(),
            signature: signature.into(),
            signed_version,
            signed_on,
            open_incidents,
            open_agreements,
            consent_in_force,
        };
        finish(tx, actor, ctx, Action::CaseRead, Some(id), json!({})).await?;
        Ok(CaseView {
            case: case.into(),
            participant_name: p.data.full_name(),
            phases: phases.into_iter().map(Into::into).collect(),
            next_phases,
            team: team.into_iter().map(Into::into).collect(),
            timeline: timeline.into_iter().map(Into::into).collect(),
            proposed_phase,
            next,
            activity,
        })
    }

    pub async fn move_case_phase(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &PhaseInput,
    ) -> Result<i32, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        crate::guard::require_case_runner(&mut tx, actor, &case).await?;
        let why = reason(&input.reason).map_err(|c| Error::field("reason", c))?;
        let phases: Vec<String> = admin::phases(&mut tx, case.programme_id)
            .await?
            .into_iter()
            .map(|p| p.code)
            .collect();
        let status =
            CaseStatus::parse(&case.status).ok_or_else(|| Error::Internal("case status".into()))?;
        check_phase_move(&phases, &case.phase, input.to_phase.trim(), status).map_err(|code| {
            match code {
                "case.transition.not_open" => Error::Rule(code),
                _ => Error::field("to_phase", code),
            }
        })?;
        let to = input.to_phase.trim();
        let v = cases::update(
            &mut tx,
            id,
            input.version,
            &CaseChange {
                phase: to,
                status: &case.status,
                closed_on: case.closed_on,
                exit_reason: case.exit_reason.as_deref(),
                case_manager_id: case.case_manager_id,
            },
            ctx.now,
        )
        .await?;
        timeline(
            &mut tx,
            id,
            case.home_organisation_id,
            actor,
            ctx,
            CaseEventKind::PhaseChanged,
            Change {
                from_phase: Some(&case.phase),
                to_phase: Some(to),
                reason: Some(&why),
                ..Change::default()
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CasePhase,
            Some(id),
            json!({"from": case.phase, "to": to}),
        )
        .await?;
        Ok(v)
    }
}

/// Moves an open case forward to phase `to` inside the caller's transaction, when its
/// programme has that phase and the case is at an earlier one (a course's selection or
/// enrolment moves it; nothing moves a case back). Returns whether it moved.
pub(crate) async fn advance_phase_in(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    case: &itinera_store::cases::Case,
    to: &str,
    why: &str,
) -> Result<bool, Error> {
    if case.status != "open" {
        return Ok(false);
    }
    let phases: Vec<String> = admin::phases(tx, case.programme_id)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let here = phases.iter().position(|p| *p == case.phase);
    let there = phases.iter().position(|p| p == to);
    let (Some(here), Some(there)) = (here, there) else {
        return Ok(false);
    };
    if there <= here {
        return Ok(false);
    }
    cases::update(
        tx,
        case.id,
        case.version,
        &CaseChange {
            phase: to,
            status: &case.status,
            closed_on: case.closed_on,
            exit_reason: case.exit_reason.as_deref(),
            case_manager_id: case.case_manager_id,
        },
        ctx.now,
    )
    .await?;
    timeline(
        tx,
        case.id,
        case.home_organisation_id,
        actor,
        ctx,
        CaseEventKind::PhaseChanged,
        Change {
            from_phase: Some(&case.phase),
            to_phase: Some(to),
            reason: Some(why),
            ..Change::default()
        },
    )
    .await?;
    audit(
        tx,
        actor,
        ctx,
        Action::CasePhase,
        Some(case.id),
        json!({"from": case.phase, "to": to}),
    )
    .await?;
    Ok(true)
}

impl Services {
    pub async fn change_case_status(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &StatusInput,
    ) -> Result<i32, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        crate::guard::require_case_runner(&mut tx, actor, &case).await?;
        let kind = match input.action.as_str() {
            "suspend" => CaseEventKind::Suspended,
            "resume" => CaseEventKind::Resumed,
            "close" => CaseEventKind::Closed,
            "reopen" => CaseEventKind::Reopened,
            _ => return Err(Error::field("action", "validation.choice")),
        };
        let from =
            CaseStatus::parse(&case.status).ok_or_else(|| Error::Internal("case status".into()))?;
        let to = check_status_change(from, kind).map_err(Error::Rule)?;
        let mut e = Errors::new();
        let why = e.take("reason", reason(&input.reason));
        let (mut closed_on, mut exit_reason) = (case.closed_on, case.exit_reason.clone());
        if kind == CaseEventKind::Closed {
            let er = e.take(
                "exit_reason",
                ExitReason::parse(input.exit_reason.trim()).ok_or(
                    if input.exit_reason.trim().is_empty() {
                        "validation.required"
                    } else {
                        "validation.choice"
                    },
                ),
            );
            let on = if input.exit_on.trim().is_empty() {
                Some(ctx.today())
            } else {
                e.take(
                    "exit_on",
                    parse_date(&input.exit_on)
                        .and_then(|d| check_exit_date(case.opened_on, d, ctx.today()).map(|_| d)),
                )
            };
            closed_on = on;
            exit_reason = er.map(|r| r.code().to_string());
        } else if kind == CaseEventKind::Reopened {
            closed_on = None;
            exit_reason = None;
        }
        e.finish()?;
        let why = why.unwrap_or_default();
        let v = cases::update(
            &mut tx,
            id,
            input.version,
            &CaseChange {
                phase: &case.phase,
                status: to.code(),
                closed_on,
                exit_reason: exit_reason.as_deref(),
                case_manager_id: case.case_manager_id,
            },
            ctx.now,
        )
        .await?;
        // The ESF facts upon leaving (or none, once open again).
        itinera_store::esf::sync_exit(&mut tx, id).await?;
        timeline(
            &mut tx,
            id,
            case.home_organisation_id,
            actor,
            ctx,
            kind,
            Change {
                from_status: Some(from.code()),
                to_status: Some(to.code()),
                reason: Some(&why),
                ..Change::default()
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CaseStatus,
            Some(id),
            json!({"from": from.code(), "to": to.code(), "exit_reason": exit_reason}),
        )
        .await?;
        Ok(v)
    }

    pub async fn add_case_member(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &MemberInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        crate::guard::require_case_runner(&mut tx, actor, &case).await?;
        // The team of a closed case stays as it was: joining it would open the person's
        // record to a new organisation with no work to do.
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let mut e = Errors::new();
        let role = e.take(
            "role",
            TeamRole::parse(input.role.trim()).ok_or("validation.choice"),
        );
        let who = match parse_professional(&input.professional, "professional") {
            Ok(x) => Some(x),
            Err(Error::Invalid(f)) => {
                f.into_iter().for_each(|f| e.add(f.field, f.code));
                None
            }
            Err(o) => return Err(o),
        };
        e.finish()?;
        let (Some(role), Some((user, org))) = (role, who) else {
            return Err(Error::Internal("validation state".into()));
        };
        check_professional(&mut tx, user, org, "professional").await?;
        let member = cases::add_member(
            &mut tx,
            &NewMember {
                case_id: id,
                home_organisation_id: case.home_organisation_id,
                user_id: user,
                organisation_id: org,
                role: role.code(),
                now: ctx.now,
            },
        )
        .await?;
        // The timeline names who joined, as the team list shows them.
        let joined = cases::team(&mut tx, id)
            .await?
            .into_iter()
            .find(|m| m.id == member)
            .map(|m| format!("{} · {}", m.user_name, m.organisation_name));
        timeline(
            &mut tx,
            id,
            case.home_organisation_id,
            actor,
            ctx,
            CaseEventKind::TeamMemberAdded,
            Change {
                reason: joined.as_deref(),
                ..Change::default()
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CaseTeamAdd,
            Some(id),
            json!({"user": user, "organisation": org, "role": role.code()}),
        )
        .await?;
        Ok(member)
    }

    pub async fn remove_case_member(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        member: Uuid,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        crate::guard::require_case_runner(&mut tx, actor, &case).await?;
        // The team of a closed case stays as it was: joining it would open the person's
        // record to a new organisation with no work to do.
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let team = cases::team(&mut tx, id).await?;
        let m = team
            .iter()
            .find(|m| m.id == member)
            .ok_or(Error::NotFound)?;
        if m.user_id == case.case_manager_id && m.role == TeamRole::CaseManager.code() {
            return Err(Error::Rule("case.team.cannot_remove_manager"));
        }
        cases::remove_member(&mut tx, id, member, ctx.now).await?;
        let left = format!("{} · {}", m.user_name, m.organisation_name);
        timeline(
            &mut tx,
            id,
            case.home_organisation_id,
            actor,
            ctx,
            CaseEventKind::TeamMemberRemoved,
            Change {
                reason: Some(&left),
                ..Change::default()
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CaseTeamRemove,
            Some(id),
            json!({"member": member}),
        )
        .await
    }
}
