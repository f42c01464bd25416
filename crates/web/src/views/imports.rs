//! Imports in the browser: upload a file, check its columns (guessed, or the source's
//! saved mapping), try it without saving, then import — a background job whose page
//! shows the progress and then the row-by-row report. Uploads and jobs live in memory
//! for an hour and belong to the user who started them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use itinera_clock::Stopwatch;

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::import::{ColumnMap, Mapping, Target};
use itinera_domain::input::{lenient_bool, lenient_list};
use itinera_domain::participant::LabourStatus;
use itinera_domain::{Error, FieldError, Page, PageRequest};
use itinera_i18n::{t, tf, Lang};
use itinera_service::auth::SessionInfo;
use itinera_service::imports::Batch;
use itinera_service::imports::{FileFormat, ImportReport, ImportRequest, LineReport, Preview};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::http::{lang_of, RequestCtx};
use crate::AppState;

/// Files up to this size are accepted.
pub const MAX_FILE: usize = 50 * 1024 * 1024;
const TTL: Duration = Duration::from_secs(3600);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            get(index)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_FILE + 64 * 1024)),
        )
        .route("/imports/uploads/{id}", get(mapping_page).post(start))
        .route("/imports/jobs/{id}", get(job_page))
        .route("/imports/jobs/{id}/apply", post(apply))
        .route("/imports/batches/{id}", get(batch_page))
}

struct Upload {
    owner: (Uuid, Uuid),
    file_name: String,
    source: String,
    bytes: Arc<Vec<u8>>,
    at: Stopwatch,
}

struct Job {
    owner: (Uuid, Uuid),
    upload: Uuid,
    mapping: Mapping,
    save_mapping: bool,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    /// The report, or the translation key of what went wrong.
    result: Arc<Mutex<Option<Result<ImportReport, &'static str>>>>,
    at: Stopwatch,
}

/// The uploads and import jobs of this process.
#[derive(Default)]
pub struct Jobs {
    uploads: Mutex<HashMap<Uuid, Upload>>,
    jobs: Mutex<HashMap<Uuid, Job>>,
}

impl Jobs {
    fn sweep(&self) {
        if let Ok(mut u) = self.uploads.lock() {
            u.retain(|_, x| x.at.elapsed() < TTL);
        }
        if let Ok(mut j) = self.jobs.lock() {
            j.retain(|_, x| x.at.elapsed() < TTL);
        }
    }

    fn upload(&self, id: Uuid, owner: (Uuid, Uuid)) -> Option<(String, String, Arc<Vec<u8>>)> {
        let u = self.uploads.lock().ok()?;
        u.get(&id)
            .filter(|x| x.owner == owner)
            .map(|x| (x.file_name.clone(), x.source.clone(), x.bytes.clone()))
    }
}

fn owner(s: &SessionInfo) -> (Uuid, Uuid) {
    (s.actor.user_id, s.actor.organisation_id)
}

fn expired() -> ViewError {
    ViewError(Error::NotFound)
}

// ---- The start page and the upload -------------------------------------------------

#[derive(Template)]
#[template(path = "imports/index.html")]
struct IndexPage {
    page: PageCtx,
    batches: Page<Batch>,
    sources: Vec<String>,
    source: String,
    errors: FormErrors,
}

async fn index_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    source: String,
    errors: FormErrors,
) -> Result<IndexPage, ViewError> {
    let batches = s
        .services
        .import_batches(&session.actor, PageRequest::new(None, Some(20)))
        .await?;
    let sources = s
        .services
        .import_mappings(&session.actor)
        .await?
        .into_iter()
        .map(|m| m.source)
        .collect();
    Ok(IndexPage {
        page: PageCtx::new(lang, Some(session), "import.title"),
        batches,
        sources,
        source,
        errors,
    })
}

async fn index(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &index_page(&s, lang, &session, String::new(), FormErrors::none(lang)).await?,
    ))
}

/// The upload form's fields, the CSRF token checked.
struct UploadForm {
    source: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(
    req: Request,
    s: &AppState,
    session: &SessionInfo,
) -> Result<UploadForm, Error> {
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|_| Error::field("file", "error.bad_form"))?;
    let (mut csrf, mut source, mut file_name, mut bytes) =
        (None, String::new(), String::new(), Vec::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| Error::field("file", "import.file.too_large"))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.ok(),
            "source" => source = field.text().await.unwrap_or_default(),
            "file" => {
                file_name = field.file_name().unwrap_or_default().to_string();
                bytes = field
                    .bytes()
                    .await
                    .map_err(|_| Error::field("file", "import.file.too_large"))?
                    .to_vec();
            }
            _ => {}
        }
    }
    if csrf.as_deref() != Some(session.csrf_token.as_str()) {
        return Err(Error::Forbidden);
    }
    Ok(UploadForm {
        source,
        file_name,
        bytes,
    })
}

