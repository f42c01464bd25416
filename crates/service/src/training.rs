//! Training in alternance: courses of a programme and their sessions (generated from
//! weekdays and hours), candidates preselected from the programme's cases and selected
//! jointly — the social services and the employment service each decide with a reason;
//! both approving selects, and moves the case to the selection phase with the course as
//! the reason — enrolment with its places and waiting list, dropping out with a reason,
//! completion with the certificate, and attendance taken per session for the whole
//! group in one request. An unjustified absence that crosses the programme's threshold
//! (3 in a month or 15 % of the course's sessions by default) raises an absenteeism
//! incident by itself, in the same transaction, told at once to the case manager and
//! the reference social workers.

use chrono::{Datelike, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::incident::{IncidentData, IncidentKind, Reporter, Severity};
use itinera_domain::org::OrganisationKind;
use itinera_domain::training::{
    absence_rate, absenteeism, check_attendance, check_course, check_decision, check_session,
    check_status_move, joint_status, schedule, AttendanceInput, CandidateStatus,
    CandidateStatusInput, CourseInput, Decision, DecisionInput, Presence, SessionInput,
    TrainersInput,
};
use itinera_domain::Error;
use itinera_store::access::Reach;
use itinera_store::training::{self as store, NewCourse, PoolFilter};
use itinera_store::{cases, incidents, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::cases::advance_phase_in;
use crate::guard::{load_case, require_team_writer};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Course {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub programme_code: String,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub title: String,
    pub specialty: Option<String>,
    pub theory_hours: i32,
    pub practice_hours: i32,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub place: Option<String>,
    pub places: i32,
    /// `mon` … `sun`.
    pub weekdays: Vec<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub trainers: Option<String>,
    pub alternance_from: Option<NaiveDate>,
    pub alternance_to: Option<NaiveDate>,
    pub sessions: i64,
    /// Enrolled or completed.
    pub enrolled: i64,
}

impl From<store::Course> for Course {
    fn from(r: store::Course) -> Self {
        Course {
            id: r.id,
            programme_id: r.programme_id,
            programme_code: r.programme_code,
            project_id: r.project_id,
            project_name: r.project_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            title: r.title,
            specialty: r.specialty,
            theory_hours: r.theory_hours,
            practice_hours: r.practice_hours,
            start_on: r.start_on,
            end_on: r.end_on,
            place: r.place,
            places: r.places,
            weekdays: r
                .weekdays
                .split(',')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            trainers: r.trainers,
            alternance_from: r.alternance_from,
            alternance_to: r.alternance_to,
            sessions: r.sessions,
            enrolled: r.enrolled,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Choice {
    pub id: Uuid,
    pub name: String,
}

/// A user who may be named trainer of a course given by `organisation_id`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainerChoice {
    pub id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursesView {
    /// Every course for a professional; a trainer's own courses for a trainer.
    pub courses: Vec<Course>,
    /// Programmes a course may belong to (active ones).
    pub programmes: Vec<Choice>,
    /// Their projects (`name` is "programme · project").
    pub projects: Vec<Choice>,
    /// Organisations that may provide training.
    pub providers: Vec<Choice>,
    /// Users with the role `trainer`, by organisation.
    pub trainers: Vec<TrainerChoice>,
    pub can_create: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    pub id: Uuid,
    pub held_on: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub cancelled: bool,
    /// Attendance lines recorded.
    pub recorded: i64,
}

impl From<store::Session> for Session {
    fn from(r: store::Session) -> Self {
        Session {
            id: r.id,
            held_on: r.held_on,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            cancelled: r.cancelled,
            recorded: r.recorded,
        }
    }
}

/// A candidate as a reader who may see the person sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub id: Uuid,
    /// The person's case; not shown to a trainer (whose reach is the course, not cases).
    pub case_id: Option<Uuid>,
    pub participant_name: String,
    pub phase: String,
    /// `candidate`, `selected`, `rejected`, `waiting`, `enrolled`, `dropped`, `completed`.
    pub status: String,
    pub social_decision: Option<String>,
    pub social_reason: Option<String>,
    pub social_by_name: Option<String>,
    pub employment_decision: Option<String>,
    pub employment_reason: Option<String>,
    pub employment_by_name: Option<String>,
    pub status_reason: Option<String>,
    pub certificate: bool,
    /// Sessions with attendance recorded, and unjustified absences among them.
    pub recorded: i64,
    pub absent: i64,
    /// Unjustified absences over sessions recorded, per cent.
    pub absence_rate: Option<f64>,
}

impl From<store::CandidateLine> for Candidate {
    fn from(r: store::CandidateLine) -> Self {
        Candidate {
            absence_rate: absence_rate(r.absent, r.recorded),
            id: r.id,
            case_id: Some(r.case_id),
            participant_name: r.participant_name,
            phase: r.phase,
            status: r.status,
            social_decision: r.social_decision,
            social_reason: r.social_reason,
            social_by_name: r.social_by_name,
            employment_decision: r.employment_decision,
            employment_reason: r.employment_reason,
            employment_by_name: r.employment_by_name,
            status_reason: r.status_reason,
            certificate: r.certificate,
            recorded: r.recorded,
            absent: r.absent,
        }
    }
}

impl Candidate {
    /// What a trainer sees of a person on their course: the name, the status on the
    /// course and the attendance — not the case's phase, nor the services' decisions
    /// and reasons.
    fn for_trainer(self) -> Self {
        Candidate {
            case_id: None,
            phase: String::new(),
            social_decision: None,
            social_reason: None,
            social_by_name: None,
            employment_decision: None,
            employment_reason: None,
            employment_by_name: None,
            status_reason: None,
            ..self
        }
    }
}

/// Whether the actor may name a course's trainers: one who coordinates, for the
/// organisation that created the course or the one that gives it.
fn names_trainers(actor: &Actor, course: &store::Course) -> bool {
    actor.can(Capability::Coordinate)
        && (actor.organisation_id == course.created_by_organisation_id
            || actor.organisation_id == course.provider_id)
}

/// A case of the programme that may be preselected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PoolCase {
    pub case_id: Uuid,
    pub participant_name: String,
    pub phase: String,
    /// The profile of the latest diagnosis.
    pub profile: Option<String>,
    pub territory: Option<String>,
    pub labour_status: String,
}

/// Filters of the preselection pool (query string).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct PoolQuery {
    pub phase: Option<String>,
    pub profile: Option<String>,
    pub territory_id: Option<String>,
    /// `true`: only people not in work and not on another running course.
    pub available: Option<String>,
    /// `true`: list the pool (any filter lists it too). The course's page does not
    /// search the programme's cases until asked.
    pub pool: Option<String>,
    /// `near`: of the schedule, only the sessions nearest today (the last
    /// [`SESSIONS_BEFORE_TODAY`] held and the next [`SESSIONS_FROM_TODAY`]), as the
    /// course's page opens; `all` or none: every session.
    pub schedule: Option<String>,
}

/// Sessions held before today that the course's page lists (`schedule=near`).
pub const SESSIONS_BEFORE_TODAY: i64 = 5;
/// Sessions from today on that the course's page lists (`schedule=near`).
pub const SESSIONS_FROM_TODAY: i64 = 6;

impl PoolQuery {
    /// Whether the pool is asked for: `pool=true` or any filter.
    pub fn asked(&self) -> bool {
        let set = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.trim().is_empty());
        self.pool
            .as_deref()
            .is_some_and(|p| matches!(p, "true" | "on" | "1"))
            || set(&self.phase)
            || set(&self.profile)
            || set(&self.territory_id)
            || set(&self.available)
    }

    /// Whether only the sessions nearest today are asked for (`schedule=near`).
    pub fn near_schedule(&self) -> bool {
        self.schedule.as_deref().map(str::trim) == Some("near")
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseView {
    pub course: Course,
    /// The named trainers (users).
    pub trainers: Vec<Choice>,
    /// The reader is one of them: takes attendance and reports incidents, and sees of
    /// the group only names and attendance (no phase, no decisions, no reasons).
    pub as_trainer: bool,
    /// The reader may add, move and cancel sessions.
    pub can_schedule: bool,
    /// The reader may name other trainers (`PUT /courses/{id}/trainers`), among these:
    /// the users with the role trainer at the course's provider.
    pub can_set_trainers: bool,
    pub trainer_choices: Vec<Choice>,
    /// The whole schedule, or with `schedule=near` the sessions nearest today.
    pub sessions: Vec<Session>,
    /// `sessions` is the whole schedule (`schedule=near` lists only part of a schedule
    /// with more sessions than it lists).
    pub schedule_whole: bool,
    /// The candidates whose person the reader may see.
    pub candidates: Vec<Candidate>,
    /// Cases to preselect from, by the filters — when asked (`pool=true` or a filter).
    pub pool: Vec<PoolCase>,
    /// The pool was asked for (and `pool` is its answer).
    pub pool_listed: bool,
    /// `social` or `employment`: which service's decision the reader records.
    pub decides_as: Option<String>,
    pub can_preselect: bool,
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetLine {
    pub candidate_id: Uuid,
    /// The person's case; not shown to a trainer.
    pub case_id: Option<Uuid>,
    pub participant_name: String,
    /// What is recorded for this session, if anything.
    pub status: Option<String>,
    pub reason: Option<String>,
    pub absent: i64,
    /// The reader may save this line: the person is enrolled (or completed) and the
    /// reader is on their case team or trains the course. Others are shown, not sent.
    pub editable: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceView {
    pub course: Course,
    pub session: Session,
    pub lines: Vec<SheetLine>,
    pub can_record: bool,
}

/// What saving a sheet did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceSaved {
    pub session_id: Uuid,
    pub lines: usize,
    /// Absenteeism incidents raised by this sheet.
    pub incidents: Vec<Uuid>,
}

fn decides_as(actor: &Actor) -> Option<&'static str> {
    match actor.organisation_kind {
        OrganisationKind::SocialServices => Some("social"),
        OrganisationKind::EmploymentService => Some("employment"),
        _ => None,
    }
}

/// Who may read a course's people: a professional who reads person data, or a trainer
/// (which course, `course_reach` says). Anyone else: as if the course did not exist.
fn require_reader(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::ReadPersonData) || actor.can(Capability::TakeAttendance) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Who may record attendance: a writer of person data, or a trainer.
fn require_recorder(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::WritePersonData) || actor.can(Capability::TakeAttendance) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The people of a session's sheet: enrolled, completed, or dropped out (their past
/// attendance stays).
pub(crate) fn in_group(status: &str) -> bool {
    matches!(status, "enrolled" | "completed" | "dropped")
}

/// Whether the actor is one of the course's trainers: the trainer role, a course of
/// their organisation, named on it, and the course not ended more than
/// `TRAINER_REACH_DAYS` ago.
pub(crate) async fn trains(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    course: &store::Course,
) -> Result<bool, Error> {
    Ok(actor.can(Capability::TakeAttendance)
        && course.provider_id == actor.organisation_id
        && itinera_domain::training::trainer_reaches(course.end_on, ctx.today())
        && store::is_trainer(tx, course.id, actor.user_id).await?)
}

/// Of the sessions around `today` (in order, one more on each side than the page
/// lists), the ones it lists, and whether they are the whole schedule.
fn near_today(mut around: Vec<store::Session>, today: NaiveDate) -> (Vec<store::Session>, bool) {
    let earlier = around.iter().filter(|s| s.held_on < today).count();
    let coming = around.len() - earlier;
    let more_earlier = earlier as i64 > SESSIONS_BEFORE_TODAY;
    let more_coming = coming as i64 > SESSIONS_FROM_TODAY;
    if more_coming {
        around.pop();
    }
    if more_earlier {
        around.remove(0);
    }
    (around, !more_earlier && !more_coming)
}

/// How the actor reaches a course's people, and whether they are one of its named
/// trainers. A professional who reads person data reaches them by the team rule; a
/// trainer (and no more) by the scoped rule, only on a course of their organisation
/// they are named on — any other course is, for them, not there.
async fn course_reach(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    course: &store::Course,
) -> Result<(Reach, bool), Error> {
    let trainer = trains(tx, actor, ctx, course).await?;
    if actor.can(Capability::ReadPersonData) {
        Ok((Reach::Team, trainer))
    } else if trainer {
        Ok((Reach::Scoped, true))
    } else {
        Err(Error::NotFound)
    }
}

fn require_professional(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::Coordinate) {
        Ok(())
    } else {
        actor.require(Capability::ReadPersonData)
    }
}

impl Services {
    /// The courses, with what the form to create one needs; a trainer sees the
    /// courses they train.
    pub async fn courses(&self, actor: &Actor) -> Result<CoursesView, Error> {
        let professional = require_professional(actor).is_ok();
        if !professional {
            actor.require(Capability::TakeAttendance)?;
        }
        let can_create = actor.can(Capability::Coordinate);
        let mut tx = self.store.read().await?;
        let courses = if professional {
            store::courses(&mut tx, 500).await?
        } else {
            store::courses_of_trainer(&mut tx, actor.user_id, 500).await?
        };
        let (providers, programmes, trainers, mut projects) = if can_create {
            let mut projects = Vec::new();
            let programmes = itinera_store::admin::programmes(&mut tx).await?;
            for p in programmes.iter().filter(|p| p.active) {
                for j in itinera_store::admin::projects(&mut tx, p.id).await? {
                    projects.push(Choice {
                        id: j.id,
                        name: format!("{} · {} — {}", p.code, j.code, j.name),
                    });
                }
            }
            (
                store::providers(&mut tx).await?,
                programmes,
                store::trainer_choices(&mut tx).await?,
                projects,
            )
        } else {
            Default::default()
        };
        tx.rollback().await?;
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(CoursesView {
            courses: courses.into_iter().map(Into::into).collect(),
            programmes: programmes
                .into_iter()
                .filter(|p| p.active)
                .map(|p| Choice {
                    id: p.id,
                    name: format!("{} — {}", p.code, p.name),
                })
                .collect(),
            projects,
            providers: providers
                .into_iter()
                .map(|(id, name)| Choice { id, name })
                .collect(),
            trainers: trainers
                .into_iter()
                .map(|(id, name, organisation_id)| TrainerChoice {
                    id,
                    name,
                    organisation_id,
                })
                .collect(),
            can_create,
        })
    }

    /// Creates a course with its sessions.
    pub async fn create_course(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &CourseInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Coordinate)?;
        let data = check_course(input)?;
        let mut tx = self.store.write().await?;
        let programme = itinera_store::admin::programme(&mut tx, data.programme_id)
            .await?
            .filter(|p| p.active);
        if programme.is_none() {
            return Err(Error::field("programme_id", "validation.choice"));
        }
        if !store::providers(&mut tx)
            .await?
            .iter()
            .any(|p| p.0 == data.provider_id)
        {
            return Err(Error::field("provider_id", "validation.choice"));
        }
        if let Some(j) = data.project_id {
            let of_programme = itinera_store::admin::projects(&mut tx, data.programme_id)
                .await?
                .iter()
                .any(|p| p.id == j);
            if !of_programme {
                return Err(Error::field(
                    "project_id",
                    "validation.course.other_programme_project",
                ));
            }
        }
        if !data.trainer_ids.is_empty() {
            let choices = store::trainer_choices(&mut tx).await?;
            for t in &data.trainer_ids {
                if !choices.iter().any(|c| c.0 == *t && c.2 == data.provider_id) {
                    return Err(Error::field(
                        "trainer_ids",
                        "validation.course.trainer_other_provider",
                    ));
                }
            }
        }
        let id = ctx.new_id();
        let sessions: Vec<(Uuid, NaiveDate)> = schedule(data.start_on, data.end_on, &data.weekdays)
            .into_iter()
            .map(|d| (ctx.new_id(), d))
            .collect();
        store::insert_course(
            &mut tx,
            &NewCourse {
                id,
                data: &data,
                created_by: actor.user_id,
                created_by_organisation_id: actor.organisation_id,
                now: ctx.now,
            },
            &sessions,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CourseCreate,
            Some(id),
            json!({"programme": data.programme_id, "project": data.project_id, "provider": data.provider_id,
                   "sessions": sessions.len(), "trainers": data.trainer_ids}),
        )
        .await?;
        Ok(id)
    }

    /// A course with its sessions, the candidates the reader may see and the pool to
    /// preselect from (audited read: it names people).
    pub async fn course(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        q: &PoolQuery,
    ) -> Result<CourseView, Error> {
        if !actor.can(Capability::Coordinate) {
            require_reader(actor)?;
        }
        let today = ctx.today();
        let filter = PoolFilter {
            phase: q.phase.clone().filter(|s| !s.trim().is_empty()),
            profile: q.profile.clone().filter(|s| !s.trim().is_empty()),
            territory: match q.territory_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => {
                    Some(Uuid::parse_str(t).map_err(|_| Error::BadRequest("error.bad_query"))?)
                }
            },
            available: q
                .available
                .as_deref()
                .is_some_and(|a| a == "true" || a == "on"),
        };
        let mut tx = self.store.audited_read().await?;
        let course = store::course(&mut tx, id).await?.ok_or(Error::NotFound)?;
        // Who may create courses and reads no person (a programme manager) sees the
        // course and its schedule, without its people.
        let (reach, as_trainer) = match course_reach(&mut tx, actor, ctx, &course).await {
            Ok((r, t)) => (Some(r), t),
            Err(Error::NotFound) if actor.can(Capability::Coordinate) => (None, false),
            Err(e) => return Err(e),
        };
        let (sessions, schedule_whole) = if q.near_schedule() {
            // One more on each side than listed tells whether there are more.
            let around = store::sessions_around(
                &mut tx,
                id,
                today,
                SESSIONS_BEFORE_TODAY + 1,
                SESSIONS_FROM_TODAY + 1,
            )
            .await?;
            near_today(around, today)
        } else {
            (store::sessions(&mut tx, id).await?, true)
        };
        let trainers = store::trainers(&mut tx, id).await?;
        let can_set_trainers = names_trainers(actor, &course);
        let trainer_choices = if can_set_trainers {
            store::trainers_of(&mut tx, course.provider_id)
                .await?
                .into_iter()
                .map(|(id, name)| Choice { id, name })
                .collect()
        } else {
            Vec::new()
        };
        let kind = actor.organisation_kind.code();
        let mut candidates = match reach {
            Some(r) => {
                store::candidates(&mut tx, id, r, actor.organisation_id, kind, today).await?
            }
            None => Vec::new(),
        };
        if reach == Some(Reach::Scoped) {
            candidates.retain(|c| in_group(&c.status));
        }
        let can_preselect = reach == Some(Reach::Team) && actor.can(Capability::WritePersonData);
        let pool_listed = can_preselect && q.asked();
        let pool = if pool_listed {
            store::pool(
                &mut tx,
                id,
                course.programme_id,
                actor.user_id,
                actor.organisation_id,
                kind,
                today,
                &filter,
            )
            .await?
        } else {
            Vec::new()
        };
        finish(
            tx,
            actor,
            ctx,
            Action::CourseRead,
            Some(id),
            // Whose data was read: the cases of the candidates and of the pool.
            json!({"candidates": candidates.len(), "pool": pool.len(),
                   "cases": candidates.iter().map(|c| c.case_id)
                       .chain(pool.iter().map(|p| p.case_id)).collect::<Vec<_>>()}),
        )
        .await?;
        Ok(CourseView {
            course: course.into(),
            trainers: trainers
                .into_iter()
                .map(|(id, name)| Choice { id, name })
                .collect(),
            as_trainer,
            can_schedule: as_trainer || actor.can(Capability::Coordinate),
            can_set_trainers,
            trainer_choices,
            sessions: sessions.into_iter().map(Into::into).collect(),
            schedule_whole,
            candidates: candidates
                .into_iter()
                .map(|c| {
                    let c = Candidate::from(c);
                    if reach == Some(Reach::Scoped) {
                        c.for_trainer()
                    } else {
                        c
                    }
                })
                .collect(),
            pool: pool
                .into_iter()
                .map(|p| PoolCase {
                    case_id: p.case_id,
                    participant_name: p.participant_name,
                    phase: p.phase,
                    profile: p.profile,
                    territory: p.territory,
                    labour_status: p.labour_status,
                })
                .collect(),
            decides_as: if can_preselect {
                decides_as(actor).map(str::to_string)
            } else {
                None
            },
            can_preselect,
            pool_listed,
            today,
        })
    }

    /// Adds a session to a course's schedule (a make-up day, an extra one): whoever
    /// may create courses, or one of its trainers.
    pub async fn add_session(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        course_id: Uuid,
        input: &SessionInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let course = self.schedule_editor(&mut tx, actor, ctx, course_id).await?;
        let data = check_session(input, course.start_on, course.end_on)?;
        if store::session_taken(&mut tx, course.id, data.held_on, &data.starts_at, None).await? {
            return Err(Error::field("held_on", "validation.session.taken"));
        }
        let id = ctx.new_id();
        store::insert_session(&mut tx, id, course.id, &data).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::SessionAdd,
            Some(id),
            json!({"course": course.id, "held_on": data.held_on, "starts_at": data.starts_at,
                   "ends_at": data.ends_at, "cancelled": data.cancelled}),
        )
        .await?;
        Ok(id)
    }

    /// Moves a session to another day or hours, or cancels it (or takes the
    /// cancellation back). A session whose attendance was taken keeps its day and cannot
    /// be cancelled: the attendance is a fact of that day.
    pub async fn change_session(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        session_id: Uuid,
        input: &SessionInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let course_id = store::session(&mut tx, session_id)
            .await?
            .ok_or(Error::NotFound)?
            .course_id;
        self.schedule_editor(&mut tx, actor, ctx, course_id).await?;
        // Then the course's row, and the session and course as they are now.
        store::lock_course(&mut tx, course_id).await?;
        let session = store::session(&mut tx, session_id)
            .await?
            .ok_or(Error::NotFound)?;
        let course = store::course(&mut tx, course_id)
            .await?
            .ok_or(Error::NotFound)?;
        let data = check_session(input, course.start_on, course.end_on)?;
        if store::session_has_marks(&mut tx, session.id).await? {
            if data.cancelled {
                return Err(Error::Rule("session.recorded"));
            }
            if data.held_on != session.held_on {
                return Err(Error::field("held_on", "validation.session.recorded"));
            }
        }
        if store::session_taken(
            &mut tx,
            course.id,
            data.held_on,
            &data.starts_at,
            Some(session.id),
        )
        .await?
        {
            return Err(Error::field("held_on", "validation.session.taken"));
        }
        store::update_session(&mut tx, session.id, &data).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::SessionChange,
            Some(session.id),
            json!({"course": course.id, "from": {"held_on": session.held_on, "starts_at": session.starts_at,
                   "ends_at": session.ends_at, "cancelled": session.cancelled},
                   "to": {"held_on": data.held_on, "starts_at": data.starts_at, "ends_at": data.ends_at,
                   "cancelled": data.cancelled}}),
        )
        .await
    }

    /// The course, if the actor may edit its schedule: who may create courses, or one
    /// of its trainers; anyone else does not see it.
    async fn schedule_editor(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        course_id: Uuid,
    ) -> Result<store::Course, Error> {
        let course = store::course(tx, course_id).await?.ok_or(Error::NotFound)?;
        if actor.can(Capability::Coordinate) {
            return Ok(course);
        }
        if trains(tx, actor, ctx, &course).await? {
            Ok(course)
        } else if actor.can(Capability::ReadPersonData) {
            Err(Error::Forbidden)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Replaces the named trainers of a course (those who coordinate): users with the
    /// role `trainer` at the course's provider. One taken off the course loses its group
    /// at once; attendance they took stays, signed with their name.
    pub async fn set_course_trainers(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        course_id: Uuid,
        input: &TrainersInput,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let ids = itinera_domain::training::trainer_ids(&input.trainer_ids)
            .map_err(|c| Error::field("trainer_ids", c))?;
        let mut tx = self.store.write().await?;
        let course = store::course(&mut tx, course_id)
            .await?
            .ok_or(Error::NotFound)?;
        if !names_trainers(actor, &course) {
            return Err(Error::Forbidden);
        }
        if !ids.is_empty() {
            let choices = store::trainers_of(&mut tx, course.provider_id).await?;
            if ids.iter().any(|t| !choices.iter().any(|c| c.0 == *t)) {
                return Err(Error::field(
                    "trainer_ids",
                    "validation.course.trainer_other_provider",
                ));
            }
        }
        let before: Vec<Uuid> = store::trainers(&mut tx, course_id)
            .await?
            .into_iter()
            .map(|t| t.0)
            .collect();
        store::set_trainers(&mut tx, course_id, &ids).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CourseTrainers,
            Some(course_id),
            json!({"from": before, "to": ids}),
        )
        .await
    }

    /// Preselects a case of the course's programme (a writer on the case's team).
    pub async fn preselect(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        course_id: Uuid,
        case_id: Uuid,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let course = store::course(&mut tx, course_id)
            .await?
            .ok_or(Error::NotFound)?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.programme_id != course.programme_id {
            return Err(Error::field("case_id", "validation.course.other_programme"));
        }
        if case.status != "open" {
            return Err(Error::Rule("case.closed"));
        }
        let id = ctx.new_id();
        if !store::insert_candidate(
            &mut tx,
            id,
            course_id,
            case_id,
            case.home_organisation_id,
            actor.user_id,
            ctx.now,
        )
        .await?
        {
            return Err(Error::field(
                "case_id",
                "validation.course.already_candidate",
            ));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::CandidatePreselect,
            Some(id),
            json!({"course": course_id, "case": case_id}),
        )
        .await?;
        Ok(id)
    }

    /// Records the reader's service's decision on a candidate; when both services have
    /// approved, the case moves to the selection phase with the course as the reason.
    pub async fn decide_candidate(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        candidate_id: Uuid,
        input: &DecisionInput,
    ) -> Result<String, Error> {
        let mut tx = self.store.write().await?;
        let (cand, case, course) = self
            .candidate_for_writer(&mut tx, actor, ctx, candidate_id)
            .await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let side = decides_as(actor).ok_or(Error::Rule("course.decision.service"))?;
        let from = CandidateStatus::parse(&cand.status)
            .ok_or_else(|| Error::Internal("candidate status".into()))?;
        if !matches!(from, CandidateStatus::Candidate) {
            return Err(Error::Conflict("course.decision.decided"));
        }
        let (decision, reason) = check_decision(input)?;
        let social = side == "social";
        let (s, e) = if social {
            (
                Some(decision),
                cand.employment_decision
                    .as_deref()
                    .and_then(Decision::parse),
            )
        } else {
            (
                cand.social_decision.as_deref().and_then(Decision::parse),
                Some(decision),
            )
        };
        let status = joint_status(s, e);
        store::decide(
            &mut tx,
            candidate_id,
            social,
            decision.code(),
            &reason,
            actor.user_id,
            status.code(),
            ctx.now,
        )
        .await?;
        let moved = if status == CandidateStatus::Selected {
            advance_phase_in(
                &mut tx,
                actor,
                ctx,
                &case,
                "selection",
                &course_reason(&course),
            )
            .await?
        } else {
            false
        };
        finish(
            tx,
            actor,
            ctx,
            Action::CandidateDecision,
            Some(candidate_id),
            json!({"course": cand.course_id, "case": cand.case_id, "service": side,
                   "decision": decision.code(), "status": status.code(), "phase_moved": moved}),
        )
        .await?;
        Ok(status.code().to_string())
    }

    /// Enrols, waits, drops out or completes a candidate.
    pub async fn candidate_status(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        candidate_id: Uuid,
        input: &CandidateStatusInput,
    ) -> Result<String, Error> {
        let mut tx = self.store.write().await?;
        let (cand, case, course) = self
            .candidate_for_writer(&mut tx, actor, ctx, candidate_id)
            .await?;
        let from = CandidateStatus::parse(&cand.status)
            .ok_or_else(|| Error::Internal("candidate status".into()))?;
        let (to, reason) = check_status_move(input, from)?;
        // A closed case may still leave or finish a course, not take a place.
        if case.status == "closed"
            && !matches!(to, CandidateStatus::Dropped | CandidateStatus::Completed)
        {
            return Err(Error::Rule("case.closed"));
        }
        // No one joins a course that is over, nor finishes one that has not begun.
        if matches!(to, CandidateStatus::Enrolled | CandidateStatus::Waiting)
            && ctx.today() > course.end_on
        {
            return Err(Error::field("status", "course.ended"));
        }
        if to == CandidateStatus::Completed && ctx.today() < course.start_on {
            return Err(Error::field("status", "course.not_started"));
        }
        if to == CandidateStatus::Enrolled && course.enrolled >= i64::from(course.places) {
            return Err(Error::Rule("course.full"));
        }
        let certificate = to == CandidateStatus::Completed && input.certificate;
        if !store::set_status(
            &mut tx,
            candidate_id,
            from.code(),
            to.code(),
            reason.as_deref(),
            certificate,
            ctx.now,
        )
        .await?
        {
            return Err(Error::Conflict("error.stale_version"));
        }
        let moved = if to == CandidateStatus::Enrolled {
            advance_phase_in(
                &mut tx,
                actor,
                ctx,
                &case,
                "training",
                &course_reason(&course),
            )
            .await?
        } else {
            false
        };
        finish(
            tx,
            actor,
            ctx,
            Action::CandidateStatus,
            Some(candidate_id),
            json!({"course": cand.course_id, "case": cand.case_id, "from": from.code(), "to": to.code(),
                   "certificate": certificate, "phase_moved": moved}),
        )
        .await?;
        Ok(to.code().to_string())
    }

    async fn candidate_for_writer(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        candidate_id: Uuid,
    ) -> Result<(store::Candidate, cases::Case, store::Course), Error> {
        let first = store::candidate(tx, candidate_id)
            .await?
            .ok_or(Error::NotFound)?;
        let case = load_case(tx, actor, ctx, Capability::ReadPersonData, first.case_id).await?;
        require_team_writer(tx, actor, &case).await?;
        // Then the course's row: its places, and this candidate's decisions and
        // status, are read again as the last writer left them.
        store::lock_course(tx, first.course_id).await?;
        let cand = store::candidate(tx, candidate_id)
            .await?
            .ok_or(Error::NotFound)?;
        let course = store::course(tx, cand.course_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((cand, case, course))
    }

    /// A session's sheet: the enrolled people the reader may see, with what is
    /// recorded (audited read).
    pub async fn attendance(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        session_id: Uuid,
    ) -> Result<AttendanceView, Error> {
        require_reader(actor)?;
        let mut tx = self.store.audited_read().await?;
        let session = store::session(&mut tx, session_id)
            .await?
            .ok_or(Error::NotFound)?;
        let course = store::course(&mut tx, session.course_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (reach, as_trainer) = course_reach(&mut tx, actor, ctx, &course).await?;
        let kind = actor.organisation_kind.code();
        let group: Vec<_> = store::candidates(
            &mut tx,
            course.id,
            reach,
            actor.organisation_id,
            kind,
            ctx.today(),
        )
        .await?
        .into_iter()
        .filter(|c| in_group(&c.status))
        .collect();
        let marks = store::session_marks(&mut tx, session.id).await?;
        let can_record = as_trainer || actor.can(Capability::WritePersonData);
        // Whose lines the reader may save (the rule `save_sheet` applies): those of
        // the group they see and write on the case team of — the trainer, all of
        // them — but for the anonymised records.
        let writable: Vec<Uuid> = if can_record {
            let ids: Vec<Uuid> = group.iter().map(|c| c.id).collect();
            store::sheet_people(
                &mut tx,
                course.id,
                reach,
                &ids,
                actor.user_id,
                actor.organisation_id,
                kind,
                ctx.today(),
            )
            .await?
            .into_iter()
            .filter(|p| p.visible && (as_trainer || p.on_team) && !p.anonymised)
            .map(|p| p.id)
            .collect()
        } else {
            Vec::new()
        };
        finish(
            tx,
            actor,
            ctx,
            Action::AttendanceRead,
            Some(session_id),
            json!({"course": course.id, "lines": group.len(),
                   "cases": group.iter().map(|c| c.case_id).collect::<Vec<_>>()}),
        )
        .await?;
        let lines = group
            .into_iter()
            .filter_map(|c| {
                let mine = marks.iter().find(|m| m.0 == c.id);
                // One who dropped out stays on the sheets they were marked on.
                if c.status == "dropped" && mine.is_none() {
                    return None;
                }
                Some(SheetLine {
                    candidate_id: c.id,
                    case_id: (reach != Reach::Scoped).then_some(c.case_id),
                    participant_name: c.participant_name,
                    status: mine.map(|m| m.1.clone()),
                    reason: mine.and_then(|m| m.2.clone()),
                    absent: c.absent,
                    editable: can_record
                        && matches!(c.status.as_str(), "enrolled" | "completed")
                        && writable.contains(&c.id),
                })
            })
            .collect();
        Ok(AttendanceView {
            course: course.into(),
            session: session.into(),
            lines,
            can_record,
        })
    }

    /// Saves a session's sheet for the whole group in one transaction, and raises an
    /// absenteeism incident for each person it takes past the threshold.
    pub async fn save_attendance(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        session_id: Uuid,
        input: &AttendanceInput,
    ) -> Result<AttendanceSaved, Error> {
        require_recorder(actor)?;
        let lines = check_attendance(input)?;
        let mut tx = self.store.write().await?;
        let session = store::session(&mut tx, session_id)
            .await?
            .ok_or(Error::NotFound)?;
        self.save_sheet(tx, actor, ctx, session, lines).await
    }

    /// Saves the sheet of the course's session held on `day` (the API's form); on a
    /// day with more than one session, `starts_at` (`HH:MM`) says which.
    pub async fn save_attendance_on(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        course_id: Uuid,
        day: &str,
        starts_at: &str,
        input: &AttendanceInput,
    ) -> Result<AttendanceSaved, Error> {
        require_recorder(actor)?;
        let day = itinera_domain::input::parse_date(day).map_err(|c| Error::field("held_on", c))?;
        let lines = check_attendance(input)?;
        let mut tx = self.store.write().await?;
        let course = store::course(&mut tx, course_id)
            .await?
            .ok_or(Error::NotFound)?;
        // Who may not reach the course learns nothing of its schedule.
        course_reach(&mut tx, actor, ctx, &course).await?;
        let on_day = store::sessions_on(&mut tx, course_id, day).await?;
        let starts_at = starts_at.trim();
        let session = if starts_at.is_empty() {
            match on_day.len() {
                0 => {
                    return Err(Error::field(
                        "held_on",
                        "validation.attendance.not_a_session",
                    ))
                }
                // Two sessions that day (a make-up one): the sheet must say which.
                1 => on_day.into_iter().next(),
                _ => {
                    return Err(Error::field(
                        "starts_at",
                        "validation.attendance.which_session",
                    ))
                }
            }
        } else {
            on_day.into_iter().find(|s| s.starts_at == starts_at)
        }
        .ok_or_else(|| Error::field("starts_at", "validation.attendance.not_a_session"))?;
        self.save_sheet(tx, actor, ctx, session, lines).await
    }

    async fn save_sheet(
        &self,
        mut tx: Tx,
        actor: &Actor,
        ctx: &Ctx,
        session: store::Session,
        lines: Vec<(Uuid, Presence, Option<String>)>,
    ) -> Result<AttendanceSaved, Error> {
        let course = store::course(&mut tx, session.course_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (reach, as_trainer) = course_reach(&mut tx, actor, ctx, &course).await?;
        // Then the course's row (see `lock_course`), and the session and course as
        // they are now.
        store::lock_course(&mut tx, course.id).await?;
        let session = store::session(&mut tx, session.id)
            .await?
            .ok_or(Error::NotFound)?;
        let course = store::course(&mut tx, session.course_id)
            .await?
            .ok_or(Error::NotFound)?;
        if session.cancelled {
            return Err(Error::Rule("attendance.cancelled"));
        }
        if session.held_on > ctx.today() {
            return Err(Error::field("held_on", "validation.attendance.future"));
        }
        // Every line: a person enrolled on this course, whom the actor may see and whose
        // case team they write on (or whose course they train) — checked for the whole
        // sheet in one statement, with the SQL form of the access rule. A person the
        // actor may not see is refused like one not enrolled: the answer tells nothing
        // of who exists.
        let ids: Vec<Uuid> = lines.iter().map(|l| l.0).collect();
        let found = store::sheet_people(
            &mut tx,
            course.id,
            reach,
            &ids,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind.code(),
            ctx.today(),
        )
        .await?;
        let mut rows = Vec::with_capacity(lines.len());
        let mut people = Vec::with_capacity(lines.len());
        for (n, (cand_id, presence, reason)) in lines.iter().enumerate() {
            let Some(p) = found.iter().find(|p| {
                p.id == *cand_id
                    && p.visible
                    && matches!(p.status.as_str(), "enrolled" | "completed")
            }) else {
                return Err(Error::field(
                    format!("lines.{n}.candidate_id"),
                    "validation.attendance.not_enrolled",
                ));
            };
            if !(p.on_team || as_trainer) {
                return Err(Error::Rule("case.team.required"));
            }
            if p.anonymised {
                return Err(Error::field(
                    format!("lines.{n}.candidate_id"),
                    "privacy.anonymised",
                ));
            }
            rows.push((p.id, p.home_organisation_id, *presence, reason.clone()));
            people.push((p.id, p.case_id, *presence));
        }
        store::record_attendance(&mut tx, session.id, &rows, actor.user_id, ctx.now).await?;
        // The absenteeism rule, for those absent today.
        let absent: Vec<Uuid> = people
            .iter()
            .filter(|p| p.2 == Presence::Absent)
            .map(|p| p.0)
            .collect();
        let mut raised = Vec::new();
        if !absent.is_empty() {
            let (per_month, share) = store::thresholds(&mut tx, course.programme_id).await?;
            let marks = store::marks(&mut tx, &absent).await?;
            let day = session.held_on;
            let month_start = day.with_day(1).unwrap_or(day);
            // The whole calendar month: a sheet saved late, or corrected, for an
            // earlier day of a month whose incident was already raised raises none.
            let month_end = month_start
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(day);
            for (cand, case_id, _) in people.iter().filter(|p| p.2 == Presence::Absent) {
                let mine: Vec<(NaiveDate, Presence)> = marks
                    .iter()
                    .filter(|m| m.candidate_id == *cand)
                    .filter_map(|m| Presence::parse(&m.status).map(|p| (m.held_on, p)))
                    .collect();
                if !absenteeism(
                    &mine,
                    day,
                    i64::from(per_month),
                    i64::from(share),
                    course.sessions,
                ) {
                    continue;
                }
                if store::absenteeism_reported(&mut tx, *cand, month_start, month_end).await? {
                    continue;
                }
                let case = cases::get(&mut tx, *case_id)
                    .await?
                    .ok_or(Error::NotFound)?;
                // A closed case takes no new incident (none could be answered on it).
                if case.status == "closed" {
                    continue;
                }
                let dates: Vec<String> = mine
                    .iter()
                    .filter(|m| m.1 == Presence::Absent)
                    .map(|m| m.0.to_string())
                    .collect();
                let id = ctx.new_id();
                let data = IncidentData {
                    occurred_on: day,
                    kind: IncidentKind::Absenteeism,
                    severity: Severity::Medium,
                    reporter: Reporter::Trainer,
                    description: format!("{} · {}", course.title, dates.join(", ")),
                    contract_id: None,
                };
                incidents::insert(
                    &mut tx,
                    &incidents::NewIncident {
                        id,
                        case_id: case.id,
                        home_organisation_id: case.home_organisation_id,
                        data: &data,
                        reported_by: actor.user_id,
                        reported_by_organisation_id: actor.organisation_id,
                        candidate_id: Some(*cand),
                        now: ctx.now,
                    },
                )
                .await?;
                let told = crate::incidents::tell_team(
                    &mut tx,
                    &case,
                    actor.user_id,
                    id,
                    self.mail_on(),
                    ctx,
                )
                .await?;
                audit(
                    &mut tx,
                    actor,
                    ctx,
                    Action::IncidentCreate,
                    Some(id),
                    json!({"case": case.id, "kind": "absenteeism", "severity": "medium", "course": course.id,
                           "candidate": cand, "absences": dates.len(), "automatic": true,
                           "notified": told.iter().map(|t| t.0).collect::<Vec<_>>()}),
                )
                .await?;
                raised.push(id);
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::AttendanceRecord,
            Some(session.id),
            json!({"course": course.id, "held_on": session.held_on, "lines": rows.len(),
                   "absent": absent.len(), "candidates": rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                   "incidents": raised}),
        )
        .await?;
        if !raised.is_empty() {
            self.wake_mail();
        }
        Ok(AttendanceSaved {
            session_id: session.id,
            lines: rows.len(),
            incidents: raised,
        })
    }
}

/// The reason a course gives a case's change of phase: its title and specialty (data).
fn course_reason(c: &store::Course) -> String {
    match &c.specialty {
        Some(s) => format!("{} ({s})", c.title),
        None => c.title.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(days: &[u32]) -> Vec<store::Session> {
        days.iter()
            .map(|d| store::Session {
                id: Uuid::nil(),
                course_id: Uuid::nil(),
                held_on: NaiveDate::from_ymd_opt(2026, 11, *d).unwrap_or_default(),
                starts_at: "09:00".into(),
                ends_at: "14:00".into(),
                cancelled: false,
                recorded: 0,
            })
            .collect()
    }

    fn days(s: &[store::Session]) -> Vec<u32> {
        s.iter()
            .map(|s| chrono::Datelike::day(&s.held_on))
            .collect()
    }

    #[test]
    fn the_page_lists_five_sessions_before_today_and_six_from_it() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        // One more on each side: there are more, both ways.
        let (s, whole) = near_today(
            on(&[13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 28, 30]),
            today,
        );
        assert_eq!(days(&s), [16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 28]);
        assert!(!whole);
        // Exactly what is listed: the whole schedule.
        let (s, whole) = near_today(on(&[16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 28]), today);
        assert_eq!(s.len(), 11);
        assert!(whole);
        // A short course, all before today, or all from today.
        let (s, whole) = near_today(on(&[2, 9, 16]), today);
        assert_eq!(days(&s), [2, 9, 16]);
        assert!(whole);
        let (s, whole) = near_today(
            on(&[1, 2, 3, 4, 5, 6, 9]),
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        );
        assert_eq!(days(&s), [1, 2, 3, 4, 5, 6]);
        assert!(!whole);
        // More only before today.
        let (s, whole) = near_today(on(&[10, 11, 12, 13, 16, 17, 24]), today);
        assert_eq!(days(&s), [11, 12, 13, 16, 17, 24]);
        assert!(!whole);
        // None at all.
        let (s, whole) = near_today(Vec::new(), today);
        assert!(s.is_empty() && whole);
    }
}
