//! Coordination: `/bodies`, `/meetings`, `/agreements`, `/calendar`, `/network-agreements`, `/notifications`, a body's report and overview.

use super::openapi::*;
use super::{ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::export;
use crate::export::PeriodParams;
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_domain::coordination::{AgreementInput, BodyInput, MeetingInput};
use itinera_service::coordination::Body;
use itinera_service::coordination::{BodyReport, BodyView, MeetingView, MemberInput};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(member_role, remove_member))
        .routes(routes!(add_member))
        .routes(routes!(report))
        .routes(routes!(overview))
        .routes(routes!(report_csv))
        .routes(routes!(report_xlsx))
        .routes(routes!(create_meeting))
        .routes(routes!(meeting))
        .routes(routes!(minutes_text))
        .routes(routes!(attendance))
        .routes(routes!(minutes))
        .routes(routes!(approve))
        .routes(routes!(add_agreement))
        .routes(routes!(agreement_status))
        .routes(routes!(calendar))
        .routes(routes!(create_feed, revoke_feed))
        .routes(routes!(network_agreements, create_network_agreement))
        .routes(routes!(notifications))
        .routes(routes!(read_notifications))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct MeetingBody {
    #[serde(flatten)]
    meeting: MeetingInput,
    cases: Vec<String>,
    /// Member ids; none: every member.
    invited: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AttendanceRow {
    member_id: String,
    attendance: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct MinutesBody {
    minutes: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct StatusBody {
    status: String,
    reason: String,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub(crate) struct CalendarParams {
    from: String,
    to: String,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub(crate) struct SearchParams {
    q: String,
    body: Option<Uuid>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct OverviewParams {
    page: Option<u32>,
    per_page: Option<u32>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct RoleBody {
    role: String,
}

/// The coordination bodies the caller is a member of (in person or through their
/// organisation)
#[utoipa::path(get, path = "/bodies", tag = "coordination",
    responses((status = 200, body = Vec<Body>), Unauthenticated, Forbidden))]
async fn list(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Vec<Body>>> {
    Ok(Json(s.services.bodies(&a).await?))
}
/// Convene a coordination body (the caller chairs it)
#[utoipa::path(post, path = "/bodies", tag = "coordination",
    request_body = BodyInput,
    responses((status = 200, body = Saved), Unauthenticated, Forbidden, Invalid))]
async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<BodyInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.create_body(&a, &ctx, &b).await?;
    Ok(Json(Saved { id }))
}
/// A body: members, meetings, open agreements, the coming meetings its frequency plans
#[utoipa::path(get, path = "/bodies/{id}", tag = "coordination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BodyView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<BodyView>> {
    Ok(Json(s.services.body(&a, &ctx, id).await?))
}
/// Change a body's name, frequency, first meeting or description (its level and scope
/// stay)
#[utoipa::path(put, path = "/bodies/{id}", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = BodyInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<BodyInput>,
) -> ApiResult<Json<Saved>> {
    s.services.update_body(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// Change a member's role (a body keeps a chair)
#[utoipa::path(put, path = "/bodies/{id}/members/{member}", tag = "coordination",
    params(("id" = Uuid, Path), ("member" = Uuid, Path)),
    request_body = RoleBody,
    responses((status = 200, body = MemberRole), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn member_role(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<MemberRole>> {
    s.services
        .change_body_member(&a, &ctx, id, member, Some(&b.role))
        .await?;
    Ok(Json(MemberRole {
        id: member,
        role: b.role,
    }))
}
/// Remove a member (a body keeps a chair); their past attendance and agreements stay
#[utoipa::path(delete, path = "/bodies/{id}/members/{member}", tag = "coordination",
    params(("id" = Uuid, Path), ("member" = Uuid, Path)),
    responses((status = 200, body = MemberRemoved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn remove_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<MemberRemoved>> {
    s.services
        .change_body_member(&a, &ctx, id, member, None)
        .await?;
    Ok(Json(MemberRemoved { removed: member }))
}
/// Name a member: an organisation, or one of its professionals
#[utoipa::path(post, path = "/bodies/{id}/members", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = MemberInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MemberInput>,
) -> ApiResult<Json<Saved>> {
    let m = s.services.add_body_member(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id: m }))
}
/// The body's coordination report for a period (default: the last twelve months):
/// meetings planned vs held, attendance per organisation, agreements, cases reviewed,
/// joint interviews
#[utoipa::path(get, path = "/bodies/{id}/report", tag = "coordination",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, body = BodyReport), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Json<BodyReport>> {
    Ok(Json(
        s.services
            .coordination_report(&a, &ctx, id, &p.from, &p.to)
            .await?,
    ))
}
/// What a level-1 or level-2 body sees of its programme: cases per phase and a
/// pseudonymised list, never a name
#[utoipa::path(get, path = "/bodies/{id}/overview", tag = "coordination",
    params(("id" = Uuid, Path), OverviewParams),
    responses((status = 200, body = itinera_service::aggregates::ProgrammeOverview), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn overview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<OverviewParams>,
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
/// The coordination report as CSV (UTF-8 with BOM, ';', headers in the Accept-Language)
#[utoipa::path(get, path = "/bodies/{id}/report.csv", tag = "coordination",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, description = "The report as CSV (UTF-8 with BOM, `;`)", content_type = "text/csv", body = String), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report_csv(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .services
        .coordination_report(&a, &ctx, id, &p.from, &p.to)
        .await?;
    let bytes = export::csv_bytes(crate::http::lang_of(&headers), &r)?;
    Ok(export::download(&r, "csv", export::CSV, bytes))
}
/// The coordination report as an XLSX workbook (one sheet per table)
#[utoipa::path(get, path = "/bodies/{id}/report.xlsx", tag = "coordination",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, description = "The report as an XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn report_xlsx(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .services
        .coordination_report(&a, &ctx, id, &p.from, &p.to)
        .await?;
    let bytes = export::xlsx_bytes(crate::http::lang_of(&headers), &r)?;
    Ok(export::download(&r, "xlsx", export::XLSX, bytes))
}
/// Plan a meeting; its agenda starts with the body's open agreements, then topics, then
/// (level 3) cases
#[utoipa::path(post, path = "/bodies/{id}/meetings", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = MeetingBody,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn create_meeting(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MeetingBody>,
) -> ApiResult<Json<Saved>> {
    let m = s
        .services
        .create_meeting(&a, &ctx, id, &b.meeting, &b.cases, &b.invited)
        .await?;
    Ok(Json(Saved { id: m }))
}
/// A meeting as the caller may see it (cases named only where the access rule allows;
/// audited)
#[utoipa::path(get, path = "/meetings/{id}", tag = "coordination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn meeting(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MeetingView>> {
    Ok(Json(s.services.meeting(&a, &ctx, id).await?))
}
/// The minutes as a plain-text document in the Accept-Language (cases named only as far
/// as the reader may see them; an audited read)
#[utoipa::path(get, path = "/meetings/{id}/minutes.txt", tag = "coordination",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The minutes as plain text", content_type = "text/plain", body = String), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn minutes_text(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::response::Response> {
    let v = s.services.meeting(&a, &ctx, id).await?;
    Ok(crate::export::minutes_download(
        crate::http::lang_of(&headers),
        &v,
    ))
}
/// Record attendance
#[utoipa::path(put, path = "/meetings/{id}/attendance", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = Vec<AttendanceRow>,
    responses((status = 200, body = Recorded), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn attendance(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(rows): ApiJson<Vec<AttendanceRow>>,
) -> ApiResult<Json<Recorded>> {
    let rows: Vec<(String, String)> = rows
        .into_iter()
        .map(|r| (r.member_id, r.attendance))
        .collect();
    s.services.record_attendance(&a, &ctx, id, &rows).await?;
    Ok(Json(Recorded {
        recorded: rows.len(),
    }))
}
/// Write the minutes of an agenda item
#[utoipa::path(put, path = "/meetings/{id}/items/{item}/minutes", tag = "coordination",
    params(("id" = Uuid, Path), ("item" = Uuid, Path)),
    request_body = MinutesBody,
    responses((status = 200, body = MinutesSaved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn minutes(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path((id, item)): Path<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<MinutesBody>,
) -> ApiResult<Json<MinutesSaved>> {
    s.services
        .record_minutes(&a, &ctx, id, item, &b.minutes)
        .await?;
    Ok(Json(MinutesSaved { item }))
}
/// Approve the minutes (frozen from then on)
#[utoipa::path(post, path = "/meetings/{id}/approval", tag = "coordination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Approved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn approve(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Approved>> {
    s.services.approve_minutes(&a, &ctx, id).await?;
    Ok(Json(Approved { approved: true }))
}
/// Record an agreement (owner a member; case on the agenda)
#[utoipa::path(post, path = "/meetings/{id}/agreements", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = AgreementInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn add_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<AgreementInput>,
) -> ApiResult<Json<Saved>> {
    let ag = s.services.add_agreement(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id: ag }))
}
/// Mark an agreement done, drop it (with a reason) or reopen it
#[utoipa::path(post, path = "/agreements/{id}/status", tag = "coordination",
    params(("id" = Uuid, Path)),
    request_body = StatusBody,
    responses((status = 200, body = StatusSet), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn agreement_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<StatusSet>> {
    s.services
        .set_agreement_status(&a, &ctx, id, &b.status, &b.reason)
        .await?;
    Ok(Json(StatusSet {
        status: b.status.trim().to_string(),
    }))
}
/// The meetings of the caller's bodies between two dates (default: the next 90 days)
#[utoipa::path(get, path = "/calendar", tag = "coordination",
    params(CalendarParams),
    responses((status = 200, body = Vec<itinera_service::coordination::CalendarEntry>), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<CalendarParams>,
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
/// A new secret iCalendar (RFC 5545) feed address for the caller; the previous one
/// stops working. The feed, at /calendar/feed/{token}.ics (outside /api/v1, no bearer),
/// carries bodies, times and places, never participants.
#[utoipa::path(post, path = "/calendar/feed", tag = "coordination",
    responses((status = 200, body = Feed), Unauthenticated, Forbidden))]
