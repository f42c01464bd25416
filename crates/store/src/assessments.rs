//! Instruments (stored as their JSON definition, one row per published version) and the
//! assessments made with them, with one score row per domain.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::assessment::Score;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstrumentRow {
    pub id: Uuid,
    pub code: String,
    pub version: i32,
    pub definition: String,
    pub published_at: DateTime<Utc>,
}

pub async fn insert_instrument(
    tx: &mut Tx,
    id: Uuid,
    code: &str,
    version: i32,
    definition: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let exists: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM instruments WHERE code = $1 AND version = $2"
    ).bind(code).bind(version).fetch_optional(c).await.map_err(db_err))?;
    if exists.is_some() {
        return Err(Error::Conflict("instrument.version_exists"));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO instruments (id, code, version, definition, published_at, published_by) VALUES ($1,$2,$3,$4,$5,$6)"
    ).bind(id).bind(code).bind(version).bind(definition).bind(now).bind(by)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

pub async fn instruments(tx: &mut Tx) -> Result<Vec<InstrumentRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, code, version, definition, published_at FROM instruments ORDER BY code, version DESC"
    ).fetch_all(c).await.map_err(db_err))
}

pub async fn instrument(tx: &mut Tx, id: Uuid) -> Result<Option<InstrumentRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, code, version, definition, published_at FROM instruments WHERE id = $1"
    ).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// The newest version of each instrument: the ones offered for new assessments.
pub async fn current_instruments(tx: &mut Tx) -> Result<Vec<InstrumentRow>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT i.id, i.code, i.version, i.definition, i.published_at FROM instruments i \
         WHERE i.version = (SELECT max(j.version) FROM instruments j WHERE j.code = i.code) ORDER BY i.code"
    ).fetch_all(c).await.map_err(db_err))
}

pub struct NewAssessment<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub instrument_id: Uuid,
    pub assessed_on: NaiveDate,
    pub assessor_id: Uuid,
    pub assessor_organisation_id: Uuid,
    pub profile: &'a str,
    pub note: Option<&'a str>,
    pub scores: &'a [Score],
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, a: &NewAssessment<'_>) -> Result<(), Error> {
    let scores = serde_json::to_string(a.scores).map_err(|e| Error::Internal(e.to_string()))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO assessments (id, case_id, participant_id, home_organisation_id, instrument_id, assessed_on, assessor_id, assessor_organisation_id, profile, scores, note, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
    ).bind(a.id).bind(a.case_id).bind(a.participant_id).bind(a.home_organisation_id).bind(a.instrument_id)
    .bind(a.assessed_on).bind(a.assessor_id).bind(a.assessor_organisation_id).bind(a.profile).bind(&scores).bind(a.note).bind(a.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub instrument_id: Uuid,
    pub instrument_code: String,
    pub instrument_version: i32,
    pub assessed_on: NaiveDate,
    pub assessor_id: Uuid,
    pub assessor_name: String,
    pub assessor_organisation_name: String,
    pub profile: String,
    pub scores: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Assessment {
    pub row: AssessmentRow,
    pub scores: Vec<Score>,
}

/// A case's assessments, oldest first, with their scores.
pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<Assessment>, Error> {
    let rows: Vec<AssessmentRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, a.case_id, a.instrument_id, i.code AS instrument_code, i.version AS instrument_version, a.assessed_on, \
         a.assessor_id, u.display_name AS assessor_name, o.name AS assessor_organisation_name, a.profile, a.scores, a.note, a.created_at \
         FROM assessments a JOIN instruments i ON i.id = a.instrument_id JOIN users u ON u.id = a.assessor_id \
         JOIN organisations o ON o.id = a.assessor_organisation_id WHERE a.case_id = $1 ORDER BY a.assessed_on, a.created_at"
    ).bind(case_id).fetch_all(c).await.map_err(db_err))?;
    rows.into_iter()
        .map(|row| {
            let scores: Vec<Score> = serde_json::from_str(&row.scores)
                .map_err(|e| Error::Internal(format!("assessment {} scores: {e}", row.id)))?;
            Ok(Assessment { row, scores })
        })
        .collect()
}
