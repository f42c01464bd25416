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
