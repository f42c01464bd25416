//! Referrals, their steps, the inboxes of the sending and the receiving organisations,
//! their notices and the figures of the referral flow.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::referral::ReferralData;
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::{consented_sql, visible_sql};
use crate::worklist::ITEMS_READ;
use crate::{db_err, on_tx, Tx};

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

pub struct NewReferral<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub from_organisation_id: Uuid,
    pub sent_by: Uuid,
    pub data: &'a ReferralData,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewReferral<'_>) -> Result<(), Error> {
    let d = n.data;
    let shared = d
        .shared
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(",");
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO referrals (id, case_id, home_organisation_id, from_organisation_id, sent_by, to_organisation_id, reason, urgency, shared, status, sent_at, version, resource_id) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'sent',$10,1,$11)"
    ).bind(n.id).bind(n.case_id).bind(n.home_organisation_id).bind(n.from_organisation_id).bind(n.sent_by)
    .bind(d.to_organisation_id).bind(&d.reason).bind(d.urgency.code()).bind(shared).bind(n.now).bind(d.resource_id)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// One step of a referral: who took it, for which organisation, when, with a note.
pub struct NewStep<'a> {
    pub referral_id: Uuid,
    pub home_organisation_id: Uuid,
    pub status: &'a str,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub note: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn add_step(tx: &mut Tx, s: &NewStep<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO referral_steps (id, referral_id, home_organisation_id, status, at, user_id, organisation_id, note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    ).bind(itinera_clock::new_id(s.now)).bind(s.referral_id).bind(s.home_organisation_id).bind(s.status).bind(s.now)
    .bind(s.user_id).bind(s.organisation_id).bind(s.note)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Referral {
    pub id: Uuid,
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub programme_code: String,
    pub case_status: String,
    pub answer_days: i16,
    pub from_organisation_id: Uuid,
    pub from_organisation_name: String,
    pub from_organisation_kind: String,
    pub sent_by: Uuid,
    pub sent_by_name: String,
    pub to_organisation_id: Uuid,
    pub to_organisation_name: String,
    pub to_organisation_kind: String,
    pub reason: String,
    pub urgency: String,
    pub shared: String,
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub version: i32,
    pub resource_id: Option<Uuid>,
    pub resource_name: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.case_id, c.participant_id, r.home_organisation_id, g.code AS programme_code, c.status AS case_status, \
    g.referral_answer_days AS answer_days, r.from_organisation_id, fo.name AS from_organisation_name, fo.kind AS from_organisation_kind, \
    r.sent_by, su.display_name AS sent_by_name, r.to_organisation_id, tor.name AS to_organisation_name, tor.kind AS to_organisation_kind, \
    r.reason, r.urgency, r.shared, r.status, r.sent_at, r.answered_at, r.rejection_reason, r.assignee_id, au.display_name AS assignee_name, \
    r.started_at, r.closed_at, r.outcome, r.outcome_note, r.version, r.resource_id, \
    (SELECT rs.name FROM resources rs WHERE rs.id = r.resource_id) AS resource_name \
    FROM referrals r JOIN cases c ON c.id = r.case_id JOIN programmes g ON g.id = c.programme_id \
    JOIN organisations fo ON fo.id = r.from_organisation_id JOIN organisations tor ON tor.id = r.to_organisation_id \
    JOIN users su ON su.id = r.sent_by LEFT JOIN users au ON au.id = r.assignee_id";

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Referral>, Error> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn of_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Referral>, Error> {
    let sql = format!("{SELECT} WHERE r.case_id = $1 ORDER BY r.sent_at DESC, r.id DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(case_id).fetch_all(c).await.map_err(db_err))
}

/// Whether the case has an open referral to organisation `to`.
pub async fn open_to(tx: &mut Tx, case_id: Uuid, to: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM referrals WHERE case_id = $1 AND to_organisation_id = $2 AND status IN ('sent','accepted','in_progress')"
    ).bind(case_id).bind(to).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub status: String,
    pub at: DateTime<Utc>,
    pub user_name: String,
    pub organisation_name: String,
    pub note: Option<String>,
}

pub async fn steps(tx: &mut Tx, referral_id: Uuid) -> Result<Vec<StepRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT s.status, s.at, u.display_name AS user_name, o.name AS organisation_name, s.note FROM referral_steps s \
         JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = s.organisation_id \
         WHERE s.referral_id = $1 ORDER BY s.at, s.id"
    ).bind(referral_id).fetch_all(c).await.map_err(db_err))
}

