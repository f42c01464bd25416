//! A professional's work list: what they must do next, across the cases they may see.
//! Every query carries the access predicate, so an item never names a person the
//! professional's organisation may not see.

use chrono::NaiveDate;
use itinera_domain::Error;
use serde::Serialize;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Item {
    pub case_id: Uuid,
    pub participant_name: String,
    /// The action's id, for actions.
    pub item_id: Option<Uuid>,
    pub label: String,
    pub due_on: Option<NaiveDate>,
}

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

/// Pending actions the user owns (for this organisation) due by `until`.
pub async fn actions_due(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Item>, Error> {
    let sql = format!(
        "SELECT c.id AS case_id, {NAME} AS participant_name, a.id AS item_id, a.description AS label, a.due_on \
         FROM itinerary_actions a JOIN itineraries i ON i.id = a.itinerary_id JOIN cases c ON c.id = i.case_id \
         JOIN participants p ON p.id = c.participant_id \
         WHERE a.responsible_id = $1 AND a.status IN ('planned', 'in_progress') AND a.due_on <= $5 AND a.organisation_id = $2 \
         AND c.status = 'open' AND {} ORDER BY a.due_on, a.id LIMIT 200",
        visible_sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today).bind(until)
        .fetch_all(c).await.map_err(db_err))
}

/// The user's current team memberships drive the team queries (a caseload is a few
/// hundred cases, the registry millions); `CROSS JOIN` keeps SQLite's planner to that
/// order and means a plain inner join to PostgreSQL.
const MY_CASES: &str = "case_team_members m CROSS JOIN cases c CROSS JOIN participants p";
const MINE: &str = "m.user_id = $1 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.id = m.case_id AND p.id = c.participant_id";

/// Itineraries of open cases on the user's teams whose review is due by `until`.
pub async fn reviews_due(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Item>, Error> {
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, {NAME} AS participant_name, i.id AS item_id, '' AS label, i.review_on AS due_on \
         FROM case_team_members m CROSS JOIN cases c CROSS JOIN itineraries i CROSS JOIN participants p \
         WHERE {MINE} AND i.case_id = c.id AND i.review_on <= $5 AND c.status = 'open' AND {} ORDER BY due_on, item_id LIMIT 200",
        visible_sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today).bind(until)
        .fetch_all(c).await.map_err(db_err))
}

/// Open cases in the diagnosis phase on the user's teams without any assessment.
pub async fn assessments_missing(
    tx: &mut Tx,
    user: Uuid,
    org: Uuid,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<Item>, Error> {
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, {NAME} AS participant_name, CAST(NULL AS UUID) AS item_id, '' AS label, CAST(NULL AS DATE) AS due_on, c.opened_on \
         FROM {MY_CASES} \
         WHERE {MINE} AND c.phase = 'diagnosis' AND c.status = 'open' \
         AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.case_id = c.id) AND {} ORDER BY c.opened_on, case_id LIMIT 200",
        visible_sql("p", "$2", "$3", "$4")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user).bind(org).bind(kind).bind(today)
        .fetch_all(c).await.map_err(db_err))
}
