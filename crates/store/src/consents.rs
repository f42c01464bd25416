//! Consents and the organisations or kinds of organisation they cover.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::consent::ConsentData;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consent {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub purpose: String,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_note: Option<String>,
    pub evidence: String,
    pub recorded_by_name: String,
    pub recorded_by_organisation_name: String,
    pub created_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub organisations: Vec<ScopeOrganisation>,
    #[sqlx(skip)]
    pub organisation_kinds: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopeOrganisation {
    pub id: Uuid,
    pub name: String,
}

pub struct NewConsent<'a> {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub home_organisation_id: Uuid,
    pub data: &'a ConsentData,
    pub recorded_by: Uuid,
    pub recorded_by_organisation_id: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewConsent<'_>) -> Result<(), Error> {
    for o in &n.data.organisations {
        let exists: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1")
            .bind(o).fetch_optional(c).await.map_err(db_err))?;
        if exists.is_none() {
            return Err(Error::field("organisations", "validation.choice"));
        }
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO consents (id, participant_id, home_organisation_id, purpose, given_on, expires_on, evidence, recorded_by, recorded_by_organisation_id, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
    ).bind(n.id).bind(n.participant_id).bind(n.home_organisation_id).bind(n.data.purpose.code())
    .bind(n.data.given_on).bind(n.data.expires_on).bind(&n.data.evidence).bind(n.recorded_by)
    .bind(n.recorded_by_organisation_id).bind(n.now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for o in &n.data.organisations {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO consent_scopes (consent_id, home_organisation_id, organisation_id, organisation_kind) VALUES ($1,$2,$3,NULL)"
        ).bind(n.id).bind(n.home_organisation_id).bind(o).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    for k in &n.data.organisation_kinds {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO consent_scopes (consent_id, home_organisation_id, organisation_id, organisation_kind) VALUES ($1,$2,NULL,$3)"
        ).bind(n.id).bind(n.home_organisation_id).bind(k.code()).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

pub async fn list(tx: &mut Tx, participant_id: Uuid) -> Result<Vec<Consent>, Error> {
    let mut rows: Vec<Consent> = on_tx!(tx, c => sqlx::query_as(
        "SELECT k.id, k.participant_id, k.purpose, k.given_on, k.expires_on, k.withdrawn_on, k.withdrawal_note, k.evidence, \
                u.display_name AS recorded_by_name, o.name AS recorded_by_organisation_name, k.created_at \
         FROM consents k JOIN users u ON u.id = k.recorded_by JOIN organisations o ON o.id = k.recorded_by_organisation_id \
         WHERE k.participant_id = $1 ORDER BY k.given_on DESC, k.created_at DESC"
    ).bind(participant_id).fetch_all(c).await.map_err(db_err))?;
    for k in &mut rows {
        k.organisations = on_tx!(tx, c => sqlx::query_as(
            "SELECT o.id, o.name FROM consent_scopes s JOIN organisations o ON o.id = s.organisation_id WHERE s.consent_id = $1 ORDER BY o.name"
        ).bind(k.id).fetch_all(c).await.map_err(db_err))?;
        k.organisation_kinds = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT organisation_kind FROM consent_scopes WHERE consent_id = $1 AND organisation_kind IS NOT NULL ORDER BY organisation_kind"
        ).bind(k.id).fetch_all(c).await.map_err(db_err))?;
    }
    Ok(rows)
}

pub async fn get(
    tx: &mut Tx,
    id: Uuid,
) -> Result<Option<(Uuid, NaiveDate, Option<NaiveDate>)>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT participant_id, given_on, withdrawn_on FROM consents WHERE id = $1"
    ).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn withdraw(
    tx: &mut Tx,
    id: Uuid,
    on: NaiveDate,
    note: Option<&str>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE consents SET withdrawn_on = $2, withdrawal_note = $3 WHERE id = $1 AND withdrawn_on IS NULL")
        .bind(id).bind(on).bind(note).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(())
}

/// The organisations that may see a participant today and why: the registering one, and
/// each team organisation covered by an active sharing consent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Viewer {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
}

pub async fn viewers(
    tx: &mut Tx,
    participant_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Viewer>, Error> {
    // Only the registering organisation and the team organisations can qualify: look at
    // those, not at every organisation of the network.
    let sql = format!(
        "SELECT o.id AS organisation_id, o.name AS organisation_name, o.kind AS organisation_kind FROM participants p \
         JOIN organisations o ON o.id = p.home_organisation_id OR o.id IN \
           (SELECT m.organisation_id FROM case_team_members m JOIN cases c ON c.id = m.case_id WHERE c.participant_id = p.id AND m.removed_at IS NULL) \
         WHERE p.id = $1 AND {} ORDER BY o.name",
        crate::access::visible_sql("p", "o.id", "o.kind", "$2")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(participant_id).bind(today).fetch_all(c).await.map_err(db_err))
}
