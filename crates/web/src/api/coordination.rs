//! Coordination bodies, meetings and agreements.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use itinera_domain::coordination::{AgreementInput, BodyInput, MeetingInput};
use itinera_service::coordination::Body;
use itinera_service::coordination::{BodyReport, BodyView, MeetingView, MemberInput};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiResult};
use crate::http::RequestCtx;
use crate::views::coordination_report::{self as export, PeriodParams};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies", get(list).post(create))
        .route("/bodies/{id}", get(show).put(update))
        .route(
            "/bodies/{id}/members/{member}",
            put(member_role).delete(remove_member),
        )
        .route("/bodies/{id}/members", post(add_member))
        .route("/bodies/{id}/report", get(report))
        .route("/bodies/{id}/overview", get(overview))
        .route("/bodies/{id}/report.csv", get(report_csv))
        .route("/bodies/{id}/report.xlsx", get(report_xlsx))
        .route("/bodies/{id}/meetings", post(create_meeting))
        .route("/meetings/{id}", get(meeting))
        .route("/meetings/{id}/minutes.txt", get(minutes_text))
        .route("/meetings/{id}/attendance", put(attendance))
        .route("/meetings/{id}/items/{item}/minutes", put(minutes))
        .route("/meetings/{id}/approval", post(approve))
        .route("/meetings/{id}/agreements", post(add_agreement))
        .route("/agreements/{id}/status", post(agreement_status))
        .route("/calendar", get(calendar))
        .route("/calendar/feed", post(create_feed).delete(revoke_feed))
        .route(
            "/network-agreements",
            get(network_agreements).post(create_network_agreement),
        )
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(read_notifications))
}