/// A change of status, guarded by the status it was read in (`from`); false when the
/// referral moved meanwhile. Fields given as `None` keep their value.
pub struct Change<'a> {
    pub id: Uuid,
    pub from: &'a str,
    pub to: &'a str,
    pub answered_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<&'a str>,
    pub assignee_id: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<&'a str>,
    pub outcome_note: Option<&'a str>,
}

pub async fn change(tx: &mut Tx, ch: &Change<'_>) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE referrals SET status = $3, answered_at = COALESCE($4, answered_at), rejection_reason = COALESCE($5, rejection_reason), \
         assignee_id = COALESCE($6, assignee_id), started_at = COALESCE($7, started_at), closed_at = COALESCE($8, closed_at), \
         outcome = COALESCE($9, outcome), outcome_note = COALESCE($10, outcome_note), version = version + 1 \
         WHERE id = $1 AND status = $2"
    ).bind(ch.id).bind(ch.from).bind(ch.to).bind(ch.answered_at).bind(ch.rejection_reason).bind(ch.assignee_id)
    .bind(ch.started_at).bind(ch.closed_at).bind(ch.outcome).bind(ch.outcome_note)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// A line of an organisation's inbox: the referral, and the person's name where the
/// reader's organisation may see it (the ordinary rule; or, for a referral to it still
/// waiting for its answer, the person's sharing consent).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxLine {
    pub id: Uuid,
    pub case_id: Uuid,
    pub programme_code: String,
    pub answer_days: i16,
    pub from_organisation_name: String,
    pub sent_by: Uuid,
    pub sent_by_name: String,
    pub to_organisation_name: String,
    pub urgency: String,
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub participant_name: Option<String>,
}

/// Which side of the referrals an inbox shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Received,
    Sent,
}

/// The SQL expression of the person's name as organisation `$org` (of kind `$kind`) may
/// see it on day `$today` (NULL otherwise), for a referral `r` of a case's person `p`.
fn name_seen(org: &str, kind: &str, today: &str) -> String {
    let visible = visible_sql("p", org, kind, today);
    let consented = consented_sql("p", org, kind, today);
    format!(
        "CASE WHEN {visible} OR (r.status = 'sent' AND r.to_organisation_id = {org} AND {consented}) THEN {NAME} END"
    )
}

/// An organisation's referrals, received or sent, newest first; only open ones when
/// `open_only`. At most `limit`.
pub async fn inbox(
    tx: &mut Tx,
    side: Side,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    open_only: bool,
    limit: i64,
) -> Result<Vec<InboxLine>, Error> {
    let open = if open_only {
        " AND r.status IN ('sent','accepted','in_progress')"
    } else {
        ""
    };
    inbox_where(tx, side, org, kind, today, open, false, limit).await
}

