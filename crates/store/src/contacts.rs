//! The contact log. **`VISIBLE`** is the SQL form of `itinera_domain::contact::visible`:
//! every query that lists or counts contacts includes it.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::contact::ContactData;
use itinera_domain::ids::{CaseId, OrganisationId, UserId};
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

/// "the reader (`$2` user, `$3` organisation) may read contact `k`", given that they may
/// read its case.
pub const VISIBLE: &str =
    "(k.visibility = 'team' OR (k.visibility = 'service' AND k.author_organisation_id = $3) \
    OR (k.visibility = 'author' AND k.author_id = $2))";

/// `VISIBLE` for a contact aliased `t`, the reader being `user` and `org` (parameters):
/// every date drawn from contacts (the last one, the next step) counts only those.
pub fn visible_as(t: &str, user: &str, org: &str) -> String {
    format!(
        "({t}.visibility = 'team' OR ({t}.visibility = 'service' AND {t}.author_organisation_id = {org}) \
         OR ({t}.visibility = 'author' AND {t}.author_id = {user}))"
    )
}

pub struct NewContact<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub home_organisation_id: Uuid,
    pub data: &'a ContactData,
    pub author_id: Uuid,
    pub author_organisation_id: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewContact<'_>) -> Result<(), Error> {
    let d = n.data;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO contacts (id, case_id, home_organisation_id, happened_on, kind, summary, next_step, visibility, author_id, author_organisation_id, created_at, next_step_on) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
    ).bind(n.id).bind(n.case_id).bind(n.home_organisation_id).bind(d.happened_on).bind(d.kind.code()).bind(&d.summary)
    .bind(&d.next_step).bind(d.visibility.code()).bind(n.author_id).bind(n.author_organisation_id).bind(n.now).bind(d.next_step_on)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    for (user, org) in &d.professionals {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO contact_participants (contact_id, home_organisation_id, user_id, organisation_id) VALUES ($1,$2,$3,$4)"
        ).bind(n.id).bind(n.home_organisation_id).bind(user).bind(org)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub happened_on: NaiveDate,
    pub kind: String,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_step_on: Option<NaiveDate>,
    pub visibility: String,
    pub author_id: Uuid,
    pub author_name: String,
    pub author_organisation_id: Uuid,
    pub author_organisation_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactProfessional {
    pub user_id: Uuid,
    pub user_name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub row: ContactRow,
    pub professionals: Vec<ContactProfessional>,
}

/// The contacts of a case the reader may read, newest first.
pub async fn for_case(
    tx: &mut Tx,
    case_id: CaseId,
    reader: UserId,
    reader_org: OrganisationId,
) -> Result<Vec<Contact>, Error> {
    of_case(tx, case_id, Some((reader, reader_org))).await
}

/// The contacts of a case that a subject access gives the person: those of the team
/// and every service's own, whichever organisation wrote them — all but the
/// professionals' personal notes (their own working annotations).
pub async fn for_subject(tx: &mut Tx, case_id: CaseId) -> Result<Vec<Contact>, Error> {
    of_case(tx, case_id, None).await
}

/// The contacts of a case that `reader` (a user of an organisation) sees, or, with no
/// reader, those a subject access gives.
async fn of_case(
    tx: &mut Tx,
    case_id: CaseId,
    reader: Option<(UserId, OrganisationId)>,
) -> Result<Vec<Contact>, Error> {
    let visible = match reader {
        Some(_) => VISIBLE,
        None => "k.visibility IN ('team', 'service')",
    };
    let sql = format!(
        "SELECT k.id, k.happened_on, k.kind, k.summary, k.next_step, k.next_step_on, k.visibility, k.author_id, u.display_name AS author_name, \
         k.author_organisation_id, o.name AS author_organisation_name, k.created_at \
         FROM contacts k JOIN users u ON u.id = k.author_id JOIN organisations o ON o.id = k.author_organisation_id \
         WHERE k.case_id = $1 AND {visible} ORDER BY k.happened_on DESC, k.created_at DESC"
    );
    let rows: Vec<ContactRow> = match reader {
        Some((user, org)) => on_tx!(tx, c => sqlx::query_as(&sql)
            .bind(case_id.0).bind(user.0).bind(org.0).fetch_all(c).await.map_err(db_err))?,
        None => on_tx!(tx, c => sqlx::query_as(&sql)
            .bind(case_id.0).fetch_all(c).await.map_err(db_err))?,
    };
    let people: Vec<(Uuid, Uuid, String, Uuid, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT p.contact_id, p.user_id, u.display_name, p.organisation_id, o.name FROM contact_participants p \
         JOIN contacts k ON k.id = p.contact_id JOIN users u ON u.id = p.user_id JOIN organisations o ON o.id = p.organisation_id \
         WHERE k.case_id = $1 ORDER BY o.name, u.display_name"
    ).bind(case_id.0).fetch_all(c).await.map_err(db_err))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let professionals = people
                .iter()
                .filter(|p| p.0 == row.id)
                .map(|p| ContactProfessional {
                    user_id: p.1,
                    user_name: p.2.clone(),
                    organisation_id: p.3,
                    organisation_name: p.4.clone(),
                })
                .collect();
            Contact { row, professionals }
        })
        .collect())
}
