//! Training in alternance (CRISOL-FORMACIÓN): courses of a programme with their
//! sessions, candidates preselected from the programme's cases and selected jointly by
//! the social and the employment service, enrolment, attendance per session, and the
//! absenteeism rule that raises an incident by itself.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_list, lenient_string, optional_date, optional_text, required_text};

/// The most sessions a course may have (a year of weekdays and some).
pub const MAX_SESSIONS: usize = 400;

/// The most lines one attendance sheet may carry (a group, not a register).
pub const MAX_SHEET_LINES: usize = 500;

/// A named trainer reaches a course's people (its sheets, its candidates, reporting an
/// incident about them) until this many days after the course ends; then the course's
/// people are, for them, no longer there.
pub const TRAINER_REACH_DAYS: i64 = 31;

/// Whether a trainer named on a course ending `end_on` still reaches its people today.
pub fn trainer_reaches(end_on: chrono::NaiveDate, today: chrono::NaiveDate) -> bool {
    today <= end_on + chrono::Duration::days(TRAINER_REACH_DAYS)
}

coded_enum!(
    /// Where a case stands on a course.
    CandidateStatus {
        Candidate = "candidate",
        Selected = "selected",
        Waiting = "waiting",
        Enrolled = "enrolled",
        Dropped = "dropped",
        Completed = "completed",
        Rejected = "rejected",
    }
);

coded_enum!(Decision {
    Approve = "approve",
    Reject = "reject",
});

coded_enum!(
    /// One person at one session.
    Presence {
        Present = "present",
        Absent = "absent",
        Justified = "justified",
        Late = "late",
    }
);

/// The weekdays a course meets on, as typed (`mon`…`sun`).
const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

pub fn weekday_codes() -> impl Iterator<Item = &'static str> {
    DAYS.iter().map(|d| d.0)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CourseInput {
    #[serde(deserialize_with = "lenient_string")]
    pub programme_id: String,
    /// The training provider (an organisation of the network).
    #[serde(deserialize_with = "lenient_string")]
    pub provider_id: String,
    pub title: String,
    /// A qualification's code (e.g. a *certificado de profesionalidad*), free text.
    pub specialty: String,
    #[serde(deserialize_with = "lenient_string")]
    pub theory_hours: String,
    #[serde(deserialize_with = "lenient_string")]
    pub practice_hours: String,
    #[serde(deserialize_with = "lenient_string")]
    pub start_on: String,
    #[serde(deserialize_with = "lenient_string")]
    pub end_on: String,
    pub place: String,
    #[serde(deserialize_with = "lenient_string")]
    pub places: String,
    /// The weekdays of the sessions: `mon`, `tue`, … `sun`.
    #[serde(deserialize_with = "lenient_list")]
    pub weekdays: Vec<String>,
    /// `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    /// Trainers and tutors, as their names (free text): those who are not users.
    pub trainers: String,
    /// Trainers who are users (the role `trainer` at the provider): they take the
    /// course's attendance and report its incidents.
    #[serde(deserialize_with = "lenient_list")]
    pub trainer_ids: Vec<String>,
    /// The project of the programme the course belongs to, if any.
    #[serde(deserialize_with = "lenient_string")]
    pub project_id: String,
    /// The period of paid work under a training contract, when the course has one.
    #[serde(deserialize_with = "lenient_string")]
    pub alternance_from: String,
    #[serde(deserialize_with = "lenient_string")]
    pub alternance_to: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CourseData {
    pub programme_id: Uuid,
    pub provider_id: Uuid,
    pub title: String,
    pub specialty: Option<String>,
    pub theory_hours: i32,
    pub practice_hours: i32,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub place: Option<String>,
    pub places: i32,
    pub weekdays: Vec<&'static str>,
    pub starts_at: String,
    pub ends_at: String,
    pub trainers: Option<String>,
    pub trainer_ids: Vec<Uuid>,
    pub project_id: Option<Uuid>,
    pub alternance: Option<(NaiveDate, NaiveDate)>,
}

fn id(raw: &str) -> Result<Uuid, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => Uuid::parse_str(s).map_err(|_| "validation.choice"),
    }
}

fn whole(raw: &str, min: i32, max: i32) -> Result<i32, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => match s.parse::<i32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(_) => Err("validation.number.range"),
            Err(_) => Err("validation.number.format"),
        },
    }
}

