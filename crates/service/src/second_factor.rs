//! The second factor: TOTP (RFC 6238: HMAC-SHA1, six digits, 30-second steps, one step
//! of clock drift either way) with ten single-use recovery codes.
//!
//! Rules:
//! - Required for every person's account (service accounts sign in with tokens, never
//!   with a password), unless the deployment says otherwise (`ITINERA_SECOND_FACTOR` =
//!   `required` | `optional`; without it, the deployment's setting `second_factor_policy`
//!   in the database, which the demo sets to `optional`; by default required).
//! - A right password opens no session: it opens a challenge (five minutes, five tries)
//!   for the code of the account's factor, or, for an account that has none and needs
//!   one, for setting one up (its secret shown once, confirmed by a first code, then the
//!   recovery codes shown once).
//! - A code is good once: a time step at or before the last one used is refused.
//! - A lost factor is reset by two administrators: one asks, another approves (four
//!   eyes); the reset ends the account's sessions and it sets a new factor up at its
//!   next sign-in.

use chrono::{DateTime, Duration, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::Error;
use itinera_store::{admin, second_factor as store, secrets, Tx};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use totp_rs::{Algorithm, TOTP};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::auth::{open_session, random_secret, same_secret, secret_hash, SessionInfo, SignIn};
use crate::{Caller, Ctx, Services};

/// How long a challenge waits for its code.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Wrong codes a challenge takes before it is dropped.
pub const CHALLENGE_TRIES: i32 = 5;
/// Wrong codes in a row, over all of an account's challenges, before its second step
/// waits (`ACCOUNT_WAIT_MINUTES`): new challenges do not give new tries without end.
/// Only whoever knows the password gets this far, so no one locks a colleague out.
pub const ACCOUNT_TRIES: i32 = 10;
pub const ACCOUNT_WAIT_MINUTES: i64 = 60;
const STEP: u64 = 30;
const DIGITS: usize = 6;
const RECOVERY_CODES: usize = 10;
const BASE32: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn totp(secret: &[u8]) -> TOTP {
    TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 1, STEP, secret.to_vec())
}

/// How a sealed secret starts (one without it was stored before secrets were sealed).
const SEALED: &str = "v1:";

fn cipher(key: &crate::settings::Secret) -> chacha20poly1305::ChaCha20Poly1305 {
    use chacha20poly1305::KeyInit;
    use sha2::Digest;
    let k = sha2::Sha256::digest(key.expose());
    chacha20poly1305::ChaCha20Poly1305::new(&k)
}

/// A factor's secret sealed for the database (ChaCha20-Poly1305, a random nonce, the
/// deployment's factor key): a copy of the database without the key reveals no factor.
pub(crate) fn seal(key: &crate::settings::Secret, secret: &str) -> Result<String, Error> {
    use base64::Engine;
    use chacha20poly1305::aead::Aead;
    use rand::RngCore;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(key)
        .encrypt(&nonce.into(), secret.as_bytes())
        .map_err(|_| Error::Internal("sealing a second factor".into()))?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(format!(
        "{SEALED}{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
    ))
}

/// The secret of a sealed value (one stored before sealing passes as it is).
pub(crate) fn open(key: &crate::settings::Secret, stored: &str) -> Result<String, Error> {
    use base64::Engine;
    use chacha20poly1305::aead::Aead;
    let Some(body) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_string());
    };
    let bad = || Error::Internal("a second factor that the factor key does not open".into());
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(body)
        .map_err(|_| bad())?;
    if bytes.len() < 12 {
        return Err(bad());
    }
    let (nonce, sealed) = bytes.split_at(12);
    let plain = cipher(key)
        .decrypt(chacha20poly1305::Nonce::from_slice(nonce), sealed)
        .map_err(|_| bad())?;
    String::from_utf8(plain).map_err(|_| bad())
}

fn decode(secret_b32: &str) -> Result<Vec<u8>, Error> {
    totp_rs::Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|_| Error::Internal("second factor secret".into()))
}

/// The code of a secret at an instant (for tests and for setting up).
pub fn code_at(secret_b32: &str, at: DateTime<Utc>) -> Result<String, Error> {
    let t = u64::try_from(at.timestamp()).unwrap_or(0);
    Ok(totp(&decode(secret_b32)?).generate(t))
}

/// The time step a code belongs to, within one step of `at` either way, if it is the
/// secret's code then.
pub fn matching_step(secret: &[u8], code: &str, at: DateTime<Utc>) -> Option<i64> {
    let t = u64::try_from(at.timestamp()).ok()?;
    let now = t / STEP;
    let totp = totp(secret);
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        // Every candidate is computed and compared: the time does not tell which.
        let good = totp.generate(step * STEP);
        if same_secret(&good, code) {
            found = i64::try_from(step).ok();
        }
    }
    found
}

