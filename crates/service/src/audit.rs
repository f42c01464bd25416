//! The audit vocabulary and the two ways a service ends: `audit` appends an entry to the
//! caller's transaction; `finish` appends the last one and commits, so that a change of
//! a person's data (or a read of it) and its audit row stand or fall together.
//!
//! Every entry names who acted (`Caller`), what was done (`Action`: a code and the kind
//! of entity its id names), the entity's id, and details that never hold a person's
//! data (ids, codes, counts).

use itinera_domain::Error;
use itinera_store::audit::NewEntry;
use itinera_store::Tx;
use serde_json::json;
use uuid::Uuid;

use crate::{Caller, Ctx};

/// Every kind of audit entry: its code (`participant.read`) and the kind of entity its
/// id names. The auditor's page and `itinera audit verify` read these codes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    LinkageQueue,
    AgreementCreate,
    BodyMemberRemove,
    BodyMemberRole,
    BodyRead,
    BoardUnvote,
    BoardVote,
    AgreementStatus,
    AssessmentCreate,
    AssessmentRead,
    AuditRead,
    AuthLogin,
    SubjectAccess,
    ParticipantRestrict,
    ParticipantRestrictionLift,
    LegalHoldPlace,
    LegalHoldRelease,
    ParticipantErase,
    PrivacyRead,
    RetentionRuleSet,
    RetentionRun,
    RequestReplay,
    AuthSecondFactorEnrol,
    AuthSecondFactorFailed,
    AuthRecoveryCodeUsed,
    SecondFactorResetRequest,
    SecondFactorResetDecide,
    AuthLoginFailed,
    AuthLoginRefused,
    AuthLogout,
    AuthSwitchOrganisation,
    BoardCard,
    BoardCardAgreement,
    BoardCardProtocolChange,
    BoardCreate,
    BoardGroup,
    BodyCreate,
    BodyMemberAdd,
    BodyOverview,
    BodyUpdate,
    CalendarFeedCreate,
    CalendarFeedRevoke,
    CaseCreate,
    CaseList,
    CasePhase,
    CaseRead,
    CaseStatus,
    CaseTeamAdd,
    CaseTeamRemove,
    ConsentCreate,
    ConsentWithdraw,
    ContactCreate,
    ContactRead,
    CourseCreate,
    SessionAdd,
    SessionChange,
    CourseRead,
    CandidatePreselect,
    CandidateDecision,
    CandidateStatus,
    AttendanceRead,
    AttendanceRecord,
    ContractCreate,
    ContractEnd,
    ContractTutor,
    CourseTrainers,
    ContractRead,
    RetentionRecord,
    IncidentCreate,
    IncidentRead,
    IncidentReportedRead,
    TutoredRead,
    IncidentRespond,
    ReferralSend,
    ReferralList,
    ReferralRead,
    ReferralReadUnnamed,
    ReferralInbox,
    ReferralAnswer,
    ReferralStart,
    ReferralClose,
    ReferralCancel,
    BenefitCreate,
    BenefitRead,
    BenefitUpdate,
    HouseholdCreate,
    HouseholdRead,
    HouseholdMemberAdd,
    HouseholdMemberLeave,
    HouseholdHeadChange,
    ResourceSave,
    ResourceImport,
    DemoSeed,
    ImportMappingSave,
    ImportRun,
    ImportRead,
    InstrumentPublish,
    ItineraryActionCreate,
    ItineraryActionUpdate,
    ItineraryGoalCreate,
    ItineraryGoalUpdate,
    ItineraryPlan,
    ItineraryRead,
    ItineraryReview,
    ItinerarySign,
    LinkageDecide,
    LinkageRegistry,
    LinkageReviewList,
    LinkageReviewRead,
    LinkageSettingsUpdate,
    LinkageUnmerge,
    MeetingApprove,
    MeetingAttendance,
    MeetingCreate,
    MeetingMinutes,
    MeetingRead,
    MembershipCreate,
    MembershipDelete,
    MembershipRequest,
    MembershipApprove,
    MembershipRefuse,
    ParticipantReadRefused,
    SecurityEnumeration,
    DeploymentInit,
    MasterIndexLookup,
    NetworkAgreementCreate,
    OrganisationSave,
    ParticipantCreate,
    ParticipantLink,
    ParticipantMatchExisting,
    ParticipantRead,
    ParticipantSearch,
    ParticipantUpdate,
    ProgrammeOverview,
    ObjectivesRead,
    DashboardRead,
    ComplianceRead,
    ComplianceRulesSave,
    ObjectiveSave,
    ObjectiveDelete,
    EsfRead,
    EsfDataQuality,
    EsfFollowupRead,
    EsfFollowupRecord,
    ProgrammeSave,
    ProjectCreate,
    ProtocolChange,
    ProtocolCreate,
    ProtocolRead,
    ProtocolVersion,
    TerritoryCreate,
    HolidayAdd,
    HolidayDelete,
    HolidayLoadNational,
    TokenCreate,
    TokenRevoke,
    UserCreate,
    UserUpdate,
    WorklistRead,
    CaseloadRead,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::LinkageQueue,
        Action::AgreementCreate,
        Action::BodyMemberRemove,
        Action::BodyMemberRole,
        Action::BodyRead,
        Action::BoardUnvote,
        Action::BoardVote,
        Action::AgreementStatus,
        Action::AssessmentCreate,
        Action::AssessmentRead,
        Action::AuditRead,
        Action::AuthLogin,
        Action::SubjectAccess,
        Action::ParticipantRestrict,
        Action::ParticipantRestrictionLift,
        Action::LegalHoldPlace,
        Action::LegalHoldRelease,
        Action::ParticipantErase,
        Action::PrivacyRead,
        Action::RetentionRuleSet,
        Action::RetentionRun,
        Action::RequestReplay,
        Action::AuthSecondFactorEnrol,
        Action::AuthSecondFactorFailed,
        Action::AuthRecoveryCodeUsed,
        Action::SecondFactorResetRequest,
        Action::SecondFactorResetDecide,
        Action::AuthLoginFailed,
        Action::AuthLoginRefused,
        Action::AuthLogout,
        Action::AuthSwitchOrganisation,
        Action::BoardCard,
        Action::BoardCardAgreement,
        Action::BoardCardProtocolChange,
        Action::BoardCreate,
        Action::BoardGroup,
        Action::BodyCreate,
        Action::BodyMemberAdd,
        Action::BodyOverview,
        Action::BodyUpdate,
        Action::CalendarFeedCreate,
        Action::CalendarFeedRevoke,
        Action::CaseCreate,
        Action::CaseList,
        Action::CasePhase,
        Action::CaseRead,
        Action::CaseStatus,
        Action::CaseTeamAdd,
        Action::CaseTeamRemove,
        Action::ConsentCreate,
        Action::ConsentWithdraw,
        Action::ContactCreate,
        Action::ContactRead,
        Action::CourseCreate,
        Action::SessionAdd,
        Action::SessionChange,
        Action::CourseRead,
        Action::CandidatePreselect,
        Action::CandidateDecision,
        Action::CandidateStatus,
        Action::AttendanceRead,
        Action::AttendanceRecord,
        Action::ContractCreate,
        Action::ContractEnd,
        Action::ContractTutor,
        Action::CourseTrainers,
        Action::ContractRead,
        Action::RetentionRecord,
        Action::IncidentCreate,
        Action::IncidentRead,
        Action::IncidentReportedRead,
        Action::TutoredRead,
        Action::IncidentRespond,
        Action::ReferralSend,
        Action::ReferralList,
        Action::ReferralRead,
        Action::ReferralReadUnnamed,
        Action::ReferralInbox,
        Action::ReferralAnswer,
        Action::ReferralStart,
        Action::ReferralClose,
        Action::ReferralCancel,
        Action::BenefitCreate,
        Action::BenefitRead,
        Action::BenefitUpdate,
        Action::HouseholdCreate,
        Action::HouseholdRead,
        Action::HouseholdMemberAdd,
        Action::HouseholdMemberLeave,
        Action::HouseholdHeadChange,
        Action::ResourceSave,
        Action::ResourceImport,
        Action::DemoSeed,
        Action::ImportMappingSave,
        Action::ImportRun,
        Action::ImportRead,
        Action::InstrumentPublish,
        Action::ItineraryActionCreate,
        Action::ItineraryActionUpdate,
        Action::ItineraryGoalCreate,
        Action::ItineraryGoalUpdate,
        Action::ItineraryPlan,
        Action::ItineraryRead,
        Action::ItineraryReview,
        Action::ItinerarySign,
        Action::LinkageDecide,
        Action::LinkageRegistry,
        Action::LinkageReviewList,
        Action::LinkageReviewRead,
        Action::LinkageSettingsUpdate,
        Action::LinkageUnmerge,
        Action::MeetingApprove,
        Action::MeetingAttendance,
        Action::MeetingCreate,
        Action::MeetingMinutes,
        Action::MeetingRead,
        Action::MembershipCreate,
        Action::MembershipDelete,
        Action::MembershipRequest,
        Action::MembershipApprove,
        Action::MembershipRefuse,
        Action::ParticipantReadRefused,
        Action::SecurityEnumeration,
        Action::DeploymentInit,
        Action::MasterIndexLookup,
        Action::NetworkAgreementCreate,
        Action::OrganisationSave,
        Action::ParticipantCreate,
        Action::ParticipantLink,
        Action::ParticipantMatchExisting,
        Action::ParticipantRead,
        Action::ParticipantSearch,
        Action::ParticipantUpdate,
        Action::ProgrammeOverview,
        Action::ObjectivesRead,
        Action::DashboardRead,
        Action::ComplianceRead,
        Action::ComplianceRulesSave,
        Action::ObjectiveSave,
        Action::ObjectiveDelete,
        Action::EsfRead,
        Action::EsfDataQuality,
        Action::EsfFollowupRead,
        Action::EsfFollowupRecord,
        Action::ProgrammeSave,
        Action::ProjectCreate,
        Action::ProtocolChange,
        Action::ProtocolCreate,
        Action::ProtocolRead,
        Action::ProtocolVersion,
        Action::TerritoryCreate,
        Action::HolidayAdd,
        Action::HolidayDelete,
        Action::HolidayLoadNational,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::UserCreate,
        Action::UserUpdate,
        Action::WorklistRead,
        Action::CaseloadRead,
    ];

    /// The code stored in the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Action::LinkageQueue => "linkage.queue",
            Action::AgreementCreate => "agreement.create",
            Action::BodyMemberRemove => "body.member.remove",
            Action::BodyMemberRole => "body.member.role",
            Action::BodyRead => "body.read",
            Action::BoardUnvote => "board.unvote",
            Action::BoardVote => "board.vote",
            Action::AgreementStatus => "agreement.status",
            Action::AssessmentCreate => "assessment.create",
            Action::AssessmentRead => "assessment.read",
            Action::AuditRead => "audit.read",
            Action::AuthLogin => "auth.login",
            Action::SubjectAccess => "subject.access",
            Action::ParticipantRestrict => "participant.restrict",
            Action::ParticipantRestrictionLift => "participant.restriction_lift",
            Action::LegalHoldPlace => "legal_hold.place",
            Action::LegalHoldRelease => "legal_hold.release",
            Action::ParticipantErase => "participant.erase",
            Action::PrivacyRead => "participant.privacy_read",
            Action::RetentionRuleSet => "retention.rule_set",
            Action::RetentionRun => "retention.run",
            Action::RequestReplay => "request.replay",
            Action::AuthSecondFactorEnrol => "auth.second_factor_enrol",
            Action::AuthSecondFactorFailed => "auth.second_factor_failed",
            Action::AuthRecoveryCodeUsed => "auth.recovery_code_used",
            Action::SecondFactorResetRequest => "second_factor.reset_request",
            Action::SecondFactorResetDecide => "second_factor.reset_decide",
            Action::AuthLoginFailed => "auth.login_failed",
            Action::AuthLoginRefused => "auth.login_refused",
            Action::AuthLogout => "auth.logout",
            Action::AuthSwitchOrganisation => "auth.switch_organisation",
            Action::BoardCard => "board.card",
            Action::BoardCardAgreement => "board.card.agreement",
            Action::BoardCardProtocolChange => "board.card.protocol_change",
            Action::BoardCreate => "board.create",
            Action::BoardGroup => "board.group",
            Action::BodyCreate => "body.create",
            Action::BodyMemberAdd => "body.member.add",
            Action::BodyOverview => "body.overview",
            Action::BodyUpdate => "body.update",
            Action::CalendarFeedCreate => "calendar.feed.create",
            Action::CalendarFeedRevoke => "calendar.feed.revoke",
            Action::CaseCreate => "case.create",
            Action::CaseList => "case.list",
            Action::CasePhase => "case.phase",
            Action::CaseRead => "case.read",
            Action::CaseStatus => "case.status",
            Action::CaseTeamAdd => "case.team.add",
            Action::CaseTeamRemove => "case.team.remove",
            Action::ConsentCreate => "consent.create",
            Action::ConsentWithdraw => "consent.withdraw",
            Action::ContactCreate => "contact.create",
            Action::ContactRead => "contact.read",
            Action::CourseCreate => "course.create",
            Action::SessionAdd => "course.session_add",
            Action::SessionChange => "course.session_change",
            Action::CourseRead => "course.read",
            Action::CandidatePreselect => "course.candidate.preselect",
            Action::CandidateDecision => "course.candidate.decision",
            Action::CandidateStatus => "course.candidate.status",
            Action::AttendanceRead => "attendance.read",
            Action::AttendanceRecord => "attendance.record",
            Action::ContractCreate => "contract.create",
            Action::ContractEnd => "contract.end",
            Action::ContractTutor => "contract.tutor",
            Action::CourseTrainers => "course.trainers",
            Action::ContractRead => "contract.read",
            Action::RetentionRecord => "retention.record",
            Action::IncidentCreate => "incident.create",
            Action::IncidentRead => "incident.read",
            Action::IncidentReportedRead => "incident.reported_read",
            Action::TutoredRead => "contract.tutored_read",
            Action::IncidentRespond => "incident.respond",
            Action::ReferralSend => "referral.send",
            Action::ReferralList => "referral.list",
            Action::ReferralRead => "referral.read",
            Action::ReferralReadUnnamed => "referral.read_unnamed",
            Action::ReferralInbox => "referral.inbox",
            Action::ReferralAnswer => "referral.answer",
            Action::ReferralStart => "referral.start",
            Action::ReferralClose => "referral.close",
            Action::ReferralCancel => "referral.cancel",
            Action::BenefitCreate => "benefit.create",
            Action::BenefitRead => "benefit.read",
            Action::BenefitUpdate => "benefit.update",
            Action::HouseholdCreate => "household.create",
            Action::HouseholdRead => "household.read",
            Action::HouseholdMemberAdd => "household.member_add",
            Action::HouseholdMemberLeave => "household.member_leave",
            Action::HouseholdHeadChange => "household.head_change",
            Action::ResourceSave => "resource.save",
            Action::ResourceImport => "resource.import",
            Action::DemoSeed => "demo.seed",
            Action::ImportMappingSave => "import.mapping.save",
            Action::ImportRun => "import.run",
            Action::ImportRead => "import.read",
            Action::InstrumentPublish => "instrument.publish",
            Action::ItineraryActionCreate => "itinerary.action.create",
            Action::ItineraryActionUpdate => "itinerary.action.update",
            Action::ItineraryGoalCreate => "itinerary.goal.create",
            Action::ItineraryGoalUpdate => "itinerary.goal.update",
            Action::ItineraryPlan => "itinerary.plan",
            Action::ItineraryRead => "itinerary.read",
            Action::ItineraryReview => "itinerary.review",
            Action::ItinerarySign => "itinerary.sign",
            Action::LinkageDecide => "linkage.decide",
            Action::LinkageRegistry => "linkage.registry",
            Action::LinkageReviewList => "linkage.review.list",
            Action::LinkageReviewRead => "linkage.review.read",
            Action::LinkageSettingsUpdate => "linkage.settings.update",
            Action::LinkageUnmerge => "linkage.unmerge",
            Action::MeetingApprove => "meeting.approve",
            Action::MeetingAttendance => "meeting.attendance",
            Action::MeetingCreate => "meeting.create",
            Action::MeetingMinutes => "meeting.minutes",
            Action::MeetingRead => "meeting.read",
            Action::MembershipCreate => "membership.create",
            Action::MembershipDelete => "membership.delete",
            Action::MembershipRequest => "membership.request",
            Action::MembershipApprove => "membership.approve",
            Action::MembershipRefuse => "membership.refuse",
            Action::ParticipantReadRefused => "participant.read_refused",
            Action::SecurityEnumeration => "security.enumeration_suspected",
            Action::DeploymentInit => "deployment.init",
            Action::MasterIndexLookup => "master_index.lookup",
            Action::NetworkAgreementCreate => "network_agreement.create",
            Action::OrganisationSave => "organisation.save",
            Action::ParticipantCreate => "participant.create",
            Action::ParticipantLink => "participant.link",
            Action::ParticipantMatchExisting => "participant.match_existing",
            Action::ParticipantRead => "participant.read",
            Action::ParticipantSearch => "participant.search",
            Action::ParticipantUpdate => "participant.update",
            Action::ProgrammeOverview => "programme.overview",
            Action::ObjectivesRead => "objectives.read",
            Action::DashboardRead => "dashboard.read",
            Action::ComplianceRead => "compliance.read",
            Action::ComplianceRulesSave => "compliance.rules_save",
            Action::ObjectiveSave => "objective.save",
            Action::ObjectiveDelete => "objective.delete",
            Action::EsfRead => "esf.read",
            Action::EsfDataQuality => "esf.data_quality",
            Action::EsfFollowupRead => "esf.followup_read",
            Action::EsfFollowupRecord => "esf.followup_record",
            Action::ProgrammeSave => "programme.save",
            Action::ProjectCreate => "project.create",
            Action::ProtocolChange => "protocol.change",
            Action::ProtocolCreate => "protocol.create",
            Action::ProtocolRead => "protocol.read",
            Action::ProtocolVersion => "protocol.version",
            Action::TerritoryCreate => "territory.create",
            Action::HolidayAdd => "holiday.add",
            Action::HolidayDelete => "holiday.delete",
            Action::HolidayLoadNational => "holiday.load_national",
            Action::TokenCreate => "token.create",
            Action::TokenRevoke => "token.revoke",
            Action::UserCreate => "user.create",
            Action::UserUpdate => "user.update",
            Action::WorklistRead => "worklist.read",
            Action::CaseloadRead => "caseload.read",
        }
    }

    /// The kind of entity the entry's id names.
    pub fn entity(self) -> &'static str {
        match self {
            Action::LinkageQueue => "participant",
            Action::AgreementCreate => "agreement",
            Action::BodyMemberRemove => "coordination_body",
            Action::BodyMemberRole => "coordination_body",
            Action::BodyRead => "coordination_body",
            Action::BoardUnvote => "board",
            Action::BoardVote => "board",
            Action::AgreementStatus => "agreement",
            Action::AssessmentCreate => "assessment",
            Action::AssessmentRead => "case",
            Action::AuditRead => "audit_log",
            Action::AuthLogin => "user",
            Action::SubjectAccess => "participant",
            Action::ParticipantRestrict => "participant",
            Action::ParticipantRestrictionLift => "participant",
            Action::LegalHoldPlace => "participant",
            Action::LegalHoldRelease => "participant",
            Action::ParticipantErase => "participant",
            Action::PrivacyRead => "participant",
            Action::RetentionRuleSet => "retention_rule",
            Action::RetentionRun => "retention_run",
            Action::RequestReplay => "request",
            Action::AuthSecondFactorEnrol => "user",
            Action::AuthSecondFactorFailed => "user",
            Action::AuthRecoveryCodeUsed => "user",
            Action::SecondFactorResetRequest => "user",
            Action::SecondFactorResetDecide => "user",
            Action::AuthLoginFailed => "user",
            Action::AuthLoginRefused => "user",
            Action::AuthLogout => "user",
            Action::AuthSwitchOrganisation => "organisation",
            Action::BoardCard => "board",
            Action::BoardCardAgreement => "board",
            Action::BoardCardProtocolChange => "board",
            Action::BoardCreate => "board",
            Action::BoardGroup => "board",
            Action::BodyCreate => "coordination_body",
            Action::BodyMemberAdd => "coordination_body",
            Action::BodyOverview => "coordination_body",
            Action::BodyUpdate => "coordination_body",
            Action::CalendarFeedCreate => "user",
            Action::CalendarFeedRevoke => "user",
            Action::CaseCreate => "case",
            Action::CaseList => "case",
            Action::CasePhase => "case",
            Action::CaseRead => "case",
            Action::CaseStatus => "case",
            Action::CaseTeamAdd => "case",
            Action::CaseTeamRemove => "case",
            Action::ConsentCreate => "participant",
            Action::ConsentWithdraw => "participant",
            Action::ContactCreate => "contact",
            Action::ContactRead => "case",
            Action::CourseCreate => "course",
            Action::SessionAdd => "course_session",
            Action::SessionChange => "course_session",
            Action::CourseRead => "course",
            Action::CandidatePreselect => "course_candidate",
            Action::CandidateDecision => "course_candidate",
            Action::CandidateStatus => "course_candidate",
            Action::AttendanceRead => "course_session",
            Action::AttendanceRecord => "course_session",
            Action::ContractCreate => "contract",
            Action::ContractEnd => "contract",
            Action::ContractTutor => "contract",
            Action::CourseTrainers => "course",
            Action::ContractRead => "case",
            Action::RetentionRecord => "retention_check",
            Action::IncidentCreate => "incident",
            Action::IncidentRead => "case",
            Action::IncidentReportedRead => "user",
            Action::TutoredRead => "user",
            Action::IncidentRespond => "incident",
            Action::ReferralSend
            | Action::ReferralRead
            | Action::ReferralReadUnnamed
            | Action::ReferralAnswer
            | Action::ReferralStart
            | Action::ReferralClose
            | Action::ReferralCancel => "referral",
            Action::ReferralList => "case",
            Action::ReferralInbox => "organisation",
            Action::BenefitCreate | Action::BenefitUpdate => "benefit",
            Action::BenefitRead => "participant",
            Action::HouseholdCreate
            | Action::HouseholdRead
            | Action::HouseholdMemberAdd
            | Action::HouseholdMemberLeave
            | Action::HouseholdHeadChange => "household",
            Action::ResourceSave => "resource",
            Action::ResourceImport => "resource_catalogue",
            Action::DemoSeed => "database",
            Action::ImportMappingSave => "import_mapping",
            Action::ImportRun | Action::ImportRead => "import_batch",
            Action::InstrumentPublish => "instrument",
            Action::ItineraryActionCreate => "case",
            Action::ItineraryActionUpdate => "case",
            Action::ItineraryGoalCreate => "case",
            Action::ItineraryGoalUpdate => "case",
            Action::ItineraryPlan => "case",
            Action::ItineraryRead => "case",
            Action::ItineraryReview => "case",
            Action::ItinerarySign => "case",
            Action::LinkageDecide => "link_review",
            Action::LinkageRegistry => "linkage_settings",
            Action::LinkageReviewList => "participant",
            Action::LinkageReviewRead => "link_review",
            Action::LinkageSettingsUpdate => "linkage_settings",
            Action::LinkageUnmerge => "merge",
            Action::MeetingApprove => "meeting",
            Action::MeetingAttendance => "meeting",
            Action::MeetingCreate => "meeting",
            Action::MeetingMinutes => "meeting",
            Action::MeetingRead => "meeting",
            Action::MembershipCreate => "user",
            Action::MembershipDelete => "user",
            Action::MembershipRequest => "user",
            Action::MembershipApprove => "user",
            Action::MembershipRefuse => "user",
            Action::ParticipantReadRefused => "participant",
            Action::SecurityEnumeration => "user",
            Action::DeploymentInit => "user",
            Action::MasterIndexLookup => "organisation",
            Action::NetworkAgreementCreate => "network_agreement",
            Action::OrganisationSave => "organisation",
            Action::ParticipantCreate => "participant",
            Action::ParticipantLink => "participant",
            Action::ParticipantMatchExisting => "participant",
            Action::ParticipantRead => "participant",
            Action::ParticipantSearch => "participant",
            Action::ParticipantUpdate => "participant",
            Action::ProgrammeOverview => "programme",
            Action::ObjectivesRead
            | Action::EsfRead
            | Action::EsfDataQuality
            | Action::DashboardRead
            | Action::ComplianceRead
            | Action::ComplianceRulesSave => "programme",
            Action::ObjectiveSave | Action::ObjectiveDelete => "objective",
            Action::EsfFollowupRead | Action::EsfFollowupRecord => "case",
            Action::ProgrammeSave => "programme",
            Action::ProjectCreate => "programme",
            Action::ProtocolChange => "protocol",
            Action::ProtocolCreate => "protocol",
            Action::ProtocolRead => "protocol",
            Action::ProtocolVersion => "protocol",
            Action::TerritoryCreate => "territory",
            Action::HolidayAdd | Action::HolidayDelete | Action::HolidayLoadNational => "holiday",
            Action::TokenCreate => "user",
            Action::TokenRevoke => "token",
            Action::UserCreate => "user",
            Action::UserUpdate => "user",
            Action::WorklistRead => "user",
            Action::CaseloadRead => "user",
        }
    }
}

