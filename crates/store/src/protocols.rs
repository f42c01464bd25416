//! Protocols and guides with their versions, read confirmations and proposed changes.
//! A programme's protocols are seen by every professional of the network; a body's by
//! its members (`coordination::visible_body_sql`).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::protocols::{store_roles, ProtocolData, Scope, VersionData};
use itinera_domain::Error;
use uuid::Uuid;

use crate::coordination::visible_body_sql;
use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Protocol {
    pub id: Uuid,
    pub title: String,
    pub kind: String,
    pub programme_id: Option<Uuid>,
    pub programme_name: Option<String>,
    pub body_id: Option<Uuid>,
    pub body_name: Option<String>,
    pub owner_organisation_id: Uuid,
    pub owner_organisation_name: String,
    pub created_at: DateTime<Utc>,
}

const PROTOCOL: &str = "SELECT p.id, p.title, p.kind, p.programme_id, g.name AS programme_name, p.body_id, b.name AS body_name, p.owner_organisation_id, o.name AS owner_organisation_name, p.created_at \
     FROM protocols p JOIN organisations o ON o.id = p.owner_organisation_id \
     LEFT JOIN programmes g ON g.id = p.programme_id LEFT JOIN coordination_bodies b ON b.id = p.body_id";

fn visible(u: &str, o: &str) -> String {
    format!("(p.body_id IS NULL OR {})", visible_body_sql("b", u, o))
}

pub async fn insert_protocol(
    tx: &mut Tx,
    id: Uuid,
    d: &ProtocolData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let (programme, body) = match d.scope {
        Scope::Programme(p) => (Some(p), None),
        Scope::Body(b) => (None, Some(b)),
    };
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO protocols (id, title, kind, programme_id, body_id, owner_organisation_id, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    ).bind(id).bind(&d.title).bind(d.kind.code()).bind(programme).bind(body).bind(d.owner_organisation_id).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A protocol, if user `u` of organisation `o` may see it.
pub async fn protocol(
    tx: &mut Tx,
    id: Uuid,
    u: UserId,
    o: OrganisationId,
) -> Result<Option<Protocol>, Error> {
    let sql = format!("{PROTOCOL} WHERE p.id = $1 AND {}", visible("$2", "$3"));
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).bind(u.0).bind(o.0).fetch_optional(c).await.map_err(db_err))
}

/// The protocols `u` may see; of one body when `body` is given.
pub async fn protocols(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    body: Option<Uuid>,
) -> Result<Vec<Protocol>, Error> {
    let sql = format!(
        "{PROTOCOL} WHERE {} AND ($3 IS NULL OR p.body_id = $3) ORDER BY p.title, p.id",
        visible("$1", "$2")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(body).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub id: Uuid,
    pub protocol_id: Uuid,
    pub version: i32,
    pub summary: String,
    pub document_ref: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub roles: String,
    pub published_by_name: String,
    pub published_at: DateTime<Utc>,
}

const VERSION: &str = "SELECT v.id, v.protocol_id, v.version, v.summary, v.document_ref, v.valid_from, v.valid_until, v.roles, u.display_name AS published_by_name, v.published_at \
     FROM protocol_versions v JOIN users u ON u.id = v.published_by";

/// A protocol's versions, the latest first.
pub async fn versions(tx: &mut Tx, protocol: Uuid) -> Result<Vec<Version>, Error> {
    let sql = format!("{VERSION} WHERE v.protocol_id = $1 ORDER BY v.version DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(protocol).fetch_all(c).await.map_err(db_err))
}

/// The versions of every protocol `protocols` lists (same arguments), in one query.
pub async fn versions_of_visible(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    body: Option<Uuid>,
) -> Result<Vec<Version>, Error> {
    let sql = format!(
        "{VERSION} JOIN protocols p ON p.id = v.protocol_id LEFT JOIN coordination_bodies b ON b.id = p.body_id \
         WHERE {} AND ($3 IS NULL OR p.body_id = $3) ORDER BY v.protocol_id, v.version DESC",
        visible("$1", "$2")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(body).fetch_all(c).await.map_err(db_err))
}

/// Publishes the next version; its number.
pub async fn insert_version(
    tx: &mut Tx,
    id: Uuid,
    protocol: Uuid,
    d: &VersionData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<i32, Error> {
    // The protocol's row lock numbers concurrent publications one after the other.
    on_tx!(tx, c => sqlx::query("UPDATE protocols SET title = title WHERE id = $1")
        .bind(protocol).execute(c).await.map(|_| ()).map_err(db_err))?;
    let last: Option<i32> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT max(version) FROM protocol_versions WHERE protocol_id = $1"
    ).bind(protocol).fetch_one(c).await.map_err(db_err))?;
    let n = last.unwrap_or(0) + 1;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO protocol_versions (id, protocol_id, version, summary, document_ref, valid_from, valid_until, roles, published_by, published_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
    ).bind(id).bind(protocol).bind(n).bind(&d.summary).bind(&d.document_ref).bind(d.valid_from).bind(d.valid_until)
    .bind(store_roles(&d.roles)).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(n)
}

/// Records that `u` has read a version (once).
pub async fn confirm_read(
    tx: &mut Tx,
    version: Uuid,
    u: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO protocol_reads (version_id, user_id, read_at) VALUES ($1,$2,$3) ON CONFLICT (version_id, user_id) DO NOTHING"
    ).bind(version).bind(u).bind(now)
    .execute(c).await.map(|r| r.rows_affected() == 1).map_err(db_err))
}

