//! What protocol compliance reads (`domain::compliance`): a programme's cases and, per
//! rule, the days things started and were done; the rules' limits.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::ids::OrganisationId;
use itinera_domain::Error;
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{db_err, on_tx, Tx};

/// A case of the programme, with what its compliance is broken down by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: Uuid,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub manager_id: Uuid,
    pub manager_name: String,
    pub territory_name: Option<String>,
}

pub async fn cases(tx: &mut Tx, programme: Uuid) -> Result<Vec<CaseRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT c.id, c.opened_on, c.closed_on, c.opened_by_organisation_id AS organisation_id, o.name AS organisation_name, \
         c.case_manager_id AS manager_id, u.display_name AS manager_name, t.name AS territory_name \
         FROM cases c JOIN organisations o ON o.id = c.opened_by_organisation_id JOIN users u ON u.id = c.case_manager_id \
         LEFT JOIN esf_entries e ON e.case_id = c.id LEFT JOIN territories t ON t.id = e.territory_id \
         WHERE c.programme_id = $1"
    ).bind(programme).fetch_all(c).await.map_err(db_err))
}

/// A day something of a case happened.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Day {
    pub case_id: Uuid,
    pub at_day: NaiveDate,
}

/// The days of the events a rule reads, by name: `interview` (first interviews),
/// `assessment` (first assessments), `signature` (itinerary signatures), `review`
/// (itinerary reviews), `contact` (contacts on cases with a contract).
pub async fn days(tx: &mut Tx, programme: Uuid, what: &str) -> Result<Vec<Day>, Error> {
    let sql = match what {
        "interview" => "SELECT k.case_id, min(k.happened_on) AS at_day FROM contacts k JOIN cases c ON c.id = k.case_id \
            WHERE c.programme_id = $1 AND k.kind IN ('individual_interview', 'joint_interview') GROUP BY k.case_id",
        "assessment" => "SELECT a.case_id, min(a.assessed_on) AS at_day FROM assessments a JOIN cases c ON c.id = a.case_id \
            WHERE c.programme_id = $1 GROUP BY a.case_id",
        "signature" => "SELECT i.case_id, v.signed_on AS at_day FROM itinerary_versions v JOIN itineraries i ON i.id = v.itinerary_id \
            JOIN cases c ON c.id = i.case_id WHERE c.programme_id = $1",
        "review" => "SELECT i.case_id, r.reviewed_on AS at_day FROM itinerary_reviews r JOIN itineraries i ON i.id = r.itinerary_id \
            JOIN cases c ON c.id = i.case_id WHERE c.programme_id = $1",
        "contact" => "SELECT k.case_id, k.happened_on AS at_day FROM contacts k JOIN cases c ON c.id = k.case_id \
            WHERE c.programme_id = $1 AND EXISTS (SELECT 1 FROM contracts x WHERE x.case_id = k.case_id)",
        _ => return Err(Error::Internal(format!("no days {what}"))),
    };
    on_tx!(tx, c => sqlx::query_as(sql).bind(programme).fetch_all(c).await.map_err(db_err))
}

/// A contract of the programme's cases: case, start, end.
pub async fn contracts(
    tx: &mut Tx,
    programme: Uuid,
) -> Result<Vec<(Uuid, NaiveDate, Option<NaiveDate>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT k.case_id, k.start_on, k.ended_on FROM contracts k JOIN cases c ON c.id = k.case_id WHERE c.programme_id = $1"
    ).bind(programme).fetch_all(c).await.map_err(db_err))
}

/// Incidents (reported, first response) or referrals (sent, answered; not cancelled)
/// of the programme's cases.
pub async fn answers(
    tx: &mut Tx,
    programme: Uuid,
    what: &str,
) -> Result<Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)>, Error> {
    let sql = match what {
        "incident" => "SELECT i.case_id, i.reported_at, i.first_response_at FROM incidents i JOIN cases c ON c.id = i.case_id \
            WHERE c.programme_id = $1",
        "referral" => "SELECT r.case_id, r.sent_at, r.answered_at FROM referrals r JOIN cases c ON c.id = r.case_id \
            WHERE c.programme_id = $1 AND r.status <> 'cancelled'",
        _ => return Err(Error::Internal(format!("no answers {what}"))),
    };
    on_tx!(tx, c => sqlx::query_as(sql).bind(programme).fetch_all(c).await.map_err(db_err))
}

/// The limits set for a programme's rules (rule, days), and its incident and referral
/// limits.
pub async fn limits(tx: &mut Tx, programme: Uuid) -> Result<(Vec<(String, i16)>, i16, i16), Error> {
    let set: Vec<(String, i16)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT rule, days FROM protocol_rules WHERE programme_id = $1"
    ).bind(programme).fetch_all(c).await.map_err(db_err))?;
    let (incident, referral): (i16, i16) = on_tx!(tx, c => sqlx::query_as(
        "SELECT incident_response_days, referral_answer_days FROM programmes WHERE id = $1"
    ).bind(programme).fetch_one(c).await.map_err(db_err))?;
    Ok((set, incident, referral))
}

pub async fn set_limit(
    tx: &mut Tx,
    programme: Uuid,
    rule: &str,
    days: i16,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match rule {
        "incident_response" => {
            on_tx!(tx, c => sqlx::query("UPDATE programmes SET incident_response_days = $2 WHERE id = $1")
            .bind(programme).bind(days).execute(c).await.map(|_| ()).map_err(db_err))
        }
        "referral_answer" => {
            on_tx!(tx, c => sqlx::query("UPDATE programmes SET referral_answer_days = $2 WHERE id = $1")
            .bind(programme).bind(days).execute(c).await.map(|_| ()).map_err(db_err))
        }
        _ => on_tx!(tx, c => sqlx::query(
            "INSERT INTO protocol_rules (programme_id, rule, days, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (programme_id, rule) DO UPDATE SET days = $3, updated_by = $4, updated_at = $5"
        ).bind(programme).bind(rule).bind(days).bind(by).bind(now).execute(c).await.map(|_| ()).map_err(db_err)),
    }
}

/// The participants' names of the given cases that the actor may see today.
pub async fn visible_names(
    tx: &mut Tx,
    cases: &[Uuid],
    o: OrganisationId,
    kind: &str,
    today: NaiveDate,
) -> Result<Vec<(Uuid, String)>, Error> {
    let mut out = Vec::new();
    let visible = visible_sql("p", "$2", "$3", "$4");
    let sql = format!(
        "SELECT c.id, p.given_name || ' ' || p.surname1 || coalesce(' ' || p.surname2, '') FROM cases c \
         JOIN participants p ON p.id = c.participant_id WHERE c.id = $1 AND {visible}"
    );
    for id in cases {
        let row: Option<(Uuid, String)> = on_tx!(tx, c => sqlx::query_as(&sql).bind(id).bind(o.0).bind(kind).bind(today)
            .fetch_optional(c).await.map_err(db_err))?;
        out.extend(row);
    }
    Ok(out)
}
