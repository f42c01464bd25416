//! The master participant index: the deployment's linkage settings, the records as the
//! index compares them, candidates for a lookup, the review queue and merges.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::org::OrganisationKind;
use itinera_domain::text::prefix_end;
use itinera_domain::{Error, Page, PageRequest};
use uuid::Uuid;

use crate::access::visible_sql;
use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Settings {
    pub auto_link: f64,
    pub review: f64,
    pub model: Option<String>,
    pub model_fitted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn settings(tx: &mut Tx) -> Result<Settings, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT auto_link, review, model, model_fitted_at, updated_at FROM linkage_settings WHERE id = 1"
    ).fetch_one(c).await.map_err(db_err))
}

pub async fn set_thresholds(
    tx: &mut Tx,
    auto_link: f64,
    review: f64,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE linkage_settings SET auto_link = $1, review = $2, updated_at = $3, updated_by = $4 WHERE id = 1"
    ).bind(auto_link).bind(review).bind(now).bind(by).execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn set_model(tx: &mut Tx, json: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE linkage_settings SET model = $1, model_fitted_at = $2 WHERE id = 1"
    ).bind(json).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

/// A record as the index compares it. Read without an access check: the index looks
/// across organisations, and callers show only what the actor may see.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub given_name: String,
    pub surname1: String,
    pub surname2: Option<String>,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub postcode: Option<String>,
    pub territory_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    pub created_at: DateTime<Utc>,
}

const RECORD: &str = "SELECT p.id, p.person_id, p.home_organisation_id, o.name AS home_organisation_name, p.given_name, p.surname1, p.surname2, p.sex, p.birth_date, p.postcode, t.name AS territory_name, p.address, p.phone, p.email, \
     (SELECT d.number FROM participant_documents d WHERE d.participant_id = p.id ORDER BY d.created_at, d.kind LIMIT 1) AS document, p.created_at \
     FROM participants p JOIN organisations o ON o.id = p.home_organisation_id LEFT JOIN territories t ON t.id = p.territory_id";

pub async fn record(tx: &mut Tx, id: Uuid) -> Result<Option<LinkRecord>, Error> {
    let sql = format!("{RECORD} WHERE p.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// Every record of the registry the batch deduplication may process, in id order: not
/// a frozen one (restricted by the data-protection office: linking it would be
/// processing it), nor an anonymised one.
pub async fn all_records(tx: &mut Tx) -> Result<Vec<LinkRecord>, Error> {
    let sql =
        format!("{RECORD} WHERE p.restricted_at IS NULL AND p.anonymised_at IS NULL ORDER BY p.id");
    on_tx!(tx, c => sqlx::query_as(&sql).fetch_all(c).await.map_err(db_err))
}

/// What a lookup knows of the record it looks for.
pub struct Probe {
    /// Normalised identity numbers.
    pub documents: Vec<String>,
    /// The birth date, and the same with day and month swapped when that is a date.
    pub birth_dates: Vec<NaiveDate>,
    /// The folded given name.
    pub given_key: String,
    /// Each folded surname on its own.
    pub surnames: Vec<String>,
    /// A record never is its own candidate.
    pub exclude: Option<Uuid>,
}

/// Records that could be the person of `probe`: the same identity number, the same
/// birth date (or swapped), or the same given name with either surname first. Every
/// branch is an index range with a limit, whatever the size of the registry. A frozen
/// record (restricted by the data-protection office) is never a candidate: linking to
/// it, or recording a source id on it, would be processing it.
pub async fn candidates(tx: &mut Tx, probe: &Probe, limit: i64) -> Result<Vec<LinkRecord>, Error> {
    let mut out: Vec<LinkRecord> = Vec::new();
    for number in &probe.documents {
        let sql = format!(
            "{RECORD} WHERE p.id IN (SELECT participant_id FROM participant_documents WHERE number = $1) AND p.restricted_at IS NULL LIMIT $2"
        );
        let rows: Vec<LinkRecord> = on_tx!(tx, c => sqlx::query_as(&sql)
            .bind(number).bind(limit).fetch_all(c).await.map_err(db_err))?;
        out.extend(rows);
    }
    for date in &probe.birth_dates {
        let sql = format!(
            "{RECORD} WHERE p.birth_date = $1 AND p.restricted_at IS NULL ORDER BY p.birth_date, p.surname_key LIMIT $2"
        );
        let rows: Vec<LinkRecord> = on_tx!(tx, c => sqlx::query_as(&sql)
            .bind(date).bind(limit).fetch_all(c).await.map_err(db_err))?;
        out.extend(rows);
    }
    if !probe.given_key.is_empty() {
        for surname in probe.surnames.iter().filter(|s| !s.is_empty()) {
            let sql = format!(
                "{RECORD} WHERE p.given_key = $1 AND p.surname_key >= $2 AND p.surname_key < $3 AND p.restricted_at IS NULL ORDER BY p.given_key, p.surname_key LIMIT $4"
            );
            let rows: Vec<LinkRecord> = on_tx!(tx, c => sqlx::query_as(&sql)
                .bind(&probe.given_key).bind(surname).bind(prefix_end(surname)).bind(limit)
                .fetch_all(c).await.map_err(db_err))?;
            out.extend(rows);
        }
    }
    out.sort_by_key(|r| r.id);
    out.dedup_by_key(|r| r.id);
    out.retain(|r| Some(r.id) != probe.exclude);
    Ok(out)
}

/// The records of a person that organisation `org` may see, oldest first.
pub async fn person_records(
    tx: &mut Tx,
    person_id: Uuid,
    org: Uuid,
    kind: OrganisationKind,
    today: NaiveDate,
) -> Result<Vec<LinkRecord>, Error> {
    let sql = format!(
        "{RECORD} WHERE p.person_id = $4 AND {} ORDER BY p.created_at, p.id",
        visible_sql("p", "$1", "$2", "$3")
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(kind.code()).bind(today).bind(person_id)
        .fetch_all(c).await.map_err(db_err))
}

/// The person of a record.
pub async fn person_of(tx: &mut Tx, id: Uuid) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT person_id FROM participants WHERE id = $1")
        .bind(id).fetch_optional(c).await.map_err(db_err))
}

