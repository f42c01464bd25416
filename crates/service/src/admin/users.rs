//! Users, their memberships (organisation and role), activation; the professionals a
//! form may offer.

use chrono::{DateTime, Utc};
use itinera_domain::access::{segregation, Actor, Capability, Role};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::input::{lenient_bool, optional_id, required_text, username};
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
    /// An integration's account: it never signs in with its password, never
    /// administers, and its tokens are issued by administrators.
    #[serde(deserialize_with = "lenient_bool")]
    pub service_account: bool,
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
    pub service_account: bool,
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
            service_account: r.service_account,
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

/// What adding a membership did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MembershipOutcome {
    /// The user holds the role now.
    Granted,
    /// The role reaches a person's data: a second administrator must approve it.
    Requested { grant_id: Uuid },
}

/// A request for a role that reaches a person's data, and its decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleGrant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: String,
    /// `None`: the command line.
    pub requested_by: Option<Uuid>,
    pub requested_by_name: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// `approved`, `refused`, or none while it waits.
    pub decision: Option<String>,
}

impl From<admin::RoleGrant> for RoleGrant {
    fn from(r: admin::RoleGrant) -> Self {
        RoleGrant {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            role: r.role,
            requested_by: r.requested_by,
            requested_by_name: r.requested_by_name,
            requested_at: r.requested_at,
            decided_by: r.decided_by,
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at,
            decision: r.decision,
        }
    }
}

/// Users with their memberships (one statement for a page of at most
/// `USERS_PAGE_SIZE`, or the few service accounts), in the users' order.
async fn with_memberships(
    tx: &mut itinera_store::Tx,
    users: Vec<admin::User>,
) -> Result<Vec<UserView>, Error> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut by_user: std::collections::HashMap<Uuid, Vec<admin::Membership>> =
        std::collections::HashMap::new();
    for m in admin::memberships_of(tx, &ids).await? {
        by_user.entry(m.user_id).or_default().push(m);
    }
    Ok(users
        .into_iter()
        .map(|u| {
            let memberships = by_user.remove(&u.id).unwrap_or_default();
            UserView {
                user: u.into(),
                memberships: memberships.into_iter().map(Into::into).collect(),
            }
        })
        .collect())
}

/// Every role a user holds, in any organisation.
async fn held_roles(tx: &mut itinera_store::Tx, user_id: Uuid) -> Result<Vec<Role>, Error> {
    Ok(admin::memberships(tx, user_id)
        .await?
        .iter()
        .filter_map(|m| Role::parse(&m.role))
        .collect())
}

/// Users on one page of the administrators' list.
pub const USERS_PAGE_SIZE: usize = 100;

impl Services {
    /// Requests of roles that reach a person's data: for administrators (to decide the
    /// waiting ones) and for the auditor (every one, with who asked and who approved).
    pub async fn role_grants(&self, actor: &Actor, pending: bool) -> Result<Vec<RoleGrant>, Error> {
        if !(actor.can(Capability::Administer) || actor.can(Capability::ReadAudit)) {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store.read().await?;
        let g = admin::grants(&mut tx, pending).await?;
        tx.rollback().await?;
        Ok(g.into_iter().map(Into::into).collect())
    }

    /// A second administrator approves (or refuses) a waiting request. The one who asked
    /// and the one who would receive the role cannot decide it; segregation is checked
    /// again, against the roles held now.
    pub async fn decide_grant(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        grant_id: Uuid,
        approve: bool,
    ) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        let g = admin::grant(&mut tx, grant_id)
            .await?
            .ok_or(Error::NotFound)?;
        if g.decided_at.is_some() {
            return Err(Error::Conflict("membership.grant.decided"));
        }
        // Nor by the administrator who created the account: they chose its first
        // password.
        let creator = admin::created_by(&mut tx, g.user_id).await?;
        if g.requested_by == Some(actor.user_id)
            || g.user_id == actor.user_id
            || creator == Some(actor.user_id)
        {
            return Err(Error::Conflict("membership.grant.four_eyes"));
        }
        let role = Role::parse(&g.role).ok_or_else(|| Error::Internal("role".into()))?;
        if approve {
            let user = admin::user(&mut tx, g.user_id)
                .await?
                .ok_or(Error::NotFound)?;
            let held = held_roles(&mut tx, g.user_id).await?;
            segregation(&held, role, user.service_account).map_err(Error::Conflict)?;
        }
        let decision = if approve { "approved" } else { "refused" };
        if !admin::decide_grant(&mut tx, grant_id, Some(actor.user()), decision, ctx.now).await? {
            return Err(Error::Conflict("membership.grant.decided"));
        }
        if approve {
            admin::add_membership(
                &mut tx,
                UserId(g.user_id),
                OrganisationId(g.organisation_id),
                role.code(),
                ctx.now,
            )
            .await?;
        }
        finish(
            tx,
            actor,
            ctx,
            if approve {
                Action::MembershipApprove
            } else {
                Action::MembershipRefuse
            },
            Some(g.user_id),
            json!({"grant": grant_id, "organisation": g.organisation_id, "role": g.role, "requested_by": g.requested_by}),
        )
        .await
    }