/// `HH:MM`, 00:00 to 23:59.
fn time(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    let ok = s.len() == 5
        && s.as_bytes().get(2) == Some(&b':')
        && s[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u8>().is_ok_and(|m| m < 60)
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit());
    if s.is_empty() {
        Err("validation.required")
    } else if ok {
        Ok(s.to_string())
    } else {
        Err("validation.time.format")
    }
}

/// The days of the sessions of a course from `start` to `end` on `weekdays`.
pub fn schedule(start: NaiveDate, end: NaiveDate, weekdays: &[&str]) -> Vec<NaiveDate> {
    let days: Vec<Weekday> = DAYS
        .iter()
        .filter(|d| weekdays.contains(&d.0))
        .map(|d| d.1)
        .collect();
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| days.contains(&d.weekday()))
        .take(MAX_SESSIONS + 1)
        .collect()
}

/// Checks a course; its sessions follow from it (`schedule`).
pub fn check_course(c: &CourseInput) -> Result<CourseData, Error> {
    let mut e = Errors::new();
    let programme_id = e.take("programme_id", id(&c.programme_id));
    let provider_id = e.take("provider_id", id(&c.provider_id));
    let title = e.take("title", required_text(&c.title, 200));
    let specialty = e.take("specialty", optional_text(&c.specialty, 60));
    let theory_hours = e.take("theory_hours", whole(&c.theory_hours, 0, 5000));
    let practice_hours = e.take("practice_hours", whole(&c.practice_hours, 0, 5000));
    if theory_hours == Some(0) && practice_hours == Some(0) {
        e.add("theory_hours", "validation.course.no_hours");
    }
    let start_on = e.take(
        "start_on",
        optional_date(&c.start_on).and_then(|d| d.ok_or("validation.required")),
    );
    let end_on = e.take(
        "end_on",
        optional_date(&c.end_on).and_then(|d| d.ok_or("validation.required")),
    );
    if let (Some(s), Some(x)) = (start_on, end_on) {
        if x < s {
            e.add("end_on", "validation.date.end_before_start");
        }
    }
    let place = e.take("place", optional_text(&c.place, 300));
    let places = e.take("places", whole(&c.places, 1, 500));
    let mut weekdays = Vec::new();
    for w in &c.weekdays {
        match DAYS.iter().find(|d| d.0 == w.trim()) {
            Some(d) if !weekdays.contains(&d.0) => weekdays.push(d.0),
            Some(_) => {}
            None => e.add("weekdays", "validation.choice"),
        }
    }
    if weekdays.is_empty() && c.weekdays.iter().all(|w| w.trim().is_empty()) {
        e.add("weekdays", "validation.course.no_weekdays");
    }
    let starts_at = e.take("starts_at", time(&c.starts_at));
    let ends_at = e.take("ends_at", time(&c.ends_at));
    if let (Some(a), Some(b)) = (&starts_at, &ends_at) {
        if b <= a {
            e.add("ends_at", "validation.course.ends_before_starts");
        }
    }
    let trainers = e.take("trainers", optional_text(&c.trainers, 1000));
    let trainer_ids = e
        .take("trainer_ids", trainer_ids(&c.trainer_ids))
        .unwrap_or_default();
    let project_id = match c.project_id.trim() {
        "" => None,
        p => e.take(
            "project_id",
            Uuid::parse_str(p).map_err(|_| "validation.choice"),
        ),
    };
    let alt_from = e.take("alternance_from", optional_date(&c.alternance_from));
    let alt_to = e.take("alternance_to", optional_date(&c.alternance_to));
    let alternance = match (alt_from, alt_to) {
        (Some(Some(a)), Some(Some(b))) if b < a => {
            e.add("alternance_to", "validation.date.end_before_start");
            None
        }
        (Some(Some(a)), Some(Some(b))) => Some((a, b)),
        (Some(None), Some(None)) => None,
        (Some(Some(_)), Some(None)) => {
            e.add("alternance_to", "validation.required");
            None
        }
        (Some(None), Some(Some(_))) => {
            e.add("alternance_from", "validation.required");
            None
        }
        _ => None,
    };
    if let (Some(s), Some(x)) = (start_on, end_on) {
        if x >= s && !weekdays.is_empty() {
            let n = schedule(s, x, &weekdays).len();
            if n == 0 {
                e.add("weekdays", "validation.course.no_sessions");
            } else if n > MAX_SESSIONS {
                e.add("end_on", "validation.course.too_many_sessions");
            }
        }
    }
    e.finish()?;
    match (
        programme_id,
        provider_id,
        title,
        specialty,
        theory_hours,
        practice_hours,
        start_on,
        end_on,
        place,
        places,
        starts_at,
        ends_at,
        trainers,
    ) {
        (
            Some(programme_id),
            Some(provider_id),
            Some(title),
            Some(specialty),
            Some(theory_hours),
            Some(practice_hours),
            Some(start_on),
            Some(end_on),
            Some(place),
            Some(places),
            Some(starts_at),
            Some(ends_at),
            Some(trainers),
        ) => Ok(CourseData {
            programme_id,
            provider_id,
            title,
            specialty,
            theory_hours,
            practice_hours,
            start_on,
            end_on,
            place,
            places,
            weekdays,
            starts_at,
            ends_at,
            trainers,
            trainer_ids,
            project_id,
            alternance,
        }),
        _ => Err(Error::Internal("course check".into())),
    }
}

