//! Training: courses and their sessions, candidates (with each service's decision),
//! attendance, and the pool of a programme's cases to preselect from. Lists of
//! candidates and the pool carry the access predicate: a reader sees only the people
//! their organisation may see.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::training::{CourseData, Presence};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::{visible_sql, Reach};
use crate::bulk::{self, V};
use crate::{db_err, on_tx, Tx};

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

pub struct NewCourse<'a> {
    pub id: Uuid,
    pub data: &'a CourseData,
    pub created_by: Uuid,
    pub created_by_organisation_id: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert_course(
    tx: &mut Tx,
    n: &NewCourse<'_>,
    sessions: &[(Uuid, NaiveDate)],
) -> Result<(), Error> {
    let d = n.data;
    let (af, at) = match d.alternance {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO courses (id, programme_id, project_id, provider_id, title, specialty, theory_hours, practice_hours, start_on, end_on, place, places, \
         weekdays, starts_at, ends_at, trainers, alternance_from, alternance_to, created_by, created_by_organisation_id, created_at) \
         VALUES ($1,$2,$21,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"
    ).bind(n.id).bind(d.programme_id).bind(d.provider_id).bind(&d.title).bind(&d.specialty).bind(d.theory_hours).bind(d.practice_hours)
    .bind(d.start_on).bind(d.end_on).bind(&d.place).bind(d.places).bind(d.weekdays.join(",")).bind(&d.starts_at).bind(&d.ends_at)
    .bind(&d.trainers).bind(af).bind(at).bind(n.created_by).bind(n.created_by_organisation_id).bind(n.now).bind(d.project_id)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    let rows: Vec<Vec<V>> = sessions
        .iter()
        .map(|(id, day)| {
            vec![
                V::Uuid(*id),
                V::Uuid(n.id),
                V::Date(*day),
                V::Text(d.starts_at.clone()),
                V::Text(d.ends_at.clone()),
                V::Bool(false),
            ]
        })
        .collect();
    bulk::insert(
        tx,
        "course_sessions",
        &[
            "id",
            "course_id",
            "held_on",
            "starts_at",
            "ends_at",
            "cancelled",
        ],
        &rows,
    )
    .await?;
    add_trainers(tx, n.id, &d.trainer_ids).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
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
    pub weekdays: String,
    pub starts_at: String,
    pub ends_at: String,
    pub trainers: Option<String>,
    pub alternance_from: Option<NaiveDate>,
    pub alternance_to: Option<NaiveDate>,
    pub sessions: i64,
    pub enrolled: i64,
    pub created_by_organisation_id: Uuid,
}

const COURSE: &str = "SELECT k.id, k.programme_id, g.code AS programme_code, k.project_id, \
    (SELECT j.code || ' — ' || j.name FROM projects j WHERE j.id = k.project_id) AS project_name, k.provider_id, o.name AS provider_name, k.title, k.specialty, \
    k.theory_hours, k.practice_hours, k.start_on, k.end_on, k.place, k.places, k.weekdays, k.starts_at, k.ends_at, k.trainers, \
    k.alternance_from, k.alternance_to, \
    (SELECT COUNT(*) FROM course_sessions s WHERE s.course_id = k.id AND NOT s.cancelled) AS sessions, \
    (SELECT COUNT(*) FROM course_candidates e WHERE e.course_id = k.id AND e.status IN ('enrolled', 'completed')) AS enrolled, \
    k.created_by_organisation_id \
    FROM courses k JOIN programmes g ON g.id = k.programme_id JOIN organisations o ON o.id = k.provider_id";

/// Courses, newest first, at most `limit`.
pub async fn courses(tx: &mut Tx, limit: i64) -> Result<Vec<Course>, Error> {
    let sql = format!("{COURSE} ORDER BY k.start_on DESC, k.id DESC LIMIT $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(limit).fetch_all(c).await.map_err(db_err))
}

/// The newest course titled `title` that `created_by` created (the benchmark finds the
/// course it measured again).
pub async fn course_titled(
    tx: &mut Tx,
    created_by: Uuid,
    title: &str,
) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM courses WHERE created_by = $1 AND title = $2 ORDER BY created_at DESC, id DESC LIMIT 1"
    ).bind(created_by).bind(title).fetch_optional(c).await.map_err(db_err))
}