// ---------------------------------------------------------------------------------------
// The review queue

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    pub id: Uuid,
    /// The records' ids travel with their sides, and only when the reader may see them.
    pub left_id: Uuid,
    pub right_id: Uuid,
    pub match_probability: f64,
    pub source: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_name: Option<String>,
}

const REVIEW: &str = "SELECT r.id, r.left_id, r.right_id, r.match_probability, r.source, r.status, r.created_at, r.decided_at, u.display_name AS decided_by_name \
     FROM link_reviews r LEFT JOIN users u ON u.id = r.decided_by";

/// Queues a pair (in either order) unless it was queued or decided before; true when
/// queued now.
pub async fn queue(
    tx: &mut Tx,
    a: Uuid,
    b: Uuid,
    probability: f64,
    source: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (l, r) = (a.min(b), a.max(b));
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO link_reviews (id, left_id, right_id, match_probability, source, status, created_at) VALUES ($1,$2,$3,$4,$5,'open',$6) \
         ON CONFLICT (left_id, right_id) DO NOTHING"
    ).bind(itinera_clock::new_id(now)).bind(l).bind(r).bind(probability).bind(source).bind(now)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

/// Pairs decided "different", among those that involve `id`.
pub async fn different_from(tx: &mut Tx, id: Uuid) -> Result<Vec<Uuid>, Error> {
    let rows: Vec<(Uuid, Uuid)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT left_id, right_id FROM link_reviews WHERE status = 'different' AND (left_id = $1 OR right_id = $1)"
    ).bind(id).fetch_all(c).await.map_err(db_err))?;
    Ok(rows
        .into_iter()
        .map(|(l, r)| if l == id { r } else { l })
        .collect())
}

/// Every pair already queued or decided (the batch deduplication leaves them alone).
pub async fn all_pairs(tx: &mut Tx) -> Result<Vec<(Uuid, Uuid)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT left_id, right_id FROM link_reviews")
        .fetch_all(c).await.map_err(db_err))
}

