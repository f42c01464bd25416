//! Coordination bodies, their members and meetings (agenda, attendance, minutes), and
//! agreements.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::coordination::{AgreementData, BodyData, MeetingData, Owner};
use itinera_domain::ids::{AgreementId, BodyId, MeetingId, OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::worklist::ITEMS_READ;
use crate::{db_err, on_tx, Tx};

/// A body is visible to its members: a professional named as one, or anyone of a
/// member organisation (a member with no professional named). `$u` user, `$o` org.
pub fn visible_body_sql(b: &str, u: &str, o: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM body_members vb WHERE vb.body_id = {b}.id AND vb.removed_at IS NULL \
           AND (vb.user_id = {u} OR (vb.user_id IS NULL AND vb.organisation_id = {o})))"
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Body {
    pub id: Uuid,
    pub name: String,
    pub level: i16,
    pub programme_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub territory_id: Option<Uuid>,
    pub frequency: String,
    pub custom_days: Option<i16>,
    pub first_meeting_on: Option<NaiveDate>,
    pub description: Option<String>,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub created_at: DateTime<Utc>,
}

const BODY: &str = "SELECT b.id, b.name, b.level, b.programme_id, b.project_id, b.territory_id, b.frequency, b.custom_days, b.first_meeting_on, b.description, b.organisation_id, o.name AS organisation_name, b.created_at \
     FROM coordination_bodies b JOIN organisations o ON o.id = b.organisation_id";

pub async fn insert_body(
    tx: &mut Tx,
    id: Uuid,
    d: &BodyData,
    org: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO coordination_bodies (id, name, level, programme_id, project_id, territory_id, frequency, custom_days, first_meeting_on, description, organisation_id, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
    ).bind(id).bind(&d.name).bind(i16::from(d.level.number())).bind(d.programme_id).bind(d.project_id).bind(d.territory_id)
    .bind(d.frequency.code()).bind(d.custom_days.map(|x| x as i16)).bind(d.first_meeting_on).bind(&d.description)
    .bind(org).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Changes what a body may change: its name, frequency, first meeting, description
/// (its level and scope stay).
pub async fn update_body(tx: &mut Tx, id: Uuid, d: &BodyData) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE coordination_bodies SET name = $2, frequency = $3, custom_days = $4, first_meeting_on = $5, description = $6 WHERE id = $1"
    ).bind(id).bind(&d.name).bind(d.frequency.code()).bind(d.custom_days.map(|x| x as i16)).bind(d.first_meeting_on).bind(&d.description)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A body, if user `u` of organisation `o` may see it.
pub async fn body(
    tx: &mut Tx,
    id: BodyId,
    u: UserId,
    o: OrganisationId,
) -> Result<Option<Body>, Error> {
    let sql = format!(
        "{BODY} WHERE b.id = $1 AND {}",
        visible_body_sql("b", "$2", "$3")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id.0).bind(u.0).bind(o.0).fetch_optional(c).await.map_err(db_err))
}

