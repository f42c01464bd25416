//! Meetings: planning one (its agenda starts with the body's open agreements), a
//! member's view of it, attendance, minutes (frozen once approved) and agreements
//! followed to the end.

use chrono::Duration;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::coordination::{
    check_transition, AgreementInput, AgreementStatus, Attendance, Level, MeetingInput, Owner,
};
use itinera_domain::ids::{AgreementId, BodyId, MeetingId, OrganisationId, UserId};
use itinera_domain::input::optional_id;
use itinera_domain::Error;
use itinera_store::coordination as store;
use itinera_store::{access, cases, participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::visible_body;
use crate::{Ctx, Services};

use super::{
    meeting_and_body, meeting_to_change, view, AgendaItem, AgreementView, Body, BodyMember, Meeting,
};

/// An agenda item as a member sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: AgendaItem,
    /// For a case: the person's name when this member may see them.
    pub participant_name: Option<String>,
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingView {
    pub meeting: Meeting,
    pub body: Body,
    pub items: Vec<ItemView>,
    pub members: Vec<BodyMember>,
    /// The members invited (their attendance is recorded).
    pub invited: Vec<Uuid>,
    /// (member, attendance).
    pub attendance: Vec<(Uuid, String)>,
    pub agreements: Vec<AgreementView>,
    /// Whether this member may approve the minutes now: they run the body (chair,
    /// secretary), the meeting has been held and its minutes are not approved yet.
    pub may_approve: bool,
}

/// One agenda item's minutes as a page sends them: the item, the text, and the text
/// the page showed (absent: write the text whatever is there now).
#[derive(Debug, Clone, Default)]
pub struct ItemMinutes {
    pub item: String,
    pub text: String,
    pub was: Option<String>,
}

/// The longest minutes of one agenda item, in characters.
const MAX_MINUTES: usize = 20_000;

/// The most cases one meeting's agenda may bring (as many as its topics), and the
/// most members it may name as invited.
const MAX_AGENDA_CASES: usize = 100;
const MAX_INVITED: usize = 500;

impl Services {
    /// Plans a meeting. Its agenda starts with the body's open agreements (to follow
    /// them up), then the topics, then — at level 3 only — the cases, each of which the
    /// actor must be able to see.
    pub async fn create_meeting(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        input: &MeetingInput,
        case_ids: &[String],
        invited: &[String],
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Coordinate)?;
        let d = input.validate()?;
        if !itinera_domain::coordination::meeting_day_plausible(d.starts_at.date(), ctx.today()) {
            return Err(Error::field("date", "coordination.meeting.date_far"));
        }
        // An agenda of a meeting, not a register: its lists are bounded before the
        // writer is taken.
        if case_ids.len() > MAX_AGENDA_CASES {
            return Err(Error::field("cases", "validation.too_many"));
        }
        if invited.len() > MAX_INVITED {
            return Err(Error::field("invited", "validation.too_many"));
        }
        let mut tx = self.store.write().await?;
        let b = visible_body(&mut tx, actor, body).await?;
        // Everyone, unless the meeting names whom it invites (members of the body).
        let members = store::members(&mut tx, body).await?;
        let mut invitees = Vec::new();
        for (i, raw) in invited.iter().filter(|c| !c.trim().is_empty()).enumerate() {
            match raw.trim().parse::<Uuid>() {
                Ok(id) if members.iter().any(|m| m.id == id) => {
                    if !invitees.contains(&id) {
                        invitees.push(id)
                    }
                }
                _ => {
                    return Err(Error::field(
                        format!("invited.{i}"),
                        "coordination.not_a_member",
                    ))
                }
            }
        }
        let invites_all = invitees.is_empty();
        let level = Level::parse(&b.level.to_string()).unwrap_or(Level::CASES);
        let mut cases = Vec::new();
        for (i, raw) in case_ids.iter().filter(|c| !c.trim().is_empty()).enumerate() {
            if !level.allows_cases() {
                return Err(Error::field(
                    format!("cases.{i}"),
                    "coordination.case_on_level",
                ));
            }
            let id = optional_id(raw)
                .map_err(|c| Error::field(format!("cases.{i}"), c))?
                .unwrap_or_default();
            if cases.contains(&id) {
                continue;
            }
            // Who has a basis for the person, of a record not anonymised.
            super::require_case_listable(&mut tx, actor, ctx, id, &format!("cases.{i}")).await?;
            cases.push(id);
        }
        let id = ctx.new_id();
        store::insert_meeting(&mut tx, id, body, &d, actor.user_id, ctx.now).await?;
        store::set_invites_all(&mut tx, id, invites_all).await?;
        for m in &invitees {
            store::invite(&mut tx, id, *m).await?;
        }
        let mut position = 0;
        for a in store::agreements_of_body(&mut tx, body, true).await? {
            position += 1;
            store::insert_item(
                &mut tx,
                id,
                position,
                "followup",
                &a.text,
                a.case_id.filter(|_| level.allows_cases()),
                Some(a.id),
                ctx.now,
            )
            .await?;
        }
        for t in &d.topics {
            position += 1;
            store::insert_item(&mut tx, id, position, "topic", t, None, None, ctx.now).await?;
        }
        for c in &cases {
            position += 1;
            store::insert_item(&mut tx, id, position, "case", "", Some(*c), None, ctx.now).await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::MeetingCreate,
            Some(id),
            json!({"body": body, "cases": cases}),
        )
        .await?;
        Ok(id)
    }

    /// A meeting as this member sees it. Naming a case's person is a read of their data:
    /// audited, with the persons shown.
    pub async fn meeting(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<MeetingView, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.audited_read().await?;
        let (meeting, body) = meeting_and_body(&mut tx, actor, id).await?;
        let mut items = Vec::new();
        let mut shown = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for item in store::items(&mut tx, id).await? {
            // The rule of everything a table says of a person (`case_person_seen`).
            let (visible, name) = match item.case_id {
                Some(case) => {
                    match super::case_person_seen(&mut tx, actor, ctx, &mut seen, case).await? {
                        Some(pid) => {
                            if !shown.contains(&pid) {
                                shown.push(pid);
                            }
                            (
                                true,
                                participants::get(&mut tx, pid)
                                    .await?
                                    .map(|p| p.data.full_name()),
                            )
                        }
                        None => (false, None),
                    }
                }
                None => (true, None),
            };
            let mut item: AgendaItem = item.into();
            if !visible {
                // Nothing said of a person this member may not see: not the minutes,
                // not the case, not the text of an agreement about them.
                item.minutes = None;
                item.case_id = None;
                if item.kind != "case" {
                    item.title = String::new();
                }
            }
            items.push(ItemView {
                item,
                participant_name: name,
                visible,
            });
        }
        let members = store::members(&mut tx, body.id).await?;
        let may_approve = meeting.minutes_approved_at.is_none()
            && meeting.meeting_date <= ctx.today()
            && crate::guard::runs(actor, &members);
        let invited = store::invitees(&mut tx, id).await?;
        let attendance = store::attendance(&mut tx, id).await?;
        let mut agreements: Vec<AgreementView> = store::agreements_of_meeting(&mut tx, id)
            .await?
            .into_iter()
            .map(|a| view(a, ctx.today()))
            .collect();
        for pid in super::redact_agreements(&mut tx, actor, ctx, &mut agreements).await? {
            if !shown.contains(&pid) {
                shown.push(pid);
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::MeetingRead,
            Some(id),
            json!({"participants": shown}),
        )
        .await?;
        Ok(MeetingView {
            meeting: meeting.into(),
            body: body.into(),
            items,
            members: members.into_iter().map(Into::into).collect(),
            invited,
            attendance,
            agreements,
            may_approve,
        })
    }

    /// Records who came: (member, present | excused | absent).
    pub async fn record_attendance(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
        rows: &[(String, String)],
    ) -> Result<(), Error> {
        self.record_meeting(actor, ctx, meeting, &[], rows).await
    }

    /// Writes the minutes of one agenda item (until the minutes are approved).
    pub async fn record_minutes(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
        item: Uuid,
        text: &str,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let text = itinera_domain::text::clean_paragraphs(text);
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_MINUTES)
        {
            return Err(Error::field("minutes", "validation.too_long"));
        }
        let mut tx = self.store.write().await?;
        let _ = meeting_to_change(&mut tx, actor, meeting).await?;
        let of_case = store::items(&mut tx, meeting)
            .await?
            .into_iter()
            .find(|i| i.id == item)
            .and_then(|i| i.case_id);
        if let Some(case) = of_case {
            super::require_case_writable(&mut tx, actor, ctx, case, "minutes").await?;
        }
        store::set_minutes(&mut tx, meeting, item, text.as_deref()).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::MeetingMinutes,
            Some(meeting),
            json!({"item": item}),
        )
        .await
    }

    /// The meeting's record in one go, as its page sends it: the minutes of every agenda
    /// item (item id, text) and who came (member, attendance). All of it is checked
    /// first and written in one transaction, or nothing is.
    pub async fn record_meeting(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
        minutes: &[ItemMinutes],
        attendance: &[(String, String)],
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        // One line per agenda item and per member: bounded before the writer is taken.
        if minutes.len() > MAX_AGENDA_CASES * 10 {
            return Err(Error::field("minutes", "validation.too_many"));
        }
        if attendance.len() > MAX_INVITED {
            return Err(Error::field("attendance", "validation.too_many"));
        }
        let mut tx = self.store.write().await?;
        let (_, b) = meeting_to_change(&mut tx, actor, meeting).await?;
        let members = store::members(&mut tx, b.id).await?;
        let invited = store::invitees(&mut tx, meeting).await?;
        let all_items = store::items(&mut tx, meeting).await?;
        let items: Vec<Uuid> = all_items.iter().map(|i| i.id).collect();
        let mut errors = Vec::new();
        let mut texts = Vec::new();
        for ItemMinutes { item, text, was } in minutes {
            let Some(id) = item
                .trim()
                .parse::<Uuid>()
                .ok()
                .filter(|id| items.contains(id))
            else {
                errors.push(itinera_domain::FieldError::new(
                    "minutes",
                    "coordination.not_an_item",
                ));
                continue;
            };
            let text = itinera_domain::text::clean_paragraphs(text);
            if text
                .as_ref()
                .is_some_and(|t| t.chars().count() > MAX_MINUTES)
            {
                errors.push(itinera_domain::FieldError::new(
                    format!("minutes-{id}"),
                    "validation.too_long",
                ));
            }
            let stored = all_items
                .iter()
                .find(|i| i.id == id)
                .and_then(|i| i.minutes.clone());
            // The page says what each item's minutes were when it was drawn: an item
            // left as it was is not written (someone else may have written it since),
            // and one changed here and by someone else meanwhile is not written over.
            if let Some(was) = was {
                let was = itinera_domain::text::clean_paragraphs(was);
                if text == was || text == stored {
                    continue;
                }
                if was != stored {
                    errors.push(itinera_domain::FieldError::new(
                        format!("minutes-{id}"),
                        "coordination.minutes_changed_meanwhile",
                    ));
                    continue;
                }
            }
            let of_case = all_items
                .iter()
                .find(|i| i.id == id)
                .and_then(|i| i.case_id);
            if let Some(case) = of_case {
                match super::require_case_writable(
                    &mut tx,
                    actor,
                    ctx,
                    case,
                    &format!("minutes-{id}"),
                )
                .await
                {
                    Ok(()) => {}
                    Err(Error::Invalid(mut e)) => errors.append(&mut e),
                    Err(other) => return Err(other),
                }
            }
            texts.push((id, text));
        }
        let mut ok = Vec::new();
        for (i, (member, att)) in attendance.iter().enumerate() {
            let mid = member
                .trim()
                .parse::<Uuid>()
                .ok()
                .filter(|id| members.iter().any(|x| x.id == *id) && invited.contains(id));
            let a = Attendance::parse(att.trim());
            match (mid, a) {
                (Some(mid), Some(a)) => ok.push((mid, a)),
                (None, _) => errors.push(itinera_domain::FieldError::new(
                    format!("attendance.{i}.member"),
                    "coordination.not_a_member",
                )),
                (_, None) => errors.push(itinera_domain::FieldError::new(
                    format!("attendance.{i}.attendance"),
                    "validation.choice",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        for (id, text) in &texts {
            store::set_minutes(&mut tx, meeting, *id, text.as_deref()).await?;
        }
        for (mid, a) in &ok {
            store::set_attendance(&mut tx, meeting, *mid, a.code()).await?;
        }
        if !texts.is_empty() {
            crate::audit::audit(
                &mut tx,
                actor,
                ctx,
                Action::MeetingMinutes,
                Some(meeting),
                json!({"items": texts.iter().map(|(id, _)| id).collect::<Vec<_>>()}),
            )
            .await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::MeetingAttendance,
            Some(meeting),
            json!({"rows": ok.len()}),
        )
        .await
    }

    /// Approves the minutes: from now on they are frozen.
    pub async fn approve_minutes(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let (m, b) = meeting_to_change(&mut tx, actor, meeting).await?;
        // Those who run the body (its chair, its secretary) approve its minutes, once
        // the meeting has been held: approved minutes are never changed again.
        if !crate::guard::runs(actor, &store::members(&mut tx, b.id).await?) {
            return Err(Error::Forbidden);
        }
        if m.meeting_date > ctx.today() {
            return Err(Error::Rule("coordination.minutes.not_yet_held"));
        }
        store::approve_minutes(&mut tx, meeting, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::MeetingApprove,
            Some(meeting),
            json!({}),
        )
        .await
    }

    /// Records an agreement made at a meeting. Its owner is a member of the body (a
    /// member professional, or a member organisation); its case, if any, is one on the
    /// meeting's agenda.
    pub async fn add_agreement(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
        input: &AgreementInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let id = agreement_in(&mut tx, actor, ctx, meeting, input).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks an agreement done, drops it (with a reason) or reopens it.
    pub async fn set_agreement_status(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        status: &str,
        reason: &str,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let to = AgreementStatus::parse(status.trim())
            .ok_or_else(|| Error::field("status", "validation.choice"))?;
        let mut tx = self.store.write().await?;
        let a = store::agreement(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        visible_body(&mut tx, actor, a.body_id).await?;
        if let Some(case) = a.case_id {
            super::require_case_writable(&mut tx, actor, ctx, case, "status").await?;
        }
        let from = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Open);
        let reason = itinera_domain::input::optional_text(reason, 2000)
            .map_err(|c| Error::field("reason", c))?;
        check_transition(from, to, reason.as_deref()).map_err(|code| match code {
            "coordination.agreement.reason_required" => Error::field("reason", code),
            _ => Error::Rule(code),
        })?;
        let done_on = (to == AgreementStatus::Done).then(|| ctx.today());
        store::set_agreement_status(
            &mut tx,
            id,
            to.code(),
            reason.as_deref().filter(|_| to == AgreementStatus::Dropped),
            done_on,
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::AgreementStatus,
            Some(id),
            json!({"from": from.code(), "to": to.code()}),
        )
        .await
    }

    /// The actor's open agreements due within `days` (overdue ones included), read in
    /// `tx`, and those of them found overdue that the actor has not been told of yet
    /// (give them to `tell_overdue`, in a write, once the read is over).
    pub(crate) async fn agreements_due(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        days: i64,
    ) -> Result<(Vec<AgreementView>, Vec<Uuid>), Error> {
        let until = ctx.today() + Duration::days(days);
        let mut due: Vec<AgreementView> =
            store::agreements_due(tx, actor.user(), actor.organisation(), until)
                .await?
                .into_iter()
                .map(|a| view(a, ctx.today()))
                .collect();
        super::redact_agreements(tx, actor, ctx, &mut due).await?;
        let overdue: Vec<Uuid> = due
            .iter()
            .filter(|a| a.overdue)
            .map(|a| a.agreement.id)
            .collect();
        let untold = store::not_notified(tx, actor.user(), "agreement_overdue", &overdue).await?;
        Ok((due, untold))
    }

    /// Tells the actor, once, of agreements found overdue.
    pub(crate) async fn tell_overdue(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        agreements: &[Uuid],
    ) -> Result<(), Error> {
        if agreements.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.write().await?;
        for a in agreements {
            store::notify(
                &mut tx,
                actor.user(),
                actor.organisation(),
                "agreement_overdue",
                AgreementId(*a),
                ctx.now,
            )
            .await?;
        }
        tx.commit().await
    }
}

/// Records an agreement made at a meeting inside the caller's transaction (a meeting's
/// form, or a board's card turned into an agreement).
pub(crate) async fn agreement_in(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    meeting: Uuid,
    input: &AgreementInput,
) -> Result<Uuid, Error> {
    let d = input.validate(ctx.today())?;
    let (_, b) = meeting_to_change(tx, actor, meeting).await?;
    let members = store::members(tx, b.id).await?;
    let owner_org = match d.owner {
        Owner::User(u) => members
            .iter()
            .find(|x| x.user_id == Some(u))
            .map(|x| x.organisation_id),
        // An organisation owns an agreement when it is a member as a whole (a member
        // row naming one of its professionals makes that professional a member).
        Owner::Organisation(o) => members
            .iter()
            .find(|x| x.organisation_id == o && x.user_id.is_none())
            .map(|x| x.organisation_id),
    }
    .ok_or_else(|| Error::field("owner", "coordination.owner_not_member"))?;
    if let Some(c) = d.case_id {
        let items = store::items(tx, meeting).await?;
        if !items.iter().any(|i| i.case_id == Some(c)) {
            return Err(Error::field("case_id", "coordination.case_not_on_agenda"));
        }
        super::require_case_writable(tx, actor, ctx, c, "case_id").await?;
        // Its owner acts on it with the person: the person's record is their
        // organisation's, or the person's sharing consent covers it.
        let pid = cases::get(tx, c)
            .await?
            .ok_or(Error::NotFound)?
            .participant_id;
        let kind = itinera_store::admin::organisation(tx, owner_org)
            .await?
            .map(|o| o.kind)
            .ok_or_else(|| Error::field("owner", "coordination.owner_not_member"))?;
        if !access::consented(tx, pid, owner_org, &kind, ctx.today()).await? {
            return Err(Error::field("owner", "coordination.owner_cannot_see_case"));
        }
    }
    let id = ctx.new_id();
    store::insert_agreement(
        tx,
        AgreementId(id),
        BodyId(b.id),
        MeetingId(meeting),
        &d,
        OrganisationId(owner_org),
        actor.user(),
        ctx.now,
    )
    .await?;
    // The owner is told: the professional named, or the organisation's member
    // professionals in the body.
    let to: Vec<Uuid> = match d.owner {
        Owner::User(u) => vec![u],
        Owner::Organisation(o) => members
            .iter()
            .filter(|m| m.organisation_id == o)
            .filter_map(|m| m.user_id)
            .collect(),
    };
    for u in to {
        store::notify(
            tx,
            UserId(u),
            OrganisationId(owner_org),
            "agreement_assigned",
            AgreementId(id),
            ctx.now,
        )
        .await?;
    }
    audit(
        tx,
        actor,
        ctx,
        Action::AgreementCreate,
        Some(id),
        json!({"meeting": meeting, "owner": d.owner, "due_on": d.due_on}),
    )
    .await?;
    Ok(id)
}
