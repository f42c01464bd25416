//! Authentication: passwords (Argon2id), sessions with idle and absolute timeouts, a
//! fresh session id at every login, a back-off per account name and client address
//! after repeated failures (`domain::signin`: no account lock that anyone could trigger
//! from elsewhere), and API tokens. Secrets are stored only as hashes.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Role, TokenUse};
use itinera_domain::org::OrganisationKind;
use itinera_domain::signin;
use itinera_domain::Error;
use itinera_store::{admin, sessions, Tx};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Caller, Ctx, Services};

pub const MIN_PASSWORD_LEN: usize = 10;

pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn check_password_policy(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::field("password", "validation.password.too_short"));
    }
    Ok(())
}

/// A random secret, URL-safe.
pub fn random_secret(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compares two secrets in time that does not depend on where they differ (a CSRF
/// token, a metrics token): their SHA-256 digests are compared byte by byte, all of
/// them, so neither the length nor the first difference shows in the timing.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignIn {
    Session(Box<SessionInfo>),
    /// The second step is due: `challenge` (a secret for a short cookie) names it;
    /// `enrol` when the account sets its factor up now.
    SecondFactor {
        challenge: String,
        enrol: bool,
    },
}

/// A live browser session: its secret id (for the cookie), the actor and the CSRF token.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub actor: Actor,
    pub csrf_token: String,
    /// The organisations the user may switch to.
    pub organisations: Vec<(Uuid, String)>,
    /// Unread notices (the count every page's header shows).
    pub unread: i64,
}

impl Services {
    /// The actor a user is for work started from the command line: working for `org`,
    /// or for their first organisation.
    pub async fn cli_actor(&self, username: &str, org: Option<Uuid>) -> Result<Actor, Error> {
        let mut tx = self.store.read().await?;
        let user = itinera_store::admin::user_by_username(&mut tx, username)
            .await?
            .ok_or(Error::NotFound)?;
        let org = match org {
            Some(o) => o,
            None => itinera_store::admin::memberships(&mut tx, user.id)
                .await?
                .first()
                .map(|m| m.organisation_id)
                .ok_or(Error::Unauthenticated)?,
        };
        let actor = actor_for(&mut tx, user.id, org).await?;
        tx.commit().await?;
        Ok(actor)
    }
}

/// Loads the actor a user is when working for `org`.
pub async fn actor_for(tx: &mut Tx, user_id: Uuid, org: Uuid) -> Result<Actor, Error> {
    actor_and_organisations(tx, user_id, org)
        .await
        .map(|(a, _)| a)
}

