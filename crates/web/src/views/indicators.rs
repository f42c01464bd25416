//! Indicators and evaluation pages: a programme's objectives sheet (with the form to add
//! an objective, its edit and removal pages, and its CSV/XLSX exports), the ESF
//! participant indicators (with the data-quality list and the exports) and a closed
//! case's six-month follow-up.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use itinera_domain::compliance::RulesInput;
use itinera_domain::objectives::{Baseline, Comparison, IndicatorType, Measure, ObjectiveInput};
use itinera_i18n::Lang;
use itinera_service::admin::Project;
use itinera_service::auth::SessionInfo;
use itinera_service::compliance::{ComplianceParams, ComplianceView, GroupRate, RuleCompliance};
use itinera_service::dashboard::{Chart, Dashboard, DashboardParams};
use itinera_service::esf::{EsfDataQuality, EsfLine, EsfTable, FollowupInput, FollowupView};
use itinera_service::objectives::{ObjectiveRecords, ObjectiveView, ObjectivesSheet};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::indicators::{ChartParams, EsfParams};
use crate::export::{self, Format, PeriodParams};
use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, report_or_default, respond, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programmes/{id}/indicators", get(sheet).post(create))
        .route("/programmes/{id}/indicators.csv", get(sheet_csv))
        .route("/programmes/{id}/indicators.xlsx", get(sheet_xlsx))
        .route("/indicators/{id}/edit", get(edit).post(update))
        .route("/indicators/{id}/delete", get(confirm_delete).post(delete))
        .route("/indicators/{id}/records", get(records))
        .route("/programmes/{id}/esf", get(esf))
        .route("/programmes/{id}/esf.csv", get(esf_csv))
        .route("/programmes/{id}/esf.xlsx", get(esf_xlsx))
        .route("/programmes/{id}/esf/data-quality", get(quality))
        .route(
            "/cases/{id}/esf-followup",
            get(followup).post(record_followup),
        )
        .route("/programmes/{id}/dashboard", get(dashboard))
        .route("/programmes/{id}/dashboard.csv", get(dashboard_csv))
        .route(
            "/programmes/{id}/compliance",
            get(compliance).post(save_limits),
        )
}