/// The detail of an entry made by `by`: made with a token, it also says which token and
/// who issued it.
fn detail_of(by: Caller<'_>, detail: serde_json::Value) -> serde_json::Value {
    match by.actor().and_then(|a| a.token) {
        Some(t) => {
            let mut d = match detail {
                serde_json::Value::Object(m) => m,
                serde_json::Value::Null => serde_json::Map::new(),
                other => {
                    let mut m = serde_json::Map::new();
                    m.insert("detail".into(), other);
                    m
                }
            };
            d.insert("via_token".into(), json!(t.token_id));
            d.insert("token_issued_by".into(), json!(t.issued_by));
            serde_json::Value::Object(d)
        }
        None => detail,
    }
}

/// Appends many entries for `by` in `tx`, in order, in few statements (an import).
pub async fn audit_many<'a>(
    tx: &mut Tx,
    by: impl Into<Caller<'a>>,
    ctx: &Ctx,
    entries: Vec<(Action, Option<Uuid>, serde_json::Value)>,
) -> Result<(), Error> {
    let by = by.into();
    let details = entries
        .into_iter()
        .map(|(a, id, d)| (a, id, render(by, d)))
        .collect();
    audit_many_rendered(tx, by, ctx, details).await
}

/// An entry's detail as it is kept for `by` (with the token it came through, if any):
/// entries can be rendered ahead of their transaction (`audit_many_rendered`).
pub fn render<'a>(by: impl Into<Caller<'a>>, detail: serde_json::Value) -> String {
    detail_of(by.into(), detail).to_string()
}

