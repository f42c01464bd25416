//! The auditor's view: the log, filtered, and the chain's verification.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::input::parse_date;
use itinera_domain::{Error, Errors, Page, PageRequest};
use itinera_store::audit::{self, Entry, Filter, Verification};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Caller, Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

impl Services {
    pub async fn audit_log(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        q: &AuditQuery,
    ) -> Result<Page<Entry>, Error> {
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
        Ok(page)
    }

    pub async fn verify_audit(&self, actor: Caller<'_>) -> Result<Verification, Error> {
        actor.require(Capability::ReadAudit)?;
        audit::verify(&self.store).await
    }
}
