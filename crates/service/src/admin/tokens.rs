//! API tokens: listed (never their secret), created (shown once), revoked.

use chrono::Duration;
use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::input::{lenient_string, optional_id, required_text};
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::auth::{random_secret, secret_hash};
use crate::{Caller, Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TokenInput {
    pub user_id: String,
    pub organisation_id: String,
    pub name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub expires_in_days: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Token {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<itinera_store::admin::Token> for Token {
    fn from(r: itinera_store::admin::Token) -> Self {
        Token {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            name: r.name,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl Services {
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<Token>, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let t = admin::tokens(&mut tx).await?;
        tx.rollback().await?;
        Ok(t.into_iter().map(Into::into).collect())
    }

    /// Creates an API token and returns it: the only time it is ever shown.
    pub async fn create_token(
        &self,
        actor: Caller<'_>,
        ctx: &Ctx,
        input: &TokenInput,
    ) -> Result<String, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let user = e.take("user_id", optional_id(&input.user_id)).flatten();
        let org = e
            .take("organisation_id", optional_id(&input.organisation_id))
            .flatten();
        let name = e.take("name", required_text(&input.name, 120));
        let days = if input.expires_in_days.trim().is_empty() {
            None
        } else {
            e.take(
                "expires_in_days",
                input
                    .expires_in_days
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or("validation.number.range"),
            )
        };
        e.finish()?;
        let (Some(user), Some(org)) = (user, org) else {
            return Err(Error::Invalid(vec![itinera_domain::FieldError::new(
                "user_id",
                "validation.required",
            )]));
        };
        let mut tx = self.store.write().await?;
        crate::auth::actor_for(&mut tx, user, org)
            .await
            .map_err(|_| Error::field("organisation_id", "validation.token.not_member"))?;
        let token = format!("itn_{}", random_secret(32));
        let id = ctx.new_id();
        admin::insert_token(
            &mut tx,
            id,
            UserId(user),
            OrganisationId(org),
            &name.unwrap_or_default(),
            &secret_hash(&token),
            days.map(|d| ctx.now + Duration::days(d)),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::TokenCreate,
            Some(user),
            json!({"token": id, "organisation": org}),
        )
        .await?;
        Ok(token)
    }

    pub async fn revoke_token(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        if !admin::revoke_token(&mut tx, id, ctx.now).await? {
            return Err(Error::NotFound);
        }
        finish(tx, actor, ctx, Action::TokenRevoke, Some(id), json!({})).await
    }
}