/// The actor, and every organisation the user may switch to, from one read of the
/// user's memberships.
async fn actor_and_organisations(
    tx: &mut Tx,
    user_id: Uuid,
    org: Uuid,
) -> Result<(Actor, Vec<(Uuid, String)>), Error> {
    let user = admin::user(tx, user_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if !user.active {
        return Err(Error::Unauthenticated);
    }
    let ms = admin::memberships(tx, user_id).await?;
    let here: Vec<_> = ms.iter().filter(|m| m.organisation_id == org).collect();
    let first = here.first().ok_or(Error::Unauthenticated)?;
    let actor = Actor {
        user_id,
        username: user.username,
        display_name: user.display_name,
        organisation_id: org,
        organisation_kind: OrganisationKind::parse(&first.organisation_kind)
            .ok_or_else(|| Error::Internal("organisation kind".into()))?,
        organisation_name: first.organisation_name.clone(),
        roles: here.iter().filter_map(|m| Role::parse(&m.role)).collect(),
        token: None,
    };
    let mut orgs: Vec<(Uuid, String)> = Vec::new();
    for m in &ms {
        if !orgs.iter().any(|(id, _)| *id == m.organisation_id) {
            orgs.push((m.organisation_id, m.organisation_name.clone()));
        }
    }
    Ok((actor, orgs))
}

impl Services {
    /// Checks a password; then opens a new session (a new id every time: no fixation) or,
    /// when the account has or needs a second factor, a short-lived challenge for it.
    pub async fn sign_in(
        &self,
        ctx: &Ctx,
        username: &str,
        password: &str,
    ) -> Result<SignIn, Error> {
        let mut tx = self.store.write().await?;
        // Counted under a digest of the name: what was typed (a password in the wrong
        // box, perhaps) is never stored.
        let key = secret_hash(&signin::name_key(username));
        let addr = ctx.client_addr.as_str();
        // Waiting after repeated failures of this name from this address: refused
        // before the password is looked at, the same for a name that does not exist.
        let throttle = sessions::throttle(&mut tx, &key, addr).await?;
        if throttle
            .as_ref()
            .and_then(|t| t.blocked_until)
            .is_some_and(|t| t > ctx.now)
        {
            finish(
                tx,
                Caller::SigningIn,
                ctx,
                Action::AuthLoginRefused,
                None,
                json!({"reason": "waiting"}),
            )
            .await?;
            return Err(Error::TooManyRequests);
        }
        let user = admin::user_by_username(&mut tx, username.trim()).await?;
        let ok = match &user {
            Some(u) => {
                // The hash is checked first, whatever the account: an inactive or a
                // service account answers in the same time as any other.
                let right = verify_password(password, &u.password_hash);
                right && u.active && !u.service_account
            }
            None => {
                // Spend the same time as a real check so that names cannot be probed.
                let _ = verify_password(password, DUMMY_HASH);
                false
            }
        };
        let known = user.as_ref().map(|u| u.id);
        let Some(user) = user.filter(|_| ok) else {
            let failures =
                signin::failures_after(throttle.map(|t| (t.failures, t.last_failure_at)), ctx.now);
            let wait = signin::wait_after(failures);
            sessions::set_throttle(
                &mut tx,
                &key,
                addr,
                &sessions::Throttle {
                    failures,
                    last_failure_at: ctx.now,
                    blocked_until: wait.map(|w| ctx.now + w),
                },
            )
            .await?;
            finish(
                tx,
                Caller::SigningIn,
                ctx,
                Action::AuthLoginFailed,
                known,
                // The account when the name is one; never what was typed otherwise (a
                // password typed in the wrong box must not reach the log).
                json!({"failures": failures, "wait_minutes": wait.map(|w| w.num_minutes())}),
            )
            .await?;
            return Err(Error::Unauthenticated);
        };
        sessions::clear_throttle(&mut tx, &key, addr).await?;
        sessions::purge_throttle(
            &mut tx,
            ctx.now - chrono::Duration::hours(signin::FORGET_AFTER_HOURS),
        )
        .await?;
        // Sessions past their timeouts are useless: remove them as people sign in.
        sessions::purge(
            &mut tx,
            ctx.now - self.settings.session_idle,
            ctx.now - self.settings.session_absolute,
        )
        .await?;
        crate::second_factor::after_password(tx, ctx, user.id, &self.settings.factor_key).await
    }

    /// Checks a password and opens a new session, for callers that have no second step
    /// to offer (benchmarks): a sign-in that needs one is refused.
    pub async fn login(
        &self,
        ctx: &Ctx,
        username: &str,
        password: &str,
    ) -> Result<SessionInfo, Error> {
        match self.sign_in(ctx, username, password).await? {
            SignIn::Session(s) => Ok(*s),
            SignIn::SecondFactor { .. } => Err(Error::Unauthenticated),
        }
    }

    /// The session behind a cookie, if it is still valid; refreshes its idle timer.
    pub async fn session(&self, id: &str, now: DateTime<Utc>) -> Result<SessionInfo, Error> {
        let hash = secret_hash(id);
        // One statement on every request: the session, its user and their memberships.
        let mut tx = self.store.single().await?;
        let rows = sessions::with_actor(&mut tx, &hash).await?;
        tx.rollback().await?;
        let s = rows.first().ok_or(Error::Unauthenticated)?;
        let expired = now - s.last_seen_at > self.settings.session_idle
            || now - s.created_at > self.settings.session_absolute;
        if expired || !s.active {
            let mut w = self.store.write().await?;
            sessions::delete(&mut w, &hash).await?;
            w.commit().await?;
            return Err(Error::Unauthenticated);
        }
        let here: Vec<_> = rows
            .iter()
            .filter(|m| m.m_organisation_id == s.organisation_id)
            .collect();
        let first = here.first().ok_or(Error::Unauthenticated)?;
        let actor = Actor {
            user_id: s.user_id,
            username: s.username.clone(),
            display_name: s.display_name.clone(),
            organisation_id: s.organisation_id,
            organisation_kind: OrganisationKind::parse(&first.m_organisation_kind)
                .ok_or_else(|| Error::Internal("organisation kind".into()))?,
            organisation_name: first.m_organisation_name.clone(),
            roles: here.iter().filter_map(|m| Role::parse(&m.m_role)).collect(),
            token: None,
        };
        let mut orgs: Vec<(Uuid, String)> = Vec::new();
        for m in &rows {
            if !orgs.iter().any(|(id, _)| *id == m.m_organisation_id) {
                orgs.push((m.m_organisation_id, m.m_organisation_name.clone()));
            }
        }
        // Refresh the idle timer at most once a minute: one write, not one per request.
        if now - s.last_seen_at > chrono::Duration::seconds(60) {
            let mut w = self.store.write().await?;
            sessions::touch(&mut w, &hash, now).await?;
            w.commit().await?;
        }
        Ok(SessionInfo {
            id: id.to_string(),
            actor,
            csrf_token: s.csrf_token.clone(),
            organisations: orgs,
            unread: s.unread,
        })
    }

    pub async fn logout(&self, ctx: &Ctx, session: &SessionInfo) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        sessions::delete(&mut tx, &secret_hash(&session.id)).await?;
        finish(
            tx,
            &session.actor,
            ctx,
            Action::AuthLogout,
            Some(session.actor.user_id),
            json!({}),
        )
        .await
    }

    /// Switches the organisation a session works for (the user must belong to it).
    pub async fn switch_organisation(
        &self,
        ctx: &Ctx,
        session: &SessionInfo,
        org: Uuid,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let actor = actor_for(&mut tx, session.actor.user_id, org)
            .await
            .map_err(|_| Error::field("organisation_id", "validation.choice"))?;
        sessions::set_organisation(&mut tx, &secret_hash(&session.id), org).await?;
        finish(
            tx,
            &actor,
            ctx,
            Action::AuthSwitchOrganisation,
            Some(org),
            json!({}),
        )
        .await
    }

    /// The actor behind a bearer token: its user in its organisation, with the roles
    /// the token carries (never more than the user holds there today), and the token
    /// itself, so that every audit entry names who issued it.
    pub async fn token_actor(&self, token: &str, now: DateTime<Utc>) -> Result<Actor, Error> {
        let mut tx = self.store.read().await?;
        let live = admin::live_token(&mut tx, &secret_hash(token), now)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let actor = actor_for(&mut tx, live.user_id, live.organisation_id).await;
        tx.rollback().await?;
        let mut actor = actor?;
        let scope: Vec<Role> = live.roles.split(',').filter_map(Role::parse).collect();
        if !scope.is_empty() {
            actor.roles.retain(|r| scope.contains(r));
            if actor.roles.is_empty() {
                return Err(Error::Unauthenticated);
            }
        }
        actor.token = Some(TokenUse {
            token_id: live.id,
            issued_by: live.issued_by,
        });
        Ok(actor)
    }
}

