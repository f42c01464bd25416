//! ESF participant indicators: the snapshots at entry and upon leaving, the six-month
//! follow-up, and what the computation reads (`domain::esf`).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::worklist::ITEMS_READ;
use crate::{db_err, on_tx, Tx};

const SNAPSHOT: &str = "INSERT INTO esf_entries (case_id, participant_id, home_organisation_id, programme_id, project_id, \
    entered_on, sex, birth_date, nationality, isced_level, labour_status, disability, minority, \
    migrant, homeless, rural, single_parent, dependants, territory_id) \
    SELECT c.id, c.participant_id, c.home_organisation_id, c.programme_id, c.project_id, \
    c.opened_on, p.sex, p.birth_date, p.nationality, p.isced_level, p.labour_status, \
    CASE WHEN p.disability_declined THEN 'declined' WHEN p.disability THEN 'yes' ELSE 'no' END, \
    CASE WHEN p.minority_declined THEN 'declined' WHEN p.minority THEN 'yes' ELSE 'no' END, \
    p.migrant, p.homeless, p.rural, p.single_parent, p.dependants, p.territory_id \
    FROM cases c JOIN participants p ON p.id = c.participant_id";

/// Takes the entry snapshot of a case just opened, from the person's record as it is.
pub async fn snapshot_entry(tx: &mut Tx, case_id: Uuid) -> Result<(), Error> {
    let sql = format!("{SNAPSHOT} WHERE c.id = $1");
    on_tx!(tx, c => sqlx::query(&sql).bind(case_id).execute(c).await.map(|_| ()).map_err(db_err))
}

/// Records (or, when the case is open again, removes) the exit snapshot of a case whose
/// status just changed.
pub async fn sync_exit(tx: &mut Tx, case_id: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM esf_exits WHERE case_id = $1")
        .bind(case_id).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO esf_exits (case_id, home_organisation_id, left_on, labour_status) \
         SELECT c.id, c.home_organisation_id, c.closed_on, p.labour_status FROM cases c JOIN participants p ON p.id = c.participant_id \
         WHERE c.id = $1 AND c.status = 'closed' AND c.closed_on IS NOT NULL"
    ).bind(case_id).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The snapshots of cases written in bulk (the demo, the benchmark's data).
pub async fn snapshot_missing(tx: &mut Tx) -> Result<(), Error> {
    let sql =
        format!("{SNAPSHOT} WHERE NOT EXISTS (SELECT 1 FROM esf_entries e WHERE e.case_id = c.id)");
    on_tx!(tx, c => sqlx::query(&sql).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO esf_exits (case_id, home_organisation_id, left_on, labour_status) \
         SELECT c.id, c.home_organisation_id, c.closed_on, p.labour_status FROM cases c JOIN participants p ON p.id = c.participant_id \
         WHERE c.status = 'closed' AND c.closed_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM esf_exits x WHERE x.case_id = c.id)"
    ).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A case of the operation with its snapshots.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub entered_on: NaiveDate,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub nationality: Option<String>,
    pub isced_level: Option<i16>,
    pub labour_status: String,
    pub disability: String,
    pub minority: String,
    pub migrant: bool,
    pub homeless: bool,
    pub rural: bool,
    pub single_parent: bool,
    pub dependants: i16,
    pub left_on: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    pub exit_labour_status: Option<String>,
    pub improved: Option<bool>,
}

/// The people of a programme (or of one of its projects) that a period may count: who
/// entered in it (`$3`–`$4`), or left since `$5` (see `domain::esf::Period::left_since`)
/// and by its end.
const PEOPLE: &str = "SELECT e2.participant_id FROM esf_entries e2 LEFT JOIN esf_exits x2 ON x2.case_id = e2.case_id \
    WHERE e2.programme_id = $1 AND ($2 IS NULL OR e2.project_id = $2) \
    AND ((e2.entered_on >= $3 AND e2.entered_on <= $4) OR (x2.left_on >= $5 AND x2.left_on <= $4))";

/// The period's bounds as the statements take them: its first and last day, and the
/// first day of leaving it may count.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub left_since: NaiveDate,
}

/// The cases of a programme (or of one of its projects), with their snapshots: every
/// case of the people the period may count.
pub async fn cases(
    tx: &mut Tx,
    programme: Uuid,
    project: Option<Uuid>,
    r: Reach,
) -> Result<Vec<CaseRow>, Error> {
    let sql = format!(
        "SELECT e.case_id, e.participant_id, e.entered_on, e.sex, e.birth_date, e.nationality, e.isced_level, e.labour_status, \
         e.disability, e.minority, e.migrant, e.homeless, e.rural, e.single_parent, e.dependants, \
         x.left_on, c.exit_reason, x.labour_status AS exit_labour_status, f.improved \
         FROM esf_entries e JOIN cases c ON c.id = e.case_id \
         LEFT JOIN esf_exits x ON x.case_id = e.case_id LEFT JOIN esf_followups f ON f.case_id = e.case_id \
         WHERE e.programme_id = $1 AND ($2 IS NULL OR e.project_id = $2) AND e.participant_id IN ({PEOPLE}) \
         ORDER BY e.participant_id, e.entered_on"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(programme).bind(project).bind(r.from).bind(r.to).bind(r.left_since)
        .fetch_all(c).await.map_err(db_err))
}

