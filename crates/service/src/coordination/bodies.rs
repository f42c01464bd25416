//! Convening a body, naming and changing its members, editing it, and the body's page
//! (members, meetings, open agreements, planned dates, boards, protocols, network
//! agreements); the cases and members a form may offer.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::coordination::{plan_meetings, BodyInput, Frequency, MemberRole};
use itinera_domain::input::optional_id;
use itinera_domain::Error;
use itinera_store::admin;
use itinera_store::coordination::{self as store, Reference};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::{require_runs, runs, visible_body};
use crate::{Ctx, Services};

use super::{view, AgreementView, Body, BodyMember, Meeting};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BodyView {
    pub body: Body,
    pub members: Vec<BodyMember>,
    pub meetings: Vec<Meeting>,
    pub open_agreements: Vec<AgreementView>,
    /// The coming meetings its frequency plans (from today), on working days that are
    /// not public holidays of its territory nor days it already meets.
    pub planned: Vec<PlannedMeeting>,
    /// Its improvement boards.
    pub boards: Vec<BoardLine>,
    /// Its protocols and guides.
    pub protocols: Vec<crate::protocols::ProtocolLine>,
    /// The network agreements that serve it.
    pub network_agreements: Vec<super::NetworkAgreement>,
    /// Whether the reader runs the body (chair or secretary, and may convene).
    pub runs: bool,
}

/// One coming meeting of a body's plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedMeeting {
    /// The day proposed, or the day of the meeting already convened for it.
    pub on: NaiveDate,
    /// The day the frequency gives, when the proposal moved away from it (a weekend, a
    /// holiday or a day the body already meets).
    pub moved_from: Option<NaiveDate>,
    /// The meeting already convened for this occurrence.
    pub meeting_id: Option<Uuid>,
}

/// One of a body's improvement boards, as its page lists it (the board itself is
/// `boards::BoardView`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardLine {
    pub id: Uuid,
    pub question: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MemberInput {
    pub organisation_id: String,
    /// A professional by id (the API) …
    pub user_id: String,
    /// … or by user name (the form); both empty: the organisation as a whole.
    pub username: String,
    pub role: String,
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
        // A programme (1) or project (2) table's members see the programme's figures
        // and its pseudonymised list (`body_overview`): such a table is convened by who
        // may read those, or by an organisation that works in that programme.
        if d.level.number() < 3
            && !actor.can(Capability::ReadAggregates)
            && !store::takes_part(&mut tx, actor.organisation_id, d.programme_id, d.project_id)
                .await?
        {
            return Err(Error::field("level", "coordination.level_needs_aggregates"));
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
        // Who does not run the body learns nothing, not even whether a user exists.
        require_runs(&mut tx, actor, body).await?;
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
        let b = store::bodies(&mut tx, actor.user(), actor.organisation()).await?;
        tx.commit().await?;
        Ok(b.into_iter().map(Into::into).collect())
    }

    pub async fn body(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<BodyView, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.audited_read().await?;
        let body = visible_body(&mut tx, actor, id).await?;
        let members = store::members(&mut tx, id).await?;
        let meetings = store::meetings(&mut tx, id).await?;
        let mut open_agreements: Vec<AgreementView> = store::agreements_of_body(&mut tx, id, true)
            .await?
            .into_iter()
            .map(|a| view(a, ctx.today()))
            .collect();
        // The words of an agreement about a case are a read of its person's data.
        let shown = super::redact_agreements(&mut tx, actor, ctx, &mut open_agreements).await?;
        let runs = runs(actor, &members);
        let boards = itinera_store::boards::boards_of_body(&mut tx, id).await?;
        let protocols = self.protocol_lines(&mut tx, actor, ctx, Some(id)).await?;
        let network_agreements =
            store::network_agreements(&mut tx, "", Some(id), actor.user(), actor.organisation())
                .await?;
        let territory = match body.territory_id {
            Some(t) => Some(t),
            None => itinera_store::admin::organisation(&mut tx, body.organisation_id)
                .await?
                .and_then(|o| o.territory_id),
        };
        // Far enough ahead for six quarterly meetings.
        let holidays = crate::admin::holiday_days(
            &mut tx,
            territory,
            ctx.today(),
            ctx.today() + chrono::Duration::days(800),
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BodyRead,
            Some(id),
            json!({"participants": shown}),
        )
        .await?;
        let frequency = Frequency::parse(&body.frequency).unwrap_or(Frequency::Monthly);
        let anchor = body
            .first_meeting_on
            .unwrap_or(self.settings.zone.local(body.created_at).date());
        let meeting_days: Vec<NaiveDate> = meetings.iter().map(|m| m.meeting_date).collect();
        let planned = plan_meetings(
            anchor,
            frequency,
            body.custom_days.map(|d| d.max(1) as u16),
            ctx.today(),
            6,
            &holidays,
            &meeting_days,
        )
        .into_iter()
        .map(|p| PlannedMeeting {
            on: p.on,
            moved_from: (p.convened.is_none() && p.on != p.nominal).then_some(p.nominal),
            meeting_id: p
                .convened
                .and_then(|d| meetings.iter().find(|m| m.meeting_date == d))
                .map(|m| m.id),
        })
        .collect();
        Ok(BodyView {
            body: body.into(),
            members: members.into_iter().map(Into::into).collect(),
            meetings: meetings.into_iter().map(Into::into).collect(),
            open_agreements,
            planned,
            runs,
            boards: boards
                .into_iter()
                .map(|b| BoardLine {
                    id: b.id,
                    question: b.question,
                    opens_on: b.opens_on,
                    closes_on: b.closes_on,
                })
                .collect(),
            protocols,
            network_agreements: network_agreements.into_iter().map(Into::into).collect(),
        })
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
            actor.user(),
            actor.organisation(),
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