/// The courses `user` is a named trainer of, newest first.
pub async fn courses_of_trainer(tx: &mut Tx, user: Uuid, limit: i64) -> Result<Vec<Course>, Error> {
    let sql = format!(
        "{COURSE} WHERE EXISTS (SELECT 1 FROM course_trainers t WHERE t.course_id = k.id AND t.user_id = $1) \
         ORDER BY k.start_on DESC, k.id DESC LIMIT $2"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(limit).fetch_all(c).await.map_err(db_err))
}

/// Whether `user` is a named trainer of `course`.
pub async fn is_trainer(tx: &mut Tx, course: Uuid, user: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM course_trainers WHERE course_id = $1 AND user_id = $2"
    ).bind(course).bind(user).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// The named trainers of a course: id and name.
pub async fn trainers(tx: &mut Tx, course: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT u.id, u.display_name FROM course_trainers t JOIN users u ON u.id = t.user_id \
         WHERE t.course_id = $1 ORDER BY u.display_name, u.id"
    ).bind(course).fetch_all(c).await.map_err(db_err))
}

/// Names the trainers of a course.
pub async fn add_trainers(tx: &mut Tx, course: Uuid, users: &[Uuid]) -> Result<(), Error> {
    for u in users {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO course_trainers (course_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        ).bind(course).bind(*u).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    Ok(())
}

/// Replaces the named trainers of a course.
pub async fn set_trainers(tx: &mut Tx, course: Uuid, users: &[Uuid]) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM course_trainers WHERE course_id = $1")
        .bind(course).execute(c).await.map(|_| ()).map_err(db_err))?;
    add_trainers(tx, course, users).await
}

/// The users who may be named trainers of a course given by `org`: active, with the
/// role `trainer` there (id, name).
pub async fn trainers_of(tx: &mut Tx, org: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organisation_id = $1 AND m.role = 'trainer' AND u.active ORDER BY u.display_name, u.id"
    ).bind(org).fetch_all(c).await.map_err(db_err))
}

/// Users who may be named trainers: active, with the role `trainer` at an
/// organisation (user, name, organisation).
pub async fn trainer_choices(tx: &mut Tx) -> Result<Vec<(Uuid, String, Uuid)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name, m.organisation_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.role = 'trainer' AND u.active ORDER BY u.display_name, u.id"
    ).fetch_all(c).await.map_err(db_err))
}

