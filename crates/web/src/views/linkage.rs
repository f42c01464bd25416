//! The master participant index in the browser: the review queue, one pair side by side
//! with its explanation, the decision, undoing a merge, and the administrators'
//! thresholds.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::{Page, PageRequest};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::linkage::LinkageSettings as Settings;
use itinera_service::linkage::{ReviewItem, ReviewView, Side};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/links", get(queue))
        .route("/links/{id}", get(show))
        .route("/links/{id}/decision", post(decide))
        .route("/merges/{id}/undo", post(undo))
        .route("/admin/linkage", get(settings).post(save_settings))
}

/// "Name Surname Surname · dd/mm/yyyy · Organisation", or that the actor may not see it.
pub fn side_label(page: &PageCtx, s: &Side) -> String {
    match &s.record {
        Some(r) => format!(
            "{} {}{} · {} · {}",
            r.given_name,
            r.surname1,
            r.surname2
                .as_deref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default(),
            page.date(&r.birth_date),
            r.home_organisation_name
        ),
        None => page.t("linkage.hidden_record").to_string(),
    }
}

#[derive(Deserialize, Default)]
struct QueueParams {
    page: Option<u32>,
    #[serde(default)]
    all: Option<String>,
}

#[derive(Template)]
#[template(path = "links/queue.html")]
struct QueuePage {
    page: PageCtx,
    reviews: Page<ReviewItem>,
    all: bool,
}

impl QueuePage {
    fn label(&self, s: &Side) -> String {
        side_label(&self.page, s)
    }
    fn percent(&self, p: &f64) -> String {
        self.page.percent1(*p)
    }
    fn more(&self, page: u32) -> String {
        format!("/links?page={page}{}", if self.all { "&all=1" } else { "" })
    }
}

async fn queue(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<QueueParams>,
) -> ViewResult {
    let all = q.all.is_some();
    let reviews = s
        .services
        .link_reviews(&session.actor, &ctx, !all, PageRequest::new(q.page, None))
        .await?;
    Ok(render(&QueuePage {
        page: PageCtx::new(lang_of(&headers), Some(&session), "linkage.queue"),
        reviews,
        all,
    }))
}

#[derive(Template)]
#[template(path = "links/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ReviewView,
    error: Option<&'static str>,
}

impl ShowPage {
    fn label(&self, s: &Side) -> String {
        side_label(&self.page, s)
    }
    fn percent(&self, p: &f64) -> String {
        self.page.percent1(*p)
    }
    fn weight(&self, w: &f64) -> String {
        self.page.signed1(*w)
    }
    fn level(&self, l: &Option<&'static str>) -> String {
        match l {
            Some(code) => self.page.code("link_level", code),
            None => self.page.t("linkage.level.missing").to_string(),
        }
    }
    fn field(&self, name: &str) -> String {
        self.page.code("link_field", name)
    }
    /// The comparison in plain words: which data coincide, which are alike (and how),
    /// which differ, which one record lacks — the weights stay behind "see the weights".
    fn plain(&self) -> Vec<String> {
        let (mut agree, mut alike, mut differ, mut missing) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for f in &self.v.explanation.fields {
            let name = self.field(&f.field);
            match f.level {
                None => missing.push(name),
                Some("exact") => agree.push(name),
                Some("different") => differ.push(name),
                Some(code) => {
                    alike.push(format!("{} ({})", name, self.page.code("link_level", code)))
                }
            }
        }
        [
            ("linkage.says.agree", agree),
            ("linkage.says.alike", alike),
            ("linkage.says.differ", differ),
            ("linkage.says.missing", missing),
        ]
        .into_iter()
        .filter(|(_, xs)| !xs.is_empty())
        .map(|(key, xs)| self.page.tv(key, "fields", xs.join(", ")))
        .collect()
    }
}

async fn show_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    error: Option<&'static str>,
) -> Result<ShowPage, ViewError> {
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "linkage.review"),
        v: s.services.link_review(&session.actor, ctx, id).await?,
        error,
    })
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    Ok(render(
        &show_page(&s, lang_of(&headers), &session, &ctx, id, None).await?,
    ))
}

#[derive(Deserialize)]
struct DecisionInput {
    #[serde(default)]
    decision: String,
}

async fn decide(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<DecisionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let same = match input.decision.as_str() {
        "same" => true,
        "different" => false,
        _ => {
            return Ok(render_invalid(
                &show_page(
                    &s,
                    lang,
                    &session,
                    &ctx,
                    id,
                    Some("linkage.decision.required"),
                )
                .await?,
            ))
        }
    };
    match s
        .services
        .decide_link_review(&session.actor, &ctx, id, same)
        .await
    {
        Ok(_) => Ok(see_other("/links")),
        Err(itinera_domain::Error::Conflict(k)) => Ok(render_invalid(
            &show_page(&s, lang, &session, &ctx, id, Some(k)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct UndoInput {
    #[serde(default)]
    confirm: String,
    /// The page the button was on (cancel goes back to it).
    #[serde(default)]
    back: String,
}

/// Undoing a merge separates the records for good (each pair is remembered as two
/// people, never offered again): a page asks first.
async fn undo(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<UndoInput>,
) -> ViewResult {
    if input.confirm != "yes" {
        let lang = lang_of(&headers);
        return Ok(render(&crate::views::page::ConfirmPage {
            page: PageCtx::new(lang, Some(&session), "linkage.unmerge_title"),
            heading: "linkage.unmerge_title",
            consequence: "linkage.unmerge_consequence",
            button: "linkage.unmerge",
            subject: None,
            action: format!("/merges/{id}/undo"),
            back: crate::views::page::local_back(&input.back, "/links"),
            errors: crate::views::page::FormErrors::none(lang),
            withdrawal: None,
        }));
    }
    let back = s.services.unmerge(&session.actor, &ctx, id).await?;
    Ok(see_other(&format!("/participants/{back}?index=unmerged")))
}

#[derive(Deserialize, Default)]
struct ThresholdsInput {
    #[serde(default)]
    auto_link: String,
    #[serde(default)]
    review: String,
}

#[derive(Template)]
#[template(path = "admin/linkage.html")]
struct SettingsPage {
    page: PageCtx,
    settings: Settings,
    input: ThresholdsInput,
    errors: FormErrors,
}

async fn settings_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: Option<ThresholdsInput>,
    errors: FormErrors,
) -> Result<SettingsPage, ViewError> {
    let settings = s.services.linkage_settings(&session.actor).await?;
    let page = PageCtx::new(lang, Some(session), "admin.linkage");
    let input = input.unwrap_or_else(|| ThresholdsInput {
        auto_link: page.number(settings.auto_link, 4),
        review: page.number(settings.review, 4),
    });
    Ok(SettingsPage {
        page,
        settings,
        input,
        errors,
    })
}

async fn settings(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    session.actor.require(Capability::Administer)?;
    let lang = lang_of(&headers);
    Ok(render(
        &settings_page(&s, lang, &session, None, FormErrors::none(lang)).await?,
    ))
}

async fn save_settings(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<ThresholdsInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .set_linkage_thresholds(&session.actor, &ctx, &input.auto_link, &input.review)
        .await;
    form_result(
        lang,
        result,
        |_| "/admin/linkage".into(),
        |errors| settings_page(&s, lang, &session, Some(input), errors),
    )
    .await
}
