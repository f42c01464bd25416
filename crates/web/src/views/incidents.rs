//! A case's incidents page: the incidents with their answers, the form to report one
//! (the case manager and the reference social workers are told at once), and on each
//! open incident the form to answer it. A rejected form comes back with what was typed.
//! A trainer or a workplace tutor reports from a page of its own (the person on their
//! course, the placement they tutor), and every reporter sees what they reported and
//! whether it was answered (`/incidents/reported`).

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::incident::{
    IncidentInput, IncidentKind, IncidentResponseInput, Reporter, Severity,
};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::incidents::{IncidentsView, ReportedIncident};
use itinera_service::Ctx;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/incidents", get(show).post(create))
        .route("/cases/{case}/incidents/{id}/response", post(respond))
        .route(
            "/courses/{course}/candidates/{cand}/incident",
            get(course_form).post(course_report),
        )
        .route(
            "/tutoring/{id}/incident",
            get(placement_form).post(placement_report),
        )
        .route("/incidents/reported", get(reported))
}

// ---- Reported by a trainer or a workplace tutor ------------------------------------

#[derive(Template)]
#[template(path = "incidents/report.html")]
struct ReportPage {
    page: PageCtx,
    /// Whom and what the incident is about: the person's name, the course or the job.
    person: String,
    about: String,
    action: String,
    back: String,
    input: IncidentInput,
    errors: FormErrors,
}

impl ReportPage {
    fn kinds(&self) -> Vec<(&'static str, String)> {
        IncidentKind::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("incident_kind", k.code())))
            .collect()
    }
    fn severities(&self) -> Vec<(&'static str, String)> {
        Severity::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("severity", k.code())))
            .collect()
    }
}

async fn course_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    (course, cand): (Uuid, Uuid),
    input: IncidentInput,
    errors: FormErrors,
) -> Result<ReportPage, ViewError> {
    let v = s
        .services
        .course(&session.actor, ctx, course, &Default::default())
        .await?;
    let k = v
        .candidates
        .iter()
        .find(|k| k.id == cand && matches!(k.status.as_str(), "enrolled" | "completed" | "dropped"))
        .ok_or(itinera_domain::Error::NotFound)?;
    Ok(ReportPage {
        page: PageCtx::new(lang, Some(session), "incident.new"),
        person: k.participant_name.clone(),
        about: v.course.title.clone(),
        action: format!("/courses/{course}/candidates/{cand}/incident"),
        back: format!("/courses/{course}"),
        input,
        errors,
    })
}

async fn course_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = course_page(
        &s,
        lang,
        &session,
        &ctx,
        ids,
        blank(&ctx),
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn course_report(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(ids): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<IncidentInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .report_course_incident(&session.actor, &ctx, ids.1, &input)
        .await;
    form_result(
        lang,
        result,
        |i| format!("/incidents/reported#incident-{i}"),
        |errors| course_page(&s, lang, &session, &ctx, ids, input, errors),
    )
    .await
}

async fn placement_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: IncidentInput,
    errors: FormErrors,
) -> Result<ReportPage, ViewError> {
    let k = s.services.tutored_contract(&session.actor, ctx, id).await?;
    Ok(ReportPage {
        page: PageCtx::new(lang, Some(session), "incident.new"),
        person: k.participant_name,
        about: format!("{} · {}", k.position_title, k.employer_name),
        action: format!("/tutoring/{id}/incident"),
        back: "/tutoring".into(),
        input,
        errors,
    })
}

async fn placement_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = placement_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        blank(&ctx),
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn placement_report(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<IncidentInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .report_placement_incident(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |i| format!("/incidents/reported#incident-{i}"),
        |errors| placement_page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "incidents/reported.html")]
struct ReportedPage {
    page: PageCtx,
    incidents: Vec<ReportedIncident>,
}

async fn reported(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
) -> ViewResult {
    let lang = lang_of(&headers);
    let incidents = s.services.reported_incidents(&session.actor, &ctx).await?;
    Ok(render(&ReportedPage {
        page: PageCtx::new(lang, Some(&session), "incident.reported_title"),
        incidents,
    }))
}

#[derive(Template)]
#[template(path = "incidents/show.html")]
struct ShowPage {
    page: PageCtx,
    v: IncidentsView,
    input: IncidentInput,
    errors: FormErrors,
    target: Option<Uuid>,
    response: IncidentResponseInput,
    item_errors: FormErrors,
}

impl ShowPage {
    fn is_target(&self, id: &Uuid) -> bool {
        self.target == Some(*id)
    }
    /// The message of a field of one item's form (its errors are named `field-{id}`,
    /// the field's element id, so that the summary's links reach it).
    fn item_err(&self, field: &str, id: &Uuid) -> Option<std::borrow::Cow<'static, str>> {
        self.item_errors.get(&format!("{field}-{id}"))
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        IncidentKind::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("incident_kind", k.code())))
            .collect()
    }
    fn severities(&self) -> Vec<(&'static str, String)> {
        Severity::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("severity", k.code())))
            .collect()
    }
    fn reporters(&self) -> Vec<(&'static str, String)> {
        Reporter::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("reporter", k.code())))
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: IncidentInput,
    errors: FormErrors,
    target: Option<(Uuid, IncidentResponseInput, FormErrors)>,
) -> Result<ShowPage, ViewError> {
    let (target, response, item_errors) = match target {
        Some((t, r, e)) => (Some(t), r, e),
        None => (
            None,
            IncidentResponseInput::default(),
            FormErrors::none(lang),
        ),
    };
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "incident.title"),
        v: s.services.incidents(&session.actor, ctx, id).await?,
        input,
        errors,
        target,
        response,
        item_errors,
    })
}

fn blank(ctx: &Ctx) -> IncidentInput {
    IncidentInput {
        occurred_on: ctx.today().to_string(),
        ..Default::default()
    }
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = blank(&ctx);
    Ok(render(
        &page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            input,
            FormErrors::none(lang),
            None,
        )
        .await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<IncidentInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .report_incident(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |i| format!("/cases/{id}/incidents#incident-{i}"),
        |errors| page(&s, lang, &session, &ctx, id, input, errors, None),
    )
    .await
}

async fn respond(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((case, id)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<IncidentResponseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .respond_incident(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{case}/incidents#incident-{id}"),
        |item_errors| {
            page(
                &s,
                lang,
                &session,
                &ctx,
                case,
                blank(&ctx),
                FormErrors::none(lang),
                Some((id, input, item_errors.renamed(|f| format!("{f}-{id}")))),
            )
        },
    )
    .await
}
