//! A person's right to see their own record (GDPR Art. 15) and to take it with them
//! (Art. 20): the data-protection office answers a request it records with its
//! reference, by the person's document number (exact: never a search), and gets every
//! record of that person in the network — the data, consents, cases with their
//! assessments, itinerary and contacts (as the record's own organisation sees them:
//! a professional's private notes stay out), and who accessed each record and its
//! cases, and when, from the audit log. As JSON (the API) and as a readable, printable
//! page. The answer is itself audited, under its reference, before it leaves.

use chrono::{DateTime, Utc};
use itinera_domain::access::Actor;
use itinera_domain::ids::{CaseId, OrganisationId, UserId};
use itinera_domain::input::required_text;
use itinera_domain::{Error, Errors, PageRequest};
use itinera_store::{admin, assessments, audit, cases, consents, contacts, itineraries};
use itinera_store::{participants, subject_rights as store, Tx};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assessments::Assessment;
use crate::audit::{finish, Action};
use crate::cases::Case;
use crate::contacts::Contact;
use crate::itineraries::{ItineraryAction, ItineraryGoal};
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
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectRecord {
    pub participant: Participant,
    pub consents: Vec<Consent>,
    pub cases: Vec<SubjectCase>,
    /// Who read or changed this record or its cases, and when (newest first).
    pub accesses: Vec<Access>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectCase {
    pub case: Case,
    pub assessments: Vec<Assessment>,
    pub goals: Vec<ItineraryGoal>,
    pub actions: Vec<ItineraryAction>,
    pub contacts: Vec<Contact>,
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

async fn accesses_of(
    tx: &mut Tx,
    ids: &[Uuid],
    names: &mut HashMap<Uuid, Option<String>>,
    orgs: &mut HashMap<Uuid, Option<String>>,
) -> Result<Vec<Access>, Error> {
    let mut out = Vec::new();
    for id in ids {
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
            for e in p.items {
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
            if !p.has_more || page * PageRequest::MAX_PER_PAGE >= MAX_ACCESSES {
                break;
            }
            page += 1;
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.at));
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
        let ids = store::records_of_document(&mut tx, &number).await?;
        let mut names = HashMap::new();
        let mut orgs = HashMap::new();
        let mut records = Vec::with_capacity(ids.len());
        for pid in &ids {
            let Some(p) = participants::get(&mut tx, *pid).await? else {
                continue;
            };
            let home = p.home_organisation_id;
            let consent_list = consents::list(&mut tx, *pid).await?;
            let mut case_views = Vec::new();
            let mut entity_ids = vec![*pid];
            for c in cases::for_participant(&mut tx, *pid).await? {
                entity_ids.push(c.id);
                let assessment_list = assessments::for_case(&mut tx, c.id).await?;
                let (goals, actions) = match itineraries::for_case(&mut tx, c.id).await? {
                    Some(it) => (
                        itineraries::goals(&mut tx, it.id).await?,
                        itineraries::actions(&mut tx, it.id).await?,
                    ),
                    None => (Vec::new(), Vec::new()),
                };
                // As the record's own organisation sees them: no professional's
                // private notes (the reader is no one in particular).
                let contact_list = contacts::for_case(
                    &mut tx,
                    CaseId(c.id),
                    UserId(Uuid::nil()),
                    OrganisationId(home),
                )
                .await?;
                case_views.push(SubjectCase {
                    case: c.into(),
                    assessments: assessment_list.into_iter().map(Into::into).collect(),
                    goals: goals.into_iter().map(Into::into).collect(),
                    actions: actions.into_iter().map(Into::into).collect(),
                    contacts: contact_list.into_iter().map(Into::into).collect(),
                });
            }
            let accesses = accesses_of(&mut tx, &entity_ids, &mut names, &mut orgs).await?;
            records.push(SubjectRecord {
                participant: p.into(),
                consents: consent_list.into_iter().map(Into::into).collect(),
                cases: case_views,
                accesses,
            });
        }
        finish(
            tx,
            actor,
            ctx,
            Action::SubjectAccess,
            ids.first().copied(),
            json!({"reference": reference, "records": ids}),
        )
        .await?;
        Ok(SubjectAccess {
            reference,
            produced_at: ctx.now,
            produced_by: actor.display_name.clone(),
            records,
        })
    }
}
