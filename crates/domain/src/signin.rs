//! Sign-in back-off: wrong passwords slow down the address that typed them, for the
//! account name typed, and no one else. Nobody can lock a colleague out from another
//! machine, and the answer never says whether the name exists (unknown names are
//! counted the same way).

use chrono::{DateTime, Duration, Utc};

/// Failures allowed before the first wait.
pub const FREE_FAILURES: i32 = 5;
/// The longest wait.
pub const MAX_WAIT_MINUTES: i64 = 60;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_HOURS: i64 = 24;

/// The count after one more failure at `now`, given the last recorded one.
pub fn failures_after(previous: Option<(i32, DateTime<Utc>)>, now: DateTime<Utc>) -> i32 {
    match previous {
        Some((n, last)) if now - last < Duration::hours(FORGET_AFTER_HOURS) => n.saturating_add(1),
        _ => 1,
    }
}

/// How long the name is blocked from this address after `failures` in a row: none for
/// the first few, then one minute, doubling, up to an hour.
pub fn wait_after(failures: i32) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let step = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(6);
    Some(Duration::minutes((1i64 << step).min(MAX_WAIT_MINUTES)))
}

/// The key a name is counted under: trimmed, lower case (as user names are stored).
pub fn name_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_wait_doubles_up_to_an_hour_and_failures_are_forgotten() {
        assert_eq!(wait_after(4), None);
        assert_eq!(wait_after(5), Some(Duration::minutes(1)));
        assert_eq!(wait_after(6), Some(Duration::minutes(2)));
        assert_eq!(wait_after(10), Some(Duration::minutes(32)));
        assert_eq!(wait_after(11), Some(Duration::minutes(60)));
        assert_eq!(wait_after(1_000), Some(Duration::minutes(60)));
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        assert_eq!(failures_after(None, t), 1);
        assert_eq!(failures_after(Some((7, t - Duration::hours(1))), t), 8);
        assert_eq!(failures_after(Some((7, t - Duration::hours(25))), t), 1);
        assert_eq!(failures_after(Some((i32::MAX, t)), t), i32::MAX);
        assert_eq!(name_key("  TS.Badajoz "), "ts.badajoz");
    }
}
