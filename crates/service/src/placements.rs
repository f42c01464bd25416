//! Placements: a case's employment contracts, the follow-up while a contract runs
//! (monthly, in the work list), and the retention checks at 3, 6 and 12 months after
//! the start, recorded as facts (still employed with the same employer, with another,
//! or not) for the programme's retention figures and the ESF+ six-month result.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::placement::{
    check_contract, check_end, check_retention, follow_up_due, retention_due, ContractEndInput,
    ContractInput, RetentionInput, RetentionOutcome, TutorInput, FOLLOW_UP_DAYS,
};
use itinera_domain::Error;
use itinera_store::placements::{self as store, NewContract};
use itinera_store::{participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{in_team, load_case, require_team_writer};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// A contract type (names are translated from `contract_type.<code>`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractType {
    pub code: String,
    /// ISO 3166 country the type belongs to (`ES`, `IT`).
    pub country: String,
    pub open_ended: bool,
    /// A training contract (alternance, apprenticeship, internship).
    pub training: bool,
}

impl From<store::ContractType> for ContractType {
    fn from(r: store::ContractType) -> Self {
        ContractType {
            code: r.code,
            country: r.country,
            open_ended: r.open_ended,
            training: r.training,
        }
    }
}

/// An organisation that hires.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Employer {
    pub id: Uuid,
    pub name: String,
    /// `employer` or `insertion_company`.
    pub kind: String,
}

/// Someone who works for an employer and may be named workplace tutor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TutorOption {
    pub id: Uuid,
    pub name: String,
    pub employer_id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetentionCheck {
    pub id: Uuid,
    /// 3, 6 or 12 months after the start.
    pub months: i16,
    pub due_on: NaiveDate,
    pub checked_on: Option<NaiveDate>,
    /// `same_employer`, `other_employer` or `not_employed`, once checked.
    pub outcome: Option<String>,
    /// Whether the person was employed, once checked.
    pub employed: Option<bool>,
    pub note: Option<String>,
    pub checked_by_name: Option<String>,
    /// Due and not recorded.
    pub overdue: bool,
}

impl RetentionCheck {
    fn from_row(r: store::RetentionCheck, today: NaiveDate) -> Self {
        let outcome = r.outcome.as_deref().and_then(RetentionOutcome::parse);
        RetentionCheck {
            id: r.id,
            months: r.months,
            due_on: r.due_on,
            overdue: r.checked_on.is_none() && r.due_on < today,
            checked_on: r.checked_on,
            employed: outcome.map(RetentionOutcome::employed),
            outcome: r.outcome,
            note: r.note,
            checked_by_name: r.checked_by_name,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub id: Uuid,
    pub employer_id: Uuid,
    pub employer_name: String,
    pub employer_kind: String,
    pub workplace: Option<String>,
    /// ISCO-08 occupation code.
    pub isco_code: String,
    pub position_title: String,
    pub contract_type: String,
    pub insertion: bool,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub tutor_id: Option<Uuid>,
    pub tutor_name: Option<String>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    /// Started, and neither ended nor past its planned end.
    pub running: bool,
    /// While it runs: when the next follow-up contact is due.
    pub follow_up_due: Option<NaiveDate>,
    pub retention: Vec<RetentionCheck>,
}

/// A case's placements as a reader on its team may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractsView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    pub contracts: Vec<Contract>,
    pub can_record: bool,
    pub contract_types: Vec<ContractType>,
    pub employers: Vec<Employer>,
    pub tutors: Vec<TutorOption>,
    pub today: NaiveDate,
}

fn running(c: &store::Contract, today: NaiveDate) -> bool {
    c.start_on <= today && c.ended_on.is_none() && c.planned_end_on.is_none_or(|e| e >= today)
}

/// A placement as its workplace tutor sees it: the person's name and the job — not the
/// case, the retention checks or anything else of the person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TutoredContract {
    pub id: Uuid,
    pub participant_name: String,
    pub employer_name: String,
    pub workplace: Option<String>,
    pub isco_code: String,
    pub position_title: String,
    pub contract_type: String,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
}

