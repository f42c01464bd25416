//! Configuration: `/territories`, `/holidays`, `/organisations`, `/programmes`, `/users`, `/tokens`.

use super::openapi::*;
use super::{created, ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::access::Capability;
use itinera_domain::holidays::HolidayInput;
use itinera_service::admin::Holiday;
use itinera_service::admin::{
    MembershipInput, MembershipOutcome, OrganisationInput, ProgrammeInput, ProgrammeView,
    ProjectInput, RoleGrant, TerritoryInput, TokenInput, UserInput,
};
use itinera_service::admin::{Organisation, Programme, Territory};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(territories, create_territory))
        .routes(routes!(holidays, add_holiday))
        .routes(routes!(delete_holiday))
        .routes(routes!(load_national_holidays))
        .routes(routes!(organisations, create_organisation))
        .routes(routes!(update_organisation))
        .routes(routes!(programmes, create_programme))
        .routes(routes!(programme, update_programme))
        .routes(routes!(add_project))
        .routes(routes!(users, create_user))
        .routes(routes!(patch_user))
        .routes(routes!(add_membership))
        .routes(routes!(role_grants))
        .routes(routes!(decide_grant))
        .routes(routes!(second_factor_state))
        .routes(routes!(request_factor_reset))
        .routes(routes!(factor_resets))
        .routes(routes!(decide_factor_reset))
        .routes(routes!(remove_membership))
        .routes(routes!(tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PatchUser {
    active: bool,
}

/// Territories (region > province > municipality > zone)
#[utoipa::path(get, path = "/territories", tag = "admin",
    responses((status = 200, body = Vec<Territory>), Unauthenticated))]
async fn territories(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<Territory>>> {
    Ok(Json(s.services.territories(&a).await?))
}
/// Create a territory
#[utoipa::path(post, path = "/territories", tag = "admin",
    request_body = TerritoryInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn create_territory(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<TerritoryInput>,
) -> ApiResult<Response> {
    let id = s.services.create_territory(&a, &ctx, &b).await?;
    Ok(created(format!("/api/v1/territories/{id}"), id))
}
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct YearParams {
    /// The calendar year (default: this year).
    year: Option<i32>,
}
/// Public holidays of a year, every territory's (none: national)
#[utoipa::path(get, path = "/holidays", tag = "admin",
    params(YearParams),
    responses((status = 200, body = Vec<Holiday>), BadRequest, Unauthenticated, Invalid))]
async fn holidays(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<YearParams>,
) -> ApiResult<Json<Vec<Holiday>>> {
    use chrono::Datelike;
    let year = p.year.unwrap_or(ctx.today().year());
    Ok(Json(s.services.holidays(&a, year).await?))
}
/// Add a public holiday to a territory (or, with none, to the whole deployment)
#[utoipa::path(post, path = "/holidays", tag = "admin",
    request_body = HolidayInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn add_holiday(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<HolidayInput>,
) -> ApiResult<Response> {
    let id = s.services.add_holiday(&a, &ctx, &b).await?;
    Ok(created(format!("/api/v1/holidays/{id}"), id))
}
/// Delete a public holiday
#[utoipa::path(delete, path = "/holidays/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Deleted), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn delete_holiday(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Deleted>> {
    s.services.delete_holiday(&a, &ctx, id).await?;
    Ok(Json(Deleted { id, deleted: true }))
}
#[derive(Deserialize, utoipa::ToSchema)]
struct LoadNational {
    /// `es` (Spain) or `it` (Italy).
    country: String,
    year: i32,
}
/// Load a country's national holidays of a year (names in the request's language)
#[utoipa::path(post, path = "/holidays/national", tag = "admin",
    request_body = LoadNational,
    responses((status = 200, body = HolidaysLoaded), Unauthenticated, Forbidden, Invalid))]
async fn load_national_holidays(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<LoadNational>,
) -> ApiResult<Json<HolidaysLoaded>> {
    let lang = crate::http::lang_of(&headers);
    let added = s
        .services
        .load_national_holidays(&a, &ctx, lang, &b.country, b.year)
        .await?;
    Ok(Json(HolidaysLoaded { added }))
}
/// Organisations
#[utoipa::path(get, path = "/organisations", tag = "admin",
    responses((status = 200, body = Vec<Organisation>), Unauthenticated))]
