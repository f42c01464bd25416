//! Cases, their teams and their timelines.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Case {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub opened_by_organisation_id: Uuid,
    pub opened_by_organisation_name: String,
    pub case_manager_id: Uuid,
    pub case_manager_name: String,
    pub phase: String,
    pub status: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT c.id, c.participant_id, c.home_organisation_id, c.programme_id, g.code AS programme_code, g.name AS programme_name, \
    c.project_id, j.name AS project_name, c.opened_by_organisation_id, o.name AS opened_by_organisation_name, c.case_manager_id, \
    u.display_name AS case_manager_name, c.phase, c.status, c.opened_on, c.closed_on, c.exit_reason, c.version, c.created_at, c.updated_at \
    FROM cases c JOIN programmes g ON g.id = c.programme_id LEFT JOIN projects j ON j.id = c.project_id \
    JOIN organisations o ON o.id = c.opened_by_organisation_id JOIN users u ON u.id = c.case_manager_id";

pub struct NewCase {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub programme_id: Uuid,
    pub project_id: Option<Uuid>,
    pub opened_by_organisation_id: Uuid,
    pub case_manager_id: Uuid,
    pub phase: String,
    pub opened_on: NaiveDate,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewCase) -> Result<(), Error> {
    let live: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM cases WHERE participant_id = $1 AND programme_id = $2 AND status <> 'closed'"
    ).bind(n.participant_id).bind(n.programme_id).fetch_optional(c).await.map_err(db_err))?;
    if live.is_some() {
        return Err(Error::Conflict("case.already_open"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO cases (id, participant_id, home_organisation_id, programme_id, project_id, opened_by_organisation_id, case_manager_id, phase, status, opened_on, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'open',$9,1,$10,$10)"
    ).bind(n.id).bind(n.participant_id).bind(n.home_organisation_id).bind(n.programme_id).bind(n.project_id)
    .bind(n.opened_by_organisation_id).bind(n.case_manager_id).bind(&n.phase).bind(n.opened_on).bind(n.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Case>, Error> {
    let sql = format!("{SELECT} WHERE c.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn for_participant(tx: &mut Tx, pid: Uuid) -> Result<Vec<Case>, Error> {
    let sql = format!("{SELECT} WHERE c.participant_id = $1 ORDER BY c.opened_on DESC, c.id");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(pid).fetch_all(c).await.map_err(db_err))
}

/// The fields a transition changes, written only if the version is still current.
pub struct CaseChange<'a> {
    pub phase: &'a str,
    pub status: &'a str,
    pub closed_on: Option<NaiveDate>,
    pub exit_reason: Option<&'a str>,
    pub case_manager_id: Uuid,
}

pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    expected_version: i32,
    ch: &CaseChange<'_>,
    now: DateTime<Utc>,
) -> Result<i32, Error> {
    let v: Option<i32> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE cases SET phase = $3, status = $4, closed_on = $5, exit_reason = $6, case_manager_id = $7, version = version + 1, updated_at = $8 \
         WHERE id = $1 AND version = $2 RETURNING version"
    ).bind(id).bind(expected_version).bind(ch.phase).bind(ch.status).bind(ch.closed_on).bind(ch.exit_reason)
    .bind(ch.case_manager_id).bind(now).fetch_optional(c).await.map_err(db_err))?;
    v.ok_or(Error::Conflict("error.stale_version"))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamMember {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

pub async fn team(tx: &mut Tx, case_id: Uuid) -> Result<Vec<TeamMember>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.user_id, u.display_name AS user_name, m.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, m.role, m.added_at \
         FROM case_team_members m JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = m.organisation_id \
         WHERE m.case_id = $1 AND m.removed_at IS NULL ORDER BY o.name, u.display_name"
    ).bind(case_id).fetch_all(c).await.map_err(db_err))
}

pub struct NewMember<'a> {
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub role: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn add_member(tx: &mut Tx, m: &NewMember<'_>) -> Result<Uuid, Error> {
    let existing: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM case_team_members WHERE case_id = $1 AND user_id = $2 AND organisation_id = $3 AND role = $4 AND removed_at IS NULL"
    ).bind(m.case_id).bind(m.user_id).bind(m.organisation_id).bind(m.role).fetch_optional(c).await.map_err(db_err))?;
    if existing.is_some() {
        return Err(Error::Conflict("case.team.already_member"));
    }
    let id = itinera_clock::new_id(m.now);
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO case_team_members (id, case_id, home_organisation_id, user_id, organisation_id, role, added_at, participant_id) \
         SELECT $1,$2,$3,$4,$5,$6,$7,c.participant_id FROM cases c WHERE c.id = $2"
    ).bind(id).bind(m.case_id).bind(m.home_organisation_id).bind(m.user_id).bind(m.organisation_id).bind(m.role).bind(m.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    // The membership names its case's person (the access rule reads it): no case, no
    // membership.
    if n != 1 {
        return Err(Error::NotFound);
    }
    Ok(id)
}

