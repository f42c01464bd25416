//! Households (*unidad de convivencia*, *nucleo familiare*): the people a participant
//! lives with, as minimum-income schemes (Ingreso Mínimo Vital, Assegno di Inclusione)
//! count them. A household has members — participants with their own records, or
//! people who are not, with a relationship, a birth year and whether they depend on the
//! household — and one head. Members join and leave on dates, so the household's
//! history stays; a participant belongs to one household at a time.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Error, Errors};
use crate::input::{lenient_bool, lenient_string, optional_date, optional_text, required_text};

coded_enum!(
    /// A member's relationship to the head of the household.
    Relationship {
        Head = "head",
        Partner = "partner",
        Child = "child",
        Parent = "parent",
        Sibling = "sibling",
        Grandparent = "grandparent",
        Grandchild = "grandchild",
        OtherRelative = "other_relative",
        NonRelative = "non_relative",
    }
);

coded_enum!(
    /// What happened to a household, as its history shows it.
    ChangeKind {
        Formed = "formed",
        Joined = "joined",
        Left = "left",
        HeadChanged = "head_changed",
    }
);

/// A new household, headed by the participant it is created from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HouseholdInput {
    /// Since when they live together (empty: today).
    #[serde(deserialize_with = "lenient_string")]
    pub formed_on: String,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdData {
    pub formed_on: NaiveDate,
    pub notes: Option<String>,
}

/// A member joining: a registered participant (found by an identity document the
/// reader may see) or a person who is not one (by name).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MemberInput {
    /// The identity document of a registered participant.
    pub document: String,
    /// The full name of a member who is not a participant.
    pub name: String,
    /// Their relationship to the head (not `head`: the head changes apart).
    pub relationship: String,
    #[serde(deserialize_with = "lenient_string")]
    pub birth_year: String,
    /// Depends on the household (a child, a dependent adult).
    #[serde(deserialize_with = "lenient_bool")]
    pub dependent: bool,
    /// Since when (empty: today).
    #[serde(deserialize_with = "lenient_string")]
    pub joined_on: String,
}

/// Who the member is, once checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    /// A document to look up among the participants the reader may see.
    Document(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberData {
    pub who: Who,
    pub relationship: Relationship,
    pub birth_year: Option<i32>,
    pub dependent: bool,
    pub joined_on: NaiveDate,
}

/// A member leaving.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DepartureInput {
    #[serde(deserialize_with = "lenient_string")]
    pub left_on: String,
    pub note: String,
}

/// Who heads the household from now on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HeadInput {
    /// A current member's id.
    pub member_id: String,
    /// The former head's relationship to the new one.
    pub former_head_relationship: String,
}

/// A date not after today; empty is today.
fn day_or_today(raw: &str, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    match optional_date(raw)? {
        None => Ok(today),
        Some(d) if d > today => Err("validation.date.future"),
        Some(d) => Ok(d),
    }
}

fn relationship(raw: &str) -> Result<Relationship, &'static str> {
    match raw.trim() {
        "" => Err("validation.required"),
        s => match Relationship::parse(s) {
            Some(Relationship::Head) | None => Err("validation.choice"),
            Some(r) => Ok(r),
        },
    }
}

impl HouseholdInput {
    pub fn validate(&self, today: NaiveDate) -> Result<HouseholdData, Error> {
        let mut e = Errors::new();
        let formed_on = e.take("formed_on", day_or_today(&self.formed_on, today));
        let notes = e.take("notes", optional_text(&self.notes, 2000));
        e.finish()?;
        match (formed_on, notes) {
            (Some(formed_on), Some(notes)) => Ok(HouseholdData { formed_on, notes }),
            _ => Err(Error::Internal("household check".into())),
        }
    }
}

impl MemberInput {
    pub fn validate(&self, today: NaiveDate) -> Result<MemberData, Error> {
        let mut e = Errors::new();
        let who = match (self.document.trim(), self.name.trim()) {
            ("", "") => {
                e.add("name", "validation.household.who");
                None
            }
            (d, "") => e
                .take("document", required_text(d, 40))
                .map(|d| Who::Document(crate::documents::normalise(&d))),
            ("", _) => e
                .take("name", required_text(&self.name, 200))
                .map(Who::Name),
            _ => {
                e.add("name", "validation.household.either");
                None
            }
        };
        let relationship = e.take("relationship", relationship(&self.relationship));
        let birth_year = e.take(
            "birth_year",
            match self.birth_year.trim() {
                "" => Ok(None),
                y => match y.parse::<i32>() {
                    Ok(y) if (1900..=today.year()).contains(&y) => Ok(Some(y)),
                    Ok(_) => Err("validation.household.birth_year"),
                    Err(_) => Err("validation.number.format"),
                },
            },
        );
        let joined_on = e.take("joined_on", day_or_today(&self.joined_on, today));
        e.finish()?;
        match (who, relationship, birth_year, joined_on) {
            (Some(who), Some(relationship), Some(birth_year), Some(joined_on)) => Ok(MemberData {
                who,
                relationship,
                birth_year,
                dependent: self.dependent,
                joined_on,
            }),
            _ => Err(Error::Internal("member check".into())),
        }
    }
}