pub async fn bodies(tx: &mut Tx, u: UserId, o: OrganisationId) -> Result<Vec<Body>, Error> {
    let sql = format!(
        "{BODY} WHERE {} ORDER BY b.level, b.name, b.id",
        visible_body_sql("b", "$1", "$2")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

pub async fn insert_member(
    tx: &mut Tx,
    body: Uuid,
    org: Uuid,
    user: Option<Uuid>,
    role: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = itinera_clock::new_id(now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO body_members (id, body_id, organisation_id, user_id, role, added_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(body).bind(org).bind(user).bind(role).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(id)
}

pub async fn set_member_role(tx: &mut Tx, member: Uuid, role: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE body_members SET role = $2 WHERE id = $1")
        .bind(member).bind(role)
        .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A member leaves the body; their past attendance and agreements stay.
pub async fn remove_member(tx: &mut Tx, member: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE body_members SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL")
        .bind(member).bind(now)
        .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The current members of a body.
pub async fn members(tx: &mut Tx, body: Uuid) -> Result<Vec<Member>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.id, m.organisation_id, o.name AS organisation_name, m.user_id, u.display_name AS user_name, m.role, m.added_at \
         FROM body_members m JOIN organisations o ON o.id = m.organisation_id LEFT JOIN users u ON u.id = m.user_id \
         WHERE m.body_id = $1 AND m.removed_at IS NULL ORDER BY m.added_at, m.id"
    ).bind(body).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meeting {
    pub id: Uuid,
    pub body_id: Uuid,
    pub meeting_date: NaiveDate,
    pub starts: String,
    pub ends: String,
    pub mode: String,
    pub place: Option<String>,
    pub link: Option<String>,
    pub minutes_approved_at: Option<DateTime<Utc>>,
    pub minutes_approved_by_name: Option<String>,
}

const MEETING: &str = "SELECT m.id, m.body_id, m.meeting_date, m.starts, m.ends, m.mode, m.place, m.link, m.minutes_approved_at, u.display_name AS minutes_approved_by_name \
     FROM meetings m LEFT JOIN users u ON u.id = m.minutes_approved_by";

pub async fn insert_meeting(
    tx: &mut Tx,
    id: Uuid,
    body: Uuid,
    d: &MeetingData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO meetings (id, body_id, meeting_date, starts, ends, mode, place, link, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
    ).bind(id).bind(body).bind(d.starts_at.date()).bind(d.starts_at.format("%H:%M").to_string())
    .bind(d.ends_at.format("%H:%M").to_string()).bind(d.mode.code()).bind(&d.place).bind(&d.link).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn meeting(tx: &mut Tx, id: Uuid) -> Result<Option<Meeting>, Error> {
    let sql = format!("{MEETING} WHERE m.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn meetings(tx: &mut Tx, body: Uuid) -> Result<Vec<Meeting>, Error> {
    let sql =
        format!("{MEETING} WHERE m.body_id = $1 ORDER BY m.meeting_date DESC, m.starts DESC, m.id");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(body).fetch_all(c).await.map_err(db_err))
}

/// Takes the meeting's row for the rest of the write transaction (a row lock with the
/// statement both engines share): its changes and its approval run one after the other.
pub async fn lock_meeting(tx: &mut Tx, id: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE meetings SET minutes_approved_at = minutes_approved_at WHERE id = $1")
        .bind(id).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn approve_minutes(
    tx: &mut Tx,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE meetings SET minutes_approved_at = $2, minutes_approved_by = $3 WHERE id = $1 AND minutes_approved_at IS NULL"
    ).bind(id).bind(now).bind(by).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    if n == 0 {
        return Err(Error::Conflict("coordination.minutes.frozen"));
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub id: Uuid,
    pub position: i32,
    pub kind: String,
    pub title: String,
    pub case_id: Option<Uuid>,
    /// The case's participant (for the caller's access check; never sent).
    pub participant_id: Option<Uuid>,
    pub agreement_id: Option<Uuid>,
    pub minutes: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_item(
    tx: &mut Tx,
    meeting: Uuid,
    position: i32,
    kind: &str,
    title: &str,
    case_id: Option<Uuid>,
    agreement_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = itinera_clock::new_id(now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO meeting_items (id, meeting_id, position, kind, title, case_id, agreement_id) VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ).bind(id).bind(meeting).bind(position).bind(kind).bind(title).bind(case_id).bind(agreement_id)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(id)
}

pub async fn items(tx: &mut Tx, meeting: Uuid) -> Result<Vec<Item>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT i.id, i.position, i.kind, i.title, i.case_id, c.participant_id, i.agreement_id, i.minutes \
         FROM meeting_items i LEFT JOIN cases c ON c.id = i.case_id WHERE i.meeting_id = $1 ORDER BY i.position, i.id"
    ).bind(meeting).fetch_all(c).await.map_err(db_err))
}

pub async fn set_minutes(
    tx: &mut Tx,
    meeting: Uuid,
    item: Uuid,
    text: Option<&str>,
) -> Result<(), Error> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE meeting_items SET minutes = $3 WHERE id = $2 AND meeting_id = $1")
        .bind(meeting).bind(item).bind(text).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn set_attendance(
    tx: &mut Tx,
    meeting: Uuid,
    member: Uuid,
    attendance: &str,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO meeting_attendance (meeting_id, member_id, attendance) VALUES ($1,$2,$3) \
         ON CONFLICT (meeting_id, member_id) DO UPDATE SET attendance = $3"
    ).bind(meeting).bind(member).bind(attendance).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn attendance(tx: &mut Tx, meeting: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT member_id, attendance FROM meeting_attendance WHERE meeting_id = $1 ORDER BY member_id")
        .bind(meeting).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Agreement {
    pub id: Uuid,
    pub body_id: Uuid,
    pub body_name: String,
    pub meeting_id: Uuid,
    pub meeting_date: NaiveDate,
    pub text: String,
    pub owner_organisation_id: Uuid,
    pub owner_organisation_name: String,
    pub owner_user_id: Option<Uuid>,
    pub owner_user_name: Option<String>,
    pub due_on: NaiveDate,
    pub case_id: Option<Uuid>,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
}

const AGREEMENT: &str = "SELECT a.id, a.body_id, b.name AS body_name, a.meeting_id, m.meeting_date, a.text, a.owner_organisation_id, o.name AS owner_organisation_name, a.owner_user_id, u.display_name AS owner_user_name, a.due_on, a.case_id, a.status, a.status_reason, a.done_on \
     FROM agreements a JOIN coordination_bodies b ON b.id = a.body_id JOIN meetings m ON m.id = a.meeting_id \
     JOIN organisations o ON o.id = a.owner_organisation_id LEFT JOIN users u ON u.id = a.owner_user_id";

#[allow(clippy::too_many_arguments)]
pub async fn insert_agreement(
    tx: &mut Tx,
    id: AgreementId,
    body: BodyId,
    meeting: MeetingId,
    d: &AgreementData,
    owner_org: OrganisationId,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let owner_user = match d.owner {
        Owner::User(u) => Some(u),
        Owner::Organisation(_) => None,
    };
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO agreements (id, body_id, meeting_id, text, owner_organisation_id, owner_user_id, due_on, case_id, status, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'open',$9,$10,$10)"
    ).bind(id.0).bind(body.0).bind(meeting.0).bind(&d.text).bind(owner_org.0).bind(owner_user).bind(d.due_on).bind(d.case_id).bind(by.0).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn agreement(tx: &mut Tx, id: Uuid) -> Result<Option<Agreement>, Error> {
    let sql = format!("{AGREEMENT} WHERE a.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// A body's agreements: the open ones (oldest due first), or all.
pub async fn agreements_of_body(
    tx: &mut Tx,
    body: Uuid,
    open_only: bool,
) -> Result<Vec<Agreement>, Error> {
    let sql = format!(
        "{AGREEMENT} WHERE a.body_id = $1 {} ORDER BY a.due_on, a.id",
        if open_only {
            "AND a.status = 'open'"
        } else {
            ""
        }
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(body).fetch_all(c).await.map_err(db_err))
}

pub async fn agreements_of_meeting(tx: &mut Tx, meeting: Uuid) -> Result<Vec<Agreement>, Error> {
    let sql = format!("{AGREEMENT} WHERE a.meeting_id = $1 ORDER BY a.created_at, a.id");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(meeting).fetch_all(c).await.map_err(db_err))
}

pub async fn set_agreement_status(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    done_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE agreements SET status = $2, status_reason = $3, done_on = $4, updated_at = $5 WHERE id = $1"
    ).bind(id).bind(status).bind(reason).bind(done_on).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Open agreements owned by user `u`, or by organisation `o` with no professional
/// named, due by `until` (overdue ones included): the work list's.
pub async fn agreements_due(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    until: NaiveDate,
) -> Result<Vec<Agreement>, Error> {
    let sql = format!(
        "{AGREEMENT} WHERE a.status = 'open' AND a.due_on <= $3 \
           AND (a.owner_user_id = $1 OR (a.owner_user_id IS NULL AND a.owner_organisation_id = $2)) \
         ORDER BY a.due_on, a.id LIMIT {ITEMS_READ}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(until).fetch_all(c).await.map_err(db_err))
}

/// The programme a project belongs to.
pub async fn project_programme(tx: &mut Tx, project: Uuid) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT programme_id FROM projects WHERE id = $1")
        .bind(project).fetch_optional(c).await.map_err(db_err))
}

/// Whether a row of a reference table exists (`programmes`, `projects`, `territories`,
/// `organisations`): a form's choice is checked before it is stored.
/// Whether an organisation works in a programme or project: a project of it is the
/// organisation's, or the organisation is on the team of one of its cases.
pub async fn takes_part(
    tx: &mut Tx,
    organisation: Uuid,
    programme: Option<Uuid>,
    project: Option<Uuid>,
) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM projects p WHERE p.organisation_id = $1 AND (p.programme_id = $2 OR p.id = $3) \
         UNION ALL SELECT 1 FROM (SELECT 1 AS x FROM case_team_members t JOIN cases c ON c.id = t.case_id \
         WHERE t.organisation_id = $1 AND (c.programme_id = $2 OR c.project_id = $3) LIMIT 1) one) found"
    ).bind(organisation).bind(programme).bind(project).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

pub async fn reference_exists(tx: &mut Tx, table: Reference, id: Uuid) -> Result<bool, Error> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE id = $1", table.name());
    let n: i64 =
        on_tx!(tx, c => sqlx::query_scalar(&sql).bind(id).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

#[derive(Debug, Clone, Copy)]
pub enum Reference {
    Programmes,
    Projects,
    Territories,
    Organisations,
}

impl Reference {
    fn name(self) -> &'static str {
        match self {
            Reference::Programmes => "programmes",
            Reference::Projects => "projects",
            Reference::Territories => "territories",
            Reference::Organisations => "organisations",
        }
    }
}

/// The open cases user `u` is on the team of, that organisation `o` may see, with the
/// person's name (for a case table's agenda).
pub async fn team_cases(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<(Uuid, String)>, Error> {
    let sql = format!(
        "SELECT DISTINCT c.id, p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '') AS name, p.surname_key \
         FROM case_team_members m JOIN cases c ON c.id = m.case_id JOIN participants p ON p.id = c.participant_id \
         WHERE m.user_id = $1 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.status <> 'closed' AND {} \
         ORDER BY p.surname_key, c.id LIMIT 500",
        crate::access::visible_sql("p", "$2", "$3", "$4")
    );
    let rows: Vec<(Uuid, String, String)> = on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(kind).bind(today)
        .fetch_all(c).await.map_err(db_err))?;
    Ok(rows.into_iter().map(|(id, name, _)| (id, name)).collect())
}

/// A meeting in a calendar: with its body's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarEntry {
    pub id: Uuid,
    pub body_id: Uuid,
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub starts: String,
    pub ends: String,
    pub mode: String,
    pub place: Option<String>,
    pub link: Option<String>,
}

/// Whether user `u` of organisation `o` is invited to meeting `m`: in person, or as
/// one of an invited member organisation.
pub fn invited_sql(m: &str, u: &str, o: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM body_members im WHERE im.body_id = {m}.body_id AND im.removed_at IS NULL \
           AND (im.user_id = {u} OR (im.user_id IS NULL AND im.organisation_id = {o})) \
           AND ({m}.invites_all OR EXISTS (SELECT 1 FROM meeting_invitees mi WHERE mi.meeting_id = {m}.id AND mi.member_id = im.id)))"
    )
}

/// Whether a meeting invites every member (it named nobody) or only those named.
pub async fn set_invites_all(tx: &mut Tx, meeting: Uuid, all: bool) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE meetings SET invites_all = $2 WHERE id = $1")
        .bind(meeting).bind(all)
        .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn invite(tx: &mut Tx, meeting: Uuid, member: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO meeting_invitees (meeting_id, member_id) VALUES ($1,$2) ON CONFLICT DO NOTHING")
        .bind(meeting).bind(member)
        .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The current members invited to a meeting: all of them, or those it named.
pub async fn invitees(tx: &mut Tx, meeting: Uuid) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT bm.id FROM meetings m JOIN body_members bm ON bm.body_id = m.body_id \
         WHERE m.id = $1 AND bm.removed_at IS NULL \
           AND (m.invites_all OR EXISTS (SELECT 1 FROM meeting_invitees mi WHERE mi.meeting_id = m.id AND mi.member_id = bm.id)) \
         ORDER BY bm.id"
    ).bind(meeting).fetch_all(c).await.map_err(db_err))
}

