//! Coordination bodies at three levels, their meetings and agreements. A body is seen
//! by its members only; at level 3 its agenda names cases, each shown to a member only
//! as far as the access rule lets that member see the person; levels 1 and 2 never put
//! a case on the agenda.

use chrono::{Duration, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::coordination::{
    check_transition, planned_dates, AgreementInput, AgreementStatus, Attendance, BodyInput,
    Frequency, Level, MeetingInput, MemberRole, Owner,
};
use itinera_domain::input::optional_id;
use itinera_domain::Error;
use itinera_store::coordination::{
    self as store, Agreement, Body, Item, Meeting, Member, Reference,
};
use itinera_store::{access, admin, cases, participants, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::{require_runs, runs, visible_body};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize)]
pub struct BodyView {
    pub body: Body,
    pub members: Vec<Member>,
    pub meetings: Vec<Meeting>,
    pub open_agreements: Vec<AgreementView>,
    /// The coming meetings its frequency plans (from today).
    pub planned: Vec<NaiveDate>,
    /// Its improvement boards.
    pub boards: Vec<itinera_store::boards::Board>,
    /// Its protocols and guides.
    pub protocols: Vec<crate::protocols::ProtocolLine>,
    /// The network agreements that serve it.
    pub network_agreements: Vec<store::NetworkAgreement>,
    /// Whether the reader runs the body (chair or secretary, and may convene).
    pub runs: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    #[serde(flatten)]
    pub agreement: Agreement,
    pub overdue: bool,
}

fn view(a: Agreement, today: NaiveDate) -> AgreementView {
    let status = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Open);
    AgreementView {
        overdue: itinera_domain::coordination::is_overdue(status, a.due_on, today),
        agreement: a,
    }
}

/// An agenda item as a member sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: Item,
    /// For a case: the person's name when this member may see them.
    pub participant_name: Option<String>,
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub meeting: Meeting,
    pub body: Body,
    pub items: Vec<ItemView>,
    pub members: Vec<Member>,
    /// The members invited (their attendance is recorded).
    pub invited: Vec<Uuid>,
    /// (member, attendance).
    pub attendance: Vec<(Uuid, String)>,
    pub agreements: Vec<AgreementView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    pub organisation_id: String,
    /// A professional by id (the API) …
    pub user_id: String,
    /// … or by user name (the form); both empty: the organisation as a whole.
    pub username: String,
    pub role: String,
}

