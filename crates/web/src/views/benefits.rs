//! The benefits page of a case (the person's benefits and in-kind support, and the form
//! to record one) and a benefit's edit page.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::benefit::{amount_text, BenefitInput, BenefitStatus, Period};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::benefits::{BenefitEdit, BenefitTypeOption, BenefitsView};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, Query, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/benefits", get(show).post(create))
        .route("/benefits/{id}/edit", get(edit).post(update))
}

/// What the form's selects offer, shared by both pages.
struct Choices {
    types: Vec<(String, String)>,
    statuses: Vec<(&'static str, String)>,
    periods: Vec<(&'static str, String)>,
}

fn choices(page: &PageCtx, types: &[BenefitTypeOption]) -> Choices {
    Choices {
        types: types
            .iter()
            .map(|t| {
                (
                    t.code.clone(),
                    format!(
                        "{} ({})",
                        page.code("benefit_type", &t.code),
                        page.code("country", &t.country)
                    ),
                )
            })
            .collect(),
        statuses: BenefitStatus::ALL
            .iter()
            .map(|k| (k.code(), page.code("benefit_status", k.code())))
            .collect(),
        periods: Period::ALL
            .iter()
            .map(|k| (k.code(), page.code("period", k.code())))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "benefits/show.html")]
struct ShowPage {
    page: PageCtx,
    v: BenefitsView,
    c: Choices,
    input: BenefitInput,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "benefits/edit.html")]
struct EditPage {
    page: PageCtx,
    v: BenefitEdit,
    /// The case the page was reached from (navigation only).
    case: Option<Uuid>,
    c: Choices,
    input: BenefitInput,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: BenefitInput,
    errors: FormErrors,
) -> Result<ShowPage, ViewError> {
    let page = PageCtx::new(lang, Some(session), "benefit.title");
    let v = s.services.case_benefits(&session.actor, ctx, id).await?;
    Ok(ShowPage {
        c: choices(&page, &v.types),
        page,
        v,
        input,
        errors,
    })
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = BenefitInput {
        start_on: ctx.today().to_string(),
        status: "granted".into(),
        ..Default::default()
    };
    Ok(render(
        &page(&s, lang, &session, &ctx, id, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<BenefitInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_benefit(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{id}/benefits"),
        |errors| page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Back {
    case: String,
}

impl Back {
    fn case(&self) -> Option<Uuid> {
        Uuid::parse_str(self.case.trim()).ok()
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    case: Option<Uuid>,
    input: Option<BenefitInput>,
    errors: FormErrors,
) -> Result<EditPage, ViewError> {
    let page = PageCtx::new(lang, Some(session), "benefit.edit");
    let v = s.services.benefit(&session.actor, ctx, id).await?;
    // A reader who may not change it gets no form to fill in vain.
    if !v.can_write {
        return Err(itinera_domain::Error::Forbidden.into());
    }
    let input = input.unwrap_or_else(|| {
        let b = &v.benefit;
        BenefitInput {
            benefit_type: b.benefit_type.clone(),
            granting_body: b.granting_body.clone(),
            amount: b
                .amount_cents
                .map(|c| amount_text(c, page.decimal()))
                .unwrap_or_default(),
            period: b.period.clone().unwrap_or_default(),
            start_on: b.start_on.to_string(),
            end_on: b.end_on.map(|d| d.to_string()).unwrap_or_default(),
            status: b.status.clone(),
            conditions: b.conditions.clone().unwrap_or_default(),
            review_on: b.review_on.map(|d| d.to_string()).unwrap_or_default(),
            version: b.version.to_string(),
        }
    });
    Ok(EditPage {
        c: choices(&page, &v.types),
        page,
        v,
        case,
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
    Query(from): Query<Back>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = edit_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        from.case(),
        None,
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(from): Query<Back>,
    CsrfForm(input): CsrfForm<BenefitInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .update_benefit(&session.actor, &ctx, id, &input)
        .await;
    let case = from.case();
    form_result(
        lang,
        result,
        |_| match case {
            Some(c) => format!("/cases/{c}/benefits"),
            None => format!("/benefits/{id}/edit"),
        },
        |errors| edit_page(&s, lang, &session, &ctx, id, case, Some(input), errors),
    )
    .await
}
