//! `/referrals`: referrals that close the loop — a case's referrals and the consent
//! check before sending one, the organisation's inbox (received and sent), one
//! referral with its steps, its answer, work, closing and cancellation, and the
//! figures of the referral flow.

use super::openapi::*;
use super::{created, ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::referral::{AnswerInput, CloseInput, ReferralInput};
use itinera_domain::Error;
use itinera_service::referrals::{CaseReferrals, ReferralInbox, ReferralStats, ReferralView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_referrals, refer))
        .routes(routes!(inbox))
        .routes(routes!(stats))
        .routes(routes!(referral))
        .routes(routes!(answer))
        .routes(routes!(start))
        .routes(routes!(close))
        .routes(routes!(cancel))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct CheckParams {
    /// A receiving organisation: the answer says whether the person's consent covers it.
    to: Option<String>,
}

/// Parses an optional id of the query string.
pub(crate) fn optional_id(raw: Option<&str>) -> Result<Option<Uuid>, Error> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| Error::BadRequest("error.bad_query")),
    }
}

/// The case's referrals, and (with `to`) whether the person's sharing consent covers
/// that receiver (audited read)
#[utoipa::path(get, path = "/cases/{id}/referrals", tag = "referrals",
    params(("id" = Uuid, Path), CheckParams),
    responses((status = 200, body = CaseReferrals), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn case_referrals(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<CheckParams>,
) -> ApiResult<Json<CaseReferrals>> {
    let to = optional_id(q.to.as_deref())?;
    Ok(Json(s.services.case_referrals(&a, &ctx, id, to).await?))
}

/// Refer the case to another organisation: refused (422 `referral.consent_missing`)
/// unless the person's sharing consent covers the receiver
#[utoipa::path(post, path = "/cases/{id}/referrals", tag = "referrals",
    params(("id" = Uuid, Path)),
    request_body = ReferralInput,
    responses((status = 201, description = "Sent; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn refer(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ReferralInput>,
) -> ApiResult<Response> {
    let r = s.services.refer(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/referrals/{r}"), r))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct InboxParams {
    /// `received` (the default) or `sent`.
    #[serde(rename = "box")]
    side: Option<String>,
    /// `true`: only the open ones (waiting, accepted, in progress).
    open: Option<String>,
}

/// The organisation's referrals, received or sent (audited read; a person is named
/// only where the organisation may see them)
#[utoipa::path(get, path = "/referrals", tag = "referrals",
    params(InboxParams),
    responses((status = 200, body = ReferralInbox), BadRequest, Unauthenticated, Forbidden))]
async fn inbox(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<InboxParams>,
) -> ApiResult<Json<ReferralInbox>> {
    let sent = match q.side.as_deref().map(str::trim) {
        None | Some("") | Some("received") => false,
        Some("sent") => true,
        Some(_) => return Err(Error::BadRequest("error.bad_query").into()),
    };
    let open = matches!(q.open.as_deref(), Some("true" | "1" | "on"));
    Ok(Json(s.services.referral_inbox(&a, &ctx, sent, open).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct PeriodParams {
    /// First day counted (a year before `to` when empty).
    from: String,
    /// Last day counted (today when empty).
    to: String,
}

/// Referral figures of the network: per organisation, per pair, per pair of kinds;
/// median hours to answer and to complete. No person
#[utoipa::path(get, path = "/referrals/stats", tag = "referrals",
    params(PeriodParams),
    responses((status = 200, body = ReferralStats), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn stats(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Json<ReferralStats>> {
    Ok(Json(
        s.services.referral_stats(&a, &ctx, &p.from, &p.to).await?,
    ))
}

/// One referral with its steps, as the reader's organisation (sender or receiver)
/// may see it
#[utoipa::path(get, path = "/referrals/{id}", tag = "referrals",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReferralView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn referral(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReferralView>> {
    Ok(Json(s.services.referral(&a, &ctx, id).await?))
}

/// Accept (a professional of the receiver joins the case's team) or reject (with a
/// reason) a referral waiting for its answer
#[utoipa::path(post, path = "/referrals/{id}/answer", tag = "referrals",
    params(("id" = Uuid, Path)),
    request_body = AnswerInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn answer(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<AnswerInput>,
) -> ApiResult<Json<Saved>> {
    s.services.answer_referral(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// Mark an accepted referral in progress
#[utoipa::path(post, path = "/referrals/{id}/start", tag = "referrals",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn start(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Saved>> {
    s.services.start_referral(&a, &ctx, id).await?;
    Ok(Json(Saved { id }))
}

/// Close a referral with its outcome (attended, did not attend, service given, not
/// eligible); the sender is told
#[utoipa::path(post, path = "/referrals/{id}/close", tag = "referrals",
    params(("id" = Uuid, Path)),
    request_body = CloseInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn close(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CloseInput>,
) -> ApiResult<Json<Saved>> {
    s.services.close_referral(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// The sender cancels an open referral (`note`: why)
#[utoipa::path(post, path = "/referrals/{id}/cancel", tag = "referrals",
    params(("id" = Uuid, Path)),
    request_body = CloseInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn cancel(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CloseInput>,
) -> ApiResult<Json<Saved>> {
    s.services.cancel_referral(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
