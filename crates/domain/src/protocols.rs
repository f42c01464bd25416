//! Protocols and guides: the network's shared methodology (a joint coordination guide,
//! operating instructions, protocols with insertion companies, intervention tools).
//! Each is versioned; a version has a summary, validity and the roles it concerns; the
//! version in force is the latest one valid today; professionals concerned confirm
//! they have read it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::error::{Errors, Result};
use crate::input::{lenient_list, parse_date};
use crate::input::{optional_text, required_text};

crate::coded_enum!(ProtocolKind {
    Guide = "guide",
    Protocol = "protocol",
    Instruction = "instruction",
    Tool = "tool",
});

/// A protocol as typed: for a programme or for a body (one of the two).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProtocolInput {
    pub title: String,
    pub kind: String,
    pub programme_id: String,
    pub body_id: String,
    pub owner_organisation_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Programme(uuid::Uuid),
    Body(uuid::Uuid),
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProtocolData {
    pub title: String,
    pub kind: ProtocolKind,
    pub scope: Scope,
    pub owner_organisation_id: uuid::Uuid,
}

fn id(raw: &str) -> std::result::Result<Option<uuid::Uuid>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        Ok(None)
    } else {
        t.parse().map(Some).map_err(|_| "validation.choice")
    }
}

impl ProtocolInput {
    pub fn validate(&self) -> Result<ProtocolData> {
        let mut e = Errors::new();
        let title = e.take("title", required_text(&self.title, 300));
        let kind = e.take(
            "kind",
            ProtocolKind::parse(self.kind.trim()).ok_or("validation.choice"),
        );
        let programme = e.take("programme_id", id(&self.programme_id));
        let body = e.take("body_id", id(&self.body_id));
        let scope = match (programme.flatten(), body.flatten()) {
            (Some(p), None) => Some(Scope::Programme(p)),
            (None, Some(b)) => Some(Scope::Body(b)),
            (None, None) if programme.is_some() && body.is_some() => {
                e.add("programme_id", "protocols.scope_error");
                None
            }
            (Some(_), Some(_)) => {
                e.add("body_id", "protocols.scope_error");
                None
            }
            _ => None,
        };
        let owner = e.take(
            "owner_organisation_id",
            id(&self.owner_organisation_id).and_then(|o| o.ok_or("validation.required")),
        );
        e.finish()?;
        Ok(ProtocolData {
            title: title.unwrap_or_default(),
            kind: kind.unwrap_or(ProtocolKind::Guide),
            scope: scope.unwrap_or(Scope::Programme(uuid::Uuid::nil())),
            owner_organisation_id: owner.unwrap_or_default(),
        })
    }
}

/// A version as typed. `roles` are role codes; none means every professional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VersionInput {
    pub summary: String,
    pub document_ref: String,
    pub valid_from: String,
    pub valid_until: String,
    #[serde(deserialize_with = "lenient_list")]
    pub roles: Vec<String>,
    /// Proposed changes this version applies.
    #[serde(deserialize_with = "lenient_list")]
    pub applies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionData {
    pub summary: String,
    pub document_ref: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub roles: Vec<Role>,
    pub applies: Vec<uuid::Uuid>,
}

/// The roles a protocol may concern: those who do the network's work and may open the
/// protocols (a trainer or a workplace tutor never can: a version addressed to them
/// could never be read).
pub fn concernable(r: Role) -> bool {
    !matches!(r, Role::Admin | Role::Auditor) && r.grants(crate::access::Capability::Coordinate)
}

impl VersionInput {
    pub fn validate(&self) -> Result<VersionData> {
        let mut e = Errors::new();
        let summary = e.take("summary", required_text(&self.summary, 4000));
        let document_ref = e.take("document_ref", optional_text(&self.document_ref, 500));
        let from = e.take("valid_from", parse_date(&self.valid_from));
        let until = e.take("valid_until", {
            let t = self.valid_until.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                parse_date(t).map(Some)
            }
        });
        if let (Some(f), Some(Some(u))) = (from, until) {
            if u < f {
                e.add("valid_until", "protocols.until_before_from");
            }
        }
        let mut roles = Vec::new();
        for r in self.roles.iter().filter(|r| !r.trim().is_empty()) {
            match Role::parse(r.trim()) {
                Some(role) if concernable(role) => {
                    if !roles.contains(&role) {
                        roles.push(role)
                    }
                }
                _ => e.add("roles", "validation.choice"),
            }
        }
        let mut applies = Vec::new();
        for a in self.applies.iter().filter(|a| !a.trim().is_empty()) {
            match a.trim().parse::<uuid::Uuid>() {
                Ok(id) if !applies.contains(&id) => applies.push(id),
                Ok(_) => {}
                Err(_) => e.add("applies", "validation.choice"),
            }
        }
        e.finish()?;
        Ok(VersionData {
            summary: summary.unwrap_or_default(),
            document_ref: document_ref.flatten(),
            valid_from: from.unwrap_or_default(),
            valid_until: until.flatten(),
            roles,
            applies,
        })
    }
}

