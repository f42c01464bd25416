//! Incidents of a training or a placement. Reporting one tells the case manager and the
//! case's reference social workers at once — a notice and a work-list item, in the
//! same transaction as the incident — who answer it with the person; the first
//! response is timed. One left unanswered past its programme's limit (3 days by
//! default) reaches the work list of the coordinators of the case's team.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::case::TeamRole;
use itinera_domain::incident::{
    check_incident, check_response, IncidentInput, IncidentResponseInput, Reporter,
};
use itinera_domain::Error;
use itinera_store::access::{self, Reach};
use itinera_store::incidents::{self as store, NewIncident};
use itinera_store::{cases, participants, placements, training};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{in_team, load_case, require_team_writer};
use crate::{Ctx, Services};

/// The kind of notice a new incident sends.
pub const NOTICE_NEW: &str = "incident_new";
/// The kind of notice a coordinator gets of an incident unanswered past its limit.
pub const NOTICE_OVERDUE: &str = "incident_overdue";

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Incident {
    pub id: Uuid,
    pub case_id: Uuid,
    pub contract_id: Option<Uuid>,
    pub kind: String,
    pub severity: String,
    pub occurred_on: NaiveDate,
    /// Who saw it: trainer, workplace tutor, counsellor, social worker.
    pub reporter: String,
    pub description: String,
    pub reported_by_name: String,
    pub reported_by_organisation_name: String,
    pub reported_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// Hours from the report to the first response.
    pub response_hours: Option<i64>,
    pub responded_by_name: Option<String>,
    pub actions_agreed: Option<String>,
    pub resolution: Option<String>,
    pub resolved_on: Option<NaiveDate>,
    pub version: i32,
}

impl From<store::Incident> for Incident {
    fn from(r: store::Incident) -> Self {
        Incident {
            response_hours: r.first_response_at.map(|f| (f - r.reported_at).num_hours()),
            id: r.id,
            case_id: r.case_id,
            contract_id: r.contract_id,
            kind: r.kind,
            severity: r.severity,
            occurred_on: r.occurred_on,
            reporter: r.reporter,
            description: r.description,
            reported_by_name: r.reported_by_name,
            reported_by_organisation_name: r.reported_by_organisation_name,
            reported_at: r.reported_at,
            first_response_at: r.first_response_at,
            responded_by_name: r.responded_by_name,
            actions_agreed: r.actions_agreed,
            resolution: r.resolution,
            resolved_on: r.resolved_on,
            version: r.version,
        }
    }
}

/// A contract of the case an incident may be attached to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractOption {
    pub id: Uuid,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentsView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    pub incidents: Vec<Incident>,
    pub contracts: Vec<ContractOption>,
    /// The actor may report and answer incidents (a writer on the case's team).
    pub can_write: bool,
    /// The programme's limit for a first response, in days.
    pub response_days: i64,
}

/// An incident as the one who reported it sees it later: what they wrote, whether it
/// was answered and when — not the answer, which may speak of the person's situation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportedIncident {
    pub id: Uuid,
    pub kind: String,
    pub severity: String,
    pub occurred_on: NaiveDate,
    pub description: String,
    pub reported_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_on: Option<NaiveDate>,
    /// Absent once the reporter's organisation may no longer see the person (and then
    /// the description is empty and `about` absent: what became of the report stays).
    pub participant_name: Option<String>,
    /// The course's title or the contract's position.
    pub about: Option<String>,
}

impl From<store::Reported> for ReportedIncident {
    fn from(r: store::Reported) -> Self {
        ReportedIncident {
            id: r.id,
            kind: r.kind,
            severity: r.severity,
            occurred_on: r.occurred_on,
            description: r.description,
            reported_at: r.reported_at,
            first_response_at: r.first_response_at,
            resolved_on: r.resolved_on,
            participant_name: r.participant_name,
            about: r.about,
        }
    }
}