/// How many team memberships `fill_team_persons` names in one transaction.
const FILL_BATCH: i64 = 5_000;

/// Names the person on the current team memberships that have none — all of them once,
/// after migration 45; afterwards those a server older than it wrote meanwhile (the
/// access rule's team condition reads the person; until it is named the membership is
/// not counted). In batches of `FILL_BATCH`, each its own transaction, so that a large
/// table is not locked at once. The partial index of migration 46 finds them: nothing to
/// read once every current membership has one. Returns how many were named.
pub async fn fill_team_persons(store: &crate::Store) -> Result<u64, Error> {
    let mut named = 0;
    loop {
        let mut tx = store.write().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE case_team_members SET participant_id = (SELECT c.participant_id FROM cases c WHERE c.id = case_team_members.case_id) \
             WHERE id IN (SELECT id FROM case_team_members WHERE participant_id IS NULL AND removed_at IS NULL LIMIT $1)"
        ).bind(FILL_BATCH).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
        tx.commit().await?;
        named += n;
        if n < FILL_BATCH as u64 {
            break;
        }
    }
    if named > 0 {
        tracing::info!(memberships = named, "persons of team memberships named");
    }
    Ok(named)
}

pub async fn remove_member(
    tx: &mut Tx,
    case_id: Uuid,
    member_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let r = on_tx!(tx, c => sqlx::query(
        "UPDATE case_team_members SET removed_at = $3 WHERE id = $2 AND case_id = $1 AND removed_at IS NULL"
    ).bind(case_id).bind(member_id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(r == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: Uuid,
    pub kind: String,
    pub from_phase: Option<String>,
    pub to_phase: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub actor_name: String,
    pub actor_organisation_name: String,
    pub at: DateTime<Utc>,
}

pub struct NewEvent<'a> {
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub kind: &'a str,
    pub from_phase: Option<&'a str>,
    pub to_phase: Option<&'a str>,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub actor_id: Uuid,
    pub actor_organisation_id: Uuid,
    pub at: DateTime<Utc>,
}

pub async fn add_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO case_events (id, case_id, home_organisation_id, kind, from_phase, to_phase, from_status, to_status, reason, actor_id, actor_organisation_id, at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
    ).bind(itinera_clock::new_id(e.at)).bind(e.case_id).bind(e.home_organisation_id).bind(e.kind).bind(e.from_phase).bind(e.to_phase)
    .bind(e.from_status).bind(e.to_status).bind(e.reason).bind(e.actor_id).bind(e.actor_organisation_id).bind(e.at)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn events(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Event>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT e.id, e.kind, e.from_phase, e.to_phase, e.from_status, e.to_status, e.reason, u.display_name AS actor_name, o.name AS actor_organisation_name, e.at \
         FROM case_events e JOIN users u ON u.id = e.actor_id JOIN organisations o ON o.id = e.actor_organisation_id \
         WHERE e.case_id = $1 ORDER BY e.at, e.id"
    ).bind(case_id).fetch_all(c).await.map_err(db_err))
}

/// What else happened on a case, for its timeline: contacts the reader may read (their
/// visibility), assessments and signed versions of the itinerary. `kind`: `contact`,
/// `assessment`, `signature`; `detail`: the contact's kind, the profile, the version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Activity {
    pub kind: String,
    pub on_day: NaiveDate,
    pub detail: String,
    pub who: String,
}

pub async fn activity(
    tx: &mut Tx,
    case_id: Uuid,
    reader: Uuid,
    reader_org: Uuid,
) -> Result<Vec<Activity>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT 'contact' AS kind, k.happened_on AS on_day, k.kind AS detail, u.display_name AS who FROM contacts k JOIN users u ON u.id = k.author_id \
         WHERE k.case_id = $1 AND (k.visibility = 'team' OR (k.visibility = 'service' AND k.author_organisation_id = $3) OR (k.visibility = 'author' AND k.author_id = $2)) \
         UNION ALL SELECT 'assessment', a.assessed_on, a.profile, u.display_name FROM assessments a JOIN users u ON u.id = a.assessor_id WHERE a.case_id = $1 \
         UNION ALL SELECT 'signature', v.signed_on, CAST(v.number AS TEXT), v.signatories FROM itinerary_versions v JOIN itineraries i ON i.id = v.itinerary_id WHERE i.case_id = $1"
    ).bind(case_id).bind(reader).bind(reader_org).fetch_all(c).await.map_err(db_err))
}

/// The open incidents and the open coordination agreements about a case.
pub async fn open_counts(tx: &mut Tx, case_id: Uuid) -> Result<(i64, i64), Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT (SELECT count(*) FROM incidents i WHERE i.case_id = $1 AND i.resolved_on IS NULL), \
         (SELECT count(*) FROM agreements g WHERE g.case_id = $1 AND g.status = 'open')"
    ).bind(case_id).fetch_one(c).await.map_err(db_err))
}

