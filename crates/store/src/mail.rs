//! The mail outbox: a row per e-mail of a notice, written in the notice's transaction
//! and sent after commit by `itinera_service::mail`. Claiming a row moves its next
//! attempt forward first, so that two senders never send the same one.

use chrono::{DateTime, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// Queues an e-mail to `user` if they have an address; false when they have none.
pub async fn enqueue(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    kind: &str,
    link: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO mail_outbox (id, user_id, address, locale, kind, link, created_at, attempts, next_attempt_at, sent_at, last_error) \
         SELECT $1, u.id, u.email, u.locale, $3, $4, $5, 0, $5, NULL, NULL FROM users u \
         WHERE u.id = $2 AND u.active AND u.email IS NOT NULL AND u.email <> ''"
    ).bind(id).bind(user).bind(kind).bind(link).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outgoing {
    pub id: Uuid,
    pub address: String,
    pub locale: String,
    pub kind: String,
    pub link: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
}

/// E-mails due to be sent (oldest first), at most `limit`, that have not given up.
pub async fn due(
    tx: &mut Tx,
    now: DateTime<Utc>,
    max_attempts: i32,
    limit: i64,
) -> Result<Vec<Outgoing>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, address, locale, kind, link, attempts, next_attempt_at FROM mail_outbox \
         WHERE sent_at IS NULL AND next_attempt_at <= $1 AND attempts < $2 ORDER BY next_attempt_at, id LIMIT $3"
    ).bind(now).bind(max_attempts).bind(limit).fetch_all(c).await.map_err(db_err))
}

/// Claims an e-mail for one sender: moves its next attempt to `until` if nobody has
/// moved it since it was read.
pub async fn claim(
    tx: &mut Tx,
    id: Uuid,
    seen: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND sent_at IS NULL"
    ).bind(id).bind(seen).bind(until).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}

pub async fn sent(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1"
    ).bind(id).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn failed(tx: &mut Tx, id: Uuid, next: DateTime<Utc>, error: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1 AND sent_at IS NULL"
    ).bind(id).bind(next).bind(error).execute(c).await.map(|_| ()).map_err(db_err))
}
