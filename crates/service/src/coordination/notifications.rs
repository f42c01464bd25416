//! What an agreement's owner is told: when it is assigned and, once, when it is found
//! overdue.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::Error;
use itinera_store::coordination::{self as store};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub kind: String,
    pub agreement_id: Uuid,
    pub agreement_text: String,
    pub meeting_id: Uuid,
    pub body_name: String,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::coordination::Notification> for Notification {
    fn from(r: itinera_store::coordination::Notification) -> Self {
        Notification {
            id: r.id,
            kind: r.kind,
            agreement_id: r.agreement_id,
            agreement_text: r.agreement_text,
            meeting_id: r.meeting_id,
            body_name: r.body_name,
            due_on: r.due_on,
            created_at: r.created_at,
        }
    }
}

impl Services {
    /// The actor's unread notices.
    pub async fn notifications(&self, actor: &Actor) -> Result<Vec<Notification>, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let n = store::unread_notifications(&mut tx, actor.user(), actor.organisation()).await?;
        tx.commit().await?;
        Ok(n.into_iter().map(Into::into).collect())
    }

    /// Marks the actor's notices read.
    pub async fn read_notifications(&self, actor: &Actor, ctx: &Ctx) -> Result<u64, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let n =
            store::mark_notifications_read(&mut tx, actor.user(), actor.organisation(), ctx.now)
                .await?;
        tx.commit().await?;
        Ok(n)
    }
}
