//! The catalogue's pages: the search (also reached from a case's referral form), a
//! resource, its form, and the HSDS import (upload, dry run, the report with file, line
//! and field of every problem) and export.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use itinera_domain::resource::{Category, ResourceInput, ResourceKind, ResourceStatus};
use itinera_domain::{Error, Page};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::resources::{HsdsImportReport, ResourceQuery, ResourceView};
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources", get(index).post(create))
        .route("/resources/new", get(new))
        .route("/resources/{id}", get(show))
        .route("/resources/{id}/edit", get(edit).post(update))
        .route(
            "/resources/hsds",
            get(hsds_page)
                .post(hsds_upload)
                .layer(DefaultBodyLimit::max(crate::api::MAX_HSDS + 64 * 1024)),
        )
        .route("/resources/hsds/export.json", get(export_json))
        .route("/resources/hsds/export.zip", get(export_zip))
}

/// Labels of the coded values, for selects.
pub(crate) fn categories(page: &PageCtx) -> Vec<(&'static str, String)> {
    Category::ALL
        .iter()
        .map(|c| (c.code(), page.code("resource_category", c.code())))
        .collect()
}

fn kinds(page: &PageCtx) -> Vec<(&'static str, String)> {
    ResourceKind::ALL
        .iter()
        .map(|c| (c.code(), page.code("resource_kind", c.code())))
        .collect()
}

fn statuses(page: &PageCtx) -> Vec<(&'static str, String)> {
    ResourceStatus::ALL
        .iter()
        .map(|c| (c.code(), page.code("resource_status", c.code())))
        .collect()
}

// ---- The search -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "resources/index.html")]
struct IndexPage {
    page: PageCtx,
    q: ResourceQuery,
    results: Page<ResourceView>,
    errors: FormErrors,
}

impl IndexPage {
    fn categories(&self) -> Vec<(&'static str, String)> {
        categories(&self.page)
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        kinds(&self.page)
    }
    /// The query string of another page of these results.
    fn page_link(&self, n: u32) -> String {
        let mut q = self.q.clone();
        q.page = Some(n);
        q.per_page = None;
        format!(
            "/resources?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    }
}

async fn index(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Query(q): Query<ResourceQuery>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let (results, errors) = match s.services.resources(&session.actor, &q).await {
        Ok(r) => (r, FormErrors::none(lang)),
        Err(e @ Error::Invalid(_)) => (
            Page::from_overfetch(Vec::new(), q.page()),
            FormErrors::from_error(lang, e)?,
        ),
        Err(e) => return Err(ViewError(e)),
    };
    Ok(render(&IndexPage {
        page: PageCtx::new(lang, Some(&session), "resource.title"),
        q,
        results,
        errors,
    }))
}

#[derive(Template)]
#[template(path = "resources/show.html")]
struct ShowPage {
    page: PageCtx,
    r: ResourceView,
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(&ShowPage {
        page: PageCtx::new(lang, Some(&session), "resource.title"),
        r: s.services.resource(&session.actor, id).await?,
    }))
}

// ---- The form ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "resources/form.html")]
struct FormPage {
    page: PageCtx,
    id: Option<Uuid>,
    input: ResourceInput,
    organisations: Vec<(Uuid, String)>,
    errors: FormErrors,
}

impl FormPage {
    fn categories(&self) -> Vec<(&'static str, String)> {
        categories(&self.page)
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        kinds(&self.page)
    }
    fn statuses(&self) -> Vec<(&'static str, String)> {
        statuses(&self.page)
    }
}

async fn form_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    id: Option<Uuid>,
    input: ResourceInput,
    errors: FormErrors,
) -> Result<FormPage, ViewError> {
    let organisations = s
        .services
        .organisations()
        .await?
        .into_iter()
        .filter(|o| o.active)
        .map(|o| (o.id, o.name))
        .collect();
    Ok(FormPage {
        page: PageCtx::new(
            lang,
            Some(session),
            if id.is_some() {
                "resource.edit"
            } else {
                "resource.new"
            },
        ),
        id,
        input,
        organisations,
        errors,
    })
}

