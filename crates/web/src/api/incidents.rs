//! A case's `/incidents` and the answers to them; the incidents a trainer or a
//! workplace tutor reports of the course or the placement they follow, and the list of
//! what one reported.

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::incident::{IncidentInput, IncidentResponseInput};
use itinera_service::incidents::{IncidentsView, ReportedIncident};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(incidents, report_incident))
        .routes(routes!(respond_incident))
        .routes(routes!(report_course_incident))
        .routes(routes!(report_placement_incident))
        .routes(routes!(reported_incidents))
}

/// The incidents the caller reported, and whether they were answered (audited read)
#[utoipa::path(get, path = "/incidents/reported", tag = "incidents",
    responses((status = 200, body = Vec<ReportedIncident>), Unauthenticated, Forbidden))]
async fn reported_incidents(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Vec<ReportedIncident>>> {
    Ok(Json(s.services.reported_incidents(&a, &ctx).await?))
}

/// A trainer reports an incident of a person on a course they train
#[utoipa::path(post, path = "/candidates/{id}/incidents", tag = "incidents",
    params(("id" = Uuid, Path, description = "The person's place on the course (candidate)")),
    request_body = IncidentInput,
    responses((status = 201, description = "Created", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report_course_incident(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<IncidentInput>,
) -> ApiResult<Response> {
    let i = s.services.report_course_incident(&a, &ctx, id, &b).await?;
    Ok(created("/api/v1/incidents/reported".to_string(), i))
}

/// A workplace tutor reports an incident of a placement they tutor
#[utoipa::path(post, path = "/contracts/{id}/incidents", tag = "incidents",
    params(("id" = Uuid, Path)),
    request_body = IncidentInput,
    responses((status = 201, description = "Created", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report_placement_incident(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<IncidentInput>,
) -> ApiResult<Response> {
    let i = s
        .services
        .report_placement_incident(&a, &ctx, id, &b)
        .await?;
    Ok(created("/api/v1/incidents/reported".to_string(), i))
}

/// The case's incidents (audited read)
#[utoipa::path(get, path = "/cases/{id}/incidents", tag = "incidents",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentsView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn incidents(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<IncidentsView>> {
    Ok(Json(s.services.incidents(&a, &ctx, id).await?))
}

/// Report an incident: the case manager and the reference social workers are told at once
#[utoipa::path(post, path = "/cases/{id}/incidents", tag = "incidents",
    params(("id" = Uuid, Path)),
    request_body = IncidentInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report_incident(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<IncidentInput>,
) -> ApiResult<Response> {
    let i = s.services.report_incident(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/incidents"), i))
}

/// Answer an incident: the actions agreed (the first answer is timed) and, with a resolution, close it
#[utoipa::path(post, path = "/incidents/{id}/response", tag = "incidents",
    params(("id" = Uuid, Path)),
    request_body = IncidentResponseInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn respond_incident(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<IncidentResponseInput>,
) -> ApiResult<Json<Saved>> {
    s.services.respond_incident(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
