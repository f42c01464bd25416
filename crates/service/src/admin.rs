//! Administration: territories, organisations, programmes (workflow, funding, projects),
//! users, memberships and API tokens. Administrators configure; they never read cases.

use chrono::Duration;
use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::case::{validate_workflow, DEFAULT_PHASES};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::input::{lenient_bool, lenient_string, optional_id, parse_date, required_text};
use itinera_domain::org::{
    check_funding, validate_code, FundingShare, OrganisationKind, TerritoryLevel,
};
use itinera_domain::text::clean;
use itinera_domain::{Error, Errors};
use itinera_store::admin;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::auth::{check_password_policy, hash_password, random_secret, secret_hash};
use crate::{Caller, Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TerritoryInput {
    pub name: String,
    pub level: String,
    pub code: String,
    pub parent_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OrganisationInput {
    pub name: String,
    pub kind: String,
    pub territory_id: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub active: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProgrammeInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub feeds_programme_id: String,
    #[serde(deserialize_with = "lenient_string")]
    pub start_date: String,
    #[serde(deserialize_with = "lenient_string")]
    pub end_date: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub active: bool,
    /// Phase codes in order, one per line (or a JSON list joined by the API).
    pub phases: String,
    /// Funding shares, one `FUND=PERCENT` per line, e.g. `FSE=80`.
    pub funding: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProjectInput {
    pub code: String,
    pub name: String,
    pub territory_id: String,
    pub organisation_id: String,
}

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
pub struct ProgrammeView {
    #[serde(flatten)]
    pub programme: Programme,
    pub phases: Vec<Phase>,
    pub funding: Vec<Funding>,
    pub projects: Vec<Project>,
}

// ---- What leaves the server -------------------------------------------------------

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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Programme {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub feeds_programme_id: Option<Uuid>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub active: bool,
}

impl From<itinera_store::admin::Programme> for Programme {
    fn from(r: itinera_store::admin::Programme) -> Self {
        Programme {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            feeds_programme_id: r.feeds_programme_id,
            start_date: r.start_date,
            end_date: r.end_date,
            active: r.active,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Phase {
    pub position: i32,
    pub code: String,
    pub label: String,
}

impl From<itinera_store::admin::Phase> for Phase {
    fn from(r: itinera_store::admin::Phase) -> Self {
        Phase {
            position: r.position,
            code: r.code,
            label: r.label,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funding {
    pub id: Uuid,
    pub fund: String,
    pub share_bp: i32,
}

impl From<itinera_store::admin::Funding> for Funding {
    fn from(r: itinera_store::admin::Funding) -> Self {
        Funding {
            id: r.id,
            fund: r.fund,
            share_bp: r.share_bp,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub code: String,
    pub name: String,
    pub territory_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

impl From<itinera_store::admin::Project> for Project {
    fn from(r: itinera_store::admin::Project) -> Self {
        Project {
            id: r.id,
            programme_id: r.programme_id,
            code: r.code,
            name: r.name,
            territory_id: r.territory_id,
            organisation_id: r.organisation_id,
        }
    }
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

/// Parses `FUND=PERCENT` lines into shares in basis points.
pub fn parse_funding(raw: &str) -> Result<Vec<FundingShare>, &'static str> {
    let mut out = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (fund, pct) = line.split_once('=').ok_or("validation.funding.format")?;
        let pct: f64 = pct
            .trim()
            .replace(',', ".")
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| "validation.funding.format")?;
        out.push(FundingShare {
            fund: fund.trim().to_string(),
            share_bp: (pct * 100.0).round() as i32,
        });
    }
    check_funding(&out)?;
    Ok(out)
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
        admin::upsert_organisation(&mut tx, &o, ctx.now).await?;
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

    pub async fn programmes(&self) -> Result<Vec<Programme>, Error> {
        let mut tx = self.store.read().await?;
        let p = admin::programmes(&mut tx).await?;
        tx.rollback().await?;
        Ok(p.into_iter().map(Into::into).collect())
    }

    pub async fn programme(&self, id: Uuid) -> Result<ProgrammeView, Error> {
        let mut tx = self.store.read().await?;
        let programme = admin::programme(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let phases = admin::phases(&mut tx, id).await?;
        let funding = admin::funding(&mut tx, id).await?;
        let projects = admin::projects(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(ProgrammeView {
            programme: programme.into(),
            phases: phases.into_iter().map(Into::into).collect(),
            funding: funding.into_iter().map(Into::into).collect(),
            projects: projects.into_iter().map(Into::into).collect(),
        })
    }

    pub async fn save_programme(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Option<Uuid>,
        input: &ProgrammeInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let code = e.take("code", validate_code(&input.code));
        let name = e.take("name", required_text(&input.name, 160));
        let feeds = e
            .take("feeds_programme_id", optional_id(&input.feeds_programme_id))
            .flatten();
        let start = if input.start_date.trim().is_empty() {
            None
        } else {
            e.take("start_date", parse_date(&input.start_date))
        };
        let end = if input.end_date.trim().is_empty() {
            None
        } else {
            e.take("end_date", parse_date(&input.end_date))
        };
        if let (Some(s), Some(x)) = (start, end) {
            if x < s {
                e.add("end_date", "validation.date.end_before_start");
            }
        }
        let phase_list: Vec<String> = if input.phases.trim().is_empty() {
            DEFAULT_PHASES.iter().map(|s| s.to_string()).collect()
        } else {
            input
                .phases
                .split(['\n', ','])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let phases = e.take("phases", validate_workflow(&phase_list));
        let funding = e.take("funding", parse_funding(&input.funding));
        e.finish()?;
        let mut tx = self.store.write().await?;
        if let Some(id) = id {
            admin::programme(&mut tx, id)
                .await?
                .ok_or(Error::NotFound)?;
        }
        let id = id.unwrap_or_else(|| ctx.new_id());
        if let Some(f) = feeds {
            if f == id || admin::programme(&mut tx, f).await?.is_none() {
                return Err(Error::field("feeds_programme_id", "validation.choice"));
            }
        }
        let p = admin::Programme {
            id,
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            description: clean(&input.description).unwrap_or_default(),
            feeds_programme_id: feeds,
            start_date: start,
            end_date: end,
            active: input.active,
        };
        admin::upsert_programme(&mut tx, &p, ctx.now).await?;
        let phases: Vec<(String, String)> = phases
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.clone(), c))
            .collect();
        admin::set_phases(&mut tx, id, &phases).await?;
        let shares: Vec<(String, i32)> = funding
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.fund, f.share_bp))
            .collect();
        admin::set_funding(&mut tx, id, &shares, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProgrammeSave,
            Some(id),
            json!({"code": p.code}),
        )
        .await?;
        Ok(id)
    }

    pub async fn add_project(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme_id: Uuid,
        input: &ProjectInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let mut e = Errors::new();
        let code = e.take("code", validate_code(&input.code));
        let name = e.take("name", required_text(&input.name, 160));
        let territory = e
            .take("territory_id", optional_id(&input.territory_id))
            .flatten();
        let org = e
            .take("organisation_id", optional_id(&input.organisation_id))
            .flatten();
        e.finish()?;
        let mut tx = self.store.write().await?;
        admin::programme(&mut tx, programme_id)
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(t) = territory {
            admin::territory(&mut tx, t)
                .await?
                .ok_or(Error::field("territory_id", "validation.choice"))?;
        }
        if let Some(o) = org {
            admin::organisation(&mut tx, o)
                .await?
                .ok_or(Error::field("organisation_id", "validation.choice"))?;
        }
        let id = ctx.new_id();
        admin::insert_project(
            &mut tx,
            &admin::Project {
                id,
                programme_id,
                code: code.unwrap_or_default(),
                name: name.unwrap_or_default(),
                territory_id: territory,
                organisation_id: org,
            },
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProjectCreate,
            Some(programme_id),
            json!({"project": id}),
        )
        .await?;
        Ok(id)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funding_lines() {
        let f = parse_funding("FSE=80\nJunta de Extremadura = 20 %").unwrap();
        assert_eq!(f[0].share_bp, 8000);
        assert_eq!(f[1].fund, "Junta de Extremadura");
        assert_eq!(
            parse_funding("FSE=80\nX=30"),
            Err("validation.funding.total")
        );
        assert_eq!(parse_funding("FSE"), Err("validation.funding.format"));
        assert!(parse_funding("").unwrap().is_empty());
    }
}
