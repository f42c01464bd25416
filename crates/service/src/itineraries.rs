//! The joint itinerary of a case: the plan (commitments, language, review date), goals,
//! actions owned by each service, the signed agreement versions with their differences,
//! and reviews.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::assessment::Instrument;
use itinera_domain::itinerary::{
    check_action, check_goal, check_plan, check_review, check_signature, diff, ActionInput,
    Difference, GoalInput, PlanInput, ReviewInput, SignInput, SnapAction, SnapGoal, Snapshot,
};
use itinera_domain::Error;
use itinera_store::cases::Case;
use itinera_store::itineraries::{
    self, Action, Goal, Itinerary, NewReview, NewVersion, VersionRow,
};
use itinera_store::{cases, participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assessments::goal_frame;
use crate::audit::{self, finish};
use crate::guard::load_case;
use crate::guard::{in_team, require_team_writer};
use crate::{Ctx, Services};

/// A signed, frozen version of the agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedVersion {
    pub number: i32,
    pub signed_on: chrono::NaiveDate,
    pub signatories: Vec<String>,
    pub recorded_by_name: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub snapshot: Snapshot,
}

fn signed(v: VersionRow) -> Result<SignedVersion, Error> {
    Ok(SignedVersion {
        number: v.number,
        signed_on: v.signed_on,
        signatories: serde_json::from_str(&v.signatories)
            .map_err(|e| Error::Internal(e.to_string()))?,
        recorded_by_name: v.recorded_by_name,
        recorded_at: v.recorded_at,
        snapshot: serde_json::from_str(&v.snapshot).map_err(|e| Error::Internal(e.to_string()))?,
    })
}

// ---- What leaves the server -------------------------------------------------------

