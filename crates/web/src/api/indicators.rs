//! Indicators and evaluation: a programme's objectives sheet
//! (`/programmes/{id}/indicators`, `/indicators/{id}`), its ESF participant indicators
//! (`/programmes/{id}/esf`, with the data-quality list) and a closed case's six-month
//! follow-up (`/cases/{id}/esf/followup`). Exports as CSV and XLSX.

use super::openapi::*;
use super::{created, ApiActor, ApiJson, ApiResult};
use super::{Path, Query};
use crate::export::{self, PeriodParams};
use crate::http::{lang_of, RequestCtx};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use itinera_domain::compliance::RulesInput;
use itinera_domain::objectives::ObjectiveInput;
use itinera_service::compliance::{ComplianceParams, ComplianceView, RuleLimit};
use itinera_service::dashboard::{Dashboard, DashboardParams};
use itinera_service::esf::{EsfDataQuality, EsfTable, FollowupInput, FollowupView};
use itinera_service::objectives::{ObjectiveRecords, ObjectiveView, ObjectivesSheet};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sheet, create_objective))
        .routes(routes!(sheet_csv))
        .routes(routes!(sheet_xlsx))
        .routes(routes!(objective, update_objective, delete_objective))
        .routes(routes!(objective_records))
        .routes(routes!(esf_table))
        .routes(routes!(esf_csv))
        .routes(routes!(esf_xlsx))
        .routes(routes!(esf_quality))
        .routes(routes!(followup, record_followup))
        .routes(routes!(dashboard))
        .routes(routes!(dashboard_csv))
        .routes(routes!(compliance))
        .routes(routes!(compliance_rules, set_compliance_rules))
}

/// The chart a dashboard's CSV holds, with the dashboard's filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ChartParams {
    /// `funnel`, `flow`, `sex_age`, `territory`, `groups`, `referrals`, `training`,
    /// `attendance`, `placements` or `incidents`.
    pub chart: String,
    #[serde(flatten)]
    #[param(inline)]
    pub filters: DashboardParams,
}

/// The ESF table's choices: the indicator set, the period, a project.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct EsfParams {
    /// `esf_plus_2021_2027` (default) or `esf_2014_2020`.
    pub set: String,
    /// First day (default: 1 January of this year).
    pub from: String,
    /// Last day (default: 31 December of this year).
    pub to: String,
    /// One of the programme's projects (default: the whole programme).
    pub project_id: String,
    /// Compute the figures again rather than show the ones kept.
    #[serde(deserialize_with = "itinera_domain::input::lenient_bool")]
    pub fresh: bool,
}

impl EsfParams {
    fn project(&self) -> Result<Option<Uuid>, itinera_domain::Error> {
        itinera_domain::input::optional_id(&self.project_id)
            .map_err(|c| itinera_domain::Error::field("project_id", c))
    }
}