#[allow(clippy::too_many_arguments)]
async fn inbox_where(
    tx: &mut Tx,
    side: Side,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    open: &str,
    oldest_first: bool,
    limit: i64,
) -> Result<Vec<InboxLine>, Error> {
    let name = name_seen("$1", "$2", "$3");
    let order = if oldest_first {
        "r.sent_at, r.id"
    } else {
        "r.sent_at DESC, r.id DESC"
    };
    let column = match side {
        Side::Received => "r.to_organisation_id",
        Side::Sent => "r.from_organisation_id",
    };
    let sql = format!(
        "SELECT r.id, r.case_id, g.code AS programme_code, g.referral_answer_days AS answer_days, fo.name AS from_organisation_name, \
         r.sent_by, su.display_name AS sent_by_name, tor.name AS to_organisation_name, r.urgency, r.status, r.sent_at, r.answered_at, \
         r.closed_at, r.outcome, {name} AS participant_name \
         FROM referrals r JOIN cases c ON c.id = r.case_id JOIN participants p ON p.id = c.participant_id \
         JOIN programmes g ON g.id = c.programme_id JOIN organisations fo ON fo.id = r.from_organisation_id \
         JOIN organisations tor ON tor.id = r.to_organisation_id JOIN users su ON su.id = r.sent_by \
         WHERE {column} = $1{open} ORDER BY {order} LIMIT $4"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(kind).bind(today).bind(limit)
        .fetch_all(c).await.map_err(db_err))
}

/// Whether organisation `org` may see the person of a referral waiting for its answer
/// from it: the person's sharing consent covers it (or it registered them).
pub async fn name_for_receiver(
    tx: &mut Tx,
    referral: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Option<String>, Error> {
    let consented = consented_sql("p", "$2", "$3", "$4");
    let sql = format!(
        "SELECT {NAME} FROM referrals r JOIN cases c ON c.id = r.case_id JOIN participants p ON p.id = c.participant_id \
         WHERE r.id = $1 AND r.status = 'sent' AND r.to_organisation_id = $2 AND {consented}"
    );
    on_tx!(tx, c => sqlx::query_scalar(&sql).bind(referral).bind(org).bind(kind).bind(today)
        .fetch_optional(c).await.map_err(db_err))
}

/// The contact details of a person (phone, e-mail), for a receiver they were shared with.
pub async fn contact_details(
    tx: &mut Tx,
    participant: Uuid,
) -> Result<Option<(Option<String>, Option<String>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT phone, email FROM participants WHERE id = $1"
    ).bind(participant).fetch_optional(c).await.map_err(db_err))
}

/// Referrals waiting for an answer from organisation `org` that it may see (its consent
/// covers it), oldest first: the receiver's work list.
pub async fn waiting_for(
    tx: &mut Tx,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<InboxLine>, Error> {
    // Only those still waiting whose person it may see, oldest first (the overdue
    // ones), both before the limit.
    let open = format!(
        " AND r.status = 'sent' AND {} IS NOT NULL",
        name_seen("$1", "$2", "$3")
    );
    inbox_where(tx, Side::Received, org, kind, today, &open, true, limit).await
}

/// Referrals still unanswered that were sent before `before` by user `by` (or, with
/// `whole_org`, by anyone of organisation `org`), whose person `org` sees; oldest first.
pub async fn unanswered_sent(
    tx: &mut Tx,
    by: Uuid,
    org: Uuid,
    kind: &str,
    whole_org: bool,
    today: NaiveDate,
    before: DateTime<Utc>,
) -> Result<Vec<InboxLine>, Error> {
    let name = name_seen("$1", "$2", "$3");
    let sql = format!(
        "SELECT r.id, r.case_id, g.code AS programme_code, g.referral_answer_days AS answer_days, fo.name AS from_organisation_name, \
         r.sent_by, su.display_name AS sent_by_name, tor.name AS to_organisation_name, r.urgency, r.status, r.sent_at, r.answered_at, \
         r.closed_at, r.outcome, {name} AS participant_name \
         FROM referrals r JOIN cases c ON c.id = r.case_id JOIN participants p ON p.id = c.participant_id \
         JOIN programmes g ON g.id = c.programme_id JOIN organisations fo ON fo.id = r.from_organisation_id \
         JOIN organisations tor ON tor.id = r.to_organisation_id JOIN users su ON su.id = r.sent_by \
         WHERE r.from_organisation_id = $1 AND r.status = 'sent' AND r.sent_at < $4 AND ($6 OR r.sent_by = $5) ORDER BY r.sent_at, r.id LIMIT {ITEMS_READ}"
    );
    let rows: Vec<InboxLine> = on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(kind).bind(today).bind(before).bind(by).bind(whole_org)
        .fetch_all(c).await.map_err(db_err))?;
    Ok(rows
        .into_iter()
        .filter(|r| r.participant_name.is_some())
        .collect())
}

