//! Coordination bodies at three levels, their meetings and agreements. A body is seen
//! by its members only; at level 3 its agenda names cases, each shown to a member only
//! as far as the access rule lets that member see the person; levels 1 and 2 never put
//! a case on the agenda.
//!
//! `bodies` (convening, members, the body's page), `meetings` (agenda, attendance,
//! minutes, agreements), `calendar` (a member's meetings and the iCalendar feed),
//! `network` (network agreements between organisations), `notifications` (what an
//! agreement's owner is told) and `report` (a body's coordination report).
//!
//!
//! A body (level 1 programme, 2 project, 3 cases) is seen by its members only: a
//! professional named as a member, or anyone of a member organisation
//! (`store::coordination::visible_body_sql`); anyone else gets a 404. Only a level-3 body
//! puts cases on an agenda, and only cases its author may see; a member who has no basis
//! for the person sees that a case is on the agenda, never who. A meeting invites every member unless it names fewer
//! (`meeting_invitees`); the calendar, its feed and the attendance are the invitees'.
//! A meeting's agenda starts
//! with the body's open agreements; approved minutes are frozen; an agreement's owner is a
//! member, its case one on the agenda, and it shows in its owner's work list until done or
//! dropped (with a reason). A body's page lists the dates its frequency plans, each convened or with a link
//! that starts the meeting's form on it. The calendar page shows a member's meetings by month; each
//! professional may have one secret, revocable iCalendar feed (`/calendar/feed/TOKEN.ics`,
//! only the token's hash is stored; `domain::calendar` writes RFC 5545) that names bodies,
//! times and places and never a participant. Network agreements (collaboration
//! agreements and protocols between organisations: parties, validity, document, the
//! programmes and bodies they serve — a body is named only to its members) are listed and searched by every coordination member and
//! recorded by those who convene bodies. The owner of an agreement gets a notice when it
//! is assigned and, once, when the work list finds it overdue.
//!
//! **What a body may see follows its level.** A level-1 (programme) or level-2 (project)
//! body never has a case on its agenda or an agreement about a case; its members see
//! their programme's counts per phase and pseudonymised list
//! (`Services::body_overview`, the same pseudonyms programme managers see) — membership
//! is the basis, no name, document or person id is ever in it. `tests/api/
//! coordination_report.rs` fetches every level-1 route (API, pages, CSV) as three kinds
//! of member and looks for every person the members could otherwise see.
//!
//! **Coordination report** (`domain::coordination_report::build`): for a period, the
//! meetings the frequency plans against those held (a meeting up to today with someone
//! present), attendance per organisation (present over recorded), agreements made and how
//! they stand (done on time or late, overdue, open, dropped), distinct cases on the
//! agendas and joint interviews in which the members' organisations took part. Only
//! joint interviews shared with the case team (visibility `team`) are counted: a contact
//! kept to a service or its author stays out of every count. Counts only, so any member
//! reads it; page with bar charts (a table first, the bars beside it), CSV and XLSX.
//!
//! **Improvement boards** (`boards`): a convener opens a board (question, columns, open
//! and close dates, votes per member); members post cards and vote while it is open
//! (`domain::boards::check_open`: a closed board refuses both). An anonymous card stores
//! no author at all — the audit log, which only auditors read, still says who wrote it.
//! Conveners group cards and turn a card (with its group) into an agreement at one of the
//! body's meetings (the same rules as the meeting's form, in one transaction) or into a
//! proposed protocol change; the cards link to what they became.
//!
//! **Protocols and guides** (`protocols`): of a programme (every coordination member
//! sees it) or of a body (its members). Each version has a summary, validity and the
//! roles it concerns (none: every professional role); the version in force is the
//! highest-numbered one valid today, so a version published ahead does not replace the
//! current one before its date. Professionals it concerns confirm reading it (their work
//! list lists what they must read); the body's page lists who has and who has not. A
//! version may apply proposed changes (from a board or typed), each applied once.
//!
//! **Who runs a body.** Its chair and its secretary (members in person, holding a role
//! that may convene: `domain::coordination::runs_the_body`, checked by
//! `service::coordination::require_runs`) name and change its members, edit it, open its
//! boards, group cards and turn them into agreements or protocol changes, and approve a
//! meeting's minutes once it has been held; other members take part (meetings, minutes,
//! agreements, cards, votes). A programme (1) or project (2) table, whose members see
//! the programme's figures, is convened by who reads aggregates or by an organisation
//! working in that programme (`store::coordination::takes_part`); a case goes on an
//! agenda only from who has a basis for its person (`require_case_listable`). A programme's protocol is
//! published, and its versions, by the organisation that owns it; a body's protocol also
//! by those who run the body. A level-2 (project) body's overview covers its project.
//!
//! Editing a body changes its name, frequency, first meeting and description; its level
//! and scope stay (what it may see depends on them). A member leaves or changes role as
//! long as the body keeps a chair; their past attendance and agreements stay. Minutes are
//! printed from the meeting's page (print stylesheet) or downloaded as text.