/// Who read a version, and when.
pub async fn reads(tx: &mut Tx, version: Uuid) -> Result<Vec<(Uuid, DateTime<Utc>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, read_at FROM protocol_reads WHERE version_id = $1"
    ).bind(version).fetch_all(c).await.map_err(db_err))
}

/// The versions `u` has confirmed.
pub async fn read_by(tx: &mut Tx, u: Uuid) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT version_id FROM protocol_reads WHERE user_id = $1")
        .bind(u).fetch_all(c).await.map_err(db_err))
}

/// A professional who may be concerned by a protocol, with one of their roles.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reader {
    pub user_id: Uuid,
    pub display_name: String,
    pub organisation_name: String,
    pub role: String,
}

/// The active professionals (people, not integrations' accounts) and their roles: of a
/// body (members in person, and the professionals of member organisations), or, for a
/// programme's protocol, of the network — or of organisation `org` alone when given.
pub async fn readers(
    tx: &mut Tx,
    body: Option<Uuid>,
    org: Option<Uuid>,
) -> Result<Vec<Reader>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT u.id AS user_id, u.display_name, o.name AS organisation_name, ms.role \
         FROM memberships ms JOIN users u ON u.id = ms.user_id JOIN organisations o ON o.id = ms.organisation_id \
         WHERE u.active AND NOT u.service_account \
         AND (($1 IS NULL AND ($2 IS NULL OR ms.organisation_id = $2)) OR EXISTS (SELECT 1 FROM body_members bm WHERE bm.body_id = $1 AND bm.removed_at IS NULL \
             AND bm.organisation_id = ms.organisation_id AND (bm.user_id IS NULL OR bm.user_id = u.id))) \
         ORDER BY o.name, u.display_name, u.id"
    ).bind(body).bind(org).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub id: Uuid,
    pub text: String,
    pub applied_in_version: Option<i32>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn changes(tx: &mut Tx, protocol: Uuid) -> Result<Vec<Change>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT ch.id, ch.text, v.version AS applied_in_version, u.display_name AS created_by_name, ch.created_at \
         FROM protocol_changes ch JOIN users u ON u.id = ch.created_by LEFT JOIN protocol_versions v ON v.id = ch.applied_in \
         WHERE ch.protocol_id = $1 ORDER BY ch.created_at, ch.id"
    ).bind(protocol).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_change(
    tx: &mut Tx,
    id: Uuid,
    protocol: Uuid,
    text: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO protocol_changes (id, protocol_id, text, created_by, created_at) VALUES ($1,$2,$3,$4,$5)"
    ).bind(id).bind(protocol).bind(text).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Marks pending changes of a protocol applied in a version; how many were.
pub async fn apply_change(
    tx: &mut Tx,
    protocol: Uuid,
    change: Uuid,
    version: Uuid,
) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE protocol_changes SET applied_in = $3 WHERE id = $2 AND protocol_id = $1 AND applied_in IS NULL"
    ).bind(protocol).bind(change).bind(version)
    .execute(c).await.map(|r| r.rows_affected() == 1).map_err(db_err))
}
