//! API tokens: listed (never their secret), created (shown once), revoked.
//!
//! **Who creates a token.** A person's token is created by that person, signed in (a
//! token cannot mint tokens); it acts for the organisation they are signed in to, and
//! expires (30 days by default, 90 at most). Administrators issue tokens only to
//! service accounts (integrations), for one organisation, optionally fewer roles than
//! the account holds there, and with an expiry (90 days by default, 365 at most). Every
//! audit entry made with a token names the token and who issued it. The command line,
//! which holds the database's credentials, may create any token.

use chrono::Duration;
use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability, Role};
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
    /// The roles the token carries (codes); empty: every role the account holds in
    /// the organisation.
    pub roles: Vec<String>,
}

/// A person's own token: a name and how long it lasts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OwnTokenInput {
    pub name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub expires_in_days: String,
}

/// Days a token lasts when none is asked: a person's, an integration's.
const OWN_DAYS: (i64, i64) = (30, 90);
const SERVICE_DAYS: (i64, i64) = (90, 365);

/// The expiry asked, within `(default, max)` days.
fn days_of(e: &mut Errors, asked: &str, (default, max): (i64, i64)) -> i64 {
    if asked.trim().is_empty() {
        return default;
    }
    e.take(
        "expires_in_days",
        asked
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=max).contains(d))
            .ok_or("validation.number.range"),
    )
    .unwrap_or(default)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Token {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub service_account: bool,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub name: String,
    /// The roles it carries; empty: every role of its user in its organisation.
    pub roles: Vec<String>,
    /// Who created it (the user themselves, or an administrator for a service
    /// account); `None`: the command line.
    pub issued_by: Option<Uuid>,
    pub issued_by_name: Option<String>,
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
            service_account: r.service_account,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            name: r.name,
            roles: r
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            issued_by: r.issued_by,
            issued_by_name: r.issued_by_name,
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

    /// Issues an API token to a service account (or, from the command line, to any
    /// user) and returns it: the only time it is ever shown.
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
        let days = days_of(&mut e, &input.expires_in_days, SERVICE_DAYS);
        let mut roles = Vec::new();
        for r in &input.roles {
            match Role::parse(r.trim()) {
                Some(r) if !roles.contains(&r) => roles.push(r),
                Some(_) => {}
                None => e.add("roles", "validation.choice"),
            }
        }
        if user.is_none() && input.user_id.trim().is_empty() {
            e.add("user_id", "validation.required");
        }
        if org.is_none() && input.organisation_id.trim().is_empty() {
            e.add("organisation_id", "validation.required");
        }
        e.finish()?;
        let (Some(user), Some(org)) = (user, org) else {
            return Err(Error::Internal("validation state".into()));
        };
        let mut tx = self.store.write().await?;
        let account = admin::user(&mut tx, user)
            .await?
            .ok_or(Error::field("user_id", "validation.choice"))?;
        if actor.actor().is_some() && !account.service_account {
            // A person's token is theirs to create, signed in: never an administrator's.
            return Err(Error::field(
                "user_id",
                "validation.token.not_service_account",
            ));
        }
        let holder = crate::auth::actor_for(&mut tx, user, org)
            .await
            .map_err(|_| Error::field("organisation_id", "validation.token.not_member"))?;
        if roles.iter().any(|r| !holder.roles.contains(r)) {
            return Err(Error::field("roles", "validation.token.role_not_held"));
        }
        let token = format!("itn_{}", random_secret(32));
        let id = ctx.new_id();
        let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        admin::insert_token(
            &mut tx,
            &admin::NewToken {
                id,
                user_id: UserId(user),
                org: OrganisationId(org),
                name: &name.unwrap_or_default(),
                hash: &secret_hash(&token),
                roles: &codes.join(","),
                issued_by: actor.actor().map(Actor::user),
                expires_at: Some(ctx.now + Duration::days(days)),
                now: ctx.now,
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::TokenCreate,
            Some(user),
            json!({"token": id, "organisation": org, "roles": codes, "days": days}),
        )
        .await?;
        Ok(token)
    }

    /// The signed-in user's own tokens.
    pub async fn own_tokens(&self, actor: &Actor) -> Result<Vec<Token>, Error> {
        let mut tx = self.store.read().await?;
        let t = admin::tokens_of(&mut tx, actor.user()).await?;
        tx.rollback().await?;
        Ok(t.into_iter().map(Into::into).collect())
    }

    /// A person creates a token for themselves, for the organisation they are signed in
    /// to, with the roles they hold there. Only signed in: a token cannot mint tokens.
    pub async fn create_own_token(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &OwnTokenInput,
    ) -> Result<String, Error> {
        if actor.token.is_some() {
            return Err(Error::Forbidden);
        }
        let mut e = Errors::new();
        let name = e.take("name", required_text(&input.name, 120));
        let days = days_of(&mut e, &input.expires_in_days, OWN_DAYS);
        e.finish()?;
        let mut tx = self.store.write().await?;
        let token = format!("itn_{}", random_secret(32));
        let id = ctx.new_id();
        admin::insert_token(
            &mut tx,
            &admin::NewToken {
                id,
                user_id: actor.user(),
                org: actor.organisation(),
                name: &name.unwrap_or_default(),
                hash: &secret_hash(&token),
                roles: "",
                issued_by: Some(actor.user()),
                expires_at: Some(ctx.now + Duration::days(days)),
                now: ctx.now,
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::TokenCreate,
            Some(actor.user_id),
            json!({"token": id, "organisation": actor.organisation_id, "days": days}),
        )
        .await?;
        Ok(token)
    }

    /// Revokes a token: any, by an administrator; one's own, by anyone.
    pub async fn revoke_token(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let t = admin::token(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if t.user_id != actor.user_id {
            actor.require(Capability::Administer)?;
        }
        if !admin::revoke_token(&mut tx, id, ctx.now).await? {
            return Err(Error::NotFound);
        }
        finish(tx, actor, ctx, Action::TokenRevoke, Some(id), json!({})).await
    }
}