impl From<store::Tutored> for TutoredContract {
    fn from(r: store::Tutored) -> Self {
        TutoredContract {
            id: r.id,
            participant_name: r.participant_name,
            employer_name: r.employer_name,
            workplace: r.workplace,
            isco_code: r.isco_code,
            position_title: r.position_title,
            contract_type: r.contract_type,
            hours_per_week: r.hours_per_week,
            start_on: r.start_on,
            planned_end_on: r.planned_end_on,
            ended_on: r.ended_on,
        }
    }
}

/// The notice that a retention check falls due (within the work list's horizon).
pub const NOTICE_RETENTION: &str = "retention_due";
/// The notice that a placement's monthly follow-up contact is due.
pub const NOTICE_FOLLOW_UP: &str = "follow_up_due";

/// A contract not yet ended that the actor, a writer on its case's team, may change.
async fn running_contract(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    contract_id: Uuid,
) -> Result<store::Contract, Error> {
    let k = store::contract(tx, contract_id)
        .await?
        .ok_or(Error::NotFound)?;
    let case = load_case(tx, actor, ctx, Capability::ReadPersonData, k.case_id).await?;
    require_team_writer(tx, actor, &case).await?;
    if k.ended_on.is_some() {
        return Err(Error::Conflict("contract.already_ended"));
    }
    Ok(k)
}

impl Services {
    /// Tells, once, those who follow a placement — whoever registered the contract and
    /// the case's employment references — that a retention check falls due within the
    /// work list's horizon, or that the monthly follow-up contact is due (once per due
    /// date); and the senders of referrals unanswered past their limit, with their
    /// organisation's coordinators (`referrals::overdue_notices`). Run by the background
    /// task (`background::run`); the notices name no person. Returns how many were told.
    pub async fn notify_due(&self, ctx: &Ctx) -> Result<usize, Error> {
        let today = ctx.today();
        let until = today + chrono::Duration::days(crate::worklist::HORIZON_DAYS);
        let cutoff = until - chrono::Duration::days(FOLLOW_UP_DAYS);
        let mut tx = self.store.write().await?;
        let mut told = 0;
        for n in store::retention_notices_due(&mut tx, NOTICE_RETENTION, until, 5000).await? {
            if store::notify_due(
                &mut tx,
                n.user_id,
                n.organisation_id,
                NOTICE_RETENTION,
                Some(n.item_id),
                None,
                n.case_id,
                n.due_on,
                ctx.now,
            )
            .await?
            {
                told += 1;
            }
        }
        for n in
            store::follow_up_notices_due(&mut tx, NOTICE_FOLLOW_UP, today, cutoff, 5000).await?
        {
            let due = n.due_on + chrono::Duration::days(FOLLOW_UP_DAYS);
            if n.told_due.is_some_and(|t| t >= due) {
                continue;
            }
            if store::notify_due(
                &mut tx,
                n.user_id,
                n.organisation_id,
                NOTICE_FOLLOW_UP,
                None,
                Some(n.item_id),
                n.case_id,
                due,
                ctx.now,
            )
            .await?
            {
                told += 1;
            }
        }
        told += crate::referrals::overdue_notices(&mut tx, ctx).await?;
        tx.commit().await?;
        Ok(told)
    }