/// What the objective form's selects offer.
pub(crate) struct Choices {
    types: Vec<(&'static str, String)>,
    comparisons: Vec<(&'static str, String)>,
    measures: Vec<(&'static str, String)>,
    baselines: Vec<(&'static str, String)>,
    projects: Vec<(Uuid, String)>,
}

fn choices(page: &PageCtx, projects: &[Project]) -> Choices {
    let of = |prefix: &str, codes: Vec<&'static str>| {
        codes
            .into_iter()
            .map(|c| (c, page.code(prefix, c)))
            .collect::<Vec<_>>()
    };
    Choices {
        types: of(
            "objectives.type",
            IndicatorType::ALL.iter().map(|x| x.code()).collect(),
        ),
        comparisons: of(
            "objectives.comparison",
            Comparison::ALL.iter().map(|x| x.code()).collect(),
        ),
        measures: of(
            "objectives.measure",
            Measure::ALL.iter().map(|x| x.code()).collect(),
        ),
        baselines: of(
            "objectives.baseline",
            Baseline::ALL.iter().map(|x| x.code()).collect(),
        ),
        projects: projects
            .iter()
            .map(|p| (p.id, format!("{} — {}", p.code, p.name)))
            .collect(),
    }
}

/// A number as the page's language writes it, to two decimals at most.
fn number(page: &PageCtx, v: f64) -> String {
    let s = if (v - v.round()).abs() < 0.005 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    };
    s.replace('.', &page.decimal().to_string())
}

/// A figure shown on a page (not typed into a field): counts with their thousands
/// grouped as the language writes them.
fn shown(page: &PageCtx, v: f64) -> String {
    if (v - v.round()).abs() < 0.005 && v.abs() < 1e15 {
        page.int(v.round() as i64)
    } else {
        number(page, v)
    }
}

#[derive(Template)]
#[template(path = "indicators/sheet.html")]
struct SheetPage {
    page: PageCtx,
    s: ObjectivesSheet,
    period: PeriodParams,
    c: Choices,
    input: ObjectiveInput,
    errors: FormErrors,
    /// The period filter's messages, when it was not valid (`report_or_default`).
    fe: FormErrors,
}

impl SheetPage {
    fn num(&self, v: &f64) -> String {
        shown(&self.page, *v)
    }
    fn achieved(&self, o: &ObjectiveView) -> String {
        match (o.achieved, o.suppressed) {
            (Some(a), _) => shown(&self.page, a),
            (None, true) => format!("< {}", self.s.threshold),
            (None, false) => "—".into(),
        }
    }
    /// The width of the progress bar (0–200 px: 100 % of the target is 100 px... ×2).
    fn bar(&self, o: &ObjectiveView) -> i64 {
        o.progress_percent.unwrap_or(0).clamp(0, 150) * 2
    }
    fn query(&self) -> String {
        if self.fe.any() {
            return "?from=&to=".into();
        }
        format!("?from={}&to={}", self.period.from, self.period.to)
    }
}

async fn projects_of(s: &AppState, programme: Uuid) -> Result<Vec<Project>, ViewError> {
    Ok(s.services.programme(programme).await?.projects)
}

/// A filter's day as its form shows it: what was typed when the filters were refused
/// (`report_or_default`), else the day the figures are of.
fn as_shown(fe: &FormErrors, typed: &str, day: chrono::NaiveDate) -> String {
    if fe.any() {
        typed.to_string()
    } else {
        day.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
async fn sheet_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    period: PeriodParams,
    input: ObjectiveInput,
    errors: FormErrors,
) -> Result<SheetPage, ViewError> {
    let page = PageCtx::new(lang, Some(session), "objectives.title");
    let asked = s
        .services
        .objectives_sheet(
            &session.actor,
            ctx,
            id,
            &period.from,
            &period.to,
            period.fresh,
        )
        .await;
    let (sh, fe) = report_or_default(lang, asked, || {
        s.services
            .objectives_sheet(&session.actor, ctx, id, "", "", false)
    })
    .await?;
    let projects = projects_of(s, id).await?;
    Ok(SheetPage {
        c: choices(&page, &projects),
        page,
        s: sh,
        period,
        input,
        errors,
        fe,
    })
}

fn blank(ctx: &Ctx) -> ObjectiveInput {
    use chrono::Datelike;
    let y = ctx.today().year();
    ObjectiveInput {
        indicator_type: "output".into(),
        comparison: "at_least".into(),
        baseline: "none".into(),
        period_start: format!("{y}-01-01"),
        period_end: format!("{y}-12-31"),
        ..ObjectiveInput::default()
    }
}

async fn sheet(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(period): Query<PeriodParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = blank(&ctx);
    let page = sheet_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        period,
        input,
        FormErrors::none(lang),
    )
    .await?;
    Ok(respond(&page, &page.fe))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ObjectiveInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .create_objective(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |oid| format!("/programmes/{id}/indicators#o-{oid}"),
        |errors| {
            sheet_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                PeriodParams::default(),
                input,
                errors,
            )
        },
    )
    .await
}

async fn sheet_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let sh = s
        .services
        .objectives_sheet(&session.actor, &ctx, id, &p.from, &p.to, p.fresh)
        .await?;
    Ok(export::objectives_file(
        lang_of(&headers),
        &sh,
        Format::Csv,
    )?)
}

async fn sheet_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let sh = s
        .services
        .objectives_sheet(&session.actor, &ctx, id, &p.from, &p.to, p.fresh)
        .await?;
    Ok(export::objectives_file(
        lang_of(&headers),
        &sh,
        Format::Xlsx,
    )?)
}

#[derive(Template)]
#[template(path = "indicators/edit.html")]
struct EditPage {
    page: PageCtx,
    o: ObjectiveView,
    c: Choices,
    input: ObjectiveInput,
    errors: FormErrors,
}

