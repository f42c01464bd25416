//! Coordination bodies at three levels, their meetings and agreements. A body is seen
//! by its members only; at level 3 its agenda names cases, each shown to a member only
//! as far as the access rule lets that member see the person; levels 1 and 2 never put
//! a case on the agenda.
//!
//! `bodies` (convening, members, the body's page), `meetings` (agenda, attendance,
//! minutes, agreements), `calendar` (a member's meetings and the iCalendar feed),
//! `network` (network agreements between organisations), `notifications` (what an
//! agreement's owner is told) and `report` (a body's coordination report).

mod bodies;
mod calendar;
mod meetings;
mod network;
mod notifications;
mod report;

pub use bodies::{BodyView, MemberInput};
pub(crate) use meetings::agreement_in;
pub use meetings::{ItemView, MeetingView};
pub use network::{NetworkAgreementView, NetworkAgreements};
pub use report::BodyReport;

use chrono::NaiveDate;
use itinera_domain::access::Actor;
use itinera_domain::coordination::AgreementStatus;
use itinera_domain::Error;
use itinera_store::coordination::{self as store, Agreement, Body, Meeting};
use itinera_store::Tx;
use serde::Serialize;
use uuid::Uuid;

use crate::guard::visible_body;

#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    #[serde(flatten)]
    pub agreement: Agreement,
    pub overdue: bool,
}

pub(super) fn view(a: Agreement, today: NaiveDate) -> AgreementView {
    let status = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Open);
    AgreementView {
        overdue: itinera_domain::coordination::is_overdue(status, a.due_on, today),
        agreement: a,
    }
}

pub(super) async fn meeting_and_body(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
) -> Result<(Meeting, Body), Error> {
    let m = store::meeting(tx, id).await?.ok_or(Error::NotFound)?;
    let b = visible_body(tx, actor, m.body_id).await?;
    Ok((m, b))
}

pub(super) fn frozen(m: &Meeting) -> Result<(), Error> {
    if m.minutes_approved_at.is_some() {
        Err(Error::Conflict("coordination.minutes.frozen"))
    } else {
        Ok(())
    }
}
