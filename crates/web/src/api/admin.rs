//! Configuration (`/territories`, `/organisations`, `/programmes`, `/users`, `/tokens`),
//! the audit log (`/audit-entries`) and programme aggregates.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use itinera_domain::access::Capability;
use itinera_domain::Page;
use itinera_service::admin::{
    MembershipInput, OrganisationInput, ProgrammeInput, ProgrammeView, ProjectInput,
    TerritoryInput, TokenInput, UserInput,
};
use itinera_service::admin::{Organisation, Programme, Territory};
use itinera_service::aggregates::ProgrammeOverview;
use itinera_service::audit_log::AuditQuery;
use itinera_service::audit_log::{AuditEntry as Entry, Verification};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{created, ApiActor, ApiJson, ApiResult, PageParams};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/territories", get(territories).post(create_territory))
        .route(
            "/organisations",
            get(organisations).post(create_organisation),
        )
        .route(
            "/organisations/{id}",
            axum::routing::put(update_organisation),
        )
        .route("/programmes", get(programmes).post(create_programme))
        .route("/programmes/{id}", get(programme).put(update_programme))
        .route("/programmes/{id}/projects", post(add_project))
        .route("/programmes/{id}/overview", get(overview))
        .route("/users", get(users).post(create_user))
        .route("/users/{id}", axum::routing::patch(patch_user))
        .route("/users/{id}/memberships", post(add_membership))
        .route("/users/{id}/memberships/{mid}", delete(remove_membership))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/audit-entries", get(audit_entries))
        .route("/audit-entries/verification", get(verify))
}

async fn territories(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<Territory>>> {
    Ok(Json(s.services.territories(&a).await?))
}

async fn create_territory(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<TerritoryInput>,
) -> ApiResult<Response> {
    let id = s.services.create_territory(&a, &ctx, &b).await?;
    Ok(created(format!("/api/v1/territories/{id}"), id))
}

async fn organisations(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<Json<Vec<Organisation>>> {
    Ok(Json(s.services.organisations().await?))
}

async fn create_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<OrganisationInput>,
) -> ApiResult<Response> {
    let id = s.services.save_organisation(&a, &ctx, None, &b).await?;
    Ok(created(format!("/api/v1/organisations/{id}"), id))
}

async fn update_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<OrganisationInput>,
) -> ApiResult<Json<Value>> {
    s.services.save_organisation(&a, &ctx, Some(id), &b).await?;
    Ok(Json(json!({"id": id})))
}

async fn programmes(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<Json<Vec<Programme>>> {
    Ok(Json(s.services.programmes().await?))
}

async fn programme(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProgrammeView>> {
    Ok(Json(s.services.programme(id).await?))
}

async fn create_programme(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ProgrammeInput>,
) -> ApiResult<Response> {
    let id = s.services.save_programme(&a, &ctx, None, &b).await?;
    Ok(created(format!("/api/v1/programmes/{id}"), id))
}

async fn update_programme(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ProgrammeInput>,
) -> ApiResult<Json<Value>> {
    s.services.save_programme(&a, &ctx, Some(id), &b).await?;
    Ok(Json(json!({"id": id})))
}

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

async fn users(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::admin::UserView>>> {
    Ok(Json(s.services.users(&a).await?))
}

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

#[derive(Deserialize)]
struct PatchUser {
    active: bool,
}

async fn patch_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PatchUser>,
) -> ApiResult<Json<Value>> {
    s.services.set_user_active(&a, &ctx, id, b.active).await?;
    Ok(Json(json!({"id": id, "active": b.active})))
}

async fn add_membership(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MembershipInput>,
) -> ApiResult<Response> {
    a.require(Capability::Administer)?;
    s.services.add_membership((&a).into(), &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/users/{id}"), id))
}

async fn remove_membership(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Value>> {
    s.services.remove_membership(&a, &ctx, id, mid).await?;
    Ok(Json(json!({"id": mid, "removed": true})))
}

async fn tokens(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::admin::Token>>> {
    Ok(Json(s.services.tokens(&a).await?))
}

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
        Json(json!({"token": token})),
    )))
}

async fn revoke_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    s.services.revoke_token(&a, &ctx, id).await?;
    Ok(Json(json!({"id": id, "revoked": true})))
}

async fn audit_entries(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    Ok(Json(s.services.audit_log(&a, &ctx, &q).await?))
}

async fn verify(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Verification>> {
    Ok(Json(s.services.verify_audit((&a).into()).await?))
}