/// The itinerary's plan: commitments, language, review date, versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItineraryPlan {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub commitments: String,
    pub language: String,
    pub review_on: Option<NaiveDate>,
    pub signed_versions: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<itinera_store::itineraries::Itinerary> for ItineraryPlan {
    fn from(r: itinera_store::itineraries::Itinerary) -> Self {
        ItineraryPlan {
            id: r.id,
            case_id: r.case_id,
            home_organisation_id: r.home_organisation_id,
            commitments: r.commitments,
            language: r.language,
            review_on: r.review_on,
            signed_versions: r.signed_versions,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItineraryGoal {
    pub id: Uuid,
    pub domain: String,
    pub description: String,
    pub target_on: Option<NaiveDate>,
    pub status: String,
    pub position: i32,
    /// Sent back with a change (a change on one changed meanwhile is refused).
    pub version: i32,
}

impl From<itinera_store::itineraries::Goal> for ItineraryGoal {
    fn from(r: itinera_store::itineraries::Goal) -> Self {
        ItineraryGoal {
            id: r.id,
            domain: r.domain,
            description: r.description,
            target_on: r.target_on,
            status: r.status,
            position: r.position,
            version: r.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItineraryAction {
    pub id: Uuid,
    pub goal_id: Option<Uuid>,
    pub kind: String,
    pub service: String,
    pub description: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub responsible_id: Uuid,
    pub responsible_name: String,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    /// Sent back with a change (a change on one changed meanwhile is refused).
    pub version: i32,
}

impl From<itinera_store::itineraries::Action> for ItineraryAction {
    fn from(r: itinera_store::itineraries::Action) -> Self {
        ItineraryAction {
            id: r.id,
            goal_id: r.goal_id,
            kind: r.kind,
            service: r.service,
            description: r.description,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            responsible_id: r.responsible_id,
            responsible_name: r.responsible_name,
            starts_on: r.starts_on,
            due_on: r.due_on,
            status: r.status,
            status_reason: r.status_reason,
            version: r.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItineraryReview {
    pub id: Uuid,
    pub reviewed_on: NaiveDate,
    pub progress: String,
    pub next_review_on: Option<NaiveDate>,
    pub reviewer_name: String,
    pub reviewer_organisation_name: String,
}

impl From<itinera_store::itineraries::Review> for ItineraryReview {
    fn from(r: itinera_store::itineraries::Review) -> Self {
        ItineraryReview {
            id: r.id,
            reviewed_on: r.reviewed_on,
            progress: r.progress,
            next_review_on: r.next_review_on,
            reviewer_name: r.reviewer_name,
            reviewer_organisation_name: r.reviewer_organisation_name,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItineraryView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    /// `None` until the first goal, action or plan change.
    pub itinerary: Option<ItineraryPlan>,
    pub goals: Vec<ItineraryGoal>,
    pub actions: Vec<ItineraryAction>,
    pub versions: Vec<SignedVersion>,
    pub reviews: Vec<ItineraryReview>,
    /// The current plan as it would be signed now.
    pub draft: Snapshot,
    /// What changed since the last signed version (empty: the draft is what was signed).
    pub unsigned_changes: Vec<Difference>,
    /// The domains goals may be set in (the latest instrument's), and suggestions.
    pub instrument: Option<Instrument>,
    pub suggested_goal_domains: Vec<String>,
    /// The case team: who may own actions.
    pub team: Vec<crate::cases::TeamMember>,
    pub can_edit: bool,
    /// The person's benefits requested, granted or suspended: shown beside the
    /// itinerary, so that benefits and work are planned together.
    pub benefits: Vec<crate::benefits::BenefitView>,
}

/// Which versions to compare, as a query string carries them (`to` empty: the draft).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DiffQuery {
    pub from: String,
    pub to: String,
}

impl DiffQuery {
    pub fn versions(&self) -> Result<(i32, Option<i32>), Error> {
        let num = |raw: &str, field: &str| {
            raw.trim()
                .parse::<i32>()
                .map_err(|_| Error::field(field, "validation.choice"))
        };
        let from = num(&self.from, "from")?;
        let to = if self.to.trim().is_empty() {
            None
        } else {
            Some(num(&self.to, "to")?)
        };
        Ok((from, to))
    }
}

impl ItineraryView {
    /// The differences from signed version `from` to version `to` (the current draft
    /// when `to` is absent).
    pub fn differences(&self, from: i32, to: Option<i32>) -> Result<Vec<Difference>, Error> {
        let pick = |n: i32, field: &str| {
            self.versions
                .iter()
                .find(|x| x.number == n)
                .map(|x| &x.snapshot)
                .ok_or_else(|| Error::field(field, "validation.choice"))
        };
        let a = pick(from, "from")?;
        let b = match to {
            Some(n) => pick(n, "to")?,
            None => &self.draft,
        };
        Ok(diff(a, b))
    }

    pub fn version(&self) -> i32 {
        self.itinerary.as_ref().map(|i| i.version).unwrap_or(0)
    }
}

fn snapshot(it: Option<&Itinerary>, goals: &[Goal], actions: &[Action]) -> Snapshot {
    Snapshot {
        commitments: it.map(|i| i.commitments.clone()).unwrap_or_default(),
        language: it
            .map(|i| i.language.clone())
            .unwrap_or_else(|| "es".into()),
        goals: goals
            .iter()
            .map(|g| SnapGoal {
                id: g.id,
                domain: g.domain.clone(),
                description: g.description.clone(),
                target_on: g.target_on,
                status: g.status.clone(),
            })
            .collect(),
        actions: actions
            .iter()
            .map(|a| SnapAction {
                id: a.id,
                kind: a.kind.clone(),
                service: a.service.clone(),
                description: a.description.clone(),
                organisation_name: a.organisation_name.clone(),
                responsible_name: a.responsible_name.clone(),
                starts_on: a.starts_on,
                due_on: a.due_on,
                status: a.status.clone(),
            })
            .collect(),
    }
}

/// The responsible professional of an action must be on the case team, for that
/// organisation.
async fn check_responsible(tx: &mut Tx, case: &Case, user: Uuid, org: Uuid) -> Result<(), Error> {
    if cases::team(tx, case.id)
        .await?
        .iter()
        .any(|m| m.user_id == user && m.organisation_id == org)
    {
        Ok(())
    } else {
        Err(Error::field("responsible", "validation.action.not_on_team"))
    }
}

impl Services {
    pub async fn itinerary(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<ItineraryView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let v = self.itinerary_in(&mut tx, actor, ctx, case).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryRead,
            Some(case_id),
            json!({}),
        )
        .await?;
        Ok(v)
    }

    async fn itinerary_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        case: Case,
    ) -> Result<ItineraryView, Error> {
        let p = participants::get(tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let it = itineraries::for_case(tx, case.id).await?;
        let (goals, actions, versions, reviews) = match &it {
            Some(i) => (
                itineraries::goals(tx, i.id).await?,
                itineraries::actions(tx, i.id).await?,
                itineraries::versions(tx, i.id)
                    .await?
                    .into_iter()
                    .map(signed)
                    .collect::<Result<Vec<_>, _>>()?,
                itineraries::reviews(tx, i.id).await?,
            ),
            None => Default::default(),
        };
        let draft = snapshot(it.as_ref(), &goals, &actions);
        let unsigned_changes = match versions.last() {
            Some(v) => diff(&v.snapshot, &draft),
            None => Vec::new(),
        };
        let (instrument, suggested_goal_domains) = goal_frame(tx, case.id).await?;
        let team = cases::team(tx, case.id).await?;
        let can_edit = actor.can(Capability::WritePersonData)
            && case.status != "closed"
            && in_team(&team, actor);
        let benefits = crate::benefits::current(tx, case.participant_id, ctx.today()).await?;
        Ok(ItineraryView {
            benefits,
            participant_name: p.data.full_name(),
            team: team.into_iter().map(Into::into).collect(),
            case: case.into(),
            itinerary: it.map(Into::into),
            goals: goals.into_iter().map(Into::into).collect(),
            actions: actions.into_iter().map(Into::into).collect(),
            versions,
            reviews: reviews.into_iter().map(Into::into).collect(),
            draft,
            unsigned_changes,
            instrument,
            suggested_goal_domains,
            can_edit,
        })
    }

    /// Opens the case for a change to its itinerary: access, team, open case; creates
    /// the itinerary on first use.
    async fn itinerary_for_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<(Case, Itinerary), Error> {
        let case = load_case(tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let it = itineraries::ensure(tx, case.id, case.home_organisation_id, ctx.now).await?;
        Ok((case, it))
    }

    /// The domains goals may be set in.
    async fn goal_domains(tx: &mut Tx, case: &Case) -> Result<Vec<String>, Error> {
        Ok(goal_frame(tx, case.id)
            .await?
            .0
            .map(|i| i.domains.into_iter().map(|d| d.code).collect())
            .unwrap_or_default())
    }

    pub async fn update_plan(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &PlanInput,
    ) -> Result<i32, Error> {
        let mut tx = self.store.write().await?;
        let (_, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let p = check_plan(input)?;
        // A new itinerary is at version 1; forms of a page shown before it existed say 0.
        let expected = if input.version == 0 {
            it.version
        } else {
            input.version
        };
        let v = itineraries::update_plan(&mut tx, it.id, expected, &p, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryPlan,
            Some(case_id),
            json!({}),
        )
        .await?;
        Ok(v)
    }

    pub async fn add_goal(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &GoalInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let (case, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let domains = Self::goal_domains(&mut tx, &case).await?;
        let g = check_goal(input, &domains)?;
        let id = itineraries::insert_goal(&mut tx, &it, &g, ctx.now).await?;
        itineraries::touch(&mut tx, it.id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryGoalCreate,
            Some(case_id),
            json!({"goal": id}),
        )
        .await?;
        Ok(id)
    }

    pub async fn update_goal(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        goal_id: Uuid,
        input: &GoalInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let (case, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let domains = Self::goal_domains(&mut tx, &case).await?;
        let current = itineraries::goals(&mut tx, it.id)
            .await?
            .into_iter()
            .find(|g| g.id == goal_id)
            .ok_or(Error::NotFound)?;
        let expected = itinera_domain::input::version_or(&input.version, current.version)
            .map_err(|c| Error::field("version", c))?;
        let g = check_goal(input, &domains)?;
        if !itineraries::update_goal(&mut tx, it.id, goal_id, &g, expected, ctx.now).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        itineraries::touch(&mut tx, it.id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryGoalUpdate,
            Some(case_id),
            json!({"goal": goal_id}),
        )
        .await
    }

    /// An action as typed, checked: its responsible on the case team — when it is new
    /// or its responsible changes (`kept`: the action's present responsible and
    /// organisation). An action whose professional has left the team can still be
    /// updated, its status closed, without naming someone else first.
    async fn checked_action(
        &self,
        tx: &mut Tx,
        case: &Case,
        it: &Itinerary,
        input: &ActionInput,
        kept: Option<(Uuid, Uuid)>,
    ) -> Result<itinera_domain::itinerary::ActionData, Error> {
        let a = check_action(input)?;
        if kept != Some((a.responsible_id, a.organisation_id)) {
            check_responsible(tx, case, a.responsible_id, a.organisation_id).await?;
        }
        if let Some(g) = a.goal_id {
            if !itineraries::goals(tx, it.id)
                .await?
                .iter()
                .any(|x| x.id == g)
            {
                return Err(Error::field("goal_id", "validation.choice"));
            }
        }
        Ok(a)
    }

    pub async fn add_action(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &ActionInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let (case, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let a = self
            .checked_action(&mut tx, &case, &it, input, None)
            .await?;
        let id = itineraries::insert_action(&mut tx, &it, &a, ctx.now).await?;
        itineraries::touch(&mut tx, it.id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryActionCreate,
            Some(case_id),
            json!({"action": id, "service": a.service.code()}),
        )
        .await?;
        Ok(id)
    }

    pub async fn update_action(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        action_id: Uuid,
        input: &ActionInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let (case, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let current = itineraries::actions(&mut tx, it.id)
            .await?
            .into_iter()
            .find(|a| a.id == action_id)
            .ok_or(Error::NotFound)?;
        let expected = itinera_domain::input::version_or(&input.version, current.version)
            .map_err(|c| Error::field("version", c))?;
        let kept = Some((current.responsible_id, current.organisation_id));
        let a = self
            .checked_action(&mut tx, &case, &it, input, kept)
            .await?;
        if !itineraries::update_action(&mut tx, it.id, action_id, &a, expected, ctx.now).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        itineraries::touch(&mut tx, it.id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryActionUpdate,
            Some(case_id),
            json!({"action": action_id, "status": a.status.code()}),
        )
        .await
    }

    /// Records the signature of the agreement: the current plan is frozen as the next
    /// version.
    pub async fn sign_agreement(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &SignInput,
    ) -> Result<i32, Error> {
        let mut tx = self.store.write().await?;
        let (_, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let (on, names) = check_signature(input, ctx.today())?;
        let goals = itineraries::goals(&mut tx, it.id).await?;
        let actions = itineraries::actions(&mut tx, it.id).await?;
        if goals.is_empty() || actions.is_empty() {
            return Err(Error::Rule("agreement.empty"));
        }
        let snap = snapshot(Some(&it), &goals, &actions);
        if let Some(last) = itineraries::versions(&mut tx, it.id).await?.pop() {
            if diff(&signed(last)?.snapshot, &snap).is_empty() {
                return Err(Error::Rule("agreement.unchanged"));
            }
        }
        let expected = if input.version == 0 {
            it.version
        } else {
            input.version
        };
        let n = itineraries::insert_version(
            &mut tx,
            &NewVersion {
                itinerary: &it,
                snapshot: &serde_json::to_string(&snap)
                    .map_err(|e| Error::Internal(e.to_string()))?,
                signed_on: on,
                signatories: &serde_json::to_string(&names)
                    .map_err(|e| Error::Internal(e.to_string()))?,
                recorded_by: actor.user_id,
                now: ctx.now,
            },
            expected,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItinerarySign,
            Some(case_id),
            json!({"version": n}),
        )
        .await?;
        Ok(n)
    }

    pub async fn review_itinerary(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &ReviewInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let (_, it) = self
            .itinerary_for_change(&mut tx, actor, ctx, case_id)
            .await?;
        let (on, progress, next) = check_review(input, ctx.today())?;
        let id = itineraries::insert_review(
            &mut tx,
            &NewReview {
                itinerary: &it,
                reviewed_on: on,
                progress: &progress,
                next_review_on: next,
                reviewer_id: actor.user_id,
                reviewer_organisation_id: actor.organisation_id,
                now: ctx.now,
            },
        )
        .await?;
        itineraries::set_review_on(&mut tx, it.id, next, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            audit::Action::ItineraryReview,
            Some(case_id),
            json!({"review": id}),
        )
        .await?;
        Ok(id)
    }
}
