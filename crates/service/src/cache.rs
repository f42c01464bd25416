//! Computed aggregates kept for a while: the objectives sheet, the ESF table and the
//! dashboard are whole-programme computations (seconds at a national programme's size),
//! read again and again by managers while the figures barely move. Each is kept, per
//! process, under a key of everything its answer depends on (programme, filters,
//! period, language, and for the sheet the objectives' own version), for
//! `Settings::aggregate_cache` (`ITINERA_AGGREGATE_CACHE_SECONDS`, default 300; 0 keeps
//! nothing). A kept answer says when it was computed, and the reader may ask for it to
//! be computed again (`fresh`). Every read is audited as it would be without the cache:
//! the cache saves the computation, not the audit row.
//!
//! The time is the request's (`Ctx::now`, from the injected clock): deterministic in
//! tests. Only aggregates are kept, never a person's data, and nothing here depends on
//! who reads (the services check the capability before they look).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// At most this many answers are kept; past it the oldest goes.
const MAX_ENTRIES: usize = 256;

pub struct AggregateCache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (DateTime<Utc>, T)>>,
}

impl<T: Clone> AggregateCache<T> {
    pub fn new(ttl: Duration) -> Self {
        AggregateCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (DateTime<Utc>, T)>> {
        // A panic while holding the lock leaves only complete entries behind.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer kept under `key` and when it was computed, if it is still fresh at
    /// `now` (and not from the future: a clock set back forgets it).
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<(DateTime<Utc>, T)> {
        if self.ttl <= Duration::zero() {
            return None;
        }
        let entries = self.lock();
        let (at, v) = entries.get(key)?;
        (*at <= now && now - *at < self.ttl).then(|| (*at, v.clone()))
    }

    /// Keeps `value`, computed at `now`, under `key`.
    pub fn put(&self, key: String, now: DateTime<Utc>, value: T) {
        if self.ttl <= Duration::zero() {
            return;
        }
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|_, (at, _)| *at <= now && now - *at < ttl);
        if entries.len() >= MAX_ENTRIES {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (now, value));
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
}
