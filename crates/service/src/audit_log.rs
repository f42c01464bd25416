//! The auditor's view: the log, filtered, and the chain's verification.

use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::input::parse_date;
use itinera_domain::{Error, Errors, Page, PageRequest};
use itinera_store::audit::{self, Filter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Caller, Ctx, Services};

/// The auditor's filter: actor (user name), action, entity, entity id, dates, page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

// ---- What leaves the server -------------------------------------------------------

/// An entry of the audit log, for auditors: who did what to which record, when, from
/// where, with the hashes that chain it to the entries before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub request_id: String,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<itinera_store::audit::Entry> for AuditEntry {
    fn from(r: itinera_store::audit::Entry) -> Self {
        AuditEntry {
            seq: r.seq,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_organisation_id: r.actor_organisation_id,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            request_id: r.request_id,
            client_addr: r.client_addr,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub entries: i64,
    pub intact: bool,
    /// The first entry whose hash or link does not hold.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

impl From<itinera_store::audit::Verification> for Verification {
    fn from(r: itinera_store::audit::Verification) -> Self {
        Verification {
            entries: r.entries,
            intact: r.intact,
            broken_at: r.broken_at,
            problem: r.problem,
        }
    }
}

impl Services {
    pub async fn audit_log(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        q: &AuditQuery,
    ) -> Result<Page<AuditEntry>, Error> {
        actor.require(Capability::ReadAudit)?;
        let mut e = Errors::new();
        let mut f = Filter::default();
        let mut tx = self.store.audited_read().await?;
        if !q.actor.trim().is_empty() {
            match itinera_store::admin::user_by_username(&mut tx, q.actor.trim()).await? {
                Some(u) => f.actor_user_id = Some(u.id),
                None => e.add("actor", "validation.audit.unknown_user"),
            }
        }
        f.action = itinera_domain::text::clean(&q.action);
        f.entity = itinera_domain::text::clean(&q.entity);
        if !q.entity_id.trim().is_empty() {
            f.entity_id = e.take(
                "entity_id",
                Uuid::parse_str(q.entity_id.trim()).map_err(|_| "validation.uuid"),
            );
        }
        if !q.from.trim().is_empty() {
            f.from = e.take("from", parse_date(&q.from));
        }
        if !q.to.trim().is_empty() {
            f.to = e.take("to", parse_date(&q.to));
        }
        e.finish()?;
        let page = audit::list(
            &mut tx,
            &f,
            PageRequest::new(q.page.trim().parse().ok(), Some(50)),
        )
        .await?;
        finish(tx, actor, ctx, Action::AuditRead, None, json!({})).await?;
        Ok(page.map(Into::into))
    }

    pub async fn verify_audit(&self, actor: Caller<'_>) -> Result<Verification, Error> {
        actor.require(Capability::ReadAudit)?;
        audit::verify(&self.store).await.map(Into::into)
    }
}
