//! Placements: contracts, their retention checks, the contract types (data), and the
//! employers (organisations of kind employer or insertion company) with the users who
//! may tutor at them.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::placement::{ContractData, EndReason, RetentionData};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractType {
    pub code: String,
    pub country: String,
    pub open_ended: bool,
    pub training: bool,
}

/// The contract types in use, by country and code.
pub async fn contract_types(tx: &mut Tx) -> Result<Vec<ContractType>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT code, country, open_ended, training FROM contract_types WHERE active ORDER BY country, code"
    ).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Employer {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

/// Active organisations that hire: employers and insertion companies.
pub async fn employers(tx: &mut Tx) -> Result<Vec<Employer>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name, kind FROM organisations WHERE active AND kind IN ('employer', 'insertion_company') ORDER BY name"
    ).fetch_all(c).await.map_err(db_err))
}

/// Whether `user` is an active workplace tutor of `org` (who may be named a contract's tutor).
pub async fn works_for(tx: &mut Tx, user: Uuid, org: Uuid) -> Result<bool, Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.user_id = $1 AND m.organisation_id = $2 AND m.role = 'workplace_tutor' AND u.active"
    ).bind(user).bind(org).fetch_one(c).await.map_err(db_err))?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
}

/// The active workplace tutors of the employers (who may be named a contract's tutor).
pub async fn employer_staff(tx: &mut Tx) -> Result<Vec<Person>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name AS name, m.organisation_id FROM memberships m \
         JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = m.organisation_id \
         WHERE o.active AND u.active AND m.role = 'workplace_tutor' AND o.kind IN ('employer', 'insertion_company') ORDER BY name, u.id"
    ).fetch_all(c).await.map_err(db_err))
}

