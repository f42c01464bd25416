//! A body's coordination report: a page with its figures and charts for a period, and
//! the same tables as CSV and XLSX (the API serves the same exports).

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::Error;
use itinera_service::coordination::BodyReport;
use uuid::Uuid;

use crate::export::{csv_bytes, download, xlsx_bytes, PeriodParams, CSV, XLSX};
use crate::http::{lang_of, RequestCtx};
use crate::views::page::{render, PageCtx, Session, ViewError, ViewResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies/{id}/report", get(page))
        .route("/bodies/{id}/report.csv", get(csv))
        .route("/bodies/{id}/report.xlsx", get(xlsx))
}

#[derive(Template)]
#[template(path = "coordination/report.html")]
struct ReportPage {
    page: PageCtx,
    r: BodyReport,
    from: String,
    to: String,
    query: String,
    errors: crate::views::page::FormErrors,
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
    /// A percentage (0–100) with one decimal, in the reader's language.
    fn pct(&self, rate: impl std::borrow::Borrow<Option<f64>>) -> String {
        rate.borrow()
            .map_or("—".into(), |r| format!("{} %", self.page.fixed(r, 1)))
    }
    /// A figure about people as published: the number, or "< threshold" when hidden.
    fn fig(&self, v: &Option<u32>) -> String {
        match v {
            Some(n) => self.page.int(*n),
            None => format!("< {}", self.r.report.threshold),
        }
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
                errors: crate::views::page::FormErrors::none(lang),
            }))
        }
        // A period that cannot be: the dates as typed, with why, over the default report.
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::views::page::FormErrors::from_error(lang, e)?;
            let r = report(&s, &session, &ctx, id, &PeriodParams::default()).await?;
            let query = format!("from={}&to={}", r.report.period.from, r.report.period.to);
            Ok(crate::views::page::render_invalid(&ReportPage {
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
