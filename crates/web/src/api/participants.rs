//! `/participants`, `/consents`, `/cases`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use itinera_domain::consent::ConsentInput;
use itinera_domain::participant::ParticipantInput;
use itinera_domain::{Page, PageRequest};
use itinera_service::cases::{CaseView, MemberInput, OpenCaseInput, PhaseInput, StatusInput};
use itinera_service::participants::ParticipantSummary as Summary;
use itinera_service::participants::ParticipantView;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{created, ApiActor, ApiJson, ApiResult, PageParams};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/participants", get(list).post(create))
        .route("/participants/search", post(search))
        .route("/participants/{id}", get(show).put(update))
        .route(
            "/participants/{id}/consents",
            get(consents).post(add_consent),
        )
        .route("/participants/{id}/cases", get(cases_of).post(open_case))
        .route("/consents/{id}/withdrawal", post(withdraw))
        .route("/cases/{id}", get(case))
        .route("/cases/{id}/phase-changes", post(phase))
        .route("/cases/{id}/status-changes", post(status))
        .route("/cases/{id}/team-members", post(add_member))
        .route("/cases/{id}/team-members/{member}", delete(remove_member))
}

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

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchBody {
    q: String,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// Search terms travel in the body, never in the URL: they are personal data.
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

async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ParticipantView>> {
    Ok(Json(s.services.participant(&a, &ctx, id).await?))
}

#[derive(Deserialize)]
struct UpdateBody {
    version: i32,
    #[serde(flatten)]
    data: ParticipantInput,
}

async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<Value>> {
    let v = s
        .services
        .update_participant(&a, &ctx, id, b.version, &b.data)
        .await?;
    Ok(Json(json!({"id": id, "version": v})))
}

async fn consents(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    let v = s.services.participant(&a, &ctx, id).await?;
    Ok(Json(json!({"consents": v.consents, "viewers": v.viewers})))
}

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

#[derive(Deserialize, Default)]
#[serde(default)]
struct WithdrawBody {
    withdrawn_on: String,
    note: String,
}

async fn withdraw(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> ApiResult<Json<Value>> {
    let pid = s
        .services
        .withdraw_consent(&a, &ctx, id, &b.withdrawn_on, &b.note)
        .await?;
    Ok(Json(json!({"id": id, "participant_id": pid})))
}

async fn cases_of(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    let v = s.services.participant(&a, &ctx, id).await?;
    Ok(Json(json!({"cases": v.cases})))
}

async fn open_case(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<OpenCaseInput>,
) -> ApiResult<Response> {
    let cid = s.services.open_case(&a, &ctx, id, &input).await?;
    Ok(created(format!("/api/v1/cases/{cid}"), cid))
}

async fn case(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(s.services.case(&a, &ctx, id).await?))
}

async fn phase(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PhaseInput>,
) -> ApiResult<Json<Value>> {
    let v = s.services.move_case_phase(&a, &ctx, id, &b).await?;
    Ok(Json(json!({"id": id, "version": v})))
}

async fn status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusInput>,
) -> ApiResult<Json<Value>> {
    let v = s.services.change_case_status(&a, &ctx, id, &b).await?;
    Ok(Json(json!({"id": id, "version": v})))
}

async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<Response> {
    let m = s.services.add_case_member(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}"), m))
}

async fn remove_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Value>> {
    s.services.remove_case_member(&a, &ctx, id, member).await?;
    Ok(Json(json!({"id": id, "removed": member})))
}
