//! A person's right to see their own record (GDPR Art. 15) and to take it with them
//! (Art. 20): the data-protection office answers a request it records with its
//! reference, by the person's document number (exact: never a search), and gets every
//! record of that person in the network (those holding the document, and those a
//! person — not an automatic match — joined to them) — the data, consents, benefits,
//! households, cases with
//! their team, timeline, assessments, itinerary (its commitments, goals, actions and
//! reviews), contacts (as the record's own organisation sees them: a professional's
//! private notes stay out), referrals, places on courses, contracts and incidents, the
//! coordination meetings that discussed a case (their minutes of it) and the agreements
//! taken about it —
//! and who accessed each record and its cases, and when, from the audit log. As JSON (the API) and as a readable, printable
//! page. The answer is itself audited, under its reference, before it leaves.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::Actor;
use itinera_domain::ids::CaseId;
use itinera_domain::input::required_text;
use itinera_domain::{Error, Errors, PageRequest};
use itinera_store::{admin, assessments, audit, cases, consents, contacts, itineraries};
use itinera_store::{households, incidents, placements, referrals, training};
use itinera_store::{participants, subject_rights as store, Tx};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assessments::Assessment;
use crate::audit::{finish, Action};
use crate::cases::{Case, CaseEvent, TeamMember};
use crate::contacts::Contact;
use crate::incidents::Incident;
use crate::itineraries::{ItineraryAction, ItineraryGoal, ItineraryPlan, ItineraryReview};
use crate::participants::{Consent, Participant};
use crate::{Ctx, Services};

/// The answer to a person's request to see their record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectAccess {
    /// The request's reference (the registry entry of the person's request).
    pub reference: String,
    pub produced_at: DateTime<Utc>,
    pub produced_by: String,
    /// Every record of the person in the network (none: no record holds the document).
    pub records: Vec<SubjectRecord>,
    /// Records joined to the person only by an automatic match that no one confirmed:
    /// left out, since they may be someone else's, until a reviewer of the master index
    /// confirms or undoes the match.
    pub unconfirmed_records: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectRecord {
    pub participant: Participant,
    pub consents: Vec<Consent>,
    /// The benefits recorded beside the itinerary, with their conditions.
    pub benefits: Vec<crate::benefits::BenefitView>,
    pub cases: Vec<SubjectCase>,
    /// The households the person is or was a member of.
    pub households: Vec<SubjectHousehold>,
    /// Who read or changed this record, its cases or what is recorded in them (a
    /// referral, a contact, a contract, an incident, a benefit, a household), and when
    /// (newest first).
    pub accesses: Vec<Access>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectCase {
    pub case: Case,
    /// Who worked the case, and when they joined.
    pub team: Vec<TeamMember>,
    /// What happened to the case: phases, statuses, team changes, with their reasons.
    pub timeline: Vec<CaseEvent>,
    pub assessments: Vec<Assessment>,
    pub itinerary: Option<ItineraryPlan>,
    pub goals: Vec<ItineraryGoal>,
    pub actions: Vec<ItineraryAction>,
    pub reviews: Vec<ItineraryReview>,
    pub contacts: Vec<Contact>,
    pub referrals: Vec<SubjectReferral>,
    pub courses: Vec<SubjectCourse>,
    pub contracts: Vec<SubjectContract>,
    pub incidents: Vec<Incident>,
    /// The coordination meetings that discussed the case, with their minutes of it.
    pub discussions: Vec<SubjectDiscussion>,
    /// The agreements coordination bodies took about the case.
    pub agreements: Vec<SubjectAgreement>,
}

/// A meeting's item about the person's case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectDiscussion {
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub title: String,
    pub minutes: Option<String>,
}

/// An agreement about the person's case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectAgreement {
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub text: String,
    pub owner_organisation_name: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
}

