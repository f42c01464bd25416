//! The contact log (intervención, seguimiento, colloquio) and its visibility rule: a
//! social worker's sensitive note is not shown to an employer's tutor.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::parse_professional;
use crate::input::{lenient_string, parse_date};
use crate::text::clean;

coded_enum!(ContactKind {
    IndividualInterview = "individual_interview",
    JointInterview = "joint_interview",
    Phone = "phone",
    HomeVisit = "home_visit",
    GroupSession = "group_session",
});

coded_enum!(
    /// Who may read a contact, among those who may read the case: everyone who may see
    /// the case, only the author's organisation, or only the author.
    Visibility {
        Team = "team",
        Service = "service",
        Author = "author",
    }
);

/// **The visibility rule.** Whether a reader (who may already see the case) may read a
/// contact. Written once more in SQL in `store::contacts::VISIBLE`; the visibility
/// matrix test holds the two together.
pub fn visible(
    v: Visibility,
    author: Uuid,
    author_org: Uuid,
    reader: Uuid,
    reader_org: Uuid,
) -> bool {
    match v {
        Visibility::Team => true,
        Visibility::Service => author_org == reader_org,
        Visibility::Author => author == reader,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContactInput {
    #[serde(deserialize_with = "lenient_string")]
    pub happened_on: String,
    pub kind: String,
    /// `USER_ID@ORGANISATION_ID` of each professional who took part (the author is added).
    #[serde(deserialize_with = "crate::input::lenient_list")]
    pub professionals: Vec<String>,
    pub summary: String,
    pub next_step: String,
    /// When the next step is due (it then reaches the work list).
    #[serde(deserialize_with = "lenient_string")]
    pub next_step_on: String,
    pub visibility: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactData {
    pub happened_on: NaiveDate,
    pub kind: ContactKind,
    pub professionals: Vec<(Uuid, Uuid)>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_step_on: Option<NaiveDate>,
    pub visibility: Visibility,
}

/// Checks a contact. `author` takes part in it; a joint interview needs professionals of
/// two or more organisations (services).
pub fn check_contact(
    c: &ContactInput,
    author: (Uuid, Uuid),
    opened_on: NaiveDate,
    today: NaiveDate,
) -> Result<ContactData, Error> {
    let mut e = Errors::new();
    let happened_on = e.take(
        "happened_on",
        if c.happened_on.trim().is_empty() {
            Ok(today)
        } else {
            parse_date(&c.happened_on).and_then(|d| {
                if d > today {
                    Err("validation.date.future")
                } else if d < opened_on {
                    Err("validation.contact.before_case")
                } else {
                    Ok(d)
                }
            })
        },
    );
    let kind = e.take(
        "kind",
        ContactKind::parse(c.kind.trim()).ok_or(if c.kind.trim().is_empty() {
            "validation.required"
        } else {
            "validation.choice"
        }),
    );
    let visibility = if c.visibility.trim().is_empty() {
        Some(Visibility::Team)
    } else {
        e.take(
            "visibility",
            Visibility::parse(c.visibility.trim()).ok_or("validation.choice"),
        )
    };
    let mut professionals = vec![author];
    for p in c.professionals.iter().filter(|p| !p.trim().is_empty()) {
        match parse_professional(p) {
            Ok(x) if !professionals.contains(&x) => professionals.push(x),
            Ok(_) => {}
            Err(code) => {
                e.add("professionals", code);
                break;
            }
        }
    }
    if kind == Some(ContactKind::JointInterview) {
        let mut orgs: Vec<Uuid> = professionals.iter().map(|p| p.1).collect();
        orgs.sort();
        orgs.dedup();
        if orgs.len() < 2 {
            e.add(
                "professionals",
                "validation.contact.joint_needs_two_services",
            );
        }
    }
    let summary = e.take(
        "summary",
        match clean(&c.summary) {
            None => Err("validation.required"),
            Some(s) if s.chars().count() > 8000 => Err("validation.too_long"),
            Some(s) => Ok(s),
        },
    );
    let next_step = e.take(
        "next_step",
        match clean(&c.next_step) {
            Some(s) if s.chars().count() > 1000 => Err("validation.too_long"),
            other => Ok(other),
        },
    );
    let next_step_on = e.take(
        "next_step_on",
        if c.next_step_on.trim().is_empty() {
            Ok(None)
        } else {
            parse_date(&c.next_step_on).and_then(|d| {
                if happened_on.is_some_and(|h| d < h) {
                    Err("validation.contact.next_step_before")
                } else if c.next_step.trim().is_empty() {
                    Err("validation.contact.next_step_date_alone")
                } else {
                    Ok(Some(d))
                }
            })
        },
    );
    e.finish()?;
    match (
        happened_on,
        kind,
        summary,
        next_step,
        next_step_on,
        visibility,
    ) {
        (
            Some(happened_on),
            Some(kind),
            Some(summary),
            Some(next_step),
            Some(next_step_on),
            Some(visibility),
        ) => Ok(ContactData {
            happened_on,
            kind,
            professionals,
            summary,
            next_step,
            next_step_on,
            visibility,
        }),
        _ => Err(Error::Internal("validation state".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The edges of each rule of the form (held by the mutation run).
    #[test]
    fn contact_form_edges() {
        let me = (Uuid::from_u128(1), Uuid::from_u128(10));
        let other = (Uuid::from_u128(2), Uuid::from_u128(20));
        let (opened, today) = (day("2026-11-01"), day("2026-11-23"));
        let base = ContactInput {
            happened_on: "2026-11-23".into(),
            kind: "individual_interview".into(),
            summary: "Entrevista".into(),
            ..Default::default()
        };
        let codes = |c: &ContactInput| match check_contact(c, me, opened, today) {
            Ok(_) => vec![],
            Err(Error::Invalid(f)) => f.iter().map(|f| (f.field.clone(), f.code)).collect(),
            Err(e) => panic!("{e:?}"),
        };
        assert!(codes(&base).is_empty(), "today");
        let at = |d: &str| ContactInput {
            happened_on: d.into(),
            ..base.clone()
        };
        assert!(
            codes(&at("2026-11-01")).is_empty(),
            "the day the case opened"
        );
        assert_eq!(
            codes(&at("2026-10-31")),
            vec![("happened_on".to_string(), "validation.contact.before_case")]
        );
        assert_eq!(
            codes(&at("2026-11-24")),
            vec![("happened_on".to_string(), "validation.date.future")]
        );
        let summary = |n: usize| ContactInput {
            summary: "x".repeat(n),
            ..base.clone()
        };
        assert!(codes(&summary(8000)).is_empty());
        assert_eq!(
            codes(&summary(8001)),
            vec![("summary".to_string(), "validation.too_long")]
        );
        let next = |n: usize| ContactInput {
            next_step: "x".repeat(n),
            ..base.clone()
        };
        assert!(codes(&next(1000)).is_empty());
        assert_eq!(
            codes(&next(1001)),
            vec![("next_step".to_string(), "validation.too_long")]
        );
        // The author is a participant once, however often named; others are added.
        let named = |ps: Vec<String>| ContactInput {
            professionals: ps,
            ..base.clone()
        };
        let p = |x: (Uuid, Uuid)| format!("{}@{}", x.0, x.1);
        let d = check_contact(&named(vec![p(me), p(other), p(other)]), me, opened, today).unwrap();
        assert_eq!(d.professionals, vec![me, other]);
        // A joint interview needs two services.
        let joint = |ps: Vec<String>| ContactInput {
            kind: "joint_interview".into(),
            professionals: ps,
            ..base.clone()
        };
        assert_eq!(
            codes(&joint(vec![])),
            vec![(
                "professionals".to_string(),
                "validation.contact.joint_needs_two_services"
            )]
        );
        assert!(codes(&joint(vec![p(other)])).is_empty());
    }

    #[test]
    fn visibility_rule() {
        let (a, o, b, p) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        assert!(visible(Visibility::Team, a, o, b, p));
        assert!(visible(Visibility::Service, a, o, b, o));
        assert!(!visible(Visibility::Service, a, o, b, p));
        assert!(visible(Visibility::Author, a, o, a, o));
        assert!(!visible(Visibility::Author, a, o, b, o));
    }

    #[test]
    fn a_joint_interview_needs_two_services() {
        let me = (Uuid::from_u128(1), Uuid::from_u128(10));
        let colleague = format!("{}@{}", Uuid::from_u128(2), Uuid::from_u128(10));
        let other_service = format!("{}@{}", Uuid::from_u128(3), Uuid::from_u128(20));
        let mut c = ContactInput {
            kind: "joint_interview".into(),
            professionals: vec![colleague],
            summary: "Entrevista conjunta".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(f)) = check_contact(&c, me, day("2026-01-01"), day("2026-02-01"))
        else {
            panic!("accepted")
        };
        assert_eq!(f[0].code, "validation.contact.joint_needs_two_services");
        c.professionals.push(other_service);
        let d = check_contact(&c, me, day("2026-01-01"), day("2026-02-01")).unwrap();
        assert_eq!(d.professionals.len(), 3);
        assert_eq!(d.visibility, Visibility::Team);
        assert_eq!(d.happened_on, day("2026-02-01"));
    }

    #[test]
    fn bad_contacts_name_every_field() {
        let me = (Uuid::from_u128(1), Uuid::from_u128(10));
        let c = ContactInput {
            happened_on: "2027-01-01".into(),
            kind: "telepathy".into(),
            visibility: "world".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(f)) = check_contact(&c, me, day("2026-01-01"), day("2026-02-01"))
        else {
            panic!("accepted")
        };
        let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["happened_on", "kind", "visibility", "summary"]);
    }
}
