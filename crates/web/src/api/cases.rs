//! `/cases` (read, phases, status, team) and a participant's cases.

use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_service::cases::{CaseView, MemberInput, OpenCaseInput, PhaseInput, StatusInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// A participant's cases (in every programme).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct CasesOf {
    cases: Vec<itinera_service::cases::Case>,
}
use super::openapi::*;
use super::Path;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cases_of, open_case))
        .routes(routes!(case))
        .routes(routes!(phase))
        .routes(routes!(status))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
}

/// A participant's cases
#[utoipa::path(get, path = "/participants/{id}/cases", tag = "cases",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CasesOf), BadRequest, Unauthenticated, NotFound))]
async fn cases_of(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CasesOf>> {
    let v = s.services.participant(&a, &ctx, id).await?;
    Ok(Json(CasesOf { cases: v.cases }))
}
/// Open a case in a programme
#[utoipa::path(post, path = "/participants/{id}/cases", tag = "cases",
    params(("id" = Uuid, Path)),
    request_body = OpenCaseInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn open_case(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<OpenCaseInput>,
) -> ApiResult<Response> {
    let cid = s.services.open_case(&a, &ctx, id, &input).await?;
    Ok(created(format!("/api/v1/cases/{cid}"), cid))
}
/// A case with its phases, team and timeline (audited read)
#[utoipa::path(get, path = "/cases/{id}", tag = "cases",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseView), BadRequest, Unauthenticated, NotFound))]
async fn case(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(s.services.case(&a, &ctx, id).await?))
}
/// Move a case to another phase, with a reason
#[utoipa::path(post, path = "/cases/{id}/phase-changes", tag = "cases",
    params(("id" = Uuid, Path)),
    request_body = PhaseInput,
    responses((status = 200, body = Versioned), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn phase(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PhaseInput>,
) -> ApiResult<Json<Versioned>> {
    let v = s.services.move_case_phase(&a, &ctx, id, &b).await?;
    Ok(Json(Versioned { id, version: v }))
}
/// Suspend, resume, close (exit reason and date) or reopen a case
#[utoipa::path(post, path = "/cases/{id}/status-changes", tag = "cases",
    params(("id" = Uuid, Path)),
    request_body = StatusInput,
    responses((status = 200, body = Versioned), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusInput>,
) -> ApiResult<Json<Versioned>> {
    let v = s.services.change_case_status(&a, &ctx, id, &b).await?;
    Ok(Json(Versioned { id, version: v }))
}
/// Add a professional to the case team
#[utoipa::path(post, path = "/cases/{id}/team-members", tag = "cases",
    params(("id" = Uuid, Path)),
    request_body = MemberInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<Response> {
    let m = s.services.add_case_member(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}"), m))
}
/// Remove a professional from the case team
#[utoipa::path(delete, path = "/cases/{id}/team-members/{member}", tag = "cases",
    params(("id" = Uuid, Path), ("member" = Uuid, Path)),
    responses((status = 200, body = Removed), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn remove_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Removed>> {
    s.services.remove_case_member(&a, &ctx, id, member).await?;
    Ok(Json(Removed {
        id,
        removed: member,
    }))
}
