//! Public holidays and working days. Holidays are data per territory (a holiday with no
//! territory is the deployment's national one; one of a region, a province or a
//! municipality holds there and below), kept by administrators. The national holidays
//! of Spain and Italy for a year follow from fixed dates and Easter (computed here, the
//! Gregorian computus), so an administrator can load a year's national calendar at once
//! and then add the regional and local ones.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

use crate::input::{optional_id, parse_date, required_text};
use crate::{Errors, Result};

/// A holiday as a form or the API sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HolidayInput {
    /// dd/mm/aaaa or aaaa-mm-dd.
    pub day: String,
    pub name: String,
    /// Empty: the whole deployment (national).
    pub territory_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayData {
    pub day: NaiveDate,
    pub name: String,
    pub territory_id: Option<Uuid>,
}

impl HolidayInput {
    pub fn validate(&self) -> Result<HolidayData> {
        let mut e = Errors::new();
        let day = e.take(
            "day",
            if self.day.trim().is_empty() {
                Err("validation.required")
            } else {
                parse_date(self.day.trim())
            },
        );
        let name = e.take("name", required_text(&self.name, 120));
        let territory_id = e.take("territory_id", optional_id(&self.territory_id));
        e.finish()?;
        match (day, name, territory_id) {
            (Some(day), Some(name), Some(territory_id)) => Ok(HolidayData {
                day,
                name,
                territory_id,
            }),
            _ => Err(crate::Error::Internal("holiday input".into())),
        }
    }
}

/// The countries whose national calendars Itinera knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Country {
    Spain,
    Italy,
}

impl Country {
    pub const ALL: [Country; 2] = [Country::Spain, Country::Italy];
    pub fn code(self) -> &'static str {
        match self {
            Country::Spain => "es",
            Country::Italy => "it",
        }
    }
    pub fn parse(s: &str) -> Option<Country> {
        Country::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The national public holidays of a country in a year, each with the translation key
/// of its name (`holiday.name.*`). Spain: the nine common to the whole State plus Good
/// Friday (regions add Holy Thursday and their own days, which administrators enter);
/// Italy: the eleven of law 260/1949 and its amendments plus Easter Monday.
pub fn national(country: Country, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed: &[(u32, u32, &str)] = match country {
        Country::Spain => &[
            (1, 1, "holiday.name.new_year"),
            (1, 6, "holiday.name.epiphany"),
            (5, 1, "holiday.name.labour_day"),
            (8, 15, "holiday.name.assumption"),
            (10, 12, "holiday.name.es_national_day"),
            (11, 1, "holiday.name.all_saints"),
            (12, 6, "holiday.name.es_constitution"),
            (12, 8, "holiday.name.immaculate"),
            (12, 25, "holiday.name.christmas"),
        ],
        Country::Italy => &[
            (1, 1, "holiday.name.new_year"),
            (1, 6, "holiday.name.epiphany"),
            (4, 25, "holiday.name.it_liberation"),
            (5, 1, "holiday.name.labour_day"),
            (6, 2, "holiday.name.it_republic"),
            (8, 15, "holiday.name.assumption"),
            (11, 1, "holiday.name.all_saints"),
            (12, 8, "holiday.name.immaculate"),
            (12, 25, "holiday.name.christmas"),
            (12, 26, "holiday.name.st_stephen"),
        ],
    };
    let mut out: Vec<(NaiveDate, &'static str)> = fixed
        .iter()
        .filter_map(|(m, d, k)| NaiveDate::from_ymd_opt(year, *m, *d).map(|day| (day, *k)))
        .collect();
    if let Some(easter) = easter_sunday(year) {
        match country {
            Country::Spain => out.push((easter - Duration::days(2), "holiday.name.good_friday")),
            Country::Italy => out.push((easter + Duration::days(1), "holiday.name.easter_monday")),
        }
    }
    out.sort();
    out
}

/// Whether people work on a day: not a Saturday or Sunday and not a holiday.
pub fn is_working_day(day: NaiveDate, holidays: &HashSet<NaiveDate>) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// The first day from `day` on (inclusive) that is a working day and not `taken`.
/// Looks at most a year ahead (a calendar with no working day gives `day` back).
pub fn next_open_day(
    day: NaiveDate,
    holidays: &HashSet<NaiveDate>,
    taken: &HashSet<NaiveDate>,
) -> NaiveDate {
    let mut d = day;
    for _ in 0..366 {
        if is_working_day(d, holidays) && !taken.contains(&d) {
            return d;
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    day
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_falls_on_the_published_sundays() {
        // Dates published for the Gregorian calendar.
        for (y, m, d) in [
            (1961, 4, 2),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(y), Some(ymd(y, m, d)), "{y}");
            assert_eq!(ymd(y, m, d).weekday(), Weekday::Sun);
        }
    }

    #[test]
    fn the_national_calendars_of_2026() {
        let es = national(Country::Spain, 2026);
        assert_eq!(es.len(), 10);
        assert!(es.contains(&(ymd(2026, 4, 3), "holiday.name.good_friday")));
        assert!(es.contains(&(ymd(2026, 12, 6), "holiday.name.es_constitution")));
        let it = national(Country::Italy, 2026);
        assert_eq!(it.len(), 11);
        assert!(it.contains(&(ymd(2026, 4, 6), "holiday.name.easter_monday")));
        assert!(it.contains(&(ymd(2026, 6, 2), "holiday.name.it_republic")));
        assert!(it.windows(2).all(|w| w[0].0 < w[1].0), "sorted, no repeats");
    }

    #[test]
    fn open_days_skip_weekends_holidays_and_taken_days() {
        let holidays: HashSet<_> = [ymd(2026, 12, 8)].into();
        // Saturday 5 → Monday 7, which is taken → Tuesday 8 is a holiday → Wednesday 9.
        let taken: HashSet<_> = [ymd(2026, 12, 7)].into();
        assert_eq!(
            next_open_day(ymd(2026, 12, 5), &holidays, &taken),
            ymd(2026, 12, 9)
        );
        assert_eq!(
            next_open_day(ymd(2026, 12, 10), &holidays, &taken),
            ymd(2026, 12, 10)
        );
        assert!(!is_working_day(ymd(2026, 12, 6), &holidays));
    }

    #[test]
    fn a_holiday_needs_a_real_day_and_a_name() {
        let bad = HolidayInput {
            day: "31/02/2027".into(),
            name: " ".into(),
            territory_id: "x".into(),
        };
        let err = bad.validate().unwrap_err();
        let s = format!("{err:?}");
        assert!(
            s.contains("day") && s.contains("name") && s.contains("territory_id"),
            "{s}"
        );
        let ok = HolidayInput {
            day: "24/06/2027".into(),
            name: "San Juan".into(),
            territory_id: String::new(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.day, ymd(2027, 6, 24));
        assert_eq!(ok.territory_id, None);
    }
}
