//! The objectives sheet: objectives per programme and period, and the measures that
//! compute their achieved values (`domain::objectives` documents each).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use itinera_domain::objectives::{Measure, ObjectiveData};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Objective {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub code: String,
    pub description: String,
    pub indicator_type: String,
    pub unit: String,
    pub comparison: String,
    pub target: f64,
    pub measure: String,
    pub baseline: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub manual_value: Option<f64>,
    pub evidence: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT o.id, o.programme_id, o.project_id, pj.name AS project_name, o.code, o.description, o.indicator_type, o.unit, \
    o.comparison, o.target, o.measure, o.baseline, o.period_start, o.period_end, o.manual_value, o.evidence, o.version, o.updated_at \
    FROM objectives o LEFT JOIN projects pj ON pj.id = o.project_id";

/// What changes whenever an objective of the programme is added, changed or removed:
/// their number, the newest change and the sum of their versions (part of the key under
/// which a computed sheet is kept).
pub async fn fingerprint(tx: &mut Tx, programme: Uuid) -> Result<String, Error> {
    let (n, latest, versions): (i64, Option<DateTime<Utc>>, Option<i64>) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*), max(updated_at), CAST(sum(version) AS BIGINT) FROM objectives WHERE programme_id = $1"
    ).bind(programme).fetch_one(c).await.map_err(db_err))?;
    Ok(format!(
        "{n}:{}:{}",
        latest.map(|t| t.timestamp_micros()).unwrap_or_default(),
        versions.unwrap_or_default()
    ))
}

/// The objectives of a programme whose period meets `[from, to]` (all with no bounds).
pub async fn list(
    tx: &mut Tx,
    programme: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Objective>, Error> {
    let sql = format!(
        "{SELECT} WHERE o.programme_id = $1 AND ($2 IS NULL OR o.period_end >= $2) AND ($3 IS NULL OR o.period_start <= $3) \
         ORDER BY o.period_start DESC, o.code, o.id"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(programme).bind(from).bind(to).fetch_all(c).await.map_err(db_err))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Objective>, Error> {
    let sql = format!("{SELECT} WHERE o.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn insert(
    tx: &mut Tx,
    id: Uuid,
    programme: Uuid,
    d: &ObjectiveData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO objectives (id, programme_id, project_id, code, description, indicator_type, unit, comparison, target, measure, baseline, \
         period_start, period_end, manual_value, evidence, version, created_by, created_at, updated_by, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,1,$16,$17,$16,$17)"
    ).bind(id).bind(programme).bind(d.project_id).bind(&d.code).bind(&d.description).bind(d.indicator_type.code())
    .bind(&d.unit).bind(d.comparison.code()).bind(d.target).bind(d.measure.code()).bind(d.baseline.code())
    .bind(d.period_start).bind(d.period_end).bind(d.manual_value).bind(d.evidence.as_deref()).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Changes an objective at the version it was read at; false when it changed meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    version: i32,
    d: &ObjectiveData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE objectives SET project_id = $3, code = $4, description = $5, indicator_type = $6, unit = $7, comparison = $8, target = $9, \
         measure = $10, baseline = $11, period_start = $12, period_end = $13, manual_value = $14, evidence = $15, updated_by = $16, updated_at = $17, \
         version = version + 1 WHERE id = $1 AND version = $2"
    ).bind(id).bind(version).bind(d.project_id).bind(&d.code).bind(&d.description).bind(d.indicator_type.code())
    .bind(&d.unit).bind(d.comparison.code()).bind(d.target).bind(d.measure.code()).bind(d.baseline.code())
    .bind(d.period_start).bind(d.period_end).bind(d.manual_value).bind(d.evidence.as_deref()).bind(by).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM objectives WHERE id = $1")
        .bind(id).execute(c).await.map(|r| r.rows_affected() == 1).map_err(db_err))
}

/// The programme's (or project's) cases.
const CASES: &str = "c.programme_id = $1 AND ($2 IS NULL OR c.project_id = $2)";
/// The programme's (or project's) coordination bodies.
const BODIES: &str = "SELECT b.id FROM coordination_bodies b LEFT JOIN projects bp ON bp.id = b.project_id \
    WHERE ($2 IS NULL AND (b.programme_id = $1 OR bp.programme_id = $1)) OR ($2 IS NOT NULL AND b.project_id = $2)";

/// The values a measure's statement takes, in order from `$1`: the programme, the
/// project (or null), the period's first and last days, and its first instant and the
/// instant after it (for timestamps).
#[derive(Clone, Copy)]
struct Bounds {
    programme: Uuid,
    project: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
}

/// A measure as SQL: what it counts, from where, what one of its records is, and how
/// many of the bounds' values it takes (4: the days; 6: the instants as well).
struct MeasureSql {
    count: &'static str,
    from: String,
    row: &'static str,
    n: usize,
}

