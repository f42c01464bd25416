//! Network agreements: collaboration agreements and protocols between organisations,
//! recorded by those who convene bodies, listed and searched by every coordination
//! member.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::ids::BodyId;
use itinera_domain::Error;
use itinera_store::coordination::{self as store, Reference};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::visible_body;
use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkAgreement {
    pub id: Uuid,
    pub subject: String,
    pub kind: String,
    pub signed_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub document_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Filled after the query: the parties' names, the programmes' codes.
    pub parties: Vec<String>,
    pub programmes: Vec<String>,
    /// The bodies it serves that the reader is a member of.
    pub bodies: Vec<String>,
}

impl From<itinera_store::coordination::NetworkAgreement> for NetworkAgreement {
    fn from(r: itinera_store::coordination::NetworkAgreement) -> Self {
        NetworkAgreement {
            id: r.id,
            subject: r.subject,
            kind: r.kind,
            signed_on: r.signed_on,
            valid_until: r.valid_until,
            document_ref: r.document_ref,
            created_at: r.created_at,
            parties: r.parties,
            programmes: r.programmes,
            bodies: r.bodies,
        }
    }
}

/// A network agreement as listed: in force or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkAgreementView {
    #[serde(flatten)]
    pub agreement: NetworkAgreement,
    pub in_force: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkAgreements {
    pub items: Vec<NetworkAgreementView>,
    pub in_force: usize,
    pub total: usize,
}

impl Services {
    /// Records a collaboration agreement or protocol between organisations.
    pub async fn create_network_agreement(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &itinera_domain::network::NetworkAgreementInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let d = input.validate()?;
        // An agreement is recorded by one of its parties (or the network's coordinator):
        // no one records a protocol in other organisations' names.
        if !d.parties.contains(&actor.organisation_id)
            && !actor
                .roles
                .contains(&itinera_domain::access::Role::Coordinator)
        {
            return Err(Error::field("parties", "network.not_a_party"));
        }
        if d.signed_on > ctx.today() {
            return Err(Error::field("signed_on", "validation.date.future"));
        }
        let mut tx = self.store.write().await?;
        for o in &d.parties {
            if !store::reference_exists(&mut tx, Reference::Organisations, *o).await? {
                return Err(Error::field("parties", "validation.choice"));
            }
        }
        for p in &d.programmes {
            if !store::reference_exists(&mut tx, Reference::Programmes, *p).await? {
                return Err(Error::field("programmes", "validation.choice"));
            }
        }
        // Only bodies the actor is a member of.
        for b in &d.bodies {
            if store::body(&mut tx, BodyId(*b), actor.user(), actor.organisation())
                .await?
                .is_none()
            {
                return Err(Error::field("bodies", "validation.choice"));
            }
        }
        let id = ctx.new_id();
        store::insert_network_agreement(&mut tx, id, &d, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::NetworkAgreementCreate,
            Some(id),
            json!({"parties": d.parties}),
        )
        .await?;
        Ok(id)
    }

    /// The network's agreements, searched by subject or party, with how many are in
    /// force today.
    pub async fn network_agreements(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        query: &str,
        body: Option<Uuid>,
    ) -> Result<NetworkAgreements, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        if let Some(b) = body {
            visible_body(&mut tx, actor, b).await?;
        }
        let rows =
            store::network_agreements(&mut tx, query, body, actor.user(), actor.organisation())
                .await?;
        tx.commit().await?;
        let items: Vec<NetworkAgreementView> = rows
            .into_iter()
            .map(|a| NetworkAgreementView {
                in_force: itinera_domain::network::in_force(
                    a.signed_on,
                    a.valid_until,
                    ctx.today(),
                ),
                agreement: a.into(),
            })
            .collect();
        Ok(NetworkAgreements {
            in_force: items.iter().filter(|a| a.in_force).count(),
            total: items.len(),
            items,
        })
    }
}
