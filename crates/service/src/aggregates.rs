//! What programme managers see: counts and pseudonymised lists, never names.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::participant::age_on;
use itinera_domain::{Error, Page, PageRequest};
use itinera_store::cases::{self, PhaseCount};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{audit, Ctx, Services};

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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
        h.update(&self.settings.pseudonym_key);
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
        let counts = cases::counts_by_phase(&mut tx, programme).await?;
        let list = cases::pseudonymous_list(&mut tx, programme, page).await?;
        audit(
            &mut tx,
            Some(actor),
            ctx,
            "programme.overview",
            "programme",
            Some(programme),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        let total = counts.iter().map(|c| c.count).sum();
        let today = ctx.today();
        Ok(ProgrammeOverview {
            counts,
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