async fn organisations(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<Json<Vec<Organisation>>> {
    Ok(Json(s.services.organisations().await?))
}
/// Create an organisation
#[utoipa::path(post, path = "/organisations", tag = "admin",
    request_body = OrganisationInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn create_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<OrganisationInput>,
) -> ApiResult<Response> {
    let id = s.services.save_organisation(&a, &ctx, None, &b).await?;
    Ok(created(format!("/api/v1/organisations/{id}"), id))
}
/// Update an organisation
#[utoipa::path(put, path = "/organisations/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = OrganisationInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn update_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<OrganisationInput>,
) -> ApiResult<Json<Saved>> {
    s.services.save_organisation(&a, &ctx, Some(id), &b).await?;
    Ok(Json(Saved { id }))
}
/// Programmes
#[utoipa::path(get, path = "/programmes", tag = "admin",
    responses((status = 200, body = Vec<Programme>), Unauthenticated))]
async fn programmes(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<Json<Vec<Programme>>> {
    Ok(Json(s.services.programmes().await?))
}
/// Create a programme with its workflow and funding
#[utoipa::path(post, path = "/programmes", tag = "admin",
    request_body = ProgrammeInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn create_programme(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ProgrammeInput>,
) -> ApiResult<Response> {
    let id = s.services.save_programme(&a, &ctx, None, &b).await?;
    Ok(created(format!("/api/v1/programmes/{id}"), id))
}
/// A programme with phases, funding and projects
#[utoipa::path(get, path = "/programmes/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ProgrammeView), BadRequest, Unauthenticated, NotFound))]
async fn programme(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProgrammeView>> {
    Ok(Json(s.services.programme(id).await?))
}
/// Update a programme
#[utoipa::path(put, path = "/programmes/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = ProgrammeInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn update_programme(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ProgrammeInput>,
) -> ApiResult<Json<Saved>> {
    s.services.save_programme(&a, &ctx, Some(id), &b).await?;
    Ok(Json(Saved { id }))
}
/// Add a project to a programme
#[utoipa::path(post, path = "/programmes/{id}/projects", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = ProjectInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_project(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ProjectInput>,
) -> ApiResult<Response> {
    let pid = s.services.add_project(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/programmes/{id}"), pid))
}
/// Users and their memberships
#[utoipa::path(get, path = "/users", tag = "admin",
    params(UsersParams),
    responses((status = 200, body = itinera_domain::Page<itinera_service::admin::UserView>), BadRequest, Unauthenticated, Forbidden))]
async fn users(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<UsersParams>,
) -> ApiResult<Json<itinera_domain::Page<itinera_service::admin::UserView>>> {
    let page = itinera_domain::PageRequest::new(p.page, p.per_page);
    Ok(Json(
        s.services
            .users_listed(&a, p.q.as_deref().unwrap_or(""), page)
            .await?,
    ))
}