/// A session added to a course's schedule or changed (another day or hours, or
/// cancelled), as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SessionInput {
    #[serde(deserialize_with = "lenient_string")]
    pub held_on: String,
    /// `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    /// Cancelled sessions stay in the schedule, shown as such; no attendance is taken.
    #[serde(deserialize_with = "crate::input::lenient_bool")]
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionData {
    pub held_on: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub cancelled: bool,
}

/// Checks a session: a day within the course (up to a month after its end, for a
/// make-up session) and hours that end after they start.
pub fn check_session(
    i: &SessionInput,
    course_start: NaiveDate,
    course_end: NaiveDate,
) -> Result<SessionData, Error> {
    let mut e = Errors::new();
    let held_on = e.take(
        "held_on",
        match optional_date(&i.held_on) {
            Ok(None) => Err("validation.required"),
            Ok(Some(d)) if d < course_start => Err("validation.session.before_course"),
            Ok(Some(d)) if d > course_end + chrono::Duration::days(31) => {
                Err("validation.session.after_course")
            }
            Ok(Some(d)) => Ok(d),
            Err(k) => Err(k),
        },
    );
    let starts_at = e.take("starts_at", time(&i.starts_at));
    let ends_at = e.take("ends_at", time(&i.ends_at));
    if let (Some(a), Some(b)) = (&starts_at, &ends_at) {
        if b <= a {
            e.add("ends_at", "validation.course.ends_before_starts");
        }
    }
    e.finish()?;
    match (held_on, starts_at, ends_at) {
        (Some(held_on), Some(starts_at), Some(ends_at)) => Ok(SessionData {
            held_on,
            starts_at,
            ends_at,
            cancelled: i.cancelled,
        }),
        _ => Err(Error::Internal("session check".into())),
    }
}

/// One service's decision on a candidate, with its reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// `approve` or `reject`.
    pub decision: String,
    pub reason: String,
}

pub fn check_decision(i: &DecisionInput) -> Result<(Decision, String), Error> {
    let mut e = Errors::new();
    let d = e.take(
        "decision",
        match i.decision.trim() {
            "" => Err("validation.required"),
            s => Decision::parse(s).ok_or("validation.choice"),
        },
    );
    let r = e.take("reason", required_text(&i.reason, 2000));
    e.finish()?;
    match (d, r) {
        (Some(d), Some(r)) => Ok((d, r)),
        _ => Err(Error::Internal("decision".into())),
    }
}

/// Where a candidate stands once both services have spoken: selected when both
/// approve, rejected when either rejects, still a candidate otherwise.
pub fn joint_status(social: Option<Decision>, employment: Option<Decision>) -> CandidateStatus {
    match (social, employment) {
        (Some(Decision::Reject), _) | (_, Some(Decision::Reject)) => CandidateStatus::Rejected,
        (Some(Decision::Approve), Some(Decision::Approve)) => CandidateStatus::Selected,
        _ => CandidateStatus::Candidate,
    }
}

/// A change of a candidate's place on the course: enrol, put on the waiting list,
/// drop out (with a reason), complete (with or without the certificate).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CandidateStatusInput {
    /// `enrolled`, `waiting`, `dropped` or `completed`.
    pub status: String,
    pub reason: String,
    #[serde(deserialize_with = "crate::input::lenient_bool")]
    pub certificate: bool,
}

