//! A professional's work list: what they must do next, across the cases they may see.
//! Every query carries the access predicate, so an item never names a person the
//! professional's organisation may not see.

use chrono::NaiveDate;
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{contacts, db_err, on_tx, Tx};

/// A work list shows at most this many items of each kind, the most urgent first.
pub const ITEMS_SHOWN: usize = 200;

/// Each kind's statement reads one more than it shows, to tell that there are more.
pub const ITEMS_READ: i64 = ITEMS_SHOWN as i64 + 1;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub case_id: Uuid,
    pub participant_name: String,
    /// The action's id, for actions.
    pub item_id: Option<Uuid>,
    pub label: String,
    pub due_on: Option<NaiveDate>,
}

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

/// What the work list shows of the cases a professional may see.
#[derive(Debug, Clone, Default)]
pub struct CaseItems {
    /// Pending actions the user owns (for this organisation) due by `until`.
    pub actions_due: Vec<Item>,
    /// Itineraries of open cases on the user's teams whose review is due by `until`.
    pub reviews_due: Vec<Item>,
    /// Open cases in the diagnosis phase on the user's teams without any assessment.
    pub assessments_missing: Vec<Item>,
    /// Retention checks of contracts the user follows (they registered it, or are the
    /// case's employment reference) due by `until`; `item_id` is the check.
    pub retention_due: Vec<Item>,
    /// Running contracts the user follows whose monthly follow-up contact is due by
    /// `until` (a month after the last contact, or the start); `item_id` the contract.
    pub follow_ups_due: Vec<Item>,
    /// Unresolved incidents of cases the user manages or is the reference social
    /// worker of; `item_id` the incident, `label` its kind.
    pub incidents_open: Vec<Item>,
}

#[derive(sqlx::FromRow)]
struct Row {
    k: i64,
    case_id: Uuid,
    participant_name: String,
    item_id: Option<Uuid>,
    label: String,
    due_on: Option<NaiveDate>,
}

/// The user's current team memberships drive the team queries (a caseload is a few
/// hundred cases, the registry millions); `CROSS JOIN` keeps SQLite's planner to that
/// order and means a plain inner join to PostgreSQL.
const MINE: &str = "m.user_id = $1 AND m.organisation_id = $2 AND m.removed_at IS NULL AND c.id = m.case_id AND p.id = c.participant_id";

