//! What makes several servers of one deployment behave as one: nothing a later request
//! needs stays in a server's memory (see ARCHITECTURE.md, "Several servers").
//!
//! - **Idempotency keys.** An API write sent with `Idempotency-Key` claims the key in
//!   the transaction of its first write (with its audit row: `audit::audit` calls
//!   `claim`), so the key exists exactly when the write does. The answer is kept
//!   beside it afterwards; a retry — after a failover or a server lost mid-answer —
//!   gets that answer again (or, if the first server stopped between its commit and
//!   keeping the answer, `idempotency.in_progress`), never a second write.
//! - **Sign-in attempts per address** are counted in the database, so the limit holds
//!   across servers.
//! - **Leases** make background work run once per deployment: the server holding the
//!   lease does it.
//! - **Readiness**: the database answers and can write (`/health/ready`).

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::Error;
use itinera_store::deployment as store;
use itinera_store::Tx;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{load_case, require_basis};
use crate::{Ctx, Services};

/// How long an idempotency key and its answer are kept.
pub const KEYS_KEPT_HOURS: i64 = 24;
/// Sign-in attempts per client address in one window (beside the per-account lock-out).
pub const LOGIN_ATTEMPTS_PER_WINDOW: i64 = 30;
/// The window of sign-in attempts, in seconds.
pub const LOGIN_WINDOW_SECS: i64 = 300;

/// An API request's idempotency key: the scope (SHA-256 of its credential), the key the
/// client chose and the fingerprint of the request (method, address, body).
#[derive(Debug)]
pub struct IdempotencyKey {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    claimed: AtomicBool,
    /// Whether the claimed key names the write's entity yet.
    named: AtomicBool,
}

impl IdempotencyKey {
    pub fn new(scope: String, key: String, fingerprint: String) -> Self {
        IdempotencyKey {
            scope,
            key,
            fingerprint,
            claimed: AtomicBool::new(false),
            named: AtomicBool::new(false),
        }
    }
}

/// Claims the request's idempotency key in `tx` if it carries one and `tx` writes (once
/// per request), with the entity of the audit row being written (the first that names
/// one), so that a replay of the answer is audited against it.
pub(crate) async fn claim(
    tx: &mut Tx,
    ctx: &Ctx,
    entity: &str,
    entity_id: Option<Uuid>,
) -> Result<(), Error> {
    let Some(k) = &ctx.idempotency else {
        return Ok(());
    };
    if !tx.writes() {
        return Ok(());
    }
    if !k.claimed.load(Ordering::SeqCst) {
        store::claim_key(
            tx,
            &k.scope,
            &k.key,
            &k.fingerprint,
            entity,
            entity_id,
            ctx.now,
        )
        .await?;
        k.claimed.store(true, Ordering::SeqCst);
        k.named.store(entity_id.is_some(), Ordering::SeqCst);
    } else if let (Some(id), false) = (entity_id, k.named.load(Ordering::SeqCst)) {
        store::name_key_entity(tx, &k.scope, &k.key, entity, id).await?;
        k.named.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// The answer of a request that ran, kept under its key, and what it wrote about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// The `Location` the first answer carried (a creation's).
    pub location: Option<String>,
    pub entity: String,
    pub entity_id: Option<Uuid>,
}

/// What a request with an idempotency key finds before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The key is new: run the request.
    Run,
    /// The same request ran: its answer.
    Answer(KeptAnswer),
    /// The key was used for another request (`idempotency.key_reused`).
    Reused,
    /// The request that claimed the key has not kept its answer (running still, or its
    /// server stopped after the write): `idempotency.in_progress`.
    InProgress,
}

impl Services {
    /// What the request `k` finds under its key.
    pub async fn idempotency_replay(&self, k: &IdempotencyKey) -> Result<Replay, Error> {
        let mut tx = self.store.read().await?;
        let kept = store::kept_answer(&mut tx, &k.scope, &k.key).await?;
        tx.rollback().await?;
        Ok(match kept {
            None => Replay::Run,
            Some(a) if a.fingerprint != k.fingerprint => Replay::Reused,
            Some(a) => match a.status.and_then(|s| u16::try_from(s).ok()) {
                Some(status) => Replay::Answer(KeptAnswer {
                    status,
                    content_type: a.content_type.unwrap_or_else(|| "application/json".into()),
                    body: a.body.unwrap_or_default(),
                    location: a.location,
                    entity: a.entity,
                    entity_id: a.entity_id,
                }),
                None => Replay::InProgress,
            },
        })
    }