/// The SQL of a measure over the bounds (`$3` the first day, `$4` the last; `$5` the
/// first instant, `$6` the instant after the last day). `Manual` has none.
fn measure_sql(m: Measure) -> Option<MeasureSql> {
    let active = "c.opened_on <= $4 AND (c.closed_on IS NULL OR c.closed_on >= $3)";
    let team_kind = |kind: &str| {
        format!(
            "EXISTS (SELECT 1 FROM case_team_members m JOIN organisations o ON o.id = m.organisation_id \
             WHERE m.case_id = c.id AND o.kind = '{kind}' AND m.added_at < $6 AND (m.removed_at IS NULL OR m.removed_at >= $5))"
        )
    };
    Some(match m {
        Measure::Manual => return None,
        Measure::ParticipantsTakenInCharge => MeasureSql {
            count: "count(DISTINCT c.participant_id)",
            from: format!("FROM cases c WHERE {CASES} AND c.opened_on >= $3 AND c.opened_on <= $4"),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(c.opened_on AS TEXT), 1, 10) AS day, '' AS label",
            n: 4,
        },
        Measure::IntegratedCare | Measure::IntegratedCareShare => MeasureSql {
            count: "count(DISTINCT c.participant_id)",
            from: format!(
                "FROM cases c WHERE {CASES} AND {active} AND {} AND {}",
                team_kind("social_services"),
                team_kind("employment_service")
            ),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(c.opened_on AS TEXT), 1, 10) AS day, '' AS label",
            n: 6,
        },
        Measure::JointInterviews => MeasureSql {
            count: "count(*)",
            from: format!(
                "FROM contacts k JOIN cases c ON c.id = k.case_id WHERE {CASES} \
                 AND k.kind = 'joint_interview' AND k.happened_on >= $3 AND k.happened_on <= $4"
            ),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(k.happened_on AS TEXT), 1, 10) AS day, '' AS label",
            n: 4,
        },
        Measure::CoordinationMeetings => MeasureSql {
            count: "count(*)",
            from: format!(
                "FROM meetings mt JOIN coordination_bodies mb ON mb.id = mt.body_id \
                 WHERE mt.body_id IN ({BODIES}) AND mt.meeting_date >= $3 AND mt.meeting_date <= $4"
            ),
            row: "CAST(NULL AS UUID) AS case_id, CAST(NULL AS UUID) AS participant_id, substr(CAST(mt.meeting_date AS TEXT), 1, 10) AS day, mb.name AS label",
            n: 4,
        },
        Measure::NetworkAgreements => MeasureSql {
            count: "count(DISTINCT na.id)",
            from: format!(
                "FROM network_agreements na WHERE na.id IN (SELECT nb.agreement_id FROM network_agreement_bodies nb \
                 WHERE nb.body_id IN ({BODIES})) AND na.signed_on >= $3 AND na.signed_on <= $4"
            ),
            row: "CAST(NULL AS UUID) AS case_id, CAST(NULL AS UUID) AS participant_id, substr(CAST(na.signed_on AS TEXT), 1, 10) AS day, na.subject AS label",
            n: 4,
        },
        Measure::PeopleTrained => MeasureSql {
            count: "count(DISTINCT c.participant_id)",
            from: format!(
                "FROM course_candidates cc JOIN courses co ON co.id = cc.course_id \
                 JOIN cases c ON c.id = cc.case_id WHERE {CASES} AND cc.certificate AND co.end_on >= $3 AND co.end_on <= $4"
            ),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(co.end_on AS TEXT), 1, 10) AS day, co.title AS label",
            n: 4,
        },
        Measure::PeopleEmployed => MeasureSql {
            count: "count(DISTINCT c.participant_id)",
            from: format!(
                "FROM contracts k JOIN cases c ON c.id = k.case_id WHERE {CASES} \
                 AND k.start_on >= $3 AND k.start_on <= $4"
            ),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(k.start_on AS TEXT), 1, 10) AS day, k.position_title AS label",
            n: 4,
        },
        Measure::ReferralsCompleted => MeasureSql {
            count: "count(*)",
            from: format!(
                "FROM referrals r JOIN cases c ON c.id = r.case_id WHERE {CASES} \
                 AND r.status = 'closed' AND $3 <= $4 AND r.closed_at >= $5 AND r.closed_at < $6"
            ),
            row: "c.id AS case_id, c.participant_id AS participant_id, substr(CAST(r.closed_at AS TEXT), 1, 10) AS day, coalesce(r.outcome, '') AS label",
            n: 6,
        },
    })
}