/// A span of a contract or a course of one of the operation's participants.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpanRow {
    pub participant_id: Uuid,
    pub from_on: NaiveDate,
    pub to_on: Option<NaiveDate>,
}

/// The contracts of the operation's participants (with any programme's case).
pub async fn contracts(
    tx: &mut Tx,
    programme: Uuid,
    project: Option<Uuid>,
    r: Reach,
) -> Result<Vec<SpanRow>, Error> {
    let sql = format!(
        "SELECT kc.participant_id, k.start_on AS from_on, k.ended_on AS to_on FROM contracts k JOIN cases kc ON kc.id = k.case_id \
         WHERE kc.participant_id IN ({PEOPLE})"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(programme).bind(project).bind(r.from).bind(r.to).bind(r.left_since)
        .fetch_all(c).await.map_err(db_err))
}

/// The course enrolments (running or completed) of the operation's participants; with
/// `certified`, only those that ended with a certificate.
pub async fn courses(
    tx: &mut Tx,
    programme: Uuid,
    project: Option<Uuid>,
    r: Reach,
    certified: bool,
) -> Result<Vec<SpanRow>, Error> {
    let sql = format!(
        "SELECT kc.participant_id, co.start_on AS from_on, co.end_on AS to_on FROM course_candidates cc \
         JOIN courses co ON co.id = cc.course_id JOIN cases kc ON kc.id = cc.case_id \
         WHERE kc.participant_id IN ({PEOPLE}) AND {}",
        if certified {
            "cc.certificate"
        } else {
            "cc.status IN ('enrolled', 'completed')"
        }
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(programme).bind(project).bind(r.from).bind(r.to).bind(r.left_since)
        .fetch_all(c).await.map_err(db_err))
}

/// Records the six-month follow-up of a case (once; a second answer replaces the first).
#[allow(clippy::too_many_arguments)]
pub async fn record_followup(
    tx: &mut Tx,
    case_id: Uuid,
    home_organisation_id: Uuid,
    improved: bool,
    note: Option<&str>,
    on: NaiveDate,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM esf_followups WHERE case_id = $1")
        .bind(case_id).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO esf_followups (case_id, home_organisation_id, improved, note, recorded_on, recorded_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ).bind(case_id).bind(home_organisation_id).bind(improved).bind(note).bind(on).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The follow-up of a case, if recorded: improved, note, day.
pub async fn followup(
    tx: &mut Tx,
    case_id: Uuid,
) -> Result<Option<(bool, Option<String>, NaiveDate)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT improved, note, recorded_on FROM esf_followups WHERE case_id = $1"
    ).bind(case_id).fetch_optional(c).await.map_err(db_err))
}

/// A closed case whose six-month follow-up is due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowupDue {
    pub case_id: Uuid,
    pub participant_name: String,
    pub left_on: NaiveDate,
}

/// The closed cases `u` managed whose person left between `left_from` and `left_by`
/// (both included), has not entered the programme again, and has no follow-up yet.
#[allow(clippy::too_many_arguments)]
pub async fn followups_due(
    tx: &mut Tx,
    u: UserId,
    o: OrganisationId,
    kind: &str,
    today: NaiveDate,
    left_from: NaiveDate,
    left_by: NaiveDate,
) -> Result<Vec<FollowupDue>, Error> {
    let visible = visible_sql("p", "$2", "$3", "$4");
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '') AS participant_name, x.left_on \
         FROM case_team_members m JOIN cases c ON c.id = m.case_id JOIN esf_exits x ON x.case_id = c.id \
         JOIN participants p ON p.id = c.participant_id \
         WHERE m.user_id = $1 AND m.organisation_id = $2 AND c.case_manager_id = $1 AND c.status = 'closed' \
         AND x.left_on >= $5 AND x.left_on <= $6 \
         AND NOT EXISTS (SELECT 1 FROM esf_followups f WHERE f.case_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM cases c2 WHERE c2.participant_id = c.participant_id AND c2.programme_id = c.programme_id AND c2.status <> 'closed') \
         AND {visible} ORDER BY x.left_on, c.id LIMIT {ITEMS_READ}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(u.0).bind(o.0).bind(kind).bind(today).bind(left_from).bind(left_by)
        .fetch_all(c).await.map_err(db_err))
}
