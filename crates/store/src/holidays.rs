//! Public holidays per territory (no territory: the deployment's national ones).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::holidays::HolidayData;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holiday {
    pub id: Uuid,
    pub territory_id: Option<Uuid>,
    pub territory_name: Option<String>,
    pub day: NaiveDate,
    pub name: String,
}

const SELECT: &str = "SELECT h.id, h.territory_id, t.name AS territory_name, h.day, h.name \
     FROM public_holidays h LEFT JOIN territories t ON t.id = h.territory_id";

/// The holidays of every territory between two days (inclusive), by day.
pub async fn between(tx: &mut Tx, from: NaiveDate, to: NaiveDate) -> Result<Vec<Holiday>, Error> {
    let sql = format!("{SELECT} WHERE h.day >= $1 AND h.day <= $2 ORDER BY h.day, t.name, h.name");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Holiday>, Error> {
    let sql = format!("{SELECT} WHERE h.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Whether the territory (or the nation, for none) already has a holiday on the day.
pub async fn exists(tx: &mut Tx, day: NaiveDate, territory: Option<Uuid>) -> Result<bool, Error> {
    let n: i64 = match territory {
        Some(t) => on_tx!(tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM public_holidays WHERE day = $1 AND territory_id = $2"
        ).bind(day).bind(t).fetch_one(c).await.map_err(db_err))?,
        None => on_tx!(tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM public_holidays WHERE day = $1 AND territory_id IS NULL"
        ).bind(day).fetch_one(c).await.map_err(db_err))?,
    };
    Ok(n > 0)
}

pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    h: &HolidayData,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO public_holidays (id, territory_id, day, name, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(h.territory_id).bind(h.day).bind(&h.name).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM public_holidays WHERE id = $1")
        .bind(id).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}
