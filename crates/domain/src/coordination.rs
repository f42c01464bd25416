//! Coordination at three levels: bodies (mesas técnicas, grupos de coordinación,
//! équipes multidisciplinari), their meetings planned from a frequency, and the
//! agreements (acuerdos) followed until done. The rules here; storage and access
//! elsewhere.

use chrono::{Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::error::{Errors, Result};
use crate::input::parse_date;
use crate::input::{optional_text, required_text};

crate::coded_enum!(Frequency {
    Weekly = "weekly",
    Fortnightly = "fortnightly",
    Monthly = "monthly",
    Quarterly = "quarterly",
    Custom = "custom",
});

crate::coded_enum!(MemberRole {
    Chair = "chair",
    Secretary = "secretary",
    ReferenceTechnician = "reference_technician",
    Member = "member",
});

crate::coded_enum!(MeetingMode {
    InPerson = "in_person",
    Virtual = "virtual",
});

crate::coded_enum!(Attendance {
    Present = "present",
    Excused = "excused",
    Absent = "absent",
});

crate::coded_enum!(AgreementStatus {
    Open = "open",
    Done = "done",
    Dropped = "dropped",
});

/// The three levels of the network's coordination: 1 programme (strategic), 2 project
/// (operational), 3 cases (technical).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Level(u8);

impl Level {
    pub const PROGRAMME: Level = Level(1);
    pub const PROJECT: Level = Level(2);
    pub const CASES: Level = Level(3);

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim() {
            "1" => Some(Level::PROGRAMME),
            "2" => Some(Level::PROJECT),
            "3" => Some(Level::CASES),
            _ => None,
        }
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// Only a case table (level 3) puts cases on its agenda; the others see aggregates
    /// and pseudonymised cases, never a named person.
    pub fn allows_cases(self) -> bool {
        self == Level::CASES
    }
}

/// The dates of the `n` meetings due from `from` on (inclusive), counting from the
/// body's first meeting `anchor` at its frequency. A monthly meeting on the 31st falls
/// on the last day of shorter months.
pub fn planned_dates(
    anchor: NaiveDate,
    frequency: Frequency,
    custom_days: Option<u16>,
    from: NaiveDate,
    n: usize,
) -> Vec<NaiveDate> {
    let nth = |k: u32| -> Option<NaiveDate> {
        match frequency {
            Frequency::Weekly => anchor.checked_add_signed(Duration::days(7 * i64::from(k))),
            Frequency::Fortnightly => anchor.checked_add_signed(Duration::days(14 * i64::from(k))),
            Frequency::Monthly => anchor.checked_add_months(Months::new(k)),
            Frequency::Quarterly => anchor.checked_add_months(Months::new(3 * k)),
            Frequency::Custom => anchor.checked_add_signed(Duration::days(
                i64::from(custom_days.unwrap_or(30).max(1)) * i64::from(k),
            )),
        }
    };
    let mut out = Vec::with_capacity(n);
    let mut k = 0u32;
    while out.len() < n && k < 10_000 {
        match nth(k) {
            Some(d) if d >= from => out.push(d),
            Some(_) => {}
            None => break,
        }
        k += 1;
    }
    out
}

/// One coming meeting of a body's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedMeeting {
    /// The date the frequency gives.
    pub nominal: NaiveDate,
    /// The date proposed: the nominal one or, when that is a weekend, a public holiday
    /// or a day the body already meets, the next open working day.
    pub on: NaiveDate,
    /// The body's meeting that already covers this occurrence (one dated from the
    /// nominal date to the day before the next nominal date), if any.
    pub convened: Option<NaiveDate>,
}

/// The `n` coming meetings of a body from `from` on: each occurrence of the frequency
/// either already convened (a meeting of the body falls in its span) or proposed on an
/// open working day — never a weekend, a holiday of the body's territory, or a day on
/// which the body already meets.
pub fn plan_meetings(
    anchor: NaiveDate,
    frequency: Frequency,
    custom_days: Option<u16>,
    from: NaiveDate,
    n: usize,
    holidays: &std::collections::HashSet<NaiveDate>,
    meeting_days: &[NaiveDate],
) -> Vec<PlannedMeeting> {
    let nominal = planned_dates(anchor, frequency, custom_days, from, n + 1);
    let mut taken: std::collections::HashSet<NaiveDate> = meeting_days.iter().copied().collect();
    let mut out = Vec::with_capacity(n);
    for (i, d) in nominal.iter().take(n).enumerate() {
        let next = nominal.get(i + 1).copied();
        let convened = meeting_days
            .iter()
            .copied()
            .filter(|m| *m >= *d && next.is_none_or(|x| *m < x))
            .min();
        let on = match convened {
            Some(m) => m,
            None => {
                let on = crate::holidays::next_open_day(*d, holidays, &taken);
                taken.insert(on);
                on
            }
        };
        out.push(PlannedMeeting {
            nominal: *d,
            on,
            convened,
        });
    }
    out
}

