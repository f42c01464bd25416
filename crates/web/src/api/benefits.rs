//! A person's `/benefits` (and in-kind support), reached through a case and by id,
//! under the access rule.

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::benefit::BenefitInput;
use itinera_service::benefits::{BenefitEdit, BenefitsView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_benefits, add_benefit))
        .routes(routes!(benefit, update_benefit))
}

/// The benefits of the case's person, and the types a form offers (audited read)
#[utoipa::path(get, path = "/cases/{id}/benefits", tag = "benefits",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BenefitsView), BadRequest, Unauthenticated, NotFound))]
async fn case_benefits(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BenefitsView>> {
    Ok(Json(s.services.case_benefits(&a, &ctx, id).await?))
}
/// Record a benefit of the case's person (a writer on the team of one of their open cases)
#[utoipa::path(post, path = "/cases/{id}/benefits", tag = "benefits",
    params(("id" = Uuid, Path)),
    request_body = BenefitInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_benefit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BenefitInput>,
) -> ApiResult<Response> {
    let bid = s.services.add_benefit(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/benefits/{bid}"), bid))
}
/// One benefit (audited read)
#[utoipa::path(get, path = "/benefits/{id}", tag = "benefits",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BenefitEdit), BadRequest, Unauthenticated, NotFound))]
async fn benefit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BenefitEdit>> {
    Ok(Json(s.services.benefit(&a, &ctx, id).await?))
}
/// Change a benefit (status, dates, amount, conditions) at the version read
#[utoipa::path(put, path = "/benefits/{id}", tag = "benefits",
    params(("id" = Uuid, Path)),
    request_body = BenefitInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn update_benefit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BenefitInput>,
) -> ApiResult<Json<Saved>> {
    s.services.update_benefit(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