async fn upload(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    req: Request,
) -> ViewResult {
    let lang = lang_of(&headers);
    session.actor.require(Capability::WritePersonData)?;
    let form = read_upload(req, &s, &session).await;
    let form = match form {
        Ok(f) => f,
        Err(Error::Forbidden) => return Err(ViewError(Error::Forbidden)),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            return Ok(render_invalid(
                &index_page(&s, lang, &session, String::new(), errors).await?,
            ));
        }
    };
    let mut problems = Vec::new();
    if form.source.trim().is_empty() {
        problems.push(FieldError::new("source", "validation.required"));
    }
    if form.bytes.is_empty() {
        problems.push(FieldError::new("file", "import.file.required"));
    } else if let Err(Error::Invalid(mut f)) = itinera_service::imports::read_file(&form.bytes) {
        problems.append(&mut f);
    }
    if !problems.is_empty() {
        let errors = FormErrors::from_error(lang, Error::Invalid(problems))?;
        return Ok(render_invalid(
            &index_page(&s, lang, &session, form.source, errors).await?,
        ));
    }
    s.imports.sweep();
    let id = itinera_clock::new_id(s.services.now());
    if let Ok(mut u) = s.imports.uploads.lock() {
        u.insert(
            id,
            Upload {
                owner: owner(&session),
                file_name: form.file_name,
                source: form.source.trim().to_string(),
                bytes: Arc::new(form.bytes),
                at: Stopwatch::start(),
            },
        );
    }
    Ok(see_other(&format!("/imports/uploads/{id}")))
}

// ---- The columns ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "imports/mapping.html")]
struct MappingPage {
    page: PageCtx,
    id: Uuid,
    file_name: String,
    source: String,
    preview: Preview,
    mapping: Mapping,
    save_mapping: bool,
    skip_invalid: bool,
    errors: FormErrors,
    /// Errors that name a missing field of Itinera (not a column).
    missing: Vec<String>,
}

