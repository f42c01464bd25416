//! The coordination report of a body for a period: meetings planned from its frequency
//! against meetings held, attendance per organisation, agreements made and how they
//! ended, cases reviewed and joint interviews held by the members' services. Built
//! from facts the store gathers; no I/O here.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

use crate::coordination::{planned_dates, AgreementStatus, Attendance, Frequency};
use crate::input::parse_date;

/// A period, both days included, of at most three years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// From typed dates; empty ones default to the last twelve months up to `today`.
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> crate::Result<Period> {
        let mut e = crate::error::Errors::new();
        let to = if to.trim().is_empty() {
            Some(today)
        } else {
            e.take("to", parse_date(to))
        };
        let from = if from.trim().is_empty() {
            to.map(|t| t - Duration::days(364))
        } else {
            e.take("from", parse_date(from))
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                e.add("to", "validation.date.range");
            } else if (t - f).num_days() > 3 * 366 {
                e.add("from", "report.period_too_long");
            }
        }
        e.finish()?;
        Ok(Period {
            from: from.unwrap_or(today),
            to: to.unwrap_or(today),
        })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// A meeting of the body, with how many members were present.
#[derive(Debug, Clone)]
pub struct MeetingFact {
    pub date: NaiveDate,
    pub present: u32,
}

/// One member's attendance at one meeting.
#[derive(Debug, Clone)]
pub struct AttendanceFact {
    pub meeting_date: NaiveDate,
    pub organisation_id: Uuid,
    pub organisation: String,
    pub attendance: Attendance,
}

