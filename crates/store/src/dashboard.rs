//! The programme dashboard's counts: each a grid of (row, column, count) over the cases
//! of a programme in the filters' scope (project, territory with its sub-territories,
//! an organisation on the case's team) and period.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// The scope: `$1` programme, `$2` project, `$3` territory (and those below it), `$4` an
/// organisation on the case's team; `$5`–`$6` the period's days; `$7`–`$8` its first
/// instant and the instant after it.
const SCOPE: &str = "WITH RECURSIVE terr(id) AS (SELECT id FROM territories WHERE id = $3 \
    UNION ALL SELECT x.id FROM territories x JOIN terr ON x.parent_id = terr.id), \
    scope AS (SELECT c.id, c.participant_id, c.phase, c.status, c.opened_on, c.closed_on, e.sex, e.birth_date, e.entered_on, \
    e.territory_id, e.disability, e.minority, e.migrant, e.homeless, e.rural, e.single_parent, e.labour_status \
    FROM cases c JOIN esf_entries e ON e.case_id = c.id WHERE c.programme_id = $1 AND ($2 IS NULL OR c.project_id = $2) \
    AND ($3 IS NULL OR e.territory_id IN (SELECT id FROM terr)) \
    AND ($4 IS NULL OR EXISTS (SELECT 1 FROM case_team_members m WHERE m.case_id = c.id AND m.organisation_id = $4)) \
    AND $5 <= $6 AND $7 < $8) ";

#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub programme: Uuid,
    pub project: Option<Uuid>,
    pub territory: Option<Uuid>,
    pub organisation: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Filter {
    /// The period's first instant and the instant after its last day (`$7`, `$8`).
    fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        (at(self.from), at(self.to.succ_opt().unwrap_or(self.to)))
    }
}

/// One cell of a grid. A grid of events (referrals, attendance marks, contracts started,
/// incidents) also
/// says how many people they are of, and has a cell `*`, `*`: all its events and
/// people.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Cell {
    pub a: String,
    pub b: String,
    pub n: i64,
    /// The people the events are of (none: `n` counts people).
    #[sqlx(default)]
    pub people: Option<i64>,
}

/// The grids, by name: the statement after the scope.
const GRIDS: &[(&str, &str)] = &[
    (
        "funnel",
        "SELECT phase AS a, status AS b, count(*) AS n FROM scope GROUP BY phase, status",
    ),
    (
        "flow",
        "SELECT substr(CAST(entered_on AS TEXT), 1, 7) AS a, 'entries' AS b, count(*) AS n FROM scope \
         WHERE entered_on >= $5 AND entered_on <= $6 GROUP BY substr(CAST(entered_on AS TEXT), 1, 7) \
         UNION ALL SELECT substr(CAST(closed_on AS TEXT), 1, 7) AS a, 'exits' AS b, count(*) AS n FROM scope \
         WHERE status = 'closed' AND closed_on >= $5 AND closed_on <= $6 GROUP BY substr(CAST(closed_on AS TEXT), 1, 7)",
    ),
    (
        "territory",
        "SELECT coalesce(t.name, '—') AS a, 'entries' AS b, count(*) AS n FROM scope s LEFT JOIN territories t ON t.id = s.territory_id \
         WHERE s.entered_on >= $5 AND s.entered_on <= $6 GROUP BY coalesce(t.name, '—')",
    ),
    (
        "groups",
        "SELECT 'all' AS a, 'entries' AS b, count(*) AS n FROM scope WHERE entered_on >= $5 AND entered_on <= $6 \
         UNION ALL SELECT 'long_term_unemployed', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND labour_status = 'long_term_unemployed' \
         UNION ALL SELECT 'disability', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND disability = 'yes' \
         UNION ALL SELECT 'foreign_background', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND migrant \
         UNION ALL SELECT 'minority', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND minority = 'yes' \
         UNION ALL SELECT 'homeless', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND homeless \
         UNION ALL SELECT 'rural', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND rural \
         UNION ALL SELECT 'single_parent', 'entries', count(*) FROM scope WHERE entered_on >= $5 AND entered_on <= $6 AND single_parent",
    ),
    (
        "referrals",
        "SELECT fo.kind AS a, tk.kind AS b, count(*) AS n, count(DISTINCT s.participant_id) AS people FROM referrals r JOIN scope s ON s.id = r.case_id \
         JOIN organisations fo ON fo.id = r.from_organisation_id JOIN organisations tk ON tk.id = r.to_organisation_id \
         WHERE r.sent_at >= $7 AND r.sent_at < $8 GROUP BY fo.kind, tk.kind \
         UNION ALL SELECT '*', '*', count(*), count(DISTINCT s.participant_id) FROM referrals r JOIN scope s ON s.id = r.case_id \
         WHERE r.sent_at >= $7 AND r.sent_at < $8",
    ),
    (
        "training",
        "SELECT cc.status AS a, 'people' AS b, count(DISTINCT s.participant_id) AS n FROM course_candidates cc \
         JOIN courses co ON co.id = cc.course_id JOIN scope s ON s.id = cc.case_id \
         WHERE co.start_on <= $6 AND co.end_on >= $5 GROUP BY cc.status \
         UNION ALL SELECT 'certificate' AS a, 'people' AS b, count(DISTINCT s.participant_id) AS n FROM course_candidates cc \
         JOIN courses co ON co.id = cc.course_id JOIN scope s ON s.id = cc.case_id \
         WHERE co.start_on <= $6 AND co.end_on >= $5 AND cc.certificate AND cc.status = 'completed'",
    ),
    (
        "attendance",
        "SELECT a.status AS a, 'marks' AS b, count(*) AS n, count(DISTINCT s.participant_id) AS people FROM attendance a \
         JOIN course_sessions se ON se.id = a.session_id JOIN course_candidates cc ON cc.id = a.candidate_id JOIN scope s ON s.id = cc.case_id \
         WHERE se.held_on >= $5 AND se.held_on <= $6 GROUP BY a.status \
         UNION ALL SELECT '*', '*', count(*), count(DISTINCT s.participant_id) FROM attendance a \
         JOIN course_sessions se ON se.id = a.session_id JOIN course_candidates cc ON cc.id = a.candidate_id JOIN scope s ON s.id = cc.case_id \
         WHERE se.held_on >= $5 AND se.held_on <= $6",
    ),
    (
        "placements",
        "SELECT k.contract_type AS a, CASE WHEN k.insertion THEN 'insertion' ELSE 'ordinary' END AS b, count(*) AS n, \
         count(DISTINCT s.participant_id) AS people FROM contracts k JOIN scope s ON s.id = k.case_id WHERE k.start_on >= $5 AND k.start_on <= $6 \
         GROUP BY k.contract_type, CASE WHEN k.insertion THEN 'insertion' ELSE 'ordinary' END \
         UNION ALL SELECT '*', '*', count(*), count(DISTINCT s.participant_id) FROM contracts k JOIN scope s ON s.id = k.case_id \
         WHERE k.start_on >= $5 AND k.start_on <= $6",
    ),
    (
        "incidents",
        "SELECT i.kind AS a, i.severity AS b, count(*) AS n, count(DISTINCT s.participant_id) AS people FROM incidents i \
         JOIN scope s ON s.id = i.case_id WHERE i.occurred_on >= $5 AND i.occurred_on <= $6 GROUP BY i.kind, i.severity \
         UNION ALL SELECT '*', '*', count(*), count(DISTINCT s.participant_id) FROM incidents i \
         JOIN scope s ON s.id = i.case_id WHERE i.occurred_on >= $5 AND i.occurred_on <= $6",
    ),
];

