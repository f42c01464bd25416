//! The data-protection office's operations on a record — `/participants/{id}/privacy`,
//! `/participants/{id}/restriction`, `/participants/{id}/legal-holds`,
//! `/legal-holds/{id}/release`, `/participants/{id}/erasure` — and the retention rules
//! and runs: `/retention/rules`, `/retention/runs`.

use super::openapi::*;
use super::{created, ApiActor, ApiJson, ApiResult, Path};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use itinera_domain::privacy::{LegalHoldInput, PrivacyRequestInput, RetentionRuleInput};
use itinera_service::privacy::{
    Erasure, ErasureCheck, LegalHold, PrivacyRecord, RetentionRule, RetentionRun, RetentionRunInput,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(privacy_record))
        .routes(routes!(restrict))
        .routes(routes!(lift_restriction))
        .routes(routes!(place_legal_hold))
        .routes(routes!(release_legal_hold))
        .routes(routes!(erasure_check, erase))
        .routes(routes!(retention_rules))
        .routes(routes!(set_retention_rule))
        .routes(routes!(retention_runs, run_retention))
        .routes(routes!(retention_run))
}

/// A record's privacy state: restrictions, legal holds, why an erasure is refused (the
/// data-protection office; audited)
#[utoipa::path(get, path = "/participants/{id}/privacy", tag = "privacy",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PrivacyRecord), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn privacy_record(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PrivacyRecord>> {
    Ok(Json(s.services.privacy_record(&a, &ctx, id).await?))
}

/// Freeze a record (GDPR Art. 18): while restricted, no one but the data-protection
/// office reads it (through `/subject-access`), and nothing in it changes
#[utoipa::path(post, path = "/participants/{id}/restriction", tag = "privacy",
    params(("id" = Uuid, Path)), request_body = PrivacyRequestInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn restrict(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PrivacyRequestInput>,
) -> ApiResult<Json<Saved>> {
    s.services.restrict(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// Lift a record's restriction
#[utoipa::path(post, path = "/participants/{id}/restriction/lift", tag = "privacy",
    params(("id" = Uuid, Path)), request_body = PrivacyRequestInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn lift_restriction(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PrivacyRequestInput>,
) -> ApiResult<Json<Saved>> {
    s.services.lift_restriction(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// Place a legal hold on a record: its erasure is refused until the hold is released
/// or ends
#[utoipa::path(post, path = "/participants/{id}/legal-holds", tag = "privacy",
    params(("id" = Uuid, Path)), request_body = LegalHoldInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn place_legal_hold(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<LegalHoldInput>,
) -> ApiResult<Response> {
    let hold = s.services.place_legal_hold(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/participants/{id}/privacy"), hold))
}

/// Release a legal hold
#[utoipa::path(post, path = "/legal-holds/{id}/release", tag = "privacy",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LegalHold), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn release_legal_hold(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<LegalHold>> {
    Ok(Json(s.services.release_legal_hold(&a, &ctx, id).await?))
}

/// Whether a record may be erased today, and if not, why (open case, running contract,
/// retention period, legal hold)
#[utoipa::path(get, path = "/participants/{id}/erasure", tag = "privacy",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ErasureCheck), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn erasure_check(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ErasureCheck>> {
    Ok(Json(s.services.erasure_check(&a, &ctx, id).await?))
}

/// Erase a record (GDPR Art. 17) by anonymising it: identifying data and text about the
/// person go, what the indicators count stays; refused (422, with the reason) while a
/// hold applies
#[utoipa::path(post, path = "/participants/{id}/erasure", tag = "privacy",
    params(("id" = Uuid, Path)), request_body = PrivacyRequestInput,
    responses((status = 200, body = Erasure), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn erase(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PrivacyRequestInput>,
) -> ApiResult<Json<Erasure>> {
    Ok(Json(s.services.erase(&a, &ctx, id, &b).await?))
}

/// The retention rules per kind of record, as they apply now
#[utoipa::path(get, path = "/retention/rules", tag = "privacy",
    responses((status = 200, body = Vec<RetentionRule>), Unauthenticated, Forbidden))]
async fn retention_rules(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<RetentionRule>>> {
    Ok(Json(s.services.retention_rules(&a).await?))
}

/// Set a kind's retention period (administrators; an empty period keeps the records)
#[utoipa::path(put, path = "/retention/rules/{kind}", tag = "privacy",
    params(("kind" = String, Path, description = "closed_cases, without_case, import_reports, sent_mail, read_notifications")),
    request_body = RetentionRuleInput,
    responses((status = 200, body = Vec<RetentionRule>), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn set_retention_rule(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(kind): Path<String>,
    ApiJson(b): ApiJson<RetentionRuleInput>,
) -> ApiResult<Json<Vec<RetentionRule>>> {
    s.services.set_retention_rule(&a, &ctx, &kind, &b).await?;
    Ok(Json(s.services.retention_rules(&a).await?))
}

/// The latest runs of the retention rules, scheduled and by hand, with their reports
#[utoipa::path(get, path = "/retention/runs", tag = "privacy",
    responses((status = 200, body = Vec<RetentionRun>), Unauthenticated, Forbidden))]
async fn retention_runs(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<RetentionRun>>> {
    Ok(Json(s.services.retention_runs(&a).await?))
}

/// Apply the retention rules now: a dry run (the default) counts what is due and held,
/// a real one (`dry_run: false`) anonymises and deletes it; the report is kept
#[utoipa::path(post, path = "/retention/runs", tag = "privacy",
    request_body = RetentionRunInput,
    responses((status = 201, description = "The run and its report; its address in `Location`", body = RetentionRun), Unauthenticated, Forbidden, Invalid))]
async fn run_retention(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<RetentionRunInput>,
) -> ApiResult<Response> {
    let run = s.services.run_retention(&a, &ctx, &b).await?;
    let location = format!("/api/v1/retention/runs/{}", run.id);
    let mut r = (StatusCode::CREATED, Json(run)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        r.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(r)
}

/// One run of the retention rules and its report
#[utoipa::path(get, path = "/retention/runs/{id}", tag = "privacy",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RetentionRun), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn retention_run(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<RetentionRun>> {
    Ok(Json(s.services.retention_run(&a, id).await?))
}
