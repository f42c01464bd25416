//! The programme dashboard's counts: each a grid of (row, column, count) over the cases
//! of a programme in the filters' scope (project, territory with its sub-territories,
//! an organisation on the case's team) and period.
//!
//! Each statement is written for the filters given (a filter not given is no condition
//! at all, so that an index can answer it) and starts from what bounds it: the entry
//! snapshots of the period (`esf_entries_programme`), the cases closed in it, the
//! courses and sessions of it, the events of it — never from every case of the
//! programme materialised and joined, which at a million cases cost a dozen seconds a
//! statement. Every statement takes the same eight values: `$1` programme, `$2`
//! project, `$3` territory, `$4` organisation, `$5`–`$6` the period's days, `$7`–`$8`
//! its first instant and the instant after it (each is named at least once).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

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

/// The territory `$3` and those below it, when it is given.
fn with(f: &Filter, more: &str) -> String {
    let terr = "terr(id) AS (SELECT id FROM territories WHERE id = $3 \
        UNION ALL SELECT x.id FROM territories x JOIN terr ON x.parent_id = terr.id)";
    match (f.territory.is_some(), more.is_empty()) {
        (true, true) => format!("WITH RECURSIVE {terr} "),
        (true, false) => format!("WITH RECURSIVE {terr}, {more} "),
        (false, true) => String::new(),
        (false, false) => format!("WITH {more} "),
    }
}

/// The filters' conditions (every value named, a filter not given as `$n IS NULL`):
/// `project` is the project's column, `territory` the condition that a territory is
/// within `terr`, `case_id` the case's id.
fn filters(f: &Filter, project: &str, territory: &str, case_id: &str) -> String {
    let mut s = String::new();
    s.push_str(&match f.project {
        Some(_) => format!(" AND {project} = $2"),
        None => " AND $2 IS NULL".into(),
    });
    s.push_str(&match f.territory {
        Some(_) => format!(" AND {territory}"),
        None => " AND $3 IS NULL".into(),
    });
    s.push_str(&match f.organisation {
        Some(_) => format!(
            " AND EXISTS (SELECT 1 FROM case_team_members m WHERE m.case_id = {case_id} AND m.organisation_id = $4)"
        ),
        None => " AND $4 IS NULL".into(),
    });
    s
}

/// The case `c` is in the filters' scope.
fn case_in_scope(f: &Filter) -> String {
    format!(
        "c.programme_id = $1{} AND $5 <= $6 AND $7 < $8",
        filters(
            f,
            "c.project_id",
            "EXISTS (SELECT 1 FROM esf_entries te WHERE te.case_id = c.id AND te.territory_id IN (SELECT id FROM terr))",
            "c.id"
        )
    )
}

/// The entry snapshot `e` is of a case in the filters' scope that entered in the
/// period (a case's project and territory at entry are its snapshot's).
fn entry_in_scope(f: &Filter) -> String {
    format!(
        "e.programme_id = $1 AND e.entered_on >= $5 AND e.entered_on <= $6{} AND $7 < $8",
        filters(
            f,
            "e.project_id",
            "e.territory_id IN (SELECT id FROM terr)",
            "e.case_id"
        )
    )
}

/// The groups of the `groups` grid: (row, condition on the entry snapshot `e`).
const GROUPS: &[(&str, &str)] = &[
    (
        "long_term_unemployed",
        "e.labour_status = 'long_term_unemployed'",
    ),
    ("disability", "e.disability = 'yes'"),
    ("foreign_background", "e.migrant"),
    ("minority", "e.minority = 'yes'"),
    ("homeless", "e.homeless"),
    ("rural", "e.rural"),
    ("single_parent", "e.single_parent"),
];

/// The names of the grids.
pub fn grid_names() -> Vec<&'static str> {
    vec![
        "funnel",
        "flow",
        "territory",
        "groups",
        "referrals",
        "training",
        "attendance",
        "placements",
        "incidents",
    ]
}