fn input_of(page: &PageCtx, o: &ObjectiveView) -> ObjectiveInput {
    ObjectiveInput {
        code: o.code.clone(),
        description: o.description.clone(),
        indicator_type: o.indicator_type.clone(),
        unit: o.unit.clone(),
        comparison: o.comparison.clone(),
        target: number(page, o.target),
        measure: o.measure.clone(),
        baseline: o.baseline.clone(),
        period_start: o.period_start.to_string(),
        period_end: o.period_end.to_string(),
        project_id: o.project_id.map(|p| p.to_string()).unwrap_or_default(),
        manual_value: o.manual_value.map(|v| number(page, v)).unwrap_or_default(),
        evidence: o.evidence.clone().unwrap_or_default(),
        version: o.version.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: Option<ObjectiveInput>,
    errors: FormErrors,
) -> Result<EditPage, ViewError> {
    let page = PageCtx::new(lang, Some(session), "objectives.edit");
    let o = s.services.objective(&session.actor, ctx, id).await?;
    let projects = projects_of(s, o.programme_id).await?;
    let input = input.unwrap_or_else(|| input_of(&page, &o));
    Ok(EditPage {
        c: choices(&page, &projects),
        page,
        o,
        input,
        errors,
    })
}

async fn edit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &edit_page(&s, lang, &session, &ctx, id, None, FormErrors::none(lang)).await?,
    ))
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ObjectiveInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .update_objective(&session.actor, &ctx, id, &input)
        .await;
    let programme = match &result {
        Ok(()) => Some(
            s.services
                .objective(&session.actor, &ctx, id)
                .await?
                .programme_id,
        ),
        Err(_) => None,
    };
    form_result(
        lang,
        result,
        |_| match programme {
            Some(p) => format!("/programmes/{p}/indicators#o-{id}"),
            None => format!("/indicators/{id}/edit"),
        },
        |errors| edit_page(&s, lang, &session, &ctx, id, Some(input), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "indicators/delete.html")]
struct DeletePage {
    page: PageCtx,
    o: ObjectiveView,
}

