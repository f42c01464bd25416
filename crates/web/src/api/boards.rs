//! Improvement boards and protocols (the network's shared methodology).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use itinera_domain::boards::{BoardInput, CardInput, GroupInput};
use itinera_domain::protocols::VersionInput;
use itinera_service::boards::Board;
use itinera_service::boards::{BoardView, CardAgreementInput, CardChangeInput};
use itinera_service::protocols::{NewProtocol, ProtocolLine, ProtocolView};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies/{id}/boards", get(list).post(create))
        .route("/boards/{id}", get(show))
        .route("/boards/{id}/cards", post(post_card))
        .route("/boards/{id}/groups", post(group))
        .route("/cards/{id}/vote", post(vote).delete(unvote))
        .route("/cards/{id}/agreement", post(to_agreement))
        .route("/cards/{id}/protocol-change", post(to_change))
        .route("/protocols", get(protocols).post(create_protocol))
        .route("/protocols/{id}", get(protocol))
        .route("/protocols/{id}/versions", post(publish))
        .route("/protocols/{id}/read", post(confirm_read))
        .route("/protocols/{id}/changes", post(propose_change))
}

async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Board>>> {
    Ok(Json(s.services.boards(&a, id).await?))
}

async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BoardInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.create_board(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BoardView>> {
    Ok(Json(s.services.board(&a, &ctx, id).await?))
}

async fn post_card(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.post_card(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn group(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GroupInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.group_cards(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn vote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    s.services.vote_card(&a, &ctx, id, true).await?;
    Ok(Json(json!({ "voted": true })))
}

async fn unvote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    s.services.vote_card(&a, &ctx, id, false).await?;
    Ok(Json(json!({ "voted": false })))
}

async fn to_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardAgreementInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.card_to_agreement(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn to_change(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardChangeInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.card_to_protocol_change(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProtocolParams {
    body: Option<Uuid>,
}

async fn protocols(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<ProtocolParams>,
) -> ApiResult<Json<Vec<ProtocolLine>>> {
    Ok(Json(s.services.protocols(&a, &ctx, p.body).await?))
}

async fn create_protocol(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<NewProtocol>,
) -> ApiResult<Json<Value>> {
    let id = s.services.create_protocol(&a, &ctx, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn protocol(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProtocolView>> {
    Ok(Json(s.services.protocol(&a, &ctx, id).await?))
}

async fn publish(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<VersionInput>,
) -> ApiResult<Json<Value>> {
    let n = s.services.publish_version(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "version": n })))
}

async fn confirm_read(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    s.services.confirm_protocol_read(&a, &ctx, id).await?;
    Ok(Json(json!({ "read": true })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeBody {
    text: String,
}

async fn propose_change(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> ApiResult<Json<Value>> {
    let id = s
        .services
        .propose_protocol_change(&a, &ctx, id, &b.text)
        .await?;
    Ok(Json(json!({ "id": id })))
}
