//! The master index: `/link-reviews`, `/merges/{id}/undo`, `/linkage/settings`.

use super::openapi::*;
use super::{ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_domain::{Error, FieldError, Page};
use itinera_service::linkage::LinkageSettings as Settings;
use itinera_service::linkage::{ReviewItem, ReviewView};
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(decide))
        .routes(routes!(undo))
        .routes(routes!(settings, set_settings))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ListParams {
    /// `open` (the default) or `all`.
    status: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DecisionBody {
    same: Option<bool>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct ThresholdsBody {
    auto_link: Value,
    review: Value,
}

/// The review queue of the master index: pairs with a record the caller may see on at
/// least one side
#[utoipa::path(get, path = "/link-reviews", tag = "linkage",
    params(ListParams),
    responses((status = 200, body = Page<ReviewItem>), BadRequest, Unauthenticated, Forbidden, Invalid))]
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
/// One pair side by side, with the field-by-field explanation
#[utoipa::path(get, path = "/link-reviews/{id}", tag = "linkage",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReviewView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(s.services.link_review(&a, &ctx, id).await?))
}
/// Decide a pair: the same person (their records are merged) or different (the pair
/// never comes back)
#[utoipa::path(post, path = "/link-reviews/{id}/decision", tag = "linkage",
    params(("id" = Uuid, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = Decided), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn decide(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<Decided>> {
    let same = b
        .same
        .ok_or_else(|| Error::field("same", "linkage.decision.required"))?;
    let merge = s.services.decide_link_review(&a, &ctx, id, same).await?;
    Ok(Json(Decided { merge }))
}
/// Undo a merge: the records it moved go back to their person exactly; the pairs are
/// remembered as different
#[utoipa::path(post, path = "/merges/{id}/undo", tag = "linkage",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Unmerged), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict))]
async fn undo(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Unmerged>> {
    let back = s.services.unmerge(&a, &ctx, id).await?;
    Ok(Json(Unmerged {
        participant_id: back,
    }))
}
/// The deployment's linkage thresholds (administrators)
#[utoipa::path(get, path = "/linkage/settings", tag = "linkage",
    responses((status = 200, body = Settings), Unauthenticated, Forbidden))]
async fn settings(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Settings>> {
    Ok(Json(s.services.linkage_settings(&a).await?))
}
/// Set the auto-link and review thresholds (match probabilities; review ≤ auto-link)
#[utoipa::path(put, path = "/linkage/settings", tag = "linkage",
    request_body = ThresholdsBody,
    responses((status = 200, body = itinera_domain::linkage::Thresholds), Unauthenticated, Forbidden, Invalid))]
async fn set_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ThresholdsBody>,
) -> ApiResult<Json<itinera_domain::linkage::Thresholds>> {
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
    Ok(Json(t))
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
