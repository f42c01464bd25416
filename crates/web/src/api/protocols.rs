//! `/protocols`: protocols and guides, versions, read confirmations, changes.

use super::openapi::*;
use super::{ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_domain::protocols::VersionInput;
use itinera_service::protocols::{NewProtocol, ProtocolLine, ProtocolView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(protocols, create_protocol))
        .routes(routes!(protocol))
        .routes(routes!(publish))
        .routes(routes!(confirm_read))
        .routes(routes!(propose_change))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ProtocolParams {
    body: Option<Uuid>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct ChangeBody {
    text: String,
}

/// The protocols and guides the reader sees, with the version in force and whether they
/// must still read it
#[utoipa::path(get, path = "/protocols", tag = "protocols",
    params(ProtocolParams),
    responses((status = 200, body = Vec<ProtocolLine>), BadRequest, Unauthenticated, Forbidden))]
async fn protocols(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<ProtocolParams>,
) -> ApiResult<Json<Vec<ProtocolLine>>> {
    Ok(Json(s.services.protocols(&a, &ctx, p.body).await?))
}
/// Publish a protocol or guide (for a programme or a body) with its first version
#[utoipa::path(post, path = "/protocols", tag = "protocols",
    request_body = NewProtocol,
    responses((status = 200, body = Saved), Unauthenticated, Forbidden, Invalid))]
async fn create_protocol(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<NewProtocol>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.create_protocol(&a, &ctx, &b).await?;
    Ok(Json(Saved { id }))
}
/// A protocol: versions, the one in force, proposed changes, and who it concerns has
/// read it
#[utoipa::path(get, path = "/protocols/{id}", tag = "protocols",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ProtocolView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn protocol(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProtocolView>> {
    Ok(Json(s.services.protocol(&a, &ctx, id).await?))
}
/// Publish the next version; it may apply proposed changes
#[utoipa::path(post, path = "/protocols/{id}/versions", tag = "protocols",
    params(("id" = Uuid, Path)),
    request_body = VersionInput,
    responses((status = 200, body = VersionNumber), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn publish(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<VersionInput>,
) -> ApiResult<Json<VersionNumber>> {
    let n = s.services.publish_version(&a, &ctx, id, &b).await?;
    Ok(Json(VersionNumber { version: n }))
}
/// Confirm having read the version in force
#[utoipa::path(post, path = "/protocols/{id}/read", tag = "protocols",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReadConfirmed), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn confirm_read(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReadConfirmed>> {
    s.services.confirm_protocol_read(&a, &ctx, id).await?;
    Ok(Json(ReadConfirmed { read: true }))
}
/// Propose a change
#[utoipa::path(post, path = "/protocols/{id}/changes", tag = "protocols",
    params(("id" = Uuid, Path)),
    request_body = ChangeBody,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn propose_change(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> ApiResult<Json<Saved>> {
    let id = s
        .services
        .propose_protocol_change(&a, &ctx, id, &b.text)
        .await?;
    Ok(Json(Saved { id }))
}