/// What was typed, without spaces or dashes, in capitals.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill(&mut bytes);
    totp_rs::TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 1, STEP, bytes.to_vec())
        .get_secret_base32()
}

fn recovery_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let mut s = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            s.push('-');
        }
        let k = rng.gen_range(0..BASE32.len());
        s.push(char::from(BASE32.get(k).copied().unwrap_or(b'A')));
    }
    s
}

/// Whether this deployment requires a second factor.
pub async fn required(tx: &mut Tx) -> Result<bool, Error> {
    if let Ok(v) = std::env::var("ITINERA_SECOND_FACTOR") {
        match v.trim() {
            "optional" => return Ok(false),
            "required" => return Ok(true),
            _ => {}
        }
    }
    Ok(secrets::get(tx, "second_factor_policy").await?.as_deref() != Some("optional"))
}

/// After a right password: a session, or the challenge of the second step.
/// Whether the account's second step is waiting after too many wrong codes.
async fn waiting(tx: &mut Tx, user_id: Uuid, ctx: &Ctx) -> Result<bool, Error> {
    Ok(admin::user(tx, user_id)
        .await?
        .and_then(|u| u.locked_until)
        .is_some_and(|t| t > ctx.now))
}

pub(crate) async fn after_password(
    mut tx: Tx,
    ctx: &Ctx,
    user_id: Uuid,
    key: &crate::settings::Secret,
) -> Result<SignIn, Error> {
    store::purge_challenges(&mut tx, ctx.now - Duration::minutes(CHALLENGE_MINUTES)).await?;
    let factor = store::factor(&mut tx, user_id).await?;
    if factor.is_some() && waiting(&mut tx, user_id, ctx).await? {
        finish(
            tx,
            Caller::SigningIn,
            ctx,
            Action::AuthLoginRefused,
            Some(user_id),
            json!({"reason": "second_factor_waiting"}),
        )
        .await?;
        return Err(Error::TooManyRequests);
    }
    let enrol = match &factor {
        Some(_) => false,
        None if required(&mut tx).await? => true,
        None => {
            return Ok(SignIn::Session(Box::new(
                open_session(tx, ctx, user_id).await?,
            )))
        }
    };
    let challenge = random_secret(32);
    store::insert_challenge(
        &mut tx,
        &store::Challenge {
            id_hash: secret_hash(&challenge),
            user_id,
            kind: if enrol { "enrol" } else { "verify" }.into(),
            secret: if enrol {
                Some(seal(key, &new_secret())?)
            } else {
                None
            },
            failures: 0,
            created_at: ctx.now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SignIn::SecondFactor { challenge, enrol })
}

/// The second step as its page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeView {
    pub username: String,
    /// Setting a factor up: the secret to type into an authenticator app, grouped in
    /// fours, and its `otpauth://` address.
    pub enrol: Option<Enrolment>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth: String,
}

/// The factor of an account, for administrators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FactorState {
    pub enrolled: bool,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// A reset asked and not decided yet.
    pub pending_reset: Option<PendingReset>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingReset {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub requested_by: Uuid,
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
}

impl From<store::Reset> for PendingReset {
    fn from(r: store::Reset) -> Self {
        PendingReset {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            requested_by: r.requested_by,
            requested_by_name: r.requested_by_name,
            requested_at: r.requested_at,
        }
    }
}

