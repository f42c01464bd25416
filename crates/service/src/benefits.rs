//! Benefits and in-kind support of a person (`domain::benefit`): recorded and changed
//! by a writer on the team of one of the person's cases, read by whoever may read the
//! person (the access rule), shown on the case beside the itinerary. Those in force
//! that end within 30 days, or whose conditions are due for review, are in the work
//! list of the professionals on the person's open cases (`worklist`).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::benefit::{ending_soon, in_force, BenefitInput, BenefitStatus};
use itinera_domain::Error;
use itinera_store::benefits::{self as store, NewBenefit};
use itinera_store::{cases, participants};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{in_team, load_case, require_basis};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenefitView {
    pub id: Uuid,
    pub participant_id: Uuid,
    /// A code of the benefit types (its name is in the translation files).
    pub benefit_type: String,
    /// Support in kind (food, goods) rather than money.
    pub in_kind: bool,
    pub granting_body: String,
    /// In cents of euro; absent for in-kind support.
    pub amount_cents: Option<i64>,
    /// `month`, `year` or `one_off`.
    pub period: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    /// `requested`, `granted`, `suspended`, `denied` or `ended`.
    pub status: String,
    pub conditions: Option<String>,
    pub review_on: Option<NaiveDate>,
    /// Granted and running today.
    pub in_force: bool,
    /// In force and ending within 30 days.
    pub ending_soon: bool,
    /// Its conditions' review is due (today or earlier).
    pub review_due: bool,
    pub recorded_by_name: String,
    pub recorded_by_organisation_name: String,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

pub(crate) fn view(b: store::Benefit, today: NaiveDate) -> BenefitView {
    let status = BenefitStatus::parse(&b.status).unwrap_or(BenefitStatus::Ended);
    BenefitView {
        in_force: in_force(status, b.start_on, b.end_on, today),
        ending_soon: ending_soon(status, b.end_on, today),
        review_due: status == BenefitStatus::Granted && b.review_on.is_some_and(|r| r <= today),
        id: b.id,
        participant_id: b.participant_id,
        benefit_type: b.benefit_type,
        in_kind: b.in_kind,
        granting_body: b.granting_body,
        amount_cents: b.amount_cents,
        period: b.period,
        start_on: b.start_on,
        end_on: b.end_on,
        status: b.status,
        conditions: b.conditions,
        review_on: b.review_on,
        recorded_by_name: b.recorded_by_name,
        recorded_by_organisation_name: b.recorded_by_organisation_name,
        updated_at: b.updated_at,
        version: b.version,
    }
}

/// The person's benefits requested, granted or suspended (not denied or ended).
pub(crate) async fn current(
    tx: &mut itinera_store::Tx,
    pid: Uuid,
    today: NaiveDate,
) -> Result<Vec<BenefitView>, Error> {
    Ok(store::of_participant(tx, pid)
        .await?
        .into_iter()
        .filter(|b| !matches!(b.status.as_str(), "denied" | "ended"))
        .map(|b| view(b, today))
        .collect())
}

/// A type of benefit the form offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenefitTypeOption {
    pub code: String,
    pub country: String,
    pub in_kind: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenefitsView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    pub benefits: Vec<BenefitView>,
    /// The reader may record and change benefits (a writer on the case's team).
    pub can_write: bool,
    pub types: Vec<BenefitTypeOption>,
}

/// One benefit with what its form needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenefitEdit {
    pub benefit: BenefitView,
    pub participant_name: String,
    pub types: Vec<BenefitTypeOption>,
    /// The reader may change it (a writer on the team of one of the person's open
    /// cases).
    pub can_write: bool,
}

async fn type_options(tx: &mut itinera_store::Tx) -> Result<Vec<BenefitTypeOption>, Error> {
    Ok(store::types(tx)
        .await?
        .into_iter()
        .map(|t| BenefitTypeOption {
            code: t.code,
            country: t.country,
            in_kind: t.in_kind,
        })
        .collect())
}

/// Whether the actor writes on the team of one of the person's open cases.
async fn writes_for(tx: &mut itinera_store::Tx, actor: &Actor, pid: Uuid) -> Result<bool, Error> {
    if !actor.can(Capability::WritePersonData) {
        return Ok(false);
    }
    for c in cases::for_participant(tx, pid).await? {
        if c.status != "closed" && in_team(&cases::team(tx, c.id).await?, actor) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Services {
    /// The benefits of a case's person (audited read).
    pub async fn case_benefits(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<BenefitsView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = store::of_participant(&mut tx, case.participant_id).await?;
        let can_write = writes_for(&mut tx, actor, case.participant_id).await?;
        let types = type_options(&mut tx).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BenefitRead,
            Some(case.participant_id),
            json!({"case": case_id, "count": rows.len()}),
        )
        .await?;
        let today = ctx.today();
        Ok(BenefitsView {
            case: case.into(),
            participant_name: p.data.full_name(),
            benefits: rows.into_iter().map(|b| view(b, today)).collect(),
            can_write,
            types,
        })
    }

    /// Records a benefit of the case's person: a writer on the team of one of their
    /// open cases.
    pub async fn add_benefit(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &BenefitInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        actor.require(Capability::WritePersonData)?;
        if !writes_for(&mut tx, actor, case.participant_id).await? {
            return Err(Error::Rule("case.team.required"));
        }
        let types = store::types(&mut tx).await?;
        let data = input.validate(|t| types.iter().any(|x| x.code == t))?;
        let id = ctx.new_id();
        store::insert(
            &mut tx,
            &NewBenefit {
                id,
                participant_id: case.participant_id,
                home_organisation_id: case.home_organisation_id,
                data: &data,
                by: actor.user_id,
                by_organisation: actor.organisation_id,
                now: ctx.now,
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BenefitCreate,
            Some(id),
            json!({"participant": case.participant_id, "case": case_id,
                   "type": data.benefit_type, "status": data.status.code()}),
        )
        .await?;
        Ok(id)
    }

    /// One benefit, for its form (audited read).
    pub async fn benefit(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<BenefitEdit, Error> {
        let mut tx = self.store.audited_read().await?;
        let b = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        require_basis(
            &mut tx,
            actor,
            ctx,
            Capability::ReadPersonData,
            b.participant_id,
        )
        .await?;
        let p = participants::get(&mut tx, b.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let types = type_options(&mut tx).await?;
        let can_write = writes_for(&mut tx, actor, b.participant_id).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BenefitRead,
            Some(b.participant_id),
            json!({"benefit": id}),
        )
        .await?;
        Ok(BenefitEdit {
            benefit: view(b, ctx.today()),
            participant_name: p.data.full_name(),
            types,
            can_write,
        })
    }

    /// Changes a benefit (its status, dates, amount, conditions) at the version read.
    pub async fn update_benefit(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &BenefitInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let b = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        require_basis(
            &mut tx,
            actor,
            ctx,
            Capability::ReadPersonData,
            b.participant_id,
        )
        .await?;
        actor.require(Capability::WritePersonData)?;
        if !writes_for(&mut tx, actor, b.participant_id).await? {
            return Err(Error::Rule("case.team.required"));
        }
        let types = store::types(&mut tx).await?;
        let data = input.validate(|t| types.iter().any(|x| x.code == t))?;
        let version = itinera_domain::input::version_or(&input.version, b.version)
            .map_err(|c| Error::field("version", c))?;
        if !store::update(&mut tx, id, version, &data, ctx.now).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::BenefitUpdate,
            Some(id),
            json!({"participant": b.participant_id, "from_status": b.status, "status": data.status.code()}),
        )
        .await
    }
}
