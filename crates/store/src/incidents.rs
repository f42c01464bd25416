//! Incidents of a training or a placement, and the notices they send.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::incident::{IncidentData, IncidentResponse};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

pub struct NewIncident<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub data: &'a IncidentData,
    pub reported_by: Uuid,
    pub reported_by_organisation_id: Uuid,
    /// The place on a course it happened at (absenteeism found by the attendance).
    pub candidate_id: Option<Uuid>,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewIncident<'_>) -> Result<(), Error> {
    let d = n.data;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO incidents (id, case_id, home_organisation_id, contract_id, kind, severity, occurred_on, reporter, description, \
         reported_by, reported_by_organisation_id, reported_at, version, candidate_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,1,$13)"
    ).bind(n.id).bind(n.case_id).bind(n.home_organisation_id).bind(d.contract_id).bind(d.kind.code()).bind(d.severity.code())
    .bind(d.occurred_on).bind(d.reporter.code()).bind(&d.description).bind(n.reported_by).bind(n.reported_by_organisation_id).bind(n.now).bind(n.candidate_id)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Incident {
    pub id: Uuid,
    pub case_id: Uuid,
    pub contract_id: Option<Uuid>,
    pub kind: String,
    pub severity: String,
    pub occurred_on: NaiveDate,
    pub reporter: String,
    pub description: String,
    pub reported_by: Uuid,
    pub reported_by_name: String,
    pub reported_by_organisation_name: String,
    pub reported_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub responded_by_name: Option<String>,
    pub actions_agreed: Option<String>,
    pub resolution: Option<String>,
    pub resolved_on: Option<NaiveDate>,
    pub version: i32,
}

const SELECT: &str = "SELECT i.id, i.case_id, i.contract_id, i.kind, i.severity, i.occurred_on, i.reporter, i.description, i.reported_by, \
    u.display_name AS reported_by_name, o.name AS reported_by_organisation_name, i.reported_at, i.first_response_at, \
    r.display_name AS responded_by_name, i.actions_agreed, i.resolution, i.resolved_on, i.version \
    FROM incidents i JOIN users u ON u.id = i.reported_by JOIN organisations o ON o.id = i.reported_by_organisation_id \
    LEFT JOIN users r ON r.id = i.responded_by";

pub async fn of_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Incident>, Error> {
    let sql = format!("{SELECT} WHERE i.case_id = $1 ORDER BY i.reported_at DESC, i.id DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(case_id).fetch_all(c).await.map_err(db_err))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Incident>, Error> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Records a response at the version it was read at: the first one sets the time of
/// the first response (and who gave it); actions agreed later are added after those
/// agreed before, each under its day, never over them; a resolution closes the
/// incident. False when the incident changed meanwhile.
pub async fn respond(
    tx: &mut Tx,
    id: Uuid,
    version: i32,
    r: &IncidentResponse,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (resolution, resolved_on) = match &r.resolution {
        Some((text, on)) => (Some(text.as_str()), Some(*on)),
        None => (None, None),
    };
    let later = format!("\n\n[{}] ", now.date_naive());
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE incidents SET first_response_at = COALESCE(first_response_at, $3), responded_by = COALESCE(responded_by, $4), \
         actions_agreed = CASE WHEN $5 IS NULL THEN actions_agreed WHEN actions_agreed IS NULL THEN $5 ELSE actions_agreed || $8 || $5 END, \
         resolution = $6, resolved_on = $7, resolved_by = CASE WHEN $6 IS NULL THEN NULL ELSE $4 END, \
         version = version + 1 WHERE id = $1 AND version = $2 AND resolved_on IS NULL"
    ).bind(id).bind(version).bind(now).bind(by).bind(r.actions_agreed.as_deref()).bind(resolution).bind(resolved_on).bind(later)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// A notice of an incident for one professional (once per person, kind and incident).
pub async fn notify(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    incident: Uuid,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, organisation_id, kind, incident_id, case_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (user_id, kind, incident_id) DO NOTHING"
    ).bind(itinera_clock::new_id(now)).bind(user).bind(org).bind(kind).bind(incident).bind(case_id).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A programme's limit for the first response to an incident, in days.
pub async fn response_days(tx: &mut Tx, programme: Uuid) -> Result<i16, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT incident_response_days FROM programmes WHERE id = $1"
    ).bind(programme).fetch_one(c).await.map_err(db_err))
}

/// Whether `user` was already told of `incident` with `kind`.
pub async fn notified(tx: &mut Tx, user: Uuid, kind: &str, incident: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = $2 AND incident_id = $3"
    ).bind(user).bind(kind).bind(incident).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

/// An incident as the one who reported it sees it later: what they wrote and whether
/// it was answered — not the answer (it may speak of the person's situation).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reported {
    pub id: Uuid,
    pub kind: String,
    pub severity: String,
    pub occurred_on: NaiveDate,
    pub description: String,
    pub reported_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_on: Option<NaiveDate>,
    /// `None` (and the description empty, the course or post `None`) once the
    /// reporter may no longer see the person.
    pub participant_name: Option<String>,
    /// The course's title or the contract's position.
    pub about: Option<String>,
}

/// The incidents `user` reported for `org`, newest first; what they said, the person's
/// name and the course or post only where `reach` still lets the organisation see the
/// person (after a consent is withdrawn, or the record restricted, only the kind, the
/// dates and what became of it).
pub async fn reported_by(
    tx: &mut Tx,
    user: Uuid,
    reach: crate::access::Reach,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<Reported>, Error> {
    let sql = format!(
        "SELECT i.id, i.kind, i.severity, i.occurred_on, i.reported_at, i.first_response_at, i.resolved_on, \
         CASE WHEN {seen} THEN i.description ELSE '' END AS description, \
         CASE WHEN {seen} THEN p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '') ELSE NULL END AS participant_name, \
         CASE WHEN {seen} THEN COALESCE((SELECT k.position_title FROM contracts k WHERE k.id = i.contract_id), \
                  (SELECT co.title FROM course_candidates e JOIN courses co ON co.id = e.course_id WHERE e.id = i.candidate_id)) ELSE NULL END AS about \
         FROM incidents i JOIN cases c ON c.id = i.case_id JOIN participants p ON p.id = c.participant_id \
         WHERE i.reported_by = $1 AND i.reported_by_organisation_id = $2 ORDER BY i.reported_at DESC, i.id DESC LIMIT 300",
        seen = reach.sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today)
        .fetch_all(c).await.map_err(db_err))
}