pub async fn course(tx: &mut Tx, id: Uuid) -> Result<Option<Course>, Error> {
    let sql = format!("{COURSE} WHERE k.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Takes the course's row for the rest of the write transaction: on PostgreSQL two
/// writes to one course's places, selections, schedule or sheets then run one after
/// the other (each reads what the other committed), as they do behind SQLite's one
/// writer. A row lock with the statement both engines share.
pub async fn lock_course(tx: &mut Tx, id: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE courses SET places = places WHERE id = $1")
        .bind(id).execute(c).await.map(|_| ()).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: Uuid,
    pub course_id: Uuid,
    pub held_on: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub cancelled: bool,
    pub recorded: i64,
}

/// A session with the number of marks recorded (kept by `record_attendance`).
const SESSION: &str = "SELECT s.id, s.course_id, s.held_on, s.starts_at, s.ends_at, s.cancelled, s.recorded FROM course_sessions s";

pub async fn sessions(tx: &mut Tx, course: Uuid) -> Result<Vec<Session>, Error> {
    let sql = format!("{SESSION} WHERE s.course_id = $1 ORDER BY s.held_on, s.starts_at");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(course).fetch_all(c).await.map_err(db_err))
}

/// The sessions nearest `today`: the last `before` held before it and the first
/// `from_today` on or after it, in order (a course's page; its whole schedule is
/// [`sessions`]).
pub async fn sessions_around(
    tx: &mut Tx,
    course: Uuid,
    today: NaiveDate,
    before: i64,
    from_today: i64,
) -> Result<Vec<Session>, Error> {
    let sql = format!(
        "SELECT * FROM ({SESSION} WHERE s.course_id = $1 AND s.held_on < $2 \
           ORDER BY s.held_on DESC, s.starts_at DESC LIMIT $3) AS earlier \
         UNION ALL SELECT * FROM ({SESSION} WHERE s.course_id = $1 AND s.held_on >= $2 \
           ORDER BY s.held_on, s.starts_at LIMIT $4) AS coming \
         ORDER BY held_on, starts_at"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(course).bind(today).bind(before).bind(from_today)
        .fetch_all(c).await.map_err(db_err))
}

pub async fn session(tx: &mut Tx, id: Uuid) -> Result<Option<Session>, Error> {
    let sql = format!("{SESSION} WHERE s.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Whether the course has another session on that day at that hour.
pub async fn session_taken(
    tx: &mut Tx,
    course: Uuid,
    day: NaiveDate,
    starts_at: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM course_sessions WHERE course_id = $1 AND held_on = $2 AND starts_at = $3 AND ($4 IS NULL OR id <> $4)"
    ).bind(course).bind(day).bind(starts_at).bind(except).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

pub async fn insert_session(
    tx: &mut Tx,
    id: Uuid,
    course: Uuid,
    d: &itinera_domain::training::SessionData,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO course_sessions (id, course_id, held_on, starts_at, ends_at, cancelled) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(course).bind(d.held_on).bind(&d.starts_at).bind(&d.ends_at).bind(d.cancelled)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn update_session(
    tx: &mut Tx,
    id: Uuid,
    d: &itinera_domain::training::SessionData,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE course_sessions SET held_on = $2, starts_at = $3, ends_at = $4, cancelled = $5 WHERE id = $1"
    ).bind(id).bind(d.held_on).bind(&d.starts_at).bind(&d.ends_at).bind(d.cancelled)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Whether any mark was recorded at the session (from the marks themselves, not the
/// kept count: a rule relies on it).
pub async fn session_has_marks(tx: &mut Tx, session: Uuid) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM attendance WHERE session_id = $1)"
    ).bind(session).fetch_one(c).await.map_err(db_err))
}

/// The course's sessions held on `day`, not cancelled, by their hour.
pub async fn sessions_on(tx: &mut Tx, course: Uuid, day: NaiveDate) -> Result<Vec<Session>, Error> {
    let sql = format!("{SESSION} WHERE s.course_id = $1 AND s.held_on = $2 AND NOT s.cancelled ORDER BY s.starts_at");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(course).bind(day).fetch_all(c).await.map_err(db_err))
}

/// A candidate as the rules need it (no person data).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub id: Uuid,
    pub course_id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub status: String,
    pub social_decision: Option<String>,
    pub employment_decision: Option<String>,
}

pub async fn candidate(tx: &mut Tx, id: Uuid) -> Result<Option<Candidate>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, course_id, case_id, home_organisation_id, status, social_decision, employment_decision FROM course_candidates WHERE id = $1"
    ).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// A candidate as a reader who may see the person sees them on the course's page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateLine {
    pub id: Uuid,
    pub case_id: Uuid,
    pub participant_name: String,
    pub phase: String,
    pub status: String,
    pub social_decision: Option<String>,
    pub social_reason: Option<String>,
    pub social_by_name: Option<String>,
    pub employment_decision: Option<String>,
    pub employment_reason: Option<String>,
    pub employment_by_name: Option<String>,
    pub status_reason: Option<String>,
    pub certificate: bool,
    pub recorded: i64,
    pub absent: i64,
}

