//! `/tasks`: each professional's work list; `/caseload`: their cases, with what is next.

use super::openapi::*;
use super::{ApiActor, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_service::caseload::{Caseload, CaseloadParams};
use itinera_service::worklist::WorkList;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tasks))
        .routes(routes!(caseload))
}

/// The caller's work list: actions due or overdue, reviews due, assessments missing,
/// with counts
#[utoipa::path(get, path = "/tasks", tag = "tasks",
    responses((status = 200, body = WorkList), Unauthenticated, Forbidden))]
async fn tasks(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<WorkList>> {
    Ok(Json(s.services.work_list(&a, &ctx).await?))
}

/// The caller's caseload (or their organisation's): each case with its phase, days in
/// it, what falls due next and the last contact; soonest due first
#[utoipa::path(get, path = "/caseload", tag = "tasks",
    params(CaseloadParams),
    responses((status = 200, body = Caseload), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn caseload(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(p): crate::http::Query<CaseloadParams>,
) -> ApiResult<Json<Caseload>> {
    Ok(Json(s.services.caseload(&a, &ctx, &p).await?))
}
