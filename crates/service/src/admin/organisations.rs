//! Organisations of the network: kinds, territories, active or not.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::input::{lenient_bool, optional_id, required_text};
use itinera_domain::org::OrganisationKind;
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OrganisationInput {
    pub name: String,
    pub kind: String,
    pub territory_id: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub territory_id: Option<Uuid>,
    pub territory_name: Option<String>,
    pub active: bool,
}

impl From<itinera_store::admin::Organisation> for Organisation {
    fn from(r: itinera_store::admin::Organisation) -> Self {
        Organisation {
            id: r.id,
            name: r.name,
            kind: r.kind,
            territory_id: r.territory_id,
            territory_name: r.territory_name,
            active: r.active,
        }
    }
}

impl Services {
    /// Organisations are reference data: any signed-in user may list them.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, Error> {
        let mut tx = self.store.read().await?;
        let o = admin::organisations(&mut tx).await?;
        tx.rollback().await?;
        Ok(o.into_iter().map(Into::into).collect())
    }

    pub async fn save_organisation(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Option<Uuid>,
        input: &OrganisationInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let name = e.take("name", required_text(&input.name, 160));
        let kind = e.take(
            "kind",
            OrganisationKind::parse(input.kind.trim()).ok_or("validation.choice"),
        );
        let territory = e
            .take("territory_id", optional_id(&input.territory_id))
            .flatten();
        e.finish()?;
        let mut tx = self.store.write().await?;
        if let Some(t) = territory {
            admin::territory(&mut tx, t)
                .await?
                .ok_or(Error::field("territory_id", "validation.choice"))?;
        }
        if let Some(id) = id {
            admin::organisation(&mut tx, id)
                .await?
                .ok_or(Error::NotFound)?;
        }
        let id = id.unwrap_or_else(|| ctx.new_id());
        let o = admin::Organisation {
            id,
            name: name.unwrap_or_default(),
            kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
            territory_id: territory,
            territory_name: None,
            active: input.active,
        };
        admin::upsert_organisation(&mut tx, &o, ctx.now)
            .await
            .map_err(|e| match e {
                // The unique index (both engines): said on the field.
                Error::Conflict(_) => Error::field("name", "validation.name_taken"),
                e => e,
            })?;
        finish(
            tx,
            actor,
            ctx,
            Action::OrganisationSave,
            Some(id),
            json!({"name": o.name, "kind": o.kind}),
        )
        .await?;
        Ok(id)
    }
}