impl Services {
    /// The incidents the actor reported (audited read: they name people). A trainer and
    /// a workplace tutor see here what became of what they reported.
    pub async fn reported_incidents(
        &self,
        actor: &Actor,
        ctx: &Ctx,
    ) -> Result<Vec<ReportedIncident>, Error> {
        let reach = if actor.can(Capability::ReadPersonData) {
            Reach::Team
        } else if actor.can(Capability::TakeAttendance) || actor.can(Capability::TutorPlacements) {
            Reach::Scoped
        } else {
            return Err(Error::Forbidden);
        };
        let mut tx = self.store.audited_read().await?;
        let rows = store::reported_by(
            &mut tx,
            actor.user_id,
            reach,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::IncidentReportedRead,
            Some(actor.user_id),
            // Whose data was read: the incidents that name their person.
            json!({"count": rows.len(),
                   "named": rows.iter().filter(|r| r.participant_name.is_some()).count(),
                   "incidents": rows.iter().filter(|r| r.participant_name.is_some()).map(|r| r.id).collect::<Vec<_>>()}),
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A trainer reports an incident of a person on a course they train: the same
    /// incident, notices and audit entry as `report_incident`, in one transaction.
    pub async fn report_course_incident(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        candidate_id: Uuid,
        input: &IncidentInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::TakeAttendance)?;
        let mut tx = self.store.write().await?;
        let cand = training::candidate(&mut tx, candidate_id)
            .await?
            .ok_or(Error::NotFound)?;
        let course = training::course(&mut tx, cand.course_id)
            .await?
            .ok_or(Error::NotFound)?;
        let trains = crate::training::trains(&mut tx, actor, ctx, &course).await?;
        if !trains || !crate::training::in_group(&cand.status) {
            return Err(Error::NotFound);
        }
        let case = cases::get(&mut tx, cand.case_id)
            .await?
            .ok_or(Error::NotFound)?;
        let today = ctx.today();
        if !access::consented(
            &mut tx,
            case.participant_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            today,
        )
        .await?
        {
            return Err(Error::NotFound);
        }
        let input = IncidentInput {
            reporter: Reporter::Trainer.code().into(),
            contract_id: String::new(),
            ..input.clone()
        };
        self.insert_incident(tx, actor, ctx, &case, &input, Some(candidate_id))
            .await
    }

    /// A workplace tutor reports an incident of a placement they tutor, while it runs.
    pub async fn report_placement_incident(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        contract_id: Uuid,
        input: &IncidentInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::TutorPlacements)?;
        let mut tx = self.store.write().await?;
        let k = placements::tutored_one(
            &mut tx,
            contract_id,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        if k.ended_on.is_some() {
            return Err(Error::Rule("contract.ended"));
        }
        let case = cases::get(&mut tx, k.case_id)
            .await?
            .ok_or(Error::NotFound)?;
        let input = IncidentInput {
            reporter: Reporter::WorkplaceTutor.code().into(),
            contract_id: contract_id.to_string(),
            ..input.clone()
        };
        self.insert_incident(tx, actor, ctx, &case, &input, None)
            .await
    }

    /// The incident, the notices and the audit entry, committed together.
    async fn insert_incident(
        &self,
        mut tx: itinera_store::Tx,
        actor: &Actor,
        ctx: &Ctx,
        case: &cases::Case,
        input: &IncidentInput,
        candidate_id: Option<Uuid>,
    ) -> Result<Uuid, Error> {
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let data = check_incident(input, case.opened_on, ctx.today())?;
        let id = ctx.new_id();
        store::insert(
            &mut tx,
            &NewIncident {
                id,
                case_id: case.id,
                home_organisation_id: case.home_organisation_id,
                data: &data,
                reported_by: actor.user_id,
                reported_by_organisation_id: actor.organisation_id,
                candidate_id,
                now: ctx.now,
            },
        )
        .await?;
        let told = tell_team(&mut tx, case, actor.user_id, id, self.mail_on(), ctx).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::IncidentCreate,
            Some(id),
            json!({"case": case.id, "kind": data.kind.code(), "severity": data.severity.code(),
                   "reporter": data.reporter.code(), "contract": data.contract_id, "candidate": candidate_id,
                   "notified": told.iter().map(|t| t.0).collect::<Vec<_>>()}),
        )
        .await?;
        self.wake_mail();
        Ok(id)
    }