/// A body as a form or the API sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BodyInput {
    pub name: String,
    pub level: String,
    pub programme_id: String,
    pub project_id: String,
    pub territory_id: String,
    pub frequency: String,
    pub custom_days: String,
    pub first_meeting_on: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BodyData {
    pub name: String,
    pub level: Level,
    pub programme_id: Option<uuid::Uuid>,
    pub project_id: Option<uuid::Uuid>,
    pub territory_id: Option<uuid::Uuid>,
    pub frequency: Frequency,
    pub custom_days: Option<u16>,
    pub first_meeting_on: Option<NaiveDate>,
    pub description: Option<String>,
}

fn optional_id(raw: &str) -> std::result::Result<Option<uuid::Uuid>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        Ok(None)
    } else {
        t.parse().map(Some).map_err(|_| "validation.choice")
    }
}

impl BodyInput {
    /// Every bad field at once. A programme table (level 1) names its programme; a
    /// project table (level 2) its project; a custom frequency its number of days.
    pub fn validate(&self) -> Result<BodyData> {
        let mut e = Errors::new();
        let name = e.take("name", required_text(&self.name, 150));
        let level = e.take(
            "level",
            Level::parse(&self.level).ok_or("validation.choice"),
        );
        let programme_id = e.take("programme_id", optional_id(&self.programme_id));
        let project_id = e.take("project_id", optional_id(&self.project_id));
        let territory_id = e.take("territory_id", optional_id(&self.territory_id));
        let frequency = e.take(
            "frequency",
            Frequency::parse(self.frequency.trim()).ok_or("validation.choice"),
        );
        let custom_days = match frequency {
            Some(Frequency::Custom) => e.take(
                "custom_days",
                match self.custom_days.trim().parse::<u16>() {
                    Ok(d) if (1..=366).contains(&d) => Ok(Some(d)),
                    _ => Err("coordination.custom_days"),
                },
            ),
            _ => Some(None),
        };
        let first_meeting_on = e.take("first_meeting_on", {
            let t = self.first_meeting_on.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                parse_date(t).map(Some)
            }
        });
        let description = e.take("description", optional_text(&self.description, 2000));
        if level == Some(Level::PROGRAMME) && programme_id == Some(None) {
            e.add("programme_id", "coordination.level1_programme");
        }
        if level == Some(Level::PROJECT) && project_id == Some(None) {
            e.add("project_id", "coordination.level2_project");
        }
        e.finish()?;
        Ok(BodyData {
            name: name.unwrap_or_default(),
            level: level.unwrap_or(Level::CASES),
            programme_id: programme_id.flatten(),
            project_id: project_id.flatten(),
            territory_id: territory_id.flatten(),
            frequency: frequency.unwrap_or(Frequency::Monthly),
            custom_days: custom_days.flatten(),
            first_meeting_on: first_meeting_on.flatten(),
            description: description.flatten(),
        })
    }
}

/// A meeting as a form or the API sends it: date, times, mode, place or link, agenda.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MeetingInput {
    pub date: String,
    pub starts: String,
    pub ends: String,
    pub mode: String,
    pub place: String,
    pub link: String,
    /// One topic per line.
    pub topics: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MeetingData {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub mode: MeetingMode,
    pub place: Option<String>,
    pub link: Option<String>,
    pub topics: Vec<String>,
}

fn time(raw: &str) -> std::result::Result<NaiveTime, &'static str> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S"))
        .map_err(|_| "validation.time.format")
}