pub struct NewContract<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub data: &'a ContractData,
    pub created_by: Uuid,
    pub created_by_organisation_id: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert_contract(tx: &mut Tx, n: &NewContract<'_>) -> Result<(), Error> {
    let d = n.data;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO contracts (id, case_id, home_organisation_id, employer_id, workplace, isco_code, position_title, contract_type, insertion, \
         hours_per_week, start_on, planned_end_on, tutor_id, created_by, created_by_organisation_id, created_at, version) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,1)"
    ).bind(n.id).bind(n.case_id).bind(n.home_organisation_id).bind(d.employer_id).bind(&d.workplace).bind(&d.isco_code)
    .bind(&d.position_title).bind(&d.contract_type).bind(d.insertion).bind(d.hours_per_week).bind(d.start_on)
    .bind(d.planned_end_on).bind(d.tutor_id).bind(n.created_by).bind(n.created_by_organisation_id).bind(n.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// Schedules a contract's retention checks.
pub async fn schedule_retention(
    tx: &mut Tx,
    contract: Uuid,
    case_id: Uuid,
    home: Uuid,
    due: &[(Uuid, u32, NaiveDate)],
) -> Result<(), Error> {
    for (id, months, on) in due {
        let m = i16::try_from(*months).unwrap_or(i16::MAX);
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO retention_checks (id, contract_id, case_id, home_organisation_id, months, due_on) VALUES ($1,$2,$3,$4,$5,$6)"
        ).bind(id).bind(contract).bind(case_id).bind(home).bind(m).bind(on)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contract {
    pub id: Uuid,
    pub case_id: Uuid,
    pub employer_id: Uuid,
    pub employer_name: String,
    pub employer_kind: String,
    pub workplace: Option<String>,
    pub isco_code: String,
    pub position_title: String,
    pub contract_type: String,
    pub insertion: bool,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub tutor_id: Option<Uuid>,
    pub tutor_name: Option<String>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

const CONTRACT: &str = "SELECT k.id, k.case_id, k.employer_id, e.name AS employer_name, e.kind AS employer_kind, k.workplace, k.isco_code, \
    k.position_title, k.contract_type, k.insertion, k.hours_per_week, k.start_on, k.planned_end_on, k.ended_on, k.end_reason, \
    k.tutor_id, t.display_name AS tutor_name, u.display_name AS created_by_name, k.created_at, k.version \
    FROM contracts k JOIN organisations e ON e.id = k.employer_id LEFT JOIN users t ON t.id = k.tutor_id JOIN users u ON u.id = k.created_by";

pub async fn contracts_of_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Contract>, Error> {
    let sql = format!("{CONTRACT} WHERE k.case_id = $1 ORDER BY k.start_on DESC, k.id DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(case_id).fetch_all(c).await.map_err(db_err))
}

pub async fn contract(tx: &mut Tx, id: Uuid) -> Result<Option<Contract>, Error> {
    let sql = format!("{CONTRACT} WHERE k.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Names another workplace tutor (or none) of a running contract, at the version it was
/// read at; false when it changed meanwhile or has ended.
pub async fn set_tutor(
    tx: &mut Tx,
    id: Uuid,
    version: i32,
    tutor: Option<Uuid>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE contracts SET tutor_id = $3, version = version + 1 WHERE id = $1 AND version = $2 AND ended_on IS NULL"
    ).bind(id).bind(version).bind(tutor)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Ends a contract at the version it was read at; false when it changed meanwhile or
/// had already ended.
pub async fn end_contract(
    tx: &mut Tx,
    id: Uuid,
    version: i32,
    ended_on: NaiveDate,
    reason: EndReason,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE contracts SET ended_on = $3, end_reason = $4, version = version + 1 WHERE id = $1 AND version = $2 AND ended_on IS NULL"
    ).bind(id).bind(version).bind(ended_on).bind(reason.code())
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RetentionCheck {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub case_id: Uuid,
    pub months: i16,
    pub due_on: NaiveDate,
    pub checked_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub checked_by_name: Option<String>,
}

const RETENTION: &str = "SELECT r.id, r.contract_id, r.case_id, r.months, r.due_on, r.checked_on, r.outcome, r.note, u.display_name AS checked_by_name \
    FROM retention_checks r LEFT JOIN users u ON u.id = r.checked_by";

pub async fn retention_of_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<RetentionCheck>, Error> {
    let sql = format!("{RETENTION} WHERE r.case_id = $1 ORDER BY r.contract_id, r.months");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(case_id).fetch_all(c).await.map_err(db_err))
}

pub async fn retention_check(tx: &mut Tx, id: Uuid) -> Result<Option<RetentionCheck>, Error> {
    let sql = format!("{RETENTION} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Records a retention check once; false when it was already recorded.
pub async fn record_retention(
    tx: &mut Tx,
    id: Uuid,
    d: &RetentionData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE retention_checks SET checked_on = $2, outcome = $3, note = $4, checked_by = $5, checked_at = $6 WHERE id = $1 AND checked_on IS NULL"
    ).bind(id).bind(d.checked_on).bind(d.outcome.code()).bind(&d.note).bind(by).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// The day of the last contact on a case the reader (`user` of `org`) may read (the
/// follow-up of a running contract).
pub async fn last_contact(
    tx: &mut Tx,
    case_id: Uuid,
    user: Uuid,
    org: Uuid,
) -> Result<Option<NaiveDate>, Error> {
    let sql = format!(
        "SELECT MAX(t.happened_on) FROM contacts t WHERE t.case_id = $1 AND {}",
        crate::contacts::visible_as("t", "$2", "$3")
    );
    on_tx!(tx, c => sqlx::query_scalar(&sql).bind(case_id).bind(user).bind(org)
        .fetch_one(c).await.map_err(db_err))
}

/// A contract as its workplace tutor sees it: the person's name and the job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tutored {
    pub id: Uuid,
    pub case_id: Uuid,
    pub participant_name: String,
    pub employer_name: String,
    pub workplace: Option<String>,
    pub isco_code: String,
    pub position_title: String,
    pub contract_type: String,
    pub hours_per_week: f64,
    pub start_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
}

fn tutored_sql(one: bool) -> String {
    format!(
        "SELECT k.id, k.case_id, p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '') AS participant_name, \
         e.name AS employer_name, k.workplace, k.isco_code, k.position_title, k.contract_type, k.hours_per_week, \
         k.start_on, k.planned_end_on, k.ended_on \
         FROM contracts k JOIN organisations e ON e.id = k.employer_id JOIN cases c ON c.id = k.case_id \
         JOIN participants p ON p.id = c.participant_id \
         WHERE k.tutor_id = $1 AND k.employer_id = $2 AND {} {}",
        crate::access::consented_sql("p", "$2", "$3", "$4"),
        if one {
            "AND k.id = $5"
        } else {
            "ORDER BY CASE WHEN k.ended_on IS NULL THEN 0 ELSE 1 END, k.start_on DESC, k.id DESC LIMIT 500"
        }
    )
}

/// The contracts `user` tutors for their organisation `org` (of kind `kind`), whose
/// person has consented to sharing with it (or it registered them), running or ended
/// within `TUTOR_REACH_DAYS`: running first.
pub async fn tutored(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<Tutored>, Error> {
    let sql = tutored_sql(false);
    let mut rows: Vec<Tutored> = on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today)
        .fetch_all(c).await.map_err(db_err))?;
    // A contract ended long ago is no longer the tutor's.
    rows.retain(|k| itinera_domain::placement::tutor_reaches(k.ended_on, today));
    Ok(rows)
}

/// One contract `user` tutors, under the same rule as `tutored`.
pub async fn tutored_one(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Option<Tutored>, Error> {
    let sql = tutored_sql(true);
    let row: Option<Tutored> = on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today).bind(id)
        .fetch_optional(c).await.map_err(db_err))?;
    Ok(row.filter(|k| itinera_domain::placement::tutor_reaches(k.ended_on, today)))
}

/// Someone to tell that a retention check or a follow-up contact falls due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueNotice {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    /// The retention check, or the contract of the follow-up.
    pub item_id: Uuid,
    pub case_id: Uuid,
    /// The check's date; for a follow-up, the last contact (or the start).
    pub due_on: NaiveDate,
}

/// Retention checks due by `until` on open cases and not yet told: to whoever
/// registered the contract and the case's employment references (those whose work list
/// shows them), at most `limit`.
pub async fn retention_notices_due(
    tx: &mut Tx,
    kind: &str,
    until: NaiveDate,
    limit: i64,
) -> Result<Vec<DueNotice>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT m.user_id, m.organisation_id, r.id AS item_id, r.case_id, r.due_on \
         FROM retention_checks r JOIN contracts k ON k.id = r.contract_id JOIN cases c ON c.id = r.case_id \
         JOIN case_team_members m ON m.case_id = c.id \
         WHERE r.checked_on IS NULL AND r.due_on <= $2 AND c.status = 'open' AND m.removed_at IS NULL \
         AND (m.role = 'employment_reference' OR m.user_id = k.created_by) \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = m.user_id AND n.kind = $1 AND n.retention_check_id = r.id) \
         ORDER BY r.due_on, r.id LIMIT $3"
    ).bind(kind).bind(until).bind(limit).fetch_all(c).await.map_err(db_err))
}

