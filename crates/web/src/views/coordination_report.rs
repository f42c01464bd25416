//! A body's coordination report: a page with its figures and charts for a period, and
//! the same tables as CSV and XLSX (the API serves the same exports).

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use itinera_domain::Error;
use itinera_i18n::{t, Lang};
use itinera_service::coordination::BodyReport;
use itinera_tabular::write::{Cell, Table};
use serde::Deserialize;
use uuid::Uuid;

use super::{render, PageCtx, Session, ViewError, ViewResult};
use crate::http::{lang_of, RequestCtx};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies/{id}/report", get(page))
        .route("/bodies/{id}/report.csv", get(csv))
        .route("/bodies/{id}/report.xlsx", get(xlsx))
}

/// A report's period (`YYYY-MM-DD` or `DD/MM/YYYY`; default: the last twelve months).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PeriodParams {
    pub from: String,
    pub to: String,
}

/// The report as tables, headed in the reader's language.
pub fn tables(lang: Lang, r: &BodyReport) -> Vec<Table> {
    let x = &r.report;
    let a = &x.agreements;
    let row = |k: &str, v: Cell| vec![Cell::from(t(lang, k)), v];
    vec![
        Table {
            title: t(lang, "report.summary").into(),
            header: vec![
                t(lang, "report.indicator").into(),
                t(lang, "report.value").into(),
            ],
            rows: vec![
                row("report.body", Cell::from(r.body.name.clone())),
                row("report.from", Cell::from(x.period.from.to_string())),
                row("report.to", Cell::from(x.period.to.to_string())),
                row("report.planned", x.planned.into()),
                row("report.held", x.held.into()),
                row("report.not_held", x.not_held.into()),
                row("report.held_rate", x.held_rate().into()),
                row("report.agreements_made", a.made.into()),
                row("report.done_on_time", a.done_on_time.into()),
                row("report.done_late", a.done_late.into()),
                row("report.overdue", a.overdue.into()),
                row("report.open", a.open.into()),
                row("report.dropped", a.dropped.into()),
                row("report.on_time_rate", x.on_time_rate().into()),
                row("report.cases_reviewed", x.cases_reviewed.into()),
                row("report.joint_interviews", x.joint_interviews_total.into()),
            ],
        },
        Table {
            title: t(lang, "report.attendance").into(),
            header: vec![
                t(lang, "coordination.organisation").into(),
                t(lang, "attendance.present").into(),
                t(lang, "attendance.excused").into(),
                t(lang, "attendance.absent").into(),
                t(lang, "report.rate").into(),
            ],
            rows: x
                .attendance
                .iter()
                .map(|o| {
                    vec![
                        o.organisation.clone().into(),
                        o.present.into(),
                        o.excused.into(),
                        o.absent.into(),
                        o.rate.into(),
                    ]
                })
                .collect(),
        },
        Table {
            title: t(lang, "report.joint_interviews").into(),
            header: vec![
                t(lang, "coordination.organisation").into(),
                t(lang, "report.count").into(),
            ],
            rows: x
                .joint_interviews
                .iter()
                .map(|j| vec![j.organisation.clone().into(), j.count.into()])
                .collect(),
        },
    ]
}

/// A download named after the body and the period.
pub fn download(r: &BodyReport, ext: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let slug: String = r
        .body
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}-{}.{ext}\"",
                    slug.trim_matches('-'),
                    r.report.period.from,
                    r.report.period.to
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

pub fn csv_bytes(lang: Lang, r: &BodyReport) -> Result<Vec<u8>, Error> {
    itinera_tabular::write::csv(&tables(lang, r)).map_err(|e| Error::Internal(e.to_string()))
}

pub fn xlsx_bytes(lang: Lang, r: &BodyReport) -> Result<Vec<u8>, Error> {
    itinera_tabular::write::xlsx(&tables(lang, r)).map_err(|e| Error::Internal(e.to_string()))
}

#[derive(Template)]
#[template(path = "coordination/report.html")]
struct ReportPage {
    page: PageCtx,
    r: BodyReport,
    from: String,
    to: String,
    query: String,
    errors: super::FormErrors,
}

impl ReportPage {
    /// A bar's width (of 300) for `n` against the largest value `max`.
    fn bar(&self, n: &u32, max: &u32) -> u32 {
        if *max == 0 {
            0
        } else {
            n * 300 / max
        }
    }
    fn rate_bar(&self, rate: &Option<f64>) -> u32 {
        rate.map_or(0, |r| (r * 3.0).round() as u32)
    }
    fn pct(&self, rate: impl std::borrow::Borrow<Option<f64>>) -> String {
        rate.borrow()
            .map_or("—".into(), |r| format!("{r:.1} %").replace('.', ","))
    }
    fn planned_or_held_max(&self) -> u32 {
        self.r.report.planned.max(self.r.report.held).max(1)
    }
    fn agreement_rows(&self) -> Vec<(&'static str, u32)> {
        let a = &self.r.report.agreements;
        vec![
            ("report.done_on_time", a.done_on_time),
            ("report.done_late", a.done_late),
            ("report.overdue", a.overdue),
            ("report.open", a.open),
            ("report.dropped", a.dropped),
        ]
    }
    fn agreements_max(&self) -> u32 {
        self.r.report.agreements.made.max(1)
    }
}

async fn report(
    s: &AppState,
    session: &itinera_service::auth::SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    p: &PeriodParams,
) -> Result<BodyReport, ViewError> {
    Ok(s.services
        .coordination_report(&session.actor, ctx, id, &p.from, &p.to)
        .await?)
}

async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .coordination_report(&session.actor, &ctx, id, &p.from, &p.to)
        .await
    {
        Ok(r) => {
            let (from, to) = (
                r.report.period.from.to_string(),
                r.report.period.to.to_string(),
            );
            Ok(render(&ReportPage {
                page: PageCtx::new(lang, Some(&session), "report.title"),
                query: format!("from={from}&to={to}"),
                from,
                to,
                r,
                errors: super::FormErrors::none(lang),
            }))
        }
        // A period that cannot be: the dates as typed, with why, over the default report.
        Err(e @ Error::Invalid(_)) => {
            let errors = super::FormErrors::from_error(lang, e)?;
            let r = report(&s, &session, &ctx, id, &PeriodParams::default()).await?;
            let query = format!("from={}&to={}", r.report.period.from, r.report.period.to);
            Ok(super::render_invalid(&ReportPage {
                page: PageCtx::new(lang, Some(&session), "report.title"),
                query,
                from: p.from,
                to: p.to,
                r,
                errors,
            }))
        }
        Err(e) => Err(e.into()),
    }
}

async fn csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let r = report(&s, &session, &ctx, id, &p).await?;
    let bytes = csv_bytes(lang_of(&headers), &r)?;
    Ok(download(&r, "csv", CSV, bytes))
}

async fn xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let r = report(&s, &session, &ctx, id, &p).await?;
    let bytes = xlsx_bytes(lang_of(&headers), &r)?;
    Ok(download(&r, "xlsx", XLSX, bytes))
}
