//! Benefits and in-kind support of a person, their types, and the work list's benefits
//! ending soon or due for a review of their conditions.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::benefit::BenefitData;
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::worklist::ITEMS_READ;
use crate::{db_err, on_tx, Tx};

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BenefitType {
    pub code: String,
    pub country: String,
    pub in_kind: bool,
}

pub async fn types(tx: &mut Tx) -> Result<Vec<BenefitType>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT code, country, in_kind FROM benefit_types WHERE active ORDER BY country, code"
    ).fetch_all(c).await.map_err(db_err))
}

pub struct NewBenefit<'a> {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub data: &'a BenefitData,
    pub by: Uuid,
    pub by_organisation: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewBenefit<'_>) -> Result<(), Error> {
    let d = n.data;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO benefits (id, participant_id, home_organisation_id, benefit_type, granting_body, amount_cents, period, start_on, end_on, \
         status, conditions, review_on, recorded_by, recorded_by_organisation_id, created_at, updated_at, version) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,1)"
    ).bind(n.id).bind(n.participant_id).bind(n.home_organisation_id).bind(&d.benefit_type).bind(&d.granting_body)
    .bind(d.amount_cents).bind(d.period.map(|p| p.code())).bind(d.start_on).bind(d.end_on).bind(d.status.code())
    .bind(d.conditions.as_deref()).bind(d.review_on).bind(n.by).bind(n.by_organisation).bind(n.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Changes a benefit at the version it was read at; false when it changed meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    version: i32,
    d: &BenefitData,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE benefits SET benefit_type = $3, granting_body = $4, amount_cents = $5, period = $6, start_on = $7, end_on = $8, \
         status = $9, conditions = $10, review_on = $11, updated_at = $12, version = version + 1 WHERE id = $1 AND version = $2"
    ).bind(id).bind(version).bind(&d.benefit_type).bind(&d.granting_body).bind(d.amount_cents).bind(d.period.map(|p| p.code()))
    .bind(d.start_on).bind(d.end_on).bind(d.status.code()).bind(d.conditions.as_deref()).bind(d.review_on).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Benefit {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub benefit_type: String,
    pub in_kind: bool,
    pub granting_body: String,
    pub amount_cents: Option<i64>,
    pub period: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub status: String,
    pub conditions: Option<String>,
    pub review_on: Option<NaiveDate>,
    pub recorded_by_name: String,
    pub recorded_by_organisation_name: String,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const SELECT: &str = "SELECT b.id, b.participant_id, b.benefit_type, t.in_kind, b.granting_body, b.amount_cents, b.period, b.start_on, b.end_on, \
    b.status, b.conditions, b.review_on, u.display_name AS recorded_by_name, o.name AS recorded_by_organisation_name, b.updated_at, b.version \
    FROM benefits b JOIN benefit_types t ON t.code = b.benefit_type JOIN users u ON u.id = b.recorded_by \
    JOIN organisations o ON o.id = b.recorded_by_organisation_id";

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Benefit>, Error> {
    let sql = format!("{SELECT} WHERE b.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// A person's benefits: those in force or requested first, then by start, newest first.
pub async fn of_participant(tx: &mut Tx, pid: Uuid) -> Result<Vec<Benefit>, Error> {
    let sql = format!(
        "{SELECT} WHERE b.participant_id = $1 ORDER BY CASE WHEN b.status IN ('granted','requested','suspended') THEN 0 ELSE 1 END, b.start_on DESC, b.id"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(pid).fetch_all(c).await.map_err(db_err))
}

/// A benefit for the work list: of a person on an open case whose team the user is on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub case_id: Uuid,
    pub participant_name: String,
    pub benefit_id: Uuid,
    pub benefit_type: String,
    pub end_on: Option<NaiveDate>,
    pub review_on: Option<NaiveDate>,
}

/// Benefits in force of the people on the open cases whose team user `u` (for `o`) is
/// on, that end in `[today, ends_by]` or whose review falls on or before `review_by`;
/// at most `ITEMS_READ`, soonest first.
pub async fn due_for(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    kind: &str,
    today: NaiveDate,
    ends_by: NaiveDate,
    review_by: NaiveDate,
) -> Result<Vec<Due>, Error> {
    let visible = visible_sql("p", "$2", "$3", "$4");
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, {NAME} AS participant_name, b.id AS benefit_id, b.benefit_type, b.end_on, b.review_on, \
         CASE WHEN b.end_on IS NULL THEN b.review_on WHEN b.review_on IS NULL THEN b.end_on \
         WHEN b.review_on < b.end_on THEN b.review_on ELSE b.end_on END AS due_on \
         FROM case_team_members m JOIN cases c ON c.id = m.case_id JOIN participants p ON p.id = c.participant_id \
         JOIN benefits b ON b.participant_id = c.participant_id \
         WHERE m.user_id = $1 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.status <> 'closed' AND b.status = 'granted' \
         AND ((b.end_on >= $4 AND b.end_on <= $5) OR b.review_on <= $6) AND {visible} \
         ORDER BY due_on, b.id LIMIT {ITEMS_READ}"
    );
    let mut rows: Vec<Due> = on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(kind).bind(today).bind(ends_by).bind(review_by)
        .fetch_all(c).await.map_err(db_err))?;
    rows.sort_by_key(|r| {
        [r.end_on, r.review_on]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(today)
    });
    Ok(rows)
}

/// How many benefits are recorded (the demo seeds them once).
pub async fn count(tx: &mut Tx) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM benefits").fetch_one(c).await.map_err(db_err))
}
