//! Imports: saved column mappings, batches with their reports, the source ids of
//! imported records; uploaded files and import jobs (shared by every server of a
//! deployment).

use chrono::{DateTime, Utc};
use itinera_domain::ids::{OrganisationId, UserId};
use itinera_domain::{Error, Page, PageRequest};
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedMapping {
    pub id: Uuid,
    pub name: String,
    /// The mapping as JSON (`itinera_domain::import::Mapping`).
    pub mapping: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn mappings(tx: &mut Tx, org: Uuid) -> Result<Vec<SavedMapping>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name, mapping, updated_at FROM import_mappings WHERE organisation_id = $1 ORDER BY name"
    ).bind(org).fetch_all(c).await.map_err(db_err))
}

pub async fn mapping(tx: &mut Tx, org: Uuid, name: &str) -> Result<Option<SavedMapping>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name, mapping, updated_at FROM import_mappings WHERE organisation_id = $1 AND name = $2"
    ).bind(org).bind(name).fetch_optional(c).await.map_err(db_err))
}

/// Saves a mapping under its name (replacing the one of that name).
pub async fn save_mapping(
    tx: &mut Tx,
    org: Uuid,
    name: &str,
    json: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO import_mappings (id, organisation_id, name, mapping, created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6) \
         ON CONFLICT (organisation_id, name) DO UPDATE SET mapping = $4, updated_at = $6"
    ).bind(itinera_clock::new_id(now)).bind(org).bind(name).bind(json).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// A batch without its report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Batch {
    pub id: Uuid,
    pub source: String,
    pub file_name: String,
    pub rows_read: i32,
    pub created: i32,
    pub linked: i32,
    pub queued: i32,
    pub existing: i32,
    pub rejected: i32,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

const BATCH: &str = "SELECT b.id, b.source, b.file_name, b.rows_read, b.created, b.linked, b.queued, b.existing, b.rejected, u.display_name AS created_by_name, b.created_at \
     FROM import_batches b JOIN users u ON u.id = b.created_by";

pub async fn batch_by_hash(tx: &mut Tx, org: Uuid, sha256: &str) -> Result<Option<Batch>, Error> {
    let sql = format!("{BATCH} WHERE b.organisation_id = $1 AND b.file_sha256 = $2");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(sha256).fetch_optional(c).await.map_err(db_err))
}

/// A batch of `org` and its report (JSON).
pub async fn batch(tx: &mut Tx, org: Uuid, id: Uuid) -> Result<Option<(Batch, String)>, Error> {
    let sql = format!("{BATCH} WHERE b.organisation_id = $1 AND b.id = $2");
    let b: Option<Batch> = on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(id).fetch_optional(c).await.map_err(db_err))?;
    let Some(b) = b else { return Ok(None) };
    let report: String = on_tx!(tx, c => sqlx::query_scalar("SELECT report FROM import_batches WHERE id = $1")
        .bind(id).fetch_one(c).await.map_err(db_err))?;
    Ok(Some((b, report)))
}

pub async fn batches(tx: &mut Tx, org: Uuid, page: PageRequest) -> Result<Page<Batch>, Error> {
    let sql = format!(
        "{BATCH} WHERE b.organisation_id = $1 ORDER BY b.created_at DESC, b.id DESC LIMIT $2 OFFSET $3"
    );
    let rows: Vec<Batch> = on_tx!(tx, c => sqlx::query_as(&sql).bind(org).bind(page.limit() + 1).bind(page.offset())
        .fetch_all(c).await.map_err(db_err))?;
    Ok(Page::from_overfetch(rows, page))
}

pub struct NewBatch<'a> {
    pub id: Uuid,
    pub org: Uuid,
    pub source: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub by: Uuid,
    pub now: DateTime<Utc>,
}

