//! The contact log of a case, under the visibility rule.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::contact::{check_contact, ContactInput};
use itinera_domain::Error;
use itinera_store::cases::{Case, TeamMember};
use itinera_store::contacts::{self, Contact, NewContact};
use itinera_store::{cases, participants};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::load_case;
use crate::guard::{in_team, require_team_writer};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize)]
pub struct ContactsView {
    pub case: Case,
    pub participant_name: String,
    /// Only the contacts the reader may read.
    pub contacts: Vec<Contact>,
    pub team: Vec<TeamMember>,
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
        let list =
            contacts::for_case(&mut tx, case_id, actor.user_id, actor.organisation_id).await?;
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
            case,
            participant_name: p.data.full_name(),
            contacts: list,
            team,
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