/// The course's candidates whose person organisation `$2` (of kind `$3`) may see on
/// day `$4`, by name.
pub async fn candidates(
    tx: &mut Tx,
    course: Uuid,
    reach: Reach,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<CandidateLine>, Error> {
    let sql = format!(
        "SELECT e.id, e.case_id, {NAME} AS participant_name, c.phase, e.status, e.social_decision, e.social_reason, su.display_name AS social_by_name, \
         e.employment_decision, e.employment_reason, eu.display_name AS employment_by_name, e.status_reason, e.certificate, \
         e.recorded, e.absent \
         FROM course_candidates e JOIN cases c ON c.id = e.case_id JOIN participants p ON p.id = c.participant_id \
         LEFT JOIN users su ON su.id = e.social_by LEFT JOIN users eu ON eu.id = e.employment_by \
         WHERE e.course_id = $1 AND {} ORDER BY p.surname_key, p.given_key, e.id",
        reach.sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(course).bind(org).bind(kind).bind(today).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_candidate(
    tx: &mut Tx,
    id: Uuid,
    course: Uuid,
    case_id: Uuid,
    home: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO course_candidates (id, course_id, case_id, home_organisation_id, status, preselected_by, preselected_at, certificate, updated_at) \
         VALUES ($1,$2,$3,$4,'candidate',$5,$6,FALSE,$6) ON CONFLICT (course_id, case_id) DO NOTHING"
    ).bind(id).bind(course).bind(case_id).bind(home).bind(by).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Records one service's decision (`social` or `employment`) and the status it leads to.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    social: bool,
    decision: &str,
    reason: &str,
    by: Uuid,
    status: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let sql = if social {
        "UPDATE course_candidates SET social_decision = $2, social_reason = $3, social_by = $4, status = $5, updated_at = $6 WHERE id = $1"
    } else {
        "UPDATE course_candidates SET employment_decision = $2, employment_reason = $3, employment_by = $4, status = $5, updated_at = $6 WHERE id = $1"
    };
    on_tx!(tx, c => sqlx::query(sql).bind(id).bind(decision).bind(reason).bind(by).bind(status).bind(now)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn set_status(
    tx: &mut Tx,
    id: Uuid,
    from: &str,
    status: &str,
    reason: Option<&str>,
    certificate: bool,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE course_candidates SET status = $3, status_reason = $4, certificate = $5, updated_at = $6 WHERE id = $1 AND status = $2"
    ).bind(id).bind(from).bind(status).bind(reason).bind(certificate).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolCase {
    pub case_id: Uuid,
    pub participant_name: String,
    pub phase: String,
    pub profile: Option<String>,
    pub territory: Option<String>,
    pub labour_status: String,
    pub surname_key: String,
    pub given_key: String,
}

/// Filters of the preselection pool.
#[derive(Debug, Clone, Default)]
pub struct PoolFilter {
    pub phase: Option<String>,
    pub profile: Option<String>,
    pub territory: Option<Uuid>,
    /// Only people available now: not in work (no running contract) and not enrolled on
    /// another course.
    pub available: bool,
}

/// Open cases of the course's programme on `user`'s teams (acting for `org`: who may
/// preselect them) whose person the organisation may see, not on the course yet, by
/// the filters; at most 200, by name. The team memberships drive the query (a caseload
/// is a few hundred cases); `COALESCE` keeps SQLite's planner from scanning the whole
/// programme's index once per membership.
#[allow(clippy::too_many_arguments)]
pub async fn pool(
    tx: &mut Tx,
    course: Uuid,
    programme: Uuid,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    f: &PoolFilter,
) -> Result<Vec<PoolCase>, Error> {
    let mut cond = String::new();
    if f.phase.is_some() {
        cond.push_str(" AND c.phase = $6");
    }
    if f.profile.is_some() {
        cond.push_str(" AND (SELECT s.profile FROM assessments s WHERE s.case_id = c.id ORDER BY s.assessed_on DESC, s.created_at DESC LIMIT 1) = $7");
    }
    if f.territory.is_some() {
        cond.push_str(" AND p.territory_id = $8");
    }
    if f.available {
        cond.push_str(
            " AND NOT EXISTS (SELECT 1 FROM contracts w WHERE w.case_id = c.id AND w.ended_on IS NULL AND w.start_on <= $4 AND (w.planned_end_on IS NULL OR w.planned_end_on >= $4)) \
              AND NOT EXISTS (SELECT 1 FROM course_candidates o JOIN courses ok ON ok.id = o.course_id WHERE o.case_id = c.id AND o.status = 'enrolled' AND ok.end_on >= $4)",
        );
    }
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, {NAME} AS participant_name, c.phase, \
         (SELECT s.profile FROM assessments s WHERE s.case_id = c.id ORDER BY s.assessed_on DESC, s.created_at DESC LIMIT 1) AS profile, \
         t.name AS territory, p.labour_status, p.surname_key, p.given_key \
         FROM case_team_members m CROSS JOIN cases c CROSS JOIN participants p LEFT JOIN territories t ON t.id = p.territory_id \
         WHERE m.user_id = $9 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.id = m.case_id AND p.id = c.participant_id \
         AND COALESCE(c.programme_id, c.programme_id) = $5 AND c.status = 'open' AND {} \
         AND NOT EXISTS (SELECT 1 FROM course_candidates e WHERE e.course_id = $1 AND e.case_id = c.id) \
         AND ($6 IS NULL OR $6 = $6) AND ($7 IS NULL OR $7 = $7) AND ($8 IS NULL OR $8 = $8){cond} \
         ORDER BY p.surname_key, p.given_key, c.id LIMIT 200",
        visible_sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(course).bind(org).bind(kind).bind(today).bind(programme)
        .bind(f.phase.as_deref()).bind(f.profile.as_deref()).bind(f.territory).bind(user)
        .fetch_all(c).await.map_err(db_err))
}

/// Records a session's sheet: each line replaces what was recorded before for its
/// person; the marks of people not on the sheet stay.
pub async fn record_attendance(
    tx: &mut Tx,
    session: Uuid,
    lines: &[(Uuid, Uuid, Presence, Option<String>)],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let rows: Vec<Vec<V>> = lines
        .iter()
        .map(|(cand, home, p, reason)| {
            vec![
                V::Uuid(session),
                V::Uuid(*cand),
                V::Uuid(*home),
                V::Text(p.code().into()),
                V::OptText(reason.clone()),
                V::Uuid(by),
                V::Ts(now),
            ]
        })
        .collect();
    let mut touched: Vec<Uuid> = lines.iter().map(|l| l.0).collect();
    touched.sort_unstable();
    touched.dedup();
    // Only the marks of the people on the sheet: a professional who sees part of the
    // group saves the part they see, and the others' marks stay.
    for chunk in touched.chunks(crate::IDS_PER_STATEMENT) {
        let list = crate::placeholders(2, chunk.len());
        let sql =
            format!("DELETE FROM attendance WHERE session_id = $1 AND candidate_id IN ({list})");
        on_tx!(tx, c => {
            let mut q = sqlx::query(&sql).bind(session);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|_| ()).map_err(db_err)
        })?;
    }
    bulk::insert(
        tx,
        "attendance",
        &[
            "session_id",
            "candidate_id",
            "home_organisation_id",
            "status",
            "reason",
            "recorded_by",
            "recorded_at",
        ],
        &rows,
    )
    .await?;
    recount(tx, session, &touched).await
}

/// Recounts the marks the course page shows: the session's, and the marks and
/// unjustified absences of each of `candidates` (from the index on candidate and
/// status alone). Recounting rather than adding the difference mends a count left
/// stale by an older server (migration 33).
async fn recount(tx: &mut Tx, session: Uuid, candidates: &[Uuid]) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE course_sessions SET recorded = (SELECT COUNT(*) FROM attendance a WHERE a.session_id = $1) WHERE id = $1"
    ).bind(session).execute(c).await.map(|_| ()).map_err(db_err))?;
    for chunk in candidates.chunks(crate::IDS_PER_STATEMENT) {
        let list = crate::placeholders(1, chunk.len());
        let sql = format!(
            "UPDATE course_candidates SET \
             recorded = (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = course_candidates.id), \
             absent = (SELECT COUNT(*) FROM attendance a WHERE a.candidate_id = course_candidates.id AND a.status = 'absent') \
             WHERE id IN ({list})"
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|_| ()).map_err(db_err)
        })?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mark {
    pub candidate_id: Uuid,
    pub held_on: NaiveDate,
    pub status: String,
    pub reason: Option<String>,
}

