//! `/programmes/{id}/overview`: figures and pseudonymised lists, never names.

use super::openapi::*;
use super::{ApiActor, ApiResult, PageParams};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_service::aggregates::ProgrammeOverview;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(overview))
}

/// Aggregates and a pseudonymised case list (programme managers, coordinators)
#[utoipa::path(get, path = "/programmes/{id}/overview", tag = "aggregates",
    params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = ProgrammeOverview), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn overview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<ProgrammeOverview>> {
    Ok(Json(
        s.services
            .programme_overview(&a, &ctx, id, p.request())
            .await?,
    ))
}