    /// Before a kept answer is sent again: the credential must still be good (a revoked
    /// or expired token gets 401, not the answer), and the replay is audited against
    /// the entity the write was about, like any answer that may show a person's data.
    pub async fn audit_replay(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        answer: &KeptAnswer,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        // An answer that shows a person (not a bare acknowledgement) is given again only
        // to whom may still see them: a consent withdrawn or a team left since the first
        // answer counts.
        if let (Some(id), true) = (answer.entity_id, shows_more_than_id(&answer.body)) {
            match answer.entity.as_str() {
                "participant" => {
                    require_basis(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
                }
                "case" => {
                    load_case(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
                }
                _ => {}
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::RequestReplay,
            answer.entity_id,
            json!({"entity": answer.entity}),
        )
        .await
    }

    /// Keeps the answer of a request that claimed its key (nothing when none of its
    /// writes committed).
    pub async fn keep_idempotent_answer(
        &self,
        k: &IdempotencyKey,
        status: u16,
        content_type: &str,
        body: &[u8],
        location: Option<&str>,
    ) -> Result<(), Error> {
        // Nothing claimed, nothing to keep. A failure of the machinery (5xx) is not kept
        // either: the write may or may not have committed (a commit whose answer the
        // database lost in a failover), and a retry must find out — it finds the key
        // (`in_progress`, the write stands) or runs the request again (it never landed).
        if !k.claimed.load(Ordering::SeqCst) || status >= 500 {
            return Ok(());
        }
        let mut tx = self.store.write().await?;
        store::keep_answer(
            &mut tx,
            &k.scope,
            &k.key,
            i32::from(status),
            content_type,
            body,
            location,
        )
        .await?;
        tx.commit().await
    }

    /// Counts a sign-in attempt from `addr`; false when the address is over the limit of
    /// its window (shared by every server of the deployment).
    pub async fn login_attempt_allowed(
        &self,
        addr: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut tx = self.store.write().await?;
        let hits = store::count_login_attempt(
            &mut tx,
            addr,
            now,
            now - Duration::seconds(LOGIN_WINDOW_SECS),
        )
        .await?;
        tx.commit().await?;
        Ok(hits <= LOGIN_ATTEMPTS_PER_WINDOW)
    }

    /// Takes or renews the lease `name` for this server for `secs` seconds: true when
    /// this server holds it and should do the work.
    pub async fn take_lease(&self, name: &str, holder: &str, secs: i64) -> Result<bool, Error> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let got =
            store::take_lease(&mut tx, name, holder, now, now + Duration::seconds(secs)).await?;
        tx.commit().await?;
        Ok(got)
    }

    /// Names the person on current team memberships written without it by a server
    /// older than migration 45 (the background sweep; see `cases::fill_team_persons`).
    pub async fn fill_team_persons(&self) -> Result<u64, Error> {
        itinera_store::cases::fill_team_persons(&self.store).await
    }

    /// Forgets idempotency keys and sign-in windows past their time (the background
    /// sweep).
    pub async fn forget_expired_requests(&self) -> Result<u64, Error> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let keys = store::forget_keys(&mut tx, now - Duration::hours(KEYS_KEPT_HOURS)).await?;
        let logins =
            store::forget_login_attempts(&mut tx, now - Duration::seconds(LOGIN_WINDOW_SECS))
                .await?;
        tx.commit().await?;
        Ok(keys + logins)
    }

    /// Whether the database answers and accepts writes (for a load balancer). Asked on
    /// a reading connection: on SQLite a probe does not queue behind the writers (a
    /// busy server is not an unready one); on PostgreSQL the answer says whether the
    /// server is a primary.
    pub async fn ready(&self) -> Result<(), Error> {
        let mut tx = self.store.single().await?;
        let ok = store::writable(&mut tx).await?;
        tx.rollback().await?;
        if ok {
            Ok(())
        } else {
            Err(Error::Unavailable(
                "the database does not accept writes".into(),
            ))
        }
    }
}

/// Whether a kept answer says more than the id (and version) of what was written.
fn shows_more_than_id(body: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(m)) => m.keys().any(|k| k != "id" && k != "version"),
        Ok(_) => true,
        Err(_) => !body.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::shows_more_than_id;

    #[test]
    fn acknowledgements_are_told_from_answers_that_show_a_person() {
        assert!(!shows_more_than_id(br#"{"id":"0190"}"#));
        assert!(!shows_more_than_id(br#"{"id":"0190","version":3}"#));
        assert!(shows_more_than_id(br#"{"id":"0190","given_name":"Ana"}"#));
        assert!(shows_more_than_id(br#"[{"id":"0190"}]"#));
        assert!(shows_more_than_id(b"not json"));
        assert!(!shows_more_than_id(b""));
    }
}