async fn confirm_delete(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let o = s.services.objective(&session.actor, &ctx, id).await?;
    Ok(render(&DeletePage {
        page: PageCtx::new(lang, Some(&session), "objectives.delete"),
        o,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Confirm {
    #[allow(dead_code)]
    confirm: String,
}

async fn delete(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_c): CsrfForm<Confirm>,
) -> ViewResult {
    let programme = s
        .services
        .delete_objective(&session.actor, &ctx, id)
        .await?;
    Ok(Redirect::to(&format!("/programmes/{programme}/indicators")).into_response())
}

#[derive(Template)]
#[template(path = "indicators/esf.html")]
struct EsfPage {
    page: PageCtx,
    t: EsfTable,
    p: EsfParams,
    projects: Vec<(Uuid, String)>,
    /// The filters' messages, when they were not valid (`report_or_default`).
    fe: FormErrors,
}

impl EsfPage {
    /// What the filters show: what was typed when it was refused, else the table's.
    fn from(&self) -> String {
        as_shown(&self.fe, &self.p.from, self.t.period.from)
    }
    fn to(&self) -> String {
        as_shown(&self.fe, &self.p.to, self.t.period.to)
    }
    fn set_chosen(&self, code: &str) -> bool {
        if self.fe.any() && !self.p.set.is_empty() {
            self.p.set == code
        } else {
            self.t.set == code
        }
    }
    fn fig(&self, v: &Option<u64>) -> String {
        match v {
            Some(n) => self.page.int(*n),
            None => format!("< {}", self.t.threshold),
        }
    }
    fn name(&self, l: &EsfLine) -> String {
        self.page.t(&format!("esf.{}", l.code)).to_string()
    }
    fn query(&self) -> String {
        format!(
            "?set={}&from={}&to={}&project_id={}",
            self.t.set,
            self.t.period.from,
            self.t.period.to,
            self.t.project_id.map(|p| p.to_string()).unwrap_or_default()
        )
    }
}

async fn esf(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    use itinera_domain::{Error, FieldError};
    let period = itinera_service::esf::period_or_year(&p.from, &p.to, ctx.today());
    let asked = match (itinera_domain::input::optional_id(&p.project_id), period) {
        (Ok(project), _) => {
            s.services
                .esf_table(
                    &session.actor,
                    &ctx,
                    id,
                    project,
                    Some(&p.set),
                    &p.from,
                    &p.to,
                    p.fresh,
                )
                .await
        }
        // Every filter's message at once.
        (Err(c), Err(Error::Invalid(mut fields))) => {
            fields.push(FieldError::new("project_id", c));
            Err(Error::Invalid(fields))
        }
        (Err(c), _) => Err(Error::field("project_id", c)),
    };
    let (t, fe) = report_or_default(lang, asked, || {
        s.services
            .esf_table(&session.actor, &ctx, id, None, None, "", "", false)
    })
    .await?;
    let projects = projects_of(&s, id)
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} — {}", p.code, p.name)))
        .collect();
    let page = EsfPage {
        page: PageCtx::new(lang, Some(&session), "esf.title"),
        t,
        p,
        projects,
        fe,
    };
    Ok(respond(&page, &page.fe))
}

async fn esf_file(
    s: &AppState,
    headers: &HeaderMap,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    p: &EsfParams,
    f: Format,
) -> ViewResult {
    let project = itinera_domain::input::optional_id(&p.project_id)
        .map_err(|c| itinera_domain::Error::field("project_id", c))?;
    let t = s
        .services
        .esf_table(
            &session.actor,
            ctx,
            id,
            project,
            Some(&p.set),
            &p.from,
            &p.to,
            p.fresh,
        )
        .await?;
    Ok(export::esf_file(lang_of(headers), &t, f)?)
}

async fn esf_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ViewResult {
    esf_file(&s, &headers, &session, &ctx, id, &p, Format::Csv).await
}

async fn esf_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ViewResult {
    esf_file(&s, &headers, &session, &ctx, id, &p, Format::Xlsx).await
}

#[derive(Template)]
#[template(path = "indicators/quality.html")]
struct QualityPage {
    page: PageCtx,
    q: EsfDataQuality,
    /// Why the list is of the default choices, when those asked for were not valid.
    fe: FormErrors,
}

async fn quality(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<EsfParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let asked = s
        .services
        .esf_data_quality(&session.actor, &ctx, id, Some(&p.set), &p.from, &p.to)
        .await;
    let (q, fe) = report_or_default(lang, asked, || {
        s.services
            .esf_data_quality(&session.actor, &ctx, id, None, "", "")
    })
    .await?;
    let page = QualityPage {
        page: PageCtx::new(lang, Some(&session), "esf.quality"),
        q,
        fe,
    };
    Ok(respond(&page, &page.fe))
}

#[derive(Template)]
#[template(path = "indicators/followup.html")]
struct FollowupPage {
    page: PageCtx,
    f: FollowupView,
    input: FollowupInput,
    errors: FormErrors,
}

async fn followup_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: Option<FollowupInput>,
    errors: FormErrors,
) -> Result<FollowupPage, ViewError> {
    let f = s.services.esf_followup(&session.actor, ctx, id).await?;
    let input = input.unwrap_or_else(|| FollowupInput {
        improved: match f.improved {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        note: f.note.clone().unwrap_or_default(),
    });
    Ok(FollowupPage {
        page: PageCtx::new(lang, Some(session), "esf.followup"),
        f,
        input,
        errors,
    })
}

async fn followup(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &followup_page(&s, lang, &session, &ctx, id, None, FormErrors::none(lang)).await?,
    ))
}

async fn record_followup(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<FollowupInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .record_esf_followup(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{id}"),
        |errors| followup_page(&s, lang, &session, &ctx, id, Some(input), errors),
    )
    .await
}

/// One bar of a chart: its label, its width (0–300) and its figure as shown.
pub(crate) struct Bar {
    label: String,
    width: u64,
    figure: String,
    y: usize,
}

#[derive(Template)]
#[template(path = "indicators/dashboard.html")]
struct DashboardPage {
    page: PageCtx,
    d: Dashboard,
    /// The filters as typed and their messages, when they were not valid.
    p: DashboardParams,
    fe: FormErrors,
}

