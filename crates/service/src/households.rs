//! Households (`domain::household`): formed from a participant (its head), with members
//! who are participants — each keeping their own record and access rule — or people
//! who are not; members join and leave on dates and the headship passes, all kept as
//! the household's history. Read whole by whoever may read one of its current
//! participant members (when none is left, one of those who left it last); a reader
//! who may see only someone who left reads it as it was on the day that person left,
//! without its notes, and changes nothing. A participant member the reader may not see
//! is left out of the household as they read it — with the changes about them and who
//! recorded those — and cannot be written about. Changed by a writer who reads it
//! whole.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::household::{
    dependants, may_leave, ChangeKind, Current, DepartureInput, HeadInput, HouseholdInput,
    MemberInput, Relationship, Who,
};
use itinera_domain::ids::ParticipantId;
use itinera_domain::Error;
use itinera_store::households::{self as store, NewChange, NewHousehold, NewMember};
use itinera_store::{access, participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::require_basis;
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// A member as the reader may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    /// The member is a registered participant.
    pub is_participant: bool,
    /// The participant's id, when the reader may see them.
    pub participant_id: Option<Uuid>,
    /// The name: a participant's only when the reader may see them.
    pub name: Option<String>,
    /// `head`, `partner`, `child`, …
    pub relationship: String,
    pub head: bool,
    /// A participant's only when the reader may see them.
    pub birth_year: Option<i32>,
    pub dependent: bool,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_note: Option<String>,
}

/// One change of the household's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeView {
    /// `formed`, `joined`, `left` or `head_changed`.
    pub kind: String,
    pub on_date: NaiveDate,
    /// Whom it concerns, as the reader may see them (none for a hidden participant).
    pub member_name: Option<String>,
    pub note: Option<String>,
    pub by_name: String,
    pub by_organisation_name: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: Uuid,
    pub formed_on: NaiveDate,
    /// When its last member left.
    pub ended_on: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Shown as it was on this day (the last day a member the reader may see was in
    /// it); none: as it is.
    pub as_of: Option<NaiveDate>,
    /// Current members, the head first.
    pub members: Vec<MemberView>,
    /// Those who left.
    pub former_members: Vec<MemberView>,
    /// Current members who depend on the household.
    pub dependants: usize,
    pub history: Vec<ChangeView>,
    /// The reader may add members, record departures and change the head.
    pub can_write: bool,
    pub version: i32,
}

/// A household the participant left.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormerHousehold {
    pub household_id: Uuid,
    pub joined_on: NaiveDate,
    pub left_on: NaiveDate,
}

/// A participant's household: the current one, and those they left.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantHousehold {
    pub participant_id: Uuid,
    pub participant_name: String,
    pub household: Option<HouseholdView>,
    pub former: Vec<FormerHousehold>,
    /// The reader may form a household from this participant (none current).
    pub can_form: bool,
}

fn member_view(m: &store::Member) -> MemberView {
    MemberView {
        id: m.id,
        is_participant: m.participant_id.is_some(),
        participant_id: m.participant_id,
        name: match m.participant_id {
            Some(_) => m.participant_name.clone(),
            None => m.name.clone(),
        },
        relationship: m.relationship.clone(),
        head: m.head,
        birth_year: match m.participant_id {
            Some(_) => m.participant_birth_date.map(|d| chrono::Datelike::year(&d)),
            None => m.birth_year,
        },
        dependent: m.dependent,
        joined_on: m.joined_on,
        left_on: m.left_on,
        left_note: m.left_note.clone(),
    }
}

/// Whether a member is shown to the reader: a person who is not a participant, or a
/// participant the reader may see. Any other participant is left out of the household
/// as the reader reads it — with the changes about them and who recorded those — so
/// that it does not tell that someone of the household is known to another service.
fn shown(m: &store::Member) -> bool {
    m.participant_id.is_none() || m.visible == 1
}