/// The kinds of case items, at most [`ITEMS_READ`] of each, in one statement (one trip to
/// the database inside the audited read). Every part carries the access predicate.
pub async fn case_items(
    tx: &mut Tx,
    user: UserId,
    org: OrganisationId,
    kind: &str,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<CaseItems, Error> {
    // A follow-up is due a month after the last contact (or the start): due by `until`
    // when that contact was on or before this day. The work list shows when it falls due.
    let follow_up_cutoff =
        until - chrono::Duration::days(itinera_domain::placement::FOLLOW_UP_DAYS);
    let visible = visible_sql("p", "$2", "$3", "$4");
    let vt = contacts::visible_as("t", "$1", "$2");
    let sql = format!(
        "SELECT k, case_id, participant_name, item_id, label, due_on FROM ( \
           SELECT * FROM (SELECT CAST(1 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, a.id AS item_id, a.description AS label, a.due_on, a.due_on AS s1, a.id AS s2 \
             FROM itinerary_actions a JOIN itineraries i ON i.id = a.itinerary_id JOIN cases c ON c.id = i.case_id \
             JOIN participants p ON p.id = c.participant_id \
             WHERE a.responsible_id = $1 AND a.status IN ('planned', 'in_progress') AND a.due_on <= $5 AND a.organisation_id = $2 \
             AND c.status = 'open' AND {visible} ORDER BY a.due_on, a.id LIMIT {ITEMS_READ}) actions \
           UNION ALL \
           SELECT * FROM (SELECT DISTINCT CAST(2 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, i.id AS item_id, '' AS label, i.review_on AS due_on, i.review_on AS s1, i.id AS s2 \
             FROM case_team_members m CROSS JOIN cases c CROSS JOIN itineraries i CROSS JOIN participants p \
             WHERE {MINE} AND i.case_id = c.id AND i.review_on <= $5 AND c.status = 'open' AND {visible} \
             ORDER BY s1, s2 LIMIT {ITEMS_READ}) reviews \
           UNION ALL \
           SELECT * FROM (SELECT DISTINCT CAST(3 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, CAST(NULL AS UUID) AS item_id, '' AS label, CAST(NULL AS DATE) AS due_on, c.opened_on AS s1, c.id AS s2 \
             FROM case_team_members m CROSS JOIN cases c CROSS JOIN participants p \
             WHERE {MINE} AND c.phase = 'diagnosis' AND c.status = 'open' \
             AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.case_id = c.id) AND {visible} \
             ORDER BY s1, s2 LIMIT {ITEMS_READ}) missing \
           UNION ALL \
           SELECT * FROM (SELECT DISTINCT CAST(4 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, r.id AS item_id, CAST(r.months AS TEXT) AS label, r.due_on, r.due_on AS s1, r.id AS s2 \
             FROM case_team_members m CROSS JOIN cases c CROSS JOIN retention_checks r CROSS JOIN contracts k CROSS JOIN participants p \
             WHERE {MINE} AND r.case_id = c.id AND r.checked_on IS NULL AND r.due_on <= $5 AND k.id = r.contract_id \
             AND (m.role = 'employment_reference' OR k.created_by = $1) AND {visible} \
             ORDER BY s1, s2 LIMIT {ITEMS_READ}) retention \
           UNION ALL \
           SELECT * FROM (SELECT DISTINCT CAST(5 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, k.id AS item_id, k.position_title AS label, \
             COALESCE((SELECT MAX(t.happened_on) FROM contacts t WHERE t.case_id = c.id AND t.happened_on > k.start_on AND {vt}), k.start_on) AS due_on, k.start_on AS s1, k.id AS s2 \
             FROM case_team_members m CROSS JOIN cases c CROSS JOIN contracts k CROSS JOIN participants p \
             WHERE {MINE} AND k.case_id = c.id AND k.ended_on IS NULL AND k.start_on <= $4 AND (k.planned_end_on IS NULL OR k.planned_end_on >= $4) \
             AND c.status = 'open' AND (m.role = 'employment_reference' OR k.created_by = $1) \
             AND COALESCE((SELECT MAX(t.happened_on) FROM contacts t WHERE t.case_id = c.id AND t.happened_on > k.start_on AND {vt}), k.start_on) <= $6 AND {visible} \
             ORDER BY s1, s2 LIMIT {ITEMS_READ}) follow_ups \
           UNION ALL \
           SELECT * FROM (SELECT DISTINCT CAST(6 AS BIGINT) AS k, c.id AS case_id, {NAME} AS participant_name, i.id AS item_id, i.kind AS label, i.occurred_on AS due_on, i.occurred_on AS s1, i.id AS s2 \
             FROM case_team_members m CROSS JOIN cases c CROSS JOIN incidents i CROSS JOIN participants p \
             WHERE {MINE} AND i.case_id = c.id AND i.resolved_on IS NULL AND c.status <> 'closed' \
             AND (m.role IN ('case_manager', 'social_reference') OR c.case_manager_id = $1) AND {visible} \
             ORDER BY s1, s2 LIMIT {ITEMS_READ}) incidents \
         ) items ORDER BY k, s1, s2"
    );
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(&sql).bind(user.0).bind(org.0).bind(kind).bind(today).bind(until).bind(follow_up_cutoff)
        .fetch_all(c).await.map_err(db_err))?;
    let mut out = CaseItems::default();
    for r in rows {
        let item = Item {
            case_id: r.case_id,
            participant_name: r.participant_name,
            item_id: r.item_id,
            label: r.label,
            due_on: r.due_on,
        };
        match r.k {
            1 => out.actions_due.push(item),
            2 => out.reviews_due.push(item),
            3 => out.assessments_missing.push(item),
            4 => out.retention_due.push(item),
            5 => out.follow_ups_due.push(Item {
                due_on: item.due_on.map(|last| {
                    last + chrono::Duration::days(itinera_domain::placement::FOLLOW_UP_DAYS)
                }),
                ..item
            }),
            _ => out.incidents_open.push(item),
        }
    }
    Ok(out)
}