/// Running contracts whose monthly follow-up contact is due (their last contact, or
/// the start, on or before `cutoff`), with whom to tell and the latest follow-up date
/// each was told of (`told_due`); those never told first, at most `limit`. The caller
/// skips those told of the current date.
pub async fn follow_up_notices_due(
    tx: &mut Tx,
    kind: &str,
    today: NaiveDate,
    cutoff: NaiveDate,
    limit: i64,
) -> Result<Vec<FollowUpNotice>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT * FROM (SELECT DISTINCT m.user_id, m.organisation_id, k.id AS item_id, c.id AS case_id, \
           COALESCE((SELECT MAX(t.happened_on) FROM contacts t WHERE t.case_id = c.id AND t.happened_on > k.start_on), k.start_on) AS due_on, \
           (SELECT MAX(n.due_on) FROM notifications n WHERE n.user_id = m.user_id AND n.kind = $1 AND n.contract_id = k.id) AS told_due \
         FROM contracts k JOIN cases c ON c.id = k.case_id JOIN case_team_members m ON m.case_id = c.id \
         WHERE k.ended_on IS NULL AND k.start_on <= $2 AND (k.planned_end_on IS NULL OR k.planned_end_on >= $2) \
         AND c.status = 'open' AND m.removed_at IS NULL AND (m.role = 'employment_reference' OR m.user_id = k.created_by)) f \
         WHERE f.due_on <= $3 ORDER BY CASE WHEN f.told_due IS NULL THEN 0 ELSE 1 END, f.due_on, f.item_id LIMIT $4"
    ).bind(kind).bind(today).bind(cutoff).bind(limit).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpNotice {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    /// The contract.
    pub item_id: Uuid,
    pub case_id: Uuid,
    /// The last contact, or the start.
    pub due_on: NaiveDate,
    pub told_due: Option<NaiveDate>,
}

/// Tells `user` once that a retention check (`retention`) or a follow-up of a contract
/// (`contract`, on `due_on`) falls due; false when they were told already.
#[allow(clippy::too_many_arguments)]
pub async fn notify_due(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    retention: Option<Uuid>,
    contract: Option<Uuid>,
    case_id: Uuid,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, organisation_id, kind, retention_check_id, contract_id, case_id, due_on, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING"
    ).bind(itinera_clock::new_id(now)).bind(user).bind(org).bind(kind).bind(retention).bind(contract).bind(case_id).bind(due_on).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n > 0)
}