    /// The service accounts with their memberships: whom an administrator may issue a
    /// token to (the tokens page reads these alone, not every user).
    pub async fn service_accounts(&self, actor: &Actor) -> Result<Vec<UserView>, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let users = admin::service_accounts(&mut tx).await?;
        let views = with_memberships(&mut tx, users).await?;
        tx.rollback().await?;
        Ok(views)
    }

    /// One page of users (`USERS_PAGE_SIZE`, in username order, after `after`) whose
    /// username or name holds `q` (any case), with their memberships; and the username
    /// the next page starts after, when there is one.
    pub async fn users_page(
        &self,
        actor: &Actor,
        q: &str,
        after: &str,
    ) -> Result<(Vec<UserView>, Option<String>), Error> {
        let mut users = self
            .users_matching(actor, q, after, 0, USERS_PAGE_SIZE as i64 + 1)
            .await?;
        let next = if users.len() > USERS_PAGE_SIZE {
            users.truncate(USERS_PAGE_SIZE);
            users.last().map(|u| u.user.username.clone())
        } else {
            None
        };
        Ok((users, next))
    }

    /// The API's list: a numbered page of users whose username or name holds `q`.
    pub async fn users_listed(
        &self,
        actor: &Actor,
        q: &str,
        page: itinera_domain::PageRequest,
    ) -> Result<itinera_domain::Page<UserView>, Error> {
        let users = self
            .users_matching(actor, q, "", page.offset(), page.limit() + 1)
            .await?;
        Ok(itinera_domain::Page::from_overfetch(users, page))
    }

    async fn users_matching(
        &self,
        actor: &Actor,
        q: &str,
        after: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<UserView>, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let users = admin::users_matching(&mut tx, q, after, offset, limit).await?;
        let views = with_memberships(&mut tx, users).await?;
        tx.rollback().await?;
        Ok(views)
    }

    /// One user with their memberships.
    pub async fn user_view(&self, actor: &Actor, id: Uuid) -> Result<UserView, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let user = admin::user(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let view = with_memberships(&mut tx, vec![user]).await?.pop();
        tx.rollback().await?;
        view.ok_or(Error::NotFound)
    }

    /// Users and memberships for the command line (run by whoever holds the database).
    pub async fn users_for_cli(&self) -> Result<Vec<UserView>, Error> {
        let mut tx = self.store.read().await?;
        let users = admin::users(&mut tx).await?;
        let mut by_user: std::collections::HashMap<Uuid, Vec<_>> = std::collections::HashMap::new();
        for m in admin::all_memberships(&mut tx).await? {
            by_user.entry(m.user_id).or_default().push(m);
        }
        tx.rollback().await?;
        Ok(users
            .into_iter()
            .map(|u| {
                let m = by_user.remove(&u.id).unwrap_or_default();
                UserView {
                    user: u.into(),
                    memberships: m.into_iter().map(Into::into).collect(),
                }
            })
            .collect())
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
        let username = e.take("username", username(&input.username));
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
                service_account: input.service_account,
            },
            ctx.now,
        )
        .await?;
        if let Some(a) = actor.actor() {
            admin::set_created_by(&mut tx, id, a.user_id).await?;
        }
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

    /// Gives a user a role in an organisation. Segregation of duties holds for every
    /// caller (`access::segregation`). A role that reaches a person's data, asked by an
    /// administrator, is only *requested*: a second administrator approves it
    /// (`decide_grant`). The command line (which holds the database's credentials)
    /// grants at once; its grant is recorded for the auditor all the same.
    pub async fn add_membership(
        &self,
        actor: Caller<'_>,
        ctx: &Ctx,
        user_id: Uuid,
        input: &MembershipInput,
    ) -> Result<MembershipOutcome, Error> {
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
        let user = admin::user(&mut tx, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        admin::organisation(&mut tx, org)
            .await?
            .ok_or(Error::field("organisation_id", "validation.choice"))?;
        let held = held_roles(&mut tx, user_id).await?;
        segregation(&held, role, user.service_account)
            .map_err(|code| Error::field("role", code))?;
        if let Some(a) = actor.actor() {
            if a.user_id == user_id && role.needs_second_approval() {
                return Err(Error::field("role", "membership.grant.self"));
            }
        }
        let (user_id, org_id) = (UserId(user_id), OrganisationId(org));
        if role.needs_second_approval() {
            let id = ctx.new_id();
            admin::insert_grant(
                &mut tx,
                &admin::NewGrant {
                    id,
                    user_id,
                    org: org_id,
                    role: role.code(),
                    requested_by: actor.actor().map(Actor::user),
                    now: ctx.now,
                },
            )
            .await?;
            if let Caller::Actor(_) = actor {
                finish(
                    tx,
                    actor,
                    ctx,
                    Action::MembershipRequest,
                    Some(user_id.0),
                    json!({"grant": id, "organisation": org, "role": role.code()}),
                )
                .await?;
                return Ok(MembershipOutcome::Requested { grant_id: id });
            }
            // The command line: asked and decided at once, both recorded.
            admin::decide_grant(&mut tx, id, None, "approved", ctx.now).await?;
        }
        admin::add_membership(&mut tx, user_id, org_id, role.code(), ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::MembershipCreate,
            Some(user_id.0),
            json!({"organisation": org, "role": role.code()}),
        )
        .await?;
        Ok(MembershipOutcome::Granted)
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
        if !admin::remove_membership(&mut tx, user_id, membership_id).await? {
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