async fn meeting_and_body(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<(Meeting, Body), Error> {
    let m = store::meeting(tx, id).await?.ok_or(Error::NotFound)?;
    let b = visible_body(tx, actor, m.body_id).await?;
    Ok((m, b))
}

fn frozen(m: &Meeting) -> Result<(), Error> {
    if m.minutes_approved_at.is_some() {
        Err(Error::Conflict("coordination.minutes.frozen"))
    } else {
        Ok(())
    }
}

impl Services {
    /// Convenes a body; the actor's organisation and the actor (as chair) are its first
    /// members.
    pub async fn create_body(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &BodyInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let d = input.validate()?;
        let mut tx = self.store.write().await?;
        for (field, table, id) in [
            ("programme_id", Reference::Programmes, d.programme_id),
            ("project_id", Reference::Projects, d.project_id),
            ("territory_id", Reference::Territories, d.territory_id),
        ] {
            if let Some(id) = id {
                if !store::reference_exists(&mut tx, table, id).await? {
                    return Err(Error::field(field, "validation.choice"));
                }
            }
        }
        let id = ctx.new_id();
        store::insert_body(
            &mut tx,
            id,
            &d,
            actor.organisation_id,
            actor.user_id,
            ctx.now,
        )
        .await?;
        store::insert_member(
            &mut tx,
            id,
            actor.organisation_id,
            Some(actor.user_id),
            MemberRole::Chair.code(),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BodyCreate,
            Some(id),
            json!({"level": d.level.number()}),
        )
        .await?;
        Ok(id)
    }

    /// Names a member: an organisation as a whole, or one of its professionals.
    pub async fn add_body_member(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        input: &MemberInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let org = optional_id(&input.organisation_id)
            .map_err(|c| Error::field("organisation_id", c))?
            .ok_or_else(|| Error::field("organisation_id", "validation.required"))?;
        let mut user = optional_id(&input.user_id).map_err(|c| Error::field("user_id", c))?;
        let role = MemberRole::parse(input.role.trim())
            .ok_or_else(|| Error::field("role", "validation.choice"))?;
        let mut tx = self.store.write().await?;
        if user.is_none() && !input.username.trim().is_empty() {
            user = Some(
                admin::user_by_username(&mut tx, input.username.trim())
                    .await?
                    .map(|u| u.id)
                    .ok_or_else(|| {
                        Error::field("username", "coordination.member_not_of_organisation")
                    })?,
            );
        }
        require_runs(&mut tx, actor, body).await?;
        if !store::reference_exists(&mut tx, Reference::Organisations, org).await? {
            return Err(Error::field("organisation_id", "validation.choice"));
        }
        if let Some(u) = user {
            let ms = admin::memberships(&mut tx, u).await?;
            if !ms.iter().any(|m| m.organisation_id == org) {
                return Err(Error::field(
                    "user_id",
                    "coordination.member_not_of_organisation",
                ));
            }
        }
        let members = store::members(&mut tx, body).await?;
        if members
            .iter()
            .any(|m| m.organisation_id == org && m.user_id == user)
        {
            return Err(Error::Conflict("coordination.member_exists"));
        }
        let id = store::insert_member(&mut tx, body, org, user, role.code(), ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BodyMemberAdd,
            Some(body),
            json!({"member": id, "organisation": org, "user": user}),
        )
        .await?;
        Ok(id)
    }

    /// Changes a body's name, frequency, first meeting or description. Its level and
    /// scope stay as convened (what the body may see depends on them).
    pub async fn update_body(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &BodyInput,
    ) -> Result<(), Error> {
        actor.require(Capability::ConveneBodies)?;
        let mut tx = self.store.write().await?;
        let b = require_runs(&mut tx, actor, id).await?;
        let fixed = BodyInput {
            level: b.level.to_string(),
            programme_id: b.programme_id.map(|x| x.to_string()).unwrap_or_default(),
            project_id: b.project_id.map(|x| x.to_string()).unwrap_or_default(),
            territory_id: b.territory_id.map(|x| x.to_string()).unwrap_or_default(),
            ..input.clone()
        };
        let d = fixed.validate()?;
        store::update_body(&mut tx, id, &d).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BodyUpdate,
            Some(id),
            json!({"frequency": d.frequency.code()}),
        )
        .await
    }

    /// Changes a member's role (`Some`) or removes them (`None`); a body keeps a chair.
    pub async fn change_body_member(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        member: Uuid,
        role: Option<&str>,
    ) -> Result<(), Error> {
        actor.require(Capability::ConveneBodies)?;
        let to = match role {
            Some(r) => Some(
                MemberRole::parse(r.trim())
                    .ok_or_else(|| Error::field("role", "validation.choice"))?,
            ),
            None => None,
        };
        let mut tx = self.store.write().await?;
        require_runs(&mut tx, actor, body).await?;
        let members = store::members(&mut tx, body).await?;
        if !members.iter().any(|m| m.id == member) {
            return Err(Error::NotFound);
        }
        let roles: Vec<(Uuid, MemberRole)> = members
            .iter()
            .map(|m| {
                (
                    m.id,
                    MemberRole::parse(&m.role).unwrap_or(MemberRole::Member),
                )
            })
            .collect();
        itinera_domain::coordination::check_member_change(&roles, member, to)
            .map_err(Error::Rule)?;
        match to {
            Some(r) => store::set_member_role(&mut tx, member, r.code()).await?,
            None => store::remove_member(&mut tx, member, ctx.now).await?,
        }
        audit(
            &mut tx,
            actor,
            ctx,
            if to.is_some() {
                Action::BodyMemberRole
            } else {
                Action::BodyMemberRemove
            },
            Some(body),
            json!({"member": member, "role": to.map(|r| r.code())}),
        )
        .await?;
        tx.commit().await
    }

    /// The bodies the actor is a member of (in person or through their organisation).
    pub async fn bodies(&self, actor: &Actor) -> Result<Vec<Body>, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let b = store::bodies(&mut tx, actor.user_id, actor.organisation_id).await?;
        tx.commit().await?;
        Ok(b)
    }

    pub async fn body(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<BodyView, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let body = visible_body(&mut tx, actor, id).await?;
        let members = store::members(&mut tx, id).await?;
        let meetings = store::meetings(&mut tx, id).await?;
        let open_agreements = store::agreements_of_body(&mut tx, id, true)
            .await?
            .into_iter()
            .map(|a| view(a, ctx.today()))
            .collect();
        let runs = runs(actor, &members);
        let boards = itinera_store::boards::boards_of_body(&mut tx, id).await?;
        let protocols = self.protocol_lines(&mut tx, actor, ctx, Some(id)).await?;
        let network_agreements =
            store::network_agreements(&mut tx, "", Some(id), actor.user_id, actor.organisation_id)
                .await?;
        tx.commit().await?;
        let frequency = Frequency::parse(&body.frequency).unwrap_or(Frequency::Monthly);
        let anchor = body
            .first_meeting_on
            .unwrap_or(body.created_at.date_naive());
        let planned = planned_dates(
            anchor,
            frequency,
            body.custom_days.map(|d| d.max(1) as u16),
            ctx.today(),
            6,
        );
        Ok(BodyView {
            body,
            members,
            meetings,
            open_agreements,
            planned,
            runs,
            boards,
            protocols,
            network_agreements,
        })
    }

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
            let case = cases::get(&mut tx, id).await?;
            let visible = match &case {
                Some(c) => access::basis(
                    &mut tx,
                    c.participant_id,
                    actor.organisation_id,
                    actor.organisation_kind,
                    ctx.today(),
                )
                .await?
                .is_some(),
                None => false,
            };
            if !visible {
                return Err(Error::field(
                    format!("cases.{i}"),
                    "coordination.case_unknown",
                ));
            }
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
        for item in store::items(&mut tx, id).await? {
            let (visible, name) = match item.participant_id {
                Some(pid) => {
                    let ok = actor.can(Capability::ReadPersonData)
                        && access::basis(
                            &mut tx,
                            pid,
                            actor.organisation_id,
                            actor.organisation_kind,
                            ctx.today(),
                        )
                        .await?
                        .is_some();
                    if ok {
                        shown.push(pid);
                        (
                            true,
                            participants::get(&mut tx, pid)
                                .await?
                                .map(|p| p.data.full_name()),
                        )
                    } else {
                        (false, None)
                    }
                }
                None => (true, None),
            };
            items.push(ItemView {
                item,
                participant_name: name,
                visible,
            });
        }
        let members = store::members(&mut tx, body.id).await?;
        let invited = store::invitees(&mut tx, id).await?;
        let attendance = store::attendance(&mut tx, id).await?;
        let agreements = store::agreements_of_meeting(&mut tx, id)
            .await?
            .into_iter()
            .map(|a| view(a, ctx.today()))
            .collect();
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
            meeting,
            body,
            items,
            members,
            invited,
            attendance,
            agreements,
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
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let (m, b) = meeting_and_body(&mut tx, actor, meeting).await?;
        frozen(&m)?;
        let members = store::members(&mut tx, b.id).await?;
        let invited = store::invitees(&mut tx, meeting).await?;
        let mut errors = Vec::new();
        let mut ok = Vec::new();
        for (i, (member, att)) in rows.iter().enumerate() {
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
        for (mid, a) in &ok {
            store::set_attendance(&mut tx, meeting, *mid, a.code()).await?;
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
        if text.as_ref().is_some_and(|t| t.chars().count() > 20_000) {
            return Err(Error::field("minutes", "validation.too_long"));
        }
        let mut tx = self.store.write().await?;
        let (m, _) = meeting_and_body(&mut tx, actor, meeting).await?;
        frozen(&m)?;
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

    /// Approves the minutes: from now on they are frozen.
    pub async fn approve_minutes(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        meeting: Uuid,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        meeting_and_body(&mut tx, actor, meeting).await?;
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
        let from = AgreementStatus::parse(&a.status).unwrap_or(AgreementStatus::Open);
        let reason = itinera_domain::text::clean(reason);
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

    /// The actor's open agreements due within `days` (overdue ones included).
    pub(crate) async fn agreements_due(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        days: i64,
    ) -> Result<Vec<AgreementView>, Error> {
        let until = ctx.today() + Duration::days(days);
        let due: Vec<AgreementView> =
            store::agreements_due(tx, actor.user_id, actor.organisation_id, until)
                .await?
                .into_iter()
                .map(|a| view(a, ctx.today()))
                .collect();
        // An agreement found overdue is told to its owner once.
        for a in due.iter().filter(|a| a.overdue) {
            store::notify(
                tx,
                actor.user_id,
                actor.organisation_id,
                "agreement_overdue",
                a.agreement.id,
                ctx.now,
            )
            .await?;
        }
        Ok(due)
    }
}

impl Services {
    /// The cases the actor may put on a case table's agenda: their open team cases,
    /// with the person's name (an audited read).
    pub async fn agenda_cases(
        &self,
        actor: &Actor,
        ctx: &Ctx,
    ) -> Result<Vec<(Uuid, String)>, Error> {
        if !actor.can(Capability::ReadPersonData) {
            return Ok(Vec::new());
        }
        let mut tx = self.store.audited_read().await?;
        let cases = store::team_cases(
            &mut tx,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?;
        let ids: Vec<Uuid> = cases.iter().map(|(id, _)| *id).collect();
        finish(
            tx,
            actor,
            ctx,
            Action::CaseList,
            None,
            json!({"cases": ids}),
        )
        .await?;
        Ok(cases)
    }

    /// The organisations and professionals that may be named members (the network).
    pub async fn member_choices(&self, actor: &Actor) -> Result<Vec<(Uuid, String)>, Error> {
        actor.require(Capability::ConveneBodies)?;
        let mut tx = self.store.read().await?;
        let orgs = admin::organisations(&mut tx).await?;
        tx.commit().await?;
        Ok(orgs.into_iter().map(|o| (o.id, o.name)).collect())
    }
}

impl Services {
    /// The meetings of the actor's bodies between two dates.
    pub async fn calendar(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<store::CalendarEntry>, Error> {
        actor.require(Capability::Coordinate)?;
        if to < from || (to - from).num_days() > 400 {
            return Err(Error::field("to", "validation.date.range"));
        }
        let mut tx = self.store.read().await?;
        let c = store::calendar(&mut tx, actor.user_id, actor.organisation_id, from, to).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Whether the actor has a live calendar feed.
    pub async fn has_calendar_feed(&self, actor: &Actor) -> Result<bool, Error> {
        let mut tx = self.store.read().await?;
        let has = store::has_feed(&mut tx, actor.user_id, actor.organisation_id).await?;
        tx.commit().await?;
        Ok(has)
    }

    /// A new secret feed token for the actor (the previous one stops working). Shown
    /// once; only its hash is kept.
    pub async fn create_calendar_feed(&self, actor: &Actor, ctx: &Ctx) -> Result<String, Error> {
        actor.require(Capability::Coordinate)?;
        let token = format!("cal_{}", crate::auth::random_secret(32));
        let mut tx = self.store.write().await?;
        store::replace_feed(
            &mut tx,
            actor.user_id,
            actor.organisation_id,
            &crate::auth::secret_hash(&token),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CalendarFeedCreate,
            Some(actor.user_id),
            json!({}),
        )
        .await?;
        Ok(token)
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor, ctx: &Ctx) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        store::revoke_feeds(&mut tx, actor.user_id, actor.organisation_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CalendarFeedRevoke,
            Some(actor.user_id),
            json!({}),
        )
        .await
    }

    /// The iCalendar text of a feed: the meetings of the owner's bodies from three months
    /// back to a year ahead. It names bodies, times and places — never a participant
    /// (agenda items are not in it). An unknown or revoked token, or a deactivated user,
    /// is `NotFound`.
    pub async fn calendar_feed(
        &self,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, Error> {
        let mut tx = self.store.read().await?;
        let (u, o) = store::feed_owner(&mut tx, &crate::auth::secret_hash(token))
            .await?
            .ok_or(Error::NotFound)?;
        let actor = crate::auth::actor_for(&mut tx, u, o)
            .await
            .map_err(|_| Error::NotFound)?;
        if !actor.can(Capability::Coordinate) {
            return Err(Error::NotFound);
        }
        let today = now.date_naive();
        let entries = store::calendar(
            &mut tx,
            u,
            o,
            today - Duration::days(90),
            today + Duration::days(366),
        )
        .await?;
        tx.commit().await?;
        let time = |d: NaiveDate, t: &str| {
            d.and_time(chrono::NaiveTime::parse_from_str(t, "%H:%M").unwrap_or_default())
        };
        let events: Vec<itinera_domain::calendar::Event> = entries
            .iter()
            .map(|e| itinera_domain::calendar::Event {
                uid: format!("{}@itinera", e.id),
                starts: time(e.meeting_date, &e.starts),
                ends: time(e.meeting_date, &e.ends),
                summary: e.body_name.clone(),
                location: e.place.clone(),
                url: e.link.clone(),
                description: None,
            })
            .collect();
        Ok(itinera_domain::calendar::ics("Itinera", &events, now))
    }
}

/// A network agreement as listed: in force or not.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkAgreementView {
    #[serde(flatten)]
    pub agreement: store::NetworkAgreement,
    pub in_force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkAgreements {
    pub items: Vec<NetworkAgreementView>,
    pub in_force: usize,
    pub total: usize,
}

impl Services {
    /// Records a collaboration agreement or protocol between organisations.
    pub async fn create_network_agreement(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &itinera_domain::coordination::NetworkAgreementInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let d = input.validate()?;
        let mut tx = self.store.write().await?;
        for o in &d.parties {
            if !store::reference_exists(&mut tx, Reference::Organisations, *o).await? {
                return Err(Error::field("parties", "validation.choice"));
            }
        }
        for p in &d.programmes {
            if !store::reference_exists(&mut tx, Reference::Programmes, *p).await? {
                return Err(Error::field("programmes", "validation.choice"));
            }
        }
        // Only bodies the actor is a member of.
        for b in &d.bodies {
            if store::body(&mut tx, *b, actor.user_id, actor.organisation_id)
                .await?
                .is_none()
            {
                return Err(Error::field("bodies", "validation.choice"));
            }
        }
        let id = ctx.new_id();
        store::insert_network_agreement(&mut tx, id, &d, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::NetworkAgreementCreate,
            Some(id),
            json!({"parties": d.parties}),
        )
        .await?;
        Ok(id)
    }

    /// The network's agreements, searched by subject or party, with how many are in
    /// force today.
    pub async fn network_agreements(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        query: &str,
        body: Option<Uuid>,
    ) -> Result<NetworkAgreements, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        if let Some(b) = body {
            visible_body(&mut tx, actor, b).await?;
        }
        let rows =
            store::network_agreements(&mut tx, query, body, actor.user_id, actor.organisation_id)
                .await?;
        tx.commit().await?;
        let items: Vec<NetworkAgreementView> = rows
            .into_iter()
            .map(|a| NetworkAgreementView {
                in_force: itinera_domain::coordination::in_force(
                    a.signed_on,
                    a.valid_until,
                    ctx.today(),
                ),
                agreement: a,
            })
            .collect();
        Ok(NetworkAgreements {
            in_force: items.iter().filter(|a| a.in_force).count(),
            total: items.len(),
            items,
        })
    }
}

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
    let (m, b) = meeting_and_body(tx, actor, meeting).await?;
    frozen(&m)?;
    let members = store::members(tx, b.id).await?;
    let owner_org = match d.owner {
        Owner::User(u) => members
            .iter()
            .find(|x| x.user_id == Some(u))
            .map(|x| x.organisation_id),
        Owner::Organisation(o) => members
            .iter()
            .find(|x| x.organisation_id == o)
            .map(|x| x.organisation_id),
    }
    .ok_or_else(|| Error::field("owner", "coordination.owner_not_member"))?;
    if let Some(c) = d.case_id {
        let items = store::items(tx, meeting).await?;
        if !items.iter().any(|i| i.case_id == Some(c)) {
            return Err(Error::field("case_id", "coordination.case_not_on_agenda"));
        }
    }
    let id = ctx.new_id();
    store::insert_agreement(tx, id, b.id, meeting, &d, owner_org, actor.user_id, ctx.now).await?;
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
        store::notify(tx, u, owner_org, "agreement_assigned", id, ctx.now).await?;
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

/// A body's coordination report for a period, with the body it is about.
#[derive(Debug, Clone, Serialize)]
pub struct BodyReport {
    pub body: Body,
    #[serde(flatten)]
    pub report: itinera_domain::coordination_report::Report,
}

impl Services {
    /// The coordination report of a body the actor is a member of: counts only (no
    /// person is named in it), so any member may read it.
    pub async fn coordination_report(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        from: &str,
        to: &str,
    ) -> Result<BodyReport, Error> {
        use itinera_domain::coordination_report::{
            build, AgreementFact, AttendanceFact, JointInterviews, MeetingFact, Period, Schedule,
        };
        use itinera_store::coordination_report as facts;
        actor.require(Capability::Coordinate)?;
        let today = ctx.today();
        let period = Period::parse(from, to, today)?;
        let mut tx = self.store.read().await?;
        let b = visible_body(&mut tx, actor, body).await?;
        let meetings = facts::meetings(&mut tx, body, period.from, period.to).await?;
        let attendance = facts::attendance(&mut tx, body, period.from, period.to).await?;
        let start = period.from.and_time(chrono::NaiveTime::MIN).and_utc();
        let end = (period.to + Duration::days(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let agreements = facts::agreements(&mut tx, body, start, end).await?;
        let cases = facts::cases_reviewed(&mut tx, body, period.from, period.to).await?;
        let (joint, joint_total) =
            facts::joint_interviews(&mut tx, body, period.from, period.to).await?;
        tx.commit().await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let schedule = Schedule {
            anchor: b.first_meeting_on.unwrap_or(b.created_at.date_naive()),
            frequency: Frequency::parse(&b.frequency).unwrap_or(Frequency::Monthly),
            custom_days: b.custom_days.map(|d| d.max(1) as u16),
        };
        let report = build(
            period,
            today,
            schedule,
            &meetings
                .into_iter()
                .map(|(date, present)| MeetingFact {
                    date,
                    present: count(present),
                })
                .collect::<Vec<_>>(),
            &attendance
                .into_iter()
                .filter_map(|(meeting_date, organisation_id, organisation, a)| {
                    Some(AttendanceFact {
                        meeting_date,
                        organisation_id,
                        organisation,
                        attendance: Attendance::parse(&a)?,
                    })
                })
                .collect::<Vec<_>>(),
            &agreements
                .into_iter()
                .map(|(made, status, due_on, done_on)| AgreementFact {
                    made_on: made.date_naive(),
                    status: AgreementStatus::parse(&status).unwrap_or(AgreementStatus::Open),
                    due_on,
                    done_on,
                })
                .collect::<Vec<_>>(),
            count(cases),
            joint
                .into_iter()
                .map(|(organisation, n)| JointInterviews {
                    organisation,
                    count: count(n),
                })
                .collect(),
            count(joint_total),
        );
        Ok(BodyReport { body: b, report })
    }
}