pub async fn review(tx: &mut Tx, id: Uuid) -> Result<Option<Review>, Error> {
    let sql = format!("{REVIEW} WHERE r.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// The reviews whose two records `org` may see (a pair with a record it may not see is
/// not shown: that would tell it the record exists), open ones first, then
/// the latest decisions; `open_only` keeps the queue proper.
pub async fn reviews_for(
    tx: &mut Tx,
    org: Uuid,
    kind: OrganisationKind,
    today: NaiveDate,
    open_only: bool,
    page: PageRequest,
) -> Result<Page<Review>, Error> {
    let sql = format!(
        "{REVIEW} WHERE {status} (EXISTS (SELECT 1 FROM participants p WHERE p.id = r.left_id AND {vl}) \
           AND EXISTS (SELECT 1 FROM participants p WHERE p.id = r.right_id AND {vl})) \
         ORDER BY CASE WHEN r.status = 'open' THEN 0 ELSE 1 END, r.match_probability DESC, r.created_at, r.id LIMIT $4 OFFSET $5",
        status = if open_only { "r.status = 'open' AND" } else { "" },
        vl = visible_sql("p", "$1", "$2", "$3"),
    );
    let rows: Vec<Review> = on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(org).bind(kind.code()).bind(today).bind(page.limit() + 1).bind(page.offset())
        .fetch_all(c).await.map_err(db_err))?;
    Ok(Page::from_overfetch(rows, page))
}

/// The most open reviews the work list counts ("100 or more" past it).
pub const OPEN_COUNT_CAP: i64 = 100;

/// The number of open reviews `org` can act on (the work list), up to `OPEN_COUNT_CAP`:
/// the count stops there rather than judging every open pair of the country.
pub async fn open_count(
    tx: &mut Tx,
    org: Uuid,
    kind: OrganisationKind,
    today: NaiveDate,
) -> Result<i64, Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM link_reviews r WHERE r.status = 'open' AND (EXISTS (SELECT 1 FROM participants p WHERE p.id = r.left_id AND {vl}) \
           AND EXISTS (SELECT 1 FROM participants p WHERE p.id = r.right_id AND {vl})) LIMIT {OPEN_COUNT_CAP}) open_ones",
        vl = visible_sql("p", "$1", "$2", "$3"),
    );
    on_tx!(tx, c => sqlx::query_scalar(&sql).bind(org).bind(kind.code()).bind(today)
        .fetch_one(c).await.map_err(db_err))
}

/// Records a decision on an open review; a review already decided is a conflict.
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    by: Uuid,
    org: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE link_reviews SET status = $2, decided_at = $3, decided_by = $4, decided_organisation_id = $5 WHERE id = $1 AND status = 'open'"
    ).bind(id).bind(status).bind(now).bind(by).bind(org)
    .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    if n == 0 {
        return Err(Error::Conflict("linkage.review.decided"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Merges

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Merge {
    pub id: Uuid,
    /// Person ids are the ids of records, perhaps of records the reader may not see:
    /// kept out of responses.
    pub person_id: Uuid,
    pub absorbed_person_id: Uuid,
    pub kind: String,
    pub match_probability: Option<f64>,
    pub review_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by_name: Option<String>,
}

const MERGE: &str = "SELECT m.id, m.person_id, m.absorbed_person_id, m.kind, m.match_probability, m.review_id, m.created_at, cu.display_name AS created_by_name, m.undone_at, uu.display_name AS undone_by_name \
     FROM merges m LEFT JOIN users cu ON cu.id = m.created_by LEFT JOIN users uu ON uu.id = m.undone_by";

/// Moves every record of person `absorbed` to person `person`, keeping which moved.
#[allow(clippy::too_many_arguments)]
pub async fn merge(
    tx: &mut Tx,
    person: Uuid,
    absorbed: Uuid,
    kind: &str,
    probability: Option<f64>,
    review_id: Option<Uuid>,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    if person == absorbed {
        return Err(Error::Conflict("linkage.already_same"));
    }
    let id = itinera_clock::new_id(now);
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO merges (id, person_id, absorbed_person_id, kind, match_probability, review_id, created_at, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    ).bind(id).bind(person).bind(absorbed).bind(kind).bind(probability).bind(review_id).bind(now).bind(by)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO merge_members (merge_id, participant_id) SELECT $1, id FROM participants WHERE person_id = $2"
    ).bind(id).bind(absorbed).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query("UPDATE participants SET person_id = $1 WHERE person_id = $2")
        .bind(person).bind(absorbed).execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(id)
}

/// Records, just inserted with the person they join, recorded as automatic merges
/// (one per record: `(record, person, probability)`), as `merge` would record them.
pub async fn record_auto_links(
    tx: &mut Tx,
    links: &[(Uuid, Uuid, f64)],
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, Error> {
    use crate::bulk::V;
    let mut merges = Vec::with_capacity(links.len());
    let mut members = Vec::with_capacity(links.len());
    let mut ids = Vec::with_capacity(links.len());
    for (record, person, p) in links {
        let id = itinera_clock::new_id(now);
        ids.push(id);
        merges.push(vec![
            V::Uuid(id),
            V::Uuid(*person),
            V::Uuid(*record),
            V::Text("auto".into()),
            V::OptF64(Some(*p)),
            V::Ts(now),
            V::OptUuid(by),
        ]);
        members.push(vec![V::Uuid(id), V::Uuid(*record)]);
    }
    crate::bulk::insert(
        tx,
        "merges",
        &[
            "id",
            "person_id",
            "absorbed_person_id",
            "kind",
            "match_probability",
            "created_at",
            "created_by",
        ],
        &merges,
    )
    .await?;
    crate::bulk::insert(
        tx,
        "merge_members",
        &["merge_id", "participant_id"],
        &members,
    )
    .await?;
    Ok(ids)
}

/// The normalised identity numbers of a record.
pub async fn documents_of(tx: &mut Tx, id: Uuid) -> Result<Vec<String>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT number FROM participant_documents WHERE participant_id = $1")
        .bind(id).fetch_all(c).await.map_err(db_err))
}

/// Merges the persons of records `a` and `b`; the older person (ids are time-ordered)
/// keeps its id. `None` when they are one person already.
#[allow(clippy::too_many_arguments)]
pub async fn merge_records(
    tx: &mut Tx,
    a: Uuid,
    b: Uuid,
    kind: &str,
    probability: Option<f64>,
    review_id: Option<Uuid>,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Uuid)>, Error> {
    let pa = person_of(tx, a).await?.ok_or(Error::NotFound)?;
    let pb = person_of(tx, b).await?.ok_or(Error::NotFound)?;
    if pa == pb {
        return Ok(None);
    }
    let keep = pa.min(pb);
    let id = merge(tx, keep, pa.max(pb), kind, probability, review_id, by, now).await?;
    Ok(Some((id, keep)))
}

pub async fn merge_by_id(tx: &mut Tx, id: Uuid) -> Result<Option<Merge>, Error> {
    let sql = format!("{MERGE} WHERE m.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

/// The records a merge moved.
pub async fn merge_members(tx: &mut Tx, id: Uuid) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT participant_id FROM merge_members WHERE merge_id = $1 ORDER BY participant_id"
    ).bind(id).fetch_all(c).await.map_err(db_err))
}