    /// The placements the actor tutors (a workplace tutor; audited read).
    pub async fn tutored_contracts(
        &self,
        actor: &Actor,
        ctx: &Ctx,
    ) -> Result<Vec<TutoredContract>, Error> {
        actor.require(Capability::TutorPlacements)?;
        let mut tx = self.store.audited_read().await?;
        let rows = store::tutored(
            &mut tx,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::TutoredRead,
            Some(actor.user_id),
            json!({"contracts": rows.iter().map(|r| r.id).collect::<Vec<_>>()}),
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One placement the actor tutors (for the incident form).
    pub async fn tutored_contract(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<TutoredContract, Error> {
        actor.require_person(Capability::TutorPlacements)?;
        let mut tx = self.store.audited_read().await?;
        let row = store::tutored_one(
            &mut tx,
            id,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        finish(
            tx,
            actor,
            ctx,
            Action::TutoredRead,
            Some(actor.user_id),
            json!({"contracts": [row.id]}),
        )
        .await?;
        Ok(row.into())
    }

    /// A case's contracts with their retention checks (audited read).
    pub async fn contracts(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<ContractsView, Error> {
        let today = ctx.today();
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = store::contracts_of_case(&mut tx, case_id).await?;
        let mut checks = store::retention_of_case(&mut tx, case_id).await?;
        let last_contact =
            store::last_contact(&mut tx, case_id, actor.user_id, actor.organisation_id).await?;
        let team = itinera_store::cases::team(&mut tx, case_id).await?;
        let can_record = actor.can(Capability::WritePersonData)
            && case.status != "closed"
            && in_team(&team, actor);
        let (types, employers, tutors) = if can_record {
            (
                store::contract_types(&mut tx).await?,
                store::employers(&mut tx).await?,
                store::employer_staff(&mut tx).await?,
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        finish(
            tx,
            actor,
            ctx,
            Action::ContractRead,
            Some(case_id),
            json!({"count": rows.len()}),
        )
        .await?;
        let contracts = rows
            .into_iter()
            .map(|r| {
                let mine: Vec<_> = checks
                    .iter()
                    .filter(|k| k.contract_id == r.id)
                    .cloned()
                    .map(|k| RetentionCheck::from_row(k, today))
                    .collect();
                checks.retain(|k| k.contract_id != r.id);
                let is_running = running(&r, today);
                Contract {
                    follow_up_due: is_running.then(|| follow_up_due(r.start_on, last_contact)),
                    running: is_running,
                    id: r.id,
                    employer_id: r.employer_id,
                    employer_name: r.employer_name,
                    employer_kind: r.employer_kind,
                    workplace: r.workplace,
                    isco_code: r.isco_code,
                    position_title: r.position_title,
                    contract_type: r.contract_type,
                    insertion: r.insertion,
                    hours_per_week: r.hours_per_week,
                    start_on: r.start_on,
                    planned_end_on: r.planned_end_on,
                    ended_on: r.ended_on,
                    end_reason: r.end_reason,
                    tutor_id: r.tutor_id,
                    tutor_name: r.tutor_name,
                    created_by_name: r.created_by_name,
                    created_at: r.created_at,
                    version: r.version,
                    retention: mine,
                }
            })
            .collect();
        Ok(ContractsView {
            case: case.into(),
            participant_name: p.data.full_name(),
            contracts,
            can_record,
            contract_types: types.into_iter().map(Into::into).collect(),
            employers: employers
                .into_iter()
                .map(|e| Employer {
                    id: e.id,
                    name: e.name,
                    kind: e.kind,
                })
                .collect(),
            tutors: tutors
                .into_iter()
                .map(|t| TutorOption {
                    id: t.id,
                    name: t.name,
                    employer_id: t.organisation_id,
                })
                .collect(),
            today,
        })
    }

    /// The contract types in use.
    pub async fn contract_types(&self, actor: &Actor) -> Result<Vec<ContractType>, Error> {
        actor.require(Capability::ReadPersonData)?;
        let mut tx = self.store.read().await?;
        let t = store::contract_types(&mut tx).await?;
        tx.rollback().await?;
        Ok(t.into_iter().map(Into::into).collect())
    }

    /// Registers a contract on a case and schedules its retention checks, in one
    /// transaction with its audit entry.
    pub async fn record_contract(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &ContractInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let data = check_contract(input, case.opened_on)?;
        let employers = store::employers(&mut tx).await?;
        if !employers.iter().any(|e| e.id == data.employer_id) {
            return Err(Error::field(
                "employer_id",
                "validation.contract.not_employer",
            ));
        }
        let types = store::contract_types(&mut tx).await?;
        if !types.iter().any(|t| t.code == data.contract_type) {
            return Err(Error::field("contract_type", "validation.choice"));
        }
        if let Some(tutor) = data.tutor_id {
            if !store::works_for(&mut tx, tutor, data.employer_id).await? {
                return Err(Error::field(
                    "tutor_id",
                    "validation.contract.tutor_other_employer",
                ));
            }
        }
        let id = ctx.new_id();
        store::insert_contract(
            &mut tx,
            &NewContract {
                id,
                case_id,
                home_organisation_id: case.home_organisation_id,
                data: &data,
                created_by: actor.user_id,
                created_by_organisation_id: actor.organisation_id,
                now: ctx.now,
            },
        )
        .await?;
        let due: Vec<_> = retention_due(data.start_on)
            .into_iter()
            .map(|(m, on)| (ctx.new_id(), m, on))
            .collect();
        store::schedule_retention(&mut tx, id, case_id, case.home_organisation_id, &due).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ContractCreate,
            Some(id),
            json!({"case": case_id, "employer": data.employer_id, "type": data.contract_type,
                   "start_on": data.start_on, "retention_checks": due.len()}),
        )
        .await?;
        Ok(id)
    }

    /// Records the end of a contract.
    pub async fn end_contract(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        contract_id: Uuid,
        input: &ContractEndInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let k = running_contract(&mut tx, actor, ctx, contract_id).await?;
        let (ended_on, reason) = check_end(input, k.start_on, ctx.today())?;
        let version = itinera_domain::input::version_or(&input.version, k.version)
            .map_err(|c| Error::field("version", c))?;
        if !store::end_contract(&mut tx, contract_id, version, ended_on, reason).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ContractEnd,
            Some(contract_id),
            json!({"case": k.case_id, "ended_on": ended_on, "reason": reason.code()}),
        )
        .await
    }

    /// Names another workplace tutor of a running contract, or none (the tutor left, or
    /// is away): an active workplace tutor of the contract's employer. The former tutor's
    /// reach ends at once; the new one's starts.
    pub async fn change_contract_tutor(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        contract_id: Uuid,
        input: &TutorInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let k = running_contract(&mut tx, actor, ctx, contract_id).await?;
        let tutor = itinera_domain::input::optional_id(&input.tutor_id)
            .map_err(|c| Error::field("tutor_id", c))?;
        if let Some(t) = tutor {
            if !store::works_for(&mut tx, t, k.employer_id).await? {
                return Err(Error::field(
                    "tutor_id",
                    "validation.contract.tutor_other_employer",
                ));
            }
        }
        let version = itinera_domain::input::version_or(&input.version, k.version)
            .map_err(|c| Error::field("version", c))?;
        if !store::set_tutor(&mut tx, contract_id, version, tutor).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ContractTutor,
            Some(contract_id),
            json!({"case": k.case_id, "from": k.tutor_id, "to": tutor}),
        )
        .await
    }

    /// Records a retention check (once).
    pub async fn record_retention(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        check_id: Uuid,
        input: &RetentionInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let r = store::retention_check(&mut tx, check_id)
            .await?
            .ok_or(Error::NotFound)?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, r.case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        let k = store::contract(&mut tx, r.contract_id)
            .await?
            .ok_or(Error::NotFound)?;
        if r.checked_on.is_some() {
            return Err(Error::Conflict("retention.already_recorded"));
        }
        let data = check_retention(input, k.start_on, r.due_on, ctx.today())?;
        if !store::record_retention(&mut tx, check_id, &data, actor.user_id, ctx.now).await? {
            return Err(Error::Conflict("retention.already_recorded"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::RetentionRecord,
            Some(check_id),
            json!({"case": r.case_id, "contract": r.contract_id, "months": r.months,
                   "outcome": data.outcome.code(), "checked_on": data.checked_on}),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_runs_from_its_start_to_its_end() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut c = store::Contract {
            id: Uuid::nil(),
            case_id: Uuid::nil(),
            employer_id: Uuid::nil(),
            employer_name: String::new(),
            employer_kind: String::new(),
            workplace: None,
            isco_code: "9".into(),
            position_title: "x".into(),
            contract_type: "es_indefinido".into(),
            insertion: false,
            hours_per_week: 40.0,
            start_on: d("2026-02-01"),
            planned_end_on: Some(d("2026-06-30")),
            ended_on: None,
            end_reason: None,
            tutor_id: None,
            tutor_name: None,
            created_by_name: String::new(),
            created_at: DateTime::<Utc>::MIN_UTC,
            version: 1,
        };
        assert!(!running(&c, d("2026-01-31")));
        assert!(running(&c, d("2026-06-30")));
        assert!(!running(&c, d("2026-07-01")));
        c.ended_on = Some(d("2026-03-01"));
        assert!(!running(&c, d("2026-03-02")));
    }
}
