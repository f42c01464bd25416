//! Users, their memberships (organisation and role), activation; the professionals a
//! form may offer.

use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::input::{lenient_bool, optional_id, required_text};
use itinera_domain::text::clean;
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::auth::{check_password_policy, hash_password};
use crate::{Caller, Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub locale: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub active: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct MembershipInput {
    pub organisation_id: String,
    pub role: String,
}

/// A user, as administrators see them: never the password's hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub locale: String,
    pub active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl From<itinera_store::admin::User> for User {
    fn from(r: itinera_store::admin::User) -> Self {
        User {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            locale: r.locale,
            active: r.active,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Membership {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub role: String,
}

impl From<itinera_store::admin::Membership> for Membership {
    fn from(r: itinera_store::admin::Membership) -> Self {
        Membership {
            id: r.id,
            user_id: r.user_id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            organisation_kind: r.organisation_kind,
            role: r.role,
        }
    }
}

/// A user with their memberships (organisation and role).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub user: User,
    pub memberships: Vec<Membership>,
}

/// The professionals of an organisation (for case teams), with their roles there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Professional {
    pub user_id: Uuid,
    pub display_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: String,
}

impl From<itinera_store::admin::Professional> for Professional {
    fn from(r: itinera_store::admin::Professional) -> Self {
        Professional {
            user_id: r.user_id,
            display_name: r.display_name,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            role: r.role,
        }
    }
}

impl Services {
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserView>, Error> {
        actor.require(Capability::Administer)?;
        self.users_for_cli().await
    }

    /// Users and memberships for the command line (run by whoever holds the database).
    pub async fn users_for_cli(&self) -> Result<Vec<UserView>, Error> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for u in admin::users(&mut tx).await? {
            let m = admin::memberships(&mut tx, u.id).await?;
            out.push(UserView {
                user: u.into(),
                memberships: m.into_iter().map(Into::into).collect(),
            });
        }
        tx.rollback().await?;
        Ok(out)
    }

    /// Every user's id and username (for the audit log's "who").
    pub async fn usernames(&self) -> Result<Vec<(Uuid, String)>, Error> {
        let mut tx = self.store.read().await?;
        let u = admin::users(&mut tx)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        tx.rollback().await?;
        Ok(u)
    }

    /// Professionals to offer in a form, and whether the list had to be cut to the
    /// actor alone (see `store::admin::professionals_near`).
    pub async fn professionals_near(
        &self,
        find: &str,
        org: Uuid,
        case_id: Option<Uuid>,
        me: Uuid,
    ) -> Result<(Vec<Professional>, bool), Error> {
        let mut tx = self.store.read().await?;
        let (p, cut) = admin::professionals_near(&mut tx, find, org, case_id, me).await?;
        tx.rollback().await?;
        Ok((p.into_iter().map(Into::into).collect(), cut))
    }

    /// Creates a user; used by the admin pages, the API and `itinera user add`.
    pub async fn create_user(
        &self,
        actor: Caller<'_>,
        ctx: &Ctx,
        input: &UserInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let username = e
            .take("username", required_text(&input.username, 64))
            .map(|u| u.to_lowercase());
        if let Some(u) = &username {
            if !u
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                e.add("username", "validation.username.format");
            }
        }
        let display_name = e.take("display_name", required_text(&input.display_name, 120));
        if let Err(Error::Invalid(f)) = check_password_policy(&input.password) {
            f.into_iter().for_each(|f| e.add(f.field, f.code));
        }
        let locale = if input.locale.trim().is_empty() {
            "es".to_string()
        } else {
            input.locale.trim().to_string()
        };
        if !["es", "ca", "it", "en"].contains(&locale.as_str()) {
            e.add("locale", "validation.choice");
        }
        e.finish()?;
        let hash = hash_password(&input.password)?;
        let mut tx = self.store.write().await?;
        let id = ctx.new_id();
        admin::insert_user(
            &mut tx,
            &admin::User {
                id,
                username: username.unwrap_or_default(),
                display_name: display_name.unwrap_or_default(),
                email: clean(&input.email),
                password_hash: hash,
                locale,
                active: true,
                failed_logins: 0,
                locked_until: None,
            },
            ctx.now,
        )
        .await?;
        finish(tx, actor, ctx, Action::UserCreate, Some(id), json!({})).await?;
        Ok(id)
    }

    pub async fn set_user_active(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        user_id: Uuid,
        active: bool,
    ) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        let mut u = admin::user(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        u.active = active;
        admin::update_user(&mut tx, &u).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::UserUpdate,
            Some(user_id),
            json!({"active": active}),
        )
        .await
    }

    pub async fn add_membership(
        &self,
        actor: Caller<'_>,
        ctx: &Ctx,
        user_id: Uuid,
        input: &MembershipInput,
    ) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let org = e
            .take("organisation_id", optional_id(&input.organisation_id))
            .flatten();
        if org.is_none() && input.organisation_id.trim().is_empty() {
            e.add("organisation_id", "validation.required");
        }
        let role = e.take(
            "role",
            Role::parse(input.role.trim()).ok_or("validation.choice"),
        );
        e.finish()?;
        let (Some(org), Some(role)) = (org, role) else {
            return Err(Error::Internal("validation state".into()));
        };
        let mut tx = self.store.write().await?;
        admin::user(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        admin::organisation(&mut tx, org)
            .await?
            .ok_or(Error::field("organisation_id", "validation.choice"))?;
        admin::add_membership(
            &mut tx,
            UserId(user_id),
            OrganisationId(org),
            role.code(),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::MembershipCreate,
            Some(user_id),
            json!({"organisation": org, "role": role.code()}),
        )
        .await
    }

    pub async fn remove_membership(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        user_id: Uuid,
        membership_id: Uuid,
    ) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        if !admin::remove_membership(&mut tx, membership_id).await? {
            return Err(Error::NotFound);
        }
        finish(
            tx,
            actor,
            ctx,
            Action::MembershipDelete,
            Some(user_id),
            json!({"membership": membership_id}),
        )
        .await
    }
}