fn group(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn url_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Services {
    async fn live_challenge(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        challenge: &str,
    ) -> Result<store::Challenge, Error> {
        let c = store::challenge(tx, &secret_hash(challenge))
            .await?
            .ok_or(Error::Unauthenticated)?;
        if c.created_at < ctx.now - Duration::minutes(CHALLENGE_MINUTES)
            || c.failures >= CHALLENGE_TRIES
        {
            return Err(Error::Unauthenticated);
        }
        Ok(c)
    }

    /// The second step waiting behind a challenge.
    pub async fn second_factor_challenge(
        &self,
        ctx: &Ctx,
        challenge: &str,
    ) -> Result<ChallengeView, Error> {
        let mut tx = self.store.read().await?;
        let c = self.live_challenge(&mut tx, ctx, challenge).await?;
        let user = admin::user(&mut tx, c.user_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        tx.rollback().await?;
        let secret = match &c.secret {
            Some(s) => Some(open(&self.settings.factor_key, s)?),
            None => None,
        };
        let enrol = secret.map(|secret| Enrolment {
            otpauth: format!(
                "otpauth://totp/Itinera:{}?secret={}&issuer=Itinera&algorithm=SHA1&digits={DIGITS}&period={STEP}",
                url_part(&user.username),
                secret
            ),
            secret: group(&secret),
        });
        Ok(ChallengeView {
            username: user.username,
            enrol,
        })
    }

    /// The second step: a code of the factor (or one being set up), or a recovery
    /// code. Opens the session; a factor just set up also gives its recovery codes,
    /// to be shown once.
    pub async fn complete_second_factor(
        &self,
        ctx: &Ctx,
        challenge: &str,
        code: &str,
    ) -> Result<(SessionInfo, Vec<String>), Error> {
        let mut tx = self.store.write().await?;
        let c = self.live_challenge(&mut tx, ctx, challenge).await?;
        let typed = normalise(code);
        if typed.is_empty() {
            return Err(Error::field("code", "validation.required"));
        }
        // One attempt of an account at a time (the account's count of wrong codes).
        store::lock_account(&mut tx, c.user_id).await?;
        if waiting(&mut tx, c.user_id, ctx).await? {
            return Err(Error::TooManyRequests);
        }
        if !store::take_try(&mut tx, &c.id_hash, CHALLENGE_TRIES).await? {
            return Err(Error::TooManyRequests);
        }
        let mut codes = Vec::new();
        let ok = match (&c.secret, store::factor(&mut tx, c.user_id).await?) {
            (Some(secret), _) => match matching_step(
                &decode(&open(&self.settings.factor_key, secret)?)?,
                &typed,
                ctx.now,
            ) {
                Some(step) => {
                    store::remove(&mut tx, c.user_id).await?;
                    store::insert_factor(
                        &mut tx,
                        &store::Factor {
                            user_id: c.user_id,
                            secret: secret.clone(),
                            last_step: step,
                            confirmed_at: ctx.now,
                        },
                    )
                    .await?;
                    for _ in 0..RECOVERY_CODES {
                        let code = recovery_code();
                        store::insert_recovery_code(
                            &mut tx,
                            ctx.new_id(),
                            c.user_id,
                            &secret_hash(&normalise(&code)),
                            ctx.now,
                        )
                        .await?;
                        codes.push(code);
                    }
                    crate::audit::audit(
                        &mut tx,
                        Caller::SigningIn,
                        ctx,
                        Action::AuthSecondFactorEnrol,
                        Some(c.user_id),
                        json!({}),
                    )
                    .await?;
                    true
                }
                None => false,
            },
            (None, Some(f)) => {
                let by_code = match matching_step(
                    &decode(&open(&self.settings.factor_key, &f.secret)?)?,
                    &typed,
                    ctx.now,
                ) {
                    Some(step) => store::use_step(&mut tx, c.user_id, step).await?,
                    None => false,
                };
                if by_code {
                    true
                } else if typed.len() == 10
                    && store::use_recovery_code(&mut tx, c.user_id, &secret_hash(&typed), ctx.now)
                        .await?
                {
                    let left = store::unused_recovery_codes(&mut tx, c.user_id).await?;
                    crate::audit::audit(
                        &mut tx,
                        Caller::SigningIn,
                        ctx,
                        Action::AuthRecoveryCodeUsed,
                        Some(c.user_id),
                        json!({"left": left}),
                    )
                    .await?;
                    true
                } else {
                    false
                }
            }
            (None, None) => return Err(Error::Unauthenticated),
        };
        if !ok {
            store::fail_account(
                &mut tx,
                c.user_id,
                ACCOUNT_TRIES,
                ctx.now + Duration::minutes(ACCOUNT_WAIT_MINUTES),
            )
            .await?;
            finish(
                tx,
                Caller::SigningIn,
                ctx,
                Action::AuthSecondFactorFailed,
                Some(c.user_id),
                json!({"failures": c.failures + 1}),
            )
            .await?;
            return Err(if c.failures + 1 >= CHALLENGE_TRIES {
                Error::TooManyRequests
            } else {
                Error::field("code", "second_factor.wrong_code")
            });
        }
        store::delete_challenge(&mut tx, &c.id_hash).await?;
        store::clear_account(&mut tx, c.user_id).await?;
        let session = open_session(tx, ctx, c.user_id).await?;
        Ok((session, codes))
    }

    /// An account's factor, for administrators.
    pub async fn second_factor_state(
        &self,
        actor: &Actor,
        user_id: Uuid,
    ) -> Result<FactorState, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let f = store::factor(&mut tx, user_id).await?;
        let left = store::unused_recovery_codes(&mut tx, user_id).await?;
        let pending = store::pending_resets(&mut tx)
            .await?
            .into_iter()
            .find(|r| r.user_id == user_id)
            .map(Into::into);
        tx.rollback().await?;
        Ok(FactorState {
            enrolled: f.is_some(),
            confirmed_at: f.map(|f| f.confirmed_at),
            recovery_codes_left: left,
            pending_reset: pending,
        })
    }

    /// Resets asked and not decided yet.
    pub async fn pending_second_factor_resets(
        &self,
        actor: &Actor,
    ) -> Result<Vec<PendingReset>, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let r = store::pending_resets(&mut tx).await?;
        tx.rollback().await?;
        Ok(r.into_iter().map(Into::into).collect())
    }

    /// An administrator asks for an account's lost factor to be reset.
    pub async fn request_second_factor_reset(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        user_id: Uuid,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        admin::user(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        if store::factor(&mut tx, user_id).await?.is_none() {
            return Err(Error::Rule("second_factor.none"));
        }
        // Nor asked for by the administrator who created the account (see
        // `decide_second_factor_reset`), nor by the account itself.
        if admin::created_by(&mut tx, user_id).await? == Some(actor.user_id)
            || user_id == actor.user_id
        {
            return Err(Error::Rule("second_factor.reset_same_admin"));
        }
        if store::pending_resets(&mut tx)
            .await?
            .iter()
            .any(|r| r.user_id == user_id)
        {
            return Err(Error::Rule("second_factor.reset_pending"));
        }
        let id = ctx.new_id();
        store::insert_reset(&mut tx, id, user_id, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::SecondFactorResetRequest,
            Some(user_id),
            json!({"reset": id}),
        )
        .await?;
        Ok(id)
    }

    /// Another administrator approves (or refuses) a reset: approved, the factor and
    /// its recovery codes are removed and the account's sessions end.
    pub async fn decide_second_factor_reset(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        approve: bool,
    ) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        let r = store::pending_reset(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        // Four eyes: neither the administrator who asked nor the account itself, nor
        // the one who created it (they chose its password, which no one else knows:
        // after a reset, whoever signs in first sets the new factor up).
        let creator = admin::created_by(&mut tx, r.user_id).await?;
        if r.requested_by == actor.user_id
            || r.user_id == actor.user_id
            || creator == Some(actor.user_id)
        {
            return Err(Error::Rule("second_factor.reset_same_admin"));
        }
        if !store::decide_reset(&mut tx, id, actor.user_id, approve, ctx.now).await? {
            return Err(Error::Conflict("second_factor.reset_decided"));
        }
        if approve {
            // A lost factor may be a stolen one: whatever the account held ends.
            store::remove(&mut tx, r.user_id).await?;
            store::end_sessions(&mut tx, r.user_id).await?;
            admin::revoke_tokens_of(&mut tx, r.user_id, ctx.now).await?;
            itinera_store::coordination::revoke_all_feeds(&mut tx, r.user_id, ctx.now).await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::SecondFactorResetDecide,
            Some(r.user_id),
            json!({"reset": id, "approved": approve}),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn secrets_are_sealed_and_open_only_with_their_key() {
        let key = crate::settings::Secret::from("a deployment's factor key");
        let other = crate::settings::Secret::from("another key");
        let secret = new_secret();
        let a = seal(&key, &secret).unwrap();
        let b = seal(&key, &secret).unwrap();
        assert!(a.starts_with(SEALED) && !a.contains(&secret));
        assert_ne!(a, b, "a fresh nonce each time");
        assert_eq!(open(&key, &a).unwrap(), secret);
        assert!(open(&other, &a).is_err());
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(open(&key, &tampered).is_err());
        // A factor stored before sealing still opens.
        assert_eq!(open(&key, &secret).unwrap(), secret);
    }

    /// RFC 6238, appendix B: the SHA-1 column (eight digits, the 20-byte ASCII secret
    /// "12345678901234567890"), through the crate that computes the codes.
    #[test]
    fn the_reference_vectors_of_rfc_6238() {
        let secret = b"12345678901234567890".to_vec();
        let t = TOTP::new_unchecked(Algorithm::SHA1, 8, 1, 30, secret);
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(t.generate(time), code, "T = {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_next_and_previous_only() {
        let secret = new_secret();
        let bytes = decode(&secret).unwrap();
        assert_eq!(bytes.len(), 20, "160 bits, as RFC 4226 recommends");
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 10).unwrap();
        let code = code_at(&secret, at).unwrap();
        let step = at.timestamp() / 30;
        assert_eq!(matching_step(&bytes, &code, at), Some(step));
        assert_eq!(
            matching_step(&bytes, &code, at + Duration::seconds(30)),
            Some(step),
            "a code of the previous step is still taken"
        );
        assert_eq!(
            matching_step(&bytes, &code, at + Duration::seconds(90)),
            None
        );
        assert_eq!(matching_step(&bytes, "000000x", at), None);
    }

    #[test]
    fn recovery_codes_are_random_and_typed_loosely() {
        let a = recovery_code();
        assert_eq!(a.len(), 11);
        assert_ne!(a, recovery_code());
        assert_eq!(normalise(&a.to_lowercase()), a.replace('-', ""));
        assert_eq!(group("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(url_part("ts.badajoz@x"), "ts.badajoz%40x");
    }
}