/// Computes a measure over `[from, to]` (both days included); `today` bounds what has
/// happened (meetings not held yet do not count). `Manual` has no computation (none).
#[allow(clippy::too_many_arguments)]
pub async fn measure(
    tx: &mut Tx,
    m: Measure,
    programme: Uuid,
    project: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Option<Measured>, Error> {
    let Some(q) = measure_sql(m) else {
        return Ok(None);
    };
    let to = if m == Measure::CoordinationMeetings {
        to.min(today)
    } else {
        to
    };
    if to < from {
        return Ok(Some(Measured {
            value: 0.0,
            smallest: 0,
        }));
    }
    let b = Bounds {
        programme,
        project,
        from,
        to,
    };
    let part = count(tx, &format!("SELECT {} {}", q.count, q.from), q.n, b).await?;
    if m == Measure::IntegratedCareShare {
        let all_sql = format!(
            "SELECT count(DISTINCT c.participant_id) FROM cases c WHERE {CASES} AND c.opened_on <= $4 AND (c.closed_on IS NULL OR c.closed_on >= $3)"
        );
        let all = count(tx, &all_sql, 4, b).await?;
        return Ok(Some(Measured {
            value: if all == 0 {
                0.0
            } else {
                part as f64 * 100.0 / all as f64
            },
            // Those not in integrated care (the whole minus the part) single people
            // out as much as the part does.
            smallest: share_smallest(part, all),
        }));
    }
    Ok(Some(Measured {
        value: part as f64,
        smallest: part,
    }))
}

/// The smallest count behind a share of `part` in `all`: the whole, the part and the
/// rest, each when there is any (a part of none, or of all, says as much of a small
/// whole as the whole itself: 3 of 3 is 100 %).
fn share_smallest(part: i64, all: i64) -> i64 {
    [all, part, all - part]
        .into_iter()
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(0)
}

/// A measure's value and the smallest count behind it: the count itself, or for a
/// share the lesser of its part and its whole (either small would single people out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub value: f64,
    pub smallest: i64,
}

/// One record behind a measure: a case and its person (none for meetings and
/// agreements), its day (`YYYY-MM-DD`) and a label (a course, a post, a body…).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Record {
    pub case_id: Option<Uuid>,
    pub participant_id: Option<Uuid>,
    pub day: String,
    pub label: String,
}

/// The records behind a measure (at most 500, in order of day).
#[allow(clippy::too_many_arguments)]
pub async fn records(
    tx: &mut Tx,
    m: Measure,
    programme: Uuid,
    project: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Record>, Error> {
    let Some(q) = measure_sql(m) else {
        return Ok(Vec::new());
    };
    let to = if m == Measure::CoordinationMeetings {
        to.min(today)
    } else {
        to
    };
    if to < from {
        return Ok(Vec::new());
    }
    let b = Bounds {
        programme,
        project,
        from,
        to,
    };
    let sql = format!(
        "SELECT DISTINCT {} {} ORDER BY day, label LIMIT 500",
        q.row, q.from
    );
    let first = b.from.and_time(NaiveTime::MIN).and_utc();
    let after =
        b.to.succ_opt()
            .unwrap_or(b.to)
            .and_time(NaiveTime::MIN)
            .and_utc();
    on_tx!(tx, c => {
        let qq = sqlx::query_as(&sql).bind(b.programme).bind(b.project).bind(b.from).bind(b.to);
        let qq = if q.n > 4 { qq.bind(first).bind(after) } else { qq };
        qq.fetch_all(c).await.map_err(db_err)
    })
}

/// Runs a count with the first `n` of the bounds' values bound.
async fn count(tx: &mut Tx, sql: &str, n: usize, b: Bounds) -> Result<i64, Error> {
    let first = b.from.and_time(NaiveTime::MIN).and_utc();
    let after =
        b.to.succ_opt()
            .unwrap_or(b.to)
            .and_time(NaiveTime::MIN)
            .and_utc();
    on_tx!(tx, c => {
        let q = sqlx::query_scalar(sql).bind(b.programme).bind(b.project).bind(b.from).bind(b.to);
        let q = if n > 4 { q.bind(first).bind(after) } else { q };
        q.fetch_one(c).await.map_err(db_err)
    })
}

#[cfg(test)]
mod tests {
    use super::share_smallest;

    /// A share is as small as the least of its whole, its part and the rest that are
    /// not empty: all of three people, or none of them, is three people.
    #[test]
    fn a_share_of_a_small_whole_is_small_whatever_its_part() {
        assert_eq!(share_smallest(3, 3), 3);
        assert_eq!(share_smallest(0, 3), 3);
        assert_eq!(share_smallest(2, 100), 2);
        assert_eq!(share_smallest(98, 100), 2);
        assert_eq!(share_smallest(0, 100), 100);
        assert_eq!(share_smallest(100, 100), 100);
        assert_eq!(share_smallest(0, 0), 0);
    }
}