mod bodies;
mod calendar;
mod meetings;
mod network;
mod notifications;
mod report;

pub use bodies::{BoardLine, BodyView, MemberInput};
pub use calendar::CalendarEntry;
pub(crate) use meetings::agreement_in;
pub use meetings::{ItemMinutes, ItemView, MeetingView};
pub use network::{NetworkAgreement, NetworkAgreementView, NetworkAgreements};
pub use notifications::Notification;
pub use report::BodyReport;

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::coordination::AgreementStatus;
use itinera_domain::ids::ParticipantId;
use itinera_domain::Error;
use itinera_store::coordination as store;
use itinera_store::{access, cases, Tx};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::guard::visible_body;
use crate::Ctx;

// ---- What leaves the server -------------------------------------------------------

/// A coordination body: its level, scope, frequency and description.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Body {
    pub id: Uuid,
    pub name: String,
    pub level: i16,
    pub programme_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub territory_id: Option<Uuid>,
    pub frequency: String,
    pub custom_days: Option<i16>,
    pub first_meeting_on: Option<NaiveDate>,
    pub description: Option<String>,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::coordination::Body> for Body {
    fn from(r: itinera_store::coordination::Body) -> Self {
        Body {
            id: r.id,
            name: r.name,
            level: r.level,
            programme_id: r.programme_id,
            project_id: r.project_id,
            territory_id: r.territory_id,
            frequency: r.frequency,
            custom_days: r.custom_days,
            first_meeting_on: r.first_meeting_on,
            description: r.description,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BodyMember {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

impl From<itinera_store::coordination::Member> for BodyMember {
    fn from(r: itinera_store::coordination::Member) -> Self {
        BodyMember {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            user_id: r.user_id,
            user_name: r.user_name,
            role: r.role,
            added_at: r.added_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    pub id: Uuid,
    pub body_id: Uuid,
    pub meeting_date: NaiveDate,
    pub starts: String,
    pub ends: String,
    pub mode: String,
    pub place: Option<String>,
    pub link: Option<String>,
    pub minutes_approved_at: Option<DateTime<Utc>>,
    pub minutes_approved_by_name: Option<String>,
}

impl From<itinera_store::coordination::Meeting> for Meeting {
    fn from(r: itinera_store::coordination::Meeting) -> Self {
        Meeting {
            id: r.id,
            body_id: r.body_id,
            meeting_date: r.meeting_date,
            starts: r.starts,
            ends: r.ends,
            mode: r.mode,
            place: r.place,
            link: r.link,
            minutes_approved_at: r.minutes_approved_at,
            minutes_approved_by_name: r.minutes_approved_by_name,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    pub id: Uuid,
    pub position: i32,
    pub kind: String,
    pub title: String,
    pub case_id: Option<Uuid>,
    pub agreement_id: Option<Uuid>,
    pub minutes: Option<String>,
}

impl From<itinera_store::coordination::Item> for AgendaItem {
    fn from(r: itinera_store::coordination::Item) -> Self {
        AgendaItem {
            id: r.id,
            position: r.position,
            kind: r.kind,
            title: r.title,
            case_id: r.case_id,
            agreement_id: r.agreement_id,
            minutes: r.minutes,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    pub id: Uuid,
    pub body_id: Uuid,
    pub body_name: String,
    pub meeting_id: Uuid,
    pub meeting_date: NaiveDate,
    pub text: String,
    pub owner_organisation_id: Uuid,
    pub owner_organisation_name: String,
    pub owner_user_id: Option<Uuid>,
    pub owner_user_name: Option<String>,
    pub due_on: NaiveDate,
    pub case_id: Option<Uuid>,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
}

impl From<itinera_store::coordination::Agreement> for Agreement {
    fn from(r: itinera_store::coordination::Agreement) -> Self {
        Agreement {
            id: r.id,
            body_id: r.body_id,
            body_name: r.body_name,
            meeting_id: r.meeting_id,
            meeting_date: r.meeting_date,
            text: r.text,
            owner_organisation_id: r.owner_organisation_id,
            owner_organisation_name: r.owner_organisation_name,
            owner_user_id: r.owner_user_id,
            owner_user_name: r.owner_user_name,
            due_on: r.due_on,
            case_id: r.case_id,
            status: r.status,
            status_reason: r.status_reason,
            done_on: r.done_on,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementView {
    #[serde(flatten)]
    pub agreement: Agreement,
    pub overdue: bool,
    /// About a case whose person this reader may not see: its text, its case and its
    /// reason are left out.
    pub hidden: bool,
}

pub(super) fn view(a: store::Agreement, today: NaiveDate) -> AgreementView {
    let status = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Open);
    AgreementView {
        overdue: itinera_domain::coordination::is_overdue(status, a.due_on, today),
        agreement: a.into(),
        hidden: false,
    }
}

/// The person of a case, when the actor may be told of them at a coordination table:
/// their role reads people, and their organisation has a basis for the person or is
/// covered by the person's sharing consent (the owner of an agreement about a case
/// acts on it before joining the team); never a restricted record. The rule every
/// agreement about a case, and every write about one, follows. `seen` keeps the
/// answers of one request.
pub(crate) async fn case_person_seen(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    seen: &mut HashMap<Uuid, Option<Uuid>>,
    case: Uuid,
) -> Result<Option<Uuid>, Error> {
    if let Some(v) = seen.get(&case) {
        return Ok(*v);
    }
    let v = match cases::get(tx, case).await? {
        Some(c) if actor.can(Capability::ReadPersonData) => {
            let pid = c.participant_id;
            let basis = access::basis(
                tx,
                ParticipantId(pid),
                actor.organisation(),
                actor.organisation_kind,
                ctx.today(),
            )
            .await?
            .is_some();
            let told = basis
                || access::consented(
                    tx,
                    pid,
                    actor.organisation_id,
                    actor.organisation_kind.code(),
                    ctx.today(),
                )
                .await?;
            told.then_some(pid)
        }
        _ => None,
    };
    seen.insert(case, v);
    Ok(v)
}

/// Writing about a case (its minutes, an agreement about it, an agreement's status)
/// is for who may read its person, and never on an anonymised record.
pub(crate) async fn require_case_writable(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    case: Uuid,
    field: &str,
) -> Result<(), Error> {
    let pid = case_person_seen(tx, actor, ctx, &mut HashMap::new(), case)
        .await?
        .ok_or_else(|| Error::field(field, "coordination.case_unknown"))?;
    if itinera_store::access::anonymised(tx, pid).await? {
        return Err(Error::field(field, "privacy.anonymised"));
    }
    Ok(())
}

/// Putting a case on an agenda tells the body's members about its person: it is for
/// who has a basis for the person (their organisation registered them or is on the
/// team, the rule of the case's own pages), not for an organisation that the person's
/// sharing consent merely covers — that may read what a table says about the case, not
/// bring the person to a table. Never an anonymised record.
pub(crate) async fn require_case_listable(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    case: Uuid,
    field: &str,
) -> Result<(), Error> {
    let unknown = || Error::field(field, "coordination.case_unknown");
    let c = cases::get(tx, case).await?.ok_or_else(unknown)?;
    if !actor.can(Capability::ReadPersonData) {
        return Err(unknown());
    }
    let basis = access::basis(
        tx,
        ParticipantId(c.participant_id),
        actor.organisation(),
        actor.organisation_kind,
        ctx.today(),
    )
    .await?;
    if basis.is_none() {
        ctx.refusals
            .note(actor.user_id, actor.organisation_id, c.participant_id);
        return Err(unknown());
    }
    if itinera_store::access::anonymised(tx, c.participant_id).await? {
        return Err(Error::field(field, "privacy.anonymised"));
    }
    Ok(())
}

/// Leaves out the words of the agreements about a case whose person the actor may not
/// read; gives the people whose agreements are shown (for the read's audit entry).
pub(crate) async fn redact_agreements(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    list: &mut [AgreementView],
) -> Result<Vec<Uuid>, Error> {
    let mut seen = HashMap::new();
    let mut shown = Vec::new();
    for a in list.iter_mut() {
        let Some(case) = a.agreement.case_id else {
            continue;
        };
        match case_person_seen(tx, actor, ctx, &mut seen, case).await? {
            Some(pid) => {
                if !shown.contains(&pid) {
                    shown.push(pid);
                }
            }
            None => {
                a.hidden = true;
                a.agreement.text = String::new();
                a.agreement.case_id = None;
                a.agreement.status_reason = None;
            }
        }
    }
    Ok(shown)
}

pub(super) async fn meeting_and_body(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
) -> Result<(store::Meeting, store::Body), Error> {
    let m = store::meeting(tx, id).await?.ok_or(Error::NotFound)?;
    let b = visible_body(tx, actor, m.body_id).await?;
    Ok((m, b))
}

/// A meeting about to be changed (its minutes, attendance, agreements): its row is
/// taken for the rest of the transaction first, so that on PostgreSQL an approval
/// committed meanwhile is seen, and refused when its minutes are approved.
pub(super) async fn meeting_to_change(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
) -> Result<(store::Meeting, store::Body), Error> {
    store::lock_meeting(tx, id).await?;
    let (m, b) = meeting_and_body(tx, actor, id).await?;
    frozen(&m)?;
    Ok((m, b))
}

pub(super) fn frozen(m: &store::Meeting) -> Result<(), Error> {
    if m.minutes_approved_at.is_some() {
        Err(Error::Conflict("coordination.minutes.frozen"))
    } else {
        Ok(())
    }
}
