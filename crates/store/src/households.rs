//! Households, their members (participants or not) and their history. A participant
//! member's name and birth year are read only when the reader's organisation may see
//! that participant (`visible_sql`), so the household view never widens access.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::household::{ChangeKind, Relationship};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{db_err, on_tx, Tx};

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Household {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub formed_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Household>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, home_organisation_id, formed_on, ended_on, notes, version FROM households WHERE id = $1"
    ).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// The household a participant is a current member of.
pub async fn current_of(tx: &mut Tx, pid: Uuid) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT household_id FROM household_members WHERE participant_id = $1 AND left_on IS NULL"
    ).bind(pid).fetch_optional(c).await.map_err(db_err))
}

/// The households a participant was a member of and left: (household, joined, left).
pub async fn former_of(tx: &mut Tx, pid: Uuid) -> Result<Vec<(Uuid, NaiveDate, NaiveDate)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT household_id, joined_on, left_on FROM household_members WHERE participant_id = $1 AND left_on IS NOT NULL \
         ORDER BY left_on DESC, id"
    ).bind(pid).fetch_all(c).await.map_err(db_err))
}

/// The participant members of a household, with the day each left (none: current).
pub async fn participant_memberships(
    tx: &mut Tx,
    hid: Uuid,
) -> Result<Vec<(Uuid, Option<NaiveDate>)>, Error> {
    let rows: Vec<(Option<Uuid>, Option<NaiveDate>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT participant_id, left_on FROM household_members WHERE household_id = $1 AND participant_id IS NOT NULL"
    ).bind(hid).fetch_all(c).await.map_err(db_err))?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, l)| p.map(|p| (p, l)))
        .collect())
}

/// The participants who are (or were) members of a household.
pub async fn participant_members(
    tx: &mut Tx,
    hid: Uuid,
    current_only: bool,
) -> Result<Vec<Uuid>, Error> {
    let sql = format!(
        "SELECT DISTINCT participant_id FROM household_members WHERE household_id = $1 AND participant_id IS NOT NULL{}",
        if current_only { " AND left_on IS NULL" } else { "" }
    );
    let ids: Vec<Option<Uuid>> =
        on_tx!(tx, c => sqlx::query_scalar(&sql).bind(hid).fetch_all(c).await.map_err(db_err))?;
    Ok(ids.into_iter().flatten().collect())
}

pub struct NewHousehold<'a> {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub formed_on: NaiveDate,
    pub notes: Option<&'a str>,
    pub by: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, h: &NewHousehold<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO households (id, home_organisation_id, formed_on, ended_on, notes, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $6, 1)"
    ).bind(h.id).bind(h.home_organisation_id).bind(h.formed_on).bind(h.notes).bind(h.by).bind(h.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Marks a change of the household (its version moves on); `ended_on` ends it.
/// Locks a household's row until the transaction ends.
pub async fn lock(tx: &mut Tx, id: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE households SET version = version WHERE id = $1")
        .bind(id).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn touch(
    tx: &mut Tx,
    id: Uuid,
    now: DateTime<Utc>,
    ended_on: Option<NaiveDate>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE households SET updated_at = $2, version = version + 1, ended_on = coalesce($3, ended_on) WHERE id = $1"
    ).bind(id).bind(now).bind(ended_on).execute(c).await.map(|_| ()).map_err(db_err))
}

pub struct NewMember<'a> {
    pub id: Uuid,
    pub household_id: Uuid,
    pub home_organisation_id: Uuid,
    pub participant_id: Option<Uuid>,
    pub name: Option<&'a str>,
    pub relationship: Relationship,
    pub head: bool,
    pub birth_year: Option<i32>,
    pub dependent: bool,
    pub joined_on: NaiveDate,
    pub by: Uuid,
    pub now: DateTime<Utc>,
}

/// Adds a member; a participant who is already a current member of a household is
/// refused (`household.member_elsewhere`), by the unique index as well as here.
pub async fn insert_member(tx: &mut Tx, m: &NewMember<'_>) -> Result<(), Error> {
    if let Some(pid) = m.participant_id {
        if current_of(tx, pid).await?.is_some() {
            return Err(Error::Rule("household.member_elsewhere"));
        }
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO household_members (id, household_id, home_organisation_id, participant_id, name, relationship, head, birth_year, dependent, \
         joined_on, left_on, left_note, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,NULL,NULL,$11,$12)"
    ).bind(m.id).bind(m.household_id).bind(m.home_organisation_id).bind(m.participant_id).bind(m.name).bind(m.relationship.code())
    .bind(m.head).bind(m.birth_year).bind(m.dependent).bind(m.joined_on).bind(m.by).bind(m.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A member leaves on a day (only a current member; false otherwise).
pub async fn leave(
    tx: &mut Tx,
    member: Uuid,
    left_on: NaiveDate,
    note: Option<&str>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE household_members SET left_on = $2, left_note = $3, head = FALSE WHERE id = $1 AND left_on IS NULL"
    ).bind(member).bind(left_on).bind(note).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Passes the headship to `member`; the former head takes `former` as relationship.
pub async fn set_head(
    tx: &mut Tx,
    hid: Uuid,
    member: Uuid,
    former: Relationship,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE household_members SET head = FALSE, relationship = $2 WHERE household_id = $1 AND head AND left_on IS NULL"
    ).bind(hid).bind(former.code()).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "UPDATE household_members SET head = TRUE, relationship = 'head' WHERE id = $1 AND household_id = $2 AND left_on IS NULL"
    ).bind(member).bind(hid).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A member as the reader's organisation may see it: a participant member's name and
/// birth date only when the organisation may see that participant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: Uuid,
    pub participant_id: Option<Uuid>,
    /// 1 when the member is a participant the reader's organisation may see.
    pub visible: i32,
    pub participant_name: Option<String>,
    pub participant_birth_date: Option<NaiveDate>,
    pub name: Option<String>,
    pub relationship: String,
    pub head: bool,
    pub birth_year: Option<i32>,
    pub dependent: bool,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_note: Option<String>,
}