/// Like `audit_many`, with details already rendered (`render`) for the same `by`.
pub async fn audit_many_rendered<'a>(
    tx: &mut Tx,
    by: impl Into<Caller<'a>>,
    ctx: &Ctx,
    details: Vec<(Action, Option<Uuid>, String)>,
) -> Result<(), Error> {
    let by = by.into();
    let actor = by.actor();
    if let Some((action, entity_id, _)) = details.first() {
        crate::deployment::claim(tx, ctx, action.entity(), *entity_id).await?;
    }
    let rows: Vec<NewEntry<'_>> = details
        .into_iter()
        .map(|(action, entity_id, detail)| NewEntry {
            at: ctx.now,
            actor_user_id: actor.map(|a| a.user_id),
            actor_organisation_id: actor.map(|a| a.organisation_id),
            action: action.code(),
            entity: action.entity(),
            entity_id,
            request_id: &ctx.request_id,
            client_addr: &ctx.client_addr,
            detail,
        })
        .collect();
    itinera_store::audit::append_many(tx, rows).await
}

/// Appends an audit entry for `by` in `tx`.
pub async fn audit<'a>(
    tx: &mut Tx,
    by: impl Into<Caller<'a>>,
    ctx: &Ctx,
    action: Action,
    entity_id: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<(), Error> {
    let by = by.into();
    let actor = by.actor();
    let detail = detail_of(by, detail);
    crate::deployment::claim(tx, ctx, action.entity(), entity_id).await?;
    itinera_store::audit::append(
        tx,
        &NewEntry {
            at: ctx.now,
            actor_user_id: actor.map(|a| a.user_id),
            actor_organisation_id: actor.map(|a| a.organisation_id),
            action: action.code(),
            entity: action.entity(),
            entity_id,
            request_id: &ctx.request_id,
            client_addr: &ctx.client_addr,
            detail: detail.to_string(),
        },
    )
    .await
    .map(|_| ())
}