/// The objectives sheet of a programme: target, achieved (computed by its measure or
/// entered by hand), met, progress; objectives whose period meets `from`–`to`
#[utoipa::path(get, path = "/programmes/{id}/indicators", tag = "indicators",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, body = ObjectivesSheet), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn sheet(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Json<ObjectivesSheet>> {
    Ok(Json(
        s.services
            .objectives_sheet(&a, &ctx, id, &p.from, &p.to, p.fresh)
            .await?,
    ))
}
/// Add an objective to a programme's sheet (programme managers, coordinators)
#[utoipa::path(post, path = "/programmes/{id}/indicators", tag = "indicators",
    params(("id" = Uuid, Path)),
    request_body = ObjectiveInput,
    responses((status = 201, description = "Created; its address in `Location`", body = Created), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn create_objective(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ObjectiveInput>,
) -> ApiResult<Response> {
    let oid = s.services.create_objective(&a, &ctx, id, &b).await?;
    Ok(created(format!("/api/v1/indicators/{oid}"), oid))
}
/// The objectives sheet as CSV (UTF-8 with BOM, `;`, headers in the Accept-Language)
#[utoipa::path(get, path = "/programmes/{id}/indicators.csv", tag = "indicators",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, description = "The sheet as CSV", content_type = "text/csv", body = String), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn sheet_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Response> {
    let sheet = s
        .services
        .objectives_sheet(&a, &ctx, id, &p.from, &p.to, p.fresh)
        .await?;
    Ok(export::objectives_file(
        lang_of(&headers),
        &sheet,
        export::Format::Csv,
    )?)
}
/// The objectives sheet as an XLSX workbook
#[utoipa::path(get, path = "/programmes/{id}/indicators.xlsx", tag = "indicators",
    params(("id" = Uuid, Path), PeriodParams),
    responses((status = 200, description = "The sheet as an XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn sheet_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<Response> {
    let sheet = s
        .services
        .objectives_sheet(&a, &ctx, id, &p.from, &p.to, p.fresh)
        .await?;
    Ok(export::objectives_file(
        lang_of(&headers),
        &sheet,
        export::Format::Xlsx,
    )?)
}
/// One objective with its achieved value
#[utoipa::path(get, path = "/indicators/{id}", tag = "indicators",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ObjectiveView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn objective(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ObjectiveView>> {
    Ok(Json(s.services.objective(&a, &ctx, id).await?))
}
/// Change an objective (its target, measure, period, a value entered by hand and its
/// evidence) at the version read
#[utoipa::path(put, path = "/indicators/{id}", tag = "indicators",
    params(("id" = Uuid, Path)),
    request_body = ObjectiveInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid))]
