//! What programme managers see: counts and pseudonymised lists, never names, and no
//! count of 1 to the threshold − 1 people (`domain::disclosure`): the counts by status
//! and phase are published as one line whose total is all the cases, and the
//! pseudonymised list holds only the cases of the status and phase groups shown, with
//! nothing else that would single a person out (no sex, age, territory or dates: those
//! are in the ESF table and the dashboard, suppressed there too).

use itinera_domain::access::{Actor, Capability};
use itinera_domain::disclosure;
use itinera_domain::ids::BodyId;
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
    pub phase: String,
    pub status: String,
}

/// Counts of a programme's cases by status and phase, for aggregates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseCount {
    pub status: String,
    pub phase: String,
    /// Absent when too small to be shown (or when it would give a small one away).
    pub count: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeOverview {
    pub counts: Vec<PhaseCount>,
    /// All the cases; absent when too small to be shown.
    pub total: Option<i64>,
    /// Counts below this are not shown.
    pub threshold: u32,
    /// The cases of the groups shown, pseudonymised.
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

    /// A pseudonym that holds within one list only (`scope`): its lines cannot be
    /// joined with those of another list that names the same person.
    pub fn pseudonym_in(&self, scope: Uuid, participant: Uuid) -> String {
        let mut h = Sha256::new();
        h.update(self.settings.pseudonym_key.expose());
        h.update(scope.as_bytes());
        h.update(participant.as_bytes());
        format!("R-{}", &hex::encode(h.finalize())[..10])
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
        let o = self.overview_in(&mut tx, programme, None, page).await?;
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
        let o = self.overview_in(&mut tx, programme, project, page).await?;
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
        programme: Uuid,
        project: Option<Uuid>,
        page: PageRequest,
    ) -> Result<ProgrammeOverview, Error> {
        let raw = cases::counts_by_phase(tx, programme, project).await?;
        let k = self.settings.small_counts;
        // One suppression with the dashboard's funnel, which publishes the same cases
        // not closed by phase (see `disclosure::suppress_phases`).
        let table: Vec<(String, String, u64)> = raw
            .iter()
            .map(|c| (c.phase.clone(), c.status.clone(), c.count.max(0) as u64))
            .collect();
        let shown = disclosure::suppress_phases(&table, k);
        let counts: Vec<PhaseCount> = raw
            .into_iter()
            .zip(shown.cells)
            .map(|(c, s)| PhaseCount {
                status: c.status,
                phase: c.phase,
                count: s.map(|v| v as i64),
            })
            .collect();
        let groups: Vec<(String, String)> = counts
            .iter()
            .filter(|c| c.count.is_some_and(|n| n > 0))
            .map(|c| (c.status.clone(), c.phase.clone()))
            .collect();
        let list = cases::pseudonymous_list(tx, programme, project, &groups, page).await?;
        Ok(ProgrammeOverview {
            counts,
            total: shown.total.map(|v| v as i64),
            threshold: k,
            cases: list.map(|c| PseudonymousLine {
                pseudonym: self.pseudonym(c.participant_id),
                phase: c.phase,
                status: c.status,
            }),
        })
    }
}