/// A valid Argon2id hash of a random password, used to spend equal time on unknown users.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2lI7k8Zr0K3pWQnq2H6JH0mM9f3gVbQH0S0mHq0uB8c";

/// Opens a session for a user who has proven who they are, in the transaction that
/// checked it, and commits it with its audit entry.
pub(crate) async fn open_session(
    mut tx: Tx,
    ctx: &Ctx,
    user_id: Uuid,
) -> Result<SessionInfo, Error> {
    let first_org = admin::memberships(&mut tx, user_id)
        .await?
        .first()
        .map(|m| m.organisation_id);
    let Some(org) = first_org else {
        return Err(Error::Unauthenticated);
    };
    let (actor, orgs) = actor_and_organisations(&mut tx, user_id, org).await?;
    let id = random_secret(32);
    let csrf_token = random_secret(32);
    sessions::insert(
        &mut tx,
        &sessions::Session {
            id_hash: secret_hash(&id),
            user_id,
            organisation_id: org,
            csrf_token: csrf_token.clone(),
            created_at: ctx.now,
            last_seen_at: ctx.now,
        },
    )
    .await?;
    finish(tx, &actor, ctx, Action::AuthLogin, Some(user_id), json!({})).await?;
    Ok(SessionInfo {
        id,
        actor,
        csrf_token,
        organisations: orgs,
        unread: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn password_policy() {
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("long enough!").is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "x"));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_secret(32);
        assert_ne!(a, random_secret(32));
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
