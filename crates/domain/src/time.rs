//! The deployment's time zone, for what a person reads: times are stored in UTC and
//! shown in local time, never as UTC on a page. Spain's and Italy's zones follow the
//! EU summer-time rule (Directive 2000/84/EC: from 01:00 UTC on the last Sunday of
//! March to 01:00 UTC on the last Sunday of October), so the rule is written here
//! rather than carrying the whole tz database.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// Central European Time: Europe/Madrid, Europe/Rome, Europe/Andorra.
    #[default]
    CentralEuropean,
    /// Western European Time: Atlantic/Canary, Europe/Lisbon.
    WesternEuropean,
    Utc,
}

impl Zone {
    /// A zone by its tz name (`Europe/Madrid`, `Europe/Rome`, `Atlantic/Canary`, `UTC`).
    pub fn parse(name: &str) -> Option<Zone> {
        match name.trim() {
            "Europe/Madrid" | "Europe/Rome" | "Europe/Andorra" | "Europe/Vatican"
            | "Europe/San_Marino" | "Africa/Ceuta" | "CET" => Some(Zone::CentralEuropean),
            "Atlantic/Canary" | "Europe/Lisbon" | "WET" => Some(Zone::WesternEuropean),
            "UTC" | "Etc/UTC" => Some(Zone::Utc),
            _ => None,
        }
    }

    /// The local wall-clock time of an instant.
    pub fn local(self, t: DateTime<Utc>) -> NaiveDateTime {
        let base = match self {
            Zone::CentralEuropean => 1,
            Zone::WesternEuropean => 0,
            Zone::Utc => return t.naive_utc(),
        };
        let summer = i64::from(eu_summer_time(t));
        (t + Duration::hours(base + summer)).naive_utc()
    }
}

impl Zone {
    /// The instant of a local wall-clock time (a meeting at 10:00 in Badajoz). In the
    /// hour the clocks go back, the first of the two; in the hour that does not exist
    /// when they go forward, as if the clocks had not changed yet.
    pub fn utc_of(self, local: NaiveDateTime) -> DateTime<Utc> {
        let base = match self {
            Zone::CentralEuropean => 1,
            Zone::WesternEuropean => 0,
            Zone::Utc => return Utc.from_utc_datetime(&local),
        };
        let summer = Utc.from_utc_datetime(&(local - Duration::hours(base + 1)));
        if self.local(summer) == local {
            return summer;
        }
        Utc.from_utc_datetime(&(local - Duration::hours(base)))
    }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = first_next.pred_opt()?;
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt()?;
    }
    Some(d)
}

/// Whether EU summer time is in force at `t`.
pub fn eu_summer_time(t: DateTime<Utc>) -> bool {
    let y = t.year();
    let at_one = |d: NaiveDate| d.and_hms_opt(1, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    match (
        last_sunday(y, 3).and_then(at_one),
        last_sunday(y, 10).and_then(at_one),
    ) {
        (Some(start), Some(end)) => start <= t && t < end,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        let cet = Zone::CentralEuropean;
        let l = |s: &str| cet.local(utc(s)).format("%Y-%m-%d %H:%M").to_string();
        assert_eq!(l("2026-03-29T00:59:00Z"), "2026-03-29 01:59");
        assert_eq!(l("2026-03-29T01:00:00Z"), "2026-03-29 03:00");
        assert_eq!(l("2026-10-25T00:59:00Z"), "2026-10-25 02:59");
        assert_eq!(l("2026-10-25T01:00:00Z"), "2026-10-25 02:00");
        assert_eq!(l("2026-12-04T23:30:00Z"), "2026-12-05 00:30");
        let wet = Zone::WesternEuropean;
        assert_eq!(
            wet.local(utc("2026-07-01T12:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "13:00"
        );
        assert_eq!(
            Zone::Utc
                .local(utc("2026-07-01T12:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "12:00"
        );
        assert_eq!(Zone::parse("Europe/Rome"), Some(Zone::CentralEuropean));
        assert_eq!(Zone::parse("Atlantic/Canary"), Some(Zone::WesternEuropean));
        assert_eq!(Zone::parse("Mars/Olympus"), None);
    }
}

#[cfg(test)]
mod utc_of_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_local_time_is_the_instant_it_names() {
        let at = |y, m, d, h| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        let z = Zone::CentralEuropean;
        assert_eq!(
            z.utc_of(at(2026, 12, 3, 10)).naive_utc(),
            at(2026, 12, 3, 9)
        );
        assert_eq!(z.utc_of(at(2026, 7, 3, 10)).naive_utc(), at(2026, 7, 3, 8));
        assert_eq!(
            Zone::WesternEuropean.utc_of(at(2026, 7, 3, 10)).naive_utc(),
            at(2026, 7, 3, 9)
        );
        for t in [at(2026, 12, 3, 10), at(2026, 7, 3, 10), at(2026, 3, 29, 12)] {
            assert_eq!(z.local(z.utc_of(t)), t);
        }
    }
}