/// The names of the grids.
pub fn grid_names() -> Vec<&'static str> {
    GRIDS.iter().map(|(n, _)| *n).collect()
}

/// One grid's cells.
pub async fn grid(tx: &mut Tx, name: &str, f: &Filter) -> Result<Vec<Cell>, Error> {
    let (_, body) = GRIDS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| Error::Internal(format!("no grid {name}")))?;
    let sql = format!("{SCOPE}{body}");
    let (first, after) = f.instants();
    on_tx!(tx, c => sqlx::query_as(&sql).bind(f.programme).bind(f.project).bind(f.territory).bind(f.organisation)
        .bind(f.from).bind(f.to).bind(first).bind(after).fetch_all(c).await.map_err(db_err))
}

/// The entrants of the period: sex, birth date, day of entry (for ages at entry).
pub async fn entrants(
    tx: &mut Tx,
    f: &Filter,
) -> Result<Vec<(String, NaiveDate, NaiveDate)>, Error> {
    let sql = format!(
        "{SCOPE}SELECT sex, birth_date, entered_on FROM scope WHERE entered_on >= $5 AND entered_on <= $6"
    );
    let (first, after) = f.instants();
    on_tx!(tx, c => sqlx::query_as(&sql).bind(f.programme).bind(f.project).bind(f.territory).bind(f.organisation)
        .bind(f.from).bind(f.to).bind(first).bind(after).fetch_all(c).await.map_err(db_err))
}

/// A case's first or latest assessment (or both, when it has one).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Assessed {
    pub case_id: Uuid,
    pub instrument_id: Uuid,
    pub profile: String,
    /// The scores as stored (JSON, see `assessments`).
    pub scores: String,
    pub first: bool,
    pub latest: bool,
}

/// The first and the latest assessment (up to the period's end) of every case in scope
/// open at some time in the period.
pub async fn first_and_latest_assessments(tx: &mut Tx, f: &Filter) -> Result<Vec<Assessed>, Error> {
    // Two index searches per case (`assessments_case`), not a sort of every assessment.
    let sql = format!(
        "{SCOPE}, picked AS (SELECT s.id AS case_id, \
         (SELECT a.id FROM assessments a WHERE a.case_id = s.id AND a.assessed_on <= $6 \
          ORDER BY a.assessed_on, a.created_at, a.id LIMIT 1) AS first_id, \
         (SELECT a.id FROM assessments a WHERE a.case_id = s.id AND a.assessed_on <= $6 \
          ORDER BY a.assessed_on DESC, a.created_at DESC, a.id DESC LIMIT 1) AS latest_id \
         FROM scope s WHERE s.opened_on <= $6 AND (s.closed_on IS NULL OR s.closed_on >= $5)) \
         SELECT a.case_id, a.instrument_id, a.profile, a.scores, TRUE AS first, p.latest_id = p.first_id AS latest \
         FROM picked p JOIN assessments a ON a.id = p.first_id \
         UNION ALL SELECT a.case_id, a.instrument_id, a.profile, a.scores, FALSE AS first, TRUE AS latest \
         FROM picked p JOIN assessments a ON a.id = p.latest_id WHERE p.latest_id <> p.first_id"
    );
    let (first, after) = f.instants();
    on_tx!(tx, c => sqlx::query_as(&sql).bind(f.programme).bind(f.project).bind(f.territory).bind(f.organisation)
        .bind(f.from).bind(f.to).bind(first).bind(after).fetch_all(c).await.map_err(db_err))
}

/// The territories and organisations a dashboard can be filtered by.
pub async fn territories(tx: &mut Tx) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM territories ORDER BY name")
        .fetch_all(c).await.map_err(db_err))
}

pub async fn organisations(tx: &mut Tx) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM organisations WHERE active ORDER BY name")
        .fetch_all(c).await.map_err(db_err))
}