/// Every mark of `candidates` on the course, by day.
/// What is recorded at one session: candidate, status, reason.
pub async fn session_marks(
    tx: &mut Tx,
    session: Uuid,
) -> Result<Vec<(Uuid, String, Option<String>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT candidate_id, status, reason FROM attendance WHERE session_id = $1"
    ).bind(session).fetch_all(c).await.map_err(db_err))
}

pub async fn marks(tx: &mut Tx, candidates: &[Uuid]) -> Result<Vec<Mark>, Error> {
    crate::rows_for_ids(tx, candidates, |list| {
        format!(
            "SELECT a.candidate_id, s.held_on, a.status, a.reason FROM attendance a JOIN course_sessions s ON s.id = a.session_id \
             WHERE a.candidate_id IN ({list}) ORDER BY s.held_on"
        )
    })
    .await
}

/// Whether an absenteeism incident of `candidate` occurred in [`from`, `to`].
pub async fn absenteeism_reported(
    tx: &mut Tx,
    candidate: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM incidents WHERE candidate_id = $1 AND kind = 'absenteeism' AND occurred_on >= $2 AND occurred_on <= $3"
    ).bind(candidate).bind(from).bind(to).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// A programme's absenteeism thresholds: unjustified absences in a month, and the share
/// of a course's sessions (per cent).
pub async fn thresholds(tx: &mut Tx, programme: Uuid) -> Result<(i16, i16), Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT absences_per_month, absence_share_pct FROM programmes WHERE id = $1"
    ).bind(programme).fetch_one(c).await.map_err(db_err))
}

