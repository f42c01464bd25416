//! The master participant index: the review queue, decisions, unmerging, thresholds.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use itinera_domain::{Error, FieldError, Page};
use itinera_service::linkage::LinkageSettings as Settings;
use itinera_service::linkage::{ReviewItem, ReviewView};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/link-reviews", get(list))
        .route("/link-reviews/{id}", get(show))
        .route("/link-reviews/{id}/decision", post(decide))
        .route("/merges/{id}/undo", post(undo))
        .route("/linkage/settings", get(settings).put(set_settings))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    /// `open` (the default) or `all`.
    status: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Page<ReviewItem>>> {
    let open_only = match p.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => return Err(Error::field("status", "validation.choice").into()),
    };
    let page = itinera_domain::PageRequest::new(p.page, p.per_page);
    Ok(Json(
        s.services.link_reviews(&a, &ctx, open_only, page).await?,
    ))
}

async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(s.services.link_review(&a, &ctx, id).await?))
}

#[derive(Deserialize)]
struct DecisionBody {
    same: Option<bool>,
}

async fn decide(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<Value>> {
    let same = b
        .same
        .ok_or_else(|| Error::field("same", "linkage.decision.required"))?;
    let merge = s.services.decide_link_review(&a, &ctx, id, same).await?;
    Ok(Json(json!({"merge": merge})))
}

async fn undo(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    let back = s.services.unmerge(&a, &ctx, id).await?;
    Ok(Json(json!({"participant_id": back})))
}

async fn settings(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Settings>> {
    Ok(Json(s.services.linkage_settings(&a).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ThresholdsBody {
    auto_link: Value,
    review: Value,
}

/// A threshold given as a number or as text; anything else is reported on its field.
fn text(v: &Value, field: &str) -> Result<String, Error> {
    match v {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(Error::Invalid(vec![FieldError::new(
            field,
            "linkage.threshold.number",
        )])),
    }
}

async fn set_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ThresholdsBody>,
) -> ApiResult<Json<Value>> {
    let (auto_link, review) = match (text(&b.auto_link, "auto_link"), text(&b.review, "review")) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(Error::Invalid(mut e1)), Err(Error::Invalid(e2))) => {
            e1.extend(e2);
            return Err(Error::Invalid(e1).into());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let t = s
        .services
        .set_linkage_thresholds(&a, &ctx, &auto_link, &review)
        .await?;
    Ok(Json(json!(t)))
}
