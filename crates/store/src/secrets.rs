//! The deployment's own secrets: made once, at the first start of its first server,
//! and then shared by every server of it.

use chrono::{DateTime, Utc};
use itinera_domain::Error;

use crate::{db_err, on_tx, Tx};

/// The secret named `name`: the stored one, or `made` stored now. Two servers starting
/// at once agree on one (the first insert wins).
pub async fn get_or_create(
    tx: &mut Tx,
    name: &str,
    made: &str,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING"
    ).bind(name).bind(made).bind(now).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query_scalar("SELECT value FROM deployment_secrets WHERE name = $1")
        .bind(name).fetch_one(c).await.map_err(db_err))
}

/// Sets a deployment setting kept beside the secrets (made or replaced).
pub async fn set(tx: &mut Tx, name: &str, value: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = $2"
    ).bind(name).bind(value).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A deployment setting kept beside the secrets, if it was set.
pub async fn get(tx: &mut Tx, name: &str) -> Result<Option<String>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT value FROM deployment_secrets WHERE name = $1")
        .bind(name).fetch_optional(c).await.map_err(db_err))
}
