//! The contact log of a case, under the visibility rule.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::contact::{check_contact, ContactInput};
use itinera_domain::ids::CaseId;
use itinera_domain::Error;
use itinera_store::contacts::{self, NewContact};
use itinera_store::{cases, participants};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::load_case;
use crate::guard::{in_team, require_team_writer};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// A contact as the reader may read it (the visibility rule chose it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactRecord {
    pub id: Uuid,
    pub happened_on: NaiveDate,
    pub kind: String,
    pub summary: String,
    pub next_step: Option<String>,
    /// When the next step is due.
    pub next_step_on: Option<NaiveDate>,
    pub visibility: String,
    pub author_id: Uuid,
    pub author_name: String,
    pub author_organisation_id: Uuid,
    pub author_organisation_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::contacts::ContactRow> for ContactRecord {
    fn from(r: itinera_store::contacts::ContactRow) -> Self {
        ContactRecord {
            id: r.id,
            happened_on: r.happened_on,
            kind: r.kind,
            summary: r.summary,
            next_step: r.next_step,
            next_step_on: r.next_step_on,
            visibility: r.visibility,
            author_id: r.author_id,
            author_name: r.author_name,
            author_organisation_id: r.author_organisation_id,
            author_organisation_name: r.author_organisation_name,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactProfessional {
    pub user_id: Uuid,
    pub user_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
}

impl From<itinera_store::contacts::ContactProfessional> for ContactProfessional {
    fn from(r: itinera_store::contacts::ContactProfessional) -> Self {
        ContactProfessional {
            user_id: r.user_id,
            user_name: r.user_name,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    #[serde(flatten)]
    pub row: ContactRecord,
    pub professionals: Vec<ContactProfessional>,
}

impl From<itinera_store::contacts::Contact> for Contact {
    fn from(r: itinera_store::contacts::Contact) -> Self {
        Contact {
            row: r.row.into(),
            professionals: r.professionals.into_iter().map(Into::into).collect(),
        }
    }
}

/// A case's contact log as one reader may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactsView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    /// Only the contacts the reader may read.
    pub contacts: Vec<Contact>,
    pub team: Vec<crate::cases::TeamMember>,
    pub can_record: bool,
}

impl Services {
    pub async fn contacts(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<ContactsView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let p = participants::get(&mut tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let list = contacts::for_case(&mut tx, CaseId(case_id), actor.user(), actor.organisation())
            .await?;
        let team = cases::team(&mut tx, case_id).await?;
        let can_record = actor.can(Capability::WritePersonData)
            && case.status != "closed"
            && in_team(&team, actor);
        finish(
            tx,
            actor,
            ctx,
            Action::ContactRead,
            Some(case_id),
            json!({"count": list.len()}),
        )
        .await?;
        Ok(ContactsView {
            case: case.into(),
            participant_name: p.data.full_name(),
            contacts: list.into_iter().map(Into::into).collect(),
            team: team.into_iter().map(Into::into).collect(),
            can_record,
        })
    }

    pub async fn record_contact(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &ContactInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let data = check_contact(
            input,
            (actor.user_id, actor.organisation_id),
            case.opened_on,
            ctx.today(),
        )?;
        // Who took part must be on the case team (the author is, by the check above).
        let team = cases::team(&mut tx, case_id).await?;
        if data.professionals.iter().any(|(u, o)| {
            !team
                .iter()
                .any(|m| m.user_id == *u && m.organisation_id == *o)
        }) {
            return Err(Error::field(
                "professionals",
                "validation.contact.not_on_team",
            ));
        }
        let id = ctx.new_id();
        contacts::insert(
            &mut tx,
            &NewContact {
                id,
                case_id,
                home_organisation_id: case.home_organisation_id,
                data: &data,
                author_id: actor.user_id,
                author_organisation_id: actor.organisation_id,
                now: ctx.now,
            },
        )
        .await?;
        finish(tx, actor, ctx, Action::ContactCreate, Some(id),
            json!({"case": case_id, "kind": data.kind.code(), "visibility": data.visibility.code()})).await?;
        Ok(id)
    }
}
