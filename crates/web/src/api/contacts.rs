//! A case's `/contacts`, under the visibility rule.

use super::openapi::*;
use super::Path;
use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::contact::ContactInput;
use itinera_service::contacts::ContactsView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contacts, record_contact))
}

/// The case's contacts the caller may read under their visibility (audited read)
#[utoipa::path(get, path = "/cases/{id}/contacts", tag = "contacts",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ContactsView), BadRequest, Unauthenticated, NotFound))]
async fn contacts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContactsView>> {
    Ok(Json(s.services.contacts(&a, &ctx, id).await?))
}
/// Record a contact; a joint interview needs professionals of two or more services
#[utoipa::path(post, path = "/cases/{id}/contacts", tag = "contacts",
    params(("id" = Uuid, Path)),
    request_body = ContactInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn record_contact(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ContactInput>,
) -> ApiResult<Response> {
    let c = s.services.record_contact(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/contacts"), c))
}
