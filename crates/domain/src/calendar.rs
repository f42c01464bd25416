//! Calendars: the weeks of a month for the calendar page, and the iCalendar (RFC 5545)
//! text of a feed — escaped, folded at 75 octets, lines ended with CR LF.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

/// One event of a feed. Its times are instants, written in UTC (`…Z`): a subscriber
/// in another time zone sees the meeting at the right hour of theirs.
pub struct Event {
    pub uid: String,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub summary: String,
    pub location: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            // No control character in a value (RFC 5545 §3.3.11); a tab becomes a space.
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line: at most 75 octets per line, continuations start with a space;
/// never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// A whole calendar.
pub fn ics(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: String| fold(&s, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Itinera//Coordinacion//ES".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}Z", stamp(now.naive_utc())));
        line(format!("DTSTART:{}Z", stamp(e.starts.naive_utc())));
        line(format!("DTEND:{}Z", stamp(e.ends.naive_utc())));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(l) = &e.location {
            line(format!("LOCATION:{}", escape(l)));
        }
        // A URI value is written as it is (a text value's escapes would break a
        // link with a comma or a semicolon); no control character is ever one.
        if let Some(u) = &e.url {
            let u: String = u.chars().filter(|c| !c.is_control()).collect();
            line(format!("URL:{u}"));
        }
        if let Some(d) = &e.description {
            line(format!("DESCRIPTION:{}", escape(d)));
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// The weeks (Monday first) that show a month: each day of the month in its column,
/// `None` outside it.
pub fn month_weeks(year: i32, month: u32) -> Vec<[Option<NaiveDate>; 7]> {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return Vec::new();
    };
    let mut weeks = Vec::new();
    let mut week = [None; 7];
    let mut d = first;
    while d.month() == month {
        let col = d.weekday().num_days_from_monday() as usize;
        if let Some(slot) = week.get_mut(col) {
            *slot = Some(d);
        }
        if col == 6 {
            weeks.push(week);
            week = [None; 7];
        }
        d += Duration::days(1);
    }
    if week.iter().any(Option::is_some) {
        weeks.push(week);
    }
    weeks
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lines_are_escaped_and_folded() {
        // 10:00 in Madrid on 3 December (winter time) is 09:00 UTC.
        let t = |h| {
            crate::time::Zone::CentralEuropean.utc_of(
                NaiveDate::from_ymd_opt(2026, 12, 3)
                    .unwrap()
                    .and_hms_opt(h, 0, 0)
                    .unwrap(),
            )
        };
        let e = Event {
            uid: "m1@itinera".into(),
            starts: t(10),
            ends: t(11),
            summary: "Mesa técnica de casos; Badajoz, seguimiento".into(),
            location: Some(
                "Centro de Servicios Sociales de Atención Social Básica de Badajoz — sala 2".into(),
            ),
            url: None,
            description: Some("línea 1\nlínea 2".into()),
        };
        let s = ics(
            "Itinera",
            &[e],
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap(),
        );
        assert!(s.contains("SUMMARY:Mesa técnica de casos\\; Badajoz\\, seguimiento\r\n"));
        assert!(s.contains("DTSTART:20261203T090000Z\r\n"), "{s}");
        assert!(s.contains("DESCRIPTION:línea 1\\nlínea 2\r\n"));
        assert!(s.lines().all(|l| l.len() <= 76), "{s}");
        assert!(s.contains("\r\n "), "the long location is folded");
        assert!(s.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn a_month_in_weeks_from_monday() {
        let w = month_weeks(2026, 12);
        assert_eq!(w.len(), 5);
        assert_eq!(w[0][0], None);
        assert_eq!(
            w[0][1],
            NaiveDate::from_ymd_opt(2026, 12, 1),
            "1 December 2026 is a Tuesday"
        );
        assert_eq!(w[4][3], NaiveDate::from_ymd_opt(2026, 12, 31));
    }
}
