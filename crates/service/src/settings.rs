//! The settings of a deployment that the services need, and its secrets. No secret has
//! a value in the code: the pseudonym key comes from `ITINERA_PSEUDONYM_KEY`, or is made
//! at the deployment's first start and kept in its database (`deployment_secrets`), so
//! that every server of it makes the same pseudonyms. Secrets never print (`Debug`
//! shows that there is one, not what it is).

use chrono::{DateTime, Utc};
use itinera_domain::Error;
use itinera_store::Store;
use rand::RngCore;

/// A secret value: compared and used, never shown.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// 32 random bytes.
    pub fn random() -> Secret {
        let mut b = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Secret(b)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.as_bytes().to_vec())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Settings of a deployment that the services need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Sessions end after this long without a request.
    pub session_idle: chrono::Duration,
    /// …and after this long in any case.
    pub session_absolute: chrono::Duration,
    /// The key of the pseudonyms in aggregate lists.
    pub pseudonym_key: Secret,
    /// The key that seals second-factor secrets at rest (`second_factor::seal`):
    /// `ITINERA_FACTOR_KEY` when set (kept outside the database, so a copy of the
    /// database alone reveals no factor), otherwise the database's own.
    pub factor_key: Secret,
    /// Counts of people below this are not shown to programme managers and funders
    /// (`ITINERA_SMALL_COUNT_THRESHOLD`, default 5; see `domain::disclosure`).
    pub small_counts: u32,
    /// How long a computed objectives sheet, ESF table or dashboard is kept
    /// (`ITINERA_AGGREGATE_CACHE_SECONDS`, default 300; 0 keeps nothing; see `cache`).
    pub aggregate_cache: chrono::Duration,
    /// How often the background pass prepares each active programme's sheet, ESF table
    /// and dashboard ahead of their readers (`ITINERA_AGGREGATE_PREPARE_SECONDS`,
    /// default 3600; 0 prepares nothing; see `cache`).
    pub aggregate_prepare: chrono::Duration,
    /// The deployment's time zone (`ITINERA_TIME_ZONE`, Europe/Madrid by default): the
    /// local times of meetings are instants in it (the calendar feed).
    pub zone: itinera_domain::time::Zone,
}

impl Settings {
    /// The defaults, with this pseudonym key.
    /// The factor key is derived from the pseudonym key (tests, benchmarks);
    /// `of_deployment` gives each its own.
    pub fn new(pseudonym_key: Secret) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"itinera second factor key\0");
        h.update(pseudonym_key.expose());
        let factor_key = Secret(h.finalize().to_vec());
        Settings {
            session_idle: chrono::Duration::minutes(30),
            session_absolute: chrono::Duration::hours(12),
            pseudonym_key,
            factor_key,
            small_counts: small_count_threshold(),
            aggregate_cache: seconds_setting("ITINERA_AGGREGATE_CACHE_SECONDS", 300),
            aggregate_prepare: seconds_setting("ITINERA_AGGREGATE_PREPARE_SECONDS", 3600),
            zone: std::env::var("ITINERA_TIME_ZONE")
                .ok()
                .and_then(|z| itinera_domain::time::Zone::parse(&z))
                .unwrap_or_default(),
        }
    }

    /// A deployment's settings: the pseudonym key from `ITINERA_PSEUDONYM_KEY` when it is
    /// set, otherwise the database's (made now if this is its first start).
    pub async fn of_deployment(store: &Store, now: DateTime<Utc>) -> Result<Settings, Error> {
        let pseudonym = key_of(store, "ITINERA_PSEUDONYM_KEY", "pseudonym_key", now).await?;
        let factor = key_of(store, "ITINERA_FACTOR_KEY", "factor_key", now).await?;
        let mut s = Settings::new(pseudonym);
        s.factor_key = factor;
        Ok(s)
    }
}

/// A deployment's key: the environment's `var` when set, otherwise the database's
/// secret `name` (made now if this is its first start).
async fn key_of(store: &Store, var: &str, name: &str, now: DateTime<Utc>) -> Result<Secret, Error> {
    if let Ok(k) = std::env::var(var) {
        if !k.trim().is_empty() {
            return Ok(Secret::from(k.trim()));
        }
    }
    let made = hex::encode(Secret::random().expose());
    let mut tx = store.write().await?;
    let key = itinera_store::secrets::get_or_create(&mut tx, name, &made, now).await?;
    tx.commit().await?;
    Ok(Secret::from(key.as_str()))
}

/// The deployment's threshold of small counts: `ITINERA_SMALL_COUNT_THRESHOLD` when it is
/// a whole number from 1 to 100, otherwise the default.
fn small_count_threshold() -> u32 {
    std::env::var("ITINERA_SMALL_COUNT_THRESHOLD")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| (1..=100).contains(v))
        .unwrap_or(itinera_domain::disclosure::DEFAULT_THRESHOLD)
}

/// A span of time from the environment's `var`: a whole number of seconds up to a day,
/// otherwise `default` seconds.
fn seconds_setting(var: &str, default: i64) -> chrono::Duration {
    let seconds = std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|v| (0..=86_400).contains(v))
        .unwrap_or(default);
    chrono::Duration::seconds(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let s = Settings::new(Secret::from("the real key"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("the real key"), "{shown}");
        assert!(shown.contains("Secret(…)"));
        assert_ne!(Secret::random().expose(), Secret::random().expose());
    }
}
