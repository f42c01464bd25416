//! The common diagnosis pages: a case's assessments with the profile and why, the radar
//! chart of the first against the latest with its table, the change per domain over
//! time, and the assessment form.

use std::f64::consts::PI;

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::assessment::{text_in, Domain, Instrument, Texts};
use itinera_i18n::Lang;
use itinera_service::assessments::{AssessmentInput, AssessmentsView};
use itinera_service::auth::SessionInfo;
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/assessments", get(show).post(create))
        .route("/cases/{id}/assessments/new", get(new))
}

/// One axis of the radar chart.
pub struct Axis {
    pub x: f64,
    pub y: f64,
    pub lx: f64,
    pub ly: f64,
    pub anchor: &'static str,
    pub label: String,
}

/// A server-rendered radar chart: rings for each level, one axis per domain, the first
/// and the latest assessment as polygons.
pub struct Radar {
    pub size: f64,
    pub rings: Vec<String>,
    pub axes: Vec<Axis>,
    pub first: Option<String>,
    pub latest: String,
}

const SIZE: f64 = 420.0;
const RADIUS: f64 = 140.0;

fn point(i: usize, n: usize, r: f64) -> (f64, f64) {
    let a = -PI / 2.0 + 2.0 * PI * (i as f64) / (n.max(1) as f64);
    (SIZE / 2.0 + r * a.cos(), SIZE / 2.0 + r * a.sin())
}

/// The polygon through the scored axes. A domain marked "not applicable" has no point:
/// drawn at the centre it would read as a crisis, so the line joins its neighbours and
/// the axis is labelled apart.
fn polygon(levels: &[Option<i16>], lo: i16, hi: i16) -> String {
    let n = levels.len();
    let steps = f64::from(hi - lo + 1);
    levels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let r = RADIUS * f64::from((*l)? - lo + 1) / steps;
            let (x, y) = point(i, n, r);
            Some(format!("{x:.1},{y:.1}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn radar(inst: &Instrument, v: &AssessmentsView, lang: Lang) -> Option<Radar> {
    if v.changes.len() < 3 {
        return None;
    }
    let (lo, hi) = inst.scale_bounds();
    let n = v.changes.len();
    let rings = (lo..=hi)
        .map(|l| polygon(&vec![Some(l); n], lo, hi))
        .collect();
    let axes = v
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (x, y) = point(i, n, RADIUS);
            let (lx, ly) = point(i, n, RADIUS + 18.0);
            let anchor = if (lx - SIZE / 2.0).abs() < 5.0 {
                "middle"
            } else if lx > SIZE / 2.0 {
                "start"
            } else {
                "end"
            };
            Axis {
                x,
                y,
                lx,
                ly,
                anchor,
                label: {
                    let name = inst
                        .domain(&c.domain)
                        .map(|d| text_in(&d.label, lang.code()).to_string())
                        .unwrap_or_else(|| c.domain.clone());
                    if c.latest.is_none() {
                        format!("{name} ({})", itinera_i18n::t(lang, "assessment.na"))
                    } else {
                        name
                    }
                },
            }
        })
        .collect();
    let first: Vec<Option<i16>> = v.changes.iter().map(|c| c.first).collect();
    let latest: Vec<Option<i16>> = v.changes.iter().map(|c| c.latest).collect();
    Some(Radar {
        size: SIZE,
        rings,
        axes,
        first: (v.assessments.len() > 1).then(|| polygon(&first, lo, hi)),
        latest: polygon(&latest, lo, hi),
    })
}

#[derive(Template)]
#[template(path = "assessments/show.html")]
struct ShowPage {
    page: PageCtx,
    v: AssessmentsView,
    radar: Option<Radar>,
    /// The instrument of the latest assessment.
    instrument: Option<Instrument>,
}