impl MeetingInput {
    /// Every bad field at once; times are local to the body.
    pub fn validate(&self) -> Result<MeetingData> {
        let mut e = Errors::new();
        let date = e.take("date", parse_date(&self.date));
        let starts = e.take("starts", time(&self.starts));
        let ends = e.take("ends", time(&self.ends));
        let mode = e.take(
            "mode",
            MeetingMode::parse(self.mode.trim()).ok_or("validation.choice"),
        );
        let place = e.take("place", optional_text(&self.place, 300));
        let link = e.take("link", optional_text(&self.link, 500));
        if let (Some(s), Some(f)) = (starts, ends) {
            if f <= s {
                e.add("ends", "coordination.meeting.ends_before");
            }
        }
        match (mode, &place, &link) {
            (Some(MeetingMode::InPerson), Some(None), _) => {
                e.add("place", "coordination.meeting.place_required")
            }
            (Some(MeetingMode::Virtual), _, Some(None)) => {
                e.add("link", "coordination.meeting.link_required")
            }
            // Any link, in any mode, is a web address: never `javascript:` or `data:`.
            (_, _, Some(Some(l))) if !crate::text::is_web_link(l) => {
                e.add("link", "coordination.meeting.link_format")
            }
            _ => {}
        }
        let topics: Vec<String> = self
            .topics
            .lines()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        // Each topic a line of text (no control or direction-override characters);
        // an agenda of at most 100.
        if let Some(code) = topics
            .iter()
            .find_map(|t| crate::input::required_text(t, 300).err())
        {
            e.add("topics", code);
        } else if topics.len() > 100 {
            e.add("topics", "validation.too_many");
        }
        e.finish()?;
        let date = date.unwrap_or_default();
        Ok(MeetingData {
            starts_at: date.and_time(starts.unwrap_or_default()),
            ends_at: date.and_time(ends.unwrap_or_default()),
            mode: mode.unwrap_or(MeetingMode::InPerson),
            place: place.flatten(),
            link: link.flatten(),
            topics,
        })
    }
}

/// An agreement as typed: its text, owner (`user:ID` or `organisation:ID`, a member of
/// the body), due date and, at level 3, the case it concerns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AgreementInput {
    pub text: String,
    pub owner: String,
    pub due_on: String,
    pub case_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    User(uuid::Uuid),
    Organisation(uuid::Uuid),
}

