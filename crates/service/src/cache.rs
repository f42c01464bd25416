//! Computed aggregates kept for a while: the objectives sheet, the ESF table and the
//! dashboard are whole-programme computations (seconds at a national programme's size,
//! minutes at a million participants), read again and again by managers while the
//! figures barely move. Each is kept, per process, under a key of everything its answer
//! depends on (programme, filters, period, and for the sheet the day and the objectives'
//! own version), for `Settings::aggregate_cache` (`ITINERA_AGGREGATE_CACHE_SECONDS`,
//! default 300; 0 keeps nothing). A kept answer says when it was computed, and the
//! reader may ask for it to be computed again (`fresh`). Every read is audited as it
//! would be without the cache: the cache saves the computation, not the audit row.
//!
//! **Prepared answers.** What a manager opens first — each active programme's sheet,
//! ESF+ table and dashboard for this year, without filters — is computed ahead of its
//! readers by the background pass (`prepare`, every `Settings::aggregate_prepare`,
//! `ITINERA_AGGREGATE_PREPARE_SECONDS`, default 3600; 0 prepares nothing), so the first
//! view is a kept answer too. A prepared answer lasts two preparations (the next one
//! replaces it before it runs out, however long it takes), and an answer computed again
//! on request under its key keeps that lifetime.
//!
//! The time is the request's (`Ctx::now`, from the injected clock): deterministic in
//! tests. Only aggregates are kept, never a person's data, and nothing here depends on
//! who reads (the services check the capability before they look).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// At most this many answers are kept; past it the oldest goes.
const MAX_ENTRIES: usize = 256;

struct Entry<T> {
    /// When it was computed.
    at: DateTime<Utc>,
    /// When it stops being given.
    until: DateTime<Utc>,
    /// Put there by a preparation (see the module's note).
    prepared: bool,
    value: T,
}

pub struct AggregateCache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T: Clone> AggregateCache<T> {
    pub fn new(ttl: Duration) -> Self {
        AggregateCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        // A panic while holding the lock leaves only complete entries behind.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer kept under `key` and when it was computed, if it is still given at
    /// `now` (and not from the future: a clock set back forgets it).
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<(DateTime<Utc>, T)> {
        let entries = self.lock();
        let e = entries.get(key)?;
        (e.at <= now && now < e.until).then(|| (e.at, e.value.clone()))
    }

    /// Keeps `value`, computed at `now`, under `key` for the cache's time (or, when it
    /// replaces a prepared answer, for what that one had left, if longer).
    pub fn put(&self, key: String, now: DateTime<Utc>, value: T) {
        let mut entries = self.lock();
        let kept = entries
            .get(&key)
            .filter(|e| e.prepared && e.at <= now && now < e.until)
            .map(|e| e.until);
        if self.ttl <= Duration::zero() && kept.is_none() {
            return;
        }
        let until = kept.map_or(now + self.ttl, |u| u.max(now + self.ttl));
        Self::insert(
            &mut entries,
            now,
            key,
            Entry {
                at: now,
                until,
                prepared: kept.is_some(),
                value,
            },
        );
    }

    /// Keeps `value`, prepared at `now` ahead of its readers, under `key` for `lasting`.
    pub fn prepare(&self, key: String, now: DateTime<Utc>, value: T, lasting: Duration) {
        if lasting <= Duration::zero() {
            return;
        }
        let mut entries = self.lock();
        Self::insert(
            &mut entries,
            now,
            key,
            Entry {
                at: now,
                until: now + lasting,
                prepared: true,
                value,
            },
        );
    }

    fn insert(
        entries: &mut HashMap<String, Entry<T>>,
        now: DateTime<Utc>,
        key: String,
        e: Entry<T>,
    ) {
        entries.retain(|_, x| x.at <= now && now < x.until);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, x)| x.at)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, e);
    }
}

/// A read's audit detail, saying when the answer given was computed if it was a kept
/// one (`kept_at`).
pub(crate) fn audit_detail(
    mut detail: serde_json::Value,
    kept_at: Option<DateTime<Utc>>,
) -> serde_json::Value {
    if let (Some(at), Some(o)) = (kept_at, detail.as_object_mut()) {
        o.insert("computed_at".into(), serde_json::json!(at));
    }
    detail
}