/// A grid's statement for these filters.
fn grid_sql(name: &str, f: &Filter) -> Option<String> {
    let case = case_in_scope(f);
    let entry = entry_in_scope(f);
    let sql = match name {
        "funnel" => format!(
            "{}SELECT c.phase AS a, c.status AS b, count(*) AS n FROM cases c WHERE {case} GROUP BY c.phase, c.status",
            with(f, "")
        ),
        "flow" => format!(
            "{}SELECT substr(CAST(e.entered_on AS TEXT), 1, 7) AS a, 'entries' AS b, count(*) AS n FROM esf_entries e \
             WHERE {entry} GROUP BY substr(CAST(e.entered_on AS TEXT), 1, 7) \
             UNION ALL SELECT substr(CAST(c.closed_on AS TEXT), 1, 7) AS a, 'exits' AS b, count(*) AS n FROM cases c \
             WHERE c.status = 'closed' AND c.closed_on >= $5 AND c.closed_on <= $6 AND {case} \
             GROUP BY substr(CAST(c.closed_on AS TEXT), 1, 7)",
            with(f, "")
        ),
        "territory" => format!(
            "{}SELECT coalesce(t.name, '—') AS a, 'entries' AS b, count(*) AS n FROM esf_entries e \
             LEFT JOIN territories t ON t.id = e.territory_id WHERE {entry} GROUP BY coalesce(t.name, '—')",
            with(f, "")
        ),
        "groups" => {
            // One pass over the period's entrants, each group a sum.
            let sums: Vec<String> = GROUPS
                .iter()
                .enumerate()
                .map(|(i, (_, cond))| format!("coalesce(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS g{i}"))
                .collect();
            let mut rows = vec!["SELECT 'all' AS a, 'entries' AS b, n_all AS n FROM g".to_string()];
            for (i, (code, _)) in GROUPS.iter().enumerate() {
                rows.push(format!("SELECT '{code}', 'entries', g{i} FROM g"));
            }
            format!(
                "{}{}",
                with(
                    f,
                    &format!(
                        "g AS (SELECT count(*) AS n_all, {} FROM esf_entries e WHERE {entry})",
                        sums.join(", ")
                    )
                ),
                rows.join(" UNION ALL ")
            )
        }
        "referrals" => format!(
            "{}SELECT fo.kind AS a, tk.kind AS b, count(*) AS n, count(DISTINCT c.participant_id) AS people \
             FROM referrals r JOIN cases c ON c.id = r.case_id \
             JOIN organisations fo ON fo.id = r.from_organisation_id JOIN organisations tk ON tk.id = r.to_organisation_id \
             WHERE r.sent_at >= $7 AND r.sent_at < $8 AND {case} GROUP BY fo.kind, tk.kind \
             UNION ALL SELECT '*', '*', count(*), count(DISTINCT c.participant_id) FROM referrals r JOIN cases c ON c.id = r.case_id \
             WHERE r.sent_at >= $7 AND r.sent_at < $8 AND {case}",
            with(f, "")
        ),
        // From the period's courses to their candidates, then each one's case (SQLite
        // keeps a CROSS JOIN's order; PostgreSQL plans it as any join).
        "training" => format!(
            "{}SELECT cc.status AS a, 'people' AS b, count(DISTINCT c.participant_id) AS n \
             FROM courses co JOIN course_candidates cc ON cc.course_id = co.id CROSS JOIN cases c \
             WHERE c.id = cc.case_id AND co.start_on <= $6 AND co.end_on >= $5 AND {case} GROUP BY cc.status \
             UNION ALL SELECT 'certificate' AS a, 'people' AS b, count(DISTINCT c.participant_id) AS n \
             FROM courses co JOIN course_candidates cc ON cc.course_id = co.id CROSS JOIN cases c \
             WHERE c.id = cc.case_id AND co.start_on <= $6 AND co.end_on >= $5 AND cc.certificate AND cc.status = 'completed' AND {case}",
            with(f, "")
        ),
        // From the candidates (far fewer than the cases) to their marks in the period.
        "attendance" => format!(
            "{}SELECT a.status AS a, 'marks' AS b, count(*) AS n, count(DISTINCT c.participant_id) AS people \
             FROM course_candidates cc CROSS JOIN cases c JOIN attendance a ON a.candidate_id = cc.id \
             JOIN course_sessions se ON se.id = a.session_id \
             WHERE c.id = cc.case_id AND se.held_on >= $5 AND se.held_on <= $6 AND {case} GROUP BY a.status \
             UNION ALL SELECT '*', '*', count(*), count(DISTINCT c.participant_id) \
             FROM course_candidates cc CROSS JOIN cases c JOIN attendance a ON a.candidate_id = cc.id \
             JOIN course_sessions se ON se.id = a.session_id \
             WHERE c.id = cc.case_id AND se.held_on >= $5 AND se.held_on <= $6 AND {case}",
            with(f, "")
        ),
        "placements" => format!(
            "{}SELECT k.contract_type AS a, CASE WHEN k.insertion THEN 'insertion' ELSE 'ordinary' END AS b, count(*) AS n, \
             count(DISTINCT c.participant_id) AS people FROM contracts k CROSS JOIN cases c \
             WHERE c.id = k.case_id AND k.start_on >= $5 AND k.start_on <= $6 AND {case} \
             GROUP BY k.contract_type, CASE WHEN k.insertion THEN 'insertion' ELSE 'ordinary' END \
             UNION ALL SELECT '*', '*', count(*), count(DISTINCT c.participant_id) FROM contracts k CROSS JOIN cases c \
             WHERE c.id = k.case_id AND k.start_on >= $5 AND k.start_on <= $6 AND {case}",
            with(f, "")
        ),
        "incidents" => format!(
            "{}SELECT i.kind AS a, i.severity AS b, count(*) AS n, count(DISTINCT c.participant_id) AS people \
             FROM incidents i CROSS JOIN cases c WHERE c.id = i.case_id AND i.occurred_on >= $5 AND i.occurred_on <= $6 AND {case} \
             GROUP BY i.kind, i.severity \
             UNION ALL SELECT '*', '*', count(*), count(DISTINCT c.participant_id) FROM incidents i CROSS JOIN cases c \
             WHERE c.id = i.case_id AND i.occurred_on >= $5 AND i.occurred_on <= $6 AND {case}",
            with(f, "")
        ),
        _ => return None,
    };
    Some(sql)
}

