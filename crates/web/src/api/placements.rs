//! Placements: a case's `/contracts`, the end of a contract, its retention checks, and
//! the `/contract-types`.

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::placement::{ContractEndInput, ContractInput, RetentionInput, TutorInput};
use itinera_service::placements::{ContractType, ContractsView, TutoredContract};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contracts, record_contract))
        .routes(routes!(end_contract))
        .routes(routes!(change_tutor))
        .routes(routes!(record_retention))
        .routes(routes!(contract_types))
        .routes(routes!(tutored_contracts))
}

/// The placements the caller tutors (a workplace tutor): the person's name and the job (audited read)
#[utoipa::path(get, path = "/tutored-contracts", tag = "placements",
    responses((status = 200, body = Vec<TutoredContract>), Unauthenticated, Forbidden))]
async fn tutored_contracts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Vec<TutoredContract>>> {
    Ok(Json(s.services.tutored_contracts(&a, &ctx).await?))
}

/// The case's contracts, each with its retention checks and follow-up (audited read)
#[utoipa::path(get, path = "/cases/{id}/contracts", tag = "placements",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ContractsView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn contracts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContractsView>> {
    Ok(Json(s.services.contracts(&a, &ctx, id).await?))
}

/// Register a contract; its retention checks at 3, 6 and 12 months are scheduled with it
#[utoipa::path(post, path = "/cases/{id}/contracts", tag = "placements",
    params(("id" = Uuid, Path)),
    request_body = ContractInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn record_contract(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ContractInput>,
) -> ApiResult<Response> {
    let c = s.services.record_contract(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/contracts"), c))
}

/// Record the actual end of a contract and its reason
#[utoipa::path(post, path = "/contracts/{id}/end", tag = "placements",
    params(("id" = Uuid, Path)),
    request_body = ContractEndInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn end_contract(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ContractEndInput>,
) -> ApiResult<Json<Saved>> {
    s.services.end_contract(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// Name another workplace tutor of a running contract (an active tutor of its employer), or none
#[utoipa::path(put, path = "/contracts/{id}/tutor", tag = "placements",
    params(("id" = Uuid, Path)),
    request_body = TutorInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn change_tutor(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<TutorInput>,
) -> ApiResult<Json<Saved>> {
    s.services.change_contract_tutor(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// Record a retention check: whether the person still works, for the same employer or another
#[utoipa::path(post, path = "/retention-checks/{id}", tag = "placements",
    params(("id" = Uuid, Path)),
    request_body = RetentionInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn record_retention(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<RetentionInput>,
) -> ApiResult<Json<Saved>> {
    s.services.record_retention(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// The national contract types in use (data: Spain's and Italy's by default)
#[utoipa::path(get, path = "/contract-types", tag = "placements",
    responses((status = 200, body = Vec<ContractType>), Unauthenticated, Forbidden))]
async fn contract_types(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<ContractType>>> {
    Ok(Json(s.services.contract_types(&a).await?))
}