async fn update_objective(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<ObjectiveInput>,
) -> ApiResult<Json<Saved>> {
    s.services.update_objective(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// Remove an objective from its sheet
#[utoipa::path(delete, path = "/indicators/{id}", tag = "indicators",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn delete_objective(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Saved>> {
    s.services.delete_objective(&a, &ctx, id).await?;
    Ok(Json(Saved { id }))
}
/// The ESF common participant indicators of a programme for a period, by sex, with
/// counts below the deployment's threshold suppressed
#[utoipa::path(get, path = "/programmes/{id}/esf", tag = "indicators",
    params(("id" = Uuid, Path), EsfParams),
    responses((status = 200, body = EsfTable), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn esf_table(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ApiResult<Json<EsfTable>> {
    let t = s
        .services
        .esf_table(
            &a,
            &ctx,
            id,
            p.project()?,
            Some(&p.set),
            &p.from,
            &p.to,
            p.fresh,
        )
        .await?;
    Ok(Json(t))
}
/// The ESF indicators as CSV (codes, names, values by sex, totals, period, operation)
#[utoipa::path(get, path = "/programmes/{id}/esf.csv", tag = "indicators",
    params(("id" = Uuid, Path), EsfParams),
    responses((status = 200, description = "The table as CSV", content_type = "text/csv", body = String), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn esf_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ApiResult<Response> {
    let t = s
        .services
        .esf_table(
            &a,
            &ctx,
            id,
            p.project()?,
            Some(&p.set),
            &p.from,
            &p.to,
            p.fresh,
        )
        .await?;
    Ok(export::esf_file(
        lang_of(&headers),
        &t,
        export::Format::Csv,
    )?)
}
/// The ESF indicators as an XLSX workbook
#[utoipa::path(get, path = "/programmes/{id}/esf.xlsx", tag = "indicators",
    params(("id" = Uuid, Path), EsfParams),
    responses((status = 200, description = "The table as an XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn esf_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ApiResult<Response> {
    let t = s
        .services
        .esf_table(
            &a,
            &ctx,
            id,
            p.project()?,
            Some(&p.set),
            &p.from,
            &p.to,
            p.fresh,
        )
        .await?;
    Ok(export::esf_file(
        lang_of(&headers),
        &t,
        export::Format::Xlsx,
    )?)
}
/// The participants (pseudonymised) whose missing data keep them out of an ESF count
#[utoipa::path(get, path = "/programmes/{id}/esf/data-quality", tag = "indicators",
    params(("id" = Uuid, Path), EsfParams),
    responses((status = 200, body = EsfDataQuality), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn esf_quality(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ApiResult<Json<EsfDataQuality>> {
    let q = s
        .services
        .esf_data_quality(&a, &ctx, id, Some(&p.set), &p.from, &p.to)
        .await?;
    Ok(Json(q))
}
/// The six-month follow-up of a closed case (audited read)
#[utoipa::path(get, path = "/cases/{id}/esf/followup", tag = "indicators",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = FollowupView), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn followup(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<FollowupView>> {
    Ok(Json(s.services.esf_followup(&a, &ctx, id).await?))
}
/// Record the six-month follow-up of a closed case: whether the person's labour-market
/// situation improved (a writer on its team)
#[utoipa::path(post, path = "/cases/{id}/esf/followup", tag = "indicators",
    params(("id" = Uuid, Path)),
    request_body = FollowupInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn record_followup(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<FollowupInput>,
) -> ApiResult<Json<Saved>> {
    s.services.record_esf_followup(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// A programme's dashboard: every chart with the table it is drawn from, filtered by
/// project, territory, organisation and period, small counts suppressed
#[utoipa::path(get, path = "/programmes/{id}/dashboard", tag = "indicators",
    params(("id" = Uuid, Path), DashboardParams),
    responses((status = 200, body = Dashboard), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn dashboard(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<DashboardParams>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(
        s.services
            .dashboard(&a, &ctx, lang_of(&headers), id, &p)
            .await?,
    ))
}
/// One chart of the dashboard as CSV
#[utoipa::path(get, path = "/programmes/{id}/dashboard.csv", tag = "indicators",
    params(("id" = Uuid, Path), ChartParams),
    responses((status = 200, description = "The chart's table as CSV", content_type = "text/csv", body = String), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn dashboard_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<ChartParams>,
) -> ApiResult<Response> {
    let d = s
        .services
        .dashboard(&a, &ctx, lang_of(&headers), id, &p.filters)
        .await?;
    Ok(export::dashboard_chart(lang_of(&headers), &d, &p.chart)?)
}
/// Protocol compliance of a programme: per rule, met, late and overdue in the period,
/// by organisation, territory or case manager, month by month; the cases out of
/// protocol the reader may see
#[utoipa::path(get, path = "/programmes/{id}/compliance", tag = "indicators",
    params(("id" = Uuid, Path), ComplianceParams),
    responses((status = 200, body = ComplianceView), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn compliance(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<ComplianceParams>,
) -> ApiResult<Json<ComplianceView>> {
    Ok(Json(s.services.compliance(&a, &ctx, id, &p).await?))
}
/// The limits, in days, of a programme's protocol rules
#[utoipa::path(get, path = "/programmes/{id}/compliance/rules", tag = "indicators",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RuleLimit>), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn compliance_rules(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<RuleLimit>>> {
    Ok(Json(s.services.compliance_limits(&a, id).await?))
}
/// Change the limits of a programme's protocol rules (every rule, in days)
#[utoipa::path(put, path = "/programmes/{id}/compliance/rules", tag = "indicators",
    params(("id" = Uuid, Path)),
    request_body = RulesInput,
    responses((status = 200, body = Saved), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid))]
async fn set_compliance_rules(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<RulesInput>,
) -> ApiResult<Json<Saved>> {
    s.services.set_compliance_limits(&a, &ctx, id, &b).await?;
    Ok(Json(Saved { id }))
}
/// The records behind an objective's achieved value: cases (named to whom may see
/// them, pseudonymised otherwise), meetings or agreements
#[utoipa::path(get, path = "/indicators/{id}/records", tag = "indicators",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ObjectiveRecords), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn objective_records(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ObjectiveRecords>> {
    Ok(Json(s.services.objective_records(&a, &ctx, id).await?))
}
