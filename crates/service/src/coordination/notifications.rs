//! The notification centre: what a professional is told. An agreement's owner, when it
//! is assigned and, once, when it is found overdue; a case's manager and reference
//! social worker, at once, of a new incident; the coordinators of a case's team, of an
//! incident left unanswered past its programme's limit; whoever follows a placement, of
//! a retention check or a follow-up contact falling due; the two sides of a referral, of
//! each of its steps. A notice names no person (the
//! list is not an audited read): it says what happened and links to where it did.

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
    pub agreement_id: Option<Uuid>,
    pub agreement_text: Option<String>,
    pub meeting_id: Option<Uuid>,
    pub body_name: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub incident_id: Option<Uuid>,
    pub incident_kind: Option<String>,
    pub case_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// A retention check that falls due (3, 6 or 12 months).
    pub retention_check_id: Option<Uuid>,
    pub retention_months: Option<i16>,
    /// The contract whose follow-up contact is due.
    pub contract_id: Option<Uuid>,
    /// When the retention check or the follow-up falls due.
    pub notice_due_on: Option<NaiveDate>,
    /// A referral received, answered, closed, cancelled or unanswered past its limit.
    pub referral_id: Option<Uuid>,
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
            incident_id: r.incident_id,
            incident_kind: r.incident_kind,
            case_id: r.case_id,
            created_at: r.created_at,
            retention_check_id: r.retention_check_id,
            retention_months: r.retention_months,
            contract_id: r.contract_id,
            notice_due_on: r.notice_due_on,
            referral_id: r.referral_id,
        }
    }
}

/// Notices are for professionals who work on cases or coordinate.
fn require_notified(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::Coordinate) {
        Ok(())
    } else {
        actor.require(Capability::ReadPersonData)
    }
}

impl Services {
    /// The actor's unread notices.
    pub async fn notifications(&self, actor: &Actor) -> Result<Vec<Notification>, Error> {
        require_notified(actor)?;
        let mut tx = self.store.read().await?;
        let n = store::unread_notifications(&mut tx, actor.user(), actor.organisation()).await?;
        tx.commit().await?;
        Ok(n.into_iter().map(Into::into).collect())
    }

    /// Marks the actor's notices read: all of them, or only those of `only` (what a
    /// page showed: a notice that arrived after it was drawn stays unread).
    pub async fn read_notifications(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        only: Option<&[Uuid]>,
    ) -> Result<u64, Error> {
        require_notified(actor)?;
        let mut tx = self.store.write().await?;
        let n = store::mark_notifications_read(
            &mut tx,
            actor.user(),
            actor.organisation(),
            ctx.now,
            only,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}