/// A household of the person: their own place in it, the other members by relationship
/// only (they are other people), and the changes about the person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectHousehold {
    pub formed_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub relationship: String,
    pub head: bool,
    pub dependent: bool,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_note: Option<String>,
    pub others: Vec<SubjectHouseholdMember>,
    pub changes: Vec<SubjectHouseholdChange>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectHouseholdMember {
    pub relationship: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectHouseholdChange {
    /// `formed`, `joined`, `left` or `head_changed`.
    pub kind: String,
    pub on_date: NaiveDate,
    pub note: Option<String>,
    pub by_organisation_name: String,
}

/// A referral of the person's case, as the person may read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectReferral {
    pub sent_at: DateTime<Utc>,
    pub from_organisation_name: String,
    pub sent_by_name: String,
    pub to_organisation_name: String,
    pub reason: String,
    /// What the sender shared with the receiver.
    pub shared: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

/// A place of the person on a course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectCourse {
    pub course_title: String,
    pub provider_name: String,
    pub status: String,
    pub certificate: bool,
    /// Marks of attendance recorded, and unjustified absences among them.
    pub recorded: i64,
    pub absent: i64,
}

/// A contract of the person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectContract {
    pub employer_name: String,
    pub position_title: String,
    pub contract_type: String,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
}

/// One entry of the audit log about the person's record, as the person may read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Access {
    pub at: DateTime<Utc>,
    /// The professional (or "the system" for none).
    pub who: Option<String>,
    pub organisation: Option<String>,
    /// The audit action's code (`participant.read`, `case.update`…).
    pub action: String,
}

/// At most this many audit entries per record and case are listed.
const MAX_ACCESSES: u32 = 2_000;

/// The audit entries about the person: those of each of `entity_ids` (their record,
/// cases, benefits…) and those of the lists that showed them, whose detail names one of
/// `mentioned` (their record or a case: a course's candidates, a caseload, a search's
/// results) since `since`, newest first, each once.
async fn accesses_of(
    tx: &mut Tx,
    entity_ids: &[Uuid],
    mentioned: &[Uuid],
    since: DateTime<Utc>,
    names: &mut HashMap<Uuid, Option<String>>,
    orgs: &mut HashMap<Uuid, Option<String>>,
) -> Result<Vec<Access>, Error> {
    let mut entries: Vec<audit::Entry> = Vec::new();
    for id in entity_ids {
        let filter = audit::Filter {
            actor_user_id: None,
            action: None,
            entity: None,
            entity_id: Some(*id),
            from: None,
            to: None,
        };
        let mut page = 1;
        loop {
            let p = audit::list(
                tx,
                &filter,
                PageRequest {
                    page,
                    per_page: PageRequest::MAX_PER_PAGE,
                },
            )
            .await?;
            entries.extend(p.items);
            if !p.has_more || page * PageRequest::MAX_PER_PAGE >= MAX_ACCESSES {
                break;
            }
            page += 1;
        }
    }
    entries.extend(audit::mentioning(tx, mentioned, since, i64::from(MAX_ACCESSES)).await?);
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    entries.dedup_by_key(|e| e.seq);
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let who = match e.actor_user_id {
            Some(u) => match names.get(&u) {
                Some(n) => n.clone(),
                None => {
                    let n = admin::user(tx, u).await?.map(|u| u.display_name);
                    names.insert(u, n.clone());
                    n
                }
            },
            None => None,
        };
        let organisation = match e.actor_organisation_id {
            Some(o) => match orgs.get(&o) {
                Some(n) => n.clone(),
                None => {
                    let n = admin::organisation(tx, o).await?.map(|o| o.name);
                    orgs.insert(o, n.clone());
                    n
                }
            },
            None => None,
        };
        out.push(Access {
            at: e.at,
            who,
            organisation,
            action: e.action,
        });
    }
    Ok(out)
}