/// Every member, current and past (head first, then by arrival).
pub async fn members(
    tx: &mut Tx,
    hid: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<Member>, Error> {
    let vis = visible_sql("p", "$2", "$3", "$4");
    let sql = format!(
        "SELECT m.id, m.participant_id, CASE WHEN p.id IS NOT NULL AND {vis} THEN 1 ELSE 0 END AS visible, \
           CASE WHEN p.id IS NOT NULL AND {vis} THEN {NAME} END AS participant_name, \
           CASE WHEN p.id IS NOT NULL AND {vis} THEN p.birth_date END AS participant_birth_date, \
           m.name, m.relationship, m.head, m.birth_year, m.dependent, m.joined_on, m.left_on, m.left_note \
         FROM household_members m LEFT JOIN participants p ON p.id = m.participant_id \
         WHERE m.household_id = $1 ORDER BY CASE WHEN m.left_on IS NULL THEN 0 ELSE 1 END, CASE WHEN m.head THEN 0 ELSE 1 END, m.joined_on, m.id"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(hid).bind(org).bind(kind).bind(today).fetch_all(c).await.map_err(db_err))
}

pub struct NewChange<'a> {
    pub id: Uuid,
    pub household_id: Uuid,
    pub home_organisation_id: Uuid,
    pub member_id: Option<Uuid>,
    pub kind: ChangeKind,
    pub on_date: NaiveDate,
    pub note: Option<&'a str>,
    pub by: Uuid,
    pub by_organisation: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn record_change(tx: &mut Tx, c0: &NewChange<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO household_changes (id, household_id, home_organisation_id, member_id, kind, on_date, note, by_user, by_organisation_id, at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
    ).bind(c0.id).bind(c0.household_id).bind(c0.home_organisation_id).bind(c0.member_id).bind(c0.kind.code()).bind(c0.on_date)
    .bind(c0.note).bind(c0.by).bind(c0.by_organisation).bind(c0.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub member_id: Option<Uuid>,
    pub kind: String,
    pub on_date: NaiveDate,
    pub note: Option<String>,
    pub by_name: String,
    pub by_organisation_name: String,
    pub at: DateTime<Utc>,
}

/// The household's history, newest first.
pub async fn changes(tx: &mut Tx, hid: Uuid) -> Result<Vec<Change>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT h.member_id, h.kind, h.on_date, h.note, u.display_name AS by_name, o.name AS by_organisation_name, h.at \
         FROM household_changes h JOIN users u ON u.id = h.by_user JOIN organisations o ON o.id = h.by_organisation_id \
         WHERE h.household_id = $1 ORDER BY h.at DESC, h.id DESC"
    ).bind(hid).fetch_all(c).await.map_err(db_err))
}

/// The participants registered with an identity document (normalised number).
pub async fn by_document(tx: &mut Tx, number: &str) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT DISTINCT participant_id FROM participant_documents WHERE number = $1"
    ).bind(number).fetch_all(c).await.map_err(db_err))
}

/// How many households are recorded (the demo seeds them once).
pub async fn count(tx: &mut Tx) -> Result<i64, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM households").fetch_one(c).await.map_err(db_err))
}

/// A participant's place in a household, for their own request to see their record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub household_id: Uuid,
    pub member_id: Uuid,
    pub formed_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub relationship: String,
    pub head: bool,
    pub dependent: bool,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_note: Option<String>,
}

/// Every household the participant is or was a member of, oldest first.
pub async fn memberships_of(tx: &mut Tx, pid: Uuid) -> Result<Vec<Membership>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT h.id AS household_id, m.id AS member_id, h.formed_on, h.ended_on, h.notes, m.relationship, m.head, m.dependent, \
         m.joined_on, m.left_on, m.left_note FROM household_members m JOIN households h ON h.id = m.household_id \
         WHERE m.participant_id = $1 ORDER BY m.joined_on, m.id"
    ).bind(pid).fetch_all(c).await.map_err(db_err))
}

/// The other members of a household by relationship and dates only (no names: they
/// are other people's data): (relationship, joined, left).
pub async fn others_of(
    tx: &mut Tx,
    hid: Uuid,
    member: Uuid,
) -> Result<Vec<(String, NaiveDate, Option<NaiveDate>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT relationship, joined_on, left_on FROM household_members WHERE household_id = $1 AND id <> $2 ORDER BY joined_on, id"
    ).bind(hid).bind(member).fetch_all(c).await.map_err(db_err))
}

/// The changes of a household about one member, oldest first.
pub async fn changes_about(tx: &mut Tx, member: Uuid) -> Result<Vec<Change>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT h.member_id, h.kind, h.on_date, h.note, u.display_name AS by_name, o.name AS by_organisation_name, h.at \
         FROM household_changes h JOIN users u ON u.id = h.by_user JOIN organisations o ON o.id = h.by_organisation_id \
         WHERE h.member_id = $1 ORDER BY h.at, h.id"
    ).bind(member).fetch_all(c).await.map_err(db_err))
}
