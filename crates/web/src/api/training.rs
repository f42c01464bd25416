//! Training: `/courses` with their sessions and candidates, the joint selection and
//! the places of `/candidates`, and `/attendance` taken per session for the group.

use super::openapi::*;
use super::{created, ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use itinera_domain::training::{
    AttendanceInput, AttendanceLine, CandidateStatusInput, CourseInput, DecisionInput,
    SessionInput, TrainersInput,
};
use itinera_service::training::{
    AttendanceSaved, AttendanceView, CourseView, CoursesView, PoolQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(courses, create_course))
        .routes(routes!(course))
        .routes(routes!(set_trainers))
        .routes(routes!(preselect))
        .routes(routes!(decide))
        .routes(routes!(candidate_status))
        .routes(routes!(attendance, save_attendance))
        .routes(routes!(save_attendance_on))
        .routes(routes!(add_session))
        .routes(routes!(change_session))
}

/// Replace the named trainers of a course (users with the role trainer at its provider; an empty list names none)
#[utoipa::path(put, path = "/courses/{id}/trainers", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = TrainersInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn set_trainers(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<TrainersInput>,
) -> ApiResult<Json<Saved>> {
    s.services.set_course_trainers(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}

/// The courses, and what a form to create one offers
#[utoipa::path(get, path = "/courses", tag = "training",
    responses((status = 200, body = CoursesView), Unauthenticated, Forbidden))]
async fn courses(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<CoursesView>> {
    Ok(Json(s.services.courses(&a).await?))
}

/// Create a course; its sessions are generated from its weekdays and hours
#[utoipa::path(post, path = "/courses", tag = "training",
    request_body = CourseInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), Unauthenticated, Forbidden, Invalid))]
async fn create_course(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<CourseInput>,
) -> ApiResult<Response> {
    let id = s.services.create_course(&a, &ctx, &b).await?;
    Ok(created(format!("/api/v1/courses/{id}"), id))
}

/// A course: sessions, the candidates the caller may see, and the programme's cases to preselect from (audited read)
#[utoipa::path(get, path = "/courses/{id}", tag = "training",
    params(("id" = Uuid, Path), PoolQuery),
    responses((status = 200, body = CourseView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn course(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<PoolQuery>,
) -> ApiResult<Json<CourseView>> {
    Ok(Json(s.services.course(&a, &ctx, id, &q).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PreselectInput {
    pub case_id: String,
}

/// Preselect a case of the course's programme
#[utoipa::path(post, path = "/courses/{id}/candidates", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = PreselectInput,
    responses((status = 201, description = "Created", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn preselect(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PreselectInput>,
) -> ApiResult<Response> {
    let case = itinera_domain::input::optional_id(&b.case_id)
        .ok()
        .flatten()
        .ok_or_else(|| itinera_domain::Error::field("case_id", "validation.uuid"))?;
    let c = s.services.preselect(&a, &ctx, id, case).await?;
    Ok(created(format!("/api/v1/courses/{id}"), c))
}

/// Where a candidate stands after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateState {
    pub id: Uuid,
    pub status: String,
}

/// Record the caller's service's decision on a candidate (social services or employment service); both approving selects
#[utoipa::path(post, path = "/candidates/{id}/decision", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = CandidateState), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn decide(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<DecisionInput>,
) -> ApiResult<Json<CandidateState>> {
    let status = s.services.decide_candidate(&a, &ctx, id, &b).await?;
    Ok(Json(CandidateState { id, status }))
}

/// Enrol a selected candidate (places permitting), put them on the waiting list, record a drop-out with its reason, or completion
#[utoipa::path(post, path = "/candidates/{id}/status", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = CandidateStatusInput,
    responses((status = 200, body = CandidateState), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn candidate_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<CandidateStatusInput>,
) -> ApiResult<Json<CandidateState>> {
    let status = s.services.candidate_status(&a, &ctx, id, &b).await?;
    Ok(Json(CandidateState { id, status }))
}

/// A session's attendance sheet: the enrolled people the caller may see (audited read)
#[utoipa::path(get, path = "/sessions/{id}/attendance", tag = "training",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AttendanceView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn attendance(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AttendanceView>> {
    Ok(Json(s.services.attendance(&a, &ctx, id).await?))
}

/// Save a session's whole sheet in one request; absences past the programme's threshold raise incidents
#[utoipa::path(put, path = "/sessions/{id}/attendance", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = AttendanceInput,
    responses((status = 200, body = AttendanceSaved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn save_attendance(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<AttendanceInput>,
) -> ApiResult<Json<AttendanceSaved>> {
    Ok(Json(s.services.save_attendance(&a, &ctx, id, &b).await?))
}

/// A sheet for the course's session of a day.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DayAttendance {
    /// The day of the session (`YYYY-MM-DD`).
    pub held_on: String,
    /// The hour it starts (`HH:MM`): needed only on a day with more than one session.
    pub starts_at: String,
    pub lines: Vec<AttendanceLine>,
}

/// Save the sheet of the course's session held on a day; a day without a session is refused
#[utoipa::path(post, path = "/courses/{id}/attendance", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = DayAttendance,
    responses((status = 200, body = AttendanceSaved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn save_attendance_on(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<DayAttendance>,
) -> ApiResult<Json<AttendanceSaved>> {
    let sheet = AttendanceInput { lines: b.lines };
    Ok(Json(
        s.services
            .save_attendance_on(&a, &ctx, id, &b.held_on, &b.starts_at, &sheet)
            .await?,
    ))
}

/// Add a session to the course's schedule (who may create courses, or its trainers)
#[utoipa::path(post, path = "/courses/{id}/sessions", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = SessionInput,
    responses((status = 201, description = "Created", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn add_session(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<Response> {
    let sid = s.services.add_session(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/courses/{id}"), sid))
}

/// Move a session to another day or hours, or cancel it (not once its attendance is taken)
#[utoipa::path(put, path = "/sessions/{id}", tag = "training",
    params(("id" = Uuid, Path)),
    request_body = SessionInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn change_session(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<Json<Saved>> {
    s.services.change_session(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