impl DepartureInput {
    /// `joined_on`: when the member joined (a departure is not before it).
    pub fn validate(
        &self,
        joined_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(NaiveDate, Option<String>), Error> {
        let mut e = Errors::new();
        let left_on = e.take("left_on", day_or_today(&self.left_on, today));
        if left_on.is_some_and(|l| l < joined_on) {
            e.add("left_on", "validation.household.left_before_joined");
        }
        let note = e.take("note", optional_text(&self.note, 500));
        e.finish()?;
        match (left_on, note) {
            (Some(l), Some(n)) => Ok((l, n)),
            _ => Err(Error::Internal("departure check".into())),
        }
    }
}

impl HeadInput {
    pub fn validate(&self) -> Result<(uuid::Uuid, Relationship), Error> {
        let mut e = Errors::new();
        let member = e.take(
            "member_id",
            match crate::input::optional_id(&self.member_id) {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Err("validation.required"),
                Err(k) => Err(k),
            },
        );
        let former = e.take(
            "former_head_relationship",
            relationship(&self.former_head_relationship),
        );
        e.finish()?;
        match (member, former) {
            (Some(m), Some(f)) => Ok((m, f)),
            _ => Err(Error::Internal("head check".into())),
        }
    }
}

/// A current member as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Current {
    pub id: uuid::Uuid,
    pub head: bool,
}

/// Whether a member may leave: the head leaves only as the last member (the household
/// then ends); otherwise the headship passes first.
pub fn may_leave(members: &[Current], leaving: uuid::Uuid) -> Result<(), &'static str> {
    let Some(m) = members.iter().find(|m| m.id == leaving) else {
        return Err("household.not_member");
    };
    if m.head && members.len() > 1 {
        return Err("household.head_leaves");
    }
    Ok(())
}

/// How many current members depend on the household.
pub fn dependants(dependent: &[bool]) -> usize {
    dependent.iter().filter(|d| **d).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_member_is_a_participant_or_a_named_person_never_both() {
        let today = d("2026-11-23");
        let m = MemberInput {
            document: "12345678-z".into(),
            relationship: "child".into(),
            birth_year: "2012".into(),
            dependent: true,
            ..Default::default()
        };
        let ok = m.validate(today).unwrap();
        assert_eq!(ok.who, Who::Document("12345678Z".into()));
        assert_eq!(ok.joined_on, today);
        let both = MemberInput {
            name: "Lucía".into(),
            ..m.clone()
        };
        let e = both.validate(today).unwrap_err();
        assert_eq!(fields(e), ["name"]);
        let bad = MemberInput {
            relationship: "head".into(),
            birth_year: "1850".into(),
            joined_on: "2027-01-01".into(),
            ..Default::default()
        };
        let e = bad.validate(today).unwrap_err();
        assert_eq!(
            fields(e),
            ["name", "relationship", "birth_year", "joined_on"]
        );
    }

    #[test]
    fn the_head_leaves_last_and_departures_follow_arrivals() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let two = [
            Current { id: a, head: true },
            Current { id: b, head: false },
        ];
        assert_eq!(may_leave(&two, a), Err("household.head_leaves"));
        assert_eq!(may_leave(&two, b), Ok(()));
        assert_eq!(may_leave(&two[..1], a), Ok(()));
        assert_eq!(
            may_leave(&two, Uuid::from_u128(3)),
            Err("household.not_member")
        );
        let today = d("2026-11-23");
        let e = DepartureInput {
            left_on: "2026-01-01".into(),
            note: String::new(),
        }
        .validate(d("2026-02-01"), today)
        .unwrap_err();
        assert_eq!(fields(e), ["left_on"]);
        assert_eq!(dependants(&[true, false, true]), 2);
    }
}