/// The meetings user `u` of organisation `o` is invited to, between two dates
/// (inclusive).
pub async fn calendar(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CalendarEntry>, Error> {
    let sql = format!(
        "SELECT m.id, m.body_id, b.name AS body_name, m.meeting_date, m.starts, m.ends, m.mode, m.place, m.link \
         FROM meetings m JOIN coordination_bodies b ON b.id = m.body_id \
         WHERE m.meeting_date >= $3 AND m.meeting_date <= $4 AND {} ORDER BY m.meeting_date, m.starts, m.id",
        invited_sql("m", "$1", "$2")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}

/// A new feed for (user, organisation); earlier ones are revoked.
pub async fn replace_feed(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    token_hash: &str,
    api_token: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    revoke_feeds(tx, u, o, now).await?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO calendar_feeds (id, user_id, organisation_id, token_hash, token_id, created_at) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(itinera_clock::new_id(now)).bind(u.0).bind(o.0).bind(token_hash).bind(api_token).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn revoke_feeds(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $3 WHERE user_id = $1 AND organisation_id = $2 AND revoked_at IS NULL"
    ).bind(u.0).bind(o.0).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
}

/// Revokes every live feed of a user, in any organisation (a reset second factor).
pub async fn revoke_all_feeds(tx: &mut Tx, u: Uuid, now: DateTime<Utc>) -> Result<u64, Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
    ).bind(u).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
}

