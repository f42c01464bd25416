//! A case's `/itinerary`: plan, goals, actions, signed versions, differences, reviews.

use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::itinerary::{ActionInput, GoalInput, PlanInput, ReviewInput, SignInput};
use itinera_domain::Error;
use itinera_service::itineraries::{DiffQuery, ItineraryView, SignedVersion};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// What changed from signed version `from` to version `to` (none: the current draft).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Differences {
    from: i32,
    to: Option<i32>,
    differences: Vec<itinera_domain::itinerary::Difference>,
}
use super::openapi::*;
use super::{Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(itinerary, plan))
        .routes(routes!(add_goal))
        .routes(routes!(update_goal))
        .routes(routes!(add_action))
        .routes(routes!(update_action))
        .routes(routes!(sign))
        .routes(routes!(version))
        .routes(routes!(differences))
        .routes(routes!(review))
}

/// The itinerary: plan, goals, actions, signed versions, unsigned changes, reviews
/// (audited read)
#[utoipa::path(get, path = "/cases/{id}/itinerary", tag = "itineraries",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ItineraryView), BadRequest, Unauthenticated, NotFound))]
async fn itinerary(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ItineraryView>> {
    Ok(Json(s.services.itinerary(&a, &ctx, id).await?))
}
/// Change the plan: the person's commitments, the agreement's language, the next review
#[utoipa::path(put, path = "/cases/{id}/itinerary", tag = "itineraries",
    params(("id" = Uuid, Path)),
    request_body = PlanInput,
    responses((status = 200, body = PlanChanged), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PlanInput>,
) -> ApiResult<Json<PlanChanged>> {
    let v = s.services.update_plan(&a, &ctx, id, &b).await?;
    Ok(Json(PlanChanged {
        case_id: id,
        version: v,
    }))
}
/// Add a goal
#[utoipa::path(post, path = "/cases/{id}/itinerary/goals", tag = "itineraries",
    params(("id" = Uuid, Path)),
    request_body = GoalInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_goal(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GoalInput>,
) -> ApiResult<Response> {
    let g = s.services.add_goal(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), g))
}
/// Change a goal
#[utoipa::path(put, path = "/cases/{id}/itinerary/goals/{goal}", tag = "itineraries",
    params(("id" = Uuid, Path), ("goal" = Uuid, Path)),
    request_body = GoalInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn update_goal(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, goal)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<GoalInput>,
) -> ApiResult<Json<Saved>> {
    s.services.update_goal(&a, &ctx, id, goal, &b).await?;
    Ok(Json(Saved { id: goal }))
}
/// Add an action owned by a service and a professional of the case team
#[utoipa::path(post, path = "/cases/{id}/itinerary/actions", tag = "itineraries",
    params(("id" = Uuid, Path)),
    request_body = ActionInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_action(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ActionInput>,
) -> ApiResult<Response> {
    let x = s.services.add_action(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), x))
}
/// Change an action (dates, status with reason)
#[utoipa::path(put, path = "/cases/{id}/itinerary/actions/{action}", tag = "itineraries",
    params(("id" = Uuid, Path), ("action" = Uuid, Path)),
    request_body = ActionInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn update_action(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, action)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<ActionInput>,
) -> ApiResult<Json<Saved>> {
    s.services.update_action(&a, &ctx, id, action, &b).await?;
    Ok(Json(Saved { id: action }))
}
/// Record the signature of the agreement: the current plan is frozen as the next
/// version
#[utoipa::path(post, path = "/cases/{id}/itinerary/versions", tag = "itineraries",
    params(("id" = Uuid, Path)),
    request_body = SignInput,
    responses((status = 201, description = "The version frozen; its address in `Location`", body = Signed), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn sign(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SignInput>,
) -> ApiResult<Response> {
    let n = s.services.sign_agreement(&a, &ctx, id, &b).await?;
    let mut r = (
        axum::http::StatusCode::CREATED,
        Json(Signed {
            case_id: id,
            number: n,
        }),
    )
        .into_response();
    if let Ok(v) =
        header::HeaderValue::from_str(&format!("/api/v1/cases/{id}/itinerary/versions/{n}"))
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}
/// A signed version as it was signed
#[utoipa::path(get, path = "/cases/{id}/itinerary/versions/{n}", tag = "itineraries",
    params(("id" = Uuid, Path), ("n" = i32, Path)),
    responses((status = 200, body = SignedVersion), BadRequest, Unauthenticated, NotFound))]
async fn version(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, n)): Path<(Uuid, i32)>,
) -> ApiResult<Json<SignedVersion>> {
    let v = s.services.itinerary(&a, &ctx, id).await?;
    let found = v
        .versions
        .into_iter()
        .find(|x| x.number == n)
        .ok_or(Error::NotFound)?;
    Ok(Json(found))
}
/// Differences from signed version `from` to version `to` (the current draft when
/// absent)
#[utoipa::path(get, path = "/cases/{id}/itinerary/differences", tag = "itineraries",
    params(("id" = Uuid, Path), DiffQuery),
    responses((status = 200, body = Differences), BadRequest, Unauthenticated, NotFound, Invalid))]
async fn differences(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<Json<Differences>> {
    let (from, to) = q.versions()?;
    let d = s
        .services
        .itinerary(&a, &ctx, id)
        .await?
        .differences(from, to)?;
    Ok(Json(Differences {
        from,
        to,
        differences: d,
    }))
}
/// Record a review of the itinerary and the date of the next one
#[utoipa::path(post, path = "/cases/{id}/itinerary/reviews", tag = "itineraries",
    params(("id" = Uuid, Path)),
    request_body = ReviewInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn review(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ReviewInput>,
) -> ApiResult<Response> {
    let r = s.services.review_itinerary(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), r))
}
