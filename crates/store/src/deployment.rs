//! What the servers of one deployment share through the database (migration 0031):
//! answers kept under idempotency keys, sign-in attempts per address, and leases of
//! background work.

use chrono::{DateTime, Utc};
use itinera_domain::Error;

use crate::{db_err, on_tx, Tx};

/// A request's idempotency key, as claimed in the transaction of its write.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeptAnswer {
    pub fingerprint: String,
    /// What the write was about (the kind and id of its audit row's entity).
    pub entity: String,
    pub entity_id: Option<uuid::Uuid>,
    /// `None` while the request that claimed the key has not stored its answer (it is
    /// still running, or its server stopped after the write committed).
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
    /// The `Location` of a creation's answer.
    pub location: Option<String>,
}

/// Claims `(scope, key)` in `tx`, the transaction of the request's write: it stands or
/// falls with the write. A key already claimed (the same request running at the same
/// time) is `idempotency.in_progress`.
pub async fn claim_key(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    fingerprint: &str,
    entity: &str,
    entity_id: Option<uuid::Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let r = on_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, entity, entity_id) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(scope).bind(key).bind(fingerprint).bind(now).bind(entity).bind(entity_id)
    .execute(c).await.map(|_| ()).map_err(db_err));
    match r {
        Err(Error::Conflict(_)) => Err(Error::Conflict("idempotency.in_progress")),
        other => other,
    }
}

/// Names the entity of a key claimed by an audit row that named none (a later row of the
/// same write does).
pub async fn name_key_entity(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    entity: &str,
    entity_id: uuid::Uuid,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE idempotency_keys SET entity = $3, entity_id = $4 WHERE scope = $1 AND idem_key = $2 AND entity_id IS NULL"
    ).bind(scope).bind(key).bind(entity).bind(entity_id).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The request kept under `(scope, key)`, if any.
pub async fn kept_answer(tx: &mut Tx, scope: &str, key: &str) -> Result<Option<KeptAnswer>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT fingerprint, entity, entity_id, status, content_type, body, location FROM idempotency_keys WHERE scope = $1 AND idem_key = $2"
    ).bind(scope).bind(key).fetch_optional(c).await.map_err(db_err))
}

/// Keeps the answer of the request that claimed `(scope, key)`; nothing when no write
/// of the request committed (the key was never claimed).
pub async fn keep_answer(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    status: i32,
    content_type: &str,
    body: &[u8],
    location: Option<&str>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5, location = $6 WHERE scope = $1 AND idem_key = $2 AND status IS NULL"
    ).bind(scope).bind(key).bind(status).bind(content_type).bind(body).bind(location)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

/// Forgets the keys claimed before `before`.
pub async fn forget_keys(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
}

/// Counts one sign-in attempt from `addr` and returns the attempts of its current window
/// (a window older than `window_from` starts again at this attempt).
pub async fn count_login_attempt(
    tx: &mut Tx,
    addr: &str,
    now: DateTime<Utc>,
    window_from: DateTime<Utc>,
) -> Result<i64, Error> {
    let hits: i32 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO login_attempts (client_addr, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (client_addr) DO UPDATE SET \
           hits = CASE WHEN login_attempts.window_start <= $3 THEN 1 ELSE login_attempts.hits + 1 END, \
           window_start = CASE WHEN login_attempts.window_start <= $3 THEN $2 ELSE login_attempts.window_start END \
         RETURNING hits"
    ).bind(addr).bind(now).bind(window_from).fetch_one(c).await.map_err(db_err))?;
    Ok(i64::from(hits))
}

/// Forgets the sign-in windows that began before `before`.
pub async fn forget_login_attempts(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_attempts WHERE window_start < $1")
        .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
}

/// Takes or renews the lease `name` for `holder` until `until`: true when `holder` has
/// it (it was free, had run out at `now`, or was already its own).
pub async fn take_lease(
    tx: &mut Tx,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, Error> {
    let got: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = $2, until_at = $3 \
         WHERE leases.holder = $2 OR leases.until_at <= $4 \
         RETURNING holder"
    ).bind(name).bind(holder).bind(until).bind(now).fetch_optional(c).await.map_err(db_err))?;
    Ok(got.is_some())
}

/// Whether the database answers and can write: a PostgreSQL primary (not a standby in
/// recovery) whose transactions are not read-only; on SQLite, that it answers (its one
/// file is written by this process's writer).
pub async fn writable(tx: &mut Tx) -> Result<bool, Error> {
    match tx.engine() {
        crate::Engine::Postgres => {
            let ok: bool = on_tx!(tx, c => sqlx::query_scalar(
                "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'"
            ).fetch_one(c).await.map_err(db_err))?;
            Ok(ok)
        }
        crate::Engine::Sqlite => {
            let one: i32 = on_tx!(tx, c => sqlx::query_scalar("SELECT 1")
                .fetch_one(c).await.map_err(db_err))?;
            Ok(one == 1)
        }
    }
}
