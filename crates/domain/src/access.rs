//! Who may do what. Roles give capabilities; a person's data additionally needs a
//! *basis* (see `person_basis`). The store's SQL predicate for lists and searches is the
//! same rule written for the database, and the access-matrix test holds the two together.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::coded_enum;
use crate::consent::{state_on, ConsentState, Purpose};
use crate::org::OrganisationKind;

coded_enum!(Role {
    SocialWorker = "social_worker",
    EmploymentCounsellor = "employment_counsellor",
    Technician = "technician",
    CaseManager = "case_manager",
    Coordinator = "coordinator",
    ProgrammeManager = "programme_manager",
    Auditor = "auditor",
    Admin = "admin",
    Trainer = "trainer",
    WorkplaceTutor = "workplace_tutor",
});

/// What an operation needs from the actor's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Read a person's record and cases (still subject to `person_basis`).
    ReadPersonData,
    /// Register a participant, edit their record, record consents.
    WritePersonData,
    /// Open a case, change its phase, team, status.
    ManageCases,
    /// Aggregates and pseudonymised lists of a programme.
    ReadAggregates,
    /// The audit log and its verification.
    ReadAudit,
    /// Territories, organisations, programmes, users, tokens.
    Administer,
    /// Take part in coordination bodies: meetings, minutes, agreements.
    Coordinate,
    /// Convene a coordination body and name its members.
    ConveneBodies,
    /// Take the attendance of the courses one is a named trainer of, and report their
    /// incidents (sees the enrolled people's names only; see `scoped_basis`).
    TakeAttendance,
    /// Follow the placements one is the workplace tutor of, and report their incidents
    /// (sees the tutored people's names and contracts only; see `scoped_basis`).
    TutorPlacements,
    /// Answer a person's request to see their own record (GDPR Art. 15 and 20): the
    /// data-protection office, for a request it records with its reference.
    AnswerSubjectRequests,
}

impl Role {
    pub fn grants(self, c: Capability) -> bool {
        use Capability as C;
        use Role as R;
        match c {
            C::ReadPersonData => matches!(
                self,
                R::SocialWorker
                    | R::EmploymentCounsellor
                    | R::Technician
                    | R::CaseManager
                    | R::Coordinator
            ),
            C::WritePersonData => matches!(
                self,
                R::SocialWorker | R::EmploymentCounsellor | R::Technician | R::CaseManager
            ),
            C::ManageCases => matches!(
                self,
                R::SocialWorker | R::EmploymentCounsellor | R::CaseManager | R::Coordinator
            ),
            C::ReadAggregates => matches!(self, R::ProgrammeManager | R::Coordinator),
            C::ReadAudit => matches!(self, R::Auditor),
            C::AnswerSubjectRequests => matches!(self, R::Auditor),
            C::Administer => matches!(self, R::Admin),
            C::Coordinate => matches!(
                self,
                R::SocialWorker
                    | R::EmploymentCounsellor
                    | R::Technician
                    | R::CaseManager
                    | R::Coordinator
                    | R::ProgrammeManager
            ),
            C::ConveneBodies => {
                matches!(self, R::CaseManager | R::Coordinator | R::ProgrammeManager)
            }
            C::TakeAttendance => matches!(self, R::Trainer),
            C::TutorPlacements => matches!(self, R::WorkplaceTutor),
        }
    }
}

impl Role {
    /// Whether the role reaches a person's data: reads it, writes it or manages their
    /// cases — or, narrowly, the names of the people on a course one trains or in a
    /// placement one tutors. Granting such a role needs a second administrator
    /// (`needs_second_approval`) and is kept apart from administering (`segregation`).
    pub fn reaches_person_data(self) -> bool {
        matches!(
            self,
            Role::SocialWorker
                | Role::EmploymentCounsellor
                | Role::Technician
                | Role::CaseManager
                | Role::Coordinator
                | Role::Trainer
                | Role::WorkplaceTutor
        )
    }

    /// Four eyes: an administrator asks, a second one approves — for the roles that
    /// reach people, for the auditor (the data-protection office answers people's
    /// requests to see their whole record) and for administering itself (else one
    /// administrator could make a second one to approve their own requests).
    pub fn needs_second_approval(self) -> bool {
        self.reaches_person_data() || self == Role::Auditor || self == Role::Admin
    }
}

