//! What an agreement's owner is told: when it is assigned and, once, when it is found
//! overdue.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::Error;
use itinera_store::coordination::{self as store};

use crate::{Ctx, Services};

impl Services {
    /// The actor's unread notices.
    pub async fn notifications(&self, actor: &Actor) -> Result<Vec<store::Notification>, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let n = store::unread_notifications(&mut tx, actor.user_id, actor.organisation_id).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Marks the actor's notices read.
    pub async fn read_notifications(&self, actor: &Actor, ctx: &Ctx) -> Result<u64, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let n =
            store::mark_notifications_read(&mut tx, actor.user_id, actor.organisation_id, ctx.now)
                .await?;
        tx.commit().await?;
        Ok(n)
    }
}
