//! The household pages: a participant's household (or the form that forms one), a
//! household with its members, the form to add one and to pass the headship, its
//! history; and a member's departure, a page of its own (the confirmation step).

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::household::{
    DepartureInput, HeadInput, HouseholdInput, MemberInput, Relationship,
};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::households::{HouseholdView, MemberView, ParticipantHousehold};
use itinera_service::Ctx;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/participants/{id}/household",
            get(of_participant).post(form),
        )
        .route("/households/{id}", get(show))
        .route("/households/{id}/members", axum::routing::post(add_member))
        .route("/households/{id}/head", axum::routing::post(head))
        .route(
            "/households/{id}/members/{member}/departure",
            get(departure_page).post(departure),
        )
}

fn relationships(page: &PageCtx) -> Vec<(&'static str, String)> {
    Relationship::ALL
        .iter()
        .filter(|r| **r != Relationship::Head)
        .map(|r| (r.code(), page.code("relationship", r.code())))
        .collect()
}

/// A member's name as the reader may see it.
fn name_of(page: &PageCtx, m: &MemberView) -> String {
    m.name
        .clone()
        .unwrap_or_else(|| page.t("household.hidden_member").to_string())
}

#[derive(Template)]
#[template(path = "households/show.html")]
struct ShowPage {
    page: PageCtx,
    h: HouseholdView,
    member: MemberInput,
    head: HeadInput,
    errors: FormErrors,
}

impl ShowPage {
    fn relationships(&self) -> Vec<(&'static str, String)> {
        relationships(&self.page)
    }
    fn name(&self, m: &MemberView) -> String {
        name_of(&self.page, m)
    }
    /// Current members who may take the headship.
    fn candidates(&self) -> Vec<(Uuid, String)> {
        self.h
            .members
            .iter()
            .filter(|m| !m.head)
            .map(|m| (m.id, self.name(m)))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "households/none.html")]
struct NonePage {
    page: PageCtx,
    v: ParticipantHousehold,
    input: HouseholdInput,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    member: MemberInput,
    head: HeadInput,
    errors: FormErrors,
) -> Result<ShowPage, ViewError> {
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "household.title"),
        h: s.services.household(&session.actor, ctx, id).await?,
        member,
        head,
        errors,
    })
}

fn fresh_member(ctx: &Ctx) -> MemberInput {
    MemberInput {
        joined_on: ctx.today().to_string(),
        ..Default::default()
    }
}

async fn of_participant(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let v = s
        .services
        .participant_household(&session.actor, &ctx, id)
        .await?;
    match v.household.clone() {
        Some(h) => Ok(render(&ShowPage {
            page: PageCtx::new(lang, Some(&session), "household.title"),
            h,
            member: fresh_member(&ctx),
            head: HeadInput::default(),
            errors: FormErrors::none(lang),
        })),
        None => Ok(render(&NonePage {
            page: PageCtx::new(lang, Some(&session), "household.title"),
            v,
            input: HouseholdInput {
                formed_on: ctx.today().to_string(),
                ..Default::default()
            },
            errors: FormErrors::none(lang),
        })),
    }
}

async fn form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<HouseholdInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .form_household(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(h) => Ok(crate::views::page::see_other(&format!("/households/{h}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            let v = s
                .services
                .participant_household(&session.actor, &ctx, id)
                .await?;
            Ok(render_invalid(&NonePage {
                page: PageCtx::new(lang, Some(&session), "household.title"),
                v,
                input,
                errors,
            }))
        }
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
    let p = show_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        fresh_member(&ctx),
        HeadInput::default(),
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn add_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<MemberInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_household_member(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/households/{id}"),
        |errors| {
            show_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                input,
                HeadInput::default(),
                errors,
            )
        },
    )
    .await
}

async fn head(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<HeadInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .change_household_head(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/households/{id}"),
        |errors| {
            show_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                fresh_member(&ctx),
                input,
                errors,
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "households/departure.html")]
struct DeparturePage {
    page: PageCtx,
    h: HouseholdView,
    member: MemberView,
    name: String,
    input: DepartureInput,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn departure_form(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    member: Uuid,
    input: DepartureInput,
    errors: FormErrors,
) -> Result<DeparturePage, ViewError> {
    let page = PageCtx::new(lang, Some(session), "household.departure");
    let h = s.services.household(&session.actor, ctx, id).await?;
    let m = h
        .members
        .iter()
        .find(|m| m.id == member)
        .cloned()
        .ok_or(ViewError(itinera_domain::Error::NotFound))?;
    Ok(DeparturePage {
        name: name_of(&page, &m),
        page,
        h,
        member: m,
        input,
        errors,
    })
}

async fn departure_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = DepartureInput {
        left_on: ctx.today().to_string(),
        ..Default::default()
    };
    let p = departure_form(
        &s,
        lang,
        &session,
        &ctx,
        id,
        member,
        input,
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn departure(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<DepartureInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .household_departure(&session.actor, &ctx, id, member, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/households/{id}"),
        |errors| departure_form(&s, lang, &session, &ctx, id, member, input, errors),
    )
    .await
}