impl DashboardPage {
    /// What the filters show: what was typed when it was refused, else the figures'.
    fn from(&self) -> String {
        as_shown(&self.fe, &self.p.from, self.d.from)
    }
    fn to(&self) -> String {
        as_shown(&self.fe, &self.p.to, self.d.to)
    }
    fn chosen(&self, field: &str, v: &Option<Uuid>, id: &Uuid) -> bool {
        if !self.fe.any() {
            return v.as_ref() == Some(id);
        }
        let typed = match field {
            "project_id" => &self.p.project_id,
            "territory_id" => &self.p.territory_id,
            _ => &self.p.organisation_id,
        };
        typed.trim() == id.to_string()
    }
    fn label(&self, prefix: &str, code: &str) -> String {
        export::chart_label(self.page.lang, prefix, code)
    }
    fn fig(&self, v: &Option<u64>) -> String {
        match v {
            Some(n) => self.page.int(*n),
            None => format!("< {}", self.d.threshold),
        }
    }
    fn title(&self, c: &Chart) -> &'static str {
        self.page.t(&format!("dashboard.chart.{}", c.id))
    }
    fn row_head(&self, c: &Chart) -> &'static str {
        self.page.t(&format!("dashboard.row.{}", c.id))
    }
    /// Whether the chart's total means something (not for overlapping rows or a flow).
    fn has_total(&self, c: &Chart) -> bool {
        !matches!(
            c.id.as_str(),
            "flow" | "groups" | "training" | "profiles" | "progress"
        )
    }
    fn average(&self, a: &Option<f64>) -> String {
        match a {
            Some(v) => {
                let s = self.page.fixed(v.abs(), 2);
                if *v < 0.0 {
                    format!("-{s}")
                } else {
                    format!("+{s}")
                }
            }
            None => format!("< {}", self.d.threshold),
        }
    }
    /// The bars of a chart: each row's shown figures added up, against the largest (for
    /// the profiles, the latest assessment's column alone: the columns are two views of
    /// the same cases).
    fn bars(&self, c: &Chart) -> Vec<Bar> {
        let latest_only = c.id == "profiles";
        let sums: Vec<(String, u64, bool)> = c
            .rows
            .iter()
            .map(|r| {
                let values = if latest_only {
                    r.values
                        .get(r.values.len().saturating_sub(1)..)
                        .unwrap_or_default()
                } else {
                    &r.values[..]
                };
                (
                    self.label(&c.row_prefix, &r.label),
                    values.iter().flatten().sum::<u64>(),
                    values.iter().any(Option::is_none),
                )
            })
            .collect();
        let max = sums.iter().map(|s| s.1).max().unwrap_or(0).max(1);
        sums.into_iter()
            .enumerate()
            .map(|(i, (label, n, hidden))| Bar {
                label,
                width: n * 300 / max,
                figure: if hidden && n == 0 {
                    format!("< {}", self.d.threshold)
                } else {
                    n.to_string()
                },
                y: i * 22,
            })
            .collect()
    }
    fn height(&self, c: &Chart) -> usize {
        c.rows.len() * 22 + 4
    }
    fn query(&self) -> String {
        format!(
            "from={}&to={}&project_id={}&territory_id={}&organisation_id={}",
            self.d.from,
            self.d.to,
            self.d.project_id.map(|x| x.to_string()).unwrap_or_default(),
            self.d
                .territory_id
                .map(|x| x.to_string())
                .unwrap_or_default(),
            self.d
                .organisation_id
                .map(|x| x.to_string())
                .unwrap_or_default()
        )
    }
}

async fn dashboard(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<DashboardParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let asked = s
        .services
        .dashboard(&session.actor, &ctx, lang, id, &p)
        .await;
    let defaults = DashboardParams::default();
    let (d, fe) = report_or_default(lang, asked, || {
        s.services
            .dashboard(&session.actor, &ctx, lang, id, &defaults)
    })
    .await?;
    let page = DashboardPage {
        page: PageCtx::new(lang, Some(&session), "dashboard.title"),
        d,
        p,
        fe,
    };
    Ok(respond(&page, &page.fe))
}

async fn dashboard_csv(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<ChartParams>,
) -> ViewResult {
    let d = s
        .services
        .dashboard(&session.actor, &ctx, lang_of(&headers), id, &p.filters)
        .await?;
    Ok(export::dashboard_chart(lang_of(&headers), &d, &p.chart)?)
}

