//! A professional's caseload: the open (or closed) cases they are on the team of — or,
//! for the organisation's view, those any of its professionals is on — with what a
//! list needs to say what is next on each. Every line carries the access predicate, so
//! it never names a person the organisation may not see.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{contacts, db_err, on_tx, Tx};

const NAME: &str = "p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '')";

/// At most this many cases are read for one list (a caseload is tens to hundreds).
pub const MAX_LINES: i64 = 1000;

/// Whose cases: the professional's own team memberships, or their organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Mine,
    Organisation,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub scope: Scope,
    pub programme: Option<Uuid>,
    /// `open`, `closed` or `all`.
    pub status: &'static str,
    /// Part of the person's name, folded (`text::fold`): searched before the page's
    /// limit, so that a name is found in a caseload of any size.
    pub name: Option<String>,
    /// Only the cases in this phase.
    pub phase: Option<String>,
    /// Only the open cases with something overdue (a review, an action or a next step
    /// due before today).
    pub overdue: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Line {
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub participant_name: String,
    pub programme_id: Uuid,
    pub programme_code: String,
    pub phase: String,
    pub status: String,
    pub opened_on: NaiveDate,
    pub case_manager_name: String,
    /// The last phase change (none: the phase it was opened in).
    pub phase_changed_at: Option<DateTime<Utc>>,
    pub review_on: Option<NaiveDate>,
    /// The soonest due date of the itinerary's open actions.
    pub next_action_on: Option<NaiveDate>,
    pub last_contact_on: Option<NaiveDate>,
    /// The date of the next step agreed at the last contact that set one.
    pub next_step_on: Option<NaiveDate>,
}

pub async fn lines(
    tx: &mut Tx,
    user: UserId,
    org: OrganisationId,
    kind: &str,
    today: NaiveDate,
    f: &Filter,
) -> Result<Vec<Line>, Error> {
    let visible = visible_sql("p", "$2", "$3", "$4");
    let member = match f.scope {
        Scope::Mine => "m.user_id = $1 AND m.organisation_id = $2",
        Scope::Organisation => "m.organisation_id = $2",
    };
    let status = match f.status {
        "closed" => "c.status = 'closed'",
        "all" => "1 = 1",
        _ => "c.status <> 'closed'",
    };
    let (vt, vt2, vt3) = (
        contacts::visible_as("t", "$1", "$2"),
        contacts::visible_as("t2", "$1", "$2"),
        contacts::visible_as("t3", "$1", "$2"),
    );
    // The filters and the order (what falls due first, then those with nothing due, by
    // name) come before the list's limit, so that a caseload of any size shows its most
    // urgent cases, and every overdue one a filter asks for.
    let due = "CASE WHEN coalesce(x.review_on, $7) <= coalesce(x.next_action_on, $7) \
                    AND coalesce(x.review_on, $7) <= coalesce(x.next_step_on, $7) THEN coalesce(x.review_on, $7) \
               WHEN coalesce(x.next_action_on, $7) <= coalesce(x.next_step_on, $7) THEN coalesce(x.next_action_on, $7) \
               ELSE coalesce(x.next_step_on, $7) END";
    let overdue = if f.overdue {
        format!("AND x.status <> 'closed' AND {due} < $4")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT x.* FROM (SELECT c.id AS case_id, p.id AS participant_id, {NAME} AS participant_name, c.programme_id, pr.code AS programme_code, \
         c.phase, c.status, c.opened_on, u.display_name AS case_manager_name, \
         (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.to_phase IS NOT NULL) AS phase_changed_at, \
         (SELECT min(i.review_on) FROM itineraries i WHERE i.case_id = c.id) AS review_on, \
         (SELECT min(a.due_on) FROM itineraries i2 JOIN itinerary_actions a ON a.itinerary_id = i2.id \
            WHERE i2.case_id = c.id AND a.status IN ('planned', 'in_progress')) AS next_action_on, \
         (SELECT max(t.happened_on) FROM contacts t WHERE t.case_id = c.id AND {vt}) AS last_contact_on, \
         (SELECT min(t2.next_step_on) FROM contacts t2 WHERE t2.case_id = c.id AND t2.next_step_on IS NOT NULL \
            AND NOT EXISTS (SELECT 1 FROM contacts t3 WHERE t3.case_id = c.id AND t3.happened_on > t2.happened_on AND {vt3}) \
            AND {vt2}) AS next_step_on \
         FROM cases c JOIN participants p ON p.id = c.participant_id JOIN programmes pr ON pr.id = c.programme_id \
         JOIN users u ON u.id = c.case_manager_id \
         WHERE c.id IN (SELECT m.case_id FROM case_team_members m WHERE {member} AND m.removed_at IS NULL) \
         AND {status} AND ($5 IS NULL OR c.programme_id = $5) \
         AND ($6 IS NULL OR (p.given_key || ' ' || p.surname_key) LIKE $6 ESCAPE '\\') \
         AND ($8 IS NULL OR c.phase = $8) AND {visible}) x \
         WHERE 1 = 1 {overdue} \
         ORDER BY {due}, x.participant_name, x.case_id LIMIT {MAX_LINES}"
    );
    let name = f.name.as_deref().map(|n| {
        let escaped = n
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    // Nothing due sorts last (a date both engines compare as a date; SQLite keeps dates
    // as text, where chrono's `MAX`, written with a sign, would sort first).
    let never = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user.0).bind(org.0).bind(kind).bind(today).bind(f.programme).bind(name)
        .bind(never).bind(f.phase.as_deref())
        .fetch_all(c).await.map_err(db_err))
}

/// What the list's filters offer: the programmes (id, code) and phases of the cases in
/// `scope` and `status`, whatever the other filters (codes, no person).
pub async fn facets(
    tx: &mut Tx,
    user: UserId,
    org: OrganisationId,
    scope: Scope,
    status: &str,
) -> Result<Vec<(Uuid, String, String)>, Error> {
    let member = match scope {
        Scope::Mine => "m.user_id = $1 AND m.organisation_id = $2",
        Scope::Organisation => "m.organisation_id = $2",
    };
    let status = match status {
        "closed" => "c.status = 'closed'",
        "all" => "1 = 1",
        _ => "c.status <> 'closed'",
    };
    let sql = format!(
        "SELECT DISTINCT c.programme_id, pr.code, c.phase FROM cases c JOIN programmes pr ON pr.id = c.programme_id \
         WHERE c.id IN (SELECT m.case_id FROM case_team_members m WHERE {member} AND m.removed_at IS NULL) AND {status}"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(user.0).bind(org.0)
        .fetch_all(c).await.map_err(db_err))
}