impl ShowPage {
    fn tx<'a>(&self, t: &'a Texts) -> &'a str {
        text_in(t, self.page.lang.code())
    }
    /// What the ends of the scale mean, with their numbers.
    fn scale_text(&self) -> String {
        let (lo, hi) = self
            .instrument
            .as_ref()
            .map(Instrument::scale_bounds)
            .unwrap_or((1, 5));
        itinera_i18n::tf(
            self.page.lang,
            "assessment.scale_meaning",
            &[("lo", &lo.to_string()), ("hi", &hi.to_string())],
        )
    }
    fn domain_label(&self, code: &str) -> String {
        self.instrument
            .as_ref()
            .and_then(|i| i.domain(code))
            .map(|d| self.tx(&d.label).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn level(&self, l: &Option<i16>) -> String {
        l.map(|l| l.to_string())
            .unwrap_or_else(|| self.page.t("assessment.na").to_string())
    }
    fn delta(&self, a: &Option<i16>, b: &Option<i16>) -> String {
        match (a, b) {
            (Some(a), Some(b)) if b > a => format!("+{}", b - a),
            (Some(a), Some(b)) => format!("{}", b - a),
            _ => "—".into(),
        }
    }
    fn profile_label(&self, code: &str) -> String {
        self.instrument
            .as_ref()
            .and_then(|i| i.profile(code))
            .map(|p| self.tx(&p.label).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn profile_description(&self, code: &str) -> String {
        self.instrument
            .as_ref()
            .and_then(|i| i.profile(code))
            .map(|p| self.tx(&p.description).to_string())
            .unwrap_or_default()
    }
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let v = s.services.assessments(&session.actor, &ctx, id).await?;
    let instrument = v
        .latest()
        .and_then(|a| v.instrument(a.row.instrument_id))
        .cloned();
    let radar = instrument.as_ref().and_then(|i| radar(i, &v, lang));
    Ok(render(&ShowPage {
        page: PageCtx::new(lang, Some(&session), "assessment.title"),
        v,
        radar,
        instrument,
    }))
}

#[derive(Template)]
#[template(path = "assessments/new.html")]
struct NewPage {
    page: PageCtx,
    v: AssessmentsView,
    instrument_id: Uuid,
    instrument: Instrument,
    input: AssessmentInput,
    errors: FormErrors,
}

impl NewPage {
    fn tx<'a>(&self, t: &'a Texts) -> &'a str {
        text_in(t, self.page.lang.code())
    }
    fn current(&self) -> Vec<(Uuid, String)> {
        self.v
            .current
            .iter()
            .filter_map(|id| {
                self.v
                    .instrument(*id)
                    .map(|i| (*id, format!("{} (v{})", self.tx(&i.title), i.version)))
            })
            .collect()
    }
    fn chosen(&self, d: &Domain) -> String {
        self.input
            .scores
            .get(&d.code)
            .map(|s| s.level.clone())
            .unwrap_or_default()
    }
    fn note(&self, d: &Domain) -> String {
        self.input
            .scores
            .get(&d.code)
            .map(|s| s.note.clone())
            .unwrap_or_default()
    }
    fn field(&self, d: &Domain) -> String {
        format!("scores.{}", d.code)
    }
    /// The message of a domain's note, if it was refused.
    fn note_error(&self, d: &Domain) -> Option<std::borrow::Cow<'static, str>> {
        self.errors.get(&format!("scores.{}.note", d.code))
    }
}

#[derive(Deserialize, Default)]
struct NewParams {
    instrument: Option<Uuid>,
}

async fn new_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: AssessmentInput,
    errors: FormErrors,
) -> Result<NewPage, ViewError> {
    let v = s.services.assessments(&session.actor, ctx, id).await?;
    let chosen = Uuid::parse_str(input.instrument_id.trim())
        .ok()
        .filter(|i| v.current.contains(i))
        .or_else(|| {
            v.current.iter().copied().find(|i| {
                v.instrument(*i)
                    .is_some_and(|x| x.code == "itinera-default")
            })
        })
        .or_else(|| v.current.first().copied())
        .ok_or(itinera_domain::Error::NotFound)?;
    let instrument = v
        .instrument(chosen)
        .cloned()
        .ok_or(itinera_domain::Error::NotFound)?;
    Ok(NewPage {
        page: PageCtx::new(lang, Some(session), "assessment.new"),
        v,
        instrument_id: chosen,
        instrument,
        input,
        errors,
    })
}

async fn new(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<NewParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = AssessmentInput {
        instrument_id: q.instrument.map(|i| i.to_string()).unwrap_or_default(),
        assessed_on: ctx.today().to_string(),
        ..Default::default()
    };
    let mut p = new_page(&s, lang, &session, &ctx, id, input, FormErrors::none(lang)).await?;
    // A re-assessment starts from the last one's levels (same instrument): the
    // professional changes what changed.
    if let Some(last) =
        p.v.assessments
            .iter()
            .rev()
            .find(|a| a.row.instrument_id == p.instrument_id)
    {
        p.input.scores = last
            .scores
            .iter()
            .map(|sc| {
                (
                    sc.domain.clone(),
                    itinera_domain::assessment::ScoreInput {
                        level: sc.level.map_or_else(|| "na".to_string(), |l| l.to_string()),
                        note: String::new(),
                    },
                )
            })
            .collect();
    }
    if !p.v.can_assess {
        return Err(itinera_domain::Error::Rule("case.team.required").into());
    }
    Ok(render(&p))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<AssessmentInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.assess(&session.actor, &ctx, id, &input).await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{id}/assessments"),
        |errors| new_page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}
