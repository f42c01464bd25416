//! Itineraries: one per case, with its goals, actions, signed versions and reviews.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::itinerary::{ActionData, GoalData, PlanData};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Itinerary {
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

const COLS: &str = "id, case_id, home_organisation_id, commitments, language, review_on, signed_versions, version, created_at, updated_at";

pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Option<Itinerary>, Error> {
    let sql = format!("SELECT {COLS} FROM itineraries WHERE case_id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(case_id).fetch_optional(c).await.map_err(db_err))
}

/// The case's itinerary, created empty on first use.
pub async fn ensure(
    tx: &mut Tx,
    case_id: Uuid,
    home: Uuid,
    now: DateTime<Utc>,
) -> Result<Itinerary, Error> {
    if let Some(i) = for_case(tx, case_id).await? {
        return Ok(i);
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itineraries (id, case_id, home_organisation_id, commitments, language, review_on, signed_versions, version, created_at, updated_at) \
         VALUES ($1,$2,$3,'','es',NULL,0,1,$4,$4)"
    ).bind(itinera_clock::new_id(now)).bind(case_id).bind(home).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for_case(tx, case_id)
        .await?
        .ok_or_else(|| Error::Internal("itinerary not created".into()))
}

/// Changes the plan's own fields if `expected_version` is current; returns the new one.
pub async fn update_plan(
    tx: &mut Tx,
    id: Uuid,
    expected_version: i32,
    p: &PlanData,
    now: DateTime<Utc>,
) -> Result<i32, Error> {
    let v: Option<i32> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE itineraries SET commitments = $3, language = $4, review_on = $5, version = version + 1, updated_at = $6 \
         WHERE id = $1 AND version = $2 RETURNING version"
    ).bind(id).bind(expected_version).bind(&p.commitments).bind(&p.language).bind(p.review_on).bind(now)
    .fetch_optional(c).await.map_err(db_err))?;
    v.ok_or(Error::Conflict("error.stale_version"))
}

/// Marks any change to the plan (goals, actions) on the itinerary itself.
pub async fn touch(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE itineraries SET version = version + 1, updated_at = $2 WHERE id = $1")
        .bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn set_review_on(
    tx: &mut Tx,
    id: Uuid,
    on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE itineraries SET review_on = $2, version = version + 1, updated_at = $3 WHERE id = $1")
        .bind(id).bind(on).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Goal {
    pub id: Uuid,
    pub domain: String,
    pub description: String,
    pub target_on: Option<NaiveDate>,
    pub status: String,
    pub position: i32,
    pub version: i32,
}

pub async fn goals(tx: &mut Tx, itinerary_id: Uuid) -> Result<Vec<Goal>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, domain, description, target_on, status, position, version FROM itinerary_goals WHERE itinerary_id = $1 ORDER BY position, id"
    ).bind(itinerary_id).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_goal(
    tx: &mut Tx,
    it: &Itinerary,
    g: &GoalData,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = itinera_clock::new_id(now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itinerary_goals (id, itinerary_id, home_organisation_id, domain, description, target_on, status, position, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,(SELECT coalesce(max(position), 0) + 1 FROM itinerary_goals WHERE itinerary_id = $2),$8,$8)"
    ).bind(id).bind(it.id).bind(it.home_organisation_id).bind(&g.domain).bind(&g.description).bind(g.target_on)
    .bind(g.status.code()).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(id)
}

/// Changes a goal at version `expected` (false: it changed meanwhile, or is not there).
pub async fn update_goal(
    tx: &mut Tx,
    itinerary_id: Uuid,
    id: Uuid,
    g: &GoalData,
    expected: i32,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE itinerary_goals SET domain = $3, description = $4, target_on = $5, status = $6, updated_at = $7, version = version + 1 \
         WHERE id = $2 AND itinerary_id = $1 AND version = $8"
    ).bind(itinerary_id).bind(id).bind(&g.domain).bind(&g.description).bind(g.target_on).bind(g.status.code()).bind(now).bind(expected)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Action {
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
    pub version: i32,
}

pub async fn actions(tx: &mut Tx, itinerary_id: Uuid) -> Result<Vec<Action>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, a.goal_id, a.kind, a.service, a.description, a.organisation_id, o.name AS organisation_name, a.responsible_id, \
         u.display_name AS responsible_name, a.starts_on, a.due_on, a.status, a.status_reason, a.version \
         FROM itinerary_actions a JOIN organisations o ON o.id = a.organisation_id JOIN users u ON u.id = a.responsible_id \
         WHERE a.itinerary_id = $1 ORDER BY a.starts_on, a.id"
    ).bind(itinerary_id).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_action(
    tx: &mut Tx,
    it: &Itinerary,
    a: &ActionData,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = itinera_clock::new_id(now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itinerary_actions (id, itinerary_id, home_organisation_id, goal_id, kind, service, description, organisation_id, responsible_id, starts_on, due_on, status, status_reason, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14)"
    ).bind(id).bind(it.id).bind(it.home_organisation_id).bind(a.goal_id).bind(a.kind.code()).bind(a.service.code())
    .bind(&a.description).bind(a.organisation_id).bind(a.responsible_id).bind(a.starts_on).bind(a.due_on)
    .bind(a.status.code()).bind(&a.status_reason).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(id)
}