impl Owner {
    pub fn parse(raw: &str) -> Option<Owner> {
        let (kind, id) = raw.trim().split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "user" => Some(Owner::User(id)),
            "organisation" => Some(Owner::Organisation(id)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgreementData {
    pub text: String,
    pub owner: Owner,
    pub due_on: NaiveDate,
    pub case_id: Option<uuid::Uuid>,
}

impl AgreementInput {
    /// The shape of the input; whether the owner is a member and the case may be named
    /// is for the caller, who knows the body.
    pub fn validate(&self, today: NaiveDate) -> Result<AgreementData> {
        let mut e = Errors::new();
        let text = e.take("text", required_text(&self.text, 2000));
        let owner = e.take(
            "owner",
            Owner::parse(&self.owner).ok_or("coordination.owner"),
        );
        let due_on = e.take(
            "due_on",
            parse_date(&self.due_on).and_then(|d| {
                if d < today - Duration::days(366) {
                    Err("validation.date.range")
                } else {
                    Ok(d)
                }
            }),
        );
        let case_id = e.take("case_id", optional_id(&self.case_id));
        e.finish()?;
        Ok(AgreementData {
            text: text.unwrap_or_default(),
            owner: owner.unwrap_or(Owner::User(uuid::Uuid::nil())),
            due_on: due_on.unwrap_or(today),
            case_id: case_id.flatten(),
        })
    }
}

/// Whether a meeting's day is one a person means on `today`: at most a year back (the
/// minutes of a meeting recorded late) and two years ahead. Outside, it is a typing
/// slip (2062 for 2026) that would sit in calendars and reports.
pub fn meeting_day_plausible(date: NaiveDate, today: NaiveDate) -> bool {
    date >= today - Duration::days(366) && date <= today + Duration::days(2 * 366)
}

/// Whether an agreement is overdue on `today`: open past its due date.
pub fn is_overdue(status: AgreementStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status == AgreementStatus::Open && due_on < today
}

/// Checks a change of an agreement's status: an open one is done or dropped (with a
/// reason); a done or dropped one may be reopened.
pub fn check_transition(
    from: AgreementStatus,
    to: AgreementStatus,
    reason: Option<&str>,
) -> std::result::Result<(), &'static str> {
    use AgreementStatus as S;
    match (from, to) {
        (S::Open, S::Done) => Ok(()),
        (S::Open, S::Dropped) if reason.is_some_and(|r| !r.trim().is_empty()) => Ok(()),
        (S::Open, S::Dropped) => Err("coordination.agreement.reason_required"),
        (S::Done | S::Dropped, S::Open) => Ok(()),
        _ => Err("coordination.agreement.transition"),
    }
}

/// Those who run a body — its chair and its secretary — name and change its members,
/// edit it, open its boards and turn cards into agreements.
pub fn runs_the_body(role: MemberRole) -> bool {
    matches!(role, MemberRole::Chair | MemberRole::Secretary)
}

/// Whether a member may leave a body or change role: a body keeps at least one chair.
/// `roles` are the current members' (id, role); `changing` the member; `to` the new
/// role, or `None` to remove them.
pub fn check_member_change(
    roles: &[(uuid::Uuid, MemberRole)],
    changing: uuid::Uuid,
    to: Option<MemberRole>,
) -> std::result::Result<(), &'static str> {
    let chairs_after = roles
        .iter()
        .filter(|(id, r)| {
            if *id == changing {
                to == Some(MemberRole::Chair)
            } else {
                *r == MemberRole::Chair
            }
        })
        .count();
    if chairs_after == 0 {
        Err("coordination.last_chair")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Error;

    #[test]
    fn a_body_keeps_a_chair() {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let roles = [(a, MemberRole::Chair), (b, MemberRole::Member)];
        assert_eq!(
            check_member_change(&roles, a, None),
            Err("coordination.last_chair")
        );
        assert_eq!(
            check_member_change(&roles, a, Some(MemberRole::Secretary)),
            Err("coordination.last_chair")
        );
        assert!(check_member_change(&roles, b, None).is_ok());
        assert!(check_member_change(&roles, b, Some(MemberRole::Chair)).is_ok());
        let two = [(a, MemberRole::Chair), (b, MemberRole::Chair)];
        assert!(check_member_change(&two, a, None).is_ok());
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn planned_meetings_skip_weekends_holidays_and_days_already_taken() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Monthly from Tuesday 8 September 2026 (a holiday in Extremadura).
        let holidays: std::collections::HashSet<_> = [d(9, 8), d(12, 8)].into();
        // The body already met on Friday 9 October (covers October's occurrence) and
        // meets on Monday 9 November for something else.
        let met = [d(10, 9), d(11, 9)];
        let p = plan_meetings(
            d(9, 8),
            Frequency::Monthly,
            None,
            d(9, 1),
            4,
            &holidays,
            &met,
        );
        let on: Vec<_> = p.iter().map(|m| m.on).collect();
        // 8 Sep holiday → 9 Sep; Oct covered by the 9th; 8 Nov is a Sunday → Monday 9 is
        // the body's meeting, which covers it; 8 Dec holiday → 9 Dec.
        assert_eq!(on, vec![d(9, 9), d(10, 9), d(11, 9), d(12, 9)]);
        assert_eq!(p[1].convened, Some(d(10, 9)));
        assert_eq!(p[0].convened, None);
        assert_eq!(p[0].nominal, d(9, 8));
        // Weekly on a Friday with the Friday taken by another meeting: moves to Monday,
        // never onto a day with a meeting.
        let p = plan_meetings(
            d(12, 4),
            Frequency::Weekly,
            None,
            d(12, 10),
            2,
            &holidays,
            &[d(12, 11)],
        );
        assert_eq!(p[0].convened, Some(d(12, 11)));
        assert_eq!(p[1].on, d(12, 18));
        let p = plan_meetings(
            d(12, 5),
            Frequency::Weekly,
            None,
            d(12, 5),
            3,
            &holidays,
            &[],
        );
        for m in &p {
            assert!(crate::holidays::is_working_day(m.on, &holidays), "{m:?}");
        }
        let days: std::collections::HashSet<_> = p.iter().map(|m| m.on).collect();
        assert_eq!(days.len(), 3, "no two proposals on one day");
    }

    #[test]
    fn meetings_are_planned_from_the_frequency() {
        let a = d(2026, 1, 31);
        assert_eq!(
            planned_dates(a, Frequency::Monthly, None, d(2026, 2, 1), 3),
            [d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30)]
        );
        assert_eq!(
            planned_dates(
                d(2026, 11, 2),
                Frequency::Fortnightly,
                None,
                d(2026, 11, 20),
                2
            ),
            [d(2026, 11, 30), d(2026, 12, 14)]
        );
        assert_eq!(
            planned_dates(d(2026, 1, 15), Frequency::Quarterly, None, d(2026, 1, 1), 2),
            [d(2026, 1, 15), d(2026, 4, 15)]
        );
        assert_eq!(
            planned_dates(d(2026, 1, 1), Frequency::Custom, Some(10), d(2026, 1, 5), 2),
            [d(2026, 1, 11), d(2026, 1, 21)]
        );
    }

    #[test]
    fn a_body_names_what_its_level_needs() {
        let mut b = BodyInput {
            name: "Mesa técnica de casos de Badajoz".into(),
            level: "3".into(),
            frequency: "fortnightly".into(),
            ..Default::default()
        };
        assert_eq!(b.validate().unwrap().level, Level::CASES);
        b.level = "1".into();
        b.frequency = "custom".into();
        let Err(Error::Invalid(e)) = b.validate() else {
            panic!()
        };
        let codes: Vec<_> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            codes,
            [
                ("custom_days", "coordination.custom_days"),
                ("programme_id", "coordination.level1_programme")
            ]
        );
        assert!(!Level::PROGRAMME.allows_cases());
        assert!(Level::CASES.allows_cases());
    }