/// Every referral still unanswered sent before `before` (for the notices of the
/// background sweep): id, case, sender, sender's organisation, sent at, limit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unanswered {
    pub id: Uuid,
    pub case_id: Uuid,
    pub sent_by: Uuid,
    pub from_organisation_id: Uuid,
    pub sent_at: DateTime<Utc>,
    pub answer_days: i16,
}

/// Referrals still unanswered, sent before `before`, whose sender has not yet had the
/// notice `told` about them (so that each pass reaches new ones, not the same oldest
/// ones again), oldest first, at most `limit`.
pub async fn all_unanswered(
    tx: &mut Tx,
    before: DateTime<Utc>,
    told: &str,
    limit: i64,
) -> Result<Vec<Unanswered>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT r.id, r.case_id, r.sent_by, r.from_organisation_id, r.sent_at, g.referral_answer_days AS answer_days \
         FROM referrals r JOIN cases c ON c.id = r.case_id JOIN programmes g ON g.id = c.programme_id \
         WHERE r.status = 'sent' AND r.sent_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = r.sent_by AND n.kind = $3 AND n.referral_id = r.id) \
         ORDER BY r.sent_at, r.id LIMIT $2"
    ).bind(before).bind(limit).bind(told).fetch_all(c).await.map_err(db_err))
}

/// The users of organisation `org` holding one of `roles` there.
pub async fn holders(tx: &mut Tx, org: Uuid, roles: &[&str]) -> Result<Vec<Uuid>, Error> {
    let list = roles
        .iter()
        .filter(|r| r.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(",");
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organisation_id = $1 AND m.role IN ({list}) AND u.active ORDER BY m.user_id"
    );
    on_tx!(tx, c => sqlx::query_scalar(&sql).bind(org).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Professional {
    pub user_id: Uuid,
    pub display_name: String,
}

/// The professionals of organisation `org` who may join a case's team (writers).
pub async fn professionals(
    tx: &mut Tx,
    org: Uuid,
    roles: &[&str],
) -> Result<Vec<Professional>, Error> {
    let list = roles
        .iter()
        .filter(|r| r.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(",");
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT u.id AS user_id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organisation_id = $1 AND m.role IN ({list}) AND u.active ORDER BY u.display_name, u.id"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org).fetch_all(c).await.map_err(db_err))
}

/// A notice of a referral for one professional (once per person, kind and referral).
pub async fn notify(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    referral: Uuid,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, organisation_id, kind, referral_id, case_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (user_id, kind, referral_id) DO NOTHING"
    ).bind(itinera_clock::new_id(now)).bind(user).bind(org).bind(kind).bind(referral).bind(case_id).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// A referral as the figures count it: who sent it to whom, when it was answered and
/// closed. No person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRow {
    pub from_organisation_id: Uuid,
    pub from_organisation_name: String,
    pub from_organisation_kind: String,
    pub to_organisation_id: Uuid,
    pub to_organisation_name: String,
    pub to_organisation_kind: String,
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Whom the referral is about: counted, never shown (a figure of few people's
    /// referrals is hidden).
    pub participant_id: Uuid,
}

/// The referrals sent in `[from, to)`.
pub async fn flow(
    tx: &mut Tx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<FlowRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT r.from_organisation_id, fo.name AS from_organisation_name, fo.kind AS from_organisation_kind, \
         r.to_organisation_id, tor.name AS to_organisation_name, tor.kind AS to_organisation_kind, r.status, r.sent_at, r.answered_at, r.closed_at, \
         k.participant_id FROM referrals r JOIN cases k ON k.id = r.case_id \
         JOIN organisations fo ON fo.id = r.from_organisation_id JOIN organisations tor ON tor.id = r.to_organisation_id \
         WHERE r.sent_at >= $1 AND r.sent_at < $2 ORDER BY r.sent_at, r.id"
    ).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}
