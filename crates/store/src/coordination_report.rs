//! The facts a body's coordination report is built from (see
//! `itinera_domain::coordination_report`): counts only, never a person.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// (meeting date, members present) of a body's meetings between two dates.
pub async fn meetings(
    tx: &mut Tx,
    body: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.meeting_date, (SELECT count(*) FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.attendance = 'present') \
         FROM meetings m WHERE m.body_id = $1 AND m.meeting_date >= $2 AND m.meeting_date <= $3 ORDER BY m.meeting_date"
    ).bind(body).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}

/// (meeting date, organisation, organisation name, attendance) rows.
pub async fn attendance(
    tx: &mut Tx,
    body: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Uuid, String, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT m.meeting_date, bm.organisation_id, o.name, a.attendance \
         FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id JOIN body_members bm ON bm.id = a.member_id \
         JOIN organisations o ON o.id = bm.organisation_id \
         WHERE m.body_id = $1 AND m.meeting_date >= $2 AND m.meeting_date <= $3"
    ).bind(body).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}

/// (made at, status, due on, done on) of the agreements made between two instants.
pub async fn agreements(
    tx: &mut Tx,
    body: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, String, NaiveDate, Option<NaiveDate>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT created_at, status, due_on, done_on FROM agreements WHERE body_id = $1 AND created_at >= $2 AND created_at < $3"
    ).bind(body).bind(from).bind(until).fetch_all(c).await.map_err(db_err))
}

/// How many distinct cases were on the agenda of the body's meetings held (someone
/// present) between two dates, and how many people they are.
pub async fn cases_reviewed(
    tx: &mut Tx,
    body: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, i64), Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT count(DISTINCT i.case_id), count(DISTINCT k.participant_id) FROM meeting_items i JOIN meetings m ON m.id = i.meeting_id \
         JOIN cases k ON k.id = i.case_id \
         WHERE m.body_id = $1 AND m.meeting_date >= $2 AND m.meeting_date <= $3 AND i.case_id IS NOT NULL \
           AND EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.attendance = 'present')"
    ).bind(body).bind(from).bind(to).fetch_one(c).await.map_err(db_err))
}

/// What a body's joint interviews are counted over: a programme table's programme, a
/// project table's project, a case table's cases (those on its agendas).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Programme(Uuid),
    Project(Uuid),
    Agenda,
}

/// Joint interviews shared with the case team (visibility `team`; contacts kept to a
/// service or an author are not counted) about cases of the body's scope, in which
/// professionals of the body's member organisations took part: per organisation, and
/// in all, each with the number of people they were about.
#[allow(clippy::type_complexity)]
pub async fn joint_interviews(
    tx: &mut Tx,
    body: Uuid,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<(String, i64, i64)>, (i64, i64)), Error> {
    let (scope_sql, id) = match scope {
        Scope::Programme(p) => ("k.programme_id = $4", p),
        Scope::Project(p) => ("k.project_id = $4", p),
        Scope::Agenda => (
            "k.id IN (SELECT i.case_id FROM meeting_items i JOIN meetings m ON m.id = i.meeting_id WHERE m.body_id = $1 AND i.case_id IS NOT NULL) AND $4 = $4",
            body,
        ),
    };
    let cond = format!(
        "c.kind = 'joint_interview' AND c.visibility = 'team' AND c.happened_on >= $2 AND c.happened_on <= $3 \
         AND cp.organisation_id IN (SELECT bm.organisation_id FROM body_members bm WHERE bm.body_id = $1 AND bm.removed_at IS NULL) \
         AND {scope_sql}"
    );
    let per: Vec<(String, i64, i64)> = on_tx!(tx, c => sqlx::query_as(&format!(
        "SELECT o.name, count(DISTINCT c.id), count(DISTINCT k.participant_id) FROM contacts c JOIN contact_participants cp ON cp.contact_id = c.id \
         JOIN cases k ON k.id = c.case_id JOIN organisations o ON o.id = cp.organisation_id WHERE {cond} GROUP BY o.id, o.name ORDER BY o.name"
    )).bind(body).bind(from).bind(to).bind(id).fetch_all(c).await.map_err(db_err))?;
    let total: (i64, i64) = on_tx!(tx, c => sqlx::query_as(&format!(
        "SELECT count(DISTINCT c.id), count(DISTINCT k.participant_id) FROM contacts c JOIN contact_participants cp ON cp.contact_id = c.id \
         JOIN cases k ON k.id = c.case_id WHERE {cond}"
    )).bind(body).bind(from).bind(to).bind(id).fetch_one(c).await.map_err(db_err))?;
    Ok((per, total))
}