/// The users whose username or name holds `q` (any case; all without it), in username
/// order, `page` (from 1) and `per_page` (at most 100, 20 by default).
#[derive(Debug, serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UsersParams {
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}
/// Create a user
#[utoipa::path(post, path = "/users", tag = "admin",
    request_body = UserInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn create_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<UserInput>,
) -> ApiResult<Response> {
    a.require(Capability::Administer)?;
    let id = s.services.create_user((&a).into(), &ctx, &b).await?;
    Ok(created(format!("/api/v1/users/{id}"), id))
}
/// Activate or deactivate a user
#[utoipa::path(patch, path = "/users/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = PatchUser,
    responses((status = 200, body = Activation), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn patch_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PatchUser>,
) -> ApiResult<Json<Activation>> {
    s.services.set_user_active(&a, &ctx, id, b.active).await?;
    Ok(Json(Activation {
        id,
        active: b.active,
    }))
}
/// Give a user a role in an organisation
#[utoipa::path(post, path = "/users/{id}/memberships", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = MembershipInput,
    responses((status = 201, description = "Granted", body = MembershipOutcome),
        (status = 202, description = "A role that reaches a person's data: requested, waiting for a second administrator", body = MembershipOutcome),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn add_membership(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MembershipInput>,
) -> ApiResult<Response> {
    a.require(Capability::Administer)?;
    let outcome = s.services.add_membership((&a).into(), &ctx, id, &b).await?;
    let status = match outcome {
        MembershipOutcome::Granted => StatusCode::CREATED,
        MembershipOutcome::Requested { .. } => StatusCode::ACCEPTED,
    };
    Ok((status, Json(outcome)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GrantsQuery {
    /// Only the requests still waiting for a decision.
    pending: Option<bool>,
}

/// Requests of roles that reach a person's data (four eyes): administrators and the
/// auditor see them, with who asked and who decided
#[utoipa::path(get, path = "/role-grants", tag = "admin",
    params(GrantsQuery),
    responses((status = 200, body = Vec<RoleGrant>), BadRequest, Unauthenticated, Forbidden))]
async fn role_grants(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<GrantsQuery>,
) -> ApiResult<Json<Vec<RoleGrant>>> {
    Ok(Json(
        s.services
            .role_grants(&a, q.pending.unwrap_or(false))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct GrantDecision {
    /// `true` approves (the user gets the role), `false` refuses.
    approve: bool,
}

/// Decide a request: a second administrator, not the one who asked nor the one who
/// would receive the role
#[utoipa::path(post, path = "/role-grants/{id}/decision", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = GrantDecision,
    responses((status = 200, body = GrantDecided), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn decide_grant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GrantDecision>,
) -> ApiResult<Json<GrantDecided>> {
    s.services.decide_grant(&a, &ctx, id, b.approve).await?;
    Ok(Json(GrantDecided {
        id,
        approved: b.approve,
    }))
}

/// An account's second factor: set up or not, recovery codes left, a reset waiting
#[utoipa::path(get, path = "/users/{id}/second-factor", tag = "admin",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = itinera_service::second_factor::FactorState), BadRequest, Unauthenticated, Forbidden))]
async fn second_factor_state(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<itinera_service::second_factor::FactorState>> {
    Ok(Json(s.services.second_factor_state(&a, id).await?))
}

/// Ask for an account's lost second factor to be reset (another administrator decides)
#[utoipa::path(post, path = "/users/{id}/second-factor/resets", tag = "admin",
    params(("id" = Uuid, Path)),
    responses((status = 201, description = "Asked; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn request_factor_reset(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let rid = s.services.request_second_factor_reset(&a, &ctx, id).await?;
    Ok(created(format!("/api/v1/second-factor-resets/{rid}"), rid))
}

/// Resets of second factors waiting for a second administrator
#[utoipa::path(get, path = "/second-factor-resets", tag = "admin",
    responses((status = 200, body = Vec<itinera_service::second_factor::PendingReset>), Unauthenticated, Forbidden))]
async fn factor_resets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::second_factor::PendingReset>>> {
    Ok(Json(s.services.pending_second_factor_resets(&a).await?))
}

/// Decide a reset: another administrator than the one who asked. Approved, the factor
/// and its recovery codes are removed and the account's sessions end
#[utoipa::path(post, path = "/second-factor-resets/{id}/decision", tag = "admin",
    params(("id" = Uuid, Path)),
    request_body = GrantDecision,
    responses((status = 200, body = GrantDecided), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn decide_factor_reset(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GrantDecision>,
) -> ApiResult<Json<GrantDecided>> {
    s.services
        .decide_second_factor_reset(&a, &ctx, id, b.approve)
        .await?;
    Ok(Json(GrantDecided {
        id,
        approved: b.approve,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct GrantDecided {
    id: Uuid,
    approved: bool,
}
/// Remove a membership
#[utoipa::path(delete, path = "/users/{id}/memberships/{mid}", tag = "admin",
    params(("id" = Uuid, Path), ("mid" = Uuid, Path)),
    responses((status = 200, body = MembershipRemoved), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn remove_membership(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<MembershipRemoved>> {
    s.services.remove_membership(&a, &ctx, id, mid).await?;
    Ok(Json(MembershipRemoved {
        id: mid,
        removed: true,
    }))
}
/// API tokens (never their secret)
#[utoipa::path(get, path = "/tokens", tag = "admin",
    responses((status = 200, body = Vec<itinera_service::admin::Token>), Unauthenticated, Forbidden))]
async fn tokens(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::admin::Token>>> {
    Ok(Json(s.services.tokens(&a).await?))
}
/// Create an API token; the response holds it, once
#[utoipa::path(post, path = "/tokens", tag = "admin",
    request_body = TokenInput,
    responses((status = 201, body = NewToken), Unauthenticated, Forbidden, Invalid))]
async fn create_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<TokenInput>,
) -> ApiResult<Response> {
    a.require(Capability::Administer)?;
    let token = s.services.create_token((&a).into(), &ctx, &b).await?;
    Ok(axum::response::IntoResponse::into_response((
        axum::http::StatusCode::CREATED,
        Json(NewToken { token }),
    )))
}
/// Revoke a token
#[utoipa::path(delete, path = "/tokens/{id}", tag = "admin",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TokenRevoked), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn revoke_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<TokenRevoked>> {
    s.services.revoke_token(&a, &ctx, id).await?;
    Ok(Json(TokenRevoked { id, revoked: true }))
}
