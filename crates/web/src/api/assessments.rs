//! `/instruments` (publish, list, export) and a case's `/assessments`.

use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::Error;
use itinera_service::assessments::{AssessmentInput, AssessmentsView, PublishedInstrument};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The published instruments, every version.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct InstrumentList {
    items: Vec<InstrumentLine>,
}

/// A published instrument version.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct InstrumentLine {
    id: Uuid,
    code: String,
    version: i32,
    /// The title in each language.
    title: itinera_domain::assessment::Texts,
    published_at: chrono::DateTime<chrono::Utc>,
}
use super::openapi::*;
use super::Path;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(instruments, publish))
        .routes(routes!(instrument))
        .routes(routes!(assessments, assess))
}

/// Published assessment instruments (every version)
#[utoipa::path(get, path = "/instruments", tag = "assessments",
    responses((status = 200, body = InstrumentList), Unauthenticated))]
async fn instruments(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<Json<InstrumentList>> {
    let items = s
        .services
        .instruments()
        .await?
        .into_iter()
        .map(|i| InstrumentLine {
            id: i.id,
            code: i.definition.code,
            version: i.definition.version,
            title: i.definition.title,
            published_at: i.published_at,
        })
        .collect();
    Ok(Json(InstrumentList { items }))
}
/// Publish an instrument, or a new version of one, from its JSON definition
/// (administrators)
#[utoipa::path(post, path = "/instruments", tag = "assessments",
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Conflict, Invalid))]
async fn publish(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    body: Bytes,
) -> ApiResult<Response> {
    let text = std::str::from_utf8(&body).map_err(|_| Error::field("body", "error.bad_json"))?;
    let id = s.services.publish_instrument(&a, &ctx, text).await?;
    Ok(created(format!("/api/v1/instruments/{id}"), id))
}
/// The instrument's definition: the JSON an administrator imports elsewhere.
#[utoipa::path(get, path = "/instruments/{id}", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The definition, as a file to import elsewhere", body = itinera_domain::assessment::Instrument), BadRequest, Unauthenticated, NotFound))]
async fn instrument(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let PublishedInstrument { definition, .. } = s.services.instrument(id).await?;
    let name = format!("{}-v{}.json", definition.code, definition.version);
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}\""),
        )],
        Json(definition),
    )
        .into_response())
}
/// A case's assessments, the derived profile and why, the change per domain (audited
/// read)
#[utoipa::path(get, path = "/cases/{id}/assessments", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AssessmentsView), BadRequest, Unauthenticated, NotFound))]
async fn assessments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AssessmentsView>> {
    Ok(Json(s.services.assessments(&a, &ctx, id).await?))
}
/// Assess the participant (case team members who write person data)
#[utoipa::path(post, path = "/cases/{id}/assessments", tag = "assessments",
    params(("id" = Uuid, Path)),
    request_body = AssessmentInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn assess(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<AssessmentInput>,
) -> ApiResult<Response> {
    let aid = s.services.assess(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/assessments"), aid))
}