/// The (user, organisation) of a live feed at `now`: not revoked, and, when an API
/// token made it, that token neither revoked nor expired.
pub async fn feed_owner(
    tx: &mut Tx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Uuid)>, Error> {
    let sql = format!(
        "SELECT f.user_id, f.organisation_id FROM calendar_feeds f LEFT JOIN api_tokens t ON t.id = f.token_id \
         WHERE f.token_hash = $1 AND {FEED_LIVE}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(token_hash).bind(now)
        .fetch_optional(c).await.map_err(db_err))
}

/// A feed (`f`, its API token `t` joined) is live on `$2`: not revoked, and the token
/// it was made with, if any, neither revoked nor expired.
const FEED_LIVE: &str = "f.revoked_at IS NULL AND (f.token_id IS NULL \
    OR (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)))";

/// Whether (user, organisation) has a live feed on `now`.
pub async fn has_feed(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM calendar_feeds f LEFT JOIN api_tokens t ON t.id = f.token_id \
         WHERE f.user_id = $1 AND {FEED_LIVE} AND f.organisation_id = $3"
    );
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(&sql).bind(u.0).bind(now).bind(o.0)
        .fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NetworkAgreement {
    pub id: Uuid,
    pub subject: String,
    pub kind: String,
    pub signed_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub document_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Filled after the query: the parties' names, the programmes' codes.
    #[sqlx(skip)]
    pub parties: Vec<String>,
    #[sqlx(skip)]
    pub programmes: Vec<String>,
    /// The bodies it serves that the reader is a member of.
    #[sqlx(skip)]
    pub bodies: Vec<String>,
}

