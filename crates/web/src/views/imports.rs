//! Imports in the browser: upload a file, check its columns (guessed, or the source's
//! saved mapping), try it without saving, then import — a background job whose page
//! shows the progress and then the row-by-row report. Uploads and jobs are kept in the
//! database for an hour (`service::import_jobs`) and belong to the user who started
//! them, for the organisation they acted for.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::import::{CellProblem, ColumnMap, Mapping, Target};
use itinera_domain::input::{lenient_bool, lenient_list};
use itinera_domain::participant::LabourStatus;
use itinera_domain::{Error, FieldError, Page, PageRequest};
use itinera_i18n::{t, tf, Lang};
use itinera_service::auth::SessionInfo;
use itinera_service::imports::Batch;
use itinera_service::imports::{FileFormat, ImportReport, LineReport, Preview};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

use itinera_service::import_jobs::{JobSpec, Upload, MAX_FILE};
use itinera_service::Ctx;

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

/// On a refusal, the error with the source typed so far (the form sends it before the
/// file), so that the page keeps it.
async fn read_upload(
    req: Request,
    s: &AppState,
    session: &SessionInfo,
) -> Result<UploadForm, (Error, String)> {
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|_| (Error::field("file", "error.bad_form"), String::new()))?;
    let (mut csrf, mut source, mut file_name, mut bytes) =
        (None, String::new(), String::new(), Vec::new());
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err((Error::field("file", "import.file.too_large"), source)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.ok(),
            "source" => source = field.text().await.unwrap_or_default(),
            "file" => {
                file_name = field.file_name().unwrap_or_default().to_string();
                bytes = match field.bytes().await {
                    Ok(b) => b.to_vec(),
                    Err(_) => return Err((Error::field("file", "import.file.too_large"), source)),
                };
            }
            _ => {}
        }
    }
    if !csrf
        .as_deref()
        .is_some_and(|t| itinera_service::auth::same_secret(t, &session.csrf_token))
    {
        return Err((Error::BadRequest("error.csrf"), source));
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
    RequestCtx(ctx): RequestCtx,
    req: Request,
) -> ViewResult {
    let lang = lang_of(&headers);
    session.actor.require(Capability::WritePersonData)?;
    let form = read_upload(req, &s, &session).await;
    let form = match form {
        Ok(f) => f,
        Err((e, source)) => {
            let errors = FormErrors::from_error(lang, e)?;
            return Ok(render_invalid(
                &index_page(&s, lang, &session, source, errors).await?,
            ));
        }
    };
    let mut problems = Vec::new();
    if let Err(Error::Invalid(mut f)) = itinera_service::imports::check_source(&form.source) {
        problems.append(&mut f);
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
    let id = s
        .services
        .save_upload(
            &session.actor,
            &ctx,
            &form.file_name,
            form.source.trim(),
            &form.bytes,
        )
        .await?;
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
            .get(&format!("target-{i}"))
            .map(std::borrow::Cow::into_owned)
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
                        self.page.t("import.delimiter_tab").to_string()
                    } else {
                        delimiter.to_string()
                    },
                    self.page.code("import.encoding", encoding)
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
    ctx: &Ctx,
    id: Uuid,
    mapping: Option<Mapping>,
    save_mapping: bool,
    skip_invalid: bool,
    error: Option<Error>,
) -> Result<MappingPage, ViewError> {
    let Upload {
        file_name,
        source,
        bytes,
        ..
    } = s.services.upload(&session.actor, ctx, id).await?;
    let preview = s
        .services
        .preview_import(&session.actor, &bytes, &source)
        .await?;
    let mut missing = Vec::new();
    let errors = match error {
        Some(Error::Invalid(fields)) => {
            // A target no column goes to is listed by its name above the table; a
            // column's problem is said beside its select (`target-N`), which the summary
            // links to.
            let (targets, others): (Vec<_>, Vec<_>) = fields
                .into_iter()
                .partition(|f| f.field.starts_with("targets."));
            for f in &targets {
                if let Some(target) = f.field.strip_prefix("targets.") {
                    missing.push(format!(
                        "{}: {}",
                        t(lang, &format!("import_target.{target}")),
                        t(lang, f.code)
                    ));
                }
            }
            FormErrors::from_error(lang, Error::Invalid(others))?.renamed(|field| {
                match field
                    .strip_prefix("columns.")
                    .and_then(|rest| rest.split_once('.'))
                {
                    Some((i, _)) => format!("target-{i}"),
                    None => field.to_string(),
                }
            })
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
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &mapping_view(&s, lang, &session, &ctx, id, None, true, false, None).await?,
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
    let upload = s.services.upload(&session.actor, &ctx, id).await?;
    if let Err(e) = s
        .services
        .check_import(&session.actor, &upload.bytes, &upload.source, &mapping)
    {
        if matches!(e, Error::Invalid(_)) {
            return Ok(render_invalid(
                &mapping_view(
                    &s,
                    lang,
                    &session,
                    &ctx,
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
    let job = s
        .services
        .start_import_job(
            &session.actor,
            &ctx,
            id,
            JobSpec {
                mapping,
                save_mapping: form.save_mapping,
                skip_invalid: form.skip_invalid,
                dry_run: form.mode != "run",
            },
        )
        .await?;
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
    /// The translation key of what went wrong.
    failure: Option<String>,
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
        outcome_text(&self.page, &l.outcome, l.same_as_line)
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
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let j = s.services.import_job(&session.actor, &ctx, id).await?;
    Ok(render(&JobPage {
        page: PageCtx::new(lang, Some(&session), "import.report_title"),
        id,
        upload: j.upload_id,
        done: j.done,
        total: j.total,
        report: j.report,
        failure: j.failure,
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
    let tried = s.services.import_job(&session.actor, &ctx, id).await?;
    let job = s
        .services
        .start_import_job(
            &session.actor,
            &ctx,
            tried.upload_id,
            JobSpec {
                skip_invalid: form.skip_invalid,
                dry_run: false,
                ..tried.spec
            },
        )
        .await?;
    Ok(see_other(&format!("/imports/jobs/{job}")))
}

#[derive(Template)]
#[template(path = "imports/batch.html")]
struct BatchPage {
    page: PageCtx,
    batch: Batch,
    lines: Vec<LineReport>,
}

/// A stored report line.
impl BatchPage {
    fn line_outcome(&self, l: &LineReport) -> String {
        outcome_text(&self.page, &l.outcome, l.same_as_line)
    }
    fn problem(&self, p: &CellProblem) -> String {
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
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<BatchParams>,
) -> ViewResult {
    let itinera_service::imports::BatchReport { batch, lines } =
        s.services.import_batch(&session.actor, &ctx, id).await?;
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
