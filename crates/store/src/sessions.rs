//! Browser sessions, stored by the hash of their id so that a database reader cannot
//! take one over.

use chrono::{DateTime, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, s: &Session) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, organisation_id, csrf_token, created_at, last_seen_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(&s.id_hash).bind(s.user_id).bind(s.organisation_id).bind(&s.csrf_token).bind(s.created_at).bind(s.last_seen_at)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn get(tx: &mut Tx, id_hash: &str) -> Result<Option<Session>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id_hash, user_id, organisation_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1"
    ).bind(id_hash).fetch_optional(c).await.map_err(db_err))
}

/// A session with its user and the user's memberships, in one statement: one row per
/// membership (none when the session, the user or every membership is gone).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub m_organisation_id: Uuid,
    pub m_organisation_name: String,
    pub m_organisation_kind: String,
    pub m_role: String,
    /// Unread notices of the user for the session's organisation (the header's count).
    pub unread: i64,
}

pub async fn with_actor(tx: &mut Tx, id_hash: &str) -> Result<Vec<SessionRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT s.user_id, s.organisation_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.display_name, u.active, \
         m.organisation_id AS m_organisation_id, o.name AS m_organisation_name, o.kind AS m_organisation_kind, m.role AS m_role, \
         (SELECT COUNT(*) FROM notifications n WHERE n.user_id = s.user_id AND n.organisation_id = s.organisation_id AND n.read_at IS NULL) AS unread \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN memberships m ON m.user_id = u.id \
         JOIN organisations o ON o.id = m.organisation_id WHERE s.id_hash = $1 ORDER BY o.name, m.role"
    ).bind(id_hash).fetch_all(c).await.map_err(db_err))
}

pub async fn touch(tx: &mut Tx, id_hash: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn set_organisation(tx: &mut Tx, id_hash: &str, org: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE sessions SET organisation_id = $2 WHERE id_hash = $1")
        .bind(id_hash).bind(org).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id_hash: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Removes sessions idle since before `idle_before` or created before `created_before`.
pub async fn purge(
    tx: &mut Tx,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, Error> {
    let r = on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before).bind(created_before).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(r)
}

// ---- Sign-in back-off ---------------------------------------------------------------

/// The failures of one account name from one address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Throttle {
    pub failures: i32,
    pub last_failure_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

pub async fn throttle(tx: &mut Tx, key: &str, addr: &str) -> Result<Option<Throttle>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT failures, last_failure_at, blocked_until FROM login_throttle WHERE username_key = $1 AND client_addr = $2"
    ).bind(key).bind(addr).fetch_optional(c).await.map_err(db_err))
}

pub async fn set_throttle(tx: &mut Tx, key: &str, addr: &str, t: &Throttle) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO login_throttle (username_key, client_addr, failures, last_failure_at, blocked_until) VALUES ($1,$2,$3,$4,$5) \
         ON CONFLICT (username_key, client_addr) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until"
    ).bind(key).bind(addr).bind(t.failures).bind(t.last_failure_at).bind(t.blocked_until)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn clear_throttle(tx: &mut Tx, key: &str, addr: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_throttle WHERE username_key = $1 AND client_addr = $2")
        .bind(key).bind(addr).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Forgets failures older than `before` (kept small as people sign in).
pub async fn purge_throttle(tx: &mut Tx, before: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1 AND (blocked_until IS NULL OR blocked_until < $1)")
        .bind(before).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}