#[derive(Debug, Clone)]
pub struct AgreementFact {
    pub made_on: NaiveDate,
    pub status: AgreementStatus,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// How the body was convened: its frequency from its first meeting.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub anchor: NaiveDate,
    pub frequency: Frequency,
    pub custom_days: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrganisationAttendance {
    pub organisation_id: Uuid,
    pub organisation: String,
    pub present: u32,
    pub excused: u32,
    pub absent: u32,
    /// Present over recorded, in percent (one decimal); `None` with nothing recorded.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AgreementCounts {
    pub made: u32,
    pub done_on_time: u32,
    pub done_late: u32,
    pub overdue: u32,
    pub open: u32,
    pub dropped: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JointInterviews {
    pub organisation: String,
    /// Absent when the people behind it are fewer than the threshold.
    pub count: Option<u32>,
}

/// A count of things about people (cases reviewed, joint interviews) with how many
/// different people are behind it: what small-count suppression judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleCount {
    pub count: u32,
    pub people: u32,
}

impl PeopleCount {
    /// The count as published: hidden when some but fewer than `threshold` people
    /// are behind it (none singles out no one).
    pub fn shown(self, threshold: u32) -> Option<u32> {
        (self.people == 0 || self.people >= threshold).then_some(self.count)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub period: Period,
    /// Meetings the frequency plans in the period, up to today (to compare with those
    /// held).
    pub planned: u32,
    /// Meetings in the period, up to today, at which someone was present.
    pub held: u32,
    /// Meetings in the period not held (nobody recorded present), up to today.
    pub not_held: u32,
    pub attendance: Vec<OrganisationAttendance>,
    pub agreements: AgreementCounts,
    /// Cases on the agenda of meetings held; absent when fewer than `threshold`.
    pub cases_reviewed: Option<u32>,
    /// Joint interviews by member organisation; a line behind fewer than `threshold`
    /// people is hidden (and, when it would be the only hidden one while the total is
    /// shown, the next smallest too: the total less the others would give it away).
    pub joint_interviews: Vec<JointInterviews>,
    pub joint_interviews_total: Option<u32>,
    /// The small-count threshold the figures about people were judged by.
    pub threshold: u32,
}

/// Percent with one decimal.
fn pct(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| (f64::from(n) * 1000.0 / f64::from(d)).round() / 10.0)
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    period: Period,
    today: NaiveDate,
    schedule: Schedule,
    meetings: &[MeetingFact],
    attendance: &[AttendanceFact],
    agreements: &[AgreementFact],
    cases_reviewed: PeopleCount,
    joint: Vec<(String, PeopleCount)>,
    joint_total: PeopleCount,
    threshold: u32,
) -> Report {
    let planned = planned_dates(
        schedule.anchor,
        schedule.frequency,
        schedule.custom_days,
        period.from,
        2000,
    )
    .into_iter()
    .take_while(|d| *d <= period.to.min(today))
    .count();
    let past: Vec<&MeetingFact> = meetings
        .iter()
        .filter(|m| period.contains(m.date) && m.date <= today)
        .collect();
    let held = past.iter().filter(|m| m.present > 0).count();
    let mut orgs: Vec<OrganisationAttendance> = Vec::new();
    for a in attendance
        .iter()
        .filter(|a| period.contains(a.meeting_date) && a.meeting_date <= today)
    {
        let i = match orgs
            .iter()
            .position(|o| o.organisation_id == a.organisation_id)
        {
            Some(i) => i,
            None => {
                orgs.push(OrganisationAttendance {
                    organisation_id: a.organisation_id,
                    organisation: a.organisation.clone(),
                    present: 0,
                    excused: 0,
                    absent: 0,
                    rate: None,
                });
                orgs.len() - 1
            }
        };
        let Some(o) = orgs.get_mut(i) else {
            continue;
        };
        match a.attendance {
            Attendance::Present => o.present += 1,
            Attendance::Excused => o.excused += 1,
            Attendance::Absent => o.absent += 1,
        }
    }
    for o in &mut orgs {
        o.rate = pct(o.present, o.present + o.excused + o.absent);
    }
    orgs.sort_by(|a, b| a.organisation.cmp(&b.organisation));
    let mut ag = AgreementCounts::default();
    for a in agreements.iter().filter(|a| period.contains(a.made_on)) {
        ag.made += 1;
        match a.status {
            AgreementStatus::Done => {
                if a.done_on.is_some_and(|d| d <= a.due_on) {
                    ag.done_on_time += 1
                } else {
                    ag.done_late += 1
                }
            }
            AgreementStatus::Dropped => ag.dropped += 1,
            AgreementStatus::Open => {
                if a.due_on < today {
                    ag.overdue += 1
                } else {
                    ag.open += 1
                }
            }
        }
    }
    Report {
        period,
        planned: u32::try_from(planned).unwrap_or(u32::MAX),
        held: u32::try_from(held).unwrap_or(u32::MAX),
        not_held: u32::try_from(past.len() - held).unwrap_or(u32::MAX),
        attendance: orgs,
        agreements: ag,
        cases_reviewed: cases_reviewed.shown(threshold),
        joint_interviews: joint_lines(&joint, joint_total, threshold),
        joint_interviews_total: joint_total.shown(threshold),
        threshold,
    }
}

/// The joint interviews by organisation as published (see `Report::joint_interviews`).
fn joint_lines(
    joint: &[(String, PeopleCount)],
    total: PeopleCount,
    threshold: u32,
) -> Vec<JointInterviews> {
    let mut lines: Vec<JointInterviews> = joint
        .iter()
        .map(|(organisation, n)| JointInterviews {
            organisation: organisation.clone(),
            count: n.shown(threshold),
        })
        .collect();
    let hidden = lines.iter().filter(|l| l.count.is_none()).count();
    if hidden == 1 && total.shown(threshold).is_some() {
        if let Some(next) = lines
            .iter_mut()
            .filter(|l| l.count.is_some())
            .min_by_key(|l| l.count)
        {
            next.count = None;
        }
    }
    lines
}

impl Report {
    /// Held over planned, in percent.
    pub fn held_rate(&self) -> Option<f64> {
        pct(self.held, self.planned)
    }