impl crate::Services {
    /// How long a prepared answer lasts: two preparations.
    pub(crate) fn prepared_lasting(&self) -> Duration {
        self.settings.aggregate_prepare * 2
    }

    /// Prepares, ahead of their readers, the sheet, the ESF table and the dashboard of
    /// every active programme as they are opened first (see the module's note); each on
    /// a snapshot of its own. A programme that fails is logged and the others go on.
    /// Returns the programmes prepared.
    pub async fn prepare_figures(&self) -> Result<usize, itinera_domain::Error> {
        if self.settings.aggregate_prepare <= Duration::zero() {
            return Ok(0);
        }
        let programmes = {
            let mut tx = self.store.read().await?;
            let p = itinera_store::admin::programmes(&mut tx).await?;
            tx.rollback().await?;
            p
        };
        let mut prepared = 0;
        for p in programmes.iter().filter(|p| p.active) {
            let mut ok = true;
            for what in ["sheet", "esf", "dashboard"] {
                // Each says when it was computed: the time it starts.
                let ctx = self.cli_ctx();
                let mut tx = self.store.snapshot().await?;
                let done = match what {
                    "sheet" => self.prepare_sheet(&mut tx, &ctx, p.id).await,
                    "esf" => self.prepare_esf(&mut tx, &ctx, p.id).await,
                    _ => self.prepare_dashboard(&mut tx, &ctx, p.id).await,
                };
                tx.rollback().await?;
                if let Err(e) = done {
                    ok = false;
                    tracing::warn!(programme = %p.code, figures = what, error = %e, "preparing a programme's figures");
                }
            }
            prepared += usize::from(ok);
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn an_answer_is_kept_for_its_time_and_no_longer() {
        let c = AggregateCache::new(Duration::seconds(300));
        assert_eq!(c.get("a", t(0)), None);
        c.put("a".into(), t(0), 7);
        assert_eq!(c.get("a", t(299)), Some((t(0), 7)));
        assert_eq!(c.get("a", t(300)), None, "expired");
        assert_eq!(c.get("a", t(-1)), None, "a clock set back forgets it");
        assert_eq!(c.get("b", t(1)), None, "another key");
    }

    #[test]
    fn nothing_is_kept_when_the_time_is_zero() {
        let c = AggregateCache::new(Duration::zero());
        c.put("a".into(), t(0), 7);
        assert_eq!(c.get("a", t(0)), None);
    }

    #[test]
    fn the_oldest_goes_when_it_is_full() {
        let c = AggregateCache::new(Duration::seconds(10_000));
        for i in 0..MAX_ENTRIES as i64 {
            c.put(format!("k{i}"), t(i), i);
        }
        c.put("new".into(), t(MAX_ENTRIES as i64), -1);
        let now = t(MAX_ENTRIES as i64);
        assert_eq!(c.get("k0", now), None);
        assert_eq!(c.get("k1", now), Some((t(1), 1)));
        assert_eq!(c.get("new", now), Some((now, -1)));
    }

    #[test]
    fn a_prepared_answer_lasts_its_own_time_even_where_nothing_else_is_kept() {
        let c = AggregateCache::new(Duration::zero());
        c.prepare("a".into(), t(0), 1, Duration::seconds(7200));
        assert_eq!(c.get("a", t(3600)), Some((t(0), 1)));
        // Computed again on request: the new answer keeps the prepared one's time.
        c.put("a".into(), t(3600), 2);
        assert_eq!(c.get("a", t(7199)), Some((t(3600), 2)));
        assert_eq!(c.get("a", t(7200)), None, "run out");
        // Another key is not kept (the cache keeps nothing).
        c.put("b".into(), t(10), 3);
        assert_eq!(c.get("b", t(10)), None);
    }

    #[test]
    fn an_answer_computed_again_outlives_a_prepared_one_about_to_run_out() {
        let c = AggregateCache::new(Duration::seconds(300));
        c.prepare("a".into(), t(0), 1, Duration::seconds(400));
        c.put("a".into(), t(350), 2);
        assert_eq!(c.get("a", t(649)), Some((t(350), 2)));
        assert_eq!(c.get("a", t(650)), None);
        // The next preparation replaces it.
        c.prepare("a".into(), t(700), 3, Duration::seconds(400));
        assert_eq!(c.get("a", t(701)), Some((t(700), 3)));
    }
}