/// **Segregation of duties** (ENS, category ALTA): whoever administers configures and
/// never reaches a person's data, nor audits their own work; an integration's service
/// account never administers, and never reaches a person's data either (its tokens are
/// issued to an administrator: an integration that works with people acts through the
/// token of a professional, who creates it signed in). `held` are the roles the account
/// holds in any organisation. The answer is the translation key of the refusal.
pub fn segregation(held: &[Role], new: Role, service_account: bool) -> Result<(), &'static str> {
    if service_account && new.reaches_person_data() {
        return Err("membership.segregation.service_person");
    }
    let admin = held.contains(&Role::Admin);
    if new == Role::Admin {
        if service_account {
            return Err("membership.segregation.service_admin");
        }
        if held.iter().any(|r| r.reaches_person_data()) {
            return Err("membership.segregation.admin_person");
        }
        if held.contains(&Role::Auditor) {
            return Err("membership.segregation.admin_auditor");
        }
    }
    if admin && new.reaches_person_data() {
        return Err("membership.segregation.admin_person");
    }
    if admin && new == Role::Auditor {
        return Err("membership.segregation.admin_auditor");
    }
    Ok(())
}

/// A bearer token an actor acts through: which one, and who issued it (recorded with
/// every audit entry made with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenUse {
    pub token_id: Uuid,
    /// The user who created the token: the user themselves, or the administrator who
    /// issued it to a service account. `None` for the command line.
    pub issued_by: Option<Uuid>,
}

/// Who is acting: a user working for one organisation, with their roles there. A session
/// or an API token always acts for exactly one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub organisation_id: Uuid,
    pub organisation_kind: OrganisationKind,
    pub organisation_name: String,
    pub roles: Vec<Role>,
    /// The token the actor acts through, when not signed in.
    pub token: Option<TokenUse>,
}

impl Actor {
    /// The user acting.
    pub fn user(&self) -> crate::ids::UserId {
        crate::ids::UserId(self.user_id)
    }

    /// The organisation they act for.
    pub fn organisation(&self) -> crate::ids::OrganisationId {
        crate::ids::OrganisationId(self.organisation_id)
    }

    pub fn can(&self, c: Capability) -> bool {
        self.roles.iter().any(|r| r.grants(c))
    }

    pub fn require(&self, c: Capability) -> crate::Result<()> {
        if self.can(c) {
            Ok(())
        } else {
            Err(crate::Error::Forbidden)
        }
    }

    /// For person data a missing capability must look like a missing record.
    pub fn require_person(&self, c: Capability) -> crate::Result<()> {
        if self.can(c) {
            Ok(())
        } else {
            Err(crate::Error::NotFound)
        }
    }
}

/// A consent as the access rule needs it.
#[derive(Debug, Clone)]
pub struct SharingConsent {
    pub purpose: Purpose,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub organisations: Vec<Uuid>,
    pub organisation_kinds: Vec<OrganisationKind>,
}

impl SharingConsent {
    fn covers(&self, org: Uuid, kind: OrganisationKind, day: NaiveDate) -> bool {
        self.purpose == Purpose::Sharing
            && state_on(self.given_on, self.expires_on, self.withdrawn_on, day)
                == ConsentState::Active
            && (self.organisations.contains(&org) || self.organisation_kinds.contains(&kind))
    }
}

/// The facts about one person that decide who may see them.
#[derive(Debug, Clone)]
pub struct PersonFacts {
    pub registering_organisation: Uuid,
    /// Organisations with at least one active member on a team of one of the person's cases.
    pub team_organisations: Vec<Uuid>,
    pub consents: Vec<SharingConsent>,
    /// Frozen by the data-protection office (GDPR Art. 18): no one has a basis.
    pub restricted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The actor's organisation registered the person.
    Registered,
    /// The actor's organisation is on a case team and the person consented to sharing.
    TeamWithConsent,
    /// The narrow basis of a trainer or a workplace tutor (`scoped_basis`).
    Scoped,
}

/// **The access rule.** An organisation sees a person if it registered them, or if it is
/// on the team of one of their cases *and* an active sharing consent covers it (by id or
/// by kind). Roles are checked separately (`Actor::can`).
pub fn person_basis(
    org: Uuid,
    kind: OrganisationKind,
    facts: &PersonFacts,
    today: NaiveDate,
) -> Option<Basis> {
    if facts.restricted {
        return None;
    }
    if facts.registering_organisation == org {
        return Some(Basis::Registered);
    }
    if facts.team_organisations.contains(&org)
        && facts.consents.iter().any(|c| c.covers(org, kind, today))
    {
        return Some(Basis::TeamWithConsent);
    }
    None
}

