//! Territories: region > province > municipality > zone, with their official codes.

use itinera_domain::access::{Actor, Capability};
use itinera_domain::input::{optional_id, required_text};
use itinera_domain::org::TerritoryLevel;
use itinera_domain::text::clean;
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
pub struct TerritoryInput {
    pub name: String,
    pub level: String,
    pub code: String,
    pub parent_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Territory {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub level: String,
    pub code: Option<String>,
    pub name: String,
}

impl From<itinera_store::admin::Territory> for Territory {
    fn from(r: itinera_store::admin::Territory) -> Self {
        Territory {
            id: r.id,
            parent_id: r.parent_id,
            level: r.level,
            code: r.code,
            name: r.name,
        }
    }
}

impl Services {
    pub async fn territories(&self, actor: &Actor) -> Result<Vec<Territory>, Error> {
        // Territories are reference data that every professional's forms need.
        let _ = actor;
        let mut tx = self.store.read().await?;
        let t = admin::territories(&mut tx).await?;
        tx.rollback().await?;
        Ok(t.into_iter().map(Into::into).collect())
    }

    pub async fn create_territory(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &TerritoryInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let name = e.take("name", required_text(&input.name, 120));
        let level = e.take(
            "level",
            TerritoryLevel::parse(input.level.trim()).ok_or("validation.choice"),
        );
        let parent = e.take("parent_id", optional_id(&input.parent_id)).flatten();
        e.finish()?;
        let mut tx = self.store.write().await?;
        if let (Some(level), Some(pid)) = (level, parent) {
            let p = admin::territory(&mut tx, pid)
                .await?
                .ok_or(Error::field("parent_id", "validation.choice"))?;
            let plevel = TerritoryLevel::parse(&p.level);
            if plevel.and_then(|l| l.child()) != Some(level) {
                return Err(Error::field(
                    "parent_id",
                    "validation.territory.parent_level",
                ));
            }
        } else if level != Some(TerritoryLevel::Region) {
            return Err(Error::field("parent_id", "validation.required"));
        }
        let id = ctx.new_id();
        let t = admin::Territory {
            id,
            parent_id: parent,
            level: level.map(|l| l.code().to_string()).unwrap_or_default(),
            code: clean(&input.code),
            name: name.unwrap_or_default(),
        };
        admin::insert_territory(&mut tx, &t, ctx.now)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::field("code", "validation.code_taken"),
                o => o,
            })?;
        finish(
            tx,
            actor,
            ctx,
            Action::TerritoryCreate,
            Some(id),
            json!({"name": t.name}),
        )
        .await?;
        Ok(id)
    }
}