/// An unanswered incident on a case of the organisation's teams, with its programme's
/// limit for a first response (the caller decides which are overdue).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unanswered {
    pub case_id: Uuid,
    pub participant_name: String,
    pub incident_id: Uuid,
    pub kind: String,
    pub reported_at: chrono::DateTime<chrono::Utc>,
    pub response_days: i16,
}

/// Unanswered incidents reported before `before`, on open cases where organisation `org`
/// is on the team and that it may see; at most 200, oldest first.
pub async fn unanswered_incidents(
    tx: &mut Tx,
    org: OrganisationId,
    kind: &str,
    today: NaiveDate,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Unanswered>, Error> {
    let visible = visible_sql("p", "$1", "$2", "$3");
    let sql = format!(
        "SELECT c.id AS case_id, {NAME} AS participant_name, i.id AS incident_id, i.kind, i.reported_at, g.incident_response_days AS response_days \
         FROM incidents i JOIN cases c ON c.id = i.case_id JOIN programmes g ON g.id = c.programme_id JOIN participants p ON p.id = c.participant_id \
         WHERE i.first_response_at IS NULL AND i.reported_at < $4 AND c.status <> 'closed' \
         AND EXISTS (SELECT 1 FROM case_team_members m WHERE m.case_id = c.id AND m.organisation_id = $1 AND m.removed_at IS NULL) \
         AND {visible} ORDER BY i.reported_at, i.id LIMIT {ITEMS_READ}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org.0).bind(kind).bind(today).bind(before)
        .fetch_all(c).await.map_err(db_err))
}

/// The next steps the user set at a contact, due by `until`, on open cases they are on
/// the team of (the latest contact of the case only: a later contact supersedes it).
pub async fn next_steps(
    tx: &mut Tx,
    user: UserId,
    org: OrganisationId,
    kind: &str,
    today: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Item>, Error> {
    let visible = visible_sql("p", "$2", "$3", "$4");
    let vk2 = contacts::visible_as("k2", "$1", "$2");
    let sql = format!(
        "SELECT DISTINCT c.id AS case_id, {NAME} AS participant_name, k.id AS item_id, k.next_step AS label, k.next_step_on AS due_on \
         FROM case_team_members m CROSS JOIN cases c CROSS JOIN participants p CROSS JOIN contacts k \
         WHERE {MINE} AND k.case_id = c.id AND k.author_id = $1 AND k.next_step_on IS NOT NULL AND k.next_step_on <= $5 \
         AND c.status <> 'closed' \
         AND NOT EXISTS (SELECT 1 FROM contacts k2 WHERE k2.case_id = c.id AND k2.happened_on > k.happened_on AND {vk2}) \
         AND {visible} ORDER BY k.next_step_on, k.id LIMIT {ITEMS_READ}"
    );
    type StepRow = (Uuid, String, Uuid, Option<String>, Option<NaiveDate>);
    let rows: Vec<StepRow> = on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(user.0).bind(org.0).bind(kind).bind(today).bind(until).fetch_all(c).await.map_err(db_err))?;
    Ok(rows
        .into_iter()
        .map(|(case_id, participant_name, item_id, label, due_on)| Item {
            case_id,
            participant_name,
            item_id: Some(item_id),
            label: label.unwrap_or_default(),
            due_on,
        })
        .collect())
}
