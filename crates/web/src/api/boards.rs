//! Improvement boards: a body's `/boards`, `/boards/{id}`, `/cards`.

use super::openapi::*;
use super::Path;
use super::{ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_domain::boards::{BoardInput, CardInput, GroupInput};
use itinera_service::boards::Board;
use itinera_service::boards::{BoardView, CardAgreementInput, CardChangeInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(post_card))
        .routes(routes!(group))
        .routes(routes!(vote, unvote))
        .routes(routes!(to_agreement))
        .routes(routes!(to_change))
}

/// A body's improvement boards
#[utoipa::path(get, path = "/bodies/{id}/boards", tag = "boards",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Board>), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Board>>> {
    Ok(Json(s.services.boards(&a, id).await?))
}
/// Open an improvement board (conveners)
#[utoipa::path(post, path = "/bodies/{id}/boards", tag = "boards",
    params(("id" = Uuid, Path)),
    request_body = BoardInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BoardInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.create_board(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// A board: its columns with their cards (most voted first), groups, the reader's votes
/// left
#[utoipa::path(get, path = "/boards/{id}", tag = "boards",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BoardView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BoardView>> {
    Ok(Json(s.services.board(&a, &ctx, id).await?))
}
/// Post a card while the board is open (422 boards.closed once it has closed)
#[utoipa::path(post, path = "/boards/{id}/cards", tag = "boards",
    params(("id" = Uuid, Path)),
    request_body = CardInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn post_card(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.post_card(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// Group two cards or more under a title (conveners)
#[utoipa::path(post, path = "/boards/{id}/groups", tag = "boards",
    params(("id" = Uuid, Path)),
    request_body = GroupInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn group(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GroupInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.group_cards(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// Vote for a card while the board is open, within the votes per member
#[utoipa::path(post, path = "/cards/{id}/vote", tag = "boards",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Voted), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn vote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Voted>> {
    s.services.vote_card(&a, &ctx, id, true).await?;
    Ok(Json(Voted { voted: true }))
}
/// Take a vote back
#[utoipa::path(delete, path = "/cards/{id}/vote", tag = "boards",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Voted), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn unvote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Voted>> {
    s.services.vote_card(&a, &ctx, id, false).await?;
    Ok(Json(Voted { voted: false }))
}
/// Turn a card (with its group) into an agreement made at one of the body's meetings
#[utoipa::path(post, path = "/cards/{id}/agreement", tag = "boards",
    params(("id" = Uuid, Path)),
    request_body = CardAgreementInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn to_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardAgreementInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.card_to_agreement(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// Turn a card (with its group) into a proposed change of a protocol
#[utoipa::path(post, path = "/cards/{id}/protocol-change", tag = "boards",
    params(("id" = Uuid, Path)),
    request_body = CardChangeInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn to_change(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CardChangeInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.card_to_protocol_change(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
