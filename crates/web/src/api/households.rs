//! `/households`: a participant's household, its members (participants or not), their
//! arrivals and departures, and its head.

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::household::{DepartureInput, HeadInput, HouseholdInput, MemberInput};
use itinera_service::households::{HouseholdView, ParticipantHousehold};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(participant_household, form_household))
        .routes(routes!(household))
        .routes(routes!(add_member))
        .routes(routes!(departure))
        .routes(routes!(head))
}

/// The participant's current household and those they left (audited read)
#[utoipa::path(get, path = "/participants/{id}/household", tag = "households",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantHousehold), BadRequest, Unauthenticated, NotFound))]
async fn participant_household(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ParticipantHousehold>> {
    Ok(Json(s.services.participant_household(&a, &ctx, id).await?))
}
/// Form a household headed by the participant (who is in none at present)
#[utoipa::path(post, path = "/participants/{id}/household", tag = "households",
    params(("id" = Uuid, Path)),
    request_body = HouseholdInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn form_household(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<HouseholdInput>,
) -> ApiResult<Response> {
    let h = s.services.form_household(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/households/{h}"), h))
}
/// A household: current and former members (another participant's name only for who may see them), history (audited read)
#[utoipa::path(get, path = "/households/{id}", tag = "households",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = HouseholdView), BadRequest, Unauthenticated, NotFound))]
async fn household(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<HouseholdView>> {
    Ok(Json(s.services.household(&a, &ctx, id).await?))
}
/// Add a member: a participant by identity document, or a person by name
#[utoipa::path(post, path = "/households/{id}/members", tag = "households",
    params(("id" = Uuid, Path)),
    request_body = MemberInput,
    responses((status = 201, description = "Created; the household's address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<Response> {
    let m = s.services.add_household_member(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/households/{id}"), m))
}
/// A member leaves (the head only as the last member, which ends the household)
#[utoipa::path(post, path = "/households/{id}/members/{member}/departure", tag = "households",
    params(("id" = Uuid, Path), ("member" = Uuid, Path)),
    request_body = DepartureInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn departure(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<DepartureInput>,
) -> ApiResult<Json<Saved>> {
    s.services
        .household_departure(&a, &ctx, id, member, &b)
        .await?;
    Ok(Json(Saved { id: member }))
}
/// The headship passes to another current member
#[utoipa::path(post, path = "/households/{id}/head", tag = "households",
    params(("id" = Uuid, Path)),
    request_body = HeadInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn head(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<HeadInput>,
) -> ApiResult<Json<Saved>> {
    s.services.change_household_head(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
