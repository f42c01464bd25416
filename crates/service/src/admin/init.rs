//! Starting a real deployment without the demo: `itinera init` makes, on an empty
//! database, the first territory (a region), the first organisation and its first
//! administrator, in one transaction, and says what to do next. Refused once the
//! deployment has any user.

use itinera_domain::access::Role;
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::input::{required_text, username};
use itinera_domain::org::{OrganisationKind, TerritoryLevel};
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde_json::json;

use crate::audit::{finish, Action};
use crate::auth::{check_password_policy, hash_password};
use crate::{Caller, Ctx, Services};

/// What `itinera init` asks for.
#[derive(Debug, Clone, Default)]
pub struct InitInput {
    pub territory: String,
    pub organisation: String,
    pub kind: String,
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct Initialised {
    pub territory_id: uuid::Uuid,
    pub organisation_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
}

impl Services {
    /// Sets up an empty deployment (see the module's documentation).
    pub async fn initialise(&self, ctx: &Ctx, input: &InitInput) -> Result<Initialised, Error> {
        let mut e = Errors::new();
        let territory = e.take("territory", required_text(&input.territory, 120));
        let organisation = e.take("organisation", required_text(&input.organisation, 200));
        let kind = e.take(
            "kind",
            OrganisationKind::parse(input.kind.trim()).ok_or("validation.choice"),
        );
        let username = e.take("username", username(&input.username));
        let display_name = e.take("display_name", required_text(&input.display_name, 120));
        if let Err(Error::Invalid(f)) = check_password_policy(&input.password) {
            f.into_iter().for_each(|f| e.add(f.field, f.code));
        }
        e.finish()?;
        let (Some(territory), Some(organisation), Some(kind), Some(username), Some(display_name)) =
            (territory, organisation, kind, username, display_name)
        else {
            return Err(Error::Internal("validation state".into()));
        };
        let hash = hash_password(&input.password)?;
        let mut tx = self.store.write().await?;
        if !admin::users(&mut tx).await?.is_empty() {
            return Err(Error::Conflict("init.already"));
        }
        let territory_id = ctx.new_id();
        admin::insert_territory(
            &mut tx,
            &admin::Territory {
                id: territory_id,
                parent_id: None,
                level: TerritoryLevel::Region.code().into(),
                code: None,
                name: territory,
            },
            ctx.now,
        )
        .await?;
        let organisation_id = ctx.new_id();
        admin::upsert_organisation(
            &mut tx,
            &admin::Organisation {
                id: organisation_id,
                name: organisation,
                kind: kind.code().into(),
                territory_id: Some(territory_id),
                territory_name: None,
                active: true,
            },
            ctx.now,
        )
        .await?;
        let user_id = ctx.new_id();
        admin::insert_user(
            &mut tx,
            &admin::User {
                id: user_id,
                username,
                display_name,
                email: None,
                password_hash: hash,
                locale: "es".into(),
                active: true,
                failed_logins: 0,
                locked_until: None,
                service_account: false,
            },
            ctx.now,
        )
        .await?;
        admin::add_membership(
            &mut tx,
            UserId(user_id),
            OrganisationId(organisation_id),
            Role::Admin.code(),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            Caller::CommandLine,
            ctx,
            Action::DeploymentInit,
            Some(user_id),
            json!({"territory": territory_id, "organisation": organisation_id}),
        )
        .await?;
        Ok(Initialised {
            territory_id,
            organisation_id,
            user_id,
        })
    }
}
