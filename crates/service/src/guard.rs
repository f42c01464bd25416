//! The access guards, in one place: every service that touches a person's data, a
//! case's work or a coordination body checks the actor through these, and features
//! depend on this module rather than on each other.
//!
//! - A person: `require_basis` (role, then the access rule's basis: registered, or on
//!   the team of one of their cases with a sharing consent). A refusal is `NotFound`,
//!   the same answer as for an id that does not exist.
//! - A case: `load_case` (the person's basis, through the case); writing into it
//!   (assessments, itinerary, contacts) is for writers on its team:
//!   `require_team_writer`.
//! - A coordination body: seen by its members only (`visible_body`); run by its chair or
//!   secretary (`runs`, `require_runs`).

use itinera_domain::access::{Actor, Basis, Capability};
use itinera_domain::coordination::MemberRole;
use itinera_domain::ids::{BodyId, ParticipantId};
use itinera_domain::Error;
use itinera_store::cases::{Case, TeamMember};
use itinera_store::coordination::{self as store, Body, Member};
use itinera_store::{access, cases, Tx};
use uuid::Uuid;

use crate::Ctx;

/// Checks the actor's role and basis for a person, inside `tx`. A refusal is `NotFound`,
/// the same answer as for an id that does not exist.
pub(crate) async fn require_basis(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    cap: Capability,
    pid: Uuid,
) -> Result<Basis, Error> {
    actor.require_person(cap)?;
    let basis = access::basis(
        tx,
        ParticipantId(pid),
        actor.organisation(),
        actor.organisation_kind,
        ctx.today(),
    )
    .await?;
    if basis.is_none() {
        // Refused like a record that does not exist, and noted for the audit log.
        ctx.refusals.note(actor.user_id, actor.organisation_id, pid);
    }
    let basis = basis.ok_or(Error::NotFound)?;
    if cap != Capability::ReadPersonData {
        require_not_anonymised(tx, pid).await?;
    }
    Ok(basis)
}

/// An anonymised record is read, never written again (its data, a new case, the work on
/// its cases): its identity is gone for good.
pub(crate) async fn require_not_anonymised(tx: &mut Tx, pid: Uuid) -> Result<(), Error> {
    if access::anonymised(tx, pid).await? {
        Err(Error::Rule("privacy.anonymised"))
    } else {
        Ok(())
    }
}

/// The case, if the actor's role allows `cap` and they have a basis for its person.
pub(crate) async fn load_case(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    cap: Capability,
    id: Uuid,
) -> Result<Case, Error> {
    actor.require_person(cap)?;
    let case = cases::get(tx, id).await?.ok_or(Error::NotFound)?;
    require_basis(tx, actor, ctx, cap, case.participant_id).await?;
    Ok(case)
}

/// Whether the actor, acting for their organisation, is on the case's team now.
pub(crate) async fn on_team(tx: &mut Tx, actor: &Actor, case: &Case) -> Result<bool, Error> {
    Ok(in_team(&cases::team(tx, case.id).await?, actor))
}

/// Whether the actor, acting for their organisation, is in `team`.
pub(crate) fn in_team(team: &[TeamMember], actor: &Actor) -> bool {
    team.iter()
        .any(|m| m.user_id == actor.user_id && m.organisation_id == actor.organisation_id)
}

/// Running a case (its phase, its status, its team) is for case managers of its home
/// organisation or on its team, never on an anonymised record: seeing the person
/// through another case or a consent is not enough to take over this one.
pub(crate) async fn require_case_runner(
    tx: &mut Tx,
    actor: &Actor,
    case: &Case,
) -> Result<(), Error> {
    actor.require(Capability::ManageCases)?;
    require_not_anonymised(tx, case.participant_id).await?;
    if case.home_organisation_id == actor.organisation_id || on_team(tx, actor, case).await? {
        Ok(())
    } else {
        Err(Error::Rule("case.team.required"))
    }
}

/// Writing into a case (assessments, itinerary, contacts) is for writers on its team.
pub(crate) async fn require_team_writer(
    tx: &mut Tx,
    actor: &Actor,
    case: &Case,
) -> Result<(), Error> {
    actor.require(Capability::WritePersonData)?;
    require_not_anonymised(tx, case.participant_id).await?;
    if on_team(tx, actor, case).await? {
        Ok(())
    } else {
        Err(Error::Rule("case.team.required"))
    }
}

/// The body, if the actor is a member (in person or through their organisation);
/// `NotFound` otherwise.
pub(crate) async fn visible_body(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<Body, Error> {
    store::body(tx, BodyId(id), actor.user(), actor.organisation())
        .await?
        .ok_or(Error::NotFound)
}

/// Whether the actor runs a body with these members: a member in person, as its chair
/// or secretary, with a role that may convene.
pub(crate) fn runs(actor: &Actor, members: &[Member]) -> bool {
    actor.can(Capability::ConveneBodies)
        && members.iter().any(|m| {
            m.user_id == Some(actor.user_id)
                && MemberRole::parse(&m.role)
                    .is_some_and(itinera_domain::coordination::runs_the_body)
        })
}

/// The actor runs the body (see `runs`); refused otherwise. The body must be visible
/// to them.
pub(crate) async fn require_runs(tx: &mut Tx, actor: &Actor, body: Uuid) -> Result<Body, Error> {
    actor.require(Capability::ConveneBodies)?;
    let b = visible_body(tx, actor, body).await?;
    if runs(actor, &store::members(tx, body).await?) {
        Ok(b)
    } else {
        Err(Error::Forbidden)
    }
}