/// Counts of a programme's cases by status and phase, for aggregates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhaseCount {
    pub status: String,
    pub phase: String,
    pub count: i64,
}

/// Cases per status and phase of a programme (of one of its projects, if given).
pub async fn counts_by_phase(
    tx: &mut Tx,
    programme_id: Uuid,
    project_id: Option<Uuid>,
) -> Result<Vec<PhaseCount>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT status, phase, count(*) AS count FROM cases WHERE programme_id = $1 AND ($2 IS NULL OR project_id = $2) \
         GROUP BY status, phase ORDER BY status, phase"
    ).bind(programme_id).bind(project_id).fetch_all(c).await.map_err(db_err))
}

/// A pseudonymised line for programme managers: no name, no document, no address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PseudonymousCase {
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub phase: String,
    pub status: String,
}

/// The cases of a programme (or project) in the given (status, phase) groups, newest
/// first; none when no group is given.
pub async fn pseudonymous_list(
    tx: &mut Tx,
    programme_id: Uuid,
    project_id: Option<Uuid>,
    groups: &[(String, String)],
    page: itinera_domain::PageRequest,
) -> Result<itinera_domain::Page<PseudonymousCase>, Error> {
    if groups.is_empty() {
        return Ok(itinera_domain::Page::from_overfetch(Vec::new(), page));
    }
    let wanted: Vec<String> = (0..groups.len())
        .map(|i| format!("(c.status = ${} AND c.phase = ${})", 5 + 2 * i, 6 + 2 * i))
        .collect();
    let sql = format!(
        "SELECT c.id AS case_id, c.participant_id, c.phase, c.status FROM cases c \
         WHERE c.programme_id = $1 AND ($4 IS NULL OR c.project_id = $4) AND ({}) \
         ORDER BY c.opened_on DESC, c.id DESC LIMIT $2 OFFSET $3",
        wanted.join(" OR ")
    );
    let rows: Vec<PseudonymousCase> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql).bind(programme_id).bind(page.limit() + 1).bind(page.offset()).bind(project_id);
        for (s, p) in groups {
            q = q.bind(s).bind(p);
        }
        q.fetch_all(c).await.map_err(db_err)
    })?;
    Ok(itinera_domain::Page::from_overfetch(rows, page))
}

/// One professional's desk for the benchmark: who, and open cases of their teams whose
/// participant their organisation may see today (case id, participant id).
#[derive(Debug, Clone)]
pub struct Desk {
    pub username: String,
    pub cases: Vec<(Uuid, Uuid)>,
}

/// The `users` professionals with the largest caseloads, each with up to `per_user` of
/// their open cases (the benchmark's concurrent professionals).
pub async fn busiest_desks(
    tx: &mut Tx,
    users: i64,
    per_user: i64,
    today: NaiveDate,
) -> Result<Vec<Desk>, Error> {
    let who: Vec<(String, Uuid, Uuid, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT u.username, m.user_id, m.organisation_id, o.kind FROM case_team_members m \
         JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = m.organisation_id \
         WHERE m.removed_at IS NULL GROUP BY u.username, m.user_id, m.organisation_id, o.kind \
         ORDER BY count(*) DESC, u.username LIMIT $1"
    ).bind(users).fetch_all(c).await.map_err(db_err))?;
    let mut out = Vec::new();
    for (username, user, org, kind) in who {
        let cases: Vec<(Uuid, Uuid)> = open_team_cases(tx, user, org, &kind, today, per_user)
            .await?
            .into_iter()
            .map(|c| (c.0, c.1))
            .collect();
        if !cases.is_empty() {
            out.push(Desk { username, cases });
        }
    }
    Ok(out)
}

/// Up to `limit` open cases of `user`'s teams (acting for `org`, of kind `kind`) whose
/// participant the organisation may see today: (case id, participant id, opened on).
pub async fn open_team_cases(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid, NaiveDate)>, Error> {
    let sql = format!(
        "SELECT c.id, c.participant_id, c.opened_on FROM case_team_members m CROSS JOIN cases c CROSS JOIN participants p \
         WHERE m.user_id = $1 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.id = m.case_id \
         AND c.status = 'open' AND p.id = c.participant_id AND {} ORDER BY c.id LIMIT $5",
        crate::access::visible_sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(user).bind(org).bind(kind).bind(today).bind(limit)
        .fetch_all(c).await.map_err(db_err))
}

/// Up to `limit` cases (id, home organisation), for loading generated data that refers
/// to cases (the benchmark's courses).
pub async fn sample(tx: &mut Tx, limit: i64) -> Result<Vec<(Uuid, Uuid)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT id, home_organisation_id FROM cases ORDER BY id LIMIT $1")
        .bind(limit).fetch_all(c).await.map_err(db_err))
}