#[derive(Template)]
#[template(path = "indicators/compliance.html")]
struct CompliancePage {
    page: PageCtx,
    v: ComplianceView,
    input: RulesInput,
    errors: FormErrors,
    /// The filters as typed and their messages, when they were not valid.
    p: ComplianceParams,
    fe: FormErrors,
}

impl CompliancePage {
    /// What the filters show: what was typed when it was refused, else the figures'.
    fn from(&self) -> String {
        as_shown(&self.fe, &self.p.from, self.v.from)
    }
    fn to(&self) -> String {
        as_shown(&self.fe, &self.p.to, self.v.to)
    }
    fn by_chosen(&self, b: &str) -> bool {
        if self.fe.any() && !self.p.by.is_empty() {
            self.p.by == b
        } else {
            self.v.by == b
        }
    }
    fn fig(&self, v: &Option<u64>) -> String {
        match v {
            Some(n) => n.to_string(),
            None => format!("< {}", self.v.threshold),
        }
    }
    fn rate(&self, v: &Option<u64>) -> String {
        v.map(|r| format!("{r} %")).unwrap_or_else(|| "—".into())
    }
    fn value(&self, rule: &str) -> String {
        match rule {
            "first_interview" => self.input.first_interview.clone(),
            "diagnosis" => self.input.diagnosis.clone(),
            "itinerary" => self.input.itinerary.clone(),
            "review" => self.input.review.clone(),
            "placement_followup" => self.input.placement_followup.clone(),
            "incident_response" => self.input.incident_response.clone(),
            _ => self.input.referral_answer.clone(),
        }
    }
    /// The trend's bars: (month, height 0–60, x, rate shown).
    fn trend(&self, t: &[GroupRate]) -> Vec<(String, u64, usize, String)> {
        t.iter()
            .enumerate()
            .map(|(i, g)| {
                (
                    g.group.clone(),
                    g.rate.unwrap_or(0) * 60 / 100,
                    i * 34,
                    self.rate(&g.rate),
                )
            })
            .collect()
    }
}

/// The limits form as the rules stand (each rule's days are in the view).
fn limits_input(l: &[RuleCompliance]) -> RulesInput {
    let get = |r: &str| {
        l.iter()
            .find(|x| x.rule == r)
            .map(|x| x.days.to_string())
            .unwrap_or_default()
    };
    RulesInput {
        first_interview: get("first_interview"),
        diagnosis: get("diagnosis"),
        itinerary: get("itinerary"),
        review: get("review"),
        placement_followup: get("placement_followup"),
        incident_response: get("incident_response"),
        referral_answer: get("referral_answer"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn compliance_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    p: &ComplianceParams,
    input: Option<RulesInput>,
    errors: FormErrors,
) -> Result<CompliancePage, ViewError> {
    let asked = s.services.compliance(&session.actor, ctx, id, p).await;
    let defaults = ComplianceParams::default();
    let (v, fe) = report_or_default(lang, asked, || {
        s.services.compliance(&session.actor, ctx, id, &defaults)
    })
    .await?;
    let input = match input {
        Some(i) => i,
        None => limits_input(&v.rules),
    };
    Ok(CompliancePage {
        page: PageCtx::new(lang, Some(session), "compliance.title"),
        v,
        input,
        errors,
        p: p.clone(),
        fe,
    })
}

async fn compliance(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<ComplianceParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let page = compliance_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        &p,
        None,
        FormErrors::none(lang),
    )
    .await?;
    Ok(respond(&page, &page.fe))
}

async fn save_limits(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<RulesInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .set_compliance_limits(&session.actor, &ctx, id, &input)
        .await;
    let p = ComplianceParams::default();
    form_result(
        lang,
        result,
        |_| format!("/programmes/{id}/compliance#limits"),
        |errors| compliance_page(&s, lang, &session, &ctx, id, &p, Some(input), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "indicators/records.html")]
struct RecordsPage {
    page: PageCtx,
    r: ObjectiveRecords,
}

async fn records(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .objective_records(&session.actor, &ctx, id)
        .await?;
    Ok(render(&RecordsPage {
        page: PageCtx::new(lang, Some(&session), "objectives.records"),
        r,
    }))
}