    /// Done on time over agreements made, in percent.
    pub fn on_time_rate(&self) -> Option<f64> {
        pct(self.agreements.done_on_time, self.agreements.made)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn a_period_defaults_to_the_last_year_and_is_checked() {
        let today = d(2026, 11, 30);
        let p = Period::parse("", "", today).unwrap();
        assert_eq!((p.from, p.to), (d(2025, 12, 1), today));
        assert!(Period::parse("2026-12-01", "2026-11-01", today).is_err());
        assert!(Period::parse("2020-01-01", "2026-11-01", today).is_err());
        assert!(Period::parse("31/02/2026", "", today).is_err());
    }

    #[test]
    fn the_report_counts_what_the_body_did_in_the_period() {
        let today = d(2026, 11, 30);
        let period = Period {
            from: d(2026, 9, 1),
            to: d(2026, 12, 31),
        };
        // Monthly on the 15th since January: Sep, Oct, Nov up to today (Dec is still to
        // come).
        let schedule = Schedule {
            anchor: d(2026, 1, 15),
            frequency: Frequency::Monthly,
            custom_days: None,
        };
        let meetings = [
            MeetingFact {
                date: d(2026, 8, 14),
                present: 3,
            }, // before the period
            MeetingFact {
                date: d(2026, 9, 15),
                present: 3,
            },
            MeetingFact {
                date: d(2026, 10, 15),
                present: 0,
            }, // nobody came
            MeetingFact {
                date: d(2026, 11, 16),
                present: 2,
            },
            MeetingFact {
                date: d(2026, 12, 15),
                present: 0,
            }, // still to come
        ];
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let att = |date, org, name: &str, at| AttendanceFact {
            meeting_date: date,
            organisation_id: org,
            organisation: name.into(),
            attendance: at,
        };
        let attendance = [
            att(d(2026, 9, 15), a, "Servicios sociales", Attendance::Present),
            att(d(2026, 9, 15), b, "SEXPE", Attendance::Present),
            att(
                d(2026, 11, 16),
                a,
                "Servicios sociales",
                Attendance::Present,
            ),
            att(d(2026, 11, 16), b, "SEXPE", Attendance::Excused),
            att(d(2026, 8, 14), b, "SEXPE", Attendance::Absent), // outside
        ];
        let ag = |made, status, due, done| AgreementFact {
            made_on: made,
            status,
            due_on: due,
            done_on: done,
        };
        let agreements = [
            ag(
                d(2026, 9, 15),
                AgreementStatus::Done,
                d(2026, 10, 1),
                Some(d(2026, 9, 30)),
            ),
            ag(
                d(2026, 9, 15),
                AgreementStatus::Done,
                d(2026, 10, 1),
                Some(d(2026, 10, 20)),
            ),
            ag(
                d(2026, 11, 16),
                AgreementStatus::Open,
                d(2026, 11, 20),
                None,
            ),
            ag(
                d(2026, 11, 16),
                AgreementStatus::Open,
                d(2026, 12, 20),
                None,
            ),
            ag(
                d(2026, 11, 16),
                AgreementStatus::Dropped,
                d(2026, 12, 20),
                None,
            ),
            ag(d(2026, 8, 14), AgreementStatus::Open, d(2026, 8, 20), None), // outside
        ];
        let n = |count, people| PeopleCount { count, people };
        let joint = vec![("SEXPE".to_string(), n(7, 6))];
        let r = build(
            period,
            today,
            schedule,
            &meetings,
            &attendance,
            &agreements,
            n(5, 5),
            joint,
            n(7, 6),
            5,
        );
        assert_eq!((r.planned, r.held, r.not_held), (3, 2, 1));
        assert_eq!(r.held_rate(), Some(66.7));
        assert_eq!(r.attendance.len(), 2);
        let sexpe = r
            .attendance
            .iter()
            .find(|o| o.organisation_id == b)
            .unwrap();
        assert_eq!((sexpe.present, sexpe.excused, sexpe.absent), (1, 1, 0));
        assert_eq!(sexpe.rate, Some(50.0));
        assert_eq!(
            r.agreements,
            AgreementCounts {
                made: 5,
                done_on_time: 1,
                done_late: 1,
                overdue: 1,
                open: 1,
                dropped: 1
            }
        );
        assert_eq!(r.on_time_rate(), Some(20.0));
        assert_eq!(
            (r.cases_reviewed, r.joint_interviews_total),
            (Some(5), Some(7))
        );
        assert_eq!(r.joint_interviews[0].count, Some(7));
    }

    #[test]
    fn figures_behind_few_people_are_hidden_and_cannot_be_had_by_difference() {
        let n = |count, people| PeopleCount { count, people };
        let period = Period {
            from: d(2026, 1, 1),
            to: d(2026, 3, 31),
        };
        let schedule = Schedule {
            anchor: d(2026, 1, 1),
            frequency: Frequency::Monthly,
            custom_days: None,
        };
        let joint = vec![
            ("Cáritas".to_string(), n(2, 2)),
            ("SEXPE".to_string(), n(9, 8)),
            ("Servicios sociales".to_string(), n(12, 10)),
        ];
        let r = build(
            period,
            d(2026, 4, 1),
            schedule,
            &[],
            &[],
            &[],
            n(3, 3),
            joint,
            n(20, 16),
            5,
        );
        assert_eq!(r.cases_reviewed, None, "three cases single people out");
        assert_eq!(r.joint_interviews_total, Some(20));
        let counts: Vec<Option<u32>> = r.joint_interviews.iter().map(|j| j.count).collect();
        // Cáritas is hidden; SEXPE too, or the total less the others would give it.
        assert_eq!(counts, vec![None, None, Some(12)]);
        assert_eq!(n(0, 0).shown(5), Some(0), "none singles out no one");
    }
}
