//! The work inside a case: `/instruments`, `/cases/{id}/assessments`,
//! `/cases/{id}/itinerary` (plan, goals, actions, signed versions, differences, reviews),
//! `/cases/{id}/contacts`, and each professional's `/tasks` (the work list).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use itinera_domain::contact::ContactInput;
use itinera_domain::itinerary::{ActionInput, GoalInput, PlanInput, ReviewInput, SignInput};
use itinera_domain::Error;
use itinera_service::assessments::{AssessmentInput, AssessmentsView, PublishedInstrument};
use itinera_service::contacts::ContactsView;
use itinera_service::itineraries::{DiffQuery, ItineraryView, SignedVersion};
use itinera_service::worklist::WorkList;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{created, ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/instruments", get(instruments).post(publish))
        .route("/instruments/{id}", get(instrument))
        .route("/cases/{id}/assessments", get(assessments).post(assess))
        .route("/cases/{id}/itinerary", get(itinerary).put(plan))
        .route("/cases/{id}/itinerary/goals", post(add_goal))
        .route("/cases/{id}/itinerary/goals/{goal}", put(update_goal))
        .route("/cases/{id}/itinerary/actions", post(add_action))
        .route("/cases/{id}/itinerary/actions/{action}", put(update_action))
        .route("/cases/{id}/itinerary/versions", post(sign))
        .route("/cases/{id}/itinerary/versions/{n}", get(version))
        .route("/cases/{id}/itinerary/differences", get(differences))
        .route("/cases/{id}/itinerary/reviews", post(review))
        .route("/cases/{id}/contacts", get(contacts).post(record_contact))
        .route("/tasks", get(tasks))
}

async fn instruments(State(s): State<AppState>, ApiActor(_): ApiActor) -> ApiResult<Json<Value>> {
    let list: Vec<Value> = s
        .services
        .instruments()
        .await?
        .into_iter()
        .map(|i| {
            json!({"id": i.id, "code": i.definition.code, "version": i.definition.version,
                   "title": i.definition.title, "published_at": i.published_at})
        })
        .collect();
    Ok(Json(json!({ "items": list })))
}

/// The instrument's definition: the JSON an administrator imports elsewhere.
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

async fn assessments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AssessmentsView>> {
    Ok(Json(s.services.assessments(&a, &ctx, id).await?))
}

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

async fn itinerary(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ItineraryView>> {
    Ok(Json(s.services.itinerary(&a, &ctx, id).await?))
}

async fn plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PlanInput>,
) -> ApiResult<Json<Value>> {
    let v = s.services.update_plan(&a, &ctx, id, &b).await?;
    Ok(Json(json!({"case_id": id, "version": v})))
}

async fn add_goal(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GoalInput>,
) -> ApiResult<Response> {
    let g = s.services.add_goal(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), g))
}

async fn update_goal(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, goal)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<GoalInput>,
) -> ApiResult<Json<Value>> {
    s.services.update_goal(&a, &ctx, id, goal, &b).await?;
    Ok(Json(json!({"id": goal})))
}

async fn add_action(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ActionInput>,
) -> ApiResult<Response> {
    let x = s.services.add_action(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), x))
}

async fn update_action(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, action)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<ActionInput>,
) -> ApiResult<Json<Value>> {
    s.services.update_action(&a, &ctx, id, action, &b).await?;
    Ok(Json(json!({"id": action})))
}

async fn sign(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SignInput>,
) -> ApiResult<Response> {
    let n = s.services.sign_agreement(&a, &ctx, id, &b).await?;
    let mut r = (
        axum::http::StatusCode::CREATED,
        Json(json!({"case_id": id, "number": n})),
    )
        .into_response();
    if let Ok(v) =
        header::HeaderValue::from_str(&format!("/api/v1/cases/{id}/itinerary/versions/{n}"))
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

async fn version(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, n)): Path<(Uuid, i32)>,
) -> ApiResult<Json<SignedVersion>> {
    let v = s.services.itinerary(&a, &ctx, id).await?;
    let found = v
        .versions
        .into_iter()
        .find(|x| x.number == n)
        .ok_or(Error::NotFound)?;
    Ok(Json(found))
}

async fn differences(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<Json<Value>> {
    let (from, to) = q.versions()?;
    let d = s
        .services
        .itinerary(&a, &ctx, id)
        .await?
        .differences(from, to)?;
    Ok(Json(json!({"from": from, "to": to, "differences": d})))
}

async fn review(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ReviewInput>,
) -> ApiResult<Response> {
    let r = s.services.review_itinerary(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/cases/{id}/itinerary"), r))
}

async fn contacts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContactsView>> {
    Ok(Json(s.services.contacts(&a, &ctx, id).await?))
}

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

async fn tasks(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<WorkList>> {
    Ok(Json(s.services.work_list(&a, &ctx).await?))
}
