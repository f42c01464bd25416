//! The one place of Itinera that reads the time. Everything else receives it:
//!
//! - [`Clock`]: the injected clock. Services take the time of a request from it once
//!   (`Ctx.now`); tests use a [`FixedClock`] they move by hand.
//! - [`new_id`]: identifiers are UUID v7, whose first 48 bits are a time. They are made
//!   from a time passed in (the request's), never from the system clock, so that a test's
//!   ids follow its clock; ids made for the same millisecond still sort in the order
//!   they were made.
//! - [`Stopwatch`]: elapsed time for measurements (metrics, benchmarks, progress), never
//!   for a rule.
//!
//! The workspace's `clippy.toml` bans `Utc::now`, `Instant::now`, `SystemTime::now` and
//! `Uuid::now_v7` everywhere; this crate has a `clippy.toml` of its own without the ban.

use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, DurationRound, Utc};
use uuid::timestamp::context::ContextV7;
use uuid::{Timestamp, Uuid};

/// Where the time comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time, truncated to microseconds (what both databases store).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let n = Utc::now();
        n.duration_trunc(Duration::microseconds(1)).unwrap_or(n)
    }
}

/// The real time shifted by a fixed amount: a demo run "as if today were" another day,
/// whose clock then moves on at the real pace. Never used by `serve`.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock(Duration);

impl ShiftedClock {
    /// A clock that reads `day` now, at the real time of day.
    pub fn to_day(day: chrono::NaiveDate) -> Self {
        let now = SystemClock.now();
        ShiftedClock(
            day.signed_duration_since(now.date_naive())
                .max(Duration::days(-36_500)),
        )
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + self.0
    }
}

/// A clock that stands still until told to move: for tests and reproducible demos.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = at;
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
}

/// The counter that keeps ids made within one millisecond in the order they were made.
static V7: Mutex<ContextV7> = Mutex::new(ContextV7::new());

/// A new identifier (UUID v7) for something made at `at`.
pub fn new_id(at: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    Uuid::new_v7(Timestamp::from_unix(&V7, secs, at.timestamp_subsec_nanos()))
}

/// Elapsed time, for measurements only.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    pub fn elapsed(&self) -> StdDuration {
        self.0.elapsed()
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_shifted_clock_reads_the_day_it_was_shifted_to() {
        let day = chrono::NaiveDate::from_ymd_opt(2031, 2, 20).unwrap();
        let c = ShiftedClock::to_day(day);
        // The day may turn while the test runs (a shifted clock moves on).
        let read = c.now().date_naive();
        assert!(read == day || read == day.succ_opt().unwrap(), "{read}");
    }

    #[test]
    fn ids_carry_the_given_time_and_keep_their_order() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let ids: Vec<Uuid> = (0..1000).map(|_| new_id(at)).collect();
        let (secs, _) = ids[0].get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, at.timestamp());
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = FixedClock::new(at);
        assert_eq!(c.now(), at);
        c.advance(Duration::days(1));
        assert_eq!(c.now(), at + Duration::days(1));
    }
}