/// Organisations that may provide training (any active organisation but authorities).
pub async fn providers(tx: &mut Tx) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name FROM organisations WHERE active AND kind <> 'authority' ORDER BY name"
    ).fetch_all(c).await.map_err(db_err))
}

/// The people of a sheet, in one statement: for each of `ids` on `course`, its case,
/// the person's home organisation, its status, whether organisation `$2` (of kind `$3`)
/// may see the person on day `$4`, and whether `user` (acting for `$2`) is on the
/// case's team.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SheetPerson {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub status: String,
    pub visible: bool,
    pub on_team: bool,
    /// The person's record is anonymised: read, never written again.
    pub anonymised: bool,
}

#[allow(clippy::too_many_arguments)]
pub async fn sheet_people(
    tx: &mut Tx,
    course: Uuid,
    reach: Reach,
    ids: &[Uuid],
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<SheetPerson>, Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::IDS_PER_STATEMENT) {
        let list = crate::placeholders(6, chunk.len());
        let sql = format!(
            "SELECT e.id, e.case_id, e.home_organisation_id, e.status, \
             CASE WHEN {} THEN TRUE ELSE FALSE END AS visible, \
             EXISTS (SELECT 1 FROM case_team_members m WHERE m.case_id = e.case_id AND m.user_id = $5 AND m.organisation_id = $2 AND m.removed_at IS NULL) AS on_team, \
             p.anonymised_at IS NOT NULL AS anonymised \
             FROM course_candidates e JOIN cases c ON c.id = e.case_id JOIN participants p ON p.id = c.participant_id \
             WHERE e.course_id = $1 AND e.id IN ({list})",
            reach.sql("p", "$2", "$3", "$4")
        );
        let rows: Vec<SheetPerson> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(&sql).bind(course).bind(org).bind(kind).bind(today).bind(user);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await.map_err(db_err)
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// A person's place on a course, for the answer to their request to see their data.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Place {
    pub course_title: String,
    pub provider_name: String,
    pub status: String,
    pub certificate: bool,
    pub recorded: i64,
    pub absent: i64,
}

/// The places on courses of a case, oldest first.
pub async fn places_of_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Place>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT co.title AS course_title, o.name AS provider_name, e.status, e.certificate, e.recorded, e.absent \
         FROM course_candidates e JOIN courses co ON co.id = e.course_id JOIN organisations o ON o.id = co.provider_id \
         WHERE e.case_id = $1 ORDER BY co.start_on, e.id"
    ).bind(case_id).fetch_all(c).await.map_err(db_err))
}
