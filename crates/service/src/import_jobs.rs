//! Imports from the browser: an uploaded file waits in the database (its owner's, for
//! an hour, or until it is imported for real); a job runs an import of it in the
//! background and keeps its progress and report in the database, so that any server
//! of a deployment shows the job another started. The process that runs a job also
//! holds its live progress in memory; it writes it to the database every second (the
//! import plans without the writer, so those writes land as it goes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::import::Mapping;
use itinera_domain::Error;
use itinera_store::imports as store;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::imports::{ImportReport, ImportRequest};
use crate::{Ctx, Services};

/// Files up to this size are accepted.
pub const MAX_FILE: usize = 50 * 1024 * 1024;
/// How long an upload and a job's report are kept.
const KEPT: i64 = 60;
/// A running job whose progress has not moved for this long was interrupted (its
/// server stopped).
const INTERRUPTED_AFTER_SECS: i64 = 300;

/// The jobs this process runs: their live progress (done, total).
#[derive(Default)]
pub struct LiveJobs(Mutex<HashMap<Uuid, Arc<(AtomicUsize, AtomicUsize)>>>);

impl LiveJobs {
    fn start(&self, id: Uuid) -> Arc<(AtomicUsize, AtomicUsize)> {
        let p = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, p.clone());
        }
        p
    }

    fn progress(&self, id: Uuid) -> Option<(usize, usize)> {
        let m = self.0.lock().ok()?;
        m.get(&id)
            .map(|p| (p.0.load(Ordering::Relaxed), p.1.load(Ordering::Relaxed)))
    }

    fn end(&self, id: Uuid) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&id);
        }
    }
}

/// An uploaded file.
pub struct Upload {
    pub id: Uuid,
    pub file_name: String,
    pub source: String,
    pub bytes: Vec<u8>,
}

/// What a job is to do with an upload.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub mapping: Mapping,
    pub save_mapping: bool,
    pub skip_invalid: bool,
    pub dry_run: bool,
}

/// How a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Done,
    Failed,
}

/// A job as its owner's page shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: Uuid,
    pub upload_id: Uuid,
    pub spec: JobSpec,
    pub status: JobStatus,
    pub done: usize,
    pub total: usize,
    pub report: Option<ImportReport>,
    /// The translation key of what went wrong.
    pub failure: Option<String>,
}

fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::minutes(KEPT)
}