/// The roles of a stored version (space separated codes; none: every role concerned).
pub fn parse_roles(stored: &str) -> Vec<Role> {
    stored.split_whitespace().filter_map(Role::parse).collect()
}

pub fn store_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(" ")
}

/// Whether a version concerns someone holding `held` roles.
pub fn concerns(version_roles: &[Role], held: &[Role]) -> bool {
    held.iter()
        .any(|h| concernable(*h) && (version_roles.is_empty() || version_roles.contains(h)))
}

/// A version's number and validity, to choose the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub version: i32,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// The version in force on `today`: of the versions valid today, the highest number.
/// A version that has not started yet does not replace the one in force.
pub fn in_force(versions: &[Validity], today: NaiveDate) -> Option<i32> {
    versions
        .iter()
        .filter(|v| v.valid_from <= today && v.valid_until.is_none_or(|u| u >= today))
        .map(|v| v.version)
        .max()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Error;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn a_protocol_belongs_to_a_programme_or_a_body_not_both() {
        let p = uuid::Uuid::new_v4().to_string();
        let o = uuid::Uuid::new_v4().to_string();
        let input = ProtocolInput {
            title: "Guía de coordinación conjunta".into(),
            kind: "guide".into(),
            programme_id: p.clone(),
            body_id: p.clone(),
            owner_organisation_id: o,
        };
        let Err(Error::Invalid(e)) = input.validate() else {
            panic!()
        };
        assert_eq!(e[0].code, "protocols.scope_error");
        let ok = ProtocolInput {
            body_id: String::new(),
            ..input
        }
        .validate()
        .unwrap();
        assert!(matches!(ok.scope, Scope::Programme(_)));
    }

    #[test]
    fn a_version_names_roles_and_a_sane_validity() {
        let bad = VersionInput {
            summary: "Circuito de derivación".into(),
            valid_from: "2026-02-01".into(),
            valid_until: "2026-01-01".into(),
            roles: vec!["social_worker".into(), "admin".into()],
            ..Default::default()
        };
        let Err(Error::Invalid(e)) = bad.validate() else {
            panic!()
        };
        let codes: Vec<_> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            codes,
            [
                ("valid_until", "protocols.until_before_from"),
                ("roles", "validation.choice")
            ]
        );
        let ok = VersionInput {
            valid_until: String::new(),
            roles: vec!["social_worker".into(), "employment_counsellor".into()],
            ..bad
        }
        .validate()
        .unwrap();
        assert_eq!(
            store_roles(&ok.roles),
            "social_worker employment_counsellor"
        );
        assert_eq!(parse_roles("social_worker employment_counsellor"), ok.roles);
        assert!(concerns(&ok.roles, &[Role::SocialWorker]));
        assert!(!concerns(&ok.roles, &[Role::Technician]));
        assert!(concerns(&[], &[Role::Technician]));
        assert!(!concerns(&[], &[Role::Admin]));
    }

    #[test]
    fn the_version_in_force_is_the_latest_valid_today() {
        let v = |version, from, until| Validity {
            version,
            valid_from: from,
            valid_until: until,
        };
        let versions = [
            v(1, d(2025, 1, 1), None),
            v(2, d(2026, 1, 1), Some(d(2026, 6, 30))),
            v(3, d(2027, 1, 1), None),
        ];
        assert_eq!(in_force(&versions, d(2024, 12, 31)), None);
        assert_eq!(in_force(&versions, d(2026, 3, 1)), Some(2));
        // Version 2 has lapsed; version 1 has no end; version 3 has not begun.
        assert_eq!(in_force(&versions, d(2026, 11, 30)), Some(1));
        assert_eq!(in_force(&versions, d(2027, 1, 1)), Some(3));
    }
}
