//! A case's incidents page: the incidents with their answers, the form to report one
//! (the case manager and the reference social workers are told at once), and on each
//! open incident the form to answer it. A rejected form comes back with what was typed.

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
use itinera_service::incidents::IncidentsView;
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
                Some((id, input, item_errors)),
            )
        },
    )
    .await
}