/// One grid's cells.
pub async fn grid(tx: &mut Tx, name: &str, f: &Filter) -> Result<Vec<Cell>, Error> {
    let sql = grid_sql(name, f).ok_or_else(|| Error::Internal(format!("no grid {name}")))?;
    fetch_cells(tx, &sql, f).await
}

async fn fetch_cells<T>(tx: &mut Tx, sql: &str, f: &Filter) -> Result<Vec<T>, Error>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let (first, after) = f.instants();
    on_tx!(tx, c => sqlx::query_as(sql).bind(f.programme).bind(f.project).bind(f.territory).bind(f.organisation)
        .bind(f.from).bind(f.to).bind(first).bind(after).fetch_all(c).await.map_err(db_err))
}

/// The entrants of the period: sex, birth date, day of entry (for ages at entry).
pub async fn entrants(
    tx: &mut Tx,
    f: &Filter,
) -> Result<Vec<(String, NaiveDate, NaiveDate)>, Error> {
    let sql = format!(
        "{}SELECT e.sex, e.birth_date, e.entered_on FROM esf_entries e WHERE {}",
        with(f, ""),
        entry_in_scope(f)
    );
    fetch_cells(tx, &sql, f).await
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
        "{}SELECT a.case_id, a.instrument_id, a.profile, a.scores, TRUE AS first, p.latest_id = p.first_id AS latest \
         FROM picked p JOIN assessments a ON a.id = p.first_id \
         UNION ALL SELECT a.case_id, a.instrument_id, a.profile, a.scores, FALSE AS first, TRUE AS latest \
         FROM picked p JOIN assessments a ON a.id = p.latest_id WHERE p.latest_id <> p.first_id",
        with(
            f,
            &format!(
                "picked AS (SELECT c.id AS case_id, \
                 (SELECT a.id FROM assessments a WHERE a.case_id = c.id AND a.assessed_on <= $6 \
                  ORDER BY a.assessed_on, a.created_at, a.id LIMIT 1) AS first_id, \
                 (SELECT a.id FROM assessments a WHERE a.case_id = c.id AND a.assessed_on <= $6 \
                  ORDER BY a.assessed_on DESC, a.created_at DESC, a.id DESC LIMIT 1) AS latest_id \
                 FROM cases c WHERE {} AND c.opened_on <= $6 AND (c.closed_on IS NULL OR c.closed_on >= $5))",
                case_in_scope(f)
            )
        )
    );
    fetch_cells(tx, &sql, f).await
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
