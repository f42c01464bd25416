//! The network's `/resources` catalogue, and its exchange in Open Referral HSDS 3.0
//! (`/resources/hsds/…`).

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult, Query};
use crate::http::{lang_of, RequestCtx};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::resource::ResourceInput;
use itinera_domain::Page;
use itinera_service::resources::{HsdsImportReport, ResourceQuery, ResourceView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;
use uuid::Uuid;

/// The largest HSDS file taken.
pub const MAX_HSDS: usize = 20 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search, create))
        .routes(routes!(show, update))
        .routes(routes!(import).layer(axum::extract::DefaultBodyLimit::max(MAX_HSDS + 64 * 1024)))
        .routes(routes!(export_json))
        .routes(routes!(export_zip))
}

/// Search the catalogue by words, category, kind, territory, eligibility and age
#[utoipa::path(get, path = "/resources", tag = "resources",
    params(ResourceQuery),
    responses((status = 200, body = Page<ResourceView>), BadRequest, Unauthenticated, Invalid))]
async fn search(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<ResourceQuery>,
) -> ApiResult<Json<Page<ResourceView>>> {
    Ok(Json(s.services.resources(&a, &q).await?))
}
/// Add a resource (administrators, coordinators, programme and case managers)
#[utoipa::path(post, path = "/resources", tag = "resources",
    request_body = ResourceInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ResourceInput>,
) -> ApiResult<Response> {
    let id = s.services.save_resource(&a, &ctx, None, &b).await?;
    Ok(created(format!("/api/v1/resources/{id}"), id))
}
/// One resource
#[utoipa::path(get, path = "/resources/{id}", tag = "resources",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ResourceView), BadRequest, Unauthenticated, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(s.services.resource(&a, id).await?))
}
/// Change a resource at the version read
#[utoipa::path(put, path = "/resources/{id}", tag = "resources",
    params(("id" = Uuid, Path)),
    request_body = ResourceInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ResourceInput>,
) -> ApiResult<Json<Saved>> {
    s.services.save_resource(&a, &ctx, Some(id), &b).await?;
    Ok(Json(Saved { id }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ImportParams {
    /// `true`: check and count, save nothing.
    dry_run: String,
    /// The file's name, for the report.
    file_name: String,
}

/// Import an HSDS file — the JSON form, or the tabular form as a ZIP of its CSV files
/// (told apart by its first bytes) — checked against the published schema, its
/// references and Itinera's rules; applied whole in one transaction or refused whole
/// (422, every problem with its file, line and field)
#[utoipa::path(post, path = "/resources/hsds/import", tag = "resources",
    params(ImportParams),
    request_body(content = Vec<u8>, description = "The HSDS JSON document, or the ZIP of its CSV files", content_type = "application/octet-stream"),
    responses((status = 200, body = HsdsImportReport), (status = 422, description = "The file was refused; nothing was saved", body = HsdsImportReport), BadRequest, Unauthenticated, Forbidden))]
async fn import(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let r = s
        .services
        .import_hsds(&a, &ctx, &p.file_name, &body, p.dry_run == "true")
        .await?;
    let r = crate::export::translate_report(lang_of(&headers), r);
    let status = if r.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(r)).into_response())
}
/// The catalogue in HSDS's JSON form (a page of services, each with its organization)
#[utoipa::path(get, path = "/resources/hsds/export.json", tag = "resources",
    responses((status = 200, description = "An HSDS 3.0 page of services", content_type = "application/json", body = Object), Unauthenticated))]
async fn export_json(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Response> {
    let c = s.services.hsds_catalogue(&a).await?;
    Ok(crate::export::hsds(&c, false)?)
}
/// The catalogue in HSDS's tabular form: its CSV files in a ZIP
#[utoipa::path(get, path = "/resources/hsds/export.zip", tag = "resources",
    responses((status = 200, description = "The HSDS 3.0 tables as CSV files in a ZIP", content_type = "application/zip", body = Vec<u8>), Unauthenticated))]
async fn export_zip(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Response> {
    let c = s.services.hsds_catalogue(&a).await?;
    Ok(crate::export::hsds(&c, true)?)
}