async fn create_feed(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Feed>> {
    let token = s.services.create_calendar_feed(&a, &ctx).await?;
    Ok(Json(Feed {
        path: format!("/calendar/feed/{token}.ics"),
        token,
    }))
}
/// Revoke the caller's feed
#[utoipa::path(delete, path = "/calendar/feed", tag = "coordination",
    responses((status = 200, body = Revoked), Unauthenticated, Forbidden))]
async fn revoke_feed(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<Revoked>> {
    s.services.revoke_calendar_feed(&a, &ctx).await?;
    Ok(Json(Revoked { revoked: true }))
}
/// The network's collaboration agreements and protocols, searched by subject or party,
/// with how many are in force
#[utoipa::path(get, path = "/network-agreements", tag = "coordination",
    params(SearchParams),
    responses((status = 200, body = itinera_service::coordination::NetworkAgreements), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn network_agreements(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<itinera_service::coordination::NetworkAgreements>> {
    Ok(Json(
        s.services
            .network_agreements(&a, &ctx, &p.q, p.body)
            .await?,
    ))
}
/// Record a network agreement
#[utoipa::path(post, path = "/network-agreements", tag = "coordination",
    request_body = itinera_domain::network::NetworkAgreementInput,
    responses((status = 200, body = Saved), Unauthenticated, Forbidden, Invalid))]
async fn create_network_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<itinera_domain::network::NetworkAgreementInput>,
) -> ApiResult<Json<Saved>> {
    let id = s.services.create_network_agreement(&a, &ctx, &b).await?;
    Ok(Json(Saved { id }))
}
/// The caller's unread notices: agreements assigned to them, or overdue (told once
/// each)
#[utoipa::path(get, path = "/notifications", tag = "coordination",
    responses((status = 200, body = Vec<itinera_service::coordination::Notification>), Unauthenticated, Forbidden))]
async fn notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<itinera_service::coordination::Notification>>> {
    Ok(Json(s.services.notifications(&a).await?))
}
/// Mark the caller's notices read
#[utoipa::path(post, path = "/notifications/read", tag = "coordination",
    responses((status = 200, body = NoticesRead), Unauthenticated, Forbidden))]
async fn read_notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<NoticesRead>> {
    let n = s.services.read_notifications(&a, &ctx, None).await?;
    Ok(Json(NoticesRead { read: n }))
}