async fn new(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    if !itinera_service::resources::can_keep(&session.actor) {
        return Err(ViewError(Error::Forbidden));
    }
    let input = ResourceInput {
        status: "active".into(),
        country: "ES".into(),
        ..Default::default()
    };
    Ok(render(
        &form_page(&s, lang, &session, None, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<ResourceInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .save_resource(&session.actor, &ctx, None, &input)
        .await;
    form_result(
        lang,
        result,
        |id| format!("/resources/{id}"),
        |errors| form_page(&s, lang, &session, None, input, errors),
    )
    .await
}

/// A resource as its form shows it.
fn input_of(r: &ResourceView, decimal: char) -> ResourceInput {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: &Option<i32>| v.map(|x| x.to_string()).unwrap_or_default();
    ResourceInput {
        organisation_id: r
            .provider_organisation_id
            .map(|o| o.to_string())
            .unwrap_or_default(),
        organisation_name: if r.provider_organisation_id.is_some() {
            String::new()
        } else {
            r.provider_name.clone()
        },
        name: r.name.clone(),
        kind: r.kind.clone(),
        category: r.category.clone(),
        status: r.status.clone(),
        description: s(&r.description),
        eligibility: s(&r.eligibility),
        minimum_age: n(&r.minimum_age),
        maximum_age: n(&r.maximum_age),
        territory: r.territory.join("; "),
        schedule: s(&r.schedule),
        capacity: n(&r.capacity),
        places_available: n(&r.places_available),
        phone: s(&r.phone),
        email: s(&r.email),
        url: s(&r.url),
        address: s(&r.address),
        city: s(&r.city),
        postal_code: s(&r.postal_code),
        province: s(&r.province),
        country: s(&r.country),
        languages: r.languages.join(", "),
        fees: s(&r.fees),
        cost: r
            .cost_cents
            .map(|c| itinera_domain::benefit::amount_text(c, decimal))
            .unwrap_or_default(),
        application_process: s(&r.application_process),
        version: r.version.to_string(),
    }
}

async fn edit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    if !itinera_service::resources::can_keep(&session.actor) {
        return Err(ViewError(Error::Forbidden));
    }
    let r = s.services.resource(&session.actor, id).await?;
    let decimal = PageCtx::new(lang, Some(&session), "resource.edit").decimal();
    Ok(render(
        &form_page(
            &s,
            lang,
            &session,
            Some(id),
            input_of(&r, decimal),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ResourceInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .save_resource(&session.actor, &ctx, Some(id), &input)
        .await;
    form_result(
        lang,
        result,
        |id| format!("/resources/{id}"),
        |errors| form_page(&s, lang, &session, Some(id), input, errors),
    )
    .await
}

// ---- HSDS import and export ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "resources/hsds.html")]
struct HsdsPage {
    page: PageCtx,
    report: Option<HsdsImportReport>,
    dry_run: bool,
    errors: FormErrors,
}

async fn hsds_page(headers: HeaderMap, Session(session): Session) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(&HsdsPage {
        page: PageCtx::new(lang, Some(&session), "resource.hsds"),
        report: None,
        dry_run: true,
        errors: FormErrors::none(lang),
    }))
}

async fn hsds_upload(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    req: Request,
) -> ViewResult {
    let lang = lang_of(&headers);
    let page = PageCtx::new(lang, Some(&session), "resource.hsds");
    let mut mp = Multipart::from_request(req, &s)
        .await
        .map_err(|_| ViewError(Error::field("file", "error.bad_form")))?;
    let (mut csrf, mut file_name, mut bytes, mut dry_run) =
        (None, String::new(), Vec::new(), false);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| ViewError(Error::field("file", "import.file.too_large")))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.ok(),
            "dry_run" => dry_run = field.text().await.is_ok_and(|v| v == "on" || v == "true"),
            "file" => {
                file_name = field.file_name().unwrap_or_default().to_string();
                bytes = field
                    .bytes()
                    .await
                    .map_err(|_| ViewError(Error::field("file", "import.file.too_large")))?
                    .to_vec();
            }
            _ => {}
        }
    }
    if !csrf
        .as_deref()
        .is_some_and(|t| itinera_service::auth::same_secret(t, &session.csrf_token))
    {
        return Err(ViewError(Error::Forbidden));
    }
    if bytes.is_empty() {
        return Ok(render_invalid(&HsdsPage {
            page,
            report: None,
            dry_run,
            errors: FormErrors::from_error(lang, Error::field("file", "import.file.required"))?,
        }));
    }
    let report = s
        .services
        .import_hsds(&session.actor, &ctx, &file_name, &bytes, dry_run)
        .await?;
    let report = crate::export::translate_report(lang, report);
    let refused = !report.problems.is_empty();
    let p = HsdsPage {
        page,
        report: Some(report),
        dry_run,
        errors: FormErrors::none(lang),
    };
    Ok(if refused {
        render_invalid(&p)
    } else {
        render(&p)
    })
}

async fn export_json(
    State(s): State<AppState>,
    Session(session): Session,
) -> Result<Response, ViewError> {
    let c = s.services.hsds_catalogue(&session.actor).await?;
    Ok(crate::export::hsds(&c, false)?)
}

async fn export_zip(
    State(s): State<AppState>,
    Session(session): Session,
) -> Result<Response, ViewError> {
    let c = s.services.hsds_catalogue(&session.actor).await?;
    Ok(crate::export::hsds(&c, true)?)
}