/// **The narrow rule of the scoped roles.** A trainer sees the people enrolled on a
/// course they are a named trainer of, given by their organisation; a workplace tutor the
/// people whose contract with their organisation they tutor (`linked` says which holds:
/// the store checks the course or the contract). Either needs that their organisation
/// registered the person or that an active sharing consent covers it — being picked as
/// provider or employer never widens access by itself. What they then see is the name and
/// the course or the contract, never the case, the diagnosis or the notes.
pub fn scoped_basis(
    org: Uuid,
    kind: OrganisationKind,
    facts: &PersonFacts,
    linked: bool,
    today: NaiveDate,
) -> Option<Basis> {
    let consented = !facts.restricted
        && (facts.registering_organisation == org
            || facts.consents.iter().any(|c| c.covers(org, kind, today)));
    (linked && consented).then_some(Basis::Scoped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_can_what_its_roles_grant_and_person_refusals_look_like_absence() {
        let actor = |roles: Vec<Role>| Actor {
            user_id: Uuid::from_u128(1),
            username: "u".into(),
            display_name: "U".into(),
            organisation_id: Uuid::from_u128(2),
            organisation_kind: OrganisationKind::SocialServices,
            organisation_name: "O".into(),
            roles,
            token: None,
        };
        let sw = actor(vec![Role::SocialWorker]);
        assert!(sw.can(Capability::ReadPersonData));
        assert!(!sw.can(Capability::Administer));
        assert!(sw.require(Capability::ReadPersonData).is_ok());
        assert!(matches!(
            sw.require(Capability::Administer),
            Err(crate::Error::Forbidden)
        ));
        assert!(sw.require_person(Capability::WritePersonData).is_ok());
        let pm = actor(vec![Role::ProgrammeManager]);
        assert!(matches!(
            pm.require_person(Capability::ReadPersonData),
            Err(crate::Error::NotFound)
        ));
        assert!(!actor(vec![]).can(Capability::ReadAggregates));
        assert!(actor(vec![Role::Auditor, Role::ProgrammeManager]).can(Capability::ReadAggregates));
    }

    #[test]
    fn administering_and_reaching_people_are_kept_apart() {
        use Role as R;
        for r in R::ALL {
            let person = r.reaches_person_data();
            // The list agrees with the capabilities: reading, writing or managing cases,
            // taking a course's attendance, tutoring a placement.
            assert_eq!(
                person,
                [
                    Capability::ReadPersonData,
                    Capability::WritePersonData,
                    Capability::ManageCases,
                    Capability::TakeAttendance,
                    Capability::TutorPlacements,
                ]
                .iter()
                .any(|c| r.grants(*c)),
                "{r:?}"
            );
            assert_eq!(
                r.needs_second_approval(),
                person || *r == R::Auditor || *r == R::Admin,
                "{r:?}"
            );
            assert_eq!(
                segregation(&[], *r, true).is_err(),
                person || *r == R::Admin,
                "{r:?}"
            );
            let to_admin = segregation(&[*r], R::Admin, false);
            let from_admin = segregation(&[R::Admin], *r, false);
            if person {
                assert_eq!(to_admin, Err("membership.segregation.admin_person"));
                assert_eq!(from_admin, Err("membership.segregation.admin_person"));
            } else if *r == R::Auditor {
                assert_eq!(to_admin, Err("membership.segregation.admin_auditor"));
                assert_eq!(from_admin, Err("membership.segregation.admin_auditor"));
            } else {
                assert_eq!(to_admin, Ok(()), "{r:?}");
                assert_eq!(from_admin, Ok(()), "{r:?}");
            }
        }
        assert!(R::SocialWorker.reaches_person_data());
        assert!(R::Coordinator.reaches_person_data());
        assert!(!R::ProgrammeManager.reaches_person_data());
        assert!(!R::Auditor.reaches_person_data());
        assert!(!R::Admin.reaches_person_data());
        assert_eq!(
            segregation(&[], R::Admin, true),
            Err("membership.segregation.service_admin")
        );
        assert_eq!(
            segregation(&[], R::Technician, true),
            Err("membership.segregation.service_person")
        );
        assert_eq!(segregation(&[], R::ProgrammeManager, true), Ok(()));
        assert_eq!(
            segregation(&[R::SocialWorker], R::Coordinator, false),
            Ok(())
        );
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn sharing(orgs: Vec<Uuid>, kinds: Vec<OrganisationKind>) -> SharingConsent {
        SharingConsent {
            purpose: Purpose::Sharing,
            given_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            expires_on: None,
            withdrawn_on: None,
            organisations: orgs,
            organisation_kinds: kinds,
        }
    }

    #[test]
    fn the_registering_organisation_always_sees() {
        let me = Uuid::new_v4();
        let f = PersonFacts {
            registering_organisation: me,
            team_organisations: vec![],
            consents: vec![],
            restricted: false,
        };
        assert_eq!(
            person_basis(me, OrganisationKind::SocialServices, &f, day()),
            Some(Basis::Registered)
        );
    }

    #[test]
    fn team_membership_needs_consent() {
        let reg = Uuid::new_v4();
        let sexpe = Uuid::new_v4();
        let mut f = PersonFacts {
            registering_organisation: reg,
            team_organisations: vec![sexpe],
            consents: vec![],
            restricted: false,
        };
        let k = OrganisationKind::EmploymentService;
        assert_eq!(person_basis(sexpe, k, &f, day()), None);
        f.consents
            .push(sharing(vec![], vec![OrganisationKind::ThirdSector]));
        assert_eq!(
            person_basis(sexpe, k, &f, day()),
            None,
            "consent for another kind"
        );
        f.consents.push(sharing(vec![], vec![k]));
        assert_eq!(
            person_basis(sexpe, k, &f, day()),
            Some(Basis::TeamWithConsent)
        );
        // Withdrawn or expired consents stop the sharing.
        f.consents[1].withdrawn_on = Some(day());
        assert_eq!(person_basis(sexpe, k, &f, day()), None);
        f.consents[1] = sharing(vec![sexpe], vec![]);
        f.consents[1].expires_on = Some(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(person_basis(sexpe, k, &f, day()), None);
        // A restricted record is frozen for everyone, its registering organisation too.
        f.consents[1].expires_on = None;
        assert_eq!(
            person_basis(sexpe, k, &f, day()),
            Some(Basis::TeamWithConsent)
        );
        f.restricted = true;
        assert_eq!(person_basis(sexpe, k, &f, day()), None);
        assert_eq!(person_basis(reg, k, &f, day()), None);
        assert_eq!(scoped_basis(reg, k, &f, true, day()), None);
    }

    #[test]
    fn consent_without_team_membership_is_not_enough() {
        let reg = Uuid::new_v4();
        let other = Uuid::new_v4();
        let f = PersonFacts {
            registering_organisation: reg,
            team_organisations: vec![],
            consents: vec![sharing(vec![other], vec![])],
            restricted: false,
        };
        assert_eq!(
            person_basis(other, OrganisationKind::ThirdSector, &f, day()),
            None
        );
    }

    #[test]
    fn scoped_roles_need_the_link_and_consent_and_nothing_more() {
        let reg = Uuid::new_v4();
        let ngo = Uuid::new_v4();
        let k = OrganisationKind::ThirdSector;
        let mut f = PersonFacts {
            registering_organisation: reg,
            team_organisations: vec![],
            consents: vec![],
            restricted: false,
        };
        assert_eq!(scoped_basis(ngo, k, &f, true, day()), None, "no consent");
        f.consents.push(sharing(vec![], vec![k]));
        assert_eq!(scoped_basis(ngo, k, &f, true, day()), Some(Basis::Scoped));
        assert_eq!(scoped_basis(ngo, k, &f, false, day()), None, "not linked");
        f.consents[0].withdrawn_on = Some(day());
        assert_eq!(scoped_basis(ngo, k, &f, true, day()), None, "withdrawn");
        assert_eq!(
            scoped_basis(reg, k, &f, true, day()),
            Some(Basis::Scoped),
            "registered"
        );
        // The scoped roles read nothing else.
        for r in [Role::Trainer, Role::WorkplaceTutor] {
            for c in [
                Capability::ReadPersonData,
                Capability::WritePersonData,
                Capability::ManageCases,
                Capability::Coordinate,
                Capability::ReadAggregates,
            ] {
                assert!(!r.grants(c), "{r:?} {c:?}");
            }
        }
        assert!(Role::Trainer.grants(Capability::TakeAttendance));
        assert!(!Role::Trainer.grants(Capability::TutorPlacements));
        assert!(Role::WorkplaceTutor.grants(Capability::TutorPlacements));
    }

    #[test]
    fn roles_and_capabilities() {
        assert!(Role::SocialWorker.grants(Capability::ReadPersonData));
        assert!(!Role::Admin.grants(Capability::ReadPersonData));
        assert!(!Role::Auditor.grants(Capability::ReadPersonData));
        assert!(!Role::ProgrammeManager.grants(Capability::ReadPersonData));
        assert!(Role::Auditor.grants(Capability::ReadAudit));
        assert!(!Role::Admin.grants(Capability::ReadAudit));
        assert!(Role::Admin.grants(Capability::Administer));
        assert!(Role::ProgrammeManager.grants(Capability::ReadAggregates));
        assert!(!Role::Technician.grants(Capability::ManageCases));
    }
}
