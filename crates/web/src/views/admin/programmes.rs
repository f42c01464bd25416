//! Programmes: workflow, funding, projects.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_i18n::Lang;
use itinera_service::admin::{Organisation, Programme, Territory};
use itinera_service::admin::{ProgrammeInput, ProgrammeView, ProjectInput};
use itinera_service::auth::SessionInfo;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/programmes.html")]
pub(super) struct ProgrammesPage {
    page: PageCtx,
    programmes: Vec<Programme>,
    /// The programme being edited, with its projects; `None` for a new one.
    current: Option<ProgrammeView>,
    errors: FormErrors,
    input: ProgrammeInput,
    project_errors: FormErrors,
    project_input: ProjectInput,
    territories: Vec<Territory>,
    organisations: Vec<Organisation>,
}

impl ProgrammesPage {
    fn feeds_selected(&self, id: &Uuid) -> bool {
        self.input.feeds_programme_id == id.to_string()
    }
    fn share(&self, bp: &i32) -> String {
        format!("{} %", self.page.fixed(f64::from(*bp) / 100.0, 2))
    }
}

pub(super) fn programme_input(v: &ProgrammeView) -> ProgrammeInput {
    ProgrammeInput {
        code: v.programme.code.clone(),
        name: v.programme.name.clone(),
        description: v.programme.description.clone(),
        feeds_programme_id: v
            .programme
            .feeds_programme_id
            .map(|f| f.to_string())
            .unwrap_or_default(),
        start_date: v
            .programme
            .start_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        end_date: v
            .programme
            .end_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        active: v.programme.active,
        phases: v
            .phases
            .iter()
            .map(|p| p.code.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        funding: v
            .funding
            .iter()
            .map(|f| format!("{}={}", f.fund, f64::from(f.share_bp) / 100.0))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn programmes_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    current: Option<Uuid>,
    input: Option<ProgrammeInput>,
    errors: FormErrors,
    project_input: ProjectInput,
    project_errors: FormErrors,
) -> Result<ProgrammesPage, ViewError> {
    let current = match current {
        Some(id) => Some(s.services.programme(id).await?),
        None => None,
    };
    let input = input.unwrap_or_else(|| {
        current
            .as_ref()
            .map(programme_input)
            .unwrap_or(ProgrammeInput {
                active: true,
                phases: itinera_domain::case::DEFAULT_PHASES.join("\n"),
                ..Default::default()
            })
    });
    Ok(ProgrammesPage {
        page: PageCtx::new(lang, Some(session), "admin.programmes"),
        programmes: s.services.programmes().await?,
        current,
        errors,
        input,
        project_errors,
        project_input,
        territories: s.services.territories(&session.actor).await?,
        organisations: s.services.organisations().await?,
    })
}

pub(super) async fn programmes(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &programmes_page(
            &s,
            lang,
            &session,
            None,
            None,
            FormErrors::none(lang),
            ProjectInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

pub(super) async fn programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &programmes_page(
            &s,
            lang,
            &session,
            Some(id),
            None,
            FormErrors::none(lang),
            ProjectInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

pub(super) async fn save_prog(
    s: AppState,
    headers: HeaderMap,
    session: SessionInfo,
    ctx: itinera_service::Ctx,
    id: Option<Uuid>,
    input: ProgrammeInput,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .save_programme(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |pid| format!("/admin/programmes/{pid}"),
        |errors| {
            programmes_page(
                &s,
                lang,
                &session,
                id,
                Some(input),
                errors,
                ProjectInput::default(),
                FormErrors::none(lang),
            )
        },
    )
    .await
}

pub(super) async fn create_programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<ProgrammeInput>,
) -> ViewResult {
    save_prog(s, headers, session, ctx, None, input).await
}

pub(super) async fn update_programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ProgrammeInput>,
) -> ViewResult {
    save_prog(s, headers, session, ctx, Some(id), input).await
}

pub(super) async fn add_project(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ProjectInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_project(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/admin/programmes/{id}#projects"),
        |errors| {
            programmes_page(
                &s,
                lang,
                &session,
                Some(id),
                None,
                FormErrors::none(lang),
                input,
                errors,
            )
        },
    )
    .await
}