/// Checks a move from `from` to the status asked.
pub fn check_status_move(
    i: &CandidateStatusInput,
    from: CandidateStatus,
) -> Result<(CandidateStatus, Option<String>), Error> {
    use CandidateStatus as S;
    let to = match i.status.trim() {
        "" => return Err(Error::field("status", "validation.required")),
        s => S::parse(s).ok_or_else(|| Error::field("status", "validation.choice"))?,
    };
    let allowed = matches!(
        (from, to),
        (S::Selected | S::Waiting, S::Enrolled)
            | (S::Selected, S::Waiting)
            | (S::Enrolled | S::Waiting | S::Selected, S::Dropped)
            | (S::Enrolled, S::Completed)
    );
    if !allowed {
        return Err(Error::field("status", "validation.course.status_move"));
    }
    let reason = optional_text(&i.reason, 1000).map_err(|c| Error::field("reason", c))?;
    if to == S::Dropped && reason.is_none() {
        return Err(Error::field("reason", "validation.required"));
    }
    Ok((to, reason))
}

/// One line of a session's attendance sheet.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AttendanceLine {
    #[serde(deserialize_with = "lenient_string")]
    pub candidate_id: String,
    /// `present`, `absent`, `justified` or `late`.
    pub status: String,
    /// Why an absence is justified (required then).
    pub reason: String,
}

/// A session's whole attendance sheet, in one request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AttendanceInput {
    pub lines: Vec<AttendanceLine>,
}

/// Checks a sheet: each line names a candidate once, with a status; a justified
/// absence has its reason. Errors name the line (`lines.N.status`).
pub fn check_attendance(
    i: &AttendanceInput,
) -> Result<Vec<(Uuid, Presence, Option<String>)>, Error> {
    let mut e = Errors::new();
    let mut out: Vec<(Uuid, Presence, Option<String>)> = Vec::new();
    if i.lines.is_empty() {
        e.add("lines", "validation.required");
    }
    // A sheet is one group: a longer one is refused before its lines are looked at.
    if i.lines.len() > MAX_SHEET_LINES {
        return Err(Error::field("lines", "validation.too_many"));
    }
    for (n, l) in i.lines.iter().enumerate() {
        let who = e.take(&format!("lines.{n}.candidate_id"), id(&l.candidate_id));
        let status = e.take(
            &format!("lines.{n}.status"),
            match l.status.trim() {
                "" => Err("validation.required"),
                s => Presence::parse(s).ok_or("validation.choice"),
            },
        );
        let reason = e.take(&format!("lines.{n}.reason"), optional_text(&l.reason, 500));
        if status == Some(Presence::Justified) && reason == Some(None) {
            e.add(format!("lines.{n}.reason"), "validation.attendance.reason");
        }
        if let (Some(w), Some(s), Some(r)) = (who, status, reason) {
            if out.iter().any(|o| o.0 == w) {
                e.add(
                    format!("lines.{n}.candidate_id"),
                    "validation.attendance.twice",
                );
            } else {
                out.push((w, s, r));
            }
        }
    }
    e.finish()?;
    Ok(out)
}

/// **The absenteeism rule.** Given a person's attendance on a course (day, status) up
/// to and including `day`, whether it crosses the programme's threshold: at least
/// `per_month` unjustified absences in `day`'s calendar month, or unjustified absences
/// on at least `share_pct` % of the course's `sessions`.
pub fn absenteeism(
    marks: &[(NaiveDate, Presence)],
    day: NaiveDate,
    per_month: i64,
    share_pct: i64,
    sessions: i64,
) -> bool {
    let upto: Vec<_> = marks.iter().filter(|m| m.0 <= day).collect();
    let absent = |m: &&&(NaiveDate, Presence)| m.1 == Presence::Absent;
    let this_month = upto
        .iter()
        .filter(|m| m.0.year() == day.year() && m.0.month() == day.month())
        .filter(absent)
        .count() as i64;
    let all_absent = upto.iter().filter(absent).count() as i64;
    this_month >= per_month.max(1)
        || (sessions > 0 && all_absent * 100 >= share_pct.max(1) * sessions)
}

/// The absenteeism rate of a person on a course: `absent` unjustified absences over
/// the `recorded` sessions, in per cent to one decimal (None before any session).
pub fn absence_rate(absent: i64, recorded: i64) -> Option<f64> {
    (recorded > 0).then(|| ((absent as f64) * 1000.0 / (recorded as f64)).round() / 10.0)
}