/// Whether the actor may read any participant among `pids`.
async fn sees_any(tx: &mut Tx, actor: &Actor, ctx: &Ctx, pids: &[Uuid]) -> Result<bool, Error> {
    for pid in pids {
        if access::basis(
            tx,
            ParticipantId(*pid),
            actor.organisation(),
            actor.organisation_kind,
            ctx.today(),
        )
        .await?
        .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How much of a household the reader may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// All of it: the reader may see one of its current participant members (or, when
    /// none is left, one of the participants who left it last).
    Whole,
    /// Only as it was up to the day the last member the reader may see left it: what
    /// happened after is no longer that person's household.
    Until(NaiveDate),
}

/// The household, if the actor may read one of its participant members, and how much
/// of it; refused like a household that does not exist otherwise.
async fn readable(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    id: Uuid,
) -> Result<(store::Household, Reach), Error> {
    actor.require_person(Capability::ReadPersonData)?;
    let h = store::get(tx, id).await?.ok_or(Error::NotFound)?;
    let memberships = store::participant_memberships(tx, id).await?;
    let with = |pred: &dyn Fn(Option<NaiveDate>) -> bool| -> Vec<Uuid> {
        memberships
            .iter()
            .filter(|(_, left)| pred(*left))
            .map(|(p, _)| *p)
            .collect()
    };
    let current = with(&|left| left.is_none());
    if sees_any(tx, actor, ctx, &current).await? {
        return Ok((h, Reach::Whole));
    }
    // No participant is left in it (it has ended, or only people who are not
    // participants remain): it is still the household of those who left it last.
    if current.is_empty() {
        let last = memberships.iter().filter_map(|(_, left)| *left).max();
        if sees_any(
            tx,
            actor,
            ctx,
            &with(&|left| left.is_some() && left == last),
        )
        .await?
        {
            return Ok((h, Reach::Whole));
        }
    }
    let mut until: Option<NaiveDate> = None;
    for (pid, left) in &memberships {
        let Some(left) = *left else { continue };
        if until.is_some_and(|u| u >= left) {
            continue;
        }
        if sees_any(tx, actor, ctx, &[*pid]).await? {
            until = Some(left);
        }
    }
    until.map(|u| (h, Reach::Until(u))).ok_or(Error::NotFound)
}

async fn view_in(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    h: store::Household,
    reach: Reach,
) -> Result<HouseholdView, Error> {
    let all = store::members(
        tx,
        h.id,
        actor.organisation_id,
        actor.organisation_kind.code(),
        ctx.today(),
    )
    .await?;
    let cut = match reach {
        Reach::Whole => None,
        Reach::Until(day) => Some(day),
    };
    let hidden: Vec<Uuid> = all.iter().filter(|m| !shown(m)).map(|m| m.id).collect();
    // As it was on the cut: who had joined, and a departure after it not yet made.
    let rows: Vec<store::Member> = all
        .into_iter()
        .filter(|m| shown(m) && cut.is_none_or(|day| m.joined_on <= day))
        .map(|mut m| {
            if let (Some(day), Some(left)) = (cut, m.left_on) {
                if left > day {
                    m.left_on = None;
                    m.left_note = None;
                }
            }
            m
        })
        .collect();
    let (current, former): (Vec<_>, Vec<_>) = rows.iter().partition(|m| m.left_on.is_none());
    let name_of = |id: Option<Uuid>| {
        id.and_then(|id| rows.iter().find(|m| m.id == id))
            .and_then(|m| member_view(m).name)
    };
    let history = store::changes(tx, h.id)
        .await?
        .into_iter()
        .filter(|c| c.member_id.is_none_or(|id| !hidden.contains(&id)))
        .filter(|c| cut.is_none_or(|day| c.on_date <= day))
        .map(|c| ChangeView {
            member_name: name_of(c.member_id),
            kind: c.kind,
            on_date: c.on_date,
            note: c.note,
            by_name: c.by_name,
            by_organisation_name: c.by_organisation_name,
            at: c.at,
        })
        .collect();
    let can_write =
        reach == Reach::Whole && h.ended_on.is_none() && actor.can(Capability::WritePersonData);
    Ok(HouseholdView {
        id: h.id,
        formed_on: h.formed_on,
        ended_on: h.ended_on.filter(|end| cut.is_none_or(|day| *end <= day)),
        // Notes are the household's as it is now: not for a reader of its past.
        notes: if cut.is_none() { h.notes } else { None },
        as_of: cut,
        dependants: dependants(&current.iter().map(|m| m.dependent).collect::<Vec<_>>()),
        members: current.into_iter().map(member_view).collect(),
        former_members: former.into_iter().map(member_view).collect(),
        history,
        can_write,
        version: h.version,
    })
}

/// Opens a household for a change: it exists, is not over, and the actor may write.
async fn for_change(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    id: Uuid,
) -> Result<store::Household, Error> {
    // One change of a household at a time (on PostgreSQL two would each read the
    // members before the other's write: a head change and the new head's departure
    // would leave it with none); what follows reads it as the last change left it.
    store::lock(tx, id).await?;
    let (h, reach) = readable(tx, actor, ctx, id).await?;
    actor.require(Capability::WritePersonData)?;
    if h.ended_on.is_some() {
        return Err(Error::Rule("household.ended"));
    }
    if reach != Reach::Whole {
        return Err(Error::NotFound);
    }
    Ok(h)
}

/// The current member a change is about, if the reader may see them: a participant
/// the reader may not see is refused like one who is not a member, and an anonymised
/// one is not written about again.
async fn member_to_change(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    hid: Uuid,
    member: Uuid,
) -> Result<(Vec<store::Member>, store::Member), Error> {
    let rows = store::members(
        tx,
        hid,
        actor.organisation_id,
        actor.organisation_kind.code(),
        ctx.today(),
    )
    .await?;
    let m = rows
        .iter()
        .find(|m| m.id == member && m.left_on.is_none() && shown(m))
        .cloned()
        .ok_or(Error::NotFound)?;
    if let Some(pid) = m.participant_id {
        crate::guard::require_not_anonymised(tx, pid).await?;
    }
    Ok((rows, m))
}

#[allow(clippy::too_many_arguments)]
async fn change(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    h: &store::Household,
    member: Option<Uuid>,
    kind: ChangeKind,
    on_date: NaiveDate,
    note: Option<&str>,
) -> Result<(), Error> {
    store::record_change(
        tx,
        &NewChange {
            id: ctx.new_id(),
            household_id: h.id,
            home_organisation_id: h.home_organisation_id,
            member_id: member,
            kind,
            on_date,
            note,
            by: actor.user_id,
            by_organisation: actor.organisation_id,
            now: ctx.now,
        },
    )
    .await
}

/// The participants a household view names (for the audit row of its read).
fn shown_participants(v: &HouseholdView) -> Vec<Uuid> {
    v.members
        .iter()
        .chain(&v.former_members)
        .filter_map(|m| m.participant_id)
        .collect()
}

impl Services {
    /// A participant's household (audited read).
    pub async fn participant_household(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        pid: Uuid,
    ) -> Result<ParticipantHousehold, Error> {
        let mut tx = self.store.audited_read().await?;
        require_basis(&mut tx, actor, ctx, Capability::ReadPersonData, pid).await?;
        let p = participants::get(&mut tx, pid)
            .await?
            .ok_or(Error::NotFound)?;
        let household = match store::current_of(&mut tx, pid).await? {
            Some(hid) => {
                let h = store::get(&mut tx, hid).await?.ok_or(Error::NotFound)?;
                Some(view_in(&mut tx, actor, ctx, h, Reach::Whole).await?)
            }
            None => None,
        };
        let former = store::former_of(&mut tx, pid)
            .await?
            .into_iter()
            .map(|(household_id, joined_on, left_on)| FormerHousehold {
                household_id,
                joined_on,
                left_on,
            })
            .collect();
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdRead,
            household.as_ref().map(|h| h.id),
            json!({"participant": pid,
                   "participants": household.as_ref().map(shown_participants)}),
        )
        .await?;
        Ok(ParticipantHousehold {
            participant_id: pid,
            participant_name: p.data.full_name(),
            can_form: household.is_none() && actor.can(Capability::WritePersonData),
            household,
            former,
        })
    }

    /// One household (audited read).
    pub async fn household(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<HouseholdView, Error> {
        let mut tx = self.store.audited_read().await?;
        let (h, reach) = readable(&mut tx, actor, ctx, id).await?;
        let v = view_in(&mut tx, actor, ctx, h, reach).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdRead,
            Some(id),
            json!({"participants": shown_participants(&v), "as_of": v.as_of}),
        )
        .await?;
        Ok(v)
    }

    /// Forms a household headed by the participant (who is in none at present).
    pub async fn form_household(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        pid: Uuid,
        input: &HouseholdInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        require_basis(&mut tx, actor, ctx, Capability::WritePersonData, pid).await?;
        let data = input.validate(ctx.today())?;
        if store::current_of(&mut tx, pid).await?.is_some() {
            return Err(Error::Rule("household.member_elsewhere"));
        }
        let p = participants::get(&mut tx, pid)
            .await?
            .ok_or(Error::NotFound)?;
        let id = ctx.new_id();
        let h = store::Household {
            id,
            home_organisation_id: p.home_organisation_id,
            formed_on: data.formed_on,
            ended_on: None,
            notes: data.notes.clone(),
            version: 1,
        };
        store::insert(
            &mut tx,
            &NewHousehold {
                id,
                home_organisation_id: h.home_organisation_id,
                formed_on: data.formed_on,
                notes: data.notes.as_deref(),
                by: actor.user_id,
                now: ctx.now,
            },
        )
        .await?;
        let member = ctx.new_id();
        store::insert_member(
            &mut tx,
            &NewMember {
                id: member,
                household_id: id,
                home_organisation_id: h.home_organisation_id,
                participant_id: Some(pid),
                name: None,
                relationship: Relationship::Head,
                head: true,
                birth_year: None,
                dependent: false,
                joined_on: data.formed_on,
                by: actor.user_id,
                now: ctx.now,
            },
        )
        .await?;
        change(
            &mut tx,
            actor,
            ctx,
            &h,
            Some(member),
            ChangeKind::Formed,
            data.formed_on,
            None,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdCreate,
            Some(id),
            json!({"participant": pid}),
        )
        .await?;
        Ok(id)
    }

    /// Adds a member: a participant the actor may see (by identity document; one not
    /// found and one not visible are told apart by nothing) or a person by name.
    pub async fn add_household_member(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &MemberInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let h = for_change(&mut tx, actor, ctx, id).await?;
        let data = input.validate(ctx.today())?;
        if data.joined_on < h.formed_on {
            return Err(Error::field(
                "joined_on",
                "validation.household.before_formed",
            ));
        }
        let (participant_id, name) = match &data.who {
            Who::Name(n) => (None, Some(n.as_str())),
            Who::Document(number) => {
                let mut found = None;
                for pid in store::by_document(&mut tx, number).await? {
                    if sees_any(&mut tx, actor, ctx, &[pid]).await? {
                        found = Some(pid);
                        break;
                    }
                }
                match found {
                    Some(pid) => (Some(pid), None),
                    None => {
                        return Err(Error::field(
                            "document",
                            "validation.household.person_not_found",
                        ))
                    }
                }
            }
        };
        let member = ctx.new_id();
        store::insert_member(
            &mut tx,
            &NewMember {
                id: member,
                household_id: id,
                home_organisation_id: h.home_organisation_id,
                participant_id,
                name,
                relationship: data.relationship,
                head: false,
                birth_year: if participant_id.is_some() {
                    None
                } else {
                    data.birth_year
                },
                dependent: data.dependent,
                joined_on: data.joined_on,
                by: actor.user_id,
                now: ctx.now,
            },
        )
        .await?;
        change(
            &mut tx,
            actor,
            ctx,
            &h,
            Some(member),
            ChangeKind::Joined,
            data.joined_on,
            None,
        )
        .await?;
        store::touch(&mut tx, id, ctx.now, None).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdMemberAdd,
            Some(id),
            json!({"member": member, "participant": participant_id,
                   "relationship": data.relationship.code()}),
        )
        .await?;
        Ok(member)
    }

    /// A member leaves; the head only as the last member, which ends the household.
    pub async fn household_departure(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        member: Uuid,
        input: &DepartureInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let h = for_change(&mut tx, actor, ctx, id).await?;
        let (rows, _) = member_to_change(&mut tx, actor, ctx, id, member).await?;
        let current: Vec<Current> = rows
            .iter()
            .filter(|m| m.left_on.is_none())
            .map(|m| Current {
                id: m.id,
                head: m.head,
            })
            .collect();
        may_leave(&current, member).map_err(|k| match k {
            "household.not_member" => Error::NotFound,
            k => Error::Rule(k),
        })?;
        let joined_on = rows
            .iter()
            .find(|m| m.id == member)
            .map(|m| m.joined_on)
            .ok_or(Error::NotFound)?;
        let (left_on, note) = input.validate(joined_on, ctx.today())?;
        if !store::leave(&mut tx, member, left_on, note.as_deref()).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        change(
            &mut tx,
            actor,
            ctx,
            &h,
            Some(member),
            ChangeKind::Left,
            left_on,
            note.as_deref(),
        )
        .await?;
        let last = current.len() == 1;
        store::touch(&mut tx, id, ctx.now, last.then_some(left_on)).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdMemberLeave,
            Some(id),
            json!({"member": member, "ended": last}),
        )
        .await
    }

    /// The headship passes to another current member.
    pub async fn change_household_head(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &HeadInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let h = for_change(&mut tx, actor, ctx, id).await?;
        let (member, former) = input.validate()?;
        let m = member_to_change(&mut tx, actor, ctx, id, member)
            .await
            .map_err(|e| match e {
                Error::NotFound => Error::field("member_id", "validation.choice"),
                e => e,
            })?
            .1;
        if m.head {
            return Err(Error::field("member_id", "household.already_head"));
        }
        store::set_head(&mut tx, id, member, former).await?;
        change(
            &mut tx,
            actor,
            ctx,
            &h,
            Some(member),
            ChangeKind::HeadChanged,
            ctx.today(),
            None,
        )
        .await?;
        store::touch(&mut tx, id, ctx.now, None).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HouseholdHeadChange,
            Some(id),
            json!({"member": member}),
        )
        .await
    }
}
