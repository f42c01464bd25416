//! Configuration kept by administrators: territories, organisations, programmes (phases,
//! funding, projects), users, memberships and API tokens.
//!
//! Forms that name a professional:
//!
//! Case manager, team member: the list offers the local network — the actor's
//! organisation, the organisations of its territory and those on the case team — when it
//! fits in one list (`store::admin::PICK_LIMIT`); otherwise, and for anyone else, a search
//! by name or user name (POSTed) fills it. Action owners and contact participants are
//! chosen among the case team.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::text::fold;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Territory {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub level: String,
    pub code: Option<String>,
    pub name: String,
}

pub async fn territories(tx: &mut Tx) -> Result<Vec<Territory>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, parent_id, level, code, name FROM territories ORDER BY name"
    ).fetch_all(c).await.map_err(db_err))
}

pub async fn territory(tx: &mut Tx, id: Uuid) -> Result<Option<Territory>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, parent_id, level, code, name FROM territories WHERE id = $1"
    ).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn insert_territory(tx: &mut Tx, t: &Territory, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO territories (id, parent_id, level, code, name, created_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(t.id).bind(t.parent_id).bind(&t.level).bind(&t.code).bind(&t.name).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub territory_id: Option<Uuid>,
    pub territory_name: Option<String>,
    pub active: bool,
}

const ORG_SELECT: &str = "SELECT o.id, o.name, o.kind, o.territory_id, t.name AS territory_name, o.active FROM organisations o LEFT JOIN territories t ON t.id = o.territory_id";

pub async fn organisations(tx: &mut Tx) -> Result<Vec<Organisation>, Error> {
    let sql = format!("{ORG_SELECT} ORDER BY o.name");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

pub async fn organisation(tx: &mut Tx, id: Uuid) -> Result<Option<Organisation>, Error> {
    let sql = format!("{ORG_SELECT} WHERE o.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn upsert_organisation(
    tx: &mut Tx,
    o: &Organisation,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let same_name: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM organisations WHERE name = $1 AND id <> $2"
    ).bind(&o.name).bind(o.id).fetch_optional(c).await.map_err(db_err))?;
    if same_name.is_some() {
        return Err(Error::field("name", "validation.name_taken"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO organisations (id, name, kind, territory_id, active, created_at, name_key) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, territory_id = excluded.territory_id, active = excluded.active, name_key = excluded.name_key"
    ).bind(o.id).bind(&o.name).bind(&o.kind).bind(o.territory_id).bind(o.active).bind(now).bind(fold(&o.name))
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
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

const PROG_SELECT: &str = "SELECT id, code, name, description, feeds_programme_id, start_date, end_date, active FROM programmes";

pub async fn programmes(tx: &mut Tx) -> Result<Vec<Programme>, Error> {
    let sql = format!("{PROG_SELECT} ORDER BY code");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

pub async fn programme(tx: &mut Tx, id: Uuid) -> Result<Option<Programme>, Error> {
    let sql = format!("{PROG_SELECT} WHERE id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn upsert_programme(tx: &mut Tx, p: &Programme, now: DateTime<Utc>) -> Result<(), Error> {
    let same: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM programmes WHERE code = $1 AND id <> $2")
        .bind(&p.code).bind(p.id).fetch_optional(c).await.map_err(db_err))?;
    if same.is_some() {
        return Err(Error::field("code", "validation.code_taken"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO programmes (id, code, name, description, feeds_programme_id, start_date, end_date, active, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, description = excluded.description, \
         feeds_programme_id = excluded.feeds_programme_id, start_date = excluded.start_date, end_date = excluded.end_date, active = excluded.active"
    ).bind(p.id).bind(&p.code).bind(&p.name).bind(&p.description).bind(p.feeds_programme_id).bind(p.start_date)
    .bind(p.end_date).bind(p.active).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Phase {
    pub position: i32,
    pub code: String,
    pub label: String,
}

pub async fn phases(tx: &mut Tx, programme_id: Uuid) -> Result<Vec<Phase>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT position, code, label FROM programme_phases WHERE programme_id = $1 ORDER BY position"
    ).bind(programme_id).fetch_all(c).await.map_err(db_err))
}

/// Replaces a programme's workflow. Phases still used by a case cannot be dropped.
pub async fn set_phases(
    tx: &mut Tx,
    programme_id: Uuid,
    phases: &[(String, String)],
) -> Result<(), Error> {
    let used: Vec<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT DISTINCT phase FROM cases WHERE programme_id = $1"
    ).bind(programme_id).fetch_all(c).await.map_err(db_err))?;
    if used
        .iter()
        .any(|u| !phases.iter().any(|(code, _)| code == u))
    {
        return Err(Error::field("phases", "validation.phase.in_use"));
    }
    on_tx!(tx, c => sqlx::query("DELETE FROM programme_phases WHERE programme_id = $1")
        .bind(programme_id).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for (i, (code, label)) in phases.iter().enumerate() {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO programme_phases (programme_id, position, code, label) VALUES ($1,$2,$3,$4)"
        ).bind(programme_id).bind(i as i32).bind(code).bind(label).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Funding {
    pub id: Uuid,
    pub fund: String,
    pub share_bp: i32,
}

pub async fn funding(tx: &mut Tx, programme_id: Uuid) -> Result<Vec<Funding>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, fund, share_bp FROM funding_sources WHERE programme_id = $1 ORDER BY share_bp DESC, fund"
    ).bind(programme_id).fetch_all(c).await.map_err(db_err))
}

pub async fn set_funding(
    tx: &mut Tx,
    programme_id: Uuid,
    shares: &[(String, i32)],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM funding_sources WHERE programme_id = $1")
        .bind(programme_id).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for (fund, bp) in shares {
        on_tx!(tx, c => sqlx::query("INSERT INTO funding_sources (id, programme_id, fund, share_bp) VALUES ($1,$2,$3,$4)")
            .bind(itinera_clock::new_id(now)).bind(programme_id).bind(fund).bind(bp).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub code: String,
    pub name: String,
    pub territory_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

pub async fn projects(tx: &mut Tx, programme_id: Uuid) -> Result<Vec<Project>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, programme_id, code, name, territory_id, organisation_id FROM projects WHERE programme_id = $1 ORDER BY code"
    ).bind(programme_id).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_project(tx: &mut Tx, p: &Project, now: DateTime<Utc>) -> Result<(), Error> {
    let same: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM projects WHERE programme_id = $1 AND code = $2")
        .bind(p.programme_id).bind(&p.code).fetch_optional(c).await.map_err(db_err))?;
    if same.is_some() {
        return Err(Error::field("code", "validation.code_taken"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO projects (id, programme_id, code, name, territory_id, organisation_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ).bind(p.id).bind(p.programme_id).bind(&p.code).bind(&p.name).bind(p.territory_id).bind(p.organisation_id).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub locale: String,
    pub active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    /// An integration's account: tokens issued by administrators, no password sign-in.
    pub service_account: bool,
}

const USER_SELECT: &str = "SELECT id, username, display_name, email, password_hash, locale, active, failed_logins, locked_until, service_account FROM users";

pub async fn users(tx: &mut Tx) -> Result<Vec<User>, Error> {
    let sql = format!("{USER_SELECT} ORDER BY username");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

/// The service accounts (integrations' accounts, whose tokens administrators issue),
/// in username order: few, however many people use the system.
pub async fn service_accounts(tx: &mut Tx) -> Result<Vec<User>, Error> {
    let sql = format!("{USER_SELECT} WHERE service_account ORDER BY username");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

/// A user's search key: their username and name, folded (`text::fold`).
pub fn user_key(username: &str, display_name: &str) -> String {
    fold(&format!("{username} {display_name}"))
}

/// The `LIKE` pattern of a search for `needle` among folded keys; `None` for a blank
/// needle (no search). A needle of punctuation alone (`%`) folds to nothing and finds
/// nothing (`LIKE ''`: no key is empty); folding leaves neither `%` nor `_` in a pattern.
pub fn key_pattern(needle: &str) -> Option<String> {
    if needle.trim().is_empty() {
        return None;
    }
    let q = fold(needle);
    Some(if q.is_empty() {
        String::new()
    } else {
        format!("%{q}%")
    })
}

/// Up to `limit` users after `after` (by username), `offset` of them skipped, whose
/// username or name holds `needle` (compared folded: "angela" finds "Ángela"; empty:
/// all), in username order.
pub async fn users_matching(
    tx: &mut Tx,
    needle: &str,
    after: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<User>, Error> {
    let pattern = key_pattern(needle);
    let sql = format!(
        "{USER_SELECT} WHERE ($1 IS NULL OR name_key LIKE $1) AND username > $2 ORDER BY username LIMIT $3 OFFSET $4"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(&pattern).bind(after).bind(limit).bind(offset)
        .fetch_all(c).await.map_err(db_err))
}

pub async fn user(tx: &mut Tx, id: Uuid) -> Result<Option<User>, Error> {
    let sql = format!("{USER_SELECT} WHERE id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn user_by_username(tx: &mut Tx, username: &str) -> Result<Option<User>, Error> {
    let sql = format!("{USER_SELECT} WHERE username = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(username).fetch_optional(c).await.map_err(db_err))
}

pub async fn insert_user(tx: &mut Tx, u: &User, now: DateTime<Utc>) -> Result<(), Error> {
    if user_by_username(tx, &u.username).await?.is_some() {
        return Err(Error::field("username", "user.username.exists"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, locale, active, failed_logins, locked_until, created_at, service_account, name_key) VALUES ($1,$2,$3,$4,$5,$6,$7,0,NULL,$8,$9,$10)"
    ).bind(u.id).bind(&u.username).bind(&u.display_name).bind(&u.email).bind(&u.password_hash).bind(&u.locale)
    .bind(u.active).bind(now).bind(u.service_account).bind(user_key(&u.username, &u.display_name)).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Records the administrator who created an account.
pub async fn set_created_by(tx: &mut Tx, user: Uuid, by: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE users SET created_by = $2 WHERE id = $1")
        .bind(user).bind(by).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The administrator who created an account (none: the command line or the demo).
pub async fn created_by(tx: &mut Tx, user: Uuid) -> Result<Option<Uuid>, Error> {
    let v: Option<Option<Uuid>> = on_tx!(tx, c => sqlx::query_scalar("SELECT created_by FROM users WHERE id = $1")
        .bind(user).fetch_optional(c).await.map_err(db_err))?;
    Ok(v.flatten())
}

pub async fn update_user(tx: &mut Tx, u: &User) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE users SET display_name = $2, email = $3, password_hash = $4, locale = $5, active = $6, name_key = $7 WHERE id = $1"
    ).bind(u.id).bind(&u.display_name).bind(&u.email).bind(&u.password_hash).bind(&u.locale).bind(u.active)
    .bind(user_key(&u.username, &u.display_name))
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub role: String,
}

pub async fn memberships(tx: &mut Tx, user_id: Uuid) -> Result<Vec<Membership>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.user_id, m.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, m.role \
         FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.user_id = $1 ORDER BY o.name, m.role"
    ).bind(user_id).fetch_all(c).await.map_err(db_err))
}

/// The memberships of `users`, by user then organisation name (a page of the users'
/// list: one statement per 200 users, not one per user).
pub async fn memberships_of(tx: &mut Tx, users: &[Uuid]) -> Result<Vec<Membership>, Error> {
    crate::rows_for_ids(tx, users, |list| {
        format!(
            "SELECT m.id, m.user_id, m.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, m.role \
             FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.user_id IN ({list}) \
             ORDER BY m.user_id, o.name, m.role"
        )
    })
    .await
}

/// Every membership, by user then organisation name (the users page: one statement,
/// not one per user).
pub async fn all_memberships(tx: &mut Tx) -> Result<Vec<Membership>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.user_id, m.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, m.role \
         FROM memberships m JOIN organisations o ON o.id = m.organisation_id ORDER BY m.user_id, o.name, m.role"
    ).fetch_all(c).await.map_err(db_err))
}

/// The professionals of an organisation (for case teams), with their roles there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Professional {
    pub user_id: Uuid,
    pub display_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: String,
}

/// At most this many professionals are offered in one list; a search narrows it.
pub const PICK_LIMIT: i64 = 200;

/// Professionals to choose from: those whose name or user name contains `find` (compared
/// folded), or, without a search, those of the actor's organisation, of the
/// organisations of its territory and of the organisations on the case's team — when
/// they fit in one list (`PICK_LIMIT`); a larger network is searched, not listed.
pub async fn professionals_near(
    tx: &mut Tx,
    find: &str,
    org: Uuid,
    case_id: Option<Uuid>,
    me: Uuid,
) -> Result<(Vec<Professional>, bool), Error> {
    const ROLES: &str =
        "m.role IN ('social_worker','employment_counsellor','technician','case_manager','coordinator')";
    if let Some(pattern) = key_pattern(find) {
        let sql = format!(
            "SELECT u.id AS user_id, u.display_name, o.id AS organisation_id, o.name AS organisation_name, m.role \
             FROM users u JOIN memberships m ON m.user_id = u.id JOIN organisations o ON o.id = m.organisation_id \
             WHERE u.active AND {ROLES} AND u.name_key LIKE $1 \
             ORDER BY o.name, u.display_name, m.role LIMIT $2"
        );
        let found = on_tx!(tx, c => sqlx::query_as(&sql).bind(&pattern).bind(PICK_LIMIT)
            .fetch_all(c).await.map_err(db_err))?;
        return Ok((found, false));
    }
    // The few organisations first, then their members along the organisation index.
    // A network too large for one list is searched instead: nothing is listed.
    const NEAR: &str = "o.id IN (SELECT $1 UNION SELECT y.id FROM organisations y \
        WHERE y.territory_id = (SELECT x.territory_id FROM organisations x WHERE x.id = $1) \
        UNION SELECT t.organisation_id FROM case_team_members t WHERE t.case_id = $2 AND t.removed_at IS NULL)";
    let count_sql = format!(
        "SELECT count(*) FROM organisations o CROSS JOIN memberships m \
         WHERE {NEAR} AND m.organisation_id = o.id AND {ROLES}"
    );
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(&count_sql).bind(org).bind(case_id.unwrap_or_default())
        .fetch_one(c).await.map_err(db_err))?;
    if n > PICK_LIMIT {
        // Only the actor, so that naming oneself needs no search.
        let sql = format!(
            "SELECT u.id AS user_id, u.display_name, o.id AS organisation_id, o.name AS organisation_name, m.role \
             FROM memberships m JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = m.organisation_id \
             WHERE m.user_id = $1 AND m.organisation_id = $2 AND {ROLES} ORDER BY m.role"
        );
        let mine = on_tx!(tx, c => sqlx::query_as(&sql).bind(me).bind(org)
            .fetch_all(c).await.map_err(db_err))?;
        return Ok((mine, true));
    }
    let sql = format!(
        "SELECT u.id AS user_id, u.display_name, o.id AS organisation_id, o.name AS organisation_name, m.role \
         FROM organisations o CROSS JOIN memberships m CROSS JOIN users u \
         WHERE {NEAR} AND m.organisation_id = o.id AND u.id = m.user_id AND u.active AND {ROLES} \
         ORDER BY o.name, u.display_name, m.role LIMIT $3"
    );
    let near = on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(case_id.unwrap_or_default()).bind(PICK_LIMIT)
        .fetch_all(c).await.map_err(db_err))?;
    Ok((near, false))
}

pub async fn add_membership(
    tx: &mut Tx,
    user_id: UserId,
    org: OrganisationId,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let existing: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM memberships WHERE user_id = $1 AND organisation_id = $2 AND role = $3"
    ).bind(user_id.0).bind(org.0).bind(role).fetch_optional(c).await.map_err(db_err))?;
    if existing.is_some() {
        return Err(Error::Conflict("membership.exists"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO memberships (id, user_id, organisation_id, role, created_at) VALUES ($1,$2,$3,$4,$5)"
    ).bind(itinera_clock::new_id(now)).bind(user_id.0).bind(org.0).bind(role).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Removes a membership of `user` (false: no such membership of that user).
pub async fn remove_membership(tx: &mut Tx, user: Uuid, id: Uuid) -> Result<bool, Error> {
    let r = on_tx!(tx, c => sqlx::query("DELETE FROM memberships WHERE id = $1 AND user_id = $2").bind(id).bind(user).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(r == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Token {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub service_account: bool,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub name: String,
    pub roles: String,
    pub issued_by: Option<Uuid>,
    pub issued_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.user_id, u.username, u.service_account, t.organisation_id, o.name AS organisation_name, t.name, t.roles, \
     t.issued_by, i.display_name AS issued_by_name, t.created_at, t.expires_at, t.revoked_at \
     FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = t.organisation_id \
     LEFT JOIN users i ON i.id = t.issued_by";

/// Every token (administrators see them all, never their secret).
pub async fn tokens(tx: &mut Tx) -> Result<Vec<Token>, Error> {
    let sql = format!("{TOKEN_SELECT} ORDER BY t.created_at DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

/// A user's own tokens.
pub async fn tokens_of(tx: &mut Tx, user: UserId) -> Result<Vec<Token>, Error> {
    let sql = format!("{TOKEN_SELECT} WHERE t.user_id = $1 ORDER BY t.created_at DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user.0).fetch_all(c).await.map_err(db_err))
}

pub async fn token(tx: &mut Tx, id: Uuid) -> Result<Option<Token>, Error> {
    let sql = format!("{TOKEN_SELECT} WHERE t.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub struct NewToken<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub org: OrganisationId,
    pub name: &'a str,
    pub hash: &'a str,
    /// Comma-separated role codes; empty: all the user's roles in `org`.
    pub roles: &'a str,
    pub issued_by: Option<UserId>,
    pub expires_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

pub async fn insert_token(tx: &mut Tx, t: &NewToken<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO api_tokens (id, user_id, organisation_id, name, token_hash, created_at, expires_at, issued_by, roles) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    ).bind(t.id).bind(t.user_id.0).bind(t.org.0).bind(t.name).bind(t.hash).bind(t.now).bind(t.expires_at)
    .bind(t.issued_by.map(|u| u.0)).bind(t.roles).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Revokes every token a user holds themselves (not those issued to them by an
/// administrator for a service account: a person has none of those).
pub async fn revoke_tokens_of(tx: &mut Tx, user: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn revoke_token(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<bool, Error> {
    let r = on_tx!(tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(r == 1)
}

/// A live token as the actor needs it.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub issued_by: Option<Uuid>,
    pub roles: String,
}

/// The live token with this hash (not revoked, not expired).
pub async fn live_token(
    tx: &mut Tx,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LiveToken>, Error> {
    type TokenRow = (
        Uuid,
        Uuid,
        Uuid,
        Option<Uuid>,
        String,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<TokenRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, user_id, organisation_id, issued_by, roles, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1"
    ).bind(hash).fetch_optional(c).await.map_err(db_err))?;
    Ok(row.and_then(
        |(id, user_id, organisation_id, issued_by, roles, exp, rev)| {
            if rev.is_some() || exp.is_some_and(|e| e <= now) {
                None
            } else {
                Some(LiveToken {
                    id,
                    user_id,
                    organisation_id,
                    issued_by,
                    roles,
                })
            }
        },
    ))
}

// ---- Four eyes: grants of roles that reach a person's data -------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleGrant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: String,
    pub requested_by: Option<Uuid>,
    pub requested_by_name: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision: Option<String>,
}

const GRANT_SELECT: &str = "SELECT g.id, g.user_id, u.username, g.organisation_id, o.name AS organisation_name, g.role, \
     g.requested_by, r.display_name AS requested_by_name, g.requested_at, g.decided_by, d.display_name AS decided_by_name, g.decided_at, g.decision \
     FROM role_grants g JOIN users u ON u.id = g.user_id JOIN organisations o ON o.id = g.organisation_id \
     LEFT JOIN users r ON r.id = g.requested_by LEFT JOIN users d ON d.id = g.decided_by";

pub struct NewGrant {
    pub id: Uuid,
    pub user_id: UserId,
    pub org: OrganisationId,
    pub role: &'static str,
    pub requested_by: Option<UserId>,
    pub now: DateTime<Utc>,
}

/// Records a request; refused when the same one is already waiting.
pub async fn insert_grant(tx: &mut Tx, g: &NewGrant) -> Result<(), Error> {
    let waiting: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM role_grants WHERE user_id = $1 AND organisation_id = $2 AND role = $3 AND decided_at IS NULL"
    ).bind(g.user_id.0).bind(g.org.0).bind(g.role).fetch_optional(c).await.map_err(db_err))?;
    if waiting.is_some() {
        return Err(Error::Conflict("membership.grant.waiting"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO role_grants (id, user_id, organisation_id, role, requested_by, requested_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(g.id).bind(g.user_id.0).bind(g.org.0).bind(g.role).bind(g.requested_by.map(|u| u.0)).bind(g.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Every request, newest first; `pending` keeps the undecided ones.
pub async fn grants(tx: &mut Tx, pending: bool) -> Result<Vec<RoleGrant>, Error> {
    let filter = if pending {
        " WHERE g.decided_at IS NULL"
    } else {
        ""
    };
    let sql = format!("{GRANT_SELECT}{filter} ORDER BY g.requested_at DESC LIMIT 1000");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

pub async fn grant(tx: &mut Tx, id: Uuid) -> Result<Option<RoleGrant>, Error> {
    let sql = format!("{GRANT_SELECT} WHERE g.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Decides a waiting request; false when it was decided already.
pub async fn decide_grant(
    tx: &mut Tx,
    id: Uuid,
    by: Option<UserId>,
    decision: &'static str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let r = on_tx!(tx, c => sqlx::query(
        "UPDATE role_grants SET decided_by = $2, decided_at = $3, decision = $4 WHERE id = $1 AND decided_at IS NULL"
    ).bind(id).bind(by.map(|u| u.0)).bind(now).bind(decision).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(r == 1)
}