    #[test]
    fn a_meeting_ends_after_it_starts_and_says_where() {
        let m = MeetingInput {
            date: "2026-12-03".into(),
            starts: "10:00".into(),
            ends: "09:30".into(),
            mode: "virtual".into(),
            link: "meet.example.org/x".into(),
            topics: "Seguimiento de acuerdos\n\nCasos nuevos\n".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(e)) = m.validate() else {
            panic!()
        };
        let codes: Vec<_> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            codes,
            [
                ("ends", "coordination.meeting.ends_before"),
                ("link", "coordination.meeting.link_format")
            ]
        );
        let ok = MeetingInput {
            ends: "11:30".into(),
            link: "https://meet.example.org/x".into(),
            ..m
        }
        .validate()
        .unwrap();
        assert_eq!(ok.topics, ["Seguimiento de acuerdos", "Casos nuevos"]);
        let in_person = MeetingInput {
            date: "2026-12-03".into(),
            starts: "10:00".into(),
            ends: "11:00".into(),
            mode: "in_person".into(),
            ..Default::default()
        };
        assert!(in_person.validate().is_err(), "a place is needed");
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            "data:text/html,x",
            "https://",
            "http:///x",
            "https://a b",
        ] {
            let m = MeetingInput {
                place: "Sala 1".into(),
                link: bad.into(),
                ..in_person.clone()
            };
            let Err(Error::Invalid(e)) = m.validate() else {
                panic!("{bad}")
            };
            assert_eq!(e[0].code, "coordination.meeting.link_format", "{bad}");
        }
    }

    #[test]
    fn a_meetings_topics_are_lines_of_text_and_not_too_many() {
        let base = MeetingInput {
            date: "2026-12-03".into(),
            starts: "10:00".into(),
            ends: "11:00".into(),
            mode: "in_person".into(),
            place: "Sala 1".into(),
            ..Default::default()
        };
        let code = |topics: String| match (MeetingInput {
            topics,
            ..base.clone()
        })
        .validate()
        {
            Err(Error::Invalid(e)) => e.first().map(|f| (f.field.clone(), f.code)),
            _ => None,
        };
        assert_eq!(
            code("Plan\u{202e}gnitsop".into()),
            Some(("topics".into(), "validation.text.characters"))
        );
        assert_eq!(
            code("Plan\u{0}".into()),
            Some(("topics".into(), "validation.text.characters"))
        );
        assert_eq!(
            code((0..101).map(|i| format!("Tema {i}\n")).collect()),
            Some(("topics".into(), "validation.too_many"))
        );
        assert_eq!(
            code((0..100).map(|i| format!("Tema {i}\n")).collect()),
            None
        );
    }

    #[test]
    fn agreements_move_through_their_statuses() {
        use AgreementStatus as S;
        let today = d(2026, 11, 30);
        assert!(meeting_day_plausible(d(2025, 12, 1), today));
        assert!(meeting_day_plausible(d(2028, 11, 30), today));
        assert!(!meeting_day_plausible(d(2025, 11, 28), today));
        assert!(!meeting_day_plausible(d(2062, 11, 30), today));
        let a = AgreementInput {
            text: "Derivar a formación de cocina".into(),
            owner: format!("user:{}", uuid::Uuid::nil()),
            due_on: "15/12/2026".into(),
            case_id: String::new(),
        }
        .validate(today)
        .unwrap();
        assert_eq!(a.owner, Owner::User(uuid::Uuid::nil()));
        assert!(!is_overdue(S::Open, a.due_on, today));
        assert!(is_overdue(S::Open, today - Duration::days(1), today));
        assert!(!is_overdue(S::Done, today - Duration::days(1), today));
        assert!(check_transition(S::Open, S::Done, None).is_ok());
        assert_eq!(
            check_transition(S::Open, S::Dropped, Some(" ")),
            Err("coordination.agreement.reason_required")
        );
        assert!(check_transition(S::Done, S::Open, None).is_ok());
        assert!(check_transition(S::Done, S::Dropped, Some("x")).is_err());
        let bad = AgreementInput {
            owner: "alguien".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(e)) = bad.validate(today) else {
            panic!()
        };
        assert_eq!(e.len(), 3);
    }
}
