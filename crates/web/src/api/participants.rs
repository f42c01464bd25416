//! `/participants` (register, read, edit, search) and `/consents` (record, withdraw).

use super::{created, ApiActor, ApiJson, ApiResult, PageParams};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::consent::ConsentInput;
use itinera_domain::participant::ParticipantInput;
use itinera_domain::{Page, PageRequest};
use itinera_service::participants::ParticipantSummary as Summary;
use itinera_service::participants::ParticipantView;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// A participant's consents and who may see them today.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ConsentsAndViewers {
    consents: Vec<itinera_service::participants::ConsentView>,
    viewers: Vec<itinera_service::participants::Viewer>,
}
use super::openapi::*;
use super::{Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(search))
        .routes(routes!(show, update))
        .routes(routes!(consents, add_consent))
        .routes(routes!(withdraw))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct SearchBody {
    q: String,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateBody {
    version: i32,
    #[serde(flatten)]
    data: ParticipantInput,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct WithdrawBody {
    withdrawn_on: String,
    note: String,
}

/// Participants the actor may see, paginated (documents masked)
#[utoipa::path(get, path = "/participants", tag = "participants",
    params(PageParams),
    responses((status = 200, body = Page<Summary>), BadRequest, Unauthenticated, Forbidden))]
async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<Page<Summary>>> {
    Ok(Json(
        s.services
            .search_participants(&a, &ctx, "", p.request())
            .await?,
    ))
}
/// Register a participant for the actor's organisation, after looking the person up in
/// the master index
#[utoipa::path(post, path = "/participants", tag = "participants",
    request_body = ParticipantInput,
    responses(
        (status = 201, description = "Registered (a new record); its address in `Location`", body = itinera_service::participants::Registered),
        (status = 200, description = "The organisation already had a record of this person: that one, nothing created", body = itinera_service::participants::Registered),
        Unauthenticated, Forbidden, Conflict, Invalid))]
async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(input): ApiJson<ParticipantInput>,
) -> ApiResult<Response> {
    let r = s.services.register_participant(&a, &ctx, &input).await?;
    // The organisation's existing record of the person: nothing was created.
    let status = if r.link.outcome == "existing" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut resp = (status, Json(&r)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/participants/{}", r.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}
/// Search terms travel in the body, never in the URL: they are personal data.
#[utoipa::path(post, path = "/participants/search", tag = "participants",
    request_body = SearchBody,
    responses((status = 200, body = Page<Summary>), Unauthenticated, Forbidden, Invalid))]
async fn search(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<SearchBody>,
) -> ApiResult<Json<Page<Summary>>> {
    Ok(Json(
        s.services
            .search_participants(&a, &ctx, &b.q, PageRequest::new(b.page, b.per_page))
            .await?,
    ))
}
/// A participant's record, cases, consents and who may see them (audited read)
#[utoipa::path(get, path = "/participants/{id}", tag = "participants",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantView), BadRequest, Unauthenticated, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ParticipantView>> {
    Ok(Json(s.services.participant(&a, &ctx, id).await?))
}
/// Edit a participant (optimistic locking by version)
#[utoipa::path(put, path = "/participants/{id}", tag = "participants",
    params(("id" = Uuid, Path)),
    request_body = UpdateBody,
    responses((status = 200, body = Versioned), BadRequest, Unauthenticated, NotFound, Conflict, Invalid))]
async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<Versioned>> {
    let v = s
        .services
        .update_participant(&a, &ctx, id, b.version, &b.data)
        .await?;
    Ok(Json(Versioned { id, version: v }))
}
/// Consents and current viewers
#[utoipa::path(get, path = "/participants/{id}/consents", tag = "consents",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ConsentsAndViewers), BadRequest, Unauthenticated, NotFound))]
async fn consents(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ConsentsAndViewers>> {
    let v = s.services.participant(&a, &ctx, id).await?;
    Ok(Json(ConsentsAndViewers {
        consents: v.consents,
        viewers: v.viewers,
    }))
}
/// Record a consent
#[utoipa::path(post, path = "/participants/{id}/consents", tag = "consents",
    params(("id" = Uuid, Path)),
    request_body = ConsentInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, NotFound, Invalid))]
async fn add_consent(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> ApiResult<Response> {
    let cid = s.services.add_consent(&a, &ctx, id, &input).await?;
    Ok(created(format!("/api/v1/participants/{id}/consents"), cid))
}
/// Withdraw a consent
#[utoipa::path(post, path = "/consents/{id}/withdrawal", tag = "consents",
    params(("id" = Uuid, Path)),
    request_body = WithdrawBody,
    responses((status = 200, body = Withdrawn), BadRequest, Unauthenticated, NotFound, Invalid))]
async fn withdraw(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> ApiResult<Json<Withdrawn>> {
    let pid = s
        .services
        .withdraw_consent(&a, &ctx, id, &b.withdrawn_on, &b.note)
        .await?;
    Ok(Json(Withdrawn {
        id,
        participant_id: pid,
    }))
}
