//! A professional's caseload ("Mis casos"): their cases — or their organisation's — with
//! what is next on each (the soonest of the itinerary's review, its open actions and
//! the next step agreed at the last contact), days in the phase and the last contact,
//! filtered and sorted by what falls due first. A read of people's data: audited, and
//! every line passes the access rule in the query.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::input::optional_id;
use itinera_domain::Error;
use itinera_store::caseload::{self as store, Filter, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

/// The filters as typed (query parameters).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CaseloadParams {
    /// `mine` (default: the cases one is on the team of) or `organisation`.
    pub scope: String,
    pub programme_id: String,
    /// A phase code.
    pub phase: String,
    /// `open` (default), `closed` or `all`.
    pub status: String,
    /// Only the cases with something overdue.
    #[serde(deserialize_with = "itinera_domain::input::lenient_bool")]
    pub overdue: bool,
    /// Part of the person's name.
    pub q: String,
}

/// One case of the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseloadLine {
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub participant_name: String,
    pub programme_id: Uuid,
    pub programme_code: String,
    pub phase: String,
    pub status: String,
    pub case_manager_name: String,
    pub opened_on: NaiveDate,
    pub days_in_phase: i64,
    /// The soonest of what is due, and what it is: `review`, `action` or `next_step`.
    pub next_due_on: Option<NaiveDate>,
    pub next_due: Option<String>,
    pub overdue: bool,
    pub last_contact_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Caseload {
    pub scope: String,
    pub status: String,
    pub programme_id: Option<Uuid>,
    pub phase: String,
    pub overdue: bool,
    pub q: String,
    pub lines: Vec<CaseloadLine>,
    /// Whether more cases matched than a list shows (`store::caseload::MAX_LINES`).
    pub truncated: bool,
    /// What the filters offer: the programmes and phases of the cases in scope.
    pub programmes: Vec<(Uuid, String)>,
    pub phases: Vec<String>,
}

impl Services {
    pub async fn caseload(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        p: &CaseloadParams,
    ) -> Result<Caseload, Error> {
        actor.require(Capability::ReadPersonData)?;
        let scope = match p.scope.trim() {
            "" | "mine" => Scope::Mine,
            "organisation" => Scope::Organisation,
            _ => return Err(Error::field("scope", "validation.choice")),
        };
        let status = match p.status.trim() {
            "" | "open" => "open",
            "closed" => "closed",
            "all" => "all",
            _ => return Err(Error::field("status", "validation.choice")),
        };
        let programme =
            optional_id(&p.programme_id).map_err(|c| Error::field("programme_id", c))?;
        let today = ctx.today();
        let mut tx = self.store.audited_read().await?;
        let rows = store::lines(
            &mut tx,
            actor.user(),
            actor.organisation(),
            actor.organisation_kind.code(),
            today,
            &Filter {
                scope,
                programme,
                status,
                name: Some(itinera_domain::text::fold(&p.q)).filter(|q| !q.is_empty()),
                phase: Some(p.phase.trim().to_string()).filter(|x| !x.is_empty()),
                overdue: p.overdue,
            },
        )
        .await?;
        let truncated = rows.len() as i64 >= store::MAX_LINES;
        let mut programmes: Vec<(Uuid, String)> = Vec::new();
        let mut phases: Vec<String> = Vec::new();
        for (id, code, phase) in
            store::facets(&mut tx, actor.user(), actor.organisation(), scope, status).await?
        {
            if !programmes.iter().any(|x| x.0 == id) {
                programmes.push((id, code));
            }
            if !phases.contains(&phase) {
                phases.push(phase);
            }
        }
        let q = itinera_domain::text::fold(&p.q);
        let mut lines: Vec<CaseloadLine> = Vec::new();
        for r in rows {
            let due = [
                (r.review_on, "review"),
                (r.next_action_on, "action"),
                (r.next_step_on, "next_step"),
            ]
            .into_iter()
            .filter_map(|(d, w)| d.map(|d| (d, w)))
            .min();
            let since = r
                .phase_changed_at
                .map(|t| ctx.zone.local(t).date())
                .unwrap_or(r.opened_on);
            let line = CaseloadLine {
                case_id: r.case_id,
                participant_id: r.participant_id,
                participant_name: r.participant_name,
                programme_id: r.programme_id,
                programme_code: r.programme_code,
                phase: r.phase,
                status: r.status.clone(),
                case_manager_name: r.case_manager_name,
                opened_on: r.opened_on,
                days_in_phase: (today - since).num_days().max(0),
                next_due_on: due.map(|d| d.0),
                next_due: due.map(|d| d.1.to_string()),
                overdue: r.status != "closed" && due.is_some_and(|d| d.0 < today),
                last_contact_on: r.last_contact_on,
            };
            // The phase and overdue filters are the statement's (before its limit).
            let keep =
                q.is_empty() || itinera_domain::text::fold(&line.participant_name).contains(&q);
            if keep {
                lines.push(line);
            }
        }
        // What falls due first, then those with nothing due, by name.
        lines.sort_by(|a, b| {
            (a.next_due_on.is_none(), a.next_due_on, &a.participant_name).cmp(&(
                b.next_due_on.is_none(),
                b.next_due_on,
                &b.participant_name,
            ))
        });
        programmes.sort_by(|a, b| a.1.cmp(&b.1));
        phases.sort();
        finish(
            tx,
            actor,
            ctx,
            Action::CaseloadRead,
            Some(actor.user().0),
            json!({"cases": lines.len(), "scope": p.scope, "status": status,
                   "participants": lines.iter().map(|l| l.participant_id).collect::<Vec<_>>()}),
        )
        .await?;
        Ok(Caseload {
            scope: match scope {
                Scope::Mine => "mine",
                Scope::Organisation => "organisation",
            }
            .into(),
            status: status.into(),
            programme_id: programme,
            phase: p.phase.trim().to_string(),
            overdue: p.overdue,
            q: p.q.clone(),
            lines,
            truncated,
            programmes,
            phases,
        })
    }
}
