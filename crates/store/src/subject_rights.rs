//! What a person's request to see their own record needs: their records (the one that
//! holds a document number, and every record the master index joined to the same
//! person).

use chrono::NaiveDate;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// The records of the person who holds this (normalised) document number, oldest
/// first, each with whether it is confirmed as theirs: it holds the document, or it was
/// joined to them only by merges a person decided (`review`) and none of the records
/// that hold the document was moved by an automatic one. A record joined by an
/// automatic match (at registration, an import or a registry pass) may be a stranger's.
pub async fn records_of_document(tx: &mut Tx, number: &str) -> Result<Vec<(Uuid, bool)>, Error> {
    let rows: Vec<(Uuid, i32)> = on_tx!(tx, c => sqlx::query_as(
        "WITH holders AS (SELECT DISTINCT q.id, q.person_id FROM participants q \
           JOIN participant_documents d ON d.participant_id = q.id WHERE d.number = $1), \
         automatic AS (SELECT mm.participant_id FROM merge_members mm JOIN merges m ON m.id = mm.merge_id \
           WHERE m.undone_at IS NULL AND m.kind <> 'review') \
         SELECT p.id, CASE WHEN p.id IN (SELECT id FROM holders) THEN 1 \
           WHEN p.id IN (SELECT participant_id FROM automatic) THEN 0 \
           WHEN EXISTS (SELECT 1 FROM holders h WHERE h.person_id = p.person_id AND h.id IN (SELECT participant_id FROM automatic)) THEN 0 \
           ELSE 1 END AS confirmed \
         FROM participants p WHERE p.person_id IN (SELECT person_id FROM holders) ORDER BY p.created_at, p.id"
    ).bind(number).fetch_all(c).await.map_err(db_err))?;
    Ok(rows.into_iter().map(|(id, c)| (id, c == 1)).collect())
}

/// A meeting's item about a case: where and when it was discussed, and its minutes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseDiscussion {
    pub item_id: Uuid,
    pub meeting_id: Uuid,
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub title: String,
    pub minutes: Option<String>,
}

/// The items of meetings about a case, oldest first.
pub async fn case_discussions(tx: &mut Tx, case: Uuid) -> Result<Vec<CaseDiscussion>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT i.id AS item_id, m.id AS meeting_id, b.name AS body_name, m.meeting_date, i.title, i.minutes \
         FROM meeting_items i JOIN meetings m ON m.id = i.meeting_id JOIN coordination_bodies b ON b.id = m.body_id \
         WHERE i.case_id = $1 ORDER BY m.meeting_date, i.position, i.id"
    ).bind(case).fetch_all(c).await.map_err(db_err))
}

/// An agreement a coordination body took about a case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseAgreement {
    pub id: Uuid,
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub text: String,
    pub owner_organisation_name: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
}

/// The agreements about a case, oldest first.
pub async fn case_agreements(tx: &mut Tx, case: Uuid) -> Result<Vec<CaseAgreement>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, b.name AS body_name, m.meeting_date, a.text, o.name AS owner_organisation_name, \
         a.due_on, a.status, a.status_reason, a.done_on \
         FROM agreements a JOIN meetings m ON m.id = a.meeting_id JOIN coordination_bodies b ON b.id = a.body_id \
         JOIN organisations o ON o.id = a.owner_organisation_id \
         WHERE a.case_id = $1 ORDER BY m.meeting_date, a.created_at, a.id"
    ).bind(case).fetch_all(c).await.map_err(db_err))
}
