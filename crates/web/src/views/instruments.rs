//! Administration of assessment instruments: the published versions, their export as
//! JSON, and the publication of a new instrument or version from its JSON.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::assessment::text_in;
use itinera_i18n::Lang;
use itinera_service::assessments::PublishedInstrument;
use itinera_service::auth::SessionInfo;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/instruments", get(list).post(publish))
        .route("/admin/instruments/{id}/export", get(export))
}

#[derive(Template)]
#[template(path = "admin/instruments.html")]
struct ListPage {
    page: PageCtx,
    instruments: Vec<PublishedInstrument>,
    definition: String,
    errors: FormErrors,
}

impl ListPage {
    fn title(&self, i: &PublishedInstrument) -> String {
        text_in(&i.definition.title, self.page.lang.code()).to_string()
    }
}

async fn list_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    definition: String,
    errors: FormErrors,
) -> Result<ListPage, ViewError> {
    session.actor.require(Capability::Administer)?;
    Ok(ListPage {
        page: PageCtx::new(lang, Some(session), "admin.instruments"),
        instruments: s.services.instruments().await?,
        definition,
        errors,
    })
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &list_page(&s, lang, &session, String::new(), FormErrors::none(lang)).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PublishForm {
    definition: String,
}

async fn publish(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(form): CsrfForm<PublishForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .publish_instrument(&session.actor, &ctx, &form.definition)
        .await;
    form_result(
        lang,
        result,
        |_| "/admin/instruments".into(),
        |errors| list_page(&s, lang, &session, form.definition, errors),
    )
    .await
}

async fn export(
    State(s): State<AppState>,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    session.actor.require(Capability::Administer)?;
    let i = s.services.instrument(id).await?;
    let body = serde_json::to_string_pretty(&i.definition)
        .map_err(|e| itinera_domain::Error::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-v{}.json\"",
                    i.definition.code, i.definition.version
                ),
            ),
        ],
        body,
    )
        .into_response())
}
