//! A member's meetings by month and the secret iCalendar feed.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use serde::Deserialize;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{render, see_other, CsrfForm, PageCtx, Session, ViewError, ViewResult};
use crate::AppState;

#[derive(Template)]
#[template(path = "coordination/calendar.html")]
pub(super) struct CalendarPage {
    page: PageCtx,
    month: chrono::NaiveDate,
    weeks: Vec<[Option<chrono::NaiveDate>; 7]>,
    entries: Vec<itinera_service::coordination::CalendarEntry>,
    has_feed: bool,
    /// A feed address just created (shown once).
    new_feed: Option<String>,
}

impl CalendarPage {
    fn on(&self, d: &chrono::NaiveDate) -> Vec<&itinera_service::coordination::CalendarEntry> {
        self.entries
            .iter()
            .filter(|e| e.meeting_date == *d)
            .collect()
    }
    fn month_link(&self, delta: i32) -> String {
        use chrono::Datelike;
        let m = if delta < 0 {
            self.month.checked_sub_months(chrono::Months::new(1))
        } else {
            self.month.checked_add_months(chrono::Months::new(1))
        }
        .unwrap_or(self.month);
        format!("/calendar?month={:04}-{:02}", m.year(), m.month())
    }
    fn title(&self) -> String {
        use chrono::Datelike;
        format!(
            "{} {}",
            self.page.code("month", &self.month.month().to_string()),
            self.month.year()
        )
    }
    fn day(&self, d: &chrono::NaiveDate) -> u32 {
        use chrono::Datelike;
        d.day()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CalendarParams {
    month: String,
}

pub(super) async fn calendar_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    month: &str,
    new_feed: Option<String>,
) -> Result<CalendarPage, ViewError> {
    use chrono::Datelike;
    let today = ctx.today();
    let first = itinera_domain::input::parse_date(&format!("{month}-01"))
        .unwrap_or_else(|_| today.with_day(1).unwrap_or(today));
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .map(|d| d - chrono::Duration::days(1))
        .unwrap_or(first);
    let entries = s.services.calendar(&session.actor, first, last).await?;
    Ok(CalendarPage {
        page: PageCtx::new(lang, Some(session), "calendar.title"),
        month: first,
        weeks: itinera_domain::calendar::month_weeks(first.year(), first.month()),
        entries,
        has_feed: s.services.has_calendar_feed(&session.actor, ctx).await?,
        new_feed,
    })
}

pub(super) async fn calendar(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(q): crate::http::Query<CalendarParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &calendar_page(&s, lang, &session, &ctx, &q.month, None).await?,
    ))
}

pub(super) async fn create_feed(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let token = s
        .services
        .create_calendar_feed(&session.actor, &ctx)
        .await?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if s.secure_cookies { "https" } else { "http" };
    let url = format!("{scheme}://{host}/calendar/feed/{token}.ics");
    Ok(render(
        &calendar_page(&s, lang, &session, &ctx, "", Some(url)).await?,
    ))
}

pub(super) async fn revoke_feed(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services
        .revoke_calendar_feed(&session.actor, &ctx)
        .await?;
    Ok(see_other("/calendar"))
}

/// The feed itself, for calendar programs: no session, the secret in the address.
pub(super) async fn feed(
    State(s): State<AppState>,
    RequestCtx(ctx): RequestCtx,
    Path(file): Path<String>,
) -> Result<axum::response::Response, ViewError> {
    use axum::response::IntoResponse;
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    let ics = s.services.calendar_feed(token, ctx.now).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
        ],
        ics,
    )
        .into_response())
}