impl Services {
    /// Answers a person's request to see their record: every record of the person who
    /// holds `document`, recorded under `reference` in the audit log.
    pub async fn subject_access(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        document: &str,
        reference: &str,
    ) -> Result<SubjectAccess, Error> {
        // A person answers: not an integration's token issued by an administrator.
        crate::privacy::require_office(actor)?;
        let mut e = Errors::new();
        let number = itinera_domain::documents::normalise(document);
        e.take(
            "document",
            if number.is_empty() {
                Err("validation.required")
            } else {
                Ok(())
            },
        );
        let reference = e.take("reference", required_text(reference, 120));
        e.finish()?;
        let reference = reference.unwrap_or_default();
        let mut tx = self.store.audited_read().await?;
        let found = store::records_of_document(&mut tx, &number).await?;
        let ids: Vec<Uuid> = found
            .iter()
            .filter(|(_, c)| *c)
            .map(|(id, _)| *id)
            .collect();
        let unconfirmed_records = found.len() - ids.len();
        let mut names = HashMap::new();
        let mut orgs = HashMap::new();
        let mut records = Vec::with_capacity(ids.len());
        for pid in &ids {
            let Some(p) = participants::get(&mut tx, *pid).await? else {
                continue;
            };
            let consent_list = consents::list(&mut tx, *pid).await?;
            let benefit_list = itinera_store::benefits::of_participant(&mut tx, *pid).await?;
            let mut case_views = Vec::new();
            let mut entity_ids = vec![*pid];
            entity_ids.extend(benefit_list.iter().map(|b| b.id));
            let mut household_views = Vec::new();
            for m in households::memberships_of(&mut tx, *pid).await? {
                entity_ids.push(m.household_id);
                let others = households::others_of(&mut tx, m.household_id, m.member_id)
                    .await?
                    .into_iter()
                    .map(
                        |(relationship, joined_on, left_on)| SubjectHouseholdMember {
                            relationship,
                            joined_on,
                            left_on,
                        },
                    )
                    .collect();
                let changes = households::changes_about(&mut tx, m.member_id)
                    .await?
                    .into_iter()
                    .map(|c| SubjectHouseholdChange {
                        kind: c.kind,
                        on_date: c.on_date,
                        note: c.note,
                        by_organisation_name: c.by_organisation_name,
                    })
                    .collect();
                household_views.push(SubjectHousehold {
                    formed_on: m.formed_on,
                    ended_on: m.ended_on,
                    notes: m.notes,
                    relationship: m.relationship,
                    head: m.head,
                    dependent: m.dependent,
                    joined_on: m.joined_on,
                    left_on: m.left_on,
                    left_note: m.left_note,
                    others,
                    changes,
                });
            }
            let mut case_ids = Vec::new();
            for c in cases::for_participant(&mut tx, *pid).await? {
                entity_ids.push(c.id);
                case_ids.push(c.id);
                let assessment_list = assessments::for_case(&mut tx, c.id).await?;
                let plan = itineraries::for_case(&mut tx, c.id).await?;
                let (goals, actions, reviews) = match &plan {
                    Some(it) => (
                        itineraries::goals(&mut tx, it.id).await?,
                        itineraries::actions(&mut tx, it.id).await?,
                        itineraries::reviews(&mut tx, it.id).await?,
                    ),
                    None => (Vec::new(), Vec::new(), Vec::new()),
                };
                let team = cases::team(&mut tx, c.id).await?;
                let timeline = cases::events(&mut tx, c.id).await?;
                let referral_list = referrals::of_case(&mut tx, c.id).await?;
                let course_list = training::places_of_case(&mut tx, c.id).await?;
                let contract_list = placements::contracts_of_case(&mut tx, c.id).await?;
                let incident_list = incidents::of_case(&mut tx, c.id).await?;
                let discussions = store::case_discussions(&mut tx, c.id).await?;
                let agreement_list = store::case_agreements(&mut tx, c.id).await?;
                // The team's and every service's own, whichever organisation wrote
                // them; not the professionals' personal notes.
                let contact_list = contacts::for_subject(&mut tx, CaseId(c.id)).await?;
                entity_ids.extend(assessment_list.iter().map(|a| a.row.id));
                entity_ids.extend(plan.iter().map(|p| p.id));
                entity_ids.extend(referral_list.iter().map(|r| r.id));
                entity_ids.extend(contract_list.iter().map(|k| k.id));
                entity_ids.extend(incident_list.iter().map(|i| i.id));
                entity_ids.extend(contact_list.iter().map(|k| k.row.id));
                entity_ids.extend(agreement_list.iter().map(|a| a.id));
                // Whoever read a meeting that discussed the case read its minutes of it.
                for d in &discussions {
                    if !entity_ids.contains(&d.meeting_id) {
                        entity_ids.push(d.meeting_id);
                    }
                }
                case_views.push(SubjectCase {
                    case: c.into(),
                    team: team.into_iter().map(Into::into).collect(),
                    timeline: timeline.into_iter().map(Into::into).collect(),
                    assessments: assessment_list.into_iter().map(Into::into).collect(),
                    itinerary: plan.map(Into::into),
                    goals: goals.into_iter().map(Into::into).collect(),
                    actions: actions.into_iter().map(Into::into).collect(),
                    reviews: reviews.into_iter().map(Into::into).collect(),
                    contacts: contact_list.into_iter().map(Into::into).collect(),
                    referrals: referral_list
                        .into_iter()
                        .map(|r| SubjectReferral {
                            sent_at: r.sent_at,
                            from_organisation_name: r.from_organisation_name,
                            sent_by_name: r.sent_by_name,
                            to_organisation_name: r.to_organisation_name,
                            reason: r.reason,
                            shared: r.shared,
                            status: r.status,
                            rejection_reason: r.rejection_reason,
                            outcome: r.outcome,
                            outcome_note: r.outcome_note,
                        })
                        .collect(),
                    courses: course_list
                        .into_iter()
                        .map(|k| SubjectCourse {
                            course_title: k.course_title,
                            provider_name: k.provider_name,
                            status: k.status,
                            certificate: k.certificate,
                            recorded: k.recorded,
                            absent: k.absent,
                        })
                        .collect(),
                    contracts: contract_list
                        .into_iter()
                        .map(|k| SubjectContract {
                            employer_name: k.employer_name,
                            position_title: k.position_title,
                            contract_type: k.contract_type,
                            hours_per_week: k.hours_per_week,
                            start_on: k.start_on,
                            planned_end_on: k.planned_end_on,
                            ended_on: k.ended_on,
                            end_reason: k.end_reason,
                        })
                        .collect(),
                    incidents: incident_list.into_iter().map(Into::into).collect(),
                    discussions: discussions
                        .into_iter()
                        .map(|d| SubjectDiscussion {
                            body_name: d.body_name,
                            meeting_date: d.meeting_date,
                            title: d.title,
                            minutes: d.minutes,
                        })
                        .collect(),
                    agreements: agreement_list
                        .into_iter()
                        .map(|a| SubjectAgreement {
                            body_name: a.body_name,
                            meeting_date: a.meeting_date,
                            text: a.text,
                            owner_organisation_name: a.owner_organisation_name,
                            due_on: a.due_on,
                            status: a.status,
                            status_reason: a.status_reason,
                            done_on: a.done_on,
                        })
                        .collect(),
                });
            }
            // The lists that showed the person name their record or one of their cases.
            let mentioned: Vec<Uuid> = std::iter::once(*pid).chain(case_ids).collect();
            let accesses = accesses_of(
                &mut tx,
                &entity_ids,
                &mentioned,
                p.created_at,
                &mut names,
                &mut orgs,
            )
            .await?;
            records.push(SubjectRecord {
                participant: p.into(),
                consents: consent_list.into_iter().map(Into::into).collect(),
                benefits: benefit_list
                    .into_iter()
                    .map(|b| crate::benefits::view(b, ctx.today()))
                    .collect(),
                cases: case_views,
                households: household_views,
                accesses,
            });
        }
        finish(
            tx,
            actor,
            ctx,
            Action::SubjectAccess,
            ids.first().copied(),
            json!({"reference": reference, "records": ids,
                   "unconfirmed_records": unconfirmed_records}),
        )
        .await?;
        Ok(SubjectAccess {
            reference,
            produced_at: ctx.now,
            produced_by: actor.display_name.clone(),
            records,
            unconfirmed_records,
        })
    }
}