/// Opens a batch (its rows refer to it); `finish_batch` writes its figures.
pub async fn insert_batch(tx: &mut Tx, b: &NewBatch<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO import_batches (id, organisation_id, source, file_name, file_sha256, rows_read, created, linked, queued, existing, rejected, report, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,0,0,0,0,0,0,'[]',$6,$7)"
    ).bind(b.id).bind(b.org).bind(b.source).bind(b.file_name).bind(b.sha256).bind(b.by).bind(b.now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The figures of a batch: rows read, created, linked, queued, existing, rejected.
pub struct Figures {
    pub rows_read: i32,
    pub created: i32,
    pub linked: i32,
    pub queued: i32,
    pub existing: i32,
    pub rejected: i32,
}

pub async fn finish_batch(tx: &mut Tx, id: Uuid, f: &Figures, report: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE import_batches SET rows_read = $2, created = $3, linked = $4, queued = $5, existing = $6, rejected = $7, report = $8 WHERE id = $1"
    ).bind(id).bind(f.rows_read).bind(f.created).bind(f.linked).bind(f.queued).bind(f.existing).bind(f.rejected).bind(report)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The record an organisation imported from `source` with that id there, if any, and
/// whether it is restricted (the data-protection office froze it: nothing reads it).
pub async fn source_record(
    tx: &mut Tx,
    org: Uuid,
    source: &str,
    external_id: &str,
) -> Result<Option<(Uuid, bool)>, Error> {
    let row: Option<(Uuid, i32)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT s.participant_id, CASE WHEN p.restricted_at IS NULL THEN 0 ELSE 1 END FROM participant_sources s \
         JOIN participants p ON p.id = s.participant_id WHERE s.home_organisation_id = $1 AND s.source = $2 AND s.external_id = $3"
    ).bind(org).bind(source).bind(external_id).fetch_optional(c).await.map_err(db_err))?;
    Ok(row.map(|(id, r)| (id, r == 1)))
}

pub async fn insert_source(
    tx: &mut Tx,
    participant: Uuid,
    org: Uuid,
    source: &str,
    external_id: &str,
    batch: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO participant_sources (participant_id, home_organisation_id, source, external_id, batch_id, created_at) VALUES ($1,$2,$3,$4,$5,$6) \
         ON CONFLICT (home_organisation_id, source, external_id) DO NOTHING"
    ).bind(participant).bind(org).bind(source).bind(external_id).bind(batch).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Records where many participants came from: `(participant, external id)`, prepared
/// for `engine` ahead of the write (`bulk::Prepared`). A source id recorded before is
/// left as it was.
pub fn prepare_sources(
    engine: crate::Engine,
    org: Uuid,
    source: &str,
    rows: &[(Uuid, String)],
    batch: Uuid,
    now: DateTime<Utc>,
) -> Result<crate::bulk::Prepared, Error> {
    use crate::bulk::V;
    let rows: Vec<Vec<V>> = rows
        .iter()
        .map(|(p, ext)| {
            vec![
                V::Uuid(*p),
                V::Uuid(org),
                V::Text(source.to_string()),
                V::Text(ext.clone()),
                V::Uuid(batch),
                V::Ts(now),
            ]
        })
        .collect();
    crate::bulk::Prepared::new(
        engine,
        "participant_sources",
        &[
            "participant_id",
            "home_organisation_id",
            "source",
            "external_id",
            "batch_id",
            "created_at",
        ],
        rows,
        Some("home_organisation_id, source, external_id"),
    )
}

/// An uploaded file, for its owner (user and organisation) until it expires.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: Uuid,
    pub file_name: String,
    pub source: String,
    pub content: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

pub struct NewUpload<'a> {
    pub id: Uuid,
    pub user: Uuid,
    pub org: Uuid,
    pub file_name: &'a str,
    pub source: &'a str,
    pub content: &'a [u8],
    pub now: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

pub async fn insert_upload(tx: &mut Tx, u: &NewUpload<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO uploads (id, user_id, organisation_id, file_name, source, content, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    ).bind(u.id).bind(u.user).bind(u.org).bind(u.file_name).bind(u.source).bind(u.content).bind(u.now).bind(u.expires)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The upload, if it is this user's for this organisation and has not expired.
pub async fn upload(
    tx: &mut Tx,
    id: Uuid,
    user: UserId,
    org: OrganisationId,
    now: DateTime<Utc>,
) -> Result<Option<Upload>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, file_name, source, content, created_at FROM uploads WHERE id = $1 AND user_id = $2 AND organisation_id = $3 AND expires_at > $4"
    ).bind(id).bind(user.0).bind(org.0).bind(now).fetch_optional(c).await.map_err(db_err))
}