impl MappingPage {
    fn targets(&self) -> Vec<(&'static str, String)> {
        Target::ALL
            .iter()
            .map(|t| (t.code(), self.page.code("import_target", t.code())))
            .collect()
    }
    fn statuses(&self) -> Vec<(&'static str, String)> {
        LabourStatus::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("labour", s.code())))
            .collect()
    }
    /// A few values of the column, to recognise it.
    fn sample(&self, column: &str) -> String {
        let Some(i) = self.preview.columns.iter().position(|c| c == column) else {
            return String::new();
        };
        self.preview
            .sample
            .iter()
            .filter_map(|r| r.get(i))
            .filter(|v| !v.is_empty())
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(" · ")
    }
    fn error_at(&self, i: &usize) -> Option<String> {
        self.errors
            .get(&format!("columns.{i}.column"))
            .or_else(|| self.errors.get(&format!("columns.{i}.target")))
            .map(str::to_string)
    }
    fn format(&self) -> String {
        match &self.preview.format {
            FileFormat::Csv {
                delimiter,
                encoding,
            } => {
                format!(
                    "CSV ({}, {})",
                    if *delimiter == '\t' {
                        "tab".into()
                    } else {
                        delimiter.to_string()
                    },
                    encoding
                )
            }
            FileFormat::Xlsx { sheet } => format!("XLSX ({sheet})"),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn mapping_view(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    id: Uuid,
    mapping: Option<Mapping>,
    save_mapping: bool,
    skip_invalid: bool,
    error: Option<Error>,
) -> Result<MappingPage, ViewError> {
    let (file_name, source, bytes) = s.imports.upload(id, owner(session)).ok_or_else(expired)?;
    let preview = s
        .services
        .preview_import(&session.actor, &bytes, &source)
        .await?;
    let mut missing = Vec::new();
    let errors = match error {
        Some(Error::Invalid(fields)) => {
            for f in &fields {
                if let Some(target) = f.field.strip_prefix("targets.") {
                    missing.push(format!(
                        "{}: {}",
                        t(lang, &format!("import_target.{target}")),
                        t(lang, f.code)
                    ));
                }
            }
            FormErrors::from_error(lang, Error::Invalid(fields))?
        }
        Some(e) => FormErrors::from_error(lang, e)?,
        None => FormErrors::none(lang),
    };
    Ok(MappingPage {
        page: PageCtx::new(lang, Some(session), "import.mapping_title"),
        id,
        file_name,
        source,
        mapping: mapping.unwrap_or_else(|| preview.mapping.clone()),
        preview,
        save_mapping,
        skip_invalid,
        errors,
        missing,
    })
}

async fn mapping_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &mapping_view(&s, lang, &session, id, None, true, false, None).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MappingForm {
    #[serde(deserialize_with = "lenient_list")]
    column: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    target: Vec<String>,
    default_labour_status: String,
    m_means: String,
    #[serde(deserialize_with = "lenient_bool")]
    save_mapping: bool,
    #[serde(deserialize_with = "lenient_bool")]
    skip_invalid: bool,
    mode: String,
}

/// What a job is to do with an upload.
struct Spec {
    upload: Uuid,
    mapping: Mapping,
    save_mapping: bool,
    skip_invalid: bool,
    dry_run: bool,
}

fn spawn_job(
    s: &AppState,
    session: &SessionInfo,
    ctx: itinera_service::Ctx,
    spec: Spec,
) -> Result<Uuid, ViewError> {
    let Spec {
        upload,
        mapping,
        save_mapping,
        skip_invalid,
        dry_run,
    } = spec;
    let (file_name, source, bytes) = s
        .imports
        .upload(upload, owner(session))
        .ok_or_else(expired)?;
    let id = itinera_clock::new_id(s.services.now());
    let job = Job {
        owner: owner(session),
        upload,
        mapping: mapping.clone(),
        save_mapping,
        done: Arc::new(AtomicUsize::new(0)),
        total: Arc::new(AtomicUsize::new(0)),
        result: Arc::new(Mutex::new(None)),
        at: Stopwatch::start(),
    };
    let (done, total, result) = (job.done.clone(), job.total.clone(), job.result.clone());
    if let Ok(mut j) = s.imports.jobs.lock() {
        j.insert(id, job);
    }
    let services = s.services.clone();
    let actor = session.actor.clone();
    tokio::spawn(async move {
        let req = ImportRequest {
            file_name: &file_name,
            bytes: &bytes,
            source: &source,
            mapping: Some(mapping),
            save_mapping,
            dry_run,
            skip_invalid,
        };
        let progress = |d: usize, n: usize| {
            done.store(d, Ordering::Relaxed);
            total.store(n, Ordering::Relaxed);
        };
        let r = services
            .import_participants(&actor, &ctx, &req, &progress)
            .await
            .map_err(|e| {
                if let Error::Internal(detail) = &e {
                    tracing::error!(detail, "import failed");
                }
                e.message_key()
            });
        if let Ok(mut slot) = result.lock() {
            *slot = Some(r);
        }
    });
    Ok(id)
}

async fn start(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let mapping = Mapping {
        columns: form
            .column
            .iter()
            .zip(form.target.iter())
            .map(|(c, t)| ColumnMap {
                column: c.clone(),
                target: t.clone(),
            })
            .collect(),
        default_labour_status: form.default_labour_status.clone(),
        m_means: form.m_means.clone(),
    };
    let (_, source, bytes) = s.imports.upload(id, owner(&session)).ok_or_else(expired)?;
    if let Err(e) = s
        .services
        .check_import(&session.actor, &bytes, &source, &mapping)
    {
        if matches!(e, Error::Invalid(_)) {
            return Ok(render_invalid(
                &mapping_view(
                    &s,
                    lang,
                    &session,
                    id,
                    Some(mapping),
                    form.save_mapping,
                    form.skip_invalid,
                    Some(e),
                )
                .await?,
            ));
        }
        return Err(e.into());
    }
    let dry_run = form.mode != "run";
    let job = spawn_job(
        &s,
        &session,
        ctx,
        Spec {
            upload: id,
            mapping,
            save_mapping: form.save_mapping,
            skip_invalid: form.skip_invalid,
            dry_run,
        },
    )?;
    Ok(see_other(&format!("/imports/jobs/{job}")))
}

// ---- The job and its report -----------------------------------------------------------

#[derive(Template)]
#[template(path = "imports/job.html")]
struct JobPage {
    page: PageCtx,
    id: Uuid,
    upload: Uuid,
    done: usize,
    total: usize,
    report: Option<ImportReport>,
    failure: Option<&'static str>,
}

impl JobPage {
    fn progress(&self) -> String {
        tf(
            self.page.lang,
            "import.progress",
            &[
                ("done", &self.done.to_string()),
                ("total", &self.total.to_string()),
            ],
        )
    }
    fn lines(&self) -> Vec<&LineReport> {
        self.report
            .as_ref()
            .map(|r| shown(&r.lines))
            .unwrap_or_default()
    }
    fn line_outcome(&self, l: &LineReport) -> String {
        outcome_text(&self.page, l.outcome, l.same_as_line)
    }
    fn already(&self) -> Option<String> {
        let r = self.report.as_ref()?;
        let b = r.already_imported.as_ref()?;
        Some(tf(
            self.page.lang,
            "import.already",
            &[
                ("file", &b.file_name),
                ("date", &self.page.datetime(&b.created_at)),
                ("user", &b.created_by_name),
            ],
        ))
    }
    fn problem(&self, column: &str, code: &str) -> String {
        if column.is_empty() {
            t(self.page.lang, code).to_string()
        } else {
            format!("{column}: {}", t(self.page.lang, code))
        }
    }
}

/// The lines worth reading: everything but plain creations, at most 2,000.
fn shown(lines: &[LineReport]) -> Vec<&LineReport> {
    lines
        .iter()
        .filter(|l| l.outcome != "created")
        .take(2_000)
        .collect()
}

fn outcome_text(page: &PageCtx, outcome: &str, same_as_line: Option<usize>) -> String {
    let mut s = page.code("import.outcome", outcome);
    if let Some(n) = same_as_line {
        s.push_str(" — ");
        s.push_str(&tf(
            page.lang,
            "import.same_as_line",
            &[("line", &n.to_string())],
        ));
    }
    s
}

async fn job_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let (upload, done, total, result) = {
        let jobs = s.imports.jobs.lock().map_err(|_| expired())?;
        let j = jobs
            .get(&id)
            .filter(|j| j.owner == owner(&session))
            .ok_or_else(expired)?;
        let result = j.result.lock().map(|r| r.clone()).unwrap_or_default();
        (
            j.upload,
            j.done.load(Ordering::Relaxed),
            j.total.load(Ordering::Relaxed),
            result,
        )
    };
    let (report, failure) = match result {
        Some(Ok(r)) => (Some(r), None),
        Some(Err(k)) => (None, Some(k)),
        None => (None, None),
    };
    Ok(render(&JobPage {
        page: PageCtx::new(lang, Some(&session), "import.report_title"),
        id,
        upload,
        done,
        total,
        report,
        failure,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApplyForm {
    #[serde(deserialize_with = "lenient_bool")]
    skip_invalid: bool,
}

/// Runs for real what a job tried (or what was refused for its rejected rows).
async fn apply(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ApplyForm>,
) -> ViewResult {
    let (upload, mapping, save_mapping) = {
        let jobs = s.imports.jobs.lock().map_err(|_| expired())?;
        let j = jobs
            .get(&id)
            .filter(|j| j.owner == owner(&session))
            .ok_or_else(expired)?;
        (j.upload, j.mapping.clone(), j.save_mapping)
    };
    let job = spawn_job(
        &s,
        &session,
        ctx,
        Spec {
            upload,
            mapping,
            save_mapping,
            skip_invalid: form.skip_invalid,
            dry_run: false,
        },
    )?;
    Ok(see_other(&format!("/imports/jobs/{job}")))
}

#[derive(Template)]
#[template(path = "imports/batch.html")]
struct BatchPage {
    page: PageCtx,
    batch: Batch,
    lines: Vec<LineView>,
}

/// A stored report line.
#[derive(Deserialize)]
struct LineView {
    line: usize,
    outcome: String,
    participant_id: Option<Uuid>,
    same_as_line: Option<usize>,
    #[serde(default)]
    problems: Vec<StoredProblem>,
}

#[derive(Deserialize)]
struct StoredProblem {
    column: String,
    code: String,
}

impl BatchPage {
    fn line_outcome(&self, l: &LineView) -> String {
        outcome_text(&self.page, &l.outcome, l.same_as_line)
    }
    fn problem(&self, p: &StoredProblem) -> String {
        if p.column.is_empty() {
            t(self.page.lang, &p.code).to_string()
        } else {
            format!("{}: {}", p.column, t(self.page.lang, &p.code))
        }
    }
}

#[derive(Deserialize, Default)]
struct BatchParams {
    #[serde(default)]
    all: Option<String>,
}

async fn batch_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
    Query(q): Query<BatchParams>,
) -> ViewResult {
    let itinera_service::imports::BatchReport { batch, lines } =
        s.services.import_batch(&session.actor, id).await?;
    let lines: Vec<LineView> = serde_json::from_value(lines).unwrap_or_default();
    let lines = if q.all.is_some() {
        lines
    } else {
        lines
            .into_iter()
            .filter(|l| l.outcome != "created")
            .take(2_000)
            .collect()
    };
    Ok(render(&BatchPage {
        page: PageCtx::new(lang_of(&headers), Some(&session), "import.report_title"),
        batch,
        lines,
    }))
}