pub async fn insert_network_agreement(
    tx: &mut Tx,
    id: Uuid,
    d: &itinera_domain::network::NetworkAgreementData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO network_agreements (id, subject, subject_key, kind, signed_on, valid_until, document_ref, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    ).bind(id).bind(&d.subject).bind(itinera_domain::text::fold(&d.subject)).bind(d.kind.code()).bind(d.signed_on)
    .bind(d.valid_until).bind(&d.document_ref).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    for o in &d.parties {
        on_tx!(tx, c => sqlx::query("INSERT INTO network_agreement_parties (agreement_id, organisation_id) VALUES ($1,$2)")
            .bind(id).bind(o).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    for p in &d.programmes {
        on_tx!(tx, c => sqlx::query("INSERT INTO network_agreement_programmes (agreement_id, programme_id) VALUES ($1,$2)")
            .bind(id).bind(p).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    for b in &d.bodies {
        on_tx!(tx, c => sqlx::query("INSERT INTO network_agreement_bodies (agreement_id, body_id) VALUES ($1,$2)")
            .bind(id).bind(b).execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    Ok(())
}

/// Network agreements whose subject or a party's name contains `query` (folded), the
/// latest signed first; of one body when `body` is given. The bodies named are those
/// user `u` of organisation `o` is a member of.
pub async fn network_agreements(
    tx: &mut Tx,
    query: &str,
    body: Option<Uuid>,
    u: UserId,
    o: OrganisationId,
) -> Result<Vec<NetworkAgreement>, Error> {
    let pattern = crate::admin::key_pattern(query);
    let mut rows: Vec<NetworkAgreement> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, a.subject, a.kind, a.signed_on, a.valid_until, a.document_ref, a.created_at FROM network_agreements a \
         WHERE ($1 IS NULL OR a.subject_key LIKE $1 OR EXISTS (SELECT 1 FROM network_agreement_parties p JOIN organisations o ON o.id = p.organisation_id \
           WHERE p.agreement_id = a.id AND o.name_key LIKE $1)) \
           AND ($2 IS NULL OR EXISTS (SELECT 1 FROM network_agreement_bodies nb WHERE nb.agreement_id = a.id AND nb.body_id = $2)) \
         ORDER BY a.signed_on DESC, a.id LIMIT 500"
    ).bind(&pattern).bind(body)
    .fetch_all(c).await.map_err(db_err))?;
    for r in &mut rows {
        r.parties = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT o.name FROM network_agreement_parties p JOIN organisations o ON o.id = p.organisation_id WHERE p.agreement_id = $1 ORDER BY o.name"
        ).bind(r.id).fetch_all(c).await.map_err(db_err))?;
        r.programmes = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT g.code FROM network_agreement_programmes p JOIN programmes g ON g.id = p.programme_id WHERE p.agreement_id = $1 ORDER BY g.code"
        ).bind(r.id).fetch_all(c).await.map_err(db_err))?;
        let sql = format!(
            "SELECT b.name FROM network_agreement_bodies nb JOIN coordination_bodies b ON b.id = nb.body_id \
             WHERE nb.agreement_id = $1 AND {} ORDER BY b.name",
            visible_body_sql("b", "$2", "$3")
        );
        r.bodies = on_tx!(tx, c => sqlx::query_scalar(&sql)
            .bind(r.id).bind(u.0).bind(o.0).fetch_all(c).await.map_err(db_err))?;
    }
    Ok(rows)
}