/// The trainers of a course as ticked: user ids, each once; empty lines ignored.
pub fn trainer_ids(typed: &[String]) -> Result<Vec<Uuid>, &'static str> {
    let mut ids = Vec::new();
    for t in typed.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let u = Uuid::parse_str(t).map_err(|_| "validation.choice")?;
        if !ids.contains(&u) {
            ids.push(u);
        }
    }
    Ok(ids)
}

/// A course's trainers replaced, as ticked in a form or sent by an integrator (an empty
/// list names none: attendance is then taken by the case teams).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TrainersInput {
    #[serde(deserialize_with = "lenient_list")]
    pub trainer_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn course() -> CourseInput {
        CourseInput {
            programme_id: Uuid::nil().to_string(),
            provider_id: Uuid::nil().to_string(),
            title: "Operaciones auxiliares de limpieza".into(),
            specialty: "SSCM0108".into(),
            theory_hours: "90".into(),
            practice_hours: "80".into(),
            start_on: "2026-12-01".into(),
            end_on: "2026-12-31".into(),
            place: String::new(),
            places: "15".into(),
            weekdays: vec!["mon".into(), "wed".into(), "fri".into()],
            starts_at: "09:00".into(),
            ends_at: "13:30".into(),
            trainers: String::new(),
            alternance_from: String::new(),
            alternance_to: String::new(),
            ..Default::default()
        }
    }

    #[test]
    fn a_session_falls_within_its_course_and_its_hours_run_forward() {
        let s = |day: &str, a: &str, b: &str| SessionInput {
            held_on: day.into(),
            starts_at: a.into(),
            ends_at: b.into(),
            cancelled: false,
        };
        let (from, to) = (d("2026-11-02"), d("2026-12-18"));
        let ok = check_session(&s("2026-12-21", "16:00", "19:30"), from, to).unwrap();
        assert_eq!(ok.held_on, d("2026-12-21"));
        assert_eq!(ok.starts_at, "16:00");
        assert_eq!(
            fields(check_session(&s("2026-11-01", "09:00", "08:00"), from, to).unwrap_err()),
            [
                ("held_on".to_string(), "validation.session.before_course"),
                (
                    "ends_at".to_string(),
                    "validation.course.ends_before_starts"
                )
            ]
        );
        assert_eq!(
            fields(check_session(&s("2027-02-01", "9", "x"), from, to).unwrap_err())[0],
            ("held_on".to_string(), "validation.session.after_course")
        );
        assert_eq!(
            fields(check_session(&s("", "09:00", "10:00"), from, to).unwrap_err()),
            [("held_on".to_string(), "validation.required")]
        );
    }

    fn fields(e: Error) -> Vec<(String, &'static str)> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sessions_follow_the_weekdays_between_start_and_end() {
        let days = schedule(d("2026-12-01"), d("2026-12-14"), &["mon", "wed", "fri"]);
        assert_eq!(
            days,
            vec![
                d("2026-12-02"),
                d("2026-12-04"),
                d("2026-12-07"),
                d("2026-12-09"),
                d("2026-12-11"),
                d("2026-12-14")
            ]
        );
        assert_eq!(
            check_course(&course()).unwrap().weekdays,
            vec!["mon", "wed", "fri"]
        );
    }

    #[test]
    fn a_course_names_each_bad_field() {
        let mut c = course();
        c.end_on = "2026-11-30".into();
        c.starts_at = "9h".into();
        c.places = "0".into();
        c.weekdays = vec!["lun".into()];
        c.alternance_from = "2027-01-10".into();
        let f = fields(check_course(&c).unwrap_err());
        assert!(f.contains(&("end_on".into(), "validation.date.end_before_start")));
        assert!(f.contains(&("starts_at".into(), "validation.time.format")));
        assert!(f.contains(&("places".into(), "validation.number.range")));
        assert!(f.contains(&("weekdays".into(), "validation.choice")));
        assert!(f.contains(&("alternance_to".into(), "validation.required")));
        let mut c = course();
        c.ends_at = "08:00".into();
        c.theory_hours = "0".into();
        c.practice_hours = "0".into();
        c.weekdays = vec![];
        let f = fields(check_course(&c).unwrap_err());
        assert!(f.contains(&("ends_at".into(), "validation.course.ends_before_starts")));
        assert!(f.contains(&("theory_hours".into(), "validation.course.no_hours")));
        assert!(f.contains(&("weekdays".into(), "validation.course.no_weekdays")));
        // A Sunday-only course in a week without Sunday has no session.
        let mut c = course();
        c.start_on = "2026-12-01".into();
        c.end_on = "2026-12-05".into();
        c.weekdays = vec!["sun".into()];
        let f = fields(check_course(&c).unwrap_err());
        assert_eq!(
            f,
            vec![("weekdays".into(), "validation.course.no_sessions")]
        );
    }

    #[test]
    fn both_services_select_and_either_rejects() {
        use Decision::*;
        assert_eq!(
            joint_status(Some(Approve), None),
            CandidateStatus::Candidate
        );
        assert_eq!(
            joint_status(Some(Approve), Some(Approve)),
            CandidateStatus::Selected
        );
        assert_eq!(
            joint_status(Some(Approve), Some(Reject)),
            CandidateStatus::Rejected
        );
        assert_eq!(joint_status(None, Some(Reject)), CandidateStatus::Rejected);
    }

    #[test]
    fn places_move_only_forward_and_a_drop_says_why() {
        let i = |s: &str, r: &str| CandidateStatusInput {
            status: s.into(),
            reason: r.into(),
            certificate: false,
        };
        assert!(check_status_move(&i("enrolled", ""), CandidateStatus::Selected).is_ok());
        assert!(check_status_move(&i("enrolled", ""), CandidateStatus::Candidate).is_err());
        assert!(check_status_move(&i("completed", ""), CandidateStatus::Selected).is_err());
        assert_eq!(
            fields(check_status_move(&i("dropped", ""), CandidateStatus::Enrolled).unwrap_err()),
            vec![("reason".into(), "validation.required")]
        );
        assert!(
            check_status_move(&i("dropped", "Encontró empleo"), CandidateStatus::Enrolled).is_ok()
        );
    }

    #[test]
    fn an_attendance_sheet_names_the_line() {
        let a = Uuid::nil().to_string();
        let sheet = AttendanceInput {
            lines: vec![
                AttendanceLine {
                    candidate_id: a.clone(),
                    status: "justified".into(),
                    reason: String::new(),
                },
                AttendanceLine {
                    candidate_id: a.clone(),
                    status: "present".into(),
                    reason: String::new(),
                },
                AttendanceLine {
                    candidate_id: "x".into(),
                    status: "asleep".into(),
                    reason: String::new(),
                },
            ],
        };
        let f = fields(check_attendance(&sheet).unwrap_err());
        assert_eq!(
            f,
            vec![
                ("lines.0.reason".into(), "validation.attendance.reason"),
                ("lines.1.candidate_id".into(), "validation.attendance.twice"),
                ("lines.2.candidate_id".into(), "validation.choice"),
                ("lines.2.status".into(), "validation.choice"),
            ]
        );
    }

    #[test]
    fn the_third_unjustified_absence_of_a_month_crosses_the_threshold() {
        use Presence::*;
        let m = vec![
            (d("2026-12-02"), Absent),
            (d("2026-12-04"), Justified),
            (d("2026-12-07"), Present),
            (d("2026-12-09"), Absent),
            (d("2026-12-11"), Present),
            (d("2026-12-14"), Present),
            (d("2026-12-16"), Present),
            (d("2026-12-18"), Present),
            (d("2026-12-21"), Present),
            (d("2026-12-23"), Present),
            (d("2026-12-28"), Present),
            (d("2026-12-30"), Absent),
        ];
        assert!(!absenteeism(&m, d("2026-12-28"), 3, 50, 12));
        assert!(absenteeism(&m, d("2026-12-30"), 3, 50, 12));
        // 2 absences of a 12-session course cross 15 % (1.8) before three in a month.
        assert!(!absenteeism(&m, d("2026-12-07"), 3, 15, 12));
        assert!(absenteeism(&m, d("2026-12-09"), 3, 15, 12));
        // Absences in another month do not count for this month's limit.
        let n = vec![
            (d("2026-11-27"), Absent),
            (d("2026-11-30"), Absent),
            (d("2026-12-02"), Absent),
        ];
        assert!(!absenteeism(&n, d("2026-12-02"), 3, 101, 12));
        assert_eq!(absence_rate(1, 4), Some(25.0));
        assert_eq!(absence_rate(1, 3), Some(33.3));
        assert_eq!(absence_rate(0, 0), None);
    }
}