impl Services {
    /// Forgets the uploaded files and import jobs past their time (the background
    /// sweep; uploading does it too).
    pub async fn sweep_uploads(&self) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        store::sweep(&mut tx, self.now()).await?;
        tx.commit().await
    }

    /// Keeps an uploaded file for its owner (the actor, for their organisation).
    pub async fn save_upload(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        file_name: &str,
        source: &str,
        bytes: &[u8],
    ) -> Result<Uuid, Error> {
        actor.require(Capability::WritePersonData)?;
        let id = ctx.new_id();
        let mut tx = self.store.write().await?;
        store::sweep(&mut tx, ctx.now).await?;
        store::insert_upload(
            &mut tx,
            &store::NewUpload {
                id,
                user: actor.user_id,
                org: actor.organisation_id,
                file_name,
                source,
                content: bytes,
                now: ctx.now,
                expires: expiry(ctx.now),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The actor's upload; `NotFound` once it has expired or been imported.
    pub async fn upload(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<Upload, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.read().await?;
        let u = store::upload(&mut tx, id, actor.user(), actor.organisation(), ctx.now)
            .await?
            .ok_or(Error::NotFound)?;
        tx.rollback().await?;
        Ok(Upload {
            id: u.id,
            file_name: u.file_name,
            source: u.source,
            bytes: u.content,
        })
    }

    /// Starts importing an upload in the background (a dry run, or for real); the job's
    /// page follows it.
    pub async fn start_import_job(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        upload: Uuid,
        spec: JobSpec,
    ) -> Result<Uuid, Error> {
        let file = self.upload(actor, ctx, upload).await?;
        let id = ctx.new_id();
        let mapping =
            serde_json::to_string(&spec.mapping).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.store.write().await?;
        store::insert_job(
            &mut tx,
            &store::NewJob {
                id,
                upload,
                user: actor.user_id,
                org: actor.organisation_id,
                mapping: &mapping,
                save_mapping: spec.save_mapping,
                skip_invalid: spec.skip_invalid,
                dry_run: spec.dry_run,
                now: ctx.now,
                expires: expiry(ctx.now),
            },
        )
        .await?;
        tx.commit().await?;
        let live = self.live_jobs.start(id);
        let services = self.clone();
        let actor = actor.clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            services.run_job(&actor, &ctx, id, file, spec, live).await;
        });
        Ok(id)
    }

    async fn run_job(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        file: Upload,
        spec: JobSpec,
        live: Arc<(AtomicUsize, AtomicUsize)>,
    ) {
        let req = ImportRequest {
            file_name: &file.file_name,
            bytes: &file.bytes,
            source: &file.source,
            mapping: Some(spec.mapping.clone()),
            save_mapping: spec.save_mapping,
            dry_run: spec.dry_run,
            skip_invalid: spec.skip_invalid,
        };
        // Other servers see the progress through the database (at the end, on SQLite).
        let ticker = {
            let (services, live) = (self.clone(), live.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let (d, n) = (
                        live.0.load(Ordering::Relaxed),
                        live.1.load(Ordering::Relaxed),
                    );
                    let now = services.now();
                    if let Ok(mut tx) = services.store.write().await {
                        let ok = store::job_progress(&mut tx, id, count(d), count(n), now).await;
                        let _ = if ok.is_ok() {
                            tx.commit().await
                        } else {
                            tx.rollback().await
                        };
                    }
                }
            })
        };
        let progress = |d: usize, n: usize| {
            live.0.store(d, Ordering::Relaxed);
            live.1.store(n, Ordering::Relaxed);
        };
        let result = self.import_participants(actor, ctx, &req, &progress).await;
        ticker.abort();
        let (report, failure, rows) = match &result {
            Ok(r) => (serde_json::to_string(r).ok(), None, r.rows),
            Err(e) => {
                if let Error::Internal(detail) = e {
                    tracing::error!(detail, "import failed");
                }
                (None, Some(e.message_key()), 0)
            }
        };
        let now = self.now();
        let applied = result.as_ref().is_ok_and(|r| r.applied);
        let ended = async {
            let mut tx = self.store.write().await?;
            store::finish_job(
                &mut tx,
                id,
                report.as_deref(),
                failure.or(report.is_none().then_some("error.internal")),
                count(rows),
                now,
            )
            .await?;
            // The file's person data is not kept once it has been imported.
            if applied {
                store::delete_upload(&mut tx, file.id).await?;
            }
            tx.commit().await
        };
        if let Err(e) = ended.await {
            tracing::error!(error = %e, "import job not recorded");
        }
        self.live_jobs.end(id);
    }

    /// The actor's job: how far it got, its report or what went wrong.
    pub async fn import_job(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<JobView, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.audited_read().await?;
        let j = store::job(&mut tx, id, actor.user(), actor.organisation(), ctx.now)
            .await?
            .ok_or(Error::NotFound)?;
        let report: Option<ImportReport> = match &j.report {
            Some(r) => Some(serde_json::from_str(r).map_err(|e| Error::Internal(e.to_string()))?),
            None => None,
        };
        // Its report names the people of the file: an audited read, once there is one,
        // naming the records it shows.
        if let Some(r) = &report {
            let participants: Vec<Uuid> = r.lines.iter().filter_map(|l| l.participant_id).collect();
            finish(
                tx,
                actor,
                ctx,
                Action::ImportRead,
                Some(id),
                json!({"job": id, "upload": j.upload_id, "participants": participants}),
            )
            .await?;
        } else {
            tx.rollback().await?;
        }
        let mapping =
            serde_json::from_str(&j.mapping).map_err(|e| Error::Internal(e.to_string()))?;
        let mut status = match j.status.as_str() {
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Running,
        };
        let (mut done, mut total) = (
            usize::try_from(j.done_rows).unwrap_or(0),
            usize::try_from(j.total_rows).unwrap_or(0),
        );
        let mut failure = j.failure;
        if status == JobStatus::Running {
            match self.live_jobs.progress(id) {
                Some((d, n)) => (done, total) = (d, n),
                None if (ctx.now - j.updated_at).num_seconds() > INTERRUPTED_AFTER_SECS => {
                    status = JobStatus::Failed;
                    failure = Some("import.interrupted".into());
                }
                None => {}
            }
        }
        Ok(JobView {
            id: j.id,
            upload_id: j.upload_id,
            spec: JobSpec {
                mapping,
                save_mapping: j.save_mapping,
                skip_invalid: j.skip_invalid,
                dry_run: j.dry_run,
            },
            status,
            done,
            total,
            report,
            failure,
        })
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