/// The merges that concern a person or moved a record of theirs, latest first.
pub async fn merges_of(tx: &mut Tx, person_id: Uuid, record: Uuid) -> Result<Vec<Merge>, Error> {
    let sql = format!(
        "{MERGE} WHERE m.person_id = $1 OR m.absorbed_person_id = $1 \
           OR m.id IN (SELECT merge_id FROM merge_members WHERE participant_id = $2) \
         ORDER BY m.created_at DESC, m.id DESC"
    );
    on_tx!(tx, c => sqlx::query_as(&sql).bind(person_id).bind(record).fetch_all(c).await.map_err(db_err))
}

/// Moves the records of a merge back to the person they came from. Refused when the
/// merge was undone already, or when a later merge has moved them on (undo that first).
pub async fn unmerge(tx: &mut Tx, id: Uuid, by: Uuid, now: DateTime<Utc>) -> Result<Merge, Error> {
    let m = merge_by_id(tx, id).await?.ok_or(Error::NotFound)?;
    if m.undone_at.is_some() {
        return Err(Error::Conflict("linkage.merge.undone"));
    }
    let moved_on: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM merge_members mm JOIN participants p ON p.id = mm.participant_id WHERE mm.merge_id = $1 AND p.person_id <> $2"
    ).bind(id).bind(m.person_id).fetch_one(c).await.map_err(db_err))?;
    if moved_on > 0 {
        return Err(Error::Conflict("linkage.merge.later"));
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE participants SET person_id = $2 WHERE id IN (SELECT participant_id FROM merge_members WHERE merge_id = $1)"
    ).bind(id).bind(m.absorbed_person_id).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query("UPDATE merges SET undone_at = $2, undone_by = $3 WHERE id = $1")
        .bind(id).bind(now).bind(by).execute(c).await.map(|_| ()).map_err(db_err))?;
    Ok(m)
}

/// Every record of a person, whoever may see them (for unmerging).
pub async fn person_records_all(tx: &mut Tx, person_id: Uuid) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM participants WHERE person_id = $1 ORDER BY id")
        .bind(person_id).fetch_all(c).await.map_err(db_err))
}

/// Remembers that two records are different persons (after an unmerge), whatever was
/// decided about the pair before.
pub async fn mark_different(
    tx: &mut Tx,
    a: Uuid,
    b: Uuid,
    by: Uuid,
    org: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let (l, r) = (a.min(b), a.max(b));
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO link_reviews (id, left_id, right_id, match_probability, source, status, created_at, decided_at, decided_by, decided_organisation_id) \
         VALUES ($1,$2,$3,0,'unmerge','different',$4,$4,$5,$6) \
         ON CONFLICT (left_id, right_id) DO UPDATE SET status = 'different', decided_at = $4, decided_by = $5, decided_organisation_id = $6"
    ).bind(itinera_clock::new_id(now)).bind(l).bind(r).bind(now).bind(by).bind(org)
    .execute(c).await.map(|_| ()).map_err(db_err))
}
