//! What a person's request to see their own record needs: their records (the one that
//! holds a document number, and every record the master index joined to the same
//! person).

use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// The records of the person who holds this (normalised) document number, oldest first.
pub async fn records_of_document(tx: &mut Tx, number: &str) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT p.id FROM participants p WHERE p.person_id IN \
         (SELECT q.person_id FROM participants q JOIN participant_documents d ON d.participant_id = q.id WHERE d.number = $1) \
         ORDER BY p.created_at, p.id"
    ).bind(number).fetch_all(c).await.map_err(db_err))
}
