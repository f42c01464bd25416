//! `/tasks`: each professional's work list.

use super::openapi::*;
use super::{ApiActor, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_service::worklist::WorkList;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tasks))
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
