//! Second factors (TOTP secrets and the last time step used), recovery codes (by hash),
//! sign-ins waiting for their second step (by the hash of their id) and resets of a
//! lost factor.

use chrono::{DateTime, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Factor {
    pub user_id: Uuid,
    pub secret: String,
    pub last_step: i64,
    pub confirmed_at: DateTime<Utc>,
}

pub async fn factor(tx: &mut Tx, user: Uuid) -> Result<Option<Factor>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, secret, last_step, confirmed_at FROM second_factors WHERE user_id = $1"
    ).bind(user).fetch_optional(c).await.map_err(db_err))
}

pub async fn insert_factor(tx: &mut Tx, f: &Factor) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO second_factors (user_id, secret, last_step, confirmed_at) VALUES ($1,$2,$3,$4)"
    ).bind(f.user_id).bind(&f.secret).bind(f.last_step).bind(f.confirmed_at)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Moves the last step used forward; false when another sign-in used it first.
pub async fn use_step(tx: &mut Tx, user: Uuid, step: i64) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE second_factors SET last_step = $2 WHERE user_id = $1 AND last_step < $2"
    ).bind(user).bind(step).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Removes a user's factor and recovery codes.
pub async fn remove(tx: &mut Tx, user: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM second_factors WHERE user_id = $1")
        .bind(user).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn insert_recovery_code(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1,$2,$3,$4)"
    ).bind(id).bind(user).bind(code_hash).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

/// Uses an unused recovery code of the user; false when there is none with this hash.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"
    ).bind(user).bind(code_hash).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

pub async fn unused_recovery_codes(tx: &mut Tx, user: Uuid) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
    ).bind(user).fetch_one(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Challenge {
    pub id_hash: String,
    pub user_id: Uuid,
    /// `verify` (an enrolled factor) or `enrol` (a factor being set up).
    pub kind: String,
    /// The secret being enrolled.
    pub secret: Option<String>,
    pub failures: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_challenge(tx: &mut Tx, c: &Challenge) -> Result<(), Error> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO signin_challenges (id_hash, user_id, kind, secret, failures, created_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(&c.id_hash).bind(c.user_id).bind(&c.kind).bind(&c.secret).bind(c.failures).bind(c.created_at)
    .execute(conn).await.map(|_| ()).map_err(db_err))
}

pub async fn challenge(tx: &mut Tx, id_hash: &str) -> Result<Option<Challenge>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id_hash, user_id, kind, secret, failures, created_at FROM signin_challenges WHERE id_hash = $1"
    ).bind(id_hash).fetch_optional(c).await.map_err(db_err))
}

/// Takes one of a challenge's tries before its code is checked (false: none is left).
/// One statement, so that tries sent at once cannot all pass a count read before.
pub async fn take_try(tx: &mut Tx, id_hash: &str, tries: i32) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE signin_challenges SET failures = failures + 1 WHERE id_hash = $1 AND failures < $2")
        .bind(id_hash).bind(tries).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// One more wrong second-factor code for the account, over all its challenges; at
/// `limit` in a row the account's second step waits until `lock_until`.
/// Locks the account's row until the transaction ends (PostgreSQL: a second sign-in
/// step in flight for the same account waits here; SQLite has one writer anyway), so
/// that its wrong codes are counted one after the other, none read before another's
/// is written.
pub async fn lock_account(tx: &mut Tx, user: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE users SET failed_logins = failed_logins WHERE id = $1")
        .bind(user).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn fail_account(
    tx: &mut Tx,
    user: Uuid,
    limit: i32,
    lock_until: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END WHERE id = $1"
    ).bind(user).bind(limit).bind(lock_until).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A right second-factor code: the account's count of wrong ones starts again.
pub async fn clear_account(tx: &mut Tx, user: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn delete_challenge(tx: &mut Tx, id_hash: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM signin_challenges WHERE id_hash = $1")
        .bind(id_hash).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn purge_challenges(tx: &mut Tx, before: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM signin_challenges WHERE created_at < $1")
        .bind(before).execute(c).await.map(|_| ()).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reset {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub requested_by: Uuid,
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
}

pub async fn insert_reset(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO second_factor_resets (id, user_id, requested_by, requested_at) VALUES ($1,$2,$3,$4)"
    ).bind(id).bind(user).bind(by).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

const RESETS: &str = "SELECT r.id, r.user_id, u.username, r.requested_by, b.display_name AS requested_by_name, r.requested_at \
     FROM second_factor_resets r JOIN users u ON u.id = r.user_id JOIN users b ON b.id = r.requested_by \
     WHERE r.decided_at IS NULL";

pub async fn pending_resets(tx: &mut Tx) -> Result<Vec<Reset>, Error> {
    let sql = format!("{RESETS} ORDER BY r.requested_at");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

pub async fn pending_reset(tx: &mut Tx, id: Uuid) -> Result<Option<Reset>, Error> {
    let sql = format!("{RESETS} AND r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn decide_reset(
    tx: &mut Tx,
    id: Uuid,
    by: Uuid,
    approved: bool,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE second_factor_resets SET decided_by = $2, decided_at = $3, approved = $4 WHERE id = $1 AND decided_at IS NULL"
    ).bind(id).bind(by).bind(now).bind(approved).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Ends every session of a user.
pub async fn end_sessions(tx: &mut Tx, user: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user).execute(c).await.map(|_| ()).map_err(db_err))
}
