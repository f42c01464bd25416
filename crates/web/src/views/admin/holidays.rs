//! Public holidays: a year's list of every territory's, adding and deleting one, and
//! loading a country's national holidays for a year at once.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Datelike;
use itinera_domain::holidays::{Country, HolidayInput};
use itinera_i18n::Lang;
use itinera_service::admin::{Holiday, Territory};
use itinera_service::auth::SessionInfo;
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/holidays.html")]
pub(super) struct HolidaysPage {
    page: PageCtx,
    year: i32,
    holidays: Vec<Holiday>,
    territories: Vec<Territory>,
    errors: FormErrors,
    input: HolidayInput,
    load: LoadForm,
    /// How many national holidays were just loaded.
    loaded: Option<usize>,
}

impl HolidaysPage {
    fn countries(&self) -> Vec<(&'static str, String)> {
        Country::ALL
            .iter()
            .map(|c| {
                (
                    c.code(),
                    self.page.code("country", &c.code().to_uppercase()),
                )
            })
            .collect()
    }
    fn years(&self) -> Vec<i32> {
        (self.year - 1..=self.year + 2).collect()
    }
    fn weekday(&self, h: &Holiday) -> String {
        self.page
            .code("weekday", &h.day.weekday().number_from_monday().to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct YearQuery {
    year: String,
    loaded: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoadForm {
    country: String,
    year: String,
}

#[allow(clippy::too_many_arguments)]
async fn holidays_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    year: i32,
    input: HolidayInput,
    load: LoadForm,
    errors: FormErrors,
    loaded: Option<usize>,
) -> Result<HolidaysPage, ViewError> {
    Ok(HolidaysPage {
        page: PageCtx::new(lang, Some(session), "admin.holidays"),
        year,
        holidays: s.services.holidays(&session.actor, year).await?,
        territories: s.services.territories(&session.actor).await?,
        errors,
        input,
        load,
        loaded,
    })
}

fn year_of(raw: &str, ctx: &Ctx) -> i32 {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| {
            (itinera_domain::input::FIRST_YEAR..=itinera_domain::input::LAST_YEAR).contains(y)
        })
        .unwrap_or(ctx.today().year())
}

pub(super) async fn holidays(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(q): crate::http::Query<YearQuery>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    let year = year_of(&q.year, &ctx);
    let load = LoadForm {
        country: String::new(),
        year: year.to_string(),
    };
    Ok(render(
        &holidays_page(
            &s,
            lang,
            &session,
            year,
            HolidayInput::default(),
            load,
            FormErrors::none(lang),
            q.loaded.parse().ok(),
        )
        .await?,
    ))
}

pub(super) async fn add_holiday(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<HolidayInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.add_holiday(&session.actor, &ctx, &input).await;
    let year = itinera_domain::input::parse_date(&input.day)
        .map(|d| d.year())
        .unwrap_or(ctx.today().year());
    form_result(
        lang,
        result,
        |_| format!("/admin/holidays?year={year}"),
        |errors| {
            let load = LoadForm {
                country: String::new(),
                year: year.to_string(),
            };
            holidays_page(&s, lang, &session, year, input, load, errors, None)
        },
    )
    .await
}

pub(super) async fn load_national(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(load): CsrfForm<LoadForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let year = year_of(&load.year, &ctx);
    let result = match load.year.trim().parse::<i32>() {
        Ok(y) => {
            s.services
                .load_national_holidays(&session.actor, &ctx, lang, &load.country, y)
                .await
        }
        Err(_) => Err(itinera_domain::Error::field("year", "holiday.year_invalid")),
    };
    form_result(
        lang,
        result,
        |n| format!("/admin/holidays?year={year}&loaded={n}"),
        |errors| {
            holidays_page(
                &s,
                lang,
                &session,
                year,
                HolidayInput::default(),
                load,
                errors,
                None,
            )
        },
    )
    .await
}

pub(super) async fn delete_holiday(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(q): CsrfForm<YearQuery>,
) -> ViewResult {
    s.services.delete_holiday(&session.actor, &ctx, id).await?;
    let year = year_of(&q.year, &ctx);
    Ok(see_other(&format!("/admin/holidays?year={year}")))
}