    /// A case's incidents (audited read).
    pub async fn incidents(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<IncidentsView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = store::of_case(&mut tx, case_id).await?;
        let contracts = placements::contracts_of_case(&mut tx, case_id).await?;
        let team = cases::team(&mut tx, case_id).await?;
        let response_days = store::response_days(&mut tx, case.programme_id).await?;
        let can_write = actor.can(Capability::WritePersonData)
            && case.status != "closed"
            && in_team(&team, actor);
        finish(
            tx,
            actor,
            ctx,
            Action::IncidentRead,
            Some(case_id),
            json!({"count": rows.len()}),
        )
        .await?;
        Ok(IncidentsView {
            case: case.into(),
            participant_name: p.data.full_name(),
            incidents: rows.into_iter().map(Into::into).collect(),
            contracts: contracts
                .into_iter()
                .map(|k| ContractOption {
                    id: k.id,
                    label: format!(
                        "{} · {} · {}",
                        k.employer_name, k.position_title, k.start_on
                    ),
                })
                .collect(),
            can_write,
            response_days: i64::from(response_days),
        })
    }

    /// Reports an incident: the incident, the notices to the case manager and the
    /// reference social workers, and the audit entry, in one transaction.
    pub async fn report_incident(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &IncidentInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let data = check_incident(input, case.opened_on, ctx.today())?;
        if let Some(k) = data.contract_id {
            let on_case = placements::contract(&mut tx, k)
                .await?
                .is_some_and(|k| k.case_id == case_id);
            if !on_case {
                return Err(Error::field("contract_id", "validation.choice"));
            }
        }
        self.insert_incident(tx, actor, ctx, &case, input, None)
            .await
    }

    /// Answers an incident: the actions agreed (the first response is timed) and,
    /// with a resolution, its closing.
    pub async fn respond_incident(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        incident_id: Uuid,
        input: &IncidentResponseInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let i = store::get(&mut tx, incident_id)
            .await?
            .ok_or(Error::NotFound)?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, i.case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        // As the incident's page offers no answer on a closed case: the work on it is
        // over (reopening the case reopens it).
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        if i.resolved_on.is_some() {
            return Err(Error::Conflict("incident.already_resolved"));
        }
        let r = check_response(input, i.occurred_on, ctx.today())?;
        let version = itinera_domain::input::version_or(&input.version, i.version)
            .map_err(|c| Error::field("version", c))?;
        if !store::respond(&mut tx, incident_id, version, &r, actor.user_id, ctx.now).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        let first = i.first_response_at.is_none();
        finish(
            tx,
            actor,
            ctx,
            Action::IncidentRespond,
            Some(incident_id),
            json!({"case": i.case_id, "first_response": first,
                   "response_hours": first.then(|| (ctx.now - i.reported_at).num_hours()),
                   "resolved": r.resolution.is_some()}),
        )
        .await
    }
}

/// Tells the case manager and the case's reference social workers (all but `reporter`)
/// of a new incident, inside the caller's transaction; returns who was told.
pub(crate) async fn tell_team(
    tx: &mut itinera_store::Tx,
    case: &itinera_store::cases::Case,
    reporter: Uuid,
    incident: Uuid,
    mail: bool,
    ctx: &Ctx,
) -> Result<Vec<(Uuid, Uuid)>, Error> {
    let team = cases::team(tx, case.id).await?;
    let mut told: Vec<(Uuid, Uuid)> = Vec::new();
    for m in &team {
        let concerned = m.user_id == case.case_manager_id
            || TeamRole::parse(&m.role)
                .is_some_and(|r| matches!(r, TeamRole::CaseManager | TeamRole::SocialReference));
        if concerned && m.user_id != reporter && !told.contains(&(m.user_id, m.organisation_id)) {
            told.push((m.user_id, m.organisation_id));
        }
    }
    if case.case_manager_id != reporter && !told.iter().any(|t| t.0 == case.case_manager_id) {
        told.push((case.case_manager_id, case.opened_by_organisation_id));
    }
    let link = format!("/cases/{}/incidents#incident-{incident}", case.id);
    for (user, org) in &told {
        store::notify(tx, *user, *org, NOTICE_NEW, incident, case.id, ctx.now).await?;
        crate::mail::enqueue(tx, mail, *user, NOTICE_NEW, &link, ctx).await?;
    }
    Ok(told)
}