/// Appends the operation's last audit entry and commits: the ending of every service
/// that writes, and of every audited read.
pub async fn finish<'a>(
    mut tx: Tx,
    by: impl Into<Caller<'a>>,
    ctx: &Ctx,
    action: Action,
    entity_id: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<(), Error> {
    audit(&mut tx, by, ctx, action, entity_id, detail).await?;
    tx.commit().await
}

/// Refusals of one actor in the last hour that make the audit log flag them as a
/// possible enumeration (someone trying ids or names of people they have no basis for).
pub const ENUMERATION_THRESHOLD: i64 = 20;

impl crate::Services {
    /// Audits the refused reads of a person noted in this request (one entry each), and
    /// flags the actor once an hour when their refusals reach `ENUMERATION_THRESHOLD`.
    /// Called by the HTTP layer before the answer leaves.
    pub async fn record_refusals(&self, ctx: &Ctx) -> Result<(), Error> {
        let refusals = ctx.refusals.take();
        let Some(&(user, org, _)) = refusals.first() else {
            return Ok(());
        };
        let mut tx = self.store.write().await?;
        for (user, org, person) in &refusals {
            itinera_store::audit::append(
                &mut tx,
                &NewEntry {
                    at: ctx.now,
                    actor_user_id: Some(*user),
                    actor_organisation_id: Some(*org),
                    action: Action::ParticipantReadRefused.code(),
                    entity: Action::ParticipantReadRefused.entity(),
                    entity_id: Some(*person),
                    request_id: &ctx.request_id,
                    client_addr: &ctx.client_addr,
                    detail: "{}".into(),
                },
            )
            .await?;
        }
        let since = ctx.now - chrono::Duration::hours(1);
        let n = itinera_store::audit::count_by(
            &mut tx,
            user,
            Action::ParticipantReadRefused.code(),
            since,
        )
        .await?;
        if n >= ENUMERATION_THRESHOLD
            && itinera_store::audit::count_by(
                &mut tx,
                user,
                Action::SecurityEnumeration.code(),
                since,
            )
            .await?
                == 0
        {
            itinera_store::audit::append(
                &mut tx,
                &NewEntry {
                    at: ctx.now,
                    actor_user_id: Some(user),
                    actor_organisation_id: Some(org),
                    action: Action::SecurityEnumeration.code(),
                    entity: Action::SecurityEnumeration.entity(),
                    entity_id: Some(user),
                    request_id: &ctx.request_id,
                    client_addr: &ctx.client_addr,
                    detail: json!({"refusals_last_hour": n}).to_string(),
                },
            )
            .await?;
            tracing::warn!(user = %user, refusals = n, "possible enumeration of people");
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_name_their_entity() {
        let mut codes: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n);
        assert!(Action::ALL.iter().all(|a| !a.entity().is_empty()));
        assert_eq!(Action::ParticipantRead.code(), "participant.read");
        assert_eq!(Action::ConsentWithdraw.entity(), "participant");
    }
}
