//! A programme's overview for programme managers (and, through `coordination`, the
//! bodies of levels 1 and 2): cases per phase and a pseudonymised list, never a name.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::PageRequest;
use itinera_service::admin::Programme;
use itinera_service::aggregates::ProgrammeOverview;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{render, PageCtx, Session, ViewResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/programmes/{id}/overview", get(overview))
}

#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct OverviewPage {
    pub page: PageCtx,
    pub programme: Programme,
    pub phases: Vec<itinera_service::admin::Phase>,
    pub o: ProgrammeOverview,
    /// The level-1 or level-2 body this is shown to, if any.
    pub body: Option<(Uuid, String)>,
}

impl OverviewPage {
    /// The count of a status and phase as published: a number, or "< threshold".
    fn cell(&self, status: &str, code: &str) -> String {
        match self
            .o
            .counts
            .iter()
            .find(|c| c.phase == code && c.status == status)
        {
            None => "0".into(),
            Some(c) => match c.count {
                Some(n) => self.page.int(n),
                None => format!("< {}", self.o.threshold),
            },
        }
    }
    fn shown(&self, status: &str, code: &str) -> i64 {
        self.o
            .counts
            .iter()
            .find(|c| c.phase == code && c.status == status)
            .and_then(|c| c.count)
            .unwrap_or(0)
    }
    fn total(&self) -> String {
        match self.o.total {
            Some(n) => self.page.int(n),
            None => format!("< {}", self.o.threshold),
        }
    }
    /// The bar of a phase's open cases (0–100), against the largest shown.
    fn bar(&self, code: &str) -> i64 {
        let max = self
            .phases
            .iter()
            .map(|p| self.shown("open", &p.code))
            .max()
            .unwrap_or(0)
            .max(1);
        self.shown("open", code) * 100 / max
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct OverviewParams {
    pub page: Option<u32>,
}

async fn overview(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<OverviewParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let o = s
        .services
        .programme_overview(&session.actor, &ctx, id, PageRequest::new(p.page, Some(50)))
        .await?;
    let view = s.services.programme(id).await?;
    Ok(render(&OverviewPage {
        page: PageCtx::new(lang, Some(&session), "overview.title"),
        programme: view.programme,
        phases: view.phases,
        o,
        body: None,
    }))
}