async fn list(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Vec<Body>>> {
    Ok(Json(s.services.bodies(&a).await?))
}

async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<BodyInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.create_body(&a, &ctx, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BodyView>> {
    Ok(Json(s.services.body(&a, &ctx, id).await?))
}

async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<Json<Value>> {
    let m = s.services.add_body_member(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": m })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MeetingBody {
    #[serde(flatten)]
    meeting: MeetingInput,
    cases: Vec<String>,
    /// Member ids; none: every member.
    invited: Vec<String>,
}

async fn create_meeting(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MeetingBody>,
) -> ApiResult<Json<Value>> {
    let m = s
        .services
        .create_meeting(&a, &ctx, id, &b.meeting, &b.cases, &b.invited)
        .await?;
    Ok(Json(json!({ "id": m })))
}

async fn meeting(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MeetingView>> {
    Ok(Json(s.services.meeting(&a, &ctx, id).await?))
}

#[derive(Deserialize)]
struct AttendanceRow {
    member_id: String,
    attendance: String,
}

async fn attendance(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(rows): ApiJson<Vec<AttendanceRow>>,
) -> ApiResult<Json<Value>> {
    let rows: Vec<(String, String)> = rows
        .into_iter()
        .map(|r| (r.member_id, r.attendance))
        .collect();
    s.services.record_attendance(&a, &ctx, id, &rows).await?;
    Ok(Json(json!({ "recorded": rows.len() })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MinutesBody {
    minutes: String,
}

async fn minutes(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, item)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<MinutesBody>,
) -> ApiResult<Json<Value>> {
    s.services
        .record_minutes(&a, &ctx, id, item, &b.minutes)
        .await?;
    Ok(Json(json!({ "item": item })))
}

async fn approve(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    s.services.approve_minutes(&a, &ctx, id).await?;
    Ok(Json(json!({ "approved": true })))
}

async fn add_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<AgreementInput>,
) -> ApiResult<Json<Value>> {
    let ag = s.services.add_agreement(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": ag })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusBody {
    status: String,
    reason: String,
}

async fn agreement_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    s.services
        .set_agreement_status(&a, &ctx, id, &b.status, &b.reason)
        .await?;
    Ok(Json(json!({ "status": b.status.trim() })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CalendarParams {
    from: String,
    to: String,
}

async fn calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    axum::extract::Query(p): axum::extract::Query<CalendarParams>,
) -> ApiResult<Json<Vec<itinera_service::coordination::CalendarEntry>>> {
    let date = |v: &str, field: &str, default: chrono::NaiveDate| {
        if v.trim().is_empty() {
            Ok(default)
        } else {
            itinera_domain::input::parse_date(v)
                .map_err(|code| itinera_domain::Error::field(field, code))
        }
    };
    let from = date(&p.from, "from", ctx.today())?;
    let to = date(&p.to, "to", from + chrono::Duration::days(90))?;
    Ok(Json(s.services.calendar(&a, from, to).await?))
}

async fn create_feed(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Value>> {
    let token = s.services.create_calendar_feed(&a, &ctx).await?;
    Ok(Json(
        json!({"token": token, "path": format!("/calendar/feed/{token}.ics")}),
    ))
}

async fn revoke_feed(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Value>> {
    s.services.revoke_calendar_feed(&a, &ctx).await?;
    Ok(Json(json!({"revoked": true})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SearchParams {
    q: String,
    body: Option<Uuid>,
}

async fn network_agreements(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    axum::extract::Query(p): axum::extract::Query<SearchParams>,
) -> ApiResult<Json<itinera_service::coordination::NetworkAgreements>> {
    Ok(Json(
        s.services
            .network_agreements(&a, &ctx, &p.q, p.body)
            .await?,
    ))
}

async fn create_network_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<itinera_domain::network::NetworkAgreementInput>,
) -> ApiResult<Json<Value>> {
    let id = s.services.create_network_agreement(&a, &ctx, &b).await?;
    Ok(Json(json!({ "id": id })))
}

async fn notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::coordination::Notification>>> {
    Ok(Json(s.services.notifications(&a).await?))
}

async fn read_notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Value>> {
    let n = s.services.read_notifications(&a, &ctx).await?;
    Ok(Json(json!({ "read": n })))
}

async fn report(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<PeriodParams>,
) -> ApiResult<Json<BodyReport>> {
    Ok(Json(
        s.services
            .coordination_report(&a, &ctx, id, &p.from, &p.to)
            .await?,
    ))
}

async fn report_csv(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<PeriodParams>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .services
        .coordination_report(&a, &ctx, id, &p.from, &p.to)
        .await?;
    let bytes = export::csv_bytes(crate::http::lang_of(&headers), &r)?;
    Ok(export::download(&r, "csv", export::CSV, bytes))
}

async fn report_xlsx(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<PeriodParams>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .services
        .coordination_report(&a, &ctx, id, &p.from, &p.to)
        .await?;
    let bytes = export::xlsx_bytes(crate::http::lang_of(&headers), &r)?;
    Ok(export::download(&r, "xlsx", export::XLSX, bytes))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OverviewParams {
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn overview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<OverviewParams>,
) -> ApiResult<Json<itinera_service::aggregates::ProgrammeOverview>> {
    let (_, o) = s
        .services
        .body_overview(
            &a,
            &ctx,
            id,
            itinera_domain::PageRequest::new(p.page, p.per_page),
        )
        .await?;
    Ok(Json(o))
}

async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BodyInput>,
) -> ApiResult<Json<Value>> {
    s.services.update_body(&a, &ctx, id, &b).await?;
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleBody {
    role: String,
}

async fn member_role(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<Value>> {
    s.services
        .change_body_member(&a, &ctx, id, member, Some(&b.role))
        .await?;
    Ok(Json(json!({ "id": member, "role": b.role })))
}

async fn remove_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Value>> {
    s.services
        .change_body_member(&a, &ctx, id, member, None)
        .await?;
    Ok(Json(json!({ "removed": member })))
}

async fn minutes_text(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::response::Response> {
    let v = s.services.meeting(&a, &ctx, id).await?;
    Ok(crate::views::coordination::minutes_download(
        crate::http::lang_of(&headers),
        &v,
    ))
}
