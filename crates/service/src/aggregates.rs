//! What programme managers see: counts and pseudonymised lists, never names.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::ids::BodyId;
use itinera_domain::participant::age_on;
use itinera_domain::{Error, Page, PageRequest};
use itinera_store::cases;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PseudonymousLine {
    /// A stable pseudonym: the same person has the same one, and it cannot be reversed
    /// without the deployment's key.
    pub pseudonym: String,
    pub sex: String,
    pub age_band: &'static str,
    pub territory_name: Option<String>,
    pub phase: String,
    pub status: String,
    pub opened_on: chrono::NaiveDate,
}

/// Counts of a programme's cases by status and phase, for aggregates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseCount {
    pub status: String,
    pub phase: String,
    pub count: i64,
}

impl From<itinera_store::cases::PhaseCount> for PhaseCount {
    fn from(r: itinera_store::cases::PhaseCount) -> Self {
        PhaseCount {
            status: r.status,
            phase: r.phase,
            count: r.count,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeOverview {
    pub counts: Vec<PhaseCount>,
    pub total: i64,
    pub cases: Page<PseudonymousLine>,
}

/// ESF+ age bands.
pub fn age_band(age: i32) -> &'static str {
    match age {
        i32::MIN..=17 => "under_18",
        18..=29 => "18_29",
        30..=54 => "30_54",
        _ => "55_plus",
    }
}

impl Services {
    pub fn pseudonym(&self, participant: Uuid) -> String {
        let mut h = Sha256::new();
        h.update(self.settings.pseudonym_key.expose());
        h.update(participant.as_bytes());
        format!("P-{}", &hex::encode(h.finalize())[..10])
    }

    pub async fn programme_overview(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        page: PageRequest,
    ) -> Result<ProgrammeOverview, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.audited_read().await?;
        itinera_store::admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let o = self
            .overview_in(&mut tx, ctx, programme, None, page)
            .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProgrammeOverview,
            Some(programme),
            json!({}),
        )
        .await?;
        Ok(o)
    }

    /// What a programme-level (1) or project-level (2) body sees of its programme: the
    /// same aggregates and pseudonymised list as a programme manager, never a name.
    /// Membership of the body is the basis; a case table (3) has no such view.
    pub async fn body_overview(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        page: PageRequest,
    ) -> Result<(Uuid, ProgrammeOverview), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.audited_read().await?;
        let b = itinera_store::coordination::body(
            &mut tx,
            BodyId(body),
            actor.user(),
            actor.organisation(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        if b.level >= 3 {
            return Err(Error::NotFound);
        }
        // A project table (2) sees its project's cases; a programme table (1) its
        // programme's.
        let project = if b.level == 2 { b.project_id } else { None };
        let programme = match (b.programme_id, project) {
            (_, Some(p)) => itinera_store::coordination::project_programme(&mut tx, p).await?,
            (Some(g), None) => Some(g),
            (None, None) => None,
        }
        .ok_or(Error::Rule("coordination.overview_no_programme"))?;
        let o = self
            .overview_in(&mut tx, ctx, programme, project, page)
            .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BodyOverview,
            Some(body),
            json!({"programme": programme}),
        )
        .await?;
        Ok((programme, o))
    }

    async fn overview_in(
        &self,
        tx: &mut itinera_store::Tx,
        ctx: &Ctx,
        programme: Uuid,
        project: Option<Uuid>,
        page: PageRequest,
    ) -> Result<ProgrammeOverview, Error> {
        let counts = cases::counts_by_phase(tx, programme, project).await?;
        let list = cases::pseudonymous_list(tx, programme, project, page).await?;
        let total = counts.iter().map(|c| c.count).sum();
        let today = ctx.today();
        Ok(ProgrammeOverview {
            counts: counts.into_iter().map(Into::into).collect(),
            total,
            cases: list.map(|c| PseudonymousLine {
                pseudonym: self.pseudonym(c.participant_id),
                sex: c.sex,
                age_band: age_band(age_on(c.birth_date, today)),
                territory_name: c.territory_name,
                phase: c.phase,
                status: c.status,
                opened_on: c.opened_on,
            }),
        })
    }
}