/// Changes an action at version `expected` (false: it changed meanwhile, or is not
/// there).
#[allow(clippy::too_many_arguments)]
pub async fn update_action(
    tx: &mut Tx,
    itinerary_id: Uuid,
    id: Uuid,
    a: &ActionData,
    expected: i32,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE itinerary_actions SET goal_id = $3, kind = $4, service = $5, description = $6, organisation_id = $7, responsible_id = $8, \
         starts_on = $9, due_on = $10, status = $11, status_reason = $12, updated_at = $13, version = version + 1 \
         WHERE id = $2 AND itinerary_id = $1 AND version = $14"
    ).bind(itinerary_id).bind(id).bind(a.goal_id).bind(a.kind.code()).bind(a.service.code()).bind(&a.description)
    .bind(a.organisation_id).bind(a.responsible_id).bind(a.starts_on).bind(a.due_on).bind(a.status.code())
    .bind(&a.status_reason).bind(now).bind(expected).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub number: i32,
    pub snapshot: String,
    pub signed_on: NaiveDate,
    pub signatories: String,
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn versions(tx: &mut Tx, itinerary_id: Uuid) -> Result<Vec<VersionRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT v.number, v.snapshot, v.signed_on, v.signatories, u.display_name AS recorded_by_name, v.recorded_at \
         FROM itinerary_versions v JOIN users u ON u.id = v.recorded_by WHERE v.itinerary_id = $1 ORDER BY v.number"
    ).bind(itinerary_id).fetch_all(c).await.map_err(db_err))
}

pub struct NewVersion<'a> {
    pub itinerary: &'a Itinerary,
    pub snapshot: &'a str,
    pub signed_on: NaiveDate,
    pub signatories: &'a str,
    pub recorded_by: Uuid,
    pub now: DateTime<Utc>,
}

/// Freezes the next version; the itinerary must still be at `expected_version`.
pub async fn insert_version(
    tx: &mut Tx,
    v: &NewVersion<'_>,
    expected_version: i32,
) -> Result<i32, Error> {
    let n: Option<i32> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE itineraries SET signed_versions = signed_versions + 1, version = version + 1, updated_at = $3 \
         WHERE id = $1 AND version = $2 RETURNING signed_versions"
    ).bind(v.itinerary.id).bind(expected_version).bind(v.now).fetch_optional(c).await.map_err(db_err))?;
    let n = n.ok_or(Error::Conflict("error.stale_version"))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itinerary_versions (id, itinerary_id, home_organisation_id, number, snapshot, signed_on, signatories, recorded_by, recorded_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    ).bind(itinera_clock::new_id(v.now)).bind(v.itinerary.id).bind(v.itinerary.home_organisation_id).bind(n).bind(v.snapshot)
    .bind(v.signed_on).bind(v.signatories).bind(v.recorded_by).bind(v.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    pub id: Uuid,
    pub reviewed_on: NaiveDate,
    pub progress: String,
    pub next_review_on: Option<NaiveDate>,
    pub reviewer_name: String,
    pub reviewer_organisation_name: String,
}

pub async fn reviews(tx: &mut Tx, itinerary_id: Uuid) -> Result<Vec<Review>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT r.id, r.reviewed_on, r.progress, r.next_review_on, u.display_name AS reviewer_name, o.name AS reviewer_organisation_name \
         FROM itinerary_reviews r JOIN users u ON u.id = r.reviewer_id JOIN organisations o ON o.id = r.reviewer_organisation_id \
         WHERE r.itinerary_id = $1 ORDER BY r.reviewed_on DESC, r.id DESC"
    ).bind(itinerary_id).fetch_all(c).await.map_err(db_err))
}

pub struct NewReview<'a> {
    pub itinerary: &'a Itinerary,
    pub reviewed_on: NaiveDate,
    pub progress: &'a str,
    pub next_review_on: Option<NaiveDate>,
    pub reviewer_id: Uuid,
    pub reviewer_organisation_id: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert_review(tx: &mut Tx, r: &NewReview<'_>) -> Result<Uuid, Error> {
    let id = itinera_clock::new_id(r.now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itinerary_reviews (id, itinerary_id, home_organisation_id, reviewed_on, progress, next_review_on, reviewer_id, reviewer_organisation_id, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    ).bind(id).bind(r.itinerary.id).bind(r.itinerary.home_organisation_id).bind(r.reviewed_on).bind(r.progress)
    .bind(r.next_review_on).bind(r.reviewer_id).bind(r.reviewer_organisation_id).bind(r.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(id)
}