pub async fn delete_upload(tx: &mut Tx, id: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The batches whose kept report names a record: (batch, report).
pub async fn batches_naming(tx: &mut Tx, record: Uuid) -> Result<Vec<(Uuid, String)>, Error> {
    on_tx!(tx, c => sqlx::query_as("SELECT id, report FROM import_batches WHERE report LIKE $1")
        .bind(format!("%{record}%")).fetch_all(c).await.map_err(db_err))
}

pub async fn set_batch_report(tx: &mut Tx, id: Uuid, report: &str) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE import_batches SET report = $2 WHERE id = $1")
        .bind(id).bind(report).execute(c).await.map(|_| ()).map_err(db_err))
}

/// Forgets the import jobs whose report names a record, and their files: how many.
pub async fn forget_jobs_naming(tx: &mut Tx, record: Uuid) -> Result<u64, Error> {
    let pattern = format!("%{record}%");
    on_tx!(tx, c => sqlx::query("DELETE FROM uploads WHERE id IN (SELECT upload_id FROM import_jobs WHERE report LIKE $1)")
        .bind(&pattern).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM import_jobs WHERE report LIKE $1")
        .bind(&pattern).execute(c).await.map(|r| r.rows_affected()).map_err(db_err))
}

/// Forgets expired uploads and jobs.
pub async fn sweep(tx: &mut Tx, now: DateTime<Utc>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM uploads WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|_| ()).map_err(db_err))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM import_jobs WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

/// An import job as stored: what it does, how far it got, its report or failure.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub upload_id: Uuid,
    /// The mapping as JSON (`itinera_domain::import::Mapping`).
    pub mapping: String,
    pub save_mapping: bool,
    pub skip_invalid: bool,
    pub dry_run: bool,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub done_rows: i32,
    pub total_rows: i32,
    /// The report as JSON, once done.
    pub report: Option<String>,
    /// The translation key of what went wrong, once failed.
    pub failure: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewJob<'a> {
    pub id: Uuid,
    pub upload: Uuid,
    pub user: Uuid,
    pub org: Uuid,
    pub mapping: &'a str,
    pub save_mapping: bool,
    pub skip_invalid: bool,
    pub dry_run: bool,
    pub now: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

pub async fn insert_job(tx: &mut Tx, j: &NewJob<'_>) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO import_jobs (id, upload_id, user_id, organisation_id, mapping, save_mapping, skip_invalid, dry_run, status, done_rows, total_rows, created_at, updated_at, expires_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'running',0,0,$9,$9,$10)"
    ).bind(j.id).bind(j.upload).bind(j.user).bind(j.org).bind(j.mapping).bind(j.save_mapping).bind(j.skip_invalid).bind(j.dry_run)
    .bind(j.now).bind(j.expires)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// The job, if it is this user's for this organisation and not past its time.
pub async fn job(
    tx: &mut Tx,
    id: Uuid,
    user: UserId,
    org: OrganisationId,
    now: DateTime<Utc>,
) -> Result<Option<Job>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, upload_id, mapping, save_mapping, skip_invalid, dry_run, status, done_rows, total_rows, report, failure, updated_at \
         FROM import_jobs WHERE id = $1 AND user_id = $2 AND organisation_id = $3 AND expires_at > $4"
    ).bind(id).bind(user.0).bind(org.0).bind(now).fetch_optional(c).await.map_err(db_err))
}

/// Records how far a running job got (a finished job is left as it is).
pub async fn job_progress(
    tx: &mut Tx,
    id: Uuid,
    done: i32,
    total: i32,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE import_jobs SET done_rows = $2, total_rows = $3, updated_at = $4 WHERE id = $1 AND status = 'running'"
    ).bind(id).bind(done).bind(total).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}

/// Ends a job: `done` with its report, or `failed` with the key of what went wrong.
pub async fn finish_job(
    tx: &mut Tx,
    id: Uuid,
    report: Option<&str>,
    failure: Option<&str>,
    rows: i32,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let status = if report.is_some() { "done" } else { "failed" };
    on_tx!(tx, c => sqlx::query(
        "UPDATE import_jobs SET status = $2, report = $3, failure = $4, done_rows = $5, total_rows = $5, updated_at = $6 WHERE id = $1"
    ).bind(id).bind(status).bind(report).bind(failure).bind(rows).bind(now).execute(c).await.map(|_| ()).map_err(db_err))
}
