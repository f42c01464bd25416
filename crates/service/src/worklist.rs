//! Each professional's work list: actions they own that are due or overdue, itinerary
//! reviews due, assessments missing on cases in the diagnosis phase, the retention
//! checks and monthly follow-ups of the contracts they follow, the incidents of the
//! cases they manage or are the reference social worker of, and — for coordinators —
//! incidents left unanswered past their programme's limit on their teams' cases; the
//! referrals waiting for an answer from the actor's organisation (for who answers
//! them), the benefits of the people on the actor's cases that end within 30 days or
//! whose conditions are due for review, and the referrals the actor sent — or, for coordinators, their organisation
//! sent — left unanswered past their limit.

use chrono::{Duration, NaiveDate};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::incident::response_overdue;
use itinera_domain::Error;
use itinera_store::worklist;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

/// How far ahead the work list looks for things coming due.
pub const HORIZON_DAYS: i64 = 7;

/// One thing to do on a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkItem {
    pub case_id: Uuid,
    pub participant_name: String,
    /// The action's id, for actions.
    pub item_id: Option<Uuid>,
    pub label: String,
    pub due_on: Option<NaiveDate>,
}

impl From<itinera_store::worklist::Item> for WorkItem {
    fn from(r: itinera_store::worklist::Item) -> Self {
        WorkItem {
            case_id: r.case_id,
            participant_name: r.participant_name,
            item_id: r.item_id,
            label: r.label,
            due_on: r.due_on,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkList {
    pub actions_due: Vec<WorkItem>,
    pub reviews_due: Vec<WorkItem>,
    pub assessments_missing: Vec<WorkItem>,
    /// Retention checks due (`label`: months after the start; `item_id`: the check).
    pub retention_due: Vec<WorkItem>,
    /// Follow-up contacts due on running contracts (`label`: the position).
    pub follow_ups_due: Vec<WorkItem>,
    /// Unresolved incidents of cases the actor manages or is the reference social
    /// worker of (`label`: the incident's kind; `item_id`: the incident).
    pub incidents_open: Vec<WorkItem>,
    /// For coordinators: incidents unanswered past their programme's limit on cases of
    /// their organisation's teams (`due_on`: when the answer was due).
    pub incidents_overdue: Vec<WorkItem>,
    /// Referrals waiting for an answer from the actor's organisation, for those who
    /// answer them (`label`: the sender; `item_id`: the referral; `due_on`: the limit).
    pub referrals_waiting: Vec<WorkItem>,
    /// Referrals the actor sent (a coordinator: their organisation sent) unanswered
    /// past their limit (`label`: the receiver; `item_id`: the referral).
    pub referrals_overdue: Vec<WorkItem>,
    /// Benefits in force of the people on the actor's open cases that end within 30
    /// days or whose conditions are due for review (`label`: the benefit's type;
    /// `item_id`: the benefit; `due_on`: the sooner of the end and the review).
    pub benefits_due: Vec<WorkItem>,
    /// Closed cases the actor managed whose six-month ESF follow-up is due within the
    /// horizon or overdue (up to a year after leaving; `due_on`: six months after).
    pub esf_followups_due: Vec<WorkItem>,
    /// The next steps the actor agreed at the latest contact of a case, due within the
    /// horizon or overdue (`label`: the step; `item_id`: the contact).
    pub next_steps_due: Vec<WorkItem>,
    /// Open pairs in the master index's review queue the actor can decide.
    pub link_reviews: usize,
    /// Agreements of coordination bodies the actor (or their organisation) owns, due
    /// within the horizon or overdue.
    pub agreements_due: Vec<crate::coordination::AgreementView>,
    /// Unread notices (agreements assigned or overdue).
    pub notifications: Vec<crate::coordination::Notification>,
    /// Protocols and guides in force that concern the actor and that they have not
    /// confirmed reading.
    pub protocols_to_read: Vec<crate::protocols::ProtocolLine>,
    /// Counts per kind, in display order (of the items listed: at most
    /// `ITEMS_SHOWN` of a kind).
    pub counts: Vec<(&'static str, usize)>,
    /// The kinds that have more items than the list shows (it shows the first
    /// `ITEMS_SHOWN`, the most urgent).
    pub more: Vec<&'static str>,
    pub today: chrono::NaiveDate,
}

impl WorkList {
    pub fn total(&self) -> usize {
        self.counts.iter().map(|c| c.1).sum()
    }

    /// How many items of a kind the list shows at most.
    pub fn items_shown(&self) -> usize {
        worklist::ITEMS_SHOWN
    }

    /// Whether the list of `kind` shows only its first items.
    pub fn has_more(&self, kind: &str) -> bool {
        self.more.contains(&kind)
    }
}

/// Cuts a kind's items to those the list shows; whether there were more.
fn shown<T>(items: &mut Vec<T>) -> bool {
    let more = items.len() > worklist::ITEMS_SHOWN;
    items.truncate(worklist::ITEMS_SHOWN);
    more
}

impl Services {
    pub async fn work_list(&self, actor: &Actor, ctx: &Ctx) -> Result<WorkList, Error> {
        actor.require(Capability::ReadPersonData)?;
        let today = ctx.today();
        let until = today + Duration::days(HORIZON_DAYS);
        let kind = actor.organisation_kind.code();
        let (u, o) = (actor.user(), actor.organisation());
        // What is not a person's data first, in a plain read of its own: the audited
        // read below (which on SQLite holds the one writer) does only what needs it.
        let mut plain = self.store.read().await?;
        // Pairs of records waiting for someone to say whether they are one person
        // (a count: no person is named).
        let link_reviews = if actor.can(Capability::WritePersonData) {
            itinera_store::linkage::open_count(&mut plain, o.0, actor.organisation_kind, today)
                .await? as usize
        } else {
            0
        };
        let protocols_to_read: Vec<_> = if actor.can(Capability::Coordinate) {
            self.protocol_lines(&mut plain, actor, ctx, None)
                .await?
                .into_iter()
                .filter(|p| p.to_read)
                .collect()
        } else {
            Vec::new()
        };
        plain.rollback().await?;

        let mut tx = self.store.audited_read().await?;
        let worklist::CaseItems {
            mut actions_due,
            mut reviews_due,
            mut assessments_missing,
            mut retention_due,
            mut follow_ups_due,
            incidents_open,
        } = worklist::case_items(&mut tx, u, o, kind, today, until).await?;
        let mut incidents_overdue: Vec<WorkItem> = if actor.roles.contains(&Role::Coordinator) {
            let shortest = chrono::Duration::days(1);
            worklist::unanswered_incidents(&mut tx, o, kind, today, ctx.now - shortest)
                .await?
                .into_iter()
                .filter(|i| response_overdue(i.reported_at, i64::from(i.response_days), ctx.now))
                .map(|i| WorkItem {
                    case_id: i.case_id,
                    participant_name: i.participant_name,
                    item_id: Some(i.incident_id),
                    label: i.kind,
                    due_on: Some(
                        ctx.zone
                            .local(
                                i.reported_at + chrono::Duration::days(i64::from(i.response_days)),
                            )
                            .date(),
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        let referral_item = |r: itinera_store::referrals::InboxLine, label: String| WorkItem {
            case_id: r.case_id,
            participant_name: r.participant_name.unwrap_or_default(),
            item_id: Some(r.id),
            label,
            due_on: Some(
                ctx.zone
                    .local(itinera_domain::referral::answer_due(
                        r.sent_at,
                        i64::from(r.answer_days),
                    ))
                    .date(),
            ),
        };
        let mut referrals_waiting: Vec<WorkItem> = if actor.can(Capability::ManageCases) {
            itinera_store::referrals::waiting_for(&mut tx, o.0, kind, today, worklist::ITEMS_READ)
                .await?
                .into_iter()
                .map(|r| {
                    let from = r.from_organisation_name.clone();
                    referral_item(r, from)
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut referrals_overdue: Vec<WorkItem> = itinera_store::referrals::unanswered_sent(
            &mut tx,
            u.0,
            o.0,
            kind,
            actor.roles.contains(&Role::Coordinator),
            today,
            ctx.now - Duration::days(1),
        )
        .await?
        .into_iter()
        .filter(|r| {
            itinera_domain::referral::answer_overdue(r.sent_at, i64::from(r.answer_days), ctx.now)
        })
        .map(|r| {
            let to = r.to_organisation_name.clone();
            referral_item(r, to)
        })
        .collect();
        let mut benefits_due: Vec<WorkItem> = itinera_store::benefits::due_for(
            &mut tx,
            u,
            o,
            kind,
            today,
            today + Duration::days(itinera_domain::benefit::ENDING_DAYS),
            until,
        )
        .await?
        .into_iter()
        .map(|b| WorkItem {
            case_id: b.case_id,
            participant_name: b.participant_name,
            item_id: Some(b.benefit_id),
            label: b.benefit_type,
            due_on: [b.end_on.filter(|e| *e >= today), b.review_on]
                .into_iter()
                .flatten()
                .min(),
        })
        .collect();
        let six = chrono::Months::new(6);
        let mut esf_followups_due: Vec<WorkItem> = itinera_store::esf::followups_due(
            &mut tx,
            u,
            o,
            kind,
            today,
            today
                .checked_sub_months(chrono::Months::new(12))
                .unwrap_or(today),
            until.checked_sub_months(six).unwrap_or(today),
        )
        .await?
        .into_iter()
        .map(|f| WorkItem {
            case_id: f.case_id,
            participant_name: f.participant_name,
            item_id: None,
            label: "esf_followup".into(),
            due_on: f.left_on.checked_add_months(six),
        })
        .collect();
        // No item twice: an incident overdue for an answer is listed there, not also
        // among the open ones.
        let mut incidents_open: Vec<worklist::Item> = incidents_open
            .into_iter()
            .filter(|i| {
                !incidents_overdue
                    .iter()
                    .any(|o| o.item_id.is_some() && o.item_id == i.item_id)
            })
            .collect();
        let mut next_steps_due: Vec<WorkItem> =
            worklist::next_steps(&mut tx, u, o, kind, today, until)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
        // An agreement found overdue is told to its owner (a write, after the read).
        let (mut agreements_due, untold) = self
            .agreements_due(&mut tx, actor, ctx, HORIZON_DAYS)
            .await?;
        let more: Vec<&'static str> = [
            ("actions_due", shown(&mut actions_due)),
            ("reviews_due", shown(&mut reviews_due)),
            ("assessments_missing", shown(&mut assessments_missing)),
            ("retention_due", shown(&mut retention_due)),
            ("follow_ups_due", shown(&mut follow_ups_due)),
            ("incidents_open", shown(&mut incidents_open)),
            ("incidents_overdue", shown(&mut incidents_overdue)),
            ("referrals_waiting", shown(&mut referrals_waiting)),
            ("referrals_overdue", shown(&mut referrals_overdue)),
            ("benefits_due", shown(&mut benefits_due)),
            ("esf_followups_due", shown(&mut esf_followups_due)),
            ("next_steps_due", shown(&mut next_steps_due)),
            ("agreements_due", shown(&mut agreements_due)),
        ]
        .into_iter()
        .filter_map(|(kind, more)| more.then_some(kind))
        .collect();
        let counts = vec![
            ("actions_due", actions_due.len()),
            ("reviews_due", reviews_due.len()),
            ("assessments_missing", assessments_missing.len()),
            ("retention_due", retention_due.len()),
            ("follow_ups_due", follow_ups_due.len()),
            ("incidents_open", incidents_open.len()),
            ("incidents_overdue", incidents_overdue.len()),
            ("referrals_waiting", referrals_waiting.len()),
            ("referrals_overdue", referrals_overdue.len()),
            ("benefits_due", benefits_due.len()),
            ("esf_followups_due", esf_followups_due.len()),
            ("next_steps_due", next_steps_due.len()),
            ("link_reviews", link_reviews),
            ("agreements_due", agreements_due.len()),
            ("protocols_to_read", protocols_to_read.len()),
        ];
        // Whose data the list shows: the cases of its lines, for the audit entry.
        let mut cases: Vec<Uuid> = actions_due
            .iter()
            .chain(&reviews_due)
            .chain(&assessments_missing)
            .chain(&retention_due)
            .chain(&follow_ups_due)
            .chain(&incidents_open)
            .map(|i| i.case_id)
            .chain(
                incidents_overdue
                    .iter()
                    .chain(&referrals_waiting)
                    .chain(&referrals_overdue)
                    .chain(&benefits_due)
                    .chain(&esf_followups_due)
                    .chain(&next_steps_due)
                    .map(|i| i.case_id),
            )
            .collect();
        // An agreement about a case shows its words only to who may read its person
        // (`redact_agreements` leaves the case of the others out).
        cases.extend(agreements_due.iter().filter_map(|a| a.agreement.case_id));
        cases.sort_unstable();
        cases.dedup();
        finish(
            tx,
            actor,
            ctx,
            Action::WorklistRead,
            Some(u.0),
            json!({"items": counts.iter().map(|c| c.1).sum::<usize>(), "more": more, "cases": cases}),
        )
        .await?;
        self.tell_overdue(actor, ctx, &untold).await?;
        self.tell_unanswered(actor, ctx, &incidents_overdue).await?;
        // Notices last, so that an agreement found overdue just now is among them.
        let mut plain = self.store.single().await?;
        let notifications =
            itinera_store::coordination::unread_notifications(&mut plain, u, o).await?;
        plain.rollback().await?;
        Ok(WorkList {
            actions_due: actions_due.into_iter().map(Into::into).collect(),
            reviews_due: reviews_due.into_iter().map(Into::into).collect(),
            assessments_missing: assessments_missing.into_iter().map(Into::into).collect(),
            retention_due: retention_due.into_iter().map(Into::into).collect(),
            follow_ups_due: follow_ups_due.into_iter().map(Into::into).collect(),
            incidents_open: incidents_open.into_iter().map(Into::into).collect(),
            incidents_overdue,
            referrals_waiting,
            referrals_overdue,
            benefits_due,
            esf_followups_due,
            next_steps_due,
            link_reviews,
            agreements_due,
            notifications: notifications.into_iter().map(Into::into).collect(),
            protocols_to_read,
            counts,
            more,
            today,
        })
    }
}

impl Services {
    /// Tells a coordinator, once, of each incident found unanswered past its limit (a
    /// write after the work list's read, like overdue agreements).
    async fn tell_unanswered(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        overdue: &[WorkItem],
    ) -> Result<(), Error> {
        if overdue.is_empty() {
            return Ok(());
        }
        let mut plain = self.store.read().await?;
        let mut untold = Vec::new();
        for w in overdue {
            if let Some(id) = w.item_id {
                if !itinera_store::incidents::notified(
                    &mut plain,
                    actor.user_id,
                    crate::incidents::NOTICE_OVERDUE,
                    id,
                )
                .await?
                {
                    untold.push((id, w.case_id));
                }
            }
        }
        plain.rollback().await?;
        if untold.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.write().await?;
        for (id, case_id) in untold {
            itinera_store::incidents::notify(
                &mut tx,
                actor.user_id,
                actor.organisation_id,
                crate::incidents::NOTICE_OVERDUE,
                id,
                case_id,
                ctx.now,
            )
            .await?;
        }
        tx.commit().await
    }
}