/// A notice (once per person, kind and agreement).
pub async fn notify(
    tx: &mut Tx,
    user: UserId,
    org: OrganisationId,
    kind: &str,
    agreement: AgreementId,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, organisation_id, kind, agreement_id, created_at) VALUES ($1,$2,$3,$4,$5,$6) \
         ON CONFLICT (user_id, kind, agreement_id) DO NOTHING"
    ).bind(itinera_clock::new_id(now)).bind(user.0).bind(org.0).bind(kind).bind(agreement.0).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Of `agreements`, those the user has not been told of with `kind` yet.
pub async fn not_notified(
    tx: &mut Tx,
    user: UserId,
    kind: &str,
    agreements: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let mut out = Vec::new();
    for a in agreements {
        let told: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT id FROM notifications WHERE user_id = $1 AND kind = $2 AND agreement_id = $3"
        ).bind(user.0).bind(kind).bind(a).fetch_optional(c).await.map_err(db_err))?;
        if told.is_none() {
            out.push(*a);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: Uuid,
    pub kind: String,
    pub agreement_id: Option<Uuid>,
    pub agreement_text: Option<String>,
    pub meeting_id: Option<Uuid>,
    pub body_name: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub incident_id: Option<Uuid>,
    pub incident_kind: Option<String>,
    pub case_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub retention_check_id: Option<Uuid>,
    pub retention_months: Option<i16>,
    pub contract_id: Option<Uuid>,
    /// The date a retention check or a follow-up contact falls due.
    pub notice_due_on: Option<NaiveDate>,
    pub referral_id: Option<Uuid>,
}

/// The unread notices of user `u` working for `o`, newest first: of agreements (with
/// the body and meeting; the text only of one about no case, as a notice names no
/// person) and of incidents (their kind and case, never the person).
pub async fn unread_notifications(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
) -> Result<Vec<Notification>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT n.id, n.kind, n.agreement_id, CASE WHEN a.case_id IS NULL THEN a.text ELSE NULL END AS agreement_text, a.meeting_id, b.name AS body_name, a.due_on, \
         n.incident_id, i.kind AS incident_kind, n.case_id, n.created_at, n.retention_check_id, r.months AS retention_months, \
         n.contract_id, n.due_on AS notice_due_on, n.referral_id \
         FROM notifications n LEFT JOIN agreements a ON a.id = n.agreement_id LEFT JOIN coordination_bodies b ON b.id = a.body_id \
         LEFT JOIN incidents i ON i.id = n.incident_id LEFT JOIN retention_checks r ON r.id = n.retention_check_id \
         WHERE n.user_id = $1 AND n.organisation_id = $2 AND n.read_at IS NULL ORDER BY n.created_at DESC, n.id DESC LIMIT 100"
    ).bind(u.0).bind(o.0).fetch_all(c).await.map_err(db_err))
}

/// Marks read the unread notices of `u` working for `o`: all of them, or only those
/// of `only` (the ones a page showed).
pub async fn mark_notifications_read(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    now: DateTime<Utc>,
    only: Option<&[Uuid]>,
) -> Result<u64, Error> {
    let Some(ids) = only else {
        return on_tx!(tx, c => sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND organisation_id = $2 AND read_at IS NULL"
        ).bind(u.0).bind(o.0).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_err));
    };
    let mut n = 0;
    for id in ids {
        n += on_tx!(tx, c => sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE id = $4 AND user_id = $1 AND organisation_id = $2 AND read_at IS NULL"
        ).bind(u.0).bind(o.0).bind(now).bind(id).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(n)
}
